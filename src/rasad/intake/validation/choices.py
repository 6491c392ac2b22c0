"""Choices from a list: yes or no, a money unit, an industrial estate."""

from __future__ import annotations

import numbers

from rasad.errors import RasadInputError
from rasad.iran.text import normalize_text, parse_number, to_latin_digits

from ..problems import shown_value
from ..reference import Estates
from ..units import MoneyUnit, parse_unit
from .cells import Bad, bad_from, excel_error

_YES = {"1", "بله", "بلی", "آری", "اری", "دارد", "هست", "است", "yes", "y", "true", "x", "✓", "✔"}
_NO = {"0", "خیر", "نه", "ندارد", "نیست", "no", "n", "false", "-"}


def boolean(value) -> float:
    """Yes (1.0) or no (0.0): a yes/no word of either language, or a number that is 1 or
    0 however it is written ("1", "۱", "1.0", "۱٫۰"), as the column-at-once reader
    (:meth:`.sheet.SheetCheck.numbers`) reads it."""
    excel_error(value)
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, numbers.Real):
        if float(value) in (0.0, 1.0):
            return float(value)
        raise not_yes_or_no(value)
    text = to_latin_digits(normalize_text(str(value))).casefold().strip()
    if text in _YES:
        return 1.0
    if text in _NO:
        return 0.0
    try:
        number = parse_number(value)
    except RasadInputError:
        raise not_yes_or_no(value) from None
    if number in (0.0, 1.0):
        return number
    raise not_yes_or_no(value)


def not_yes_or_no(value) -> Bad:
    shown = shown_value(value)
    return Bad(
        "type",
        f"{shown!r} is not yes or no: write 1 (yes) or 0 (no).",
        f"«{shown}» بله یا خیر نیست: ۱ (بله) یا ۰ (خیر) بنویسید.",
    )


def unit(value) -> MoneyUnit:
    excel_error(value)
    try:
        return parse_unit(value)
    except RasadInputError as error:
        raise bad_from(error, "unit") from None


def estate(value, estates: Estates):
    excel_error(value)
    row = estates.find(value)
    if row is None:
        raise Bad(
            "estate",
            f"{value!r} is not a known industrial estate: choose one from the list (its code or "
            "name).",
            f"«{value}» شهرک یا ناحیه صنعتی شناخته‌شده‌ای نیست: یکی از فهرست را (کد یا نام) "
            "انتخاب کنید.",
        )
    return row
