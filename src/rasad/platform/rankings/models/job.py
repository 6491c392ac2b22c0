"""The background computations of editions and the parts of their Monte Carlo runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rasad.platform.background import WorkerJob
from rasad.platform.rankings.models.edition import Edition


class EditionJob(WorkerJob):
    """A background computation of an edition (ranking, uncertainty, sensitivity) and
    how far it has got: written by :mod:`rasad.platform.rankings.jobs`, read by the
    progress page every second."""

    class Kind(models.TextChoices):
        COMPUTE = "compute", _("compute")

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("edition")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.COMPUTE)
    # what was asked for: runs, seed, top_k, the uncertainty spec's text, the sensitivity sample
    params = models.JSONField(_("settings"), default=dict)
    stage = models.CharField(_("stage"), max_length=16, blank=True)
    done = models.PositiveBigIntegerField(_("done"), default=0)
    total = models.PositiveBigIntegerField(_("total"), default=0)
    percent = models.FloatField(_("percent complete"), default=0)
    message_en = models.CharField(_("message (English)"), max_length=300, blank=True)
    message_fa = models.CharField(_("message (Persian)"), max_length=300, blank=True)
    # the Sobol indices of the uncertainty spec's inputs (rasad.index.sensitivity), one
    # dict per input: input, Si, STi and their 5% and 95% bootstrap bounds
    sensitivity = models.JSONField(_("sensitivity indices"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    # progress within the job; the worker running it ("host:pid") and its heartbeat
    # (WorkerJob's) let a job whose worker was killed be recognised within a minute
    # (rankings.jobs)
    updated_at = models.DateTimeField(_("last progress at"), null=True, blank=True)

    class Meta(WorkerJob.Meta):
        verbose_name = _("edition job")
        verbose_name_plural = _("edition jobs")
        indexes = [models.Index(fields=["edition", "status"], name="edition_job_status")]

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    def message(self, language: str = "fa") -> str:
        return self.message_fa if language.startswith("fa") else self.message_en


class ReplicateChunk(models.Model):
    """One part of an edition job's Monte Carlo runs, which any worker may compute
    (:mod:`rasad.platform.rankings.chunks`): its runs, who computes it and whether it is
    alive, and its ranks and scores once done (a file in the storage every worker shares,
    deleted when the job has merged them)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    job = models.ForeignKey(
        EditionJob, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("job")
    )
    index = models.PositiveSmallIntegerField(_("part"))
    start = models.PositiveIntegerField(_("first run"))
    stop = models.PositiveIntegerField(_("end of runs"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    worker = models.CharField(_("worker"), max_length=120, blank=True)
    heartbeat_at = models.DateTimeField(_("worker last alive at"), null=True, blank=True)
    result = models.FileField(_("ranks and scores"), upload_to="replicate-chunks/", blank=True)
    error_en = models.TextField(_("error (English)"), blank=True)
    error_fa = models.TextField(_("error (Persian)"), blank=True)

    class Meta:
        ordering = ["job", "index"]
        verbose_name = _("part of a job's runs")
        verbose_name_plural = _("parts of jobs' runs")
        constraints = [
            models.UniqueConstraint(fields=["job", "index"], name="unique_chunk_per_job")
        ]
