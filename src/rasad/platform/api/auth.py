"""Who is calling: a bearer token, the browser's session, or nobody.

Each route lists the ways it accepts. A request carrying an ``Authorization`` header is
judged by that header alone: a wrong or revoked token is a 401, never a silent fall-back
to anonymous. An address that sent too many unknown tokens is refused every token, the
right one too, for the login cool-off (429; :mod:`rasad.platform.accounts.throttle`,
since django-axes itself knows only passwords). The session counts only for a signed-in
user, and its writes must pass Django's CSRF check (the ``X-CSRFToken`` header). Public
routes end the list with :data:`anonymous`, so a request with neither is served as the
public.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from rasad.platform.accounts import throttle
from rasad.platform.api.errors import ApiError
from rasad.platform.api.models import ApiToken

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>``, a token made by ``rasad manage create_api_token``."""

    openapi_description = "An API token: `rasad manage create_api_token USERNAME --name NAME`."

    def __call__(self, request):
        header = request.headers.get("Authorization")
        if header is None:
            return None
        scheme, _space, secret = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise ApiError(
                401, "invalid_token", _("Send the API token as 'Authorization: Bearer <token>'.")
            )
        return self.authenticate(request, secret.strip())

    def authenticate(self, request, token):
        # Refused before the token is looked up: while locked out, a right token must
        # tell the sender nothing a wrong one does not.
        if not throttle.token_allowed(request):
            raise too_many_attempts()
        found = ApiToken.objects.authenticate(token)
        if found is None:
            if throttle.token_failed(request):
                raise too_many_attempts()
            raise ApiError(
                401,
                "invalid_token",
                _("The API token is not valid: it is unknown or revoked, or its user is inactive."),
            )
        request.user = found.user  # what the rest of Django reads
        request.api_token = found
        return found.user


def too_many_attempts() -> ApiError:
    minutes = throttle.cool_off_minutes()
    return ApiError(
        429,
        "too_many_attempts",
        _(
            "Too many wrong API tokens were sent from your address: every token is refused for "
            "%(minutes)s minutes. Check the token your client sends, then try again after the wait."
        ),
        headers={"Retry-After": throttle.retry_after()},
        minutes=minutes,
    )


class Session(APIKeyCookie):
    """The browser's Django session; writes need the CSRF token (``X-CSRFToken``)."""

    param_name = settings.SESSION_COOKIE_NAME
    openapi_description = "The signed-in browser session; writes need the X-CSRFToken header."

    def __init__(self):
        super().__init__(csrf=True)  # tells the docs page to send the CSRF token

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise ApiError(
                403,
                "csrf_failed",
                _(
                    "The CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken "
                    "header."
                ),
            )
        return user

    def authenticate(self, request, key):  # pragma: no cover - __call__ does the work
        return None


def anonymous(request):
    """The last resort of public routes: serve the request as the public."""
    request.user = AnonymousUser()
    return request.user


bearer = BearerToken()
session = Session()
SIGNED_IN = [bearer, session]
ANYONE = [bearer, session, anonymous]
# appended to the generated OpenAPI security of public routes: no credentials needed
OPTIONAL_AUTH = {"security": [{}]}
