"""One row per firm with the figures the cluster measures count.

Cluster measures are cross-sections: a firm's employment, sales and exports in one
year. Returns are a panel with gaps (a firm skips a year, leaves a cell blank), so by
default each firm's latest reported value up to the year is used: dropping every firm
with a gap would shrink small provinces' totals at random and move their location
quotients with it. But only a recent one: a value older than ``max_age`` years (one by
default) is not carried, so a firm that stopped filing years ago — or a research panel
of the 1970s — does not hold up a cluster of today. Each measure's ``<measure>_age``
column says how old the value used is, so tables can show how much of a total was
carried forward.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from rasad.clusters._checks import age_column, fa, id_codes, require_columns, require_frame
from rasad.errors import RasadInputError

DEFAULT_MEASURES = ("employees", "sales", "exports")
#: How many years old a figure may be and still stand in for a later year's.
DEFAULT_MAX_AGE = 1


def check_max_age(max_age) -> int | None:
    """``max_age`` as given, if it is a whole number of years (0 or more) or None."""
    if max_age is None:
        return None
    if isinstance(max_age, bool) or not isinstance(max_age, numbers.Integral) or max_age < 0:
        raise RasadInputError(
            "max_age must be a whole number of years, 0 or more (or None for no limit), "
            f"not {max_age!r}.",
            f"«max_age» (بیشترین عمر رقمی که به سال بعد برده می‌شود) باید عددی صحیح از ۰ به بالا "
            f"(یا None برای بی‌حد) باشد، نه «{max_age}».",
            field="max_age",
            value=max_age,
        )
    return int(max_age)


def _years(column: pd.Series) -> np.ndarray:
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(values).any() or (values != np.round(values)).any():
        bad = column[np.isnan(values) | (values != np.round(values))].iloc[0]
        raise RasadInputError(
            f"returns.year must hold whole Jalali years, not {bad!r}.",
            f"ستون year در جدول returns باید سال شمسی صحیح داشته باشد، نه «{bad}».",
            field="year",
            value=bad,
        )
    return values.astype(np.int64)


def _require_figure_columns(
    enterprises: pd.DataFrame, returns: pd.DataFrame, measures: list[str]
) -> None:
    """The figures are added to ``enterprises`` as new columns, so a column already there
    would be silently overwritten: refused instead."""
    require_columns(enterprises, ["national_id"], "enterprises")
    require_columns(returns, ["national_id", "year", *measures], "returns")
    clash = [c for m in measures for c in (m, age_column(m)) if c in enterprises.columns]
    if clash:
        raise RasadInputError(
            f"enterprises already has column {clash[0]}; drop it before adding figures.",
            f"جدول enterprises خودش ستون «{clash[0]}» را دارد؛ پیش از افزودن ارقام آن را حذف کنید.",
            field=clash[0],
            value=clash,
        )


def _registry_positions(
    enterprises: pd.DataFrame, returns: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """``(position, return_codes)``: each return's national ID as an integer code (-1 for
    a blank) and, per code, the row of ``enterprises`` that firm is on (-1 for a firm not
    in the registry). IDs are matched as integers once so that nothing later has to
    compare strings; a blank or repeated ID in the registry would make the match
    ambiguous and is refused."""
    n = len(enterprises)
    codes = id_codes(enterprises["national_id"], returns["national_id"])
    firm_codes, return_codes = codes[:n], codes[n:]
    if (firm_codes < 0).any():
        raise RasadInputError(
            f"national_id is empty in {int((firm_codes < 0).sum())} row(s) of enterprises.",
            f"شناسه ملی در {fa(int((firm_codes < 0).sum()))} ردیف جدول enterprises خالی است.",
            field="national_id",
            value=None,
        )
    # one slot at least: blank return IDs (code -1) are looked up at 0, then set aside
    position = np.full(max(int(codes.max()), 0) + 1 if len(codes) else 0, -1, dtype=np.int64)
    position[firm_codes] = np.arange(n)
    if n and np.bincount(firm_codes).max() > 1:
        dup = enterprises["national_id"].iloc[
            int(np.argmax(np.bincount(firm_codes)[firm_codes] > 1))
        ]
        raise RasadInputError(
            f"national_id {dup} appears more than once in enterprises.",
            f"شناسه ملی {dup} بیش از یک بار در جدول enterprises آمده است.",
            field="national_id",
            value=dup,
        )
    return position, return_codes


def _as_of_year(year, years: np.ndarray):
    """``year`` as given (it goes into ``attrs`` unchanged), or the latest year of the
    returns when it is None."""
    if year is None:
        if len(years) == 0:
            raise RasadInputError(
                "returns is empty, so there is no latest year; give year.",
                "جدول returns خالی است و آخرین سال معلوم نیست؛ سال (year) را بدهید.",
                field="year",
                value=None,
            )
        return int(years.max())
    if isinstance(year, bool) or not isinstance(year, numbers.Integral):
        raise RasadInputError(
            f"year must be a Jalali year such as 1403, not {year!r}.",
            f"«year» باید یک سال شمسی مانند ۱۴۰۳ باشد، نه «{year}».",
            field="year",
            value=year,
        )
    return year


def _rows_by_firm_and_year(
    returns: pd.DataFrame, firm: np.ndarray, years: np.ndarray, year: int
) -> np.ndarray:
    """The positions of the registered firms' returns up to ``year``, sorted by (firm,
    year), so that each firm's latest value is the last of its run.

    Every return up to the year is read, whatever the age limit: each firm's latest
    value is found first, then left out if it is too old (and counted in too_old).
    Sorting on one integer key built from (firm, year) avoids a groupby on strings, and
    makes two returns of a firm in one year sit side by side, where they are refused.
    """
    rows = np.flatnonzero((firm >= 0) & (years <= year))
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
            field="national_id",
            value=dup["national_id"],
        )
    return rows


def _latest_known(
    owner: np.ndarray, age: np.ndarray, values: np.ndarray, max_age: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """``(who, what, how_old, too_old)``: each firm's latest non-blank value among its
    returns (``owner``, ``age`` and ``values`` run in (firm, year) order) and its age,
    with the values older than ``max_age`` left out and summed up in ``too_old``."""
    known = ~np.isnan(values)
    who, what, how_old = owner[known], values[known], age[known]
    last = np.ones(len(who), dtype=bool)
    np.not_equal(who[1:], who[:-1], out=last[:-1])
    who, what, how_old = who[last], what[last], how_old[last]
    if max_age is None:
        return who, what, how_old, {"firms": 0, "value": 0.0}
    old = how_old > max_age
    too_old = {"firms": int(old.sum()), "value": float(what[old].sum())}
    return who[~old], what[~old], how_old[~old], too_old


def _figure_columns(
    n: int, who: np.ndarray, what: np.ndarray, how_old: np.ndarray
) -> tuple[np.ndarray, pd.arrays.IntegerArray]:
    """A measure's value and age columns for the ``n`` firms of the registry: NaN and
    missing (not 0, which would read as this year's own) for a firm without a value."""
    column = np.full(n, np.nan)
    column[who] = what
    ages = np.zeros(n, dtype=np.int64)
    ages[who] = how_old
    mask = np.ones(n, dtype=bool)
    mask[who] = False
    return column, pd.arrays.IntegerArray(ages, mask)


def firm_figures(
    enterprises: pd.DataFrame,
    returns: pd.DataFrame,
    *,
    year: int | None = None,
    measures: tuple[str, ...] | list[str] = DEFAULT_MEASURES,
    carry_forward: bool = True,
    max_age: int | None = DEFAULT_MAX_AGE,
) -> pd.DataFrame:
    """``enterprises`` with two columns per measure added, as of Jalali ``year``.

    ``year`` defaults to the latest year in ``returns``. With ``carry_forward`` each
    firm's latest non-blank value at or before ``year`` is used if it is at most
    ``max_age`` years old (default 1: a firm that skipped 1403's return keeps its 1402
    headcount, not its 1401 one; ``None``: no limit; 0: ``year``'s own returns only);
    ``carry_forward=False`` is ``max_age=0``. Firms with no value
    stay NaN: the measures leave them out of sums but still count them as enterprises.
    Nominal money figures are taken as they are — a cross-section within one year needs
    no deflating.

    ``<measure>_age`` is how many years before ``year`` the
    value used was reported: 0 for ``year``'s own, 1 for one carried from the year
    before, missing where there is no value. ``attrs`` holds ``year``, ``max_age`` and
    ``too_old``: per measure, how many firms had only a value older than ``max_age``
    (left out) and what those values add up to.
    """
    require_frame(enterprises, "enterprises")
    require_frame(returns, "returns")
    measures = list(measures)
    max_age = check_max_age(max_age)
    if not carry_forward:
        max_age = 0
    _require_figure_columns(enterprises, returns, measures)
    position, return_codes = _registry_positions(enterprises, returns)
    years = _years(returns["year"])
    year = _as_of_year(year, years)
    firm = np.where(return_codes >= 0, position[np.maximum(return_codes, 0)], -1)
    rows = _rows_by_firm_and_year(returns, firm, years, year)
    owner, age = firm[rows], year - years[rows]
    out = enterprises.copy()
    too_old = {}
    for measure in measures:
        values = returns[measure].to_numpy(dtype=np.float64, na_value=np.nan)[rows]
        who, what, how_old, too_old[measure] = _latest_known(owner, age, values, max_age)
        column, ages = _figure_columns(len(out), who, what, how_old)
        out[measure] = column
        out[age_column(measure)] = ages
    out.attrs.update(year=year, max_age=max_age, too_old=too_old)
    return out
