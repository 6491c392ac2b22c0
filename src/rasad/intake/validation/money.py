"""Money figures in million rials, whatever unit a header or a unit column states."""

from __future__ import annotations

import numpy as np

from ..problems import ERROR
from ..units import MILLION_RIALS
from .sheet import SheetCheck


def convert_money(s: SheetCheck, code: str, values: np.ndarray, row_units: list) -> np.ndarray:
    """Values in million rials: the header's unit, else the row's unit column, else as is."""
    header_unit = s.sheet.columns[code].unit
    if header_unit is not None:
        differ = (
            np.fromiter(
                (u is not None and u != header_unit for u in row_units), dtype=bool, count=s.n
            )
            if s.sheet.has("unit")
            else np.zeros(s.n, dtype=bool)
        )
        for i in np.flatnonzero(differ & ~np.isnan(values)).tolist():
            row_unit = row_units[i]
            s.add(i, "unit", s.raw("unit")[i], ERROR, "unit",
                  f"The unit column says {row_unit.name_en}, but the header of "
                  f"{s.sheet.columns[code].header!r} says {header_unit.name_en}.",
                  f"ستون واحد «{row_unit.name_fa}» می‌گوید اما سرستون "
                  f"«{s.sheet.columns[code].header}» «{header_unit.name_fa}».")  # fmt: skip
        if header_unit is MILLION_RIALS:
            return values
        f = header_unit.factor
        return values * f.numerator / f.denominator
    if not s.sheet.has("unit"):
        return values
    numerators = np.array([1 if u is None else u.factor.numerator for u in row_units], float)
    denominators = np.array([1 if u is None else u.factor.denominator for u in row_units], float)
    return values * numerators / denominators
