"""What the jobs a worker runs for a page (a large import, a report's PDF) share: a job
whose worker stopped answering is marked failed with that reason, so that the person
waiting sees why and can start it again at once.

Such a job's row is a :class:`WorkerJob`: its status (queued, running, done, failed),
the worker running it and its heartbeat (written by
:class:`rasad.platform.rankings.tasks.Heartbeat` while it runs), when it was created,
started and finished, and its error in both languages.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rasad.iran.text import to_persian_digits


class WorkerJob(models.Model):
    """The fields and states every job a worker runs for a page has."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    error_en = models.TextField(_("error (English)"), blank=True)
    error_fa = models.TextField(_("error (Persian)"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    worker = models.CharField(_("worker"), max_length=120, blank=True)
    heartbeat_at = models.DateTimeField(_("worker last alive at"), null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    def error(self, language: str = "fa") -> str:
        return self.error_fa if language.startswith("fa") else self.error_en


def claim(model, pk: int, worker: str) -> bool:
    """Take the queued job ``pk`` for ``worker``: false when it is no longer queued
    (another worker took it, or it was asked again)."""
    now = timezone.now()
    return bool(
        model.objects.filter(pk=pk, status=WorkerJob.Status.QUEUED).update(
            status=WorkerJob.Status.RUNNING, started_at=now, heartbeat_at=now, worker=worker[:120]
        )
    )


def fail(model, pk: int, en: str, fa: str) -> None:
    """End job ``pk`` as failed, with the reason in both languages."""
    model.objects.filter(pk=pk).update(
        status=WorkerJob.Status.FAILED, error_en=en, error_fa=fa, finished_at=timezone.now()
    )


def fail_if_worker_lost(job, *, what_en: str, what_fa: str, redo_en: str, redo_fa: str):
    """``job`` refreshed, marked failed first if it runs and its worker has not been heard
    of for :data:`~rasad.platform.rankings.jobs.WORKER_LOST_AFTER`. The reason names the
    worker and when it was last alive: "The worker {what_en} (host:pid) stopped answering
    at … {redo_en}"."""
    from rasad.platform.rankings.jobs import WORKER_LOST_AFTER

    if job.status != "running":
        return job
    alive = job.heartbeat_at or job.started_at or job.created_at
    if timezone.now() - alive < WORKER_LOST_AFTER:
        return job
    at = timezone.localtime(alive).strftime("%Y-%m-%d %H:%M:%S")
    worker = job.worker or "?"
    type(job).objects.filter(pk=job.pk, status="running").update(
        status="failed",
        finished_at=timezone.now(),
        error_en=f"The worker {what_en} ({worker}) stopped answering at {at} (it was killed, "
        "crashed or "
        f"its machine stopped) before it finished. {redo_en}",
        error_fa=f"کارگزار پس‌زمینه‌ای که {what_fa} ({worker}) از {to_persian_digits(at)} دیگر "
        "پاسخ نداد "
        f"(متوقف شد، از کار افتاد یا ماشینش خاموش شد) و کار به پایان نرسید. {redo_fa}",
    )
    job.refresh_from_db()
    return job


def reap(model, mark) -> int:
    """Mark failed every running job of ``model`` whose worker is lost (``mark`` is the
    model's own :func:`fail_if_worker_lost` call); the number marked."""
    running = model.objects.filter(status="running")
    return sum(mark(job).status == "failed" for job in running)
