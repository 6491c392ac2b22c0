"""What the jobs a worker runs for a page (a large import, a report's PDF) share: a job
whose worker stopped answering is marked failed with that reason, so that the person
waiting sees why and can start it again at once.

Such a job's row has ``status`` (queued, running, done, failed), ``worker``,
``heartbeat_at`` (written by :class:`rasad.platform.rankings.tasks.Heartbeat` while it
runs), ``started_at``, ``created_at``, ``finished_at``, ``error_en`` and ``error_fa``.
"""

from __future__ import annotations

from django.utils import timezone

from rasad.iran.text import to_persian_digits


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
        error_en=f"The worker {what_en} ({worker}) stopped answering at {at} (it was killed, crashed or "
        f"its machine stopped) before it finished. {redo_en}",
        error_fa=f"کارگزار پس‌زمینه‌ای که {what_fa} ({worker}) از {to_persian_digits(at)} دیگر پاسخ نداد "
        f"(متوقف شد، از کار افتاد یا ماشینش خاموش شد) و کار به پایان نرسید. {redo_fa}",
    )
    job.refresh_from_db()
    return job


def reap(model, mark) -> int:
    """Mark failed every running job of ``model`` whose worker is lost (``mark`` is the
    model's own :func:`fail_if_worker_lost` call); the number marked."""
    running = model.objects.filter(status="running")
    return sum(mark(job).status == "failed" for job in running)
