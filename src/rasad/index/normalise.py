"""Normalisation onto a common scale, as COINr's ``Normalise()`` and its ``n_*``
functions (R/normalise.R), optionally within reference groups (e.g. per sector).

COINr's order is kept: each column is first multiplied by its direction (so that
higher is better), then normalised. Distance to target and goalposts follow COINr's
``use_iMeta`` route, which flips the target and the goalposts with the direction:
for a direction of -1 the score is ``(max - x) / (max - target)`` and
``(high - x) / (high - low)``.

Where a method is undefined for a reference group (all values equal for min-max,
a standard deviation of zero, a single value for percentile ranks, a target equal to
the worst value, a maximum of zero for fraction of max), COINr's arithmetic gives NaN
(or ±Inf, here also NaN); those values are left missing and every such case is listed
in ``warnings``, so nothing disappears silently. Within groups, a unit without a group
(code -1) has no reference and is left missing, with a warning.

Two additions of Rasad's, for rankings that must be defensible unit by unit:

- ``percentile``: the mid-distribution percentile, ``scale`` × (the share of the
  reference below the value + half the share equal to it). Its mean over any reference
  is exactly ``scale``/2 whatever the distribution (ties and yes/no indicators
  included), so within groups every group's scores average the same; and it does not
  drift with the reference's size, as extremes do. (COINr's ``n_prank`` is
  ``percentile_rank``: (min-rank − 1)/(n − 1), which gives 0 and 1 at the ends of every
  group and so does not neutralise a yes/no indicator.)
- ``missing="lowest"`` (order methods only): a missing value joins the reference below
  every reported value, all missing ones tied. Leaving a figure blank then never raises
  the unit's score, and only raises the others': for min-max or z-scores no such rule
  exists, as dropping a unit's value moves the reference's extremes or mean.

COINr has no group option: "within groups" means COINr's function applied to each
group's units alone (goalposts are fixed bounds, so groups change nothing there).
Group statistics come from one pass per column over all groups (``bincount``, and
``reduceat`` over the group-sorted column), not from a loop over groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from rasad.index._stats import (
    PARALLEL_ROWS,
    ColumnInputError,
    Groups,
    as_matrix,
    column_ranges,
    map_columns,
)
from rasad.index.methods import MISSING_RULES, NORMALISE_METHODS, ORDER_METHODS

METHODS = NORMALISE_METHODS
MISSING = MISSING_RULES
DEFAULTS = {
    "range": (0.0, 100.0),  # minmax: [l, u]
    "mean": 0.0,
    "sd": 1.0,  # zscore
    # goalposts: (k, 2) [low, high]; COINr's scale (it has no default; 100 as for minmax);
    # cap to the posts
    "goalposts": None,
    "scale": 100.0,
    "trunc": True,
    "targets": None,
    "cap_max": False,  # distance_to_target: (k,) targets; cap scores at 1
    "missing": "keep",  # or "lowest", for ORDER_METHODS: below every reported value, tied
}

_REASONS = {
    "zero_range": (
        "all values are equal, so the score is undefined; left missing",
        "همهٔ مقدارها برابرند، پس امتیاز تعریف نمی‌شود؛ خالی ماند",
    ),
    "zero_sd": (
        "the standard deviation is zero, so the z-score is undefined; left missing",
        "انحراف معیار صفر است، پس امتیاز استاندارد تعریف نمی‌شود؛ خالی ماند",
    ),
    "single_value": (
        "there is only one value, so the score is undefined; left missing",
        "فقط یک مقدار هست، پس امتیاز تعریف نمی‌شود؛ خالی ماند",
    ),
    "target_at_worst": (
        "the target equals the worst value, so distance to target is undefined; left missing",
        "هدف با بدترین مقدار برابر است، پس فاصله تا هدف تعریف نمی‌شود؛ خالی ماند",
    ),
    "target_beyond_worst": (
        "the target is worse than the worst value, so scores are negative",
        "هدف از بدترین مقدار هم بدتر است، پس امتیازها منفی‌اند",
    ),
    "zero_max": (
        "the best value is zero, so fraction of max is undefined; left missing",
        "بهترین مقدار صفر است، پس نسبت به بیشینه تعریف نمی‌شود؛ خالی ماند",
    ),
    "negative_max": (
        "the best value is negative, so fraction of max reverses the order",
        "بهترین مقدار منفی است، پس نسبت به بیشینه ترتیب را وارونه می‌کند",
    ),
    "no_group": (
        "units without a reference group cannot be normalised within groups; left missing",
        "واحدهای بدون گروه مرجع در گروه نرمال نمی‌شوند؛ خالی ماندند",
    ),
}


@dataclass(frozen=True)
class NormaliseWarning:
    """A column (None: every column) and reference group (code; None: the whole
    column) where the method is undefined or misleading, with the reason code of
    ``_REASONS`` and the number of units concerned."""

    column: int | None
    group: int | None
    reason: str
    units: int
    message_en: str
    message_fa: str


@dataclass(frozen=True)
class NormaliseResult:
    """The normalised matrix (same memory order as the input) and the warnings."""

    values: np.ndarray
    warnings: list[NormaliseWarning]


def normalise(
    X, method: str, directions, *, params=None, groups=None, overwrite_input: bool = False
) -> NormaliseResult:
    """Normalise every column of ``X`` by ``method`` (one of :data:`METHODS`) after
    multiplying it by its direction (+1 or -1 per column), within the reference groups
    given by integer ``groups`` codes if any. ``params`` overrides :data:`DEFAULTS`.
    With ``overwrite_input``, the scores are written into ``X`` itself (the engine does
    so with a matrix of its own, sparing a new one)."""
    X = as_matrix(X)
    n, k = X.shape
    p = _settings(method, params)
    lowest = p["missing"] == "lowest"
    directions = _directions(directions, k)
    mins, maxs = column_ranges(X, step=("normalisation", "نرمال‌سازی"))
    by = Groups(groups, n) if groups is not None else None
    bounds = _directed_bounds(method, p, directions)
    out = X if overwrite_input else np.empty_like(X)
    if _fits_whole_matrix(X, method, lowest, by):
        return _no_group_warning(by, _whole_matrix(X, method, directions, p, (mins, maxs), by, out))

    def normalise_column(j, scratch):
        """Column j's scores, into ``out``; its warnings. ``scratch``: the column times
        its direction (a copy when the scores are to replace it, as the statistics read
        it until the last score is written), and its values group by group."""
        warnings: list[NormaliseWarning] = []
        direction = directions[j]
        copy = overwrite_input or direction != 1 or lowest
        c = np.multiply(X[:, j], direction, out=scratch[0]) if copy else X[:, j]
        if lowest:  # below every reported value, tied; the column's extremes are not used
            c[np.isnan(c)] = -np.inf
        extremes = (mins[j], maxs[j]) if direction == 1 else (-maxs[j], -mins[j])
        ref = _Reference(j, c, by, warnings, extremes, scratch[1])
        _score(method, p, c, ref, out[:, j], None if bounds is None else bounds[j])
        return warnings

    warnings = [w for column in map_columns(normalise_column, k, n, scratch_rows=2) for w in column]
    return _no_group_warning(by, NormaliseResult(out, warnings))


def _settings(method: str, params) -> dict:
    """:data:`DEFAULTS` overridden by ``params``; an unknown method or parameter, or a
    missing-value rule the method cannot follow, is refused before any work."""
    if method not in METHODS:
        raise ValueError(f"unknown normalisation method {method!r}; expected one of {METHODS}")
    unknown = set(params or {}) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown normalisation parameters: {sorted(unknown)}")
    p = DEFAULTS | dict(params or {})
    if p["missing"] not in MISSING:
        raise ValueError(f"missing must be one of {MISSING}, got {p['missing']!r}")
    if p["missing"] == "lowest" and method not in ORDER_METHODS:
        raise ValueError(
            f"missing='lowest' needs an order method ({', '.join(ORDER_METHODS)}), not {method!r}"
        )
    return p


def _directions(directions, k: int) -> np.ndarray:
    directions = np.asarray(directions, dtype=np.float64)
    if directions.shape != (k,) or not np.isin(directions, (-1.0, 1.0)).all():
        raise ValueError(f"directions must be {k} values of +1 or -1, got {directions}")
    return directions


def _directed_bounds(method: str, p: dict, directions: np.ndarray) -> np.ndarray | None:
    """Per column, what goalposts or distance to target measure against, flipped with
    the column's direction (COINr's ``use_iMeta`` route): the goalposts as [low, high],
    a direction of -1 making them [-high, -low], or the target times the direction;
    None for the other methods."""
    k = directions.size
    if method == "goalposts":
        posts = _goalposts(p, k)
        return np.where(directions[:, None] == 1, posts, -posts[:, ::-1])
    if method == "distance_to_target":
        return _targets(p, k) * directions
    return None


def _fits_whole_matrix(X: np.ndarray, method: str, lowest: bool, by: Groups | None) -> bool:
    """Whether :func:`_whole_matrix` gives the per-column path's scores, faster: a small
    matrix, by min-max, or by z-scores without groups or missing values."""
    return (
        not lowest
        and X.shape[0] < PARALLEL_ROWS
        and (method == "minmax" or (method == "zscore" and by is None and not np.isnan(X).any()))
    )


def _score(method: str, p: dict, c: np.ndarray, ref: _Reference, o: np.ndarray, bound) -> None:
    """The scores of the directed column ``c`` into ``o``; ``bound``: the column's
    directed goalposts or target (:func:`_directed_bounds`)."""
    if method in ORDER_METHODS:
        _order_scores(method, ref, o, p["scale"])
    elif method in ("minmax", "zscore", "goalposts"):
        _rescaled_scores(method, p, c, ref, o, bound)
    else:
        _distance_scores(method, c, ref, o, bound, p["cap_max"])


def _rescaled_scores(method: str, p: dict, c, ref: _Reference, o: np.ndarray, posts) -> None:
    """Min-max, z-score and goalposts: the column shifted and scaled."""
    if method == "minmax":
        low, high = p["range"]
        np.subtract(c, ref.low, out=o)
        o /= ref.width("zero_range")
        o *= high - low
        o += low
    elif method == "zscore":
        mean, sd = ref.mean_sd()
        np.subtract(c, mean, out=o)
        o /= sd
        o *= p["sd"]
        o += p["mean"]
    else:  # goalposts
        low, high = posts
        np.subtract(c, low, out=o)
        o /= high - low
        if p["trunc"]:
            np.clip(o, 0.0, 1.0, out=o)
        o *= p["scale"]


def _order_scores(method: str, ref: _Reference, o: np.ndarray, scale: float) -> None:
    """Rank, percentile rank and percentile: the column's order alone."""
    if method == "rank":
        o[:] = ref.ranks()
    elif method == "percentile_rank":
        np.subtract(ref.ranks(), 1.0, out=o)
        o /= ref.nonzero(ref.counts - 1.0, "single_value", spread=True)
    else:  # percentile
        np.divide(ref.ranks(mid=True), ref.spread_counts, out=o)
        o *= scale


def _distance_scores(method: str, c, ref: _Reference, o: np.ndarray, target, cap: bool) -> None:
    """Distance to max, distance to target and fraction of max: the column against its
    best value or a target."""
    if method == "distance_to_max":
        np.subtract(ref.high, c, out=o)
        o /= ref.width("zero_range")
        np.subtract(1.0, o, out=o)
    elif method == "distance_to_target":
        ref.flag(ref.low_table > target, "target_beyond_worst")
        np.subtract(c, ref.low, out=o)
        o /= ref.nonzero(target - ref.low_table, "target_at_worst", spread=True)
        if cap:
            np.minimum(o, 1.0, out=o)
    else:  # fraction_of_max
        ref.flag(ref.high_table < 0, "negative_max")
        np.divide(c, ref.nonzero(ref.high_table, "zero_max", spread=True), out=o)


def _no_group_warning(by: Groups | None, result: NormaliseResult) -> NormaliseResult:
    """The result, first warning of the units without a group if there are any."""
    if by is not None and (by.bins == 0).any():
        result.warnings.insert(0, _warning(None, None, "no_group", int((by.bins == 0).sum())))
    return result


def _whole_matrix(
    X, method: str, directions, p: dict, extremes, by: Groups | None, out
) -> NormaliseResult:
    """:func:`normalise` of a small matrix, every column at once: the per-column path's
    Python overhead is most of the work at a few hundred rows, which the replicates of
    an uncertainty analysis pay once per normalised matrix. Min-max within groups too
    (each group's extremes of every column by one ``reduceat``, as the per-column
    path's); z-scores without groups. The arithmetic is the per-column path's, element
    by element, and the means and standard deviations reduce each contiguous column as
    it does (the directed copy is in Fortran order), so the scores are the same bits,
    and the warnings the same, in the same order."""
    n, k = X.shape
    c = np.multiply(X, directions, order="F")
    present = n - np.count_nonzero(np.isnan(c), axis=0)
    warnings: list[NormaliseWarning] = []
    if method == "minmax" and by is not None:
        low, width, counts = _group_ranges(c, by)
        zero = width == 0
        zero[0] = False  # the group-less, warned about once by the caller
        for j in range(k):
            for b in np.flatnonzero(zero[:, j]).tolist():
                warnings.append(_warning(j, b - 1, "zero_range", int(counts[b, j])))
        width[width == 0] = np.nan
        low, width = low.take(by.bins, axis=0), width.take(by.bins, axis=0)
        scale, shift = p["range"][1] - p["range"][0], p["range"][0]
    elif method == "minmax":
        mins, maxs = extremes
        up = directions == 1
        low = np.where(up, mins, -maxs)
        width = np.where(up, maxs, -mins) - low
        for j in np.flatnonzero(width == 0).tolist():
            warnings.append(_warning(j, None, "zero_range", int(present[j])))
        width[width == 0] = np.nan
        scale, shift = p["range"][1] - p["range"][0], p["range"][0]
    else:  # zscore, on columns without missing values (the caller's condition)
        low = c.mean(axis=0)
        width = c.std(axis=0, ddof=1) if n > 1 else np.full(k, np.nan)
        for j in range(k):
            if n == 1:
                warnings.append(_warning(j, None, "single_value", int(present[j])))
            if width[j] == 0:
                warnings.append(_warning(j, None, "zero_sd", int(present[j])))
        width[width == 0] = np.nan
        scale, shift = p["sd"], p["mean"]
    np.subtract(c, low, out=out)
    out /= width
    out *= scale
    out += shift
    return NormaliseResult(out, warnings)


def _group_ranges(c: np.ndarray, by: Groups) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group bin and column (bins × columns): the least value, the range and the
    number of values present; NaN extremes for the group-less bin 0 and groups without
    values, as :meth:`Groups.reduce` leaves them."""
    order, starts = by.segments
    grouped = c[order]
    nonempty = np.flatnonzero(starts[1:-1] < starts[2:]) + 1
    low = np.full((by.size, c.shape[1]), np.nan)
    high = np.full((by.size, c.shape[1]), np.nan)
    counts = np.zeros((by.size, c.shape[1]))
    if nonempty.size:
        low[nonempty] = np.fmin.reduceat(grouped, starts[nonempty], axis=0)
        high[nonempty] = np.fmax.reduceat(grouped, starts[nonempty], axis=0)
        present = (~np.isnan(grouped)).astype(np.float64)
        counts[nonempty] = np.add.reduceat(present, starts[nonempty], axis=0)
    return low, high - low, counts


class _Reference:
    """The statistics of one (direction-adjusted) column over its reference: the whole
    column, or each unit's group. Statistics are tables with one entry per reference
    (one entry, or one per group bin); ``_spread`` turns a table into what each unit
    sees (a scalar, or a per-unit array), so the arithmetic is written once. Tables are
    computed when first needed: each costs a pass over the column."""

    def __init__(
        self, column: int, c: np.ndarray, by: Groups | None, warnings: list, extremes, scratch
    ):
        self.column, self.c, self.by, self.warnings = column, c, by, warnings
        self._extremes = extremes
        self._scratch = scratch  # for the column's values group by group

    def _spread(self, table: np.ndarray):
        return table[0] if self.by is None else self.by.spread(table)

    @cached_property
    def present(self) -> np.ndarray:
        return ~np.isnan(self.c)

    @cached_property
    def counts(self) -> np.ndarray:
        """Present values per reference."""
        if self.by is None:
            return np.array([np.count_nonzero(self.present)], dtype=np.float64)
        return self.by.count(self.present)

    @cached_property
    def _grouped(self) -> np.ndarray:
        assert self.by is not None  # asked for by the group tables only
        return self.by.gather(self.c, out=self._scratch)

    @cached_property
    def low_table(self) -> np.ndarray:
        return (
            np.array([self._extremes[0]])
            if self.by is None
            else self.by.reduce(np.fmin, self._grouped)
        )

    @cached_property
    def high_table(self) -> np.ndarray:
        return (
            np.array([self._extremes[1]])
            if self.by is None
            else self.by.reduce(np.fmax, self._grouped)
        )

    @property
    def low(self):
        return self._spread(self.low_table)

    @property
    def high(self):
        return self._spread(self.high_table)

    def flag(self, bad: np.ndarray, reason: str) -> None:
        """Warn about the references (table entries) where ``bad`` holds. NaN compares
        False, so groups without values never warn; the group-less bin is warned about
        once for all columns, by the caller."""
        if self.by is not None:
            bad = bad.copy()
            bad[0] = False
        for b in np.flatnonzero(bad):
            group = None if self.by is None else int(b) - 1
            self.warnings.append(_warning(self.column, group, reason, int(self.counts[b])))

    def nonzero(self, table: np.ndarray, reason: str, spread: bool = False):
        """``table`` with zeros replaced by NaN and warned about: the divisor of a score
        that is undefined there. Spread to the units if asked."""
        zero = table == 0
        if zero.any():
            self.flag(zero, reason)
            table = np.where(zero, np.nan, table)
        return self._spread(table) if spread else table

    def width(self, reason: str):
        return self._spread(self.nonzero(self.high_table - self.low_table, reason))

    def mean_sd(self):
        """Mean and sample standard deviation (R's ``sd``: n - 1), per reference."""
        if self.by is None:
            v = self.c[self.present]
            mean = np.array([v.mean()])
            sd = np.array([v.std(ddof=1) if v.size > 1 else np.nan])
        else:
            filled = np.where(self.present, self.c, 0.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = self.by.sum(filled) / self.counts
                deviation = np.subtract(filled, self.by.spread(mean), out=filled)
                deviation *= self.present
                deviation *= deviation
                sd = np.sqrt(self.by.sum(deviation) / (self.counts - 1))
            mean[0] = sd[0] = np.nan
        self.flag(self.counts == 1, "single_value")  # its sd is NaN already, as R's
        return self._spread(mean), self.nonzero(sd, "zero_sd", spread=True)

    @property
    def spread_counts(self):
        return self._spread(self.counts)

    def ranks(self, mid: bool = False) -> np.ndarray:
        """COINr's ``rank(x, ties.method = "min", na.last = "keep")`` within each
        reference; with ``mid``, the number of values below plus half the number equal
        (the mid-distribution count, 0.5 to n − 0.5).

        One sort by value, then (within groups) a stable radix sort by group, puts
        every group's values in order, missing ones last; a tie run starts where the
        value or the group changes, and its members take the run's first position (or
        the middle of the run). So the order among equal values does not matter, and
        the sort by value is numpy's default (vectorised where the CPU allows: several
        times a stable sort's speed).
        """
        c = self.c
        order = np.argsort(c)
        if self.by is None:
            starts = np.zeros(1, dtype=np.intp)
            segment = np.zeros(c.size, dtype=np.intp)
        else:
            order = order.take(np.argsort(self.by.keys.take(order), kind="stable"))
            _, starts = self.by.segments
            segment = self.by.bins.take(order)
        v = c.take(order)
        position = np.arange(c.size)
        new_run = np.ones(c.size, dtype=bool)
        new_run[1:] = (v[1:] != v[:-1]) | (segment[1:] != segment[:-1])
        run_start = np.maximum.accumulate(np.where(new_run, position, 0))
        if mid:
            last = np.ones(c.size, dtype=bool)
            last[:-1] = new_run[1:]
            run_end = np.minimum.accumulate(np.where(last, position, c.size)[::-1])[::-1]
            sorted_ranks = (run_start + run_end + 1) / 2.0 - starts.take(segment)
        else:
            sorted_ranks = (run_start - starts.take(segment) + 1).astype(np.float64)
        sorted_ranks[np.isnan(v)] = np.nan
        if self.by is not None:
            sorted_ranks[segment == 0] = np.nan
        ranks = np.empty(c.size)
        ranks[order] = sorted_ranks
        return ranks


def described(reason: str, units: int, where_en: str, where_fa: str) -> tuple[str, str]:
    """The warning ``reason`` about ``units`` units at a place said in words, (en, fa)."""
    en, fa = _REASONS[reason]
    return f"{where_en} ({units} units): {en}.", f"{where_fa} ({units} واحد): {fa}."


def _warning(column, group, reason: str, units: int) -> NormaliseWarning:
    where_en = "every column" if column is None else f"column {column}"
    where_fa = "همهٔ ستون‌ها" if column is None else f"ستون {column}"
    if group is not None:
        where_en += f", group {group}"
        where_fa += f"، گروه {group}"
    return NormaliseWarning(
        column, group, reason, units, *described(reason, units, where_en, where_fa)
    )


def _goalposts(p: dict, k: int) -> np.ndarray:
    posts = p["goalposts"]
    if posts is None:
        raise ValueError(
            "goalpost normalisation needs params['goalposts'], one [low, high] per column"
        )
    posts = np.asarray(posts, dtype=np.float64)
    if posts.shape != (k, 2):
        raise ValueError(f"goalposts must have shape ({k}, 2), got {posts.shape}")
    for j, (low, high) in enumerate(posts):
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise ColumnInputError(
                f"Column {j}: goalposts must be two numbers, low below high; got [{low}, {high}].",
                f"ستون {j}: دروازه‌ها باید دو عدد باشند و پایینی کمتر از بالایی؛ [{low}، {high}] "
                "داده شده.",
                column=j,
                value=(float(low), float(high)),
            )
    return posts


def _targets(p: dict, k: int) -> np.ndarray:
    targets = p["targets"]
    if targets is None:
        raise ValueError("distance-to-target normalisation needs params['targets'], one per column")
    targets = np.asarray(targets, dtype=np.float64)
    if targets.shape != (k,):
        raise ValueError(f"targets must have shape ({k},), got {targets.shape}")
    bad = np.flatnonzero(~np.isfinite(targets))
    if bad.size:
        j = int(bad[0])
        raise ColumnInputError(
            f"Column {j}: the target must be a number, got {targets[j]}.",
            f"ستون {j}: هدف باید عدد باشد، اما {targets[j]} داده شده.",
            column=j,
            value=float(targets[j]),
        )
    return targets
