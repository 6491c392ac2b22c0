"""A rendered report kept in the shared storage, or being rendered by a worker."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RenderedReport(models.Model):
    """One PDF of one report (its kind, its key, its language), rendered from one state of
    the data (``version``): served again as long as that state holds, rendered anew by a
    worker once it changes (:mod:`rasad.platform.reports.delivery`)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    kind = models.CharField(_("kind"), max_length=16)
    key = models.CharField(_("key"), max_length=120)
    language = models.CharField(_("language"), max_length=2)
    version = models.CharField(_("data version"), max_length=160)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    # the PDF, a name in the storage every server shares
    file = models.CharField(_("file"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    seconds = models.FloatField(_("rendering time (s)"), null=True, blank=True)
    error_en = models.TextField(_("error (English)"), blank=True)
    error_fa = models.TextField(_("error (Persian)"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    worker = models.CharField(_("worker"), max_length=120, blank=True)
    heartbeat_at = models.DateTimeField(_("worker last alive at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("rendered report")
        verbose_name_plural = _("rendered reports")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key", "language", "version"], name="one_report_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} ({self.language}, {self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    def error(self, language: str = "fa") -> str:
        return self.error_fa if language.startswith("fa") else self.error_en
