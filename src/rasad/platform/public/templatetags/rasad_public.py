"""The home page's block of the latest edition, the navigation links of this app, and a
few small formatting filters for its templates."""

from __future__ import annotations

from django import template

from rasad.platform.public import access, data
from rasad.platform.public.labels import band_label
from rasad.platform.rankings import coverage
from rasad.platform.web.templatetags.rasad_format import num

register = template.Library()

HOME_TOP = 5


@register.simple_tag
def latest_edition_block() -> dict | None:
    """The latest published edition with its headline figures and its first places (with
    their coverage)."""
    edition = data.latest_edition()
    if edition is None:
        return None
    first = list(data.ranking(edition)[:HOME_TOP])
    coverage.describe_rows(first, data.methodology_of(edition))
    return {
        "edition": edition,
        "summary": data.summary(edition),
        "first": first,
        "previous": data.previous_edition(edition),
    }


@register.filter
def sees_dashboard(user) -> bool:
    return access.sees_national_dashboard(user)


@register.filter
def sees_estates(user) -> bool:
    return access.sees_estate_dashboard(user)


@register.filter
def own_enterprise(user) -> str | None:
    return access.own_enterprise(user)


@register.filter
def band(value) -> str:
    return band_label(value or "")


@register.filter
def signed(value, decimals=0) -> str:
    """+12 / −3 in the reader's digits (the minus sign is U+2212, the plus explicit),
    isolated left to right so that the sign stays before the number in Persian text."""
    if value is None:
        return ""
    text = num(abs(value), decimals)
    sign = (
        "+"
        if value > 0 and text.strip("0۰.,٫٬")
        else "−"
        if value < 0 and text.strip("0۰.,٫٬")
        else ""
    )
    return f"\u2066{sign}{text}\u2069"


@register.filter
def get(mapping, key):
    if mapping is None:
        return None
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def words(values) -> str:
    """A list joined with the reader's comma (Persian ، or English ,)."""
    return data.list_separator().join(str(v) for v in values)
