"""What pages queue for a worker (``rasad worker``): announcing is never done in the
request that recorded a correction or published an edition."""

from __future__ import annotations

from django_tasks import task

from rasad.platform.notifications import triggers
from rasad.platform.rankings.models import Edition


@task()
def announce_corrections(version_ids: list[int]) -> int:
    return triggers.announce_corrections(version_ids)


@task()
def announce_edition(edition_id: int) -> int:
    edition = Edition.objects.filter(pk=edition_id, status=Edition.Status.PUBLISHED).first()
    return 0 if edition is None else triggers.announce_edition(edition)
