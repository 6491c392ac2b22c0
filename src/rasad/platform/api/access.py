"""What a caller may see (DESIGN §5), as querysets: the routes only ever read through these.

- editions: published ones for everyone, drafts too for analysts and administrators;
- enterprises: those ranked in a published edition for everyone, plus those whose
  confidential figures the caller may see (``Enterprise.objects.confidential_to``);
- confidential figures (returns, league-table values, registry details): only within
  ``confidential_to(user)`` (own firm, own estates, or all).
"""

from __future__ import annotations

from django.db.models import Q

from rasad.platform.accounts.models import Role
from rasad.platform.rankings.models import Edition, EditionResult
from rasad.platform.registry.models import Enterprise


def role_of(user) -> str:
    if user is None or not user.is_authenticated or not user.is_active:
        return Role.PUBLIC
    return user.effective_role


def sees_everything(user) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and getattr(user, "sees_everything", False)
    )


def visible_editions(user):
    editions = Edition.objects.select_related("period", "methodology")
    if sees_everything(user):
        return editions
    return editions.filter(status=Edition.Status.PUBLISHED)


def published_enterprise_ids():
    return EditionResult.objects.filter(edition__status=Edition.Status.PUBLISHED).values(
        "enterprise_id"
    )


def confidential_enterprises(user):
    return Enterprise.objects.confidential_to(user)


def listed_enterprises(user):
    """The enterprises ``user`` may look up at all."""
    if sees_everything(user):
        return Enterprise.objects.all()
    if role_of(user) in (Role.ENTERPRISE, Role.ESTATE_MANAGER):
        return Enterprise.objects.filter(
            Q(pk__in=published_enterprise_ids())
            | Q(pk__in=confidential_enterprises(user).values("pk"))
        )
    return Enterprise.objects.filter(pk__in=published_enterprise_ids())


def may_hold_returns(user) -> bool:
    """Whether ``user``'s role sees or writes any returns at all (the public never)."""
    role = role_of(user)
    if role == Role.ENTERPRISE:
        return bool(user.enterprise_id)
    return role in (Role.ESTATE_MANAGER, Role.ANALYST, Role.ADMIN)
