"""Who may use the data-entry pages (DESIGN §5).

These checks only decide whether a page opens at all; *which* enterprises a user
sees and writes for comes from the scoped querysets
(``Enterprise.objects.confidential_to``) and the import scope
(``rasad.platform.returns.checking.scope_of``), never from templates.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from rasad.platform.accounts.models import Role


def may_enter_returns(user) -> bool:
    """Enterprise users (for their own enterprise), estate managers (their estates),
    analysts and administrators; never the public."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    role = user.effective_role
    if role == Role.ENTERPRISE:
        return bool(user.enterprise_id)
    return role in (Role.ESTATE_MANAGER, Role.ANALYST, Role.ADMIN)


def may_import(user) -> bool:
    """Estate managers (their estates), analysts and administrators (DESIGN §5): an
    enterprise sends its own returns through the form."""
    return may_enter_returns(user) and user.effective_role != Role.ENTERPRISE


def requires(check):
    """Log in first (anonymous users are sent to the login page), then 403 unless ``check``."""

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(guarded)

    return decorate
