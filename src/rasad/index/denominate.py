"""Denomination: extensive figures (sales, exports, staff) divided by a size measure so
that large and small units compare on intensity, as COINr's ``Denominate()`` does
(R/denominate.R): ``x / (denominator / ScaleFactor)``, column by column.

COINr lets R divide by zero (giving ±Inf or NaN) and carries on; an infinity would then
wreck every later step, so here a zero denominator leaves the value missing and is
reported, so that the caller can log which unit lost which value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rasad.index._stats import as_matrix, column_ranges


@dataclass(frozen=True)
class DenominateResult:
    """The denominated matrix and every (unit index, column index) whose present value
    was lost to a zero denominator."""

    values: np.ndarray
    zero_denominators: list[tuple[int, int]]


def denominate(X, denominators, scale=None) -> DenominateResult:
    """Divide each denominated column of ``X`` by its denominator.

    ``denominators`` has the shape of ``X``; a column that is all NaN there is not
    denominated and comes back unchanged (so a denominated column whose denominator is
    missing for every unit cannot be told apart: the caller must check that). A NaN
    denominator in a denominated column makes that value missing, as in COINr.
    ``scale`` is COINr's ``ScaleFactor`` per column (NaN or None: 1): the result is
    ``x / (d / scale)``, in that order, so that it agrees with COINr bit for bit.
    """
    X = as_matrix(X)
    D = as_matrix(denominators)
    if D.shape != X.shape:
        raise ValueError(f"denominators have shape {D.shape}, the data {X.shape}")
    k = X.shape[1]
    scale = np.ones(k) if scale is None else np.asarray(scale, dtype=np.float64)
    if scale.shape != (k,):
        raise ValueError(f"scale needs one factor per column ({k}), got shape {scale.shape}")
    scale = np.where(np.isnan(scale), 1.0, scale)
    if not (np.isfinite(scale) & (scale != 0)).all():
        raise ValueError(f"scale factors must be finite and non-zero, got {scale}")
    column_ranges(X)
    _, highest = column_ranges(D, what=("denominators", "مخرج‌ها"))
    denominated = ~np.isnan(highest)

    values = np.array(X, order="K", copy=True)
    zeros: list[tuple[int, int]] = []
    for j in np.flatnonzero(denominated):
        d = D[:, j] if scale[j] == 1 else D[:, j] / scale[j]
        out = values[:, j]
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(X[:, j], d, out=out)
        zero = d == 0
        if zero.any():
            out[zero] = np.nan
            zeros.extend((int(i), int(j)) for i in np.flatnonzero(zero & ~np.isnan(X[:, j])))
    zeros.sort()
    return DenominateResult(values, zeros)
