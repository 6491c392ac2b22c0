"""The language the platform is speaking in: that of the request being served, or the
one a worker or a command activated (``translation.override``). Rasad is Persian first:
anything but English is Persian."""

from __future__ import annotations

from django.utils.translation import get_language


def current() -> str:
    """ "fa" or "en"."""
    return "en" if (get_language() or "fa").startswith("en") else "fa"


def persian() -> bool:
    return current() == "fa"
