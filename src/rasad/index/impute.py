"""Imputation of missing values column by column, as COINr's ``Impute()`` with
``impute_by = "column"`` and its ``i_mean``, ``i_median``, ``i_mean_grp`` and
``i_median_grp`` (R/impute.R).

Group imputation follows COINr: a unit takes the mean (median) of its own group's
present values in that column. Where the whole group is missing in the column, COINr's
``mean(x, na.rm = TRUE)`` of nothing is NaN, so the value stays missing; a unit
without a group (code -1, COINr's NA in the grouping variable with ``skip_f_na =
TRUE``) is left alone. Both stay visible: ``imputed_mask`` is False there and the value
is still NaN, for the screening step and the caller's log to see.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rasad.index._stats import Groups, as_matrix, column_ranges, median

METHODS = ("none", "mean", "median", "group_mean", "group_median")


@dataclass(frozen=True)
class ImputeResult:
    """The imputed matrix (``X`` itself, not a copy, when nothing was missing or the
    method is ``"none"``) and which cells received a value."""

    values: np.ndarray
    imputed_mask: np.ndarray


def impute(X, method: str, groups=None) -> ImputeResult:
    """Fill missing values by ``method`` (one of :data:`METHODS`); ``groups`` are the
    integer group codes the group methods need (-1: no group)."""
    X = as_matrix(X)
    if method not in METHODS:
        raise ValueError(f"unknown imputation method {method!r}; expected one of {METHODS}")
    grouped = method.startswith("group_")
    if grouped and groups is None:
        raise ValueError(f"{method!r} needs the group codes")
    if method == "none":
        return ImputeResult(X, np.zeros(X.shape, dtype=bool))
    column_ranges(X, step=("imputation", "جانهی"))

    values = X
    mask = np.zeros(X.shape, dtype=bool, order="F" if X.flags.f_contiguous else "C")
    by = Groups(groups, X.shape[0]) if grouped else None
    for j in range(X.shape[1]):
        column = X[:, j]
        rows = np.flatnonzero(np.isnan(column))
        if not rows.size:
            continue
        if method == "mean":
            fill = column[~np.isnan(column)].mean()
        elif method == "median":
            fill = median(column, column.size - rows.size)
        else:
            table = _group_means(by, column, rows) if method == "group_mean" else _group_medians(by, column, rows)
            fill = table.take(by.bins.take(rows))
        if values is X:
            values = np.array(X, order="K", copy=True)
        values[rows, j] = fill
        mask[rows, j] = ~np.isnan(fill)
    return ImputeResult(values, mask)


def _group_means(by: Groups, column: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Mean of each group's present values: sums and counts in one ``bincount`` each
    (the missing rows, few, are taken off the group sizes)."""
    present = by.sizes - np.bincount(by.bins.take(rows), minlength=by.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = by.sum(np.where(np.isnan(column), 0.0, column)) / present
    means[0] = np.nan
    return means


def _group_medians(by: Groups, column: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Median of each group's present values, by a partial sort of each group's
    segment: O(n) per column, a handful of calls per group."""
    _, starts = by.segments
    grouped = by.gather(column)
    present = by.sizes - np.bincount(by.bins.take(rows), minlength=by.size)
    medians = np.full(by.size, np.nan)
    for b in np.flatnonzero(present[1:]) + 1:
        medians[b] = median(grouped[starts[b]:starts[b + 1]], int(present[b]))
    return medians
