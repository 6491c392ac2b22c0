"""What a check needs besides the file: the fields, reference data and the rules."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import jdatetime
import numpy as np
import pandas as pd

from rasad.methodologies import IndicatorSpec

from ..fields import FieldTable
from ..reference import Estates, national_id_text, previous_returns


@dataclass(frozen=True)
class UnitSlipRule:
    """When a money figure looks typed in the wrong unit: a jump by a power of 1000.

    A figure in rials where million rials were asked is 10⁶ times too big, one in
    thousand rials 10³ times. Real growth, even at 40% inflation, stays far from
    those factors, so a ratio to the previous return within ``tolerance`` of ×1000,
    ×10⁶ (or their inverses) is flagged as a warning; the sender confirms or fixes.
    """

    tolerance: float = 5.0

    def __post_init__(self):
        if isinstance(self.tolerance, bool) or not (
            isinstance(self.tolerance, numbers.Real) and 1 < self.tolerance < 30
        ):
            raise ValueError(
                f"UnitSlipRule.tolerance must lie between 1 and 30, not {self.tolerance!r}"
            )

    def exponent(self, ratio: np.ndarray) -> np.ndarray:
        """For each ratio new/old: 3 or 6 (a jump of 10³ or 10⁶), -3 or -6, or 0."""
        with np.errstate(divide="ignore", invalid="ignore"):
            log = np.log10(ratio)
        nearest = np.clip(np.round(log / 3) * 3, -6, 6)
        ok = (
            np.isfinite(log)
            & (nearest != 0)
            & (np.abs(log - nearest) <= math.log10(self.tolerance))
        )
        return np.where(ok, nearest, 0).astype(int)


@dataclass(frozen=True)
class Scope:
    """What the sender may write: returns of the ``enterprises`` listed (``None``: any),
    and new enterprises registered in the ``estates`` listed (``None``: anywhere; an
    empty set: none, so an enterprise user cannot register another firm). A row outside
    it is an error at that row, so a file is refused as a whole, never half-imported."""

    enterprises: frozenset[str] | None = None
    estates: frozenset[str] | None = None

    def __init__(self, enterprises: Iterable | None = None, estates: Iterable | None = None):
        object.__setattr__(
            self,
            "enterprises",
            None if enterprises is None else frozenset(national_id_text(v) for v in enterprises),
        )
        object.__setattr__(
            self, "estates", None if estates is None else frozenset(str(e) for e in estates)
        )


@dataclass(frozen=True)
class Checks:
    """Everything a check needs besides the file: catalogue fields and reference data.

    ``estates`` ``None`` means estates are not checked (the estate cell is kept as
    written); an empty table means no estate is known, so any estate is an error.
    ``known_enterprises`` ``None`` skips the check that a return's enterprise is
    registered (in the file or in this set).
    """

    fields: FieldTable
    estates: Estates | None = None
    previous: pd.DataFrame | None = None
    known_enterprises: frozenset[str] | None = None
    unit_slip: UnitSlipRule = UnitSlipRule()
    this_year: int = 0
    scope: Scope | None = None

    @classmethod
    def build(
        cls,
        *,
        catalogue: Sequence[IndicatorSpec] | None = None,
        estates=None,
        previous: pd.DataFrame | None = None,
        known_enterprises: Iterable | None = None,
        unit_slip: UnitSlipRule | None = None,
        scope: Scope | None = None,
    ) -> Checks:
        fields = FieldTable.from_catalogue(catalogue)
        return cls(
            fields=fields,
            estates=None if estates is None else Estates.from_data(estates),
            previous=previous_returns(previous, money_codes(fields)),
            known_enterprises=(
                None
                if known_enterprises is None
                else frozenset(national_id_text(v) for v in known_enterprises)
            ),
            unit_slip=unit_slip or UnitSlipRule(),
            this_year=jdatetime.date.today().year,
            scope=scope,
        )


def money_codes(fields: FieldTable) -> list[str]:
    """Money figures watched for unit slips: those that cannot be negative.

    Profits, equity and retained earnings cross zero, and a year near zero makes any
    ratio huge (4 → 1,826 is a recovery, not a slip), so they are left out.
    """
    return [
        f.code
        for f in fields.indicators
        if f.kind == "money"
        and f.indicator is not None
        and f.indicator.min_value is not None
        and f.indicator.min_value >= 0
    ]
