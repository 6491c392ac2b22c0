"""Dates and Jalali periods: founding years, fiscal years and quarters."""

from __future__ import annotations

import datetime
import numbers
import re

from rasad.errors import RasadInputError
from rasad.iran.periods import Period, gregorian_to_jalali, jalali_to_gregorian
from rasad.iran.text import normalize_text, to_latin_digits

from .cells import Bad, bad_from, excel_error

_JALALI_DATE = re.compile(r"(1[2-5][0-9]{2})[/\-.](0?[1-9]|1[0-2])[/\-.](0?[1-9]|[12][0-9]|3[01])")


def _jalali_year_of(value) -> int | None:
    """The Jalali year of a date cell: an Excel date or a Jalali date written as text."""
    if isinstance(value, datetime.date):
        return gregorian_to_jalali(value)[0]
    if isinstance(value, str):
        match = _JALALI_DATE.fullmatch(to_latin_digits(normalize_text(value)))
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                jalali_to_gregorian(year, month, day)
            except RasadInputError as error:
                raise bad_from(error, "date") from None
            return year
    return None


def _whole(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = to_latin_digits(normalize_text(value))
        if text.isascii() and text.isdigit():
            return int(text)
    return None


def founding_year(value, this_year: int) -> int:
    excel_error(value)
    year = _jalali_year_of(value)
    if year is None:
        year = _whole(value)
    if year is None:
        raise Bad(
            "year",
            f"{value!r} is not a year: write the Jalali year, such as 1385.",
            f"«{value}» سال نیست: سال شمسی را بنویسید، مانند ۱۳۸۵.",
        )
    if 1800 <= year <= 2200:
        raise Bad(
            "year",
            f"{year} looks like a Gregorian year; write the Jalali year (e.g. {year - 621}).",
            f"{year} به سال میلادی می‌ماند؛ سال شمسی را بنویسید (مثلاً {year - 621}).",
        )
    if not 1250 <= year <= this_year:
        raise Bad(
            "range",
            f"The founding year {year} is not between 1250 and {this_year}.",
            f"سال تأسیس {year} میان ۱۲۵۰ و {this_year} نیست.",
        )
    return year


def period(value) -> Period:
    excel_error(value)
    if isinstance(value, datetime.date):
        return Period.containing(
            value if not isinstance(value, datetime.datetime) else value.date()
        )
    whole = _whole(value)
    try:
        if whole is not None:
            return Period(whole)
        year = _jalali_year_of(value)
        if year is not None:
            return Period(year)
        parsed = Period.parse(value)
    except RasadInputError as error:
        raise bad_from(error, "period") from None
    if parsed.month is not None:
        raise Bad(
            "period",
            f"{value!r} is a month; returns are filed for a year (1403) or a quarter (1403-Q2).",
            f"«{value}» یک ماه است؛ اظهارنامه برای سال (۱۴۰۳) یا فصل (۱۴۰۳-ف۲) است.",
        )
    return parsed


def quarter(value) -> int:
    excel_error(value)
    whole = _whole(value)
    if whole is None or not 1 <= whole <= 4:
        raise Bad(
            "period",
            f"{value!r} is not a quarter: write 1, 2, 3 or 4.",
            f"«{value}» فصل نیست: ۱، ۲، ۳ یا ۴ بنویسید.",
        )
    return whole
