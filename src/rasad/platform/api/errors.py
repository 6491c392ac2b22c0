"""Errors as JSON a person can read: ``message_en`` and ``message_fa`` always, ``detail``
in the request's language, a stable ``code`` for programs, and for refused input the
list of ``problems`` (each with its field and both messages).

Messages are gettext msgids (English) translated through the Persian catalogue, so the
Persian text lives where every other Persian string of the platform lives.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.utils.translation import gettext_lazy as _
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from rasad.errors import InputProblems, RasadInputError
from rasad.platform.language import both, persian
from rasad.platform.rankings.errors import EditionDataUnavailable

logger = logging.getLogger(__name__)


def english_persian(message, **params) -> tuple[str, str]:
    """:func:`~rasad.platform.language.both` in the order of ``message_en`` and
    ``message_fa``, as the API's problems and errors take them."""
    persian_text, english = both(message, **params)
    return english, persian_text


def problem(
    field: str | None,
    message_en: str,
    message_fa: str,
    *,
    code: str | None = None,
    severity: str = "error",
) -> dict:
    return {
        "field": field,
        "message_en": message_en,
        "message_fa": message_fa,
        "code": code,
        "severity": severity,
    }


class ApiError(Exception):
    """Raised by a route; turned into ``status`` with the bilingual payload."""

    def __init__(
        self,
        status: int,
        code: str,
        message,
        *,
        problems: Iterable[dict] = (),
        message_fa: str | None = None,
        headers: dict | None = None,
        **params,
    ):
        if message_fa is None:  # a msgid of the catalogue
            self.message_en, self.message_fa = english_persian(message, **params)
        else:  # already bilingual (a RasadInputError of the pure core)
            self.message_en, self.message_fa = str(message), message_fa
        self.status = status
        self.code = code
        self.problems = list(problems)
        self.headers = dict(headers or {})  # sent with the answer (Retry-After, say)
        super().__init__(self.message_en)

    def payload(self) -> dict:
        english = not persian()
        body = {
            "detail": self.message_en if english else self.message_fa,
            "code": self.code,
            "message_en": self.message_en,
            "message_fa": self.message_fa,
        }
        if self.problems:
            body["problems"] = self.problems
        return body


def not_found(message=None, **params) -> ApiError:
    return ApiError(404, "not_found", message or _("Not found."), **params)


def from_input_error(error: RasadInputError, status: int = 422) -> ApiError:
    """An error of the pure core (already in both languages) as an API error."""
    items = error.problems if isinstance(error, InputProblems) else [error]
    problems = [problem(p.field, p.message_en, p.message_fa) for p in items]
    return ApiError(
        status, "invalid_input", error.message_en, message_fa=error.message_fa, problems=problems
    )


# Persian for pydantic's kinds of refusal (its English message is kept as message_en).
_VALIDATION_FA = {
    "missing": _("This value is required."),
    "too_long": _("This value is too long."),
    "too_short": _("This value is too short."),
    "range": _("This value is outside the allowed range."),
    "pattern": _("This value does not have the expected form."),
    "enum": _("This value is not one of the allowed choices."),
    "type": _("This value does not have the right type."),
}


def _kind(error_type: str) -> str:
    if error_type == "missing":
        return "missing"
    if error_type.endswith("too_long"):
        return "too_long"
    if error_type.endswith("too_short"):
        return "too_short"
    if error_type.startswith(("greater_than", "less_than")):
        return "range"
    if error_type == "string_pattern_mismatch":
        return "pattern"
    if error_type in ("literal_error", "enum"):
        return "enum"
    return "type"


def validation_problems(errors: list[dict]) -> list[dict]:
    out = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("ninja_pagination",)]
        field = ".".join(location[1:] if len(location) > 1 else location) or None
        _en, fa = english_persian(_VALIDATION_FA[_kind(str(error.get("type", "")))])
        out.append(
            problem(field, str(error.get("msg", _en)), fa, code=str(error.get("type", "invalid")))
        )
    return out


def json_response(error: ApiError) -> JsonResponse:
    """``error`` answered outside a route (where ninja's handlers do not reach)."""
    response = JsonResponse(
        error.payload(), status=error.status, json_dumps_params={"ensure_ascii": False}
    )
    for name, value in error.headers.items():
        response[name] = value
    return response


def not_found_view(request, *args, **kwargs):
    """Any other path under /api/: a JSON 404, not the site's HTML page."""
    return json_response(not_found())


def method_not_allowed_in_json(view: Callable) -> Callable:
    """``view`` with ninja's plain-text 405 (a method the address does not serve) answered
    in the API's bilingual JSON instead, keeping its Allow header."""

    @functools.wraps(view)  # keeps csrf_exempt: ninja checks CSRF itself
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        refused = json_response(
            ApiError(
                405,
                "method_not_allowed",
                _("This address does not accept %(method)s; it accepts %(allowed)s."),
                method=request.method[:20],
                allowed=response["Allow"],
            )
        )
        refused["Allow"] = response["Allow"]
        return refused

    return wrapped


class _Handlers:
    """ninja's exception handlers for ``api``: each error answered as an :class:`ApiError`."""

    def __init__(self, api):
        self.api = api

    def respond(self, request, error: ApiError, headers: dict | None = None):
        response = self.api.create_response(request, error.payload(), status=error.status)
        for name, value in (headers or {}).items():
            response[name] = value
        return response

    def on_api_error(self, request, exc: ApiError):
        headers = dict(exc.headers)
        if exc.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="rasad"'
        return self.respond(request, exc, headers)

    def on_authentication(self, request, exc):
        return self.on_api_error(
            request,
            ApiError(
                401,
                "not_authenticated",
                _("Sign in, or send an API token in the header 'Authorization: Bearer <token>'."),
            ),
        )

    def on_authorization(self, request, exc):
        return self.respond(request, ApiError(403, "forbidden", _("Your account may not do this.")))

    def on_http_error(self, request, exc: HttpError):
        if exc.status_code == 403:
            return self.on_authorization(request, exc)
        if exc.status_code == 404:
            return self.on_not_found(request, exc)
        if exc.status_code == 400:  # ninja's word for a body it cannot parse
            return self.on_bad_request(request, exc)
        return self.respond(
            request, ApiError(exc.status_code, "http_error", _("The request could not be served."))
        )

    def on_bad_request(self, request, exc):
        return self.respond(
            request,
            ApiError(
                400,
                "bad_request",
                _("The request could not be read: send the body as JSON, within 2.5 MB."),
            ),
        )

    def on_not_found(self, request, exc):
        return self.respond(request, not_found())

    def on_validation(self, request, exc: ValidationError):
        return self.respond(
            request,
            ApiError(
                422,
                "invalid_request",
                _("The request is not valid."),
                problems=validation_problems(exc.errors),
            ),
        )

    def on_input(self, request, exc: RasadInputError):
        return self.respond(request, from_input_error(exc))

    def on_unavailable(self, request, exc: EditionDataUnavailable):
        return self.respond(request, ApiError(exc.status, exc.code, exc.message))

    def on_exception(self, request, exc: Exception):
        logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
        return self.respond(
            request,
            ApiError(
                500, "server_error", _("Something went wrong on the server; the error was logged.")
            ),
        )


def install(api) -> None:
    """Every error of the API answers in this shape; never a stack trace."""
    handlers = _Handlers(api)
    for kind, handler in (
        (ApiError, handlers.on_api_error),
        (AuthenticationError, handlers.on_authentication),
        (AuthorizationError, handlers.on_authorization),
        (PermissionDenied, handlers.on_authorization),
        (SuspiciousOperation, handlers.on_bad_request),
        (HttpError, handlers.on_http_error),
        (Http404, handlers.on_not_found),
        (ValidationError, handlers.on_validation),
        (RasadInputError, handlers.on_input),
        (EditionDataUnavailable, handlers.on_unavailable),
        (Exception, handlers.on_exception),
    ):
        api.add_exception_handler(kind, handler)
