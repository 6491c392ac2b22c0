"""One row per firm with the figures the cluster measures count.

Cluster measures are cross-sections: a firm's employment, sales and exports in one
year. Returns are a panel with gaps (a firm skips a year, leaves a cell blank), so by
default each firm's latest reported value up to the year is used: dropping every firm
with a gap would shrink small provinces' totals at random and move their location
quotients with it.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from rasad.clusters._checks import fa, id_codes, require_columns, require_frame
from rasad.errors import RasadInputError

DEFAULT_MEASURES = ("employees", "sales", "exports")


def _years(column: pd.Series) -> np.ndarray:
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(values).any() or (values != np.round(values)).any():
        bad = column[np.isnan(values) | (values != np.round(values))].iloc[0]
        raise RasadInputError(
            f"returns.year must hold whole Jalali years, not {bad!r}.",
            f"ستون year در جدول returns باید سال شمسی صحیح داشته باشد، نه «{bad}».",
            field="year", value=bad,
        )
    return values.astype(np.int64)


def firm_figures(
    enterprises: pd.DataFrame,
    returns: pd.DataFrame,
    *,
    year: int | None = None,
    measures: tuple[str, ...] | list[str] = DEFAULT_MEASURES,
    carry_forward: bool = True,
) -> pd.DataFrame:
    """``enterprises`` with one column per measure added, as of Jalali ``year``.

    ``year`` defaults to the latest year in ``returns``. With ``carry_forward`` each
    firm's latest non-blank value at or before ``year`` is used (a firm that skipped
    this year's return keeps last year's headcount); without it only ``year``'s own
    returns count. Firms with no value stay NaN: the measures leave them out of sums
    but still count them as enterprises. Nominal money figures are taken as they are —
    a cross-section within one year needs no deflating.
    """
    require_frame(enterprises, "enterprises")
    require_frame(returns, "returns")
    measures = list(measures)
    require_columns(enterprises, ["national_id"], "enterprises")
    require_columns(returns, ["national_id", "year", *measures], "returns")
    clash = [m for m in measures if m in enterprises.columns]
    if clash:
        raise RasadInputError(
            f"enterprises already has column {clash[0]}; drop it before adding figures.",
            f"جدول enterprises خودش ستون «{clash[0]}» را دارد؛ پیش از افزودن ارقام آن را حذف کنید.",
            field=clash[0], value=clash,
        )
    n = len(enterprises)
    codes = id_codes(enterprises["national_id"], returns["national_id"])
    firm_codes, return_codes = codes[:n], codes[n:]
    if (firm_codes < 0).any():
        raise RasadInputError(
            f"national_id is empty in {int((firm_codes < 0).sum())} row(s) of enterprises.",
            f"شناسه ملی در {fa(int((firm_codes < 0).sum()))} ردیف جدول enterprises خالی است.",
            field="national_id", value=None,
        )
    position = np.full(int(codes.max()) + 1 if len(codes) else 0, -1, dtype=np.int64)
    position[firm_codes] = np.arange(n)
    if n and np.bincount(firm_codes).max() > 1:
        dup = enterprises["national_id"].iloc[int(np.argmax(np.bincount(firm_codes)[firm_codes] > 1))]
        raise RasadInputError(
            f"national_id {dup} appears more than once in enterprises.",
            f"شناسه ملی {dup} بیش از یک بار در جدول enterprises آمده است.",
            field="national_id", value=dup,
        )
    years = _years(returns["year"])
    if year is None:
        if len(years) == 0:
            raise RasadInputError(
                "returns is empty, so there is no latest year; give year.",
                "جدول returns خالی است و آخرین سال معلوم نیست؛ سال (year) را بدهید.",
                field="year", value=None,
            )
        year = int(years.max())
    elif isinstance(year, bool) or not isinstance(year, numbers.Integral):
        raise RasadInputError(
            f"year must be a Jalali year such as 1403, not {year!r}.",
            f"«year» باید یک سال شمسی مانند ۱۴۰۳ باشد، نه «{year}».",
            field="year", value=year,
        )
    firm = np.where(return_codes >= 0, position[np.maximum(return_codes, 0)], -1)
    rows = np.flatnonzero((firm >= 0) & (years <= year if carry_forward else years == year))
    out = enterprises.copy()
    # Latest non-blank value per firm without a groupby on strings: sort the chosen rows
    # by (firm, year) — one integer key — and keep each firm's last row with a value.
    first_year = int(years[rows].min()) if len(rows) else 0
    key = firm[rows] * (year - first_year + 1) + (years[rows] - first_year)
    order = np.argsort(key, kind="stable")
    rows, key = rows[order], key[order]
    same = np.flatnonzero(key[1:] == key[:-1])
    if len(same):
        dup = returns.iloc[rows[same[0]]]
        raise RasadInputError(
            f"returns has more than one row for national_id {dup['national_id']} in {dup['year']}.",
            f"جدول returns برای شناسه ملی {dup['national_id']} در سال {fa(dup['year'])} "
            "بیش از یک ردیف دارد.",
            field="national_id", value=dup["national_id"],
        )
    owner = firm[rows]
    for measure in measures:
        values = returns[measure].to_numpy(dtype=np.float64, na_value=np.nan)[rows]
        known = ~np.isnan(values)
        who, what = owner[known], values[known]
        last = np.ones(len(who), dtype=bool)
        np.not_equal(who[1:], who[:-1], out=last[:-1])
        column = np.full(n, np.nan)
        column[who[last]] = what[last]
        out[measure] = column
    out.attrs["year"] = year
    return out
