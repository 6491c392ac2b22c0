"""The words the public pages, their downloads and the edition report put on the codes
a methodology stores (size bands, grouping columns, units, directions), so that every
one of them names a code the same way."""

from __future__ import annotations

import math

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rasad.platform.web.templatetags.rasad_format import num, percent

BAND_LABELS = {
    "micro": gettext_lazy("micro"),
    "small": gettext_lazy("small"),
    "medium": gettext_lazy("medium"),
    "large": gettext_lazy("large"),
}
GROUP_LABELS = {
    "sector": gettext_lazy("ISIC sector"),
    "size_class": gettext_lazy("size band"),
    "province": gettext_lazy("province"),
    "estate": gettext_lazy("industrial estate"),
}
# the units methodology files use (anything else is shown as written)
UNIT_LABELS = {
    "ratio": gettext_lazy("ratio"),
    "percent": gettext_lazy("percent"),
    "count": gettext_lazy("count"),
    "yes/no": gettext_lazy("yes/no"),
    "score": gettext_lazy("score"),
    "million rials per person": gettext_lazy("million rials per person"),
    "hours per person": gettext_lazy("hours per person"),
    "million rials": gettext_lazy("million rials"),
}


def band_label(band: str) -> str:
    return str(BAND_LABELS.get(band, band))


def group_label(column: str) -> str:
    return str(GROUP_LABELS.get(column, column))


def unit_label(unit: str) -> str:
    return str(UNIT_LABELS.get(unit, unit))


def direction_label(direction: int) -> str:
    return (
        _("higher is better")
        if direction > 0
        else _("lower is better")
        if direction < 0
        else _("neutral")
    )


def format_value(value: float | None, unit: str) -> str:
    """An indicator's value the way its unit reads (in the reader's digits)."""
    if value is None or not math.isfinite(value):
        return ""
    if unit == "ratio":
        return percent(value, 1)
    if unit == "percent":
        return f"{num(value, 1)}{percent(0)[-1]}"
    if unit == "yes/no":
        return _("yes") if value else _("no")
    if unit == "count":
        return num(value, 0 if float(value).is_integer() else 1)
    return num(value, 2 if abs(value) < 100 else 0)
