"""Persian first: the language is the reader's explicit choice (the cookie set by the
language switch), never guessed from the browser, whose locale in Iran is often English.
And no NUL character reaches a view (:class:`RejectNulMiddleware`)."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class PersianFirstLocaleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.languages:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        response.headers["Vary"] = ", ".join(filter(None, [response.headers.get("Vary"), "Cookie"]))
        return response


class RejectNulMiddleware:
    """A NUL character (``%00``) in the address, in a query parameter (name or value) or
    in a form field answers 400 before any view runs (issue 16): PostgreSQL refuses NUL in
    text, so such a search or form used to end in a 500. The site's own bilingual 400 page
    answers, or under ``/api/`` the API's JSON error (``bad_request``).

    Not read here: the bodies of CSRF-exempt views, which read their own: the file upload,
    whose view must set its upload handlers before the body is parsed (its only other
    field is the CSRF token, and Django drops a NUL from a file's name), and the API,
    whose JSON schemas refuse NUL field by field (422 naming the field)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "\x00" in request.path_info or _any_nul(request.GET):
            return self._refuse(request)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # The form fields of every view whose CSRF token is checked: CsrfViewMiddleware
        # has parsed the body already, so reading it here costs nothing and changes nothing.
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE") or getattr(
            view_func, "csrf_exempt", False
        ):
            return None
        if _any_nul(request.POST):
            return self._refuse(request)
        return None

    @staticmethod
    def _refuse(request):
        if request.path_info.startswith("/api/"):
            from rasad.platform.api.errors import ApiError, json_response

            # the API's words for a malformed request, already in both languages
            return json_response(ApiError(400, "bad_request", _("The request is not valid.")))
        from rasad.platform.web.errors import bad_request

        return bad_request(request)


def _any_nul(query) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values) for key, values in query.lists()
    )
