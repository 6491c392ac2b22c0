"""One score per unit from a node's children: the means of the OECD/JRC handbook,
a weighted Borda count, Copeland outranking and TOPSIS.

Missing children follow COINr (``a_amean`` and friends with ``na.rm``): the weights are
renormalised over the children a unit has, and ``min_coverage`` plays COINr's
``dat_thresh``, counted in children, not weights, as COINr counts them. A unit gets
NaN only when it is also flagged in ``excluded_mask``, so the engine can log why and no
published rank is ever a silent NaN.

The matrix may be C- or Fortran-ordered. The means and TOPSIS walk it in blocks of
rows so that their temporaries stay in cache and the extra memory is a few blocks and
a few vectors of length n, never a copy of the matrix (benchmarks/bench_index.py and
bench_topsis.py time them at a million units); within a
block each child is one contiguous run when the matrix is Fortran-ordered, as the
engine passes it.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real
from typing import Any, NamedTuple

import numpy as np

from rasad.errors import RasadInputError

METHODS = ("arithmetic", "geometric", "harmonic", "generalised", "borda", "copeland", "topsis")
TOPSIS_NORMALISATIONS = ("vector", "minmax")

# Rows per block: 4096 rows × 30 children × 8 bytes ≈ 1 MB, half a core's L2 cache here;
# larger blocks were measured slower, smaller ones pay Python's loop overhead.
_BLOCK = 4096

# Copeland's pairwise margins: cells of one block of rows × all units. 256 K cells (a
# quarter of a megabyte per byte array, 2 MB for float margins) was measured fastest
# here, 2**15 to 2**20 within 2×. And the most units Copeland compares (see _copeland).
COPELAND_BLOCK_CELLS = 2**18
COPELAND_MAX_UNITS = 100_000

_NAMES_FA = {
    "arithmetic": "حسابی",
    "geometric": "هندسی",
    "harmonic": "هارمونیک",
    "generalised": "تعمیم‌یافته",
}
_PARAMS = {
    "arithmetic": {"nonpositive"},
    "geometric": {"nonpositive"},
    "harmonic": {"nonpositive"},
    "generalised": {"nonpositive", "p"},
    "borda": {"nonpositive"},
    "copeland": {"nonpositive"},
    "topsis": {"nonpositive", "normalisation", "distance"},
}


class AggregateResult(NamedTuple):
    values: np.ndarray
    excluded_mask: np.ndarray


class RefusedValue(RasadInputError):
    """A value the aggregation cannot take (≤ 0 for a geometric mean, an infinity…);
    ``row`` and ``column`` let the engine name the unit by its id and the child by its
    code, which this module does not know."""

    def __init__(self, message_en: str, message_fa: str, *, row: int, column: int, value: float):
        super().__init__(message_en, message_fa, field=f"column {column}", value=value)
        self.row = row
        self.column = column


def aggregate(
    X,
    weights,
    method: str,
    *,
    min_coverage: float = 0.0,
    params: dict | None = None,
    out: np.ndarray | None = None,
) -> AggregateResult:
    """Aggregate the children ``X`` (units × children, NaN = missing) with ``weights``.

    The weights are relative (scaled to sum to one over the children a unit has);
    only the arithmetic mean takes negative ones. ``params``: ``nonpositive``
    ("error", the default, or "exclude") decides what the
    geometric, harmonic and generalised means do with values they cannot take: raise
    :class:`RefusedValue` naming the first such unit, or give those units NaN and
    flag them; it is accepted by every method because the engine passes it to all.
    ``p`` is the generalised mean's exponent; TOPSIS takes ``normalisation`` ("vector",
    Hwang & Yoon's, or "minmax", pymcdm's default) and ``distance`` (Minkowski exponent,
    2 = Euclidean). ``out``, a float vector with a row per unit, receives the scores
    (e.g. the engine's column of its scores matrix, which then needs no copy).
    """
    X = _matrix(X)
    options = _options(method, params)
    w = _weights(weights, X.shape[1], method)
    if not 0.0 <= min_coverage <= 1.0:
        raise RasadInputError(
            f"min_coverage must be between 0 and 1, got {min_coverage!r}",
            f"حداقل پوشش باید بین ۰ و ۱ باشد، نه {min_coverage!r}",
            field="min_coverage",
            value=min_coverage,
        )
    if method == "borda":
        result = _borda(X, w, min_coverage)
    elif method == "copeland":
        result = _copeland(X, w, min_coverage)
    elif method == "topsis":
        result = _topsis(X, w, min_coverage, options["normalisation"], options["distance"])
    else:
        if method == "generalised":
            method = {1.0: "arithmetic", 0.0: "geometric", -1.0: "harmonic"}.get(
                options["p"], method
            )
        result = _mean(X, w, method, options.get("p"), min_coverage, options["nonpositive"], out)
    if out is not None and result.values is not out:
        out[:] = result.values
        result = result._replace(values=out)
    return result


def _matrix(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] == 0:
        raise RasadInputError(
            "children must form a units × children matrix with at least one child, got shape "
            f"{X.shape}",
            "فرزندان باید ماتریسی از واحدها × فرزندان با دست‌کم یک فرزند باشند، نه با شکل "
            f"{X.shape}",
            field="X",
            value=X.shape,
        )
    return X


def _weights(weights, k: int, method: str) -> np.ndarray:
    """The weights as floats, checked. Only the arithmetic mean takes a negative weight
    (a child counting against the score, as COINr's ``a_amean`` takes PCA loadings):
    the other means, Borda, Copeland and TOPSIS have no meaning for one."""
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (k,):
        raise RasadInputError(
            f"{k} children need {k} weights, got shape {w.shape}",
            f"{k} فرزند به {k} وزن نیاز دارد، نه به شکل {w.shape}",
            field="weights",
            value=w.shape,
        )
    if not np.isfinite(w).all() or w.sum() <= 0:
        raise RasadInputError(
            f"weights must be finite and add up to more than zero, got {w.tolist()}",
            f"وزن‌ها باید متناهی باشند و جمعشان بیش از صفر، نه {w.tolist()}",
            field="weights",
            value=w.tolist(),
        )
    if (w < 0).any() and method != "arithmetic":
        raise RasadInputError(
            f"only the arithmetic mean takes negative weights, and the {method} aggregation got "
            f"{w.tolist()}",
            f"فقط میانگین حسابی وزن منفی می‌پذیرد و تجمیع {method} این وزن‌ها را گرفت: {w.tolist()}",
            field="weights",
            value=w.tolist(),
        )
    return w


def _options(method: str, params: dict | None) -> dict:
    if method not in METHODS:
        raise RasadInputError(
            f"unknown aggregation method '{method}'; choose one of {', '.join(METHODS)}",
            f"روش تجمیع «{method}» شناخته نیست؛ یکی از {', '.join(METHODS)} را برگزینید",
            field="method",
            value=method,
        )
    params = dict(params or {})
    unknown = sorted(set(params) - _PARAMS[method])
    if unknown:
        raise RasadInputError(
            f"the {method} aggregation takes no parameter {', '.join(unknown)}",
            f"تجمیع {method} پارامتر {', '.join(unknown)} ندارد",
            field=unknown[0],
            value=params[unknown[0]],
        )
    options = {
        "nonpositive": params.get("nonpositive", "error"),
        "normalisation": params.get("normalisation", "vector"),
        "distance": params.get("distance", 2.0),
    }
    if options["nonpositive"] not in ("error", "exclude"):
        raise RasadInputError(
            f"nonpositive must be 'error' or 'exclude', got {options['nonpositive']!r}",
            f"nonpositive باید 'error' یا 'exclude' باشد، نه {options['nonpositive']!r}",
            field="nonpositive",
            value=options["nonpositive"],
        )
    if method == "generalised":
        p = params.get("p")
        if isinstance(p, bool) or not isinstance(p, Real) or not np.isfinite(float(p)):
            raise RasadInputError(
                f"the generalised mean needs a finite exponent p, got {p!r}",
                f"میانگین تعمیم‌یافته به توان متناهی p نیاز دارد، نه {p!r}",
                field="p",
                value=p,
            )
        options["p"] = float(p)
    if options["normalisation"] not in TOPSIS_NORMALISATIONS:
        raise RasadInputError(
            f"TOPSIS normalisation must be one of {', '.join(TOPSIS_NORMALISATIONS)}, got "
            f"{options['normalisation']!r}",
            f"نرمال‌سازی TOPSIS باید یکی از {', '.join(TOPSIS_NORMALISATIONS)} باشد، نه "
            f"{options['normalisation']!r}",
            field="normalisation",
            value=options["normalisation"],
        )
    distance = options["distance"]
    if (
        isinstance(distance, bool)
        or not isinstance(distance, Real)
        or not 1 <= float(distance) < np.inf
    ):
        raise RasadInputError(
            f"TOPSIS distance must be a Minkowski exponent of 1 or more, got {distance!r}",
            f"فاصله در TOPSIS باید توان مینکوفسکی ۱ یا بیشتر باشد، نه {distance!r}",
            field="distance",
            value=distance,
        )
    options["distance"] = float(distance)
    return options


def _blocks(n: int):
    for start in range(0, n, _BLOCK):
        yield slice(start, min(start + _BLOCK, n))


def _chunks(rows: np.ndarray):
    for start in range(0, rows.size, _BLOCK):
        yield rows[start : start + _BLOCK]


def _mean(X, w, method, p, min_coverage, nonpositive, out=None) -> AggregateResult:
    """Quasi-arithmetic means g⁻¹(Σ w·g(x) / Σ w): g is the identity (arithmetic), log
    (geometric), 1/x (harmonic) or x^p (generalised). A unit whose present children's
    weights add up to zero or less (possible only with a negative arithmetic weight)
    gets no score.

    Every row costs one transform and one matrix-vector product; a missing child makes
    the row's product NaN, and only those rows take the careful path. The arithmetic
    mean needs no other check, as an infinity also makes the product non-finite, so it
    is one product over the whole matrix, by ``einsum`` (each row summed left to right):
    BLAS would run it on every core a few milliseconds faster, but its threads then
    spin for a while and slow down the engine's own threads, which rank the nodes next.
    The other means first look at each block's extremes for values they refuse or
    infinities. The arithmetic mean is written into ``out`` if given.
    """
    forward: Callable[[Any], Any] | None = None
    backward: Callable[[Any], Any] | None = None
    refuse: Callable[[Any, float], Any] | None = None
    if method == "geometric":
        forward, backward, refuse = np.log, np.exp, np.less_equal
    elif method == "harmonic":
        forward, backward, refuse = np.reciprocal, np.reciprocal, np.less_equal
    elif method != "arithmetic":

        def power(x):
            return np.power(x, p)

        def root(m):
            return np.power(m, 1.0 / p)

        # Zero to a negative power is infinite; a negative to a fractional one undefined.
        forward, backward = power, root
        refuse = np.less if p > 0 else np.less_equal
    n = X.shape[0]
    w_total = w.sum()
    excluded = np.zeros(n, dtype=bool)

    def careful(rows):
        ids = np.arange(rows.start, rows.stop) if isinstance(rows, slice) else rows
        values[rows], excluded[rows] = _careful_mean(
            X[rows],
            ids,
            w,
            forward,
            refuse,
            method,
            p,
            min_coverage,
            nonpositive,
        )

    def careful_where_nan(rows, block_values):
        hit = np.flatnonzero(np.isnan(block_values))
        if hit.size:
            # Gathering scattered rows costs more per row than slicing the block.
            careful(hit + rows.start if 8 * hit.size < block_values.size else rows)

    if forward is None:
        values = np.einsum("ij,j->i", X, w, out=out)
        values /= w_total
        values[np.isinf(values)] = np.nan
        # one search for the rows needing care, then only their blocks, in order
        for start in np.unique(np.flatnonzero(np.isnan(values)) // _BLOCK) * _BLOCK:
            rows = slice(int(start), min(int(start) + _BLOCK, n))
            careful_where_nan(rows, values[rows])
        return AggregateResult(values, excluded)
    assert backward is not None and refuse is not None  # set with forward
    values = np.empty(n)
    for rows in _blocks(n):
        Xb = X[rows]
        low, high = np.fmin.reduce(Xb, axis=None), np.fmax.reduce(Xb, axis=None)  # NaN ignored
        if refuse(low, 0.0) or not high < np.inf:
            careful(rows)
        else:
            values[rows] = forward(Xb) @ w / w_total  # NaN where a child is missing
            careful_where_nan(rows, values[rows])
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return AggregateResult(backward(values), excluded)


def _careful_mean(S, ids, w, forward, refuse, method, p, min_coverage, nonpositive):
    """The mean of the units ``ids`` (whose values are ``S``) over the children they
    have, with COINr's coverage rule and the engine's choice for refused values."""
    missing = np.isnan(S)
    _refuse_cells(np.isinf(S), S, ids, "infinite", method, p)
    refused = refuse(S, 0.0) if refuse is not None else np.zeros_like(missing)
    if nonpositive == "error":
        _refuse_cells(refused, S, ids, "refused", method, p)
    unused = missing | refused
    transformed = S if forward is None else forward(np.where(unused, 1.0, S))
    total = np.where(unused, 0.0, transformed) @ w
    weight = (~unused).astype(np.float64) @ w  # a bool @ float product skips BLAS
    out = _below_coverage(missing, min_coverage) | (weight <= 0) | refused.any(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / weight
    mean[out] = np.nan
    return mean, out


def _refuse_cells(cells, S, rows, why, method, p):
    """Raise for the first unit (in row order) with a flagged cell, naming its child."""
    if not cells.any():
        return
    at = int(np.argmax(cells.any(axis=1)))
    column = int(np.argmax(cells[at]))
    value = float(S[at, column])
    unit = int(rows[at])
    if why == "infinite":
        raise RefusedValue(
            f"child column {column} of unit {unit} is {value}, not a finite number",
            f"ستون {column} برای واحد {unit} برابر {value} است، نه عددی متناهی",
            row=unit,
            column=column,
            value=value,
        )
    if method == "generalised" and p > 0:
        need_en, need_fa = "values of zero or more", "مقدارهای صفر یا بیشتر"
    else:
        need_en, need_fa = "values above zero", "مقدارهای بزرگ‌تر از صفر"
    name = f"{method} mean (p={p:g})" if method == "generalised" else f"{method} mean"
    raise RefusedValue(
        f"the {name} needs {need_en}, but child column {column} of unit {unit} is {value:g}; "
        "normalise to a positive range, choose another aggregation or exclude such units",
        f"میانگین {_NAMES_FA[method]} فقط برای {need_fa} تعریف می‌شود، اما ستون {column} برای واحد "
        f"{unit} برابر {value:g} است؛ به بازه‌ای مثبت نرمال کنید، روش دیگری برگزینید یا این "
        "واحدها را کنار بگذارید",
        row=unit,
        column=column,
        value=value,
    )


def _raise_if_infinite(X, excluded, method):
    for rows in _blocks(X.shape[0]):
        Xb = X[rows]
        _refuse_cells(
            np.isinf(Xb) & ~excluded[rows, None],
            Xb,
            np.arange(rows.start, rows.stop),
            "infinite",
            method,
            None,
        )


def _below_coverage(missing, min_coverage) -> np.ndarray:
    k = missing.shape[1]
    count = k - np.count_nonzero(missing, axis=1)
    return (count == 0) | (count / k < min_coverage)


def _coverage_exclusions(X, min_coverage) -> np.ndarray:
    excluded = np.zeros(X.shape[0], dtype=bool)
    for rows in _blocks(X.shape[0]):
        Xb = X[rows]
        if np.isnan(Xb.max()):
            excluded[rows] = _below_coverage(np.isnan(Xb), min_coverage)
    return excluded


def _borda(X, w, min_coverage) -> AggregateResult:
    """A weighted Borda count: over each child, a unit collects the number of units it
    beats plus half the number it ties with, and its score is the weighted sum of these
    counts, weights normalised to sum to 1 over all children.

    That is the row sum of the weighted outranking matrix (entry (i, j): the weight of
    the children where i beats j plus half the weight of those where they tie), which
    separates by child: a unit's count over a child is its average rank minus one among
    the units that have that child. So the scores come from one sort per child,
    O(k·n·log n), with no n × n matrix, so a million units are within reach. (COINr's
    ``a_copeland`` does not stop at this row sum: see :func:`_copeland`.)

    A child missing for either unit of a pair counts for neither, so no score depends
    on row order. Units below ``min_coverage`` take no part in the comparisons.
    """
    n, k = X.shape
    excluded = _coverage_exclusions(X, min_coverage)
    _raise_if_infinite(X, excluded, "borda")
    share = w / w.sum()
    scores = np.zeros(n)
    for j in range(k):
        column = X[:, j]
        present = np.flatnonzero(~np.isnan(column) & ~excluded)
        m = present.size
        if m == 0 or share[j] == 0:
            continue
        order = np.argsort(column[present])
        ordered = column[present[order]]
        position = np.arange(m)
        first = np.ones(m, dtype=bool)
        first[1:] = ordered[1:] != ordered[:-1]
        last = np.ones(m, dtype=bool)
        last[:-1] = first[1:]
        run_start = np.maximum.accumulate(np.where(first, position, 0))
        run_end = np.minimum.accumulate(np.where(last, position, m)[::-1])[::-1]
        scores[present[order]] += share[j] * (run_start + run_end) / 2.0
    scores[excluded] = np.nan
    return AggregateResult(scores, excluded)


def _copeland(X, w, min_coverage) -> AggregateResult:
    """COINr's ``a_copeland``: unit i outranks unit j when the children where i beats j
    weigh more than those where j beats i (the weighted outranking matrix's entry
    (i, j), wins plus half the ties, above ½), and its score is the number of units it
    outranks minus the number that outrank it; pairs that balance count 0.

    Pairwise, so O(n²·k) in time (:func:`_net_outranking`), and memory a few block ×
    n arrays whatever n (under 10 MB at 100,000 units). Ten times the units take about a
    hundred times as long, and fractional weights about three times as long as equal or
    whole-number ones: seconds at tens of thousands of units, minutes at a hundred
    thousand. Above :data:`COPELAND_MAX_UNITS` units it is refused rather than left to
    run for many minutes.

    Missing values: COINr computes the upper triangle of the outranking matrix leaving
    out the children either unit lacks, then sets the lower one to 1 − upper, which
    gives the later unit of each pair the weight of those children and so makes a
    score depend on row order. Here a child missing for either unit counts for
    neither, both ways, so a pair is decided by the children both have: COINr's rule
    wherever no value is missing. Units below ``min_coverage`` take no part.
    """
    n = X.shape[0]
    excluded = _coverage_exclusions(X, min_coverage)
    _raise_if_infinite(X, excluded, "copeland")
    taking_part = n - int(np.count_nonzero(excluded))
    if taking_part > COPELAND_MAX_UNITS:
        raise RasadInputError(
            f"Copeland aggregation compares every pair of units, and {taking_part:,} units are "
            "more than its "
            f"limit of {COPELAND_MAX_UNITS:,} (it would run for a long time); use borda, its "
            "per-child count, "
            "or another aggregation",
            f"تجمیع کوپلند همهٔ جفت‌های واحدها را مقایسه می‌کند و {taking_part:,} واحد بیش از سقف "
            f"{COPELAND_MAX_UNITS:,} واحدِ آن است (اجرایش بسیار طول می‌کشد)؛ از borda، شمارش هر "
            "فرزند، "
            "یا تجمیع دیگری استفاده کنید",
            field="units",
            value=taking_part,
        )
    used = np.flatnonzero(w > 0)
    columns = [np.where(excluded, np.nan, X[:, j]) for j in used]  # NaN compares as neither
    scores = _net_outranking(columns, w[used])
    scores[excluded] = np.nan
    return AggregateResult(scores, excluded)


def _whole_weights(w: np.ndarray) -> np.ndarray | None:
    """The weights as small whole numbers in the same ratios (themselves if whole, else
    divided by the least), or None if they are not; their sum must fit an int16."""
    for candidate in (w, w / w.min()):
        if (candidate == np.round(candidate)).all() and candidate.sum() < 2**15:
            return candidate
    return None


def _net_outranking(columns: list[np.ndarray], w: np.ndarray) -> np.ndarray:
    """For each unit, the units it outranks minus those that outrank it, given each
    child's values (NaN: takes no part) and positive weights.

    A block of rows is compared with every unit at a time, into a block × n array of
    margins (weighted wins minus losses), allocated once: a comparison is one byte, and
    with whole-number weights the margins are 8- or 16-bit integers, so most of the
    work runs on bytes; other weights scale each child's −1/0/+1 bytes into float64
    margins, with a tie being a margin within 1e-12 of the weights' total (COINr
    compares its outranking entries, sums of weight shares, to ½ exactly, which their
    rounding can miss).
    """
    n = columns[0].size if columns else 0
    whole = _whole_weights(w)
    dtype = np.float64 if whole is None else np.int8 if whole.sum() < 2**7 else np.int16
    weights = (w if whole is None else whole).astype(dtype)
    tie = 1e-12 * w.sum() if whole is None else 0
    rows = max(1, min(n, COPELAND_BLOCK_CELLS // max(n, 1)))
    margin = np.empty((rows, n), dtype=dtype)
    greater = np.empty((rows, n), dtype=bool)
    less = np.empty((rows, n), dtype=bool)
    sign = np.empty((rows, n), dtype=np.int8)
    scaled = np.empty((rows, n), dtype=dtype)
    net = np.empty(n)
    for start in range(0, n, rows):
        block = slice(start, min(start + rows, n))
        b = block.stop - start
        m = margin[:b]
        m.fill(0)
        for column, weight in zip(columns, weights, strict=True):
            np.greater(column[block, None], column, out=greater[:b])
            np.less(column[block, None], column, out=less[:b])
            if weight == 1 and whole is not None:
                np.add(m, greater[:b].view(np.int8), out=m)
                np.subtract(m, less[:b].view(np.int8), out=m)
            else:
                np.subtract(greater[:b].view(np.int8), less[:b].view(np.int8), out=sign[:b])
                np.add(m, np.multiply(sign[:b], weight, out=scaled[:b]), out=m)
        np.greater(m, tie, out=greater[:b])
        np.less(m, -tie, out=less[:b])
        np.subtract(greater[:b].view(np.int8), less[:b].view(np.int8), out=sign[:b])
        net[block] = sign[:b].sum(axis=1, dtype=np.int32)  # twice as fast as count_nonzero
    return net


def _topsis(X, w, min_coverage, normalisation, distance) -> AggregateResult:
    """Relative closeness to the ideal solution (Hwang & Yoon 1981), all children
    benefit-type because the engine applied directions before.

    Normalisation, weighting and the ideal points are affine per child: v = a·x + b with
    a ≥ 0, so the ideal and anti-ideal are a·max + b and a·min + b and the distances need
    only a·(x − max) and a·(x − min). That is two passes over the matrix (column
    statistics, then distances) with no normalised copy of it. A missing child adds to
    neither distance, which is the same as renormalising the weights over the children
    a unit has (closeness does not change when all weights are scaled). Units below
    ``min_coverage`` take no part in the column statistics. A unit at equal distance 0
    from both ideals (every child it has is constant) gets 0.5: neither better nor worse.
    """
    n, k = X.shape
    excluded = np.zeros(n, dtype=bool)
    share = w / w.sum()
    high = np.full(k, -np.inf)
    low = np.full(k, np.inf)
    squares = np.zeros(k)
    for rows in _blocks(n):
        Xb = X[rows]
        block_high = Xb.max(axis=0)  # NaN in the columns with a missing value
        if np.isnan(block_high).any():
            excluded[rows] = out = _below_coverage(np.isnan(Xb), min_coverage)
            if out.any():
                Xb = np.where(out[:, None], np.nan, Xb)
            block_high = np.fmax.reduce(Xb, axis=0)
            block_low = np.fmin.reduce(Xb, axis=0)
            Xb = np.where(np.isnan(Xb), 0.0, Xb)
        else:
            block_low = Xb.min(axis=0)
        np.fmax(high, block_high, out=high)
        np.fmin(low, block_low, out=low)
        if normalisation == "vector":
            squares += np.einsum("ij,ij->j", Xb, Xb)
    if np.isposinf(high).any() or np.isneginf(low).any():
        _raise_if_infinite(X, excluded, "topsis")
    seen = np.isfinite(high)
    spread = np.sqrt(squares) if normalisation == "vector" else high - low
    scale = np.zeros(k)
    useful = seen & (high > low)
    scale[useful] = share[useful] / spread[useful]
    high[~seen] = low[~seen] = 0.0
    factor = scale**distance
    to_best = np.empty(n)
    to_worst = np.empty(n)
    gap = np.empty((min(_BLOCK, n), k), order="F")
    for rows in _blocks(n):
        Xb = X[rows]
        g = gap[: Xb.shape[0]]
        for ideal, out in ((high, to_best), (low, to_worst)):
            np.subtract(Xb, ideal, out=g)
            if distance == 2.0:
                np.square(g, out=g)
            else:
                np.power(np.abs(g, out=g), distance, out=g)
            out[rows] = g @ factor
    # A missing child made its row NaN above; it adds to neither distance.
    for rows in _chunks(np.flatnonzero(np.isnan(to_best))):
        Xb = X[rows]
        missing = np.isnan(Xb)
        for ideal, out in ((high, to_best), (low, to_worst)):
            g = np.abs(Xb - ideal) ** distance
            g[missing] = 0.0
            out[rows] = g @ factor
    if distance == 2.0:
        np.sqrt(to_best, out=to_best)
        np.sqrt(to_worst, out=to_worst)
    else:
        np.power(to_best, 1.0 / distance, out=to_best)
        np.power(to_worst, 1.0 / distance, out=to_worst)
    total = to_best + to_worst
    with np.errstate(invalid="ignore", divide="ignore"):
        closeness = np.where(total > 0, to_worst / total, 0.5)
    closeness[excluded] = np.nan
    return AggregateResult(closeness, excluded)
