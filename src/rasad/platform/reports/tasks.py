"""The task a worker process runs for a report (``rasad worker``): rendering its PDF."""

from __future__ import annotations

from django_tasks import task

from rasad.platform.rankings.tasks import Heartbeat, worker_name
from rasad.platform.reports import delivery
from rasad.platform.reports.models import RenderedReport


@task()
def render_report(report_id: int) -> str:
    """Render report ``report_id`` into the shared storage; its status: done or failed."""
    with Heartbeat(RenderedReport, report_id):
        return delivery.run(report_id, worker_name()).status
