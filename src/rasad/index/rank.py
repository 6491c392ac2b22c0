"""Competition ranks ("1224"): tied units share the best rank of their run, as COINr
and league tables publish them.

Ranking a million units is a sort, and the sort is the whole cost (DESIGN §7). numpy
sorts 64-bit integers several times faster than it argsorts anything (benchmarks/
bench_index.py's peer measures the argsort), so :func:`_best_first` sorts integers
that carry each score's order in their high bits and its position in their low ones,
then puts right the few neighbours those high bits cannot tell apart. Ties are handled
with a few vectorised passes. scipy's ``rankdata`` is avoided: it does the same with
more passes and costs several times as much.
"""

from __future__ import annotations

import numpy as np


def rank_min(
    scores, groups=None, descending: bool = True, out: np.ndarray | None = None
) -> np.ndarray:
    """Rank 1 = best; NaN scores get NaN ranks. Into ``out`` (a float vector as long as
    the scores, e.g. a column of the engine's ranks matrix) if given.

    With ``groups`` (integer codes, one per unit), units are ranked within their group
    and a code of -1 means "in no group": NaN rank. The groups cost one extra sort of
    small integers (a stable radix sort when there are fewer than 65,536 groups) on top
    of the scores' sort, whatever the number of groups.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1:
        raise ValueError(f"scores must be one-dimensional, got shape {scores.shape}")
    present = np.isnan(scores)
    np.logical_not(present, out=present)
    if groups is not None:
        groups = np.asarray(groups)
        if groups.shape != scores.shape or not np.issubdtype(groups.dtype, np.integer):
            raise ValueError(
                f"groups must be integer codes of shape {scores.shape}, got {groups.dtype} "
                f"{groups.shape}"
            )
        present &= groups >= 0
    ranked = np.count_nonzero(present)
    ranks = np.empty(scores.shape) if out is None else out
    if ranked < scores.size:  # else every rank is written below
        ranks.fill(np.nan)
    if ranked == 0:
        return ranks
    rows = None if ranked == scores.size else np.flatnonzero(present)
    order, new_run = _best_first(scores if rows is None else scores[rows], descending)
    if rows is not None:
        order = rows[order]
    if groups is None:
        if new_run.all():  # no ties, the usual case: the positions, as floats to scatter
            rank = np.arange(1.0, ranked + 1.0)
        else:
            rank = np.maximum.accumulate(np.where(new_run, np.arange(ranked), 0)) + 1
    else:
        codes = groups[order]
        largest = int(codes.max())
        codes = codes.astype(
            np.uint8 if largest < 2**8 else np.uint16 if largest < 2**16 else np.int64
        )
        within = np.argsort(codes, kind="stable")
        order = order[within]
        codes = codes[within]
        ordered = scores[order]
        position = np.arange(ranked)
        new_group = np.empty(ranked, dtype=bool)
        new_group[0] = True
        np.not_equal(codes[1:], codes[:-1], out=new_group[1:])
        new_run[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=new_run[1:])
        new_run |= new_group
        run_start = np.maximum.accumulate(np.where(new_run, position, 0))
        group_start = np.maximum.accumulate(np.where(new_group, position, 0))
        rank = run_start - group_start + 1
    ranks[order] = rank
    return ranks


def _best_first(values: np.ndarray, descending: bool) -> tuple[np.ndarray, np.ndarray]:
    """The order that sorts ``values`` (no NaN) best first, and which of the sorted
    values differ from the one before them (the first does).

    Each value becomes the unsigned integer with the same order (its IEEE bits, with
    negatives' flipped and positives' sign bit set; all bits flipped again when higher
    is better), whose lowest ``bits`` bits give way to the value's position; one
    integer sort then lists the positions in order. Values whose remaining bits are
    equal, ties and neighbours closer than about 2^(bits - 52) of their size (a handful
    among a million scores), come out in position order, so those few runs are sorted
    again by their full values.
    """
    n = values.size
    bits = max(1, (n - 1).bit_length())
    key = np.add(values, 0.0).view(np.uint64)  # -0.0 + 0.0 is 0.0: equal values get equal bits
    flip = (key.view(np.int64) >> 63).view(np.uint64)
    flip |= np.uint64(1 << 63)
    if descending:
        np.invert(flip, out=flip)
    key ^= flip
    key >>= bits
    key <<= bits
    key |= np.arange(n, dtype=np.uint64)
    key.sort()
    order = np.bitwise_and(key, (1 << bits) - 1, out=flip).view(np.intp)
    key >>= bits
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    if new.all():
        return order, new
    # the runs of equal high bits: their members' positions in sorted order
    member = np.zeros(n, dtype=bool)
    member[1:] = ~new[1:]
    member[:-1] |= member[1:]
    at = np.flatnonzero(member)
    full = values[order[at]]
    if descending:
        full = -full
    inside = ~new[at[1:]]  # a member and the one before it are in the same run
    if (full[1:] < full[:-1])[inside].any():  # else every run is ties, or in order already
        resort = np.lexsort((full, np.cumsum(new[at])))
        order[at] = order[at[resort]]
        full = full[resort]
    new[at[1:]] |= full[1:] != full[:-1]
    return order, new


def rank_then(scores, then, out: np.ndarray | None = None) -> np.ndarray:
    """Competition ranks by ``scores`` (higher is better), ties broken by ``then``
    (higher is better); units equal on both share the best rank of their run. NaN
    scores get NaN ranks. For an index re-expressed within groups, whose percentiles
    often coincide across groups, ``then`` is the composite it came from.

    One integer sort by the scores (:func:`_best_first`), then only the runs of equal
    scores are sorted again by ``then``: a sort of two keys over every unit costs four
    times as much."""
    scores = np.asarray(scores, dtype=np.float64)
    ranks = np.full(scores.shape, np.nan) if out is None else out
    if out is not None:
        out.fill(np.nan)
    rows = np.flatnonzero(~np.isnan(scores))
    if not rows.size:
        return ranks
    second = np.nan_to_num(np.asarray(then, dtype=np.float64)[rows], nan=-np.inf)
    order, new_run = _best_first(scores[rows], descending=True)
    if not new_run.all():
        tied = ~new_run  # the members of runs of equal scores
        tied[:-1] |= ~new_run[1:]
        at = np.flatnonzero(tied)
        run = np.cumsum(new_run)[at]
        order[at] = order[at[np.lexsort((-second[order[at]], run))]]
        ordered = second[order]
        new_run[1:] |= ordered[1:] != ordered[:-1]
    ranks[rows[order]] = np.maximum.accumulate(np.where(new_run, np.arange(rows.size), 0)) + 1
    return ranks
