"""A rendered report kept in the shared storage, or being rendered by a worker."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rasad.platform.background import WorkerJob


class RenderedReport(WorkerJob):
    """One PDF of one report (its kind, its key, its language), rendered from one state of
    the data (``version``): served again as long as that state holds, rendered anew by a
    worker once it changes (:mod:`rasad.platform.reports.delivery`)."""

    kind = models.CharField(_("kind"), max_length=16)
    key = models.CharField(_("key"), max_length=120)
    language = models.CharField(_("language"), max_length=2)
    version = models.CharField(_("data version"), max_length=160)
    # the PDF, a name in the storage every server shares
    file = models.CharField(_("file"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    seconds = models.FloatField(_("rendering time (s)"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )

    class Meta(WorkerJob.Meta):
        verbose_name = _("rendered report")
        verbose_name_plural = _("rendered reports")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key", "language", "version"], name="one_report_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} ({self.language}, {self.get_status_display()})"
