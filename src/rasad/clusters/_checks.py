"""Checks and groupings shared by every cluster measure.

All measures cut the same firms by the same two keys (a region and a sector), so the
cutting is done once here: each firm gets an integer region code and an integer sector
code, and the measures work on those with ``np.bincount``. Labels are only looked up
for the few distinct values (at most a few hundred ISIC classes and a few hundred
estates), never per firm, which is what keeps a million firms well under a second.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rasad.errors import RasadInputError
from rasad.iran import ISIC_LEVELS, find_isic, find_province, isic, provinces, to_persian_digits

#: Region names accepted for ``region=`` and the column each reads.
REGION_COLUMNS = {"province": "province_code", "estate": "estate_code"}
#: The firm-count pseudo-measure: every firm counts 1.
ENTERPRISES = "enterprises"
_DEPTH = {level: depth for depth, level in enumerate(ISIC_LEVELS)}
_PREFIX = {"division": 2, "group": 3, "class": 4}


def fa(number) -> str:
    """A number written with Persian digits, for the Persian half of a message."""
    return to_persian_digits(str(number))


def require_frame(frame, field: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise RasadInputError(
            f"{field} must be a pandas DataFrame, not {type(frame).__name__}.",
            f"«{field}» باید یک جدول (DataFrame) باشد، نه {type(frame).__name__}.",
            field=field,
            value=type(frame).__name__,
        )
    return frame


def require_columns(frame: pd.DataFrame, columns: Iterable[str], field: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        names = ", ".join(missing)
        raise RasadInputError(
            f"{field} has no column {names}.",
            f"جدول «{field}» ستون {names} را ندارد.",
            field=missing[0],
            value=list(frame.columns),
        )


def fraction(value, field: str, *, low_open: bool = True) -> float:
    """A share in (0, 1] (or [0, 1] when ``low_open`` is false)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (0 < value <= 1 if low_open else 0 <= value <= 1)
    if not ok:
        low = "above 0" if low_open else "from 0"
        low_fa = "بیشتر از ۰" if low_open else "از ۰"
        raise RasadInputError(
            f"{field} must be a share {low} up to 1, not {value!r}.",
            f"«{field}» باید سهمی {low_fa} تا ۱ باشد، نه «{value}».",
            field=field,
            value=value,
        )
    return float(value)


def positive(value, field: str, *, allow_zero: bool = False) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value >= 0 if allow_zero else value > 0)
    if not ok:
        what, what_fa = (
            ("zero or more", "صفر یا بیشتر") if allow_zero else ("above zero", "بیشتر از صفر")
        )
        raise RasadInputError(
            f"{field} must be a number {what}, not {value!r}.",
            f"«{field}» باید عددی {what_fa} باشد، نه «{value}».",
            field=field,
            value=value,
        )
    return float(value)


def whole(value, field: str, low: int = 0, high: int | None = None) -> int:
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    ok = ok and low <= int(value) and (high is None or int(value) <= high)
    if not ok:
        upto = f" up to {high}" if high is not None else ""
        upto_fa = f" تا {fa(high)}" if high is not None else " یا بیشتر"
        raise RasadInputError(
            f"{field} must be a whole number from {low}{upto}, not {value!r}.",
            f"«{field}» باید عددی صحیح از {fa(low)}{upto_fa} باشد، نه «{value}».",
            field=field,
            value=value,
        )
    return int(value)


def choice(value, options: Iterable[str], field: str) -> str:
    options = tuple(options)
    if not isinstance(value, str) or value not in options:
        listed = ", ".join(options)
        raise RasadInputError(
            f"{field} must be one of {listed}, not {value!r}.",
            f"«{field}» باید یکی از این‌ها باشد: {listed}؛ نه «{value}».",
            field=field,
            value=value,
        )
    return value


def id_codes(*columns: pd.Series) -> np.ndarray:
    """One integer code per national ID across several columns (-1 for a blank).

    Matching IDs by factorising them together is several times faster than
    ``merge``/``isin``/``get_indexer`` on pandas' Arrow strings, which is what a
    million firms and five million returns need.
    """
    together = pd.concat([pd.Series(c).reset_index(drop=True) for c in columns], ignore_index=True)
    codes, _ = pd.factorize(together, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False)


def isin_ids(values: pd.Series, ids: pd.Series) -> np.ndarray:
    """Whether each of ``values`` is among ``ids`` (a blank never is)."""
    codes = id_codes(values, ids)
    mine, theirs = codes[: len(values)], codes[len(values) :]
    present = np.zeros(int(codes.max()) + 2 if len(codes) else 1, dtype=bool)
    present[theirs[theirs >= 0]] = True
    return (mine >= 0) & present[np.maximum(mine, 0)]


# --- regions and sectors ------------------------------------------------------------


@dataclass(frozen=True)
class Grouping:
    """Every firm's region and sector as integer codes, with their labels.

    ``region_codes`` is -1 for a firm in no region (outside any estate); such firms
    still count in national totals, because the economy a region is compared with is
    the whole economy, not only the estates.
    """

    region_column: str
    sector_column: str
    region_codes: np.ndarray
    regions: np.ndarray
    sector_codes: np.ndarray
    sectors: np.ndarray

    @property
    def n_regions(self) -> int:
        return len(self.regions)

    @property
    def n_sectors(self) -> int:
        return len(self.sectors)


def region_column(region) -> str:
    if not isinstance(region, str) or not region:
        raise RasadInputError(
            f"region must be 'province', 'estate' or a column name, not {region!r}.",
            f"«region» باید province، estate یا نام یک ستون باشد، نه «{region}».",
            field="region",
            value=region,
        )
    return REGION_COLUMNS.get(region, region)


def sector_column(level) -> tuple[str, str]:
    """(output column, input column): an ISIC level reads ``isic_class``."""
    if not isinstance(level, str) or not level:
        raise RasadInputError(
            f"level must be an ISIC level ({', '.join(ISIC_LEVELS)}) or a column name, "
            f"not {level!r}.",
            f"«level» باید یکی از سطوح ISIC ({', '.join(ISIC_LEVELS)}) "
            f"یا نام یک ستون باشد، نه «{level}».",
            field="level",
            value=level,
        )
    return (level, "isic_class") if level in ISIC_LEVELS else (level, level)


def _missing_error(column: str, count: int) -> RasadInputError:
    return RasadInputError(
        f"Column {column} is empty in {count} row(s); every firm needs one.",
        f"ستون «{column}» در {fa(count)} ردیف خالی است؛ هر بنگاه باید آن را داشته باشد.",
        field=column,
        value=count,
    )


def _factorize(values: pd.Series):
    codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=object)


@functools.cache
def _isic_codes() -> dict[str, tuple[str, str]]:
    table = isic()
    return {
        code: (level, section)
        for code, level, section in zip(
            table["code"], table["level"], table["section"], strict=True
        )
    }


def _isic_at(value, level: str) -> str:
    """The code of ``level`` that an ISIC code given at that level or finer falls in."""
    known = _isic_codes()
    text = value if isinstance(value, str) else None
    if text is None or text not in known:
        try:
            text = str(find_isic(value)["code"])
        except RasadInputError as error:
            raise RasadInputError(
                f"isic_class {value!r} is not an ISIC Rev.4 code.",
                f"«{value}» در ستون isic_class کد معتبر ISIC ویرایش ۴ نیست.",
                field="isic_class",
                value=value,
            ) from error
    own_level, section = known[text]
    if _DEPTH[own_level] < _DEPTH[level]:
        raise RasadInputError(
            f"isic_class {value!r} is an ISIC {own_level}, too coarse to group by {level}.",
            f"کد «{value}» در ستون isic_class در سطح {own_level} است و برای گروه‌بندی در سطح "
            f"{level} کلی است.",
            field="isic_class",
            value=value,
        )
    return section if level == "section" else text[: _PREFIX[level]]


def _sectors(firms: pd.DataFrame, level: str, column: str):
    codes, uniques = _factorize(firms[column])
    if (codes < 0).any():
        raise _missing_error(column, int((codes < 0).sum()))
    if level not in ISIC_LEVELS:
        return codes, uniques
    at_level = np.array([_isic_at(u, level) for u in uniques], dtype=object)
    level_codes, labels = pd.factorize(at_level, sort=True)
    return level_codes[codes], np.asarray(labels, dtype=object)


def _province_code(value, valid: set[int]) -> int:
    """A province code from a code (12, 12.0 after a CSV with blanks), name or ISO code."""
    if (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and float(value).is_integer()
        and int(float(value)) in valid
    ):
        return int(float(value))
    try:
        return int(find_province(value)["code"])
    except RasadInputError as error:
        raise RasadInputError(
            f"province_code {value!r} is not an Iranian province code (0–30) or name.",
            f"«{value}» در ستون province_code کد (۰ تا ۳۰) یا نام استانی از ایران نیست.",
            field="province_code",
            value=value,
        ) from error


def _regions(firms: pd.DataFrame, region: str, column: str, allow_missing: bool):
    values = firms[column]
    if region == "estate" and values.dtype != object and not pd.api.types.is_string_dtype(values):
        values = values.astype("string")
    if region == "estate" or pd.api.types.is_string_dtype(values):
        blank = (values.astype("string").str.strip() == "").fillna(False).astype(bool)
        values = values.mask(blank)
    codes, uniques = _factorize(values)
    if (codes < 0).any() and not allow_missing:
        raise _missing_error(column, int((codes < 0).sum()))
    if region == "province":
        valid = set(provinces()["code"].tolist())
        canonical = np.array([_province_code(u, valid) for u in uniques], dtype=np.int64)
        merged, labels = pd.factorize(canonical, sort=True)
        codes = np.where(codes >= 0, merged[np.maximum(codes, 0)], -1)
        uniques = np.asarray(labels)
    return codes, uniques


def group_firms(
    firms: pd.DataFrame, *, level: str, region: str, allow_missing_region: bool | None = None
) -> Grouping:
    """Factorise ``firms`` by region and sector, validating every distinct value.

    Provinces may be given by code, name or ISO code (they are read with
    :func:`rasad.iran.find_province`); ISIC codes as in :func:`rasad.iran.find_isic`.
    A missing region is allowed only for estates (a firm outside any estate).
    """
    require_frame(firms, "firms")
    out_sector, in_sector = sector_column(level)
    out_region = region_column(region)
    require_columns(firms, [out_region, in_sector], "firms")
    if allow_missing_region is None:
        allow_missing_region = region == "estate"
    sector_codes, sectors = _sectors(firms, level, in_sector)
    region_codes, regions = _regions(firms, region, out_region, allow_missing_region)
    return Grouping(out_region, out_sector, region_codes, regions, sector_codes, sectors)


def measure_values(firms: pd.DataFrame, measure) -> np.ndarray:
    """The measure per firm as float64, NaN where not reported; ``"enterprises"`` is 1.

    Negative values are refused: a location quotient or a Herfindahl index of negative
    employment or sales has no meaning, and such a value is a data-entry slip.
    """
    if measure == ENTERPRISES:
        return np.ones(len(firms))
    if not isinstance(measure, str) or not measure:
        raise RasadInputError(
            f"measure must be a column name or 'enterprises', not {measure!r}.",
            f"«measure» باید نام یک ستون یا enterprises باشد، نه «{measure}».",
            field="measure",
            value=measure,
        )
    require_columns(firms, [measure], "firms")
    column = firms[measure]
    if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
        raise RasadInputError(
            f"Column {measure} must hold numbers, not {column.dtype}.",
            f"ستون «{measure}» باید عدد داشته باشد، نه {column.dtype}.",
            field=measure,
            value=str(column.dtype),
        )
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isinf(values) | (values < 0)
    if bad.any():
        first = values[bad][0]
        raise RasadInputError(
            f"Column {measure} has {int(bad.sum())} negative or infinite value(s), e.g. {first:g}.",
            f"ستون «{measure}» {fa(int(bad.sum()))} مقدار منفی یا بی‌نهایت دارد، "
            f"مانند {fa(f'{first:g}')}.",
            field=measure,
            value=float(first),
        )
    return values


def age_column(measure: str) -> str:
    """The column of :func:`~rasad.clusters.firm_figures` that holds how many years old
    ``measure``'s value is (0: the year's own return; 1: carried from the year before)."""
    return f"{measure}_age"


def carried_flags(firms: pd.DataFrame, measure) -> np.ndarray | None:
    """Per firm, whether its ``measure`` was carried forward from an earlier year's
    return (its ``<measure>_age`` is above 0). ``None`` when ``firms`` does not say (no
    such column: firms not made by ``firm_figures``, or a CSV without it); all false for
    the ``"enterprises"`` count, which is the registry's, not a return's."""
    if measure == ENTERPRISES:
        return np.zeros(len(firms), dtype=bool)
    column = age_column(measure)
    if column not in firms.columns:
        return None
    ages = pd.to_numeric(firms[column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return ages > 0  # a missing age (no value at all) is not carried


def cell_columns(frame: pd.DataFrame, known: Iterable[str], field: str) -> tuple[str, str]:
    """The (region, sector) key columns of a table made by this package: the two
    columns that are not among its ``known`` figures. Works after a CSV round trip,
    where ``DataFrame.attrs`` are lost."""
    require_frame(frame, field)
    keys = [c for c in frame.columns if c not in set(known)]
    if len(keys) != 2:
        raise RasadInputError(
            f"{field} must have one region column and one sector column besides its figures; "
            f"found {keys}.",
            f"جدول «{field}» باید جز ارقامش یک ستون منطقه و یک ستون بخش داشته باشد؛ "
            f"این‌ها یافت شد: {keys}.",
            field=field,
            value=keys,
        )
    return keys[0], keys[1]
