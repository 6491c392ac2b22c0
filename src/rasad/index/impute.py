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
    # a small matrix's group medians in one sort, not one partition per group and
    # column (the missing values decide which columns use them)
    if by is not None and method == "group_median" and n < PARALLEL_ROWS:
        return _filled_from_tables(X, by, _group_median_tables(by, X), overwrite_input)

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


def _filled_from_tables(X: np.ndarray, by: Groups, tables: np.ndarray, overwrite: bool):
    """:func:`impute`'s result from a value per group bin and column (``tables``), in a
    few calls for the whole matrix where the column-by-column path makes a few per
    column: the same cells take the same values, and the rows come out column by
    column, in order, as that path lists them."""
    k = X.shape[1]
    columns, rows = np.nonzero(np.isnan(X).T)
    filled = tables[by.bins.take(rows), columns]
    values = X if overwrite or not rows.size else np.array(X, order="K", copy=True)
    values[rows, columns] = filled
    got = ~np.isnan(filled)
    return ImputeResult(
        values, _per_column(rows[got], columns[got], k), _per_column(rows, columns, k)
    )


def _per_column(rows: np.ndarray, columns: np.ndarray, k: int) -> list[np.ndarray]:
    """``rows`` split by their ``columns`` (sorted), one array per column."""
    ends = np.cumsum(np.bincount(columns, minlength=k)).tolist()
    return [rows[start:end] for start, end in zip([0, *ends[:-1]], ends, strict=True)]


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
    rows sorted (NaN last), then per column the middle of its present values, averaged
    as R averages the two of an even count, so the same bits.

    Groups of similar sizes are sorted in one call, each in a block as tall as the
    largest, padded with NaN (which sorts last, as missing values do, and is not
    counted); very unequal ones, whose padding would outweigh the values, and data
    holding a negative zero, which could come out of a different sort on the other
    side of a positive one, are sorted group by group."""
    order, starts = by.segments
    sizes = np.diff(starts)
    groups, k = by.size - 1, X.shape[1]
    widest = int(sizes[1:].max()) if groups else 0
    tables = np.full((by.size, k), np.nan)
    if not groups or not widest:
        return tables
    members = order[starts[1] :]  # the rows of units with a group, group by group
    if groups * widest > 2 * X.shape[0] or (np.signbit(X) & (X == 0)).any():
        return _group_median_tables_one_by_one(X[order], starts, tables)
    padded = np.full((groups, k, widest), np.nan)  # each group's columns contiguous
    within = np.arange(members.size) - np.repeat(starts[1:-1] - starts[1], sizes[1:])
    padded[by.bins[members] - 1, :, within] = X[members]
    padded.sort(axis=2)
    present = widest - np.count_nonzero(np.isnan(padded), axis=2)
    high = present // 2
    upper = np.take_along_axis(padded, high[:, :, None], axis=2)[:, :, 0]
    lower = np.take_along_axis(padded, np.maximum(high - 1, 0)[:, :, None], axis=2)[:, :, 0]
    medians = np.where(present % 2 == 0, (lower + upper) / 2, upper)
    tables[1:] = np.where(present > 0, medians, np.nan)
    return tables


def _group_median_tables_one_by_one(
    grouped: np.ndarray, starts: np.ndarray, tables: np.ndarray
) -> np.ndarray:
    """:func:`_group_median_tables` by one sort per group, into ``tables``."""
    for b in range(1, tables.shape[0]):
        segment = np.sort(grouped[starts[b] : starts[b + 1]], axis=0)
        present = segment.shape[0] - np.count_nonzero(np.isnan(segment), axis=0)
        columns = np.flatnonzero(present)
        high = present[columns] // 2
        upper = segment[high, columns]
        lower = segment[np.maximum(high - 1, 0), columns]
        tables[b, columns] = np.where(present[columns] % 2 == 0, (lower + upper) / 2, upper)
    return tables
