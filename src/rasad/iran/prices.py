"""Consumer price index by Jalali year, to turn nominal rials into real ones.

With 30–50% inflation a year, nominal sales growth says little: a firm whose sales
rose 35% in 1403 shrank in real terms. Growth indicators and multi-year comparisons
therefore divide by this index first. The bundled table is an approximation for the
demo (see ``data/README.md``); deployments should replace it with the official
Statistical Centre series.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from rasad.errors import RasadInputError
from rasad.iran._data import read_data
from rasad.iran.text import to_persian_digits


@functools.cache
def _deflator() -> pd.Series:
    table = read_data("deflator.csv", dtype={"year": "int64", "cpi": "float64"})
    return table.set_index("year")["cpi"]


def deflator() -> pd.Series:
    """The price index (1400 = 100) indexed by Jalali year."""
    return _deflator().copy()


def _unknown_years(years) -> RasadInputError:
    table = _deflator()
    first, last = int(table.index.min()), int(table.index.max())
    shown = ", ".join(f"{y:g}" for y in years[:5])
    return RasadInputError(
        f"No price index for year(s) {shown}: the deflator covers {first}–{last}.",
        f"شاخص قیمت برای سال(های) {to_persian_digits(shown)} موجود نیست: جدول تعدیل "
        f"سال‌های {to_persian_digits(str(first))} تا {to_persian_digits(str(last))} را دارد.",
        field="year",
        value=list(years[:5]),
    )


def to_real(values, years, base_year: int = 1400):
    """Express nominal ``values`` of the given Jalali ``years`` in ``base_year`` prices.

    Works element by element (by position) on scalars, arrays and Series; a Series
    of values keeps its index. A missing year (NaN) gives NaN, since a value with no
    date cannot be deflated; a year outside the table raises rather than guess the
    inflation.
    """
    table = _deflator()
    table_years = table.index.to_numpy(dtype=np.float64)
    year_array = np.asarray(years, dtype=np.float64)
    missing = np.isnan(year_array)
    unknown = ~(missing | np.isin(year_array, table_years))
    if unknown.any():
        raise _unknown_years(np.unique(year_array[unknown]).tolist())
    if base_year not in table.index:
        raise _unknown_years([base_year])
    positions = np.searchsorted(table_years, np.where(missing, table_years[0], year_array))
    factor = np.where(missing, np.nan, table[base_year] / table.to_numpy()[positions])
    real = np.asarray(values, dtype=np.float64) * factor
    if isinstance(values, pd.Series):
        return pd.Series(real, index=values.index, name=values.name)
    if real.ndim == 0:
        return float(real)
    return real
