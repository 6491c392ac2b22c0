"""Screening of units by data availability, as COINr's ``Screen(unit_screen = "byNA")``
(R/screen_units.R).

COINr's availability is ``1 - n_missing / n_indicators`` and a unit is dropped when
that is strictly below the threshold, so a unit exactly at the threshold stays. The
same expression is used here, not ``n_present / n_indicators``: the two differ in the
last bit (1 - 1/3 is not 2/3 in floating point), which decides units that sit exactly
on a threshold such as 2/3. Forced inclusions are applied first and forced exclusions
last, so a unit in both lists is excluded, as in COINr.

Only presence matters here: an infinite value counts as present and is left for the
later steps to reject.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rasad.errors import RasadInputError
from rasad.index._stats import as_matrix, map_columns


@dataclass(frozen=True)
class ScreenResult:
    """Which units stay, and each unit's data availability (share of indicators present)."""

    keep_mask: np.ndarray
    coverage: np.ndarray


def screen(X, threshold: float, include=(), exclude=(), unit_ids=None) -> ScreenResult:
    """Keep units whose availability is at least ``threshold`` (0–1), then force the
    units named in ``include`` in and those in ``exclude`` out (ids from ``unit_ids``)."""
    X = as_matrix(X)
    if not 0 <= threshold <= 1:
        raise RasadInputError(
            f"The data-availability threshold must be between 0 and 1, not {threshold}.",
            f"آستانهٔ پوشش داده باید بین ۰ و ۱ باشد، نه {threshold}.",
            field="threshold",
            value=threshold,
        )
    n, k = X.shape
    n_missing = np.zeros(n, dtype=np.intp)
    # after imputation, most columns have nothing to count: find those that do side by side
    for j, missing in enumerate(map_columns(lambda j, _: np.isnan(X[:, j]).any(), k, n)):
        if missing:
            n_missing += np.isnan(X[:, j])
    coverage = 1 - n_missing / k if k else np.ones(n)
    keep = coverage >= threshold
    if len(include) or len(exclude):
        if unit_ids is None:
            raise ValueError("forcing units in or out needs their ids")
        unit_ids = np.asarray(unit_ids)
        keep[_named(unit_ids, include, "include")] = True
        keep[_named(unit_ids, exclude, "exclude")] = False
    return ScreenResult(keep, coverage)


def _named(unit_ids: np.ndarray, names, field: str) -> np.ndarray:
    """Mask of the units named, refusing names that match no unit (COINr stops too):
    a misspelt id would otherwise silently force nothing."""
    names = list(names)
    mask = np.isin(unit_ids, names)
    unknown = sorted(set(names) - set(unit_ids[mask].tolist()), key=str)
    if unknown:
        listed = ", ".join(map(str, unknown))
        raise RasadInputError(
            f"Units to {field} not found in the data: {listed}.",
            f"این واحدها برای {'گنجاندن اجباری' if field == 'include' else 'حذف اجباری'} در "
            f"داده‌ها نیستند: {listed}.",
            field=field,
            value=unknown,
        )
    return mask
