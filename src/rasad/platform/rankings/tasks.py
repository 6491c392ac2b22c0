"""The tasks a worker process runs (``rasad worker``): queued by the pages and the CLI
through django-tasks' database backend, so any app server can queue and any worker
can take them.

While a worker computes a job, a thread of the worker (never of a web server) writes
the job's heartbeat every :data:`~rasad.platform.rankings.jobs.HEARTBEAT_EVERY`
seconds; when the worker is killed the heartbeat stops, and the job is marked failed
with that reason within :data:`~rasad.platform.rankings.jobs.WORKER_LOST_AFTER`.
"""

from __future__ import annotations

import os
import socket
import threading

from django.db import connections
from django.utils import timezone
from django_tasks import task

from rasad.platform.rankings import jobs
from rasad.platform.rankings.models import EditionJob


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Heartbeat:
    """``with Heartbeat(EditionJob, pk):`` writes the running row's ``heartbeat_at``
    (a job's, or a part's of its runs) until the block ends."""

    def __init__(self, model, pk: int, every: float = jobs.HEARTBEAT_EVERY):
        self.model, self.pk, self.every = model, pk, every
        self.stopped = threading.Event()
        self.thread = threading.Thread(
            target=self._beat, name=f"rasad-heartbeat-{model.__name__}-{pk}", daemon=True
        )

    def _beat(self) -> None:
        try:
            while not self.stopped.wait(self.every):
                self.model.objects.filter(pk=self.pk, status="running").update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connections.close_all()  # this thread's own connection

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join()


@task()
def compute_edition_job(job_id: int) -> str:
    """Compute the edition job ``job_id``; its status: done or failed (with the reason on
    the job's row)."""
    with Heartbeat(EditionJob, job_id):
        finished = jobs.run_job(job_id, worker=worker_name())
    return finished.status


@task()
def compute_replicate_chunk(job_id: int, index: int) -> str:
    """Compute part ``index`` of the Monte Carlo runs of job ``job_id``, unless another
    worker has (:mod:`rasad.platform.rankings.chunks`)."""
    from rasad.platform.rankings import chunks

    return chunks.compute_queued(job_id, index, worker_name())
