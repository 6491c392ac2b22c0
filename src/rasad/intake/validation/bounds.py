"""The bounds of a figure: valid (an error outside), plausible (a warning to confirm),
and whole where it counts something."""

from __future__ import annotations

import numpy as np

from rasad.iran.text import to_persian_digits
from rasad.methodologies import IndicatorSpec

from ..problems import ERROR, IMPLAUSIBLE, WARNING
from .numbers import en_number, fa_number
from .sheet import SheetCheck


def check_range(s: SheetCheck, spec: IndicatorSpec, values: np.ndarray, rows: np.ndarray) -> None:
    raw = s.raw(spec.code)
    chosen = values[rows]
    low, high = spec.min_value, spec.max_value
    with np.errstate(invalid="ignore"):
        below = chosen < low if low is not None else np.zeros(len(chosen), dtype=bool)
        above = chosen > high if high is not None else np.zeros(len(chosen), dtype=bool)
    if low is not None:
        for k in np.flatnonzero(below).tolist():
            s.add(int(rows[k]), spec.code, raw[rows[k]], ERROR, "range",
                  f"{spec.name_en} cannot be below {en_number(low)}; it is "
                  f"{en_number(chosen[k])}.",
                  f"{spec.name_fa} نمی‌تواند کمتر از {fa_number(low)} باشد؛ "
                  f"{fa_number(chosen[k])} است.")  # fmt: skip
    if high is not None:
        for k in np.flatnonzero(above).tolist():
            en, fa = _above_message(spec, high, chosen[k])
            s.add(int(rows[k]), spec.code, raw[rows[k]], ERROR, "range", en, fa)
    if spec.unit == "count":
        fractional = ~np.isnan(chosen) & (np.floor(chosen) != chosen)
        for k in np.flatnonzero(fractional).tolist():
            s.add(int(rows[k]), spec.code, raw[rows[k]], ERROR, "whole_number",
                  f"{spec.name_en} is a count: write a whole number, not "
                  f"{en_number(chosen[k])}.",
                  f"{spec.name_fa} شمارش است: عدد صحیح بنویسید، نه "
                  f"{fa_number(chosen[k])}.")  # fmt: skip
    implausible = (
        spec.implausible(chosen) & ~below & ~above
    )  # a value out of range is an error already
    if implausible.any():
        field = s.fields[spec.code]
        for k in np.flatnonzero(implausible).tolist():
            en, fa = implausible_message(spec, chosen[k], field.unit_en, field.unit_fa)
            s.add(int(rows[k]), spec.code, raw[rows[k]], WARNING, IMPLAUSIBLE, en, fa)


def _above_message(spec: IndicatorSpec, high: float, value: float) -> tuple[str, str]:
    if spec.kind == "percent":
        return (
            f"{spec.name_en} is a share and cannot exceed 100%; it is {en_number(value)}.",
            f"{spec.name_fa} سهم است و از ۱۰۰ درصد بیشتر نمی‌شود؛ {fa_number(value)} است.",
        )
    return (
        f"{spec.name_en} cannot exceed {en_number(high)}; it is {en_number(value)}.",
        f"{spec.name_fa} نمی‌تواند بیش از {fa_number(high)} باشد؛ {fa_number(value)} است.",
    )


def _shown(x: float, persian: bool) -> str:
    """A figure for a message: grouped digits, or a power of ten when it is huge (1e+30
    rather than thirty-one digits)."""
    if abs(x) >= 1e15:
        text = f"{x:.3g}"
        return to_persian_digits(text) if persian else text
    return fa_number(x) if persian else en_number(x)


def implausible_message(
    spec: IndicatorSpec, value: float, unit_en: str = "", unit_fa: str = ""
) -> tuple[str, str]:
    """The warning for a figure outside ``spec``'s plausible bounds, in English and Persian."""
    high = spec.plausible_max is not None and value > spec.plausible_max
    bound = spec.plausible_max if high else spec.plausible_min
    assert bound is not None, "only a figure outside a plausible bound is implausible"
    unit_en = f" {unit_en}" if unit_en else ""
    unit_fa = f" {unit_fa}" if unit_fa else ""
    en = (
        f"{spec.name_en} of {_shown(value, False)}{unit_en} is implausible for one enterprise: "
        f"it is {'more' if high else 'less'} than {_shown(bound, False)}{unit_en}. Check it (was "
        "it typed in another unit, or in the wrong column?); if it is right, confirm it, and it "
        "is stored as it is."
    )
    fa = (
        f"{spec.name_fa} برابر {_shown(value, True)}{unit_fa} برای یک بنگاه نامحتمل است: "
        f"{'بیش' if high else 'کم'} از {_shown(bound, True)}{unit_fa} است. آن را بررسی کنید "
        "(آیا با واحد دیگری یا در ستون دیگری وارد شده است؟)؛ اگر درست است، آن را تأیید کنید تا "
        "همان‌گونه ثبت شود."
    )
    return en, fa
