"""The return side of a sheet: each row's period, unit and figures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rasad.iran.periods import Period
from rasad.iran.text import to_persian_digits

from ..problems import ERROR, WARNING
from .bounds import check_range
from .choices import unit
from .dates import period, quarter
from .money import convert_money
from .sheet import SheetCheck


def return_rows(s: SheetCheck, ids: list, rows: np.ndarray) -> pd.DataFrame:
    sheet = s.sheet
    if not (sheet.has("period") or sheet.has("year")):
        s.add(None, None, None, ERROR, "missing_column",
              f"The sheet {sheet.name!r} has figures but no period column: add 'دوره / Period' "
              "(or 'سال مالی / Fiscal year').",
              f"برگه «{sheet.name}» ارقام دارد اما ستون دوره ندارد: ستون «دوره» (یا «سال مالی») را "
              "بیفزایید.")  # fmt: skip
    periods = _periods(s, rows)
    period_field = "period" if sheet.has("period") else "year"
    if sheet.has(period_field):
        _check_periods(s, periods, period_field, rows)
    row_units = s.parse("unit", unit)
    chosen = [periods[i] for i in rows.tolist()]
    # A period object is shared by the cells it was parsed from: describe each once.
    described = {id(p): (p.code, p.year, p.quarter) for p in chosen if p is not None}
    blank = (None, None, None)
    frame: dict[str, list | np.ndarray] = {
        "national_id": [ids[i] for i in rows.tolist()],
        "period": [described.get(id(p), blank)[0] for p in chosen],
        "year": [described.get(id(p), blank)[1] for p in chosen],
        "quarter": [described.get(id(p), blank)[2] for p in chosen],
    }
    present = [code for code in s.fields.indicator_codes if sheet.has(code)]
    provided = ~s.blank_mask(present)[rows] if present else np.zeros(len(rows), dtype=bool)
    for field in s.fields.indicators:
        values = s.numbers(field.code, field.kind)
        if field.kind == "money" and sheet.has(field.code):
            values = convert_money(s, field.code, values, row_units)
        if sheet.has(field.code) and field.indicator is not None:
            check_range(s, field.indicator, values, rows)
        frame[field.code] = values[rows] if len(rows) else np.empty(0)
    period_blank = s.blank(period_field)
    for k in np.flatnonzero(~provided).tolist():
        i = int(rows[k])
        if frame["period"][k] is not None or not period_blank[i]:
            s.add(i, None, None, WARNING, "empty_return",
                  "This return has no figures; it will be stored as blank.",
                  "این اظهارنامه هیچ رقمی ندارد و خالی ثبت می‌شود.")  # fmt: skip
    out = pd.DataFrame(frame)
    out["_sheet"] = sheet.name
    out["_row"] = sheet.rows[rows] if len(rows) else np.empty(0, np.int64)
    return out


def _periods(s: SheetCheck, rows: np.ndarray) -> list:
    """Each row's period: the period column (its quarter given by a quarter column
    where it names a year), or the fiscal year and quarter columns together."""
    if not s.sheet.has("period"):
        years = s.parse("year", period)
        quarters = s.parse("quarter", quarter)
        return [
            None if y is None else (Period(y.year, quarter=q) if q is not None else y)
            for y, q in zip(years, quarters, strict=True)
        ]
    periods = s.parse("period", period)
    if s.sheet.has("quarter"):
        quarters = s.parse("quarter", quarter)
        for i in rows.tolist():
            p, q = periods[i], quarters[i]
            if p is None or q is None:
                continue
            if p.quarter is None:
                periods[i] = Period(p.year, quarter=q)
            elif p.quarter != q:
                s.add(i, "quarter", s.raw("quarter")[i], ERROR, "period",
                      f"The quarter {q} disagrees with the period {p.code}.",
                      f"فصل {q} با دوره {p.label('fa')} نمی‌خواند.")  # fmt: skip
    return periods


def _check_periods(s: SheetCheck, periods: list, period_field: str, rows: np.ndarray) -> None:
    """A period not begun yet, or none at all, is an error at its row."""
    this_year = s.checks.this_year
    raw_period = s.raw(period_field)
    years = np.fromiter((0 if p is None else p.year for p in periods), dtype=np.int64, count=s.n)
    for i in rows[(years > this_year)[rows]].tolist():
        s.add(i, period_field, raw_period[i], ERROR, "period",
              f"The period {periods[i].code} has not begun: the current Jalali year is "
              f"{this_year}.",
              f"دوره {periods[i].label('fa')} هنوز آغاز نشده است؛ سال جاری "
              f"{to_persian_digits(str(this_year))} است.")  # fmt: skip
    unread = np.fromiter((p is None for p in periods), dtype=bool, count=s.n) & s.blank(
        period_field
    )
    for i in rows[unread[rows]].tolist():
        s.add(i, period_field, None, ERROR, "required",
              "The period is missing: write the fiscal year (1403) or quarter (1403-Q2).",
              "دوره خالی است: سال مالی (۱۴۰۳) یا فصل (۱۴۰۳-ف۲) را بنویسید.")  # fmt: skip
