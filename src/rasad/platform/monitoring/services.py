"""What the monitoring pages change in the database: people's decisions on alerts."""

from __future__ import annotations

from rasad.platform.monitoring.models import AlertState


def decide(key: str, status: str, comment: str, user) -> AlertState:
    """Record ``user``'s decision on the alert ``key`` (its new ``status``, with a
    comment), replacing any earlier one: an alert has one state, the latest."""
    state, _created = AlertState.objects.update_or_create(
        key=key, defaults={"status": status, "comment": comment, "by": user}
    )
    return state
