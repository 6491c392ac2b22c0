"""Numbers and dates the way each reader expects: Persian digits and Jalali dates in ``fa``."""

from __future__ import annotations

import datetime

from django import template
from django.utils import timezone

from rasad.iran.periods import format_jalali_date
from rasad.iran.text import format_number, to_persian_digits
from rasad.platform.language import persian

register = template.Library()


@register.filter
def num(value, decimals=0):
    """A number with thousands separators, in the reader's digits; blank for missing values."""
    if value is None or value == "":
        return ""
    return format_number(float(value), decimals=int(decimals), persian_digits=persian())


@register.filter
def digits(value):
    """Any text (a code, a year) with its digits in the reader's script."""
    text = "" if value is None else str(value)
    return to_persian_digits(text) if persian() else text


@register.filter
def percent(value, decimals=0):
    if value is None:
        return ""
    sign = "٪" if persian() else "%"
    return f"{num(100 * float(value), decimals)}{sign}"


@register.filter
def jdate(value):
    """Jalali in Persian, ISO Gregorian in English; datetimes are shown in Tehran time."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if persian():
        return format_jalali_date(value, "fa")
    return value.isoformat()


@register.simple_tag
def today():
    """Today's date (Tehran) as :func:`jdate` writes it: the date line of a printed page."""
    return jdate(timezone.now())
