"""The tasks of the returns a worker process runs (``rasad worker``): the dry run and the
import of a large uploaded file (:mod:`rasad.platform.returns.import_jobs`)."""

from __future__ import annotations

from django_tasks import task

from rasad.platform.rankings.tasks import Heartbeat, worker_name
from rasad.platform.returns import import_jobs
from rasad.platform.returns.models import ImportJob


@task()
def run_import_job(job_id: int) -> str:
    """Check or import the upload of job ``job_id``; its status: done or failed."""
    with Heartbeat(ImportJob, job_id):
        return import_jobs.run(job_id, worker_name()).status
