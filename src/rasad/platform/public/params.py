"""What the public pages accept from a request: the published edition a URL names, and
query parameters of a sane size; anything else is a 400 or a 404 before any work."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from rasad.platform.public import data
from rasad.platform.rankings.models import Edition

PER_PAGE = 50
MAX_PARAMETER = 200  # characters: a longer query parameter is refused (400)


class BadRequest(Exception):
    """A query parameter the page does not understand: answered with 400 and the page."""


def published_or_404(pk) -> Edition:
    if not 0 < int(pk) < 2**63:  # beyond any database's keys: not found, not a database error
        raise Http404
    return get_object_or_404(data.published(), pk=pk)


def check_sizes(params) -> None:
    """Refuse (:class:`BadRequest`) a query string with a parameter over MAX_PARAMETER."""
    if any(len(v) > MAX_PARAMETER for values in params.lists() for v in values[1]):
        raise BadRequest
