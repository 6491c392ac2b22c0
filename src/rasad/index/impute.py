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
from functools import cached_property

import numpy as np

from rasad.index._stats import (
    PARALLEL_ROWS,
    Groups,
    as_matrix,
    column_ranges,
    map_columns,
    median,
)

METHODS = ("none", "mean", "median", "group_mean", "group_median")


@dataclass(frozen=True)
class ImputeResult:
    """The imputed matrix (``X`` itself, not a copy, when nothing was missing or the
    method is ``"none"``) and, per column, the rows that received a value and the rows
    that were missing (which a unit's coverage counts, whatever was filled in)."""

    values: np.ndarray
    imputed_rows: list[np.ndarray]
    missing_rows: list[np.ndarray]

    @cached_property
    def imputed_mask(self) -> np.ndarray:
        """Which cells received a value, as a matrix shaped and ordered like ``values``:
        made when asked for, as a million-row build has no use for it."""
        mask = np.zeros(
            self.values.shape, dtype=bool, order="F" if self.values.flags.f_contiguous else "C"
        )
        for j, rows in enumerate(self.imputed_rows):
            mask[rows, j] = True
        return mask


def impute(X, method: str, groups=None, *, overwrite_input: bool = False) -> ImputeResult:
    """Fill missing values by ``method`` (one of :data:`METHODS`); ``groups`` are the
    integer group codes the group methods need (-1: no group). With ``overwrite_input``,
    the values are filled into ``X`` itself (the engine does so with a matrix of its own,
    sparing a copy of it)."""
    X = as_matrix(X)
    if method not in METHODS:
        raise ValueError(f"unknown imputation method {method!r}; expected one of {METHODS}")
    grouped = method.startswith("group_")
    if grouped and groups is None:
        raise ValueError(f"{method!r} needs the group codes")
    if method == "none":
        missing = map_columns(
            lambda j, _: np.flatnonzero(np.isnan(X[:, j])), X.shape[1], X.shape[0]
        )
        return ImputeResult(X, [np.empty(0, dtype=np.intp)] * X.shape[1], missing)
    column_ranges(X, step=("imputation", "جانهی"))

    n, k = X.shape
    by = Groups(groups, n) if grouped else None
    # a small matrix's group medians in one sort per group, not one partition per group
    # and column (the missing values decide which columns use them)
    tables = (
        _group_median_tables(by, X)
        if by is not None and method == "group_median" and n < PARALLEL_ROWS
        else None
    )

    def fill(j, scratch):
        """The missing rows of column j and the values they take (None: none missing),
        filled in with ``overwrite_input``."""
        column = X[:, j]
        rows = np.flatnonzero(np.isnan(column))
        if not rows.size:
            return rows, None
        if method == "mean":
            filled = np.full(rows.size, column[~np.isnan(column)].mean())
        elif method == "median":
            filled = np.full(rows.size, median(column.copy(), n - rows.size))
        else:
            if method == "group_mean":
                table = _group_means(by, column, rows)
            elif tables is not None:
                table = tables[:, j]
            else:
                table = _group_medians(by, column, rows, scratch[0])
            filled = table.take(by.bins.take(rows))
        if overwrite_input:
            column[rows] = filled
        return rows, filled

    values = X
    imputed, missing = [], []
    for j, (rows, filled) in enumerate(
        map_columns(fill, k, n, scratch_rows=1 if method == "group_median" else 0)
    ):
        missing.append(rows)
        imputed.append(rows if filled is None else rows[~np.isnan(filled)])
        if filled is not None and not overwrite_input:
            if values is X:
                values = np.array(X, order="K", copy=True)
            values[rows, j] = filled
    return ImputeResult(values, imputed, missing)


def _group_means(by: Groups, column: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Mean of each group's present values: sums and counts in one ``bincount`` each
    (the missing rows, few, are taken off the group sizes)."""
    present = by.sizes - np.bincount(by.bins.take(rows), minlength=by.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = by.sum(np.where(np.isnan(column), 0.0, column)) / present
    means[0] = np.nan
    return means


def _group_medians(
    by: Groups, column: np.ndarray, rows: np.ndarray, scratch: np.ndarray
) -> np.ndarray:
    """Median of each group's present values, by a partial sort of each group's
    segment of the column gathered into ``scratch``: O(n) per column, a handful of
    calls per group."""
    _, starts = by.segments
    grouped = by.gather(column, out=scratch)
    present = by.sizes - np.bincount(by.bins.take(rows), minlength=by.size)
    medians = np.full(by.size, np.nan)
    for b in np.flatnonzero(present[1:]) + 1:
        medians[b] = median(grouped[starts[b] : starts[b + 1]], int(present[b]))
    return medians


def _group_median_tables(by: Groups, X: np.ndarray) -> np.ndarray:
    """:func:`_group_medians` of every column at once (bins × columns): each group's
    rows sorted in one call (NaN last), then per column the middle of its present
    values, averaged as R averages the two of an even count, so the same bits."""
    order, starts = by.segments
    grouped = X[order]
    tables = np.full((by.size, X.shape[1]), np.nan)
    for b in range(1, by.size):
        segment = np.sort(grouped[starts[b] : starts[b + 1]], axis=0)
        present = segment.shape[0] - np.count_nonzero(np.isnan(segment), axis=0)
        columns = np.flatnonzero(present)
        high = present[columns] // 2
        upper = segment[high, columns]
        lower = segment[np.maximum(high - 1, 0), columns]
        tables[b, columns] = np.where(present[columns] % 2 == 0, (lower + upper) / 2, upper)
    return tables
