"""Throttling of failed sign-ins (issue 16): the login form and the API's bearer tokens.

The login form (and the admin's, which is the same ``authenticate``) is guarded by
django-axes, configured in the settings' "Login throttling" block: after
``AXES_FAILURE_LIMIT`` wrong passwords for one username from one address, that pair is
refused, the right password too, until ``AXES_COOLOFF_TIME`` has passed since the last
counted failure. Nothing here re-implements that.

Axes knows only username-and-password logins, so the API's tokens go through its
handler API instead (:func:`token_allowed`, :func:`token_failed`): each unknown token is
recorded as a failed login of the pseudo-account :data:`TOKEN_ACCOUNT` from the
caller's address, in axes' own table, with axes' limit and cool-off. So the address is
locked out of every token, right or wrong, once it has sent too many wrong ones; the
attempts show in the admin beside the form's, and ``rasad manage axes_reset`` clears
both. :data:`TOKEN_ACCOUNT` cannot be a real username (Django's usernames hold no
spaces or brackets), so a person's lockout and a token client's never mix.

:func:`client_ip` is the address both are counted by (``AXES_CLIENT_IP_CALLABLE``).
"""

from __future__ import annotations

import ipaddress
import math
from datetime import timedelta

from django.conf import settings

TOKEN_ACCOUNT = "(api token)"
_TOKEN_CREDENTIALS = {"username": TOKEN_ACCOUNT}


def client_ip(request) -> str | None:
    """The address a request came from: ``REMOTE_ADDR``, unless ``RASAD_PROXY_COUNT``
    proxies of ours stand in front of the app, each appending the address it was
    reached from to ``X-Forwarded-For``. The client is then the ``RASAD_PROXY_COUNT``-th
    entry from the right: the one our outermost proxy wrote. Entries further left were
    sent by the client and prove nothing; a header with fewer entries than proxies (a
    request that did not pass through them all) or an entry that is not an address
    falls back to ``REMOTE_ADDR``, the one address no client can forge."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = getattr(settings, "RASAD_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def cool_off() -> timedelta:
    value = settings.AXES_COOLOFF_TIME
    return value if isinstance(value, timedelta) else timedelta(hours=float(value))


def cool_off_minutes() -> int:
    """The cool-off in whole minutes, rounded up, for messages."""
    return max(1, math.ceil(cool_off().total_seconds() / 60))


def retry_after() -> str:
    """The ``Retry-After`` header of a refusal: the whole cool-off, in seconds (the
    longest wait; the lockout may end sooner)."""
    return str(math.ceil(cool_off().total_seconds()))


def token_allowed(request) -> bool:
    """False while ``request``'s address is locked out of token sign-in."""
    if not settings.AXES_ENABLED:
        return True
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_allowed(request, _TOKEN_CREDENTIALS)


def token_failed(request) -> bool:
    """Count an unknown token sent from ``request``'s address; True when this failure
    reaches the limit (the address is locked out from now on)."""
    if not settings.AXES_ENABLED:
        return False
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.user_login_failed(
        sender=__name__, credentials=_TOKEN_CREDENTIALS, request=request
    )
    locked = bool(getattr(request, "axes_locked_out", False))
    # The API answers the refusal itself, in its JSON; axes' middleware would otherwise
    # replace that answer with the login form's lockout page.
    request.axes_locked_out = False
    return locked
