"""Who may see the analyst's side of the rankings: drafts, jobs, the analyses.

Analysts and administrators only (DESIGN §5). The querysets are scoped too, so a page
or report that forgot to check would still find nothing for anyone else.
"""

from __future__ import annotations

from rasad.platform.rankings.models import Edition, EditionJob


def may_run_analyses(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.can_run_analyses)


def editions_for(user):
    """Every edition, drafts included, for analysts and administrators; none for others."""
    return Edition.objects.all() if may_run_analyses(user) else Edition.objects.none()


def jobs_for(user):
    """The jobs of the editions the user may see (no join: the progress endpoint is polled)."""
    return EditionJob.objects.all() if may_run_analyses(user) else EditionJob.objects.none()
