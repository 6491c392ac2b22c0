"""Statistics, per-group reductions and input checks shared by the step functions.

Skewness and kurtosis are COINr's ``skew()`` and ``kurt()`` (R/treat.R), which are
e1071's type-2 estimators (Excel's SKEW and KURT): the outlier rule compares them with
fixed thresholds, so any other estimator would winsorise different points than COINr.
The arithmetic follows COINr's order of operations; only the summation order differs
from R's (long double) sums, so values agree to a few units in the last place.
"""

from __future__ import annotations

import math
import os
import queue
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property

import numpy as np

from rasad.errors import RasadInputError

# Columns shorter than this are processed one after the other: their work is too short
# to repay handing it to a thread.
PARALLEL_ROWS = 50_000


class ColumnInputError(RasadInputError):
    """Bad input located by matrix position, so that the pipeline, which knows the
    indicator codes, can name the indicator (and the unit) without parsing text."""

    def __init__(
        self, message_en: str, message_fa: str, *, column: int, row: int | None = None, value=None
    ):
        self.column = column
        self.row = row
        super().__init__(message_en, message_fa, field=f"column {column}", value=value)


def as_matrix(X) -> np.ndarray:
    """The data as a 2-D float64 array, without copying when it already is one (the
    engine hands over Fortran-ordered matrices and every step keeps that layout)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"expected a 2-D (units × indicators) array, got {X.ndim} dimensions")
    return X


def column_ranges(
    X: np.ndarray,
    step: tuple[str, str] | None = None,
    what: tuple[str, str] = ("data", "داده‌ها"),
) -> tuple[np.ndarray, np.ndarray]:
    """Minimum and maximum of every column, missing values left out, checking the input
    on the way (one pass, which several steps need anyway).

    Raises on ±inf: every step treats NaN as 'missing', and an infinity would instead
    poison means, ranges and ranks silently. With ``step`` (its name, en and fa), also
    raises on a column with no values, which that step cannot process. ``what`` names
    the matrix in the message.
    """
    n, k = X.shape
    if n < PARALLEL_ROWS:  # one call per matrix: a call per column is most of the work here
        mins, maxs = np.fmin.reduce(X, axis=0), np.fmax.reduce(X, axis=0)
    else:
        extremes = map_columns(
            lambda j, _: (np.fmin.reduce(X[:, j]), np.fmax.reduce(X[:, j])), k, n
        )
        mins = np.array([low for low, _ in extremes], dtype=np.float64)
        maxs = np.array([high for _, high in extremes], dtype=np.float64)
    failing = np.isinf(mins) | np.isinf(maxs)
    if step is not None:
        failing |= np.isnan(mins)
    if not failing.any():
        return mins, maxs
    j = int(np.flatnonzero(failing)[0])  # the first column that fails, as a loop would find
    column = X[:, j]
    if np.isinf(mins[j]) or np.isinf(maxs[j]):
        i = int(np.flatnonzero(np.isinf(column))[0])
        raise ColumnInputError(
            f"Column {j} of the {what[0]} holds an infinite value (row {i}); "
            "use a missing value instead.",
            f"ستون {j} در {what[1]} مقدار بی‌نهایت دارد (سطر {i})؛ به جای آن مقدار خالی بگذارید.",
            column=j,
            row=i,
            value=float(column[i]),
        )
    assert step is not None  # only a step's columns fail for want of values
    raise ColumnInputError(
        f"Column {j} has no values, so {step[0]} is impossible.",
        f"ستون {j} هیچ مقداری ندارد، پس {step[1]} ممکن نیست.",
        column=j,
    )


def map_columns(function, k: int, n: int, scratch_rows: int = 0) -> list:
    """``[function(j, scratch) for j in range(k)]``, the columns shared among the cores
    when they have ``n >= PARALLEL_ROWS`` rows. The steps work column by column, and
    numpy releases the GIL inside its loops over large arrays (arithmetic, reductions,
    take, partition, sort), so two columns really proceed side by side. ``function``
    must only write to its own column and to ``scratch``, a ``(scratch_rows, n)`` work
    buffer lent to it for the call: one per worker, reused from column to column, as a
    fresh array of a million values costs page faults each time it is first written."""
    workers = min(os.cpu_count() or 1, k) if n >= PARALLEL_ROWS else 1
    if workers < 2:
        scratch = np.empty((scratch_rows, n))
        return [function(j, scratch) for j in range(k)]
    buffers: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()
    for _ in range(workers):
        buffers.put(np.empty((scratch_rows, n)))

    def run(j):
        scratch = buffers.get()
        try:
            return function(j, scratch)
        finally:
            buffers.put(scratch)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, range(k)))


def central_sums(
    values: np.ndarray, out: np.ndarray | None = None
) -> tuple[float, float, float, float]:
    """The mean of a vector that holds no NaN, and the sums of the squares, cubes and
    fourth powers of the deviations from it: what :func:`skew_kurt` is made of.
    ``out``, if given, holds the deviations and their squares (two rows at least as
    long as ``values``): a million-value column's two new arrays cost more in page
    faults than in arithmetic.

    The products are summed by ``einsum``, not ``np.dot``: BLAS would start threads of
    its own, which fight those of :func:`map_columns` for the cores. (Summing in
    cache-sized blocks is faster alone but slower in those threads: its many small
    numpy calls pass the GIL back and forth.)"""
    n = values.size
    mean = np.add.reduce(values) / n  # values.mean(), without its Python wrapper
    d = np.subtract(values, mean, out=None if out is None else out[0, :n])
    d2 = np.multiply(d, d, out=None if out is None else out[1, :n])
    return mean, np.add.reduce(d2), np.einsum("i,i->", d2, d), np.einsum("i,i->", d2, d2)


def column_central_sums(X: np.ndarray) -> list[tuple[float, float, float, float] | None]:
    """:func:`central_sums` of every column of a Fortran-ordered matrix without
    infinities, the same bits, None for a column with missing values (its mean is NaN).

    A small matrix's columns cost more in numpy calls than in arithmetic, so the means
    and the sums of squares are one reduction down the columns of the whole matrix:
    numpy sums each contiguous column pairwise, as it sums the column alone. The cubes
    and fourth powers stay one ``einsum`` per column, whose matrix form sums in
    another order."""
    if not X.flags.f_contiguous:
        raise ValueError("column_central_sums needs a Fortran-ordered matrix")
    n = X.shape[0]
    means = np.add.reduce(X, axis=0) / n
    d = np.subtract(X, means, order="F")
    d2 = np.multiply(d, d, order="F")
    m2 = np.add.reduce(d2, axis=0)
    return [
        None
        if np.isnan(means[j])
        else (
            means[j],
            m2[j],
            np.einsum("i,i->", d2[:, j], d[:, j]),
            np.einsum("i,i->", d2[:, j], d2[:, j]),
        )
        for j in range(X.shape[1])
    ]


def skew_kurt(values: np.ndarray, out: np.ndarray | None = None) -> tuple[float, float]:
    """Sample skewness and kurtosis of a vector that holds no NaN (``out``: as for
    :func:`central_sums`).

    NaN where COINr returns NA (fewer than 3 values for skewness, 4 for kurtosis) and
    where R's 0/0 gives NaN (all values equal).
    """
    n = values.size
    if n < 3:
        return np.nan, np.nan
    return skew_kurt_of_sums(n, *central_sums(values, out)[1:])


def skew_kurt_of_sums(n: int, m2: float, s3: float, s4: float) -> tuple[float, float]:
    """Skewness and kurtosis of ``n >= 3`` values from the sums of the 2nd, 3rd and 4th
    powers of their deviations from the mean, in COINr's order of operations.

    The treatment asks for these a few times per column and step, so a sum of squares
    well inside the float range takes Python's float arithmetic, several times faster
    than numpy's scalars and the same IEEE operations (``**`` is the C library's ``pow``
    in both); outside it (all values equal, overflow), where Python would raise rather
    than give numpy's NaN or infinity, numpy's."""
    if not 1e-150 < m2 < 1e150:
        return _skew_kurt_of_sums(n, m2, s3, s4)
    m2, s3, s4 = float(m2), float(s3), float(s4)
    skew = math.sqrt(n) * s3 / m2**1.5 * math.sqrt(n * (n - 1)) / (n - 2)
    if n < 4:
        return skew, math.nan
    r = n * s4 / m2**2
    return skew, ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))


def _skew_kurt_of_sums(n: int, m2: float, s3: float, s4: float) -> tuple[float, float]:
    """:func:`skew_kurt_of_sums` in numpy's scalars, which give NaN or infinity where
    the arithmetic fails."""
    with np.errstate(invalid="ignore", divide="ignore"):
        skew = np.sqrt(n) * s3 / m2**1.5 * np.sqrt(n * (n - 1)) / (n - 2)
        if n < 4:
            return float(skew), np.nan
        r = n * s4 / m2**2
        kurt = ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    return float(skew), float(kurt)


def column_skew_kurt(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`skew_kurt` of every column, missing values left out (COINr's ``na.rm = TRUE``)."""
    X = as_matrix(X)
    skew = np.empty(X.shape[1])
    kurt = np.empty(X.shape[1])
    for j in range(X.shape[1]):
        column = X[:, j]
        skew[j], kurt[j] = skew_kurt(column[~np.isnan(column)])
    return skew, kurt


class Groups:
    """Reference-group codes prepared once for the per-group reductions of a step.

    Codes come from ``pandas.factorize``: 0..G-1, and -1 for a unit without a group.
    Shifting them by one gives every unit a bin (bin 0 collects the group-less), so
    ``np.bincount`` (sums, counts) and one ``reduceat`` over the group-sorted column
    (extremes) reduce all groups in one pass, and a gather from a (G+1)-table spreads
    the results back to the units, without a Python loop over groups.

    The cached properties may be first asked for by two threads at once (the columns
    of a step run in threads): they are pure functions of the codes, so at worst both
    compute them.
    """

    def __init__(self, codes, n_units: int):
        codes = np.asarray(codes)
        if codes.shape != (n_units,) or not np.issubdtype(codes.dtype, np.integer):
            raise ValueError(
                f"groups must be {n_units} integer codes, got shape {codes.shape} of {codes.dtype}"
            )
        if n_units and codes.min() < -1:
            raise ValueError("group codes must be -1 (no group) or 0, 1, 2, …")
        self.bins = codes.astype(np.intp) + 1
        self.size = int(self.bins.max()) + 1 if n_units else 1

    @cached_property
    def sizes(self) -> np.ndarray:
        """Units per bin."""
        return np.bincount(self.bins, minlength=self.size)

    def count(self, present: np.ndarray) -> np.ndarray:
        """Number of present values per bin."""
        return np.bincount(self.bins, weights=present, minlength=self.size)

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Sum per bin (missing values must already be zeros)."""
        return np.bincount(self.bins, weights=values, minlength=self.size)

    def gather(self, column: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The column's values group by group (see :attr:`segments`), into ``out`` if
        given (the indices are valid, so ``mode="clip"`` only spares numpy a buffer)."""
        return column.take(self.segments[0], out=out, mode="clip")

    def reduce(self, ufunc, grouped: np.ndarray) -> np.ndarray:
        """``ufunc`` (e.g. ``np.fmin``) over each group of a :meth:`gather`-ed column;
        NaN for a group without values and for the group-less bin 0. One ``reduceat``
        over the non-empty groups' segments: faster than ``ufunc.at``, which also
        holds the GIL."""
        _, starts = self.segments
        table = np.full(self.size, np.nan)
        nonempty = np.flatnonzero(starts[1:-1] < starts[2:]) + 1
        if nonempty.size:
            table[nonempty] = ufunc.reduceat(grouped, starts[nonempty])
        return table

    def spread(self, table: np.ndarray) -> np.ndarray:
        """Each unit's entry of a per-bin table."""
        return table.take(self.bins)

    @cached_property
    def keys(self) -> np.ndarray:
        """The bins as sort keys: small integers sort stably by radix in O(n), a
        fraction of the cost of a general argsort."""
        return self.bins.astype(np.int16) if self.size < 2**15 else self.bins

    @cached_property
    def segments(self) -> tuple[np.ndarray, np.ndarray]:
        """A stable order that puts units group by group, and where each bin starts in
        it (``starts[b]:starts[b+1]``), for reductions that need a bin's values together
        (medians, ranks)."""
        order = np.argsort(self.keys, kind="stable")
        starts = np.zeros(self.size + 1, dtype=np.intp)
        np.cumsum(self.sizes, out=starts[1:])
        return order, starts


def median(values: np.ndarray, present: int) -> float:
    """R's median of the ``present`` non-NaN values in ``values`` (NaN sort last, so
    they never reach the middle): one partial sort, in place (``values`` may be
    reordered), then the largest value below the middle for an even count, whose two
    middle values R averages. Many values are first narrowed down by a sample
    (:func:`_median_by_sample`)."""
    high = present // 2
    if values.size >= SAMPLED_MEDIAN_ROWS:
        found = _median_by_sample(values, present, high)
        if found is not None:
            return found
    values.partition(high)
    if present % 2:
        return float(values[high])
    return float((values[:high].max() + values[high]) / 2)


# Vectors at least this long look for their median among the values between two of a
# sample of every MEDIAN_SAMPLE_STRIDE-th value.
SAMPLED_MEDIAN_ROWS = 8192
MEDIAN_SAMPLE_STRIDE = 16


def _median_by_sample(values: np.ndarray, present: int, high: int) -> float | None:
    """:func:`median` from the values between two order statistics of a sample that
    should bracket the middle (Floyd and Rivest's selection): two comparisons over the
    values and a partial sort of the few between them, where a partial sort of all
    of them costs several times as much. The middle values are order statistics of
    the whole, found among the bracketed ones after the count of those below, so they
    are the same values; None when the sample missed the middle (the caller sorts
    partially as usual) or when the bracket holds a zero, whose sign could depend on
    which partial sort placed it."""
    sample = values[::MEDIAN_SAMPLE_STRIDE]
    sample = sample[~np.isnan(sample)]
    if sample.size < 64:
        return None
    scale = sample.size / present
    margin = 3.0 * math.sqrt(sample.size) + 8.0
    low_rank = min(max(int((high - 1) * scale - margin), 0), sample.size - 1)
    high_rank = min(max(int(high * scale + margin) + 1, 0), sample.size - 1)
    sample.partition([low_rank, high_rank])
    low, top = sample[low_rank], sample[high_rank]
    if low <= 0.0 <= top:
        return None
    inside = values >= low  # NaN is neither below nor inside
    below = present - int(np.count_nonzero(inside))
    inside &= values <= top
    between = values[inside]
    middle = high - below  # the middle's place among the values between
    if below > (high - 1 if present % 2 == 0 else high) or middle >= between.size:
        return None
    between.partition(middle)
    if present % 2:
        return float(between[middle])
    return float((between[:middle].max() + between[middle]) / 2)
