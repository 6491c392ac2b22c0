"""The language the platform is speaking in: that of the request being served, or the
one a worker or a command activated (``translation.override``). Rasad is Persian first:
anything but English is Persian."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import get_language

from rasad.iran.text import to_persian_digits


def current() -> str:
    """ "fa" or "en"."""
    return "en" if (get_language() or "fa").startswith("en") else "fa"


def persian() -> bool:
    return current() == "fa"


def both(text, **values) -> tuple[str, str]:
    """``text`` (a lazy gettext string, %-formatted with ``values``) in Persian and in
    English, in that order; numbers among ``values`` in Persian digits in the Persian
    text. What is stored or sent in both languages at once (a download's dictionary, an
    API error) is rendered here, whatever language the request speaks."""
    persian_values = {
        key: to_persian_digits(str(value)) if isinstance(value, int | float) else value
        for key, value in values.items()
    }
    out = []
    for language, given in (("fa", persian_values), ("en", values)):
        with translation.override(language):
            out.append(str(text) % given if given else str(text))
    return out[0], out[1]
