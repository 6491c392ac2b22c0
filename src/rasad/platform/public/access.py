"""Who opens which page of this app (DESIGN §5).

These checks only decide whether a page opens at all. *Which* enterprises' confidential
figures a page shows comes from ``Enterprise.objects.confidential_to(user)`` in the
view, never from the templates: the scorecard, the estate dashboard and the values of
the league tables are all read through it.
"""

from __future__ import annotations

from rasad.platform.accounts.models import Role


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def sees_national_dashboard(user) -> bool:
    """Analysts and administrators (policy makers use analyst accounts)."""
    return _active(user) and user.sees_everything


def sees_estate_dashboard(user) -> bool:
    """Estate managers (their estates), analysts and administrators (all estates)."""
    return _active(user) and (user.sees_everything or user.effective_role == Role.ESTATE_MANAGER)


def own_enterprise(user):
    """The national ID of an enterprise user's own enterprise, for the navigation."""
    if _active(user) and user.effective_role == Role.ENTERPRISE and user.enterprise_id:
        return user.enterprise.national_id
    return None
