"""The pages of refusals and failures (issue 6, "Bad input"), in the reader's language.

Forged or expired CSRF tokens, pages of another scope, unknown addresses and malformed
requests answer 403/404/400 with the site's own page: Persian and right-to-left unless the
reader chose English (the language cookie, :mod:`rasad.platform.web.middleware`), never a
stack trace and never a word about what was refused. A 404 says the same whether the page
does not exist or belongs to another scope, so guessing identifiers reveals nothing.

The 400/403/404 pages extend the site layout; should that fail (the database gone, say),
a self-contained page with the same words answers instead. The 500 page is Django's own
``server_error`` rendering ``500.html`` with no context at all, so it is self-contained.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)


def _texts(kind: str) -> tuple[str, str]:
    """The heading and the explanation of each page, in the active language."""
    return {
        "400": (
            _("This request is not understood"),
            _(
                "Something in the address or in the form is malformed or too long. "
                "Go back and choose from the lists on the page."
            ),
        ),
        "403": (
            _("This page is not open to your account"),
            _(
                "Your account does not have access to this page. "
                "If you need it, ask the administrator of Rasad."
            ),
        ),
        "404": (
            _("Page not found"),
            _(
                "There is no such page, or it is not open to your account. "
                "Check the address, or start again from the home page."
            ),
        ),
        "csrf": (
            _("The form has expired"),
            _(
                "This form was not accepted: it has expired, or it was not sent from a page of "
                "this site. Nothing was saved. Reload the page and send the form again."
            ),
        ),
    }[kind]


def _page(request, status: int, kind: str) -> HttpResponse:
    heading, message = _texts(kind)
    context = {
        "status": status,
        "heading": heading,
        "message": message,
        "csrf_failure": kind == "csrf",
    }
    try:
        return render(request, f"{status}.html", context, status=status)
    except Exception:  # the layout needs the database and the session; the refusal must not
        logger.exception("the %s page could not be rendered with the site layout", status)
        return HttpResponse(loader.render_to_string("web/error_plain.html", context), status=status)


@requires_csrf_token
def bad_request(request, exception=None):
    return _page(request, 400, "400")


@requires_csrf_token
def permission_denied(request, exception=None):
    return _page(request, 403, "403")


@requires_csrf_token
def page_not_found(request, exception=None):
    return _page(request, 404, "404")


@requires_csrf_token
def csrf_failure(request, reason: str = ""):
    """``CSRF_FAILURE_VIEW``: a forged, missing or expired token. The page renders a fresh
    token into its own forms, so reloading the form and sending it again works. The reason
    (English, technical) is logged by Django's CSRF middleware and not shown."""
    return _page(request, 403, "csrf")


def locked_out(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: the login form (or the admin's) refused because this
    username has had too many wrong passwords from this address (see the settings'
    "Login throttling" block). 429, in the reader's language, with the wait; it says
    nothing about whether the account exists, since unknown usernames lock the same way."""
    from rasad.platform.accounts.throttle import cool_off_minutes, retry_after

    minutes = cool_off_minutes()
    limit = settings.AXES_FAILURE_LIMIT
    context = {
        "status": 429,
        "heading": _("Too many failed logins"),
        "message": ngettext(
            "Logging in with this username from your address is paused for %(minutes)s minute, "
            "because the password was wrong %(limit)s times. The right password is not accepted "
            "either until then. Wait, then try again; if you have forgotten the password, ask the "
            "administrator of Rasad.",
            "Logging in with this username from your address is paused for %(minutes)s minutes, "
            "because the password was wrong %(limit)s times. The right password is not accepted "
            "either until then. Wait, then try again; if you have forgotten the password, ask the "
            "administrator of Rasad.",
            minutes,
        )
        % {"minutes": minutes, "limit": limit},
        "locked_out": True,
    }
    try:
        response = render(request, "429.html", context, status=429)
    except Exception:  # as _page: the refusal must not depend on the layout rendering
        logger.exception("the lockout page could not be rendered with the site layout")
        response = HttpResponse(
            loader.render_to_string("web/error_plain.html", context), status=429
        )
    response["Retry-After"] = retry_after()
    return response
