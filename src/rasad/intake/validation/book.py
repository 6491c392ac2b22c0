"""Across sheets: one enterprise or return listed more than once."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from rasad.iran.text import to_persian_digits

from ..problems import ERROR, Problem, shown_value
from ..read import Column, Sheet
from ..report import ENTERPRISE_COLUMNS, empty_enterprises
from . import fallbacks
from .parameters import Checks

PERIOD_CODES = ("period", "year", "quarter")

# The enterprise columns that hold a code of what the sender wrote in another field.
_FIELD_OF_COLUMN = {"province_code": "province", "estate_code": "estate"}


class Book:
    """Problems that involve several rows, perhaps on several sheets."""

    def __init__(self, sheets: Sequence[Sheet], checks: Checks, problems: list[Problem]):
        self.sheets = {sheet.name: sheet for sheet in sheets}
        self.checks, self.problems = checks, problems

    def add(self, sheet: str, row: int, field: str | None, value, severity, code, en, fa):
        column: Column | None = self.sheets[sheet].columns.get(field) if field else None
        self.problems.append(
            Problem(
                sheet, int(row), column.header if column else None,
                None if value is None else shown_value(value), severity, en, fa, code, field,
                column.letter if column else None,
            )
        )  # fmt: skip

    def raw(self, sheet: str, row: int, field: str):
        s = self.sheets[sheet]
        if field not in s.values:
            return None
        index = int(np.searchsorted(s.rows, row))
        return s.values[field][index]


Repeats = Callable[[pd.DataFrame, np.ndarray, list, dict, np.ndarray], np.ndarray]


def merge_enterprises(book: Book, frames: list[pd.DataFrame], repeats: Repeats) -> pd.DataFrame:
    """One row per enterprise. ``repeats`` (:func:`repeats_in_agreement`) merges those
    repeated in agreement at once; the rows it leaves are compared one by one here."""
    if not frames:
        return empty_enterprises()
    allf = pd.concat(frames, ignore_index=True)
    seen: dict[str, int] = {}
    keep = np.ones(len(allf), dtype=bool)
    registry_only = {
        name: not any(
            c in sheet.columns for c in (*PERIOD_CODES, *book.checks.fields.indicator_codes)
        )
        for name, sheet in book.sheets.items()
    }
    values = allf[ENTERPRISE_COLUMNS[1:]].to_numpy(object)
    given = list(allf["_given"])
    sheets, rows = allf["_sheet"].tolist(), allf["_row"].tolist()  # one row's lookup per repeat
    national_ids = allf["national_id"].tolist()
    careful = repeats(allf, values, given, registry_only, keep)
    if len(careful) and fallbacks.watching():
        for sheet in dict.fromkeys(sheets[k] for k in careful.tolist()):
            at = [rows[k] for k in careful.tolist() if sheets[k] == sheet]
            fallbacks.record(sheet, "national_id", at, fallbacks.REPEATED_ENTERPRISE)
    for k in careful.tolist():
        national_id = national_ids[k]
        if national_id not in seen:
            seen[national_id] = k
            continue
        j = seen[national_id]
        keep[k] = False
        if not _report_repeat(book, registry_only, values, given, sheets, rows, national_id, k, j):
            # The same enterprise repeated identically beside each of its returns.
            given[j] = tuple(a or b for a, b in zip(given[j], given[k], strict=True))
            for c in range(len(ENTERPRISE_COLUMNS) - 1):
                if _missing(values[j, c]) and not _missing(values[k, c]):
                    values[j, c] = values[k, c]
    allf[ENTERPRISE_COLUMNS[1:]] = values
    return allf[keep].reset_index(drop=True)


def _report_repeat(
    book: Book, registry_only: dict, values: np.ndarray, given: list, sheets: list,
    rows: list, national_id: str, k: int, j: int,
) -> bool:  # fmt: skip
    """Report row ``k`` repeating row ``j``'s enterprise, if it states other details or
    both are on registry-only sheets; False if the repeat is harmless."""
    here, there = sheets[k], sheets[j]
    differs = [
        ENTERPRISE_COLUMNS[1 + c]
        for c in range(len(ENTERPRISE_COLUMNS) - 1)
        if given[k][c] and given[j][c] and not _same(values[k, c], values[j, c])
    ]
    first = f"{there}, row {rows[j]}"
    first_fa = f"برگه «{there}»، ردیف {rows[j]}"
    if differs:
        codes = [_FIELD_OF_COLUMN.get(column, column) for column in differs]
        specs = [book.checks.fields[code] for code in codes]
        field = codes[0]
        book.add(here, rows[k], field, book.raw(here, rows[k], field),
                 ERROR, "duplicate",
                 f"The enterprise {national_id} is listed again with different details "
                 f"({', '.join(spec.name_en for spec in specs)}) than in {first}; keep one row.",
                 f"بنگاه {national_id} دوباره با مشخصات متفاوت "
                 f"({'، '.join(spec.name_fa for spec in specs)}) نسبت به "
                 f"{first_fa} آمده است؛ یک ردیف را نگه دارید.")  # fmt: skip
        return True
    if registry_only[here] and registry_only[there]:
        book.add(here, rows[k], "national_id", national_id, ERROR, "duplicate",
                 f"The national ID {national_id} is listed twice (also in {first}); keep one "
                 "row.",
                 f"شناسه ملی {national_id} دو بار آمده است (در {first_fa} نیز)؛ یک ردیف را نگه "
                 "دارید.")  # fmt: skip
        return True
    return False


def repeats_in_agreement(
    allf: pd.DataFrame, values: np.ndarray, given: list, registry_only: dict, keep: np.ndarray
) -> np.ndarray:
    """Merge, all at once, the enterprises repeated in perfect agreement (the same
    details beside each of their returns, the usual file); return the rows of the
    others, in order, for the row-by-row comparison that says what differs.

    An enterprise agrees with itself when, in every column, the rows that state or
    hold a value all hold the same one, and it is not listed twice on registry-only
    sheets. Then comparing row by row would find nothing: its first row is kept,
    filled with the first value each column holds, and knows every column given.
    ``values``, ``given`` and ``keep`` are updated in place. Enterprises listed once
    need neither.
    """
    ids = allf["national_id"]
    repeated = (ids.duplicated(keep=False) & ids.notna()).to_numpy()
    if not repeated.any():
        return np.empty(0, dtype=np.int64)
    group = pd.factorize(ids)[0]
    stated = np.array(given, dtype=bool).reshape(len(allf), -1) | ~pd.isna(values)
    rows = np.flatnonzero(repeated)
    codes = np.column_stack(
        [pd.factorize(values[rows, c])[0] for c in range(values.shape[1])]
    ).astype(float)
    codes[~stated[rows]] = np.nan  # a row neither stating nor holding a value agrees with any
    distinct = pd.DataFrame(codes).groupby(group[rows]).nunique().max(axis=1)
    disagree = set(distinct.index[distinct.to_numpy() > 1].tolist())
    on_registry = allf["_sheet"].map(registry_only).to_numpy(dtype=bool) & repeated
    listed = pd.Series(group[on_registry]).value_counts()
    disagree.update(listed.index[listed.to_numpy() > 1].tolist())
    careful = repeated & np.isin(group, list(disagree))
    agreeing = np.flatnonzero(repeated & ~careful)
    firsts = agreeing[~pd.Series(group[agreeing]).duplicated().to_numpy()]
    keep[agreeing] = False
    keep[firsts] = True
    first_of = pd.Series(firsts, index=group[firsts])
    filled = (
        pd.DataFrame(values[agreeing]).groupby(group[agreeing]).first()
    )  # first non-missing value
    target = first_of.loc[filled.index].to_numpy()
    for c in range(values.shape[1]):
        column = filled[c].to_numpy(object)
        fill = pd.isna(values[target, c]) & ~pd.isna(column)
        values[target[fill], c] = column[fill]
    known = (
        pd.DataFrame(np.array(given, dtype=bool).reshape(len(allf), -1)[agreeing])
        .groupby(group[agreeing])
        .any()
    )
    for j, row in zip(first_of.loc[known.index].tolist(), known.to_numpy().tolist(), strict=True):
        given[j] = tuple(row)
    return np.flatnonzero(careful)


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _same(a, b) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    return a == b


def merge_returns(book: Book, frames: list[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame()
    allf = pd.concat(frames, ignore_index=True)
    keyed = allf["national_id"].notna() & allf["period"].notna()
    keys = allf.loc[keyed, ["national_id", "period"]]
    repeated = keys.duplicated(keep="first")
    if repeated.any():
        firsts = keys[~repeated].reset_index().set_index(["national_id", "period"])["index"]
        for k in keys.index[repeated.to_numpy()]:
            national_id, period = allf.at[k, "national_id"], allf.at[k, "period"]
            j = firsts.loc[(national_id, period)]
            there, row_j = allf.at[j, "_sheet"], allf.at[j, "_row"]
            book.add(allf.at[k, "_sheet"], allf.at[k, "_row"], "national_id", national_id, ERROR,
                     "duplicate",
                     f"The return of {national_id} for {period} appears twice (also in {there}, "
                     f"row {row_j}); keep one row.",
                     f"اظهارنامه {national_id} برای دوره {to_persian_digits(str(period))} دو بار "
                     f"آمده است (در برگه «{there}»، ردیف {to_persian_digits(str(row_j))} نیز)؛ یک "
                     "ردیف را نگه دارید.")  # fmt: skip
        drop = keys.index[repeated.to_numpy()]
        allf = allf.drop(index=drop).reset_index(drop=True)
    return allf
