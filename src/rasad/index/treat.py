"""Outlier treatment, as COINr's ``Treat()`` with its defaults (R/treat.R): per column,
check skewness and kurtosis; if they fail, winsorise; if that still fails, log-transform.

The rules, all taken from COINr because they decide which points move:

- A column fails when ``|skew| >= skew_thresh`` AND ``kurtosis >= kurt_thresh``
  (``check_SkewKurt``), with the type-2 sample estimators of :mod:`._stats`.
- Winsorisation (``winsorise``) works one value at a time: if skew is ``>= 0`` (zero
  included) the highest value is set to the next highest, otherwise the lowest to the
  next lowest; the check is redone after every step. Tied extremes move together, so
  one step can move several points and the count can end above ``winmax``.
- The count is the number of points currently pinned at the top plus those at the
  bottom (points pinned earlier are tied with the current extreme and so counted
  again), and winsorisation stops when the check passes or the count reaches
  ``winmax``.
- If it still fails, the fallback ``log_CT`` is applied to the ORIGINAL column (not
  the winsorised one; COINr's ``combine_treat = FALSE``): ``log(x - min + 0.01 (max -
  min))``. Its result is kept even if it fails the check too; the log records that.
- Where skewness or kurtosis cannot be computed (fewer than 3 or 4 values, or all
  values equal), R's NA ends COINr's treatment of that column with a warning and the
  column is returned untreated; here its outcome is ``"undefined"``.

``fallback="none"`` keeps the winsorised values of a column that still fails (COINr
without ``f2``).

The loop is COINr's, step by step, but a step does not cost a pass over the column: the
points a step can move are among the ``winmax + 1`` most extreme values at its end (and
their ties), found once by a partial sort (:class:`_End`), and the sums behind skewness
and kurtosis are updated by the points moved (:class:`_Moments`) instead of recomputed
over a million values. The updated statistics carry a bound on their rounding error;
a decision closer to a threshold than that bound is taken on the statistics recomputed
over the whole column, as is every statistic reported, so the points moved and the
figures reported are those of the plain recomputation after each step.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from rasad.index._stats import (
    PARALLEL_ROWS,
    as_matrix,
    central_sums,
    column_central_sums,
    column_ranges,
    map_columns,
    skew_kurt,
    skew_kurt_of_sums,
)

METHODS = ("none", "winsorise")
FALLBACKS = ("log", "none")


@dataclass(frozen=True)
class TreatDetail:
    """What happened to one column, with the statistics COINr reports.

    ``outcome``: ``"passed"`` (no treatment needed), ``"winsorised"`` (passes after
    winsorising), ``"winsorised_failing"`` (winsorised up to ``winmax``, still fails, no
    fallback), ``"log"`` (fallback applied) or ``"undefined"`` (statistics not
    computable; column left untreated). ``n_winsorised`` is COINr's ``nwin`` and is kept
    when the log replaced the winsorised values. The ``*_winsorised`` statistics are
    after winsorising, the ``*_after`` ones of the values returned; ``passed_*`` is
    None where R's test gives NA.
    """

    column: int
    outcome: str
    skew_before: float
    kurt_before: float
    passed_before: bool | None
    n_winsorised: int = 0
    skew_winsorised: float = np.nan
    kurt_winsorised: float = np.nan
    passed_winsorised: bool | None = None
    fallback_used: bool = False
    skew_after: float = np.nan
    kurt_after: float = np.nan
    passed_after: bool | None = None


@dataclass(frozen=True)
class TreatResult:
    """The treated matrix (``X`` itself when no column changed, or with
    ``overwrite_input``), the points whose returned value is a winsorised one (low or
    high end), the columns whose returned values are the log of the originals, and one
    :class:`TreatDetail` per column."""

    values: np.ndarray
    winsorised_low: np.ndarray
    winsorised_high: np.ndarray
    log_transformed: np.ndarray
    details: list[TreatDetail]


def treat(
    X,
    method: str = "winsorise",
    *,
    winmax: int = 5,
    skew_thresh: float = 2.0,
    kurt_thresh: float = 3.5,
    fallback: str = "log",
    overwrite_input: bool = False,
) -> TreatResult:
    """Treat every column of ``X`` for outliers by COINr's rule (see the module notes).
    With ``overwrite_input``, the treated columns are written into ``X`` itself, which is
    then the result's ``values``: the engine does so with a matrix of its own, sparing a
    copy of it."""
    X = as_matrix(X)
    if method not in METHODS:
        raise ValueError(f"unknown treatment method {method!r}; expected one of {METHODS}")
    if fallback not in FALLBACKS:
        raise ValueError(f"unknown treatment fallback {fallback!r}; expected one of {FALLBACKS}")
    if isinstance(winmax, bool) or not isinstance(winmax, (int, np.integer)) or winmax < 0:
        raise ValueError(f"winmax must be a non-negative integer, got {winmax!r}")
    n, k = X.shape
    order: Literal["C", "F"] = "F" if X.flags.f_contiguous else "C"
    low = np.zeros(X.shape, dtype=bool, order=order)
    high = np.zeros(X.shape, dtype=bool, order=order)
    logged = np.zeros(k, dtype=bool)
    if method == "none":
        return TreatResult(X, low, high, logged, [])
    mins, maxs = column_ranges(X, step=("outlier treatment", "درمان داده‌های پرت"))
    rule = _Rule(int(winmax), skew_thresh, kurt_thresh, fallback)
    # a small matrix's statistics before treatment in a few calls for all its columns
    sums = column_central_sums(X) if n < PARALLEL_ROWS and order == "F" else [None] * k

    def treat_column(j, scratch):
        return _treat_column(
            X[:, j], j, (mins[j], maxs[j]), rule, overwrite_input, scratch, sums[j]
        )

    values = X
    details = []
    for j, (detail, treated, low_rows, high_rows) in enumerate(
        map_columns(treat_column, k, n, scratch_rows=3)
    ):
        details.append(detail)
        if treated is None:
            continue
        if values is X and not overwrite_input:
            values = np.array(X, order="K", copy=True)
        if values is not X:
            values[:, j] = treated
        low[low_rows, j] = True
        high[high_rows, j] = True
        logged[j] = detail.fallback_used
    return TreatResult(values, low, high, logged, details)


@dataclass(frozen=True)
class _Rule:
    """COINr's treatment parameters, and the tests they make."""

    winmax: int
    skew_thresh: float
    kurt_thresh: float
    fallback: str

    def passes(self, skew: float, kurt: float) -> bool | None:
        """COINr's ``(abs(skew) < skew_thresh) | (kurt < kurt_thresh)`` in R's
        three-valued logic: one TRUE side suffices, NA (None) when undecided."""
        low_skew = None if math.isnan(skew) else abs(skew) < self.skew_thresh
        low_kurt = None if math.isnan(kurt) else kurt < self.kurt_thresh
        if low_skew or low_kurt:
            return True
        if low_skew is False and low_kurt is False:
            return False
        return None

    def decides(self, skew: float, kurt: float, skew_error: float, kurt_error: float) -> bool:
        """Whether statistics known to within these errors of their recomputation over
        the values fall on the same side as it of every threshold: the pass test and the
        choice of end (skew >= 0)."""
        margin = 4.0  # room for the terms a first-order error analysis leaves out
        return (
            abs(abs(skew) - self.skew_thresh) > margin * skew_error
            and abs(skew) > margin * skew_error
            and abs(kurt - self.kurt_thresh) > margin * kurt_error
        )


# the rows of an end no point was pinned at (shared, so read-only)
_NO_ROWS = np.empty(0, dtype=np.intp)
_NO_ROWS.flags.writeable = False


def _treat_column(
    column, j, extremes, rule: _Rule, overwrite: bool, scratch: np.ndarray, sums=None
):
    """One column's detail, its treated values (None when untouched; ``column`` itself,
    changed in place, with ``overwrite``) and the rows winsorised at each end.
    ``scratch``: three rows as long as the column, the first for the values being
    winsorised, then for their log, the others for the statistics' work. ``sums``:
    the column's :func:`central_sums` if known (it then has no missing values)."""
    rows = None  # None: every row has a value
    if sums is None:
        missing = np.isnan(column)
        rows = np.flatnonzero(~missing) if missing.any() else None
    v = column if rows is None else np.take(column, rows, out=scratch[0, : rows.size])
    moments = _Moments(v.size, max(abs(extremes[0]), abs(extremes[1])), scratch[1:])
    skew, kurt = moments.exact(v, sums)
    passed = rule.passes(skew, kurt)
    before = dict(column=j, skew_before=skew, kurt_before=kurt, passed_before=passed)
    if passed is None:
        return TreatDetail(outcome="undefined", **before), None, _NO_ROWS, _NO_ROWS
    if passed:
        detail = TreatDetail(
            outcome="passed", skew_after=skew, kurt_after=kurt, passed_after=True, **before
        )
        return detail, None, _NO_ROWS, _NO_ROWS

    w = v  # the values winsorised step by step: a copy, as the column keeps its own until the end
    if rows is None:
        w = scratch[0]
        w[:] = column
    skew, kurt, passed, ends = _winsorise(w, rule, moments, (skew, kurt))
    if passed is None:
        return TreatDetail(outcome="undefined", **before), None, _NO_ROWS, _NO_ROWS
    so_far = before | dict(
        n_winsorised=sum(end.pinned for end in ends.values()),
        skew_winsorised=skew,
        kurt_winsorised=kurt,
        passed_winsorised=passed,
    )
    if passed or rule.fallback == "none":
        outcome = "winsorised" if passed else "winsorised_failing"
        detail = TreatDetail(
            outcome=outcome, skew_after=skew, kurt_after=kurt, passed_after=passed, **so_far
        )
        return detail, *_pinned(column, rows, ends, overwrite)
    return _logged(column, rows, extremes, rule, overwrite, scratch, so_far)


def _pinned(column, rows, ends: dict[int, _End], overwrite: bool):
    """The column with its winsorised points set to the values their ends reached
    (``column`` itself with ``overwrite``, else a copy; ``rows``: the rows of the values
    winsorised, None for every row), and the rows pinned at the low and the high end."""
    treated = column if overwrite else column.copy()
    pinned = {sign: _NO_ROWS for sign in (1, -1)}
    for sign, end in ends.items():
        positions = end.positions[: end.pinned]
        pinned[sign] = positions if rows is None else rows[positions]
        treated[pinned[sign]] = sign * end.current
    return treated, pinned[-1], pinned[1]


def _logged(column, rows, extremes, rule: _Rule, overwrite: bool, scratch, so_far: dict):
    """The fallback for a column winsorising left failing: :func:`_treat_column`'s
    answer with COINr's ``log_CT`` of the ORIGINAL values, ``so_far`` the detail's
    statistics before and after winsorising. The logs go into scratch first when they
    are to replace the values, as the column stays untreated if their statistics are
    undefined."""
    lowest, highest = extremes
    treated = np.subtract(column, lowest, out=scratch[0] if overwrite else None)
    treated += 0.01 * (highest - lowest)
    np.log(treated, out=treated)
    skew, kurt = skew_kurt(treated if rows is None else treated[rows], scratch[1:])
    passed = rule.passes(skew, kurt)
    if passed is None:
        return TreatDetail(outcome="undefined", **so_far), None, _NO_ROWS, _NO_ROWS
    if overwrite:
        column[:] = treated
        treated = column
    detail = TreatDetail(
        outcome="log",
        fallback_used=True,
        skew_after=skew,
        kurt_after=kurt,
        passed_after=passed,
        **so_far,
    )
    return detail, treated, _NO_ROWS, _NO_ROWS


def _winsorise(w: np.ndarray, rule: _Rule, moments: _Moments, stats: tuple[float, float]):
    """COINr's loop on values ``w`` that fail the test, changed in place: while they fail
    and fewer than ``winmax`` points are pinned, the points at the end the skew points
    to take the next value inward. ``moments`` were just computed :meth:`~_Moments.exact`
    over ``w`` and gave ``stats`` (skewness, kurtosis). Returns the statistics of the
    last values (as :func:`skew_kurt` gives them), whether they pass (None: undefined),
    and the ends, keyed by sign (+1 top, -1 bottom), which know the points they pinned."""
    skew, kurt = stats
    passed: bool | None = False
    exact = True
    ends: dict[int, _End] = {}
    while True:
        if passed or sum(end.pinned for end in ends.values()) >= rule.winmax:
            if exact:
                return skew, kurt, passed, ends
            # the loop stops on statistics recomputed over the values, as it always did
            _write(w, ends)
            skew, kurt = moments.exact(w)
            passed, exact = rule.passes(skew, kurt), True
            if passed is None:
                return skew, kurt, None, ends
            continue
        sign = 1 if skew >= 0 else -1
        if sign not in ends:
            _write(w, ends)
            ends[sign] = _End(w, sign, rule.winmax + 1)
        moments.move(*ends[sign].step(w, ends))
        estimate = moments.estimate()
        if estimate is not None and rule.decides(*estimate):
            (skew, kurt), exact = estimate[:2], False
        else:
            _write(w, ends)
            skew, kurt = moments.exact(w)
            exact = True
        passed = rule.passes(skew, kurt)
        if passed is None:
            return skew, kurt, None, ends


def _write(w: np.ndarray, ends: dict[int, _End]) -> None:
    """Bring ``w`` up to date with the ends' steps, before it is read."""
    for end in ends.values():
        end.write(w)


class _End:
    """The top (``sign`` +1) or bottom (-1) end of the values being winsorised: the
    positions of its ``depth`` most extreme values and of every value tied with them,
    found by one partial sort and ordered from the outside in, with their values as
    ``keys`` (``sign`` × value, so larger is more extreme).

    A step moves the points at the current extreme, all of which are among these while
    fewer than ``depth`` = ``winmax + 1`` points are pinned, and the next value inward
    is the next key, except when the points found are all at the extreme (a run of ties
    at the cut); then one pass over the values finds it. The loop then has ``depth`` or
    more points pinned and stops.

    A step decided on the updated statistics reads nothing from the values, so its
    moves are written into them (:meth:`write`) only when they are read: the points
    pinned all hold the current extreme, whatever the steps that took them there."""

    def __init__(self, w: np.ndarray, sign: int, depth: int):
        self.sign = sign
        depth = min(depth, w.size)
        positions = _most_extreme(w, sign, depth)
        keys = sign * w[positions]
        order = np.argsort(-keys, kind="stable")
        self.positions, self.keys = positions[order], keys[order].tolist()
        self.inward = (-keys[order]).tolist()  # ascending, for bisect
        self.pinned = 0  # the first `pinned` positions hold `current`, in key terms
        self.current = self.keys[0]
        self.written = True  # whether ``w`` holds the points pinned at ``current``

    def step(self, w: np.ndarray, ends: dict[int, _End]) -> tuple[int, float, float]:
        """Move the points at the extreme to the next value inward (in ``w`` when it
        is next read; ``ends``: every end, brought up to date first if the values must
        be searched); returns how many points moved, and their value before and
        after."""
        extreme = self.current
        count = bisect.bisect_right(self.inward, -extreme)  # the keys >= extreme
        if count < len(self.keys):
            inward = self.keys[count]
        else:
            _write(w, ends)
            if self.sign > 0:
                inward = float(np.max(w, where=w < extreme, initial=-np.inf))
            else:
                inward = float(-np.min(w, where=w > -extreme, initial=np.inf))
        self.pinned, self.current, self.written = count, inward, False
        return count, self.sign * extreme, self.sign * inward

    def write(self, w: np.ndarray) -> None:
        """Set the points pinned to the current extreme in ``w``."""
        if not self.written:
            w[self.positions[: self.pinned]] = self.sign * self.current
            self.written = True


# A long column's most extreme values are looked for among those beyond the same
# extreme of every SAMPLE_STRIDE-th value (see _most_extreme)
SAMPLE_STRIDE = 64


def _most_extreme(w: np.ndarray, sign: int, depth: int) -> np.ndarray:
    """The positions, in order, of the ``depth`` highest values of ``w`` (``sign`` +1;
    the lowest for -1) and of every value tied with the last of them.

    A partial sort of a million values costs more than the rest of a column's
    treatment, so a long column is first cut down to the values at least as extreme as
    the ``depth``-th most extreme of every ``SAMPLE_STRIDE``-th value: as those are
    values of ``w``, ``depth`` values of ``w`` reach that mark, so the values sought are
    all among these candidates (a few hundred in data in any order), and the partial
    sort of the candidates finds the same cut as one of the whole column."""
    n = w.size
    candidates = None
    if n >= 8 * SAMPLE_STRIDE * depth:
        sample = w[::SAMPLE_STRIDE]
        kth = sample.size - depth if sign > 0 else depth - 1
        mark = np.partition(sample, kth)[kth]
        candidates = np.flatnonzero(w >= mark if sign > 0 else w <= mark)
        w = w[candidates]
    kth = w.size - depth if sign > 0 else depth - 1
    cut = np.partition(w, kth)[kth]
    positions = np.flatnonzero(w >= cut if sign > 0 else w <= cut)
    return positions if candidates is None else candidates[positions]


class _Moments:
    """The sums of the 1st to 4th powers of ``e = x - center`` over the values being
    winsorised, updated as points move, and the skewness and kurtosis they give.

    Rounding: every sum is within ``gamma`` times the sum of the absolute values of its
    terms of the exact one, ``gamma = (n + 16) ε`` holding for any order of summation
    (that of :func:`central_sums` included); ``bounds`` keeps those sums for the even
    powers (Cauchy–Schwarz bounds the odd ones by them), and the center, the computed
    mean, is itself off the true mean by up to ``gamma`` × the largest |x|. ``estimate``
    propagates all of it (to first order) to the statistics.
    """

    def __init__(self, n: int, largest: float, work: np.ndarray):
        self.n = n
        self.work = work  # two rows of n, for central_sums
        self.gamma = (n + 16) * float(np.finfo(np.float64).eps)
        self.largest = float(largest)  # of the |values|; winsorising only moves them inward
        # the sums (None once a move overflowed them) and bounds, in Python's floats: the
        # loop updates them a few times per step, where numpy's scalars cost several times
        # as much (``exact`` sets them)
        self.sums: list[float] | None = None
        self.bounds: list[float] = []
        self.center = 0.0
        self.terms = 0

    def exact(self, w: np.ndarray, sums=None) -> tuple[float, float]:
        """:func:`skew_kurt` of the values, which become the new base of the updates;
        from their :func:`central_sums` if given."""
        if self.n < 3:
            return skew_kurt(w)
        center, m2, s3, s4 = central_sums(w, self.work) if sums is None else sums
        self.center = float(center)
        self.sums = [0.0, float(m2), float(s3), float(s4)]
        # sums of |e|^2 and |e|^4 over every term summed so far
        self.bounds = [float(m2), float(s4)]
        self.terms = self.n
        return skew_kurt_of_sums(self.n, m2, s3, s4)

    def move(self, count: int, old: float, new: float) -> None:
        """``count`` values went from ``old`` to ``new``."""
        if self.sums is None:
            return
        a, b = float(old) - self.center, float(new) - self.center
        try:
            powers = [b ** (k + 1) - a ** (k + 1) for k in range(4)]
            bounds = a**4 + b**4
        except OverflowError:  # values beyond 1e77: left to the recomputation
            self.sums = None
            return
        self.sums = [total + count * power for total, power in zip(self.sums, powers, strict=True)]
        self.bounds[0] += count * (a * a + b * b)
        self.bounds[1] += count * bounds
        self.terms += 2 * count

    def estimate(self) -> tuple[float, float, float, float] | None:
        """Skewness and kurtosis from the sums, and bounds on how far each is from the
        value :meth:`exact` would give; None when the bounds are too loose to use."""
        if self.sums is None:
            return None
        try:
            return self._estimate(self.sums)
        except (OverflowError, ZeroDivisionError):  # where numpy's scalars gave inf or NaN
            return None

    def _estimate(self, sums: list[float]) -> tuple[float, float, float, float] | None:
        n, gamma = self.n, self.gamma
        p1, p2, p3, p4 = sums
        b2, b4 = self.bounds
        b1, b3 = math.sqrt(self.terms * b2), math.sqrt(b2 * b4)
        delta = p1 / n  # the mean, from the center
        m2 = p2 - delta * p1
        m3 = p3 - 3 * delta * p2 + 2 * n * delta**3
        m4 = p4 - 4 * delta * p3 + 6 * delta**2 * p2 - 3 * n * delta**4
        d = abs(delta)
        # error of the mean, ours or the recomputation's; the central sums' sensitivity
        # to it is -k × the (k-1)th central sum, zero for the 2nd
        mean_error = gamma * (b1 / n + 2 * self.largest)
        e2 = gamma * (b2 + 2 * d * b1) + n * mean_error**2
        e3 = gamma * (b3 + 3 * d * b2 + 2 * n * d**3) + 3 * b2 * mean_error
        e4 = gamma * (b4 + 4 * d * b3 + 6 * d * d * b2 + 3 * n * d**4) + 4 * b3 * mean_error
        if not e2 < 1e-3 * m2:
            return None
        skew, kurt = skew_kurt_of_sums(n, m2, m3, m4)
        skew_error = (
            math.sqrt(n)
            * math.sqrt(n * (n - 1))
            / (n - 2)
            * (e3 + 1.5 * abs(m3) * e2 / m2)
            / m2**1.5
        )
        kurt_error = (n + 1) * (n - 1) / ((n - 2) * (n - 3)) * n * (e4 + 2 * m4 * e2 / m2) / m2**2
        return skew, kurt, 2 * skew_error, 2 * kurt_error  # ours, plus the recomputation's own
