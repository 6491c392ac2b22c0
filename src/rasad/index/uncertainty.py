"""Uncertainty analysis: how far a unit's rank moves when the methodology's choices do.

Each Monte Carlo replicate draws one value of every uncertain choice of a spec
(:mod:`rasad.index.choices`) and ranks the units of the index so built
(:mod:`rasad.index.replicates` computes many at a time). Per unit the result gives its
nominal rank and the mean, median, 5th and 95th percentile of its replicate ranks
(COINr's ``RankStats``), the probability of a rank within the top K, and the same
quantiles of its score.

>>> spec = UncertaintySpec.from_dict({
...     "weights": {2: {"uniform": 0.25}, 3: {"uniform": 0.25}},
...     "normalise": [{"method": "minmax", "range": [1, 100]},
...                   {"method": "zscore", "mean": 10, "sd": 2}],
...     "aggregate": ["arithmetic", "geometric"],
...     "winmax": [1, 5],
... })
>>> result = uncertainty(methodology, data, spec, runs=1000, seed=1)   # doctest: +SKIP
>>> result.stats.head()                                                # doctest: +SKIP

Quantiles are R's default type 7 (numpy's ``"linear"``), which is what COINr reports.
Pure: no Django.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rasad.errors import RasadInputError
from rasad.index._stats import map_columns
from rasad.index.choices import (  # noqa: F401  (the spec's API, re-exported for callers)
    AggregateChoice,
    Draw,
    Plan,
    UncertaintySpec,
    WeightNoise,
    draw_plan,
    draws,
    load_spec,
    loads_spec,
    replicate_methodology,
)
from rasad.index.methodology import Methodology
from rasad.index.replicates import Replicates

# Above this size a result matrix lives in a temporary file, mapped into memory: the
# kernel keeps what fits and writes back the rest, so any runs × units fits.
IN_MEMORY_BYTES = 512 * 2**20
# Units whose statistics are computed together: a runs × 2048 slice of the matrices.
STATS_UNITS = 2048


@dataclass(frozen=True)
class UncertaintyResult:
    """``stats``: one row per unit (indexed by unit id): ``nominal``, ``mean``, ``median``,
    ``q05``, ``q95`` of the replicate ranks and ``p_top``, the share of replicates with a
    rank ≤ ``top_k``. ``score_stats``: the unit's nominal ``score`` and the ``mean``,
    ``q05``, ``median`` and ``q95`` of its replicate scores (on the scale of each run's
    normalisation: with alternatives on different scales, read the ranks instead).
    ``ranks`` and ``scores``: the (runs × units) matrices in ``stats``' unit order; a
    rank of 0 (a NaN score) marks a unit a replicate left unranked (the statistics skip
    those, ``p_top`` counts them as out of the top)."""

    stats: pd.DataFrame
    score_stats: pd.DataFrame
    ranks: np.ndarray
    scores: np.ndarray
    top_k: int
    seed: Any
    spec: UncertaintySpec

    @property
    def crossing_top(self) -> int:
        """How many units' [q05, q95] intervals straddle the top-K boundary."""
        return int(((self.stats["q05"] <= self.top_k) & (self.stats["q95"] > self.top_k)).sum())

    def table(self) -> pd.DataFrame:
        """``stats`` then ``score_stats`` (prefixed ``score_``), one row per unit: what
        ``rasad index uncertainty`` writes."""
        scores = self.score_stats.rename(columns=lambda c: c if c == "score" else f"score_{c}")
        return pd.concat([self.stats, scores], axis=1).reset_index()


def uncertainty(methodology: Methodology, data: pd.DataFrame, spec: UncertaintySpec, runs: int,
                seed=None, top_k: int = 100, progress: bool | Callable[[int, int], None] = False
                ) -> UncertaintyResult:
    """Rank and score statistics over ``runs`` Monte Carlo replicates of ``spec``'s
    choices, drawn by :func:`~rasad.index.choices.draw_plan` from ``seed``.

    Runs are computed a block at a time, and their ranks and scores written into two
    runs × units matrices (int32 and float32), kept in a temporary file when larger
    than :data:`IN_MEMORY_BYTES`. ``progress=True`` shows a progress bar on stderr; a
    function instead is called as ``progress(done, runs)`` after each block (a web
    page's background job reports it)."""
    _check_count("runs", runs)
    _check_count("top_k", top_k)
    replicates = Replicates(methodology, data, spec)
    plan = draw_plan(methodology, spec, runs, seed)
    plan = plan.rows(replicates.order(plan))  # blocks of consecutive runs
    shape = (runs, len(replicates.units))
    ranks = _matrix(shape, np.int32)
    scores = _matrix(shape, np.float32)
    with _progress_bar(progress, runs) as advance:
        for block in replicates.blocks(plan):
            runs = slice(block.runs[0], block.runs[-1] + 1)
            ranks[runs] = block.ranks
            scores[runs] = block.scores
            advance(len(block.runs))
    return UncertaintyResult(
        stats=_rank_stats(replicates.nominal_rank, ranks, top_k),
        score_stats=_score_stats(replicates.nominal_score, scores),
        ranks=ranks, scores=scores, top_k=int(top_k), seed=seed, spec=spec,
    )


def _check_count(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise RasadInputError(f"{name} must be a whole number > 0, not {value!r}.",
                              f"{name} باید عدد صحیح > 0 باشد، نه «{value}».", field=name, value=value)


def _matrix(shape: tuple[int, int], dtype) -> np.ndarray:
    """A runs × units matrix in Fortran order, so that each unit's replicates are
    contiguous for its statistics; in a temporary file when large."""
    if np.prod(shape) * np.dtype(dtype).itemsize <= IN_MEMORY_BYTES:
        return np.empty(shape, dtype=dtype, order="F")
    return np.memmap(tempfile.TemporaryFile(prefix="rasad-replicates-"), dtype=dtype, mode="w+", shape=shape,
                     order="F")


@contextmanager
def _progress_bar(show: bool | Callable[[int, int], None], total: int):
    """Yield a function that advances by a number of replicates a rich progress bar on
    stderr (``show`` true) or the caller's ``show(done, total)``, or does nothing."""
    if callable(show):
        done = 0

        def tell(more: int) -> None:
            nonlocal done
            done += more
            show(done, total)

        yield tell
        return
    if not show:
        yield lambda done: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("replicates"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task("replicates", total=total)
        yield lambda done: bar.advance(task, done)


def _summaries(matrix: np.ndarray, to_values) -> tuple[np.ndarray, ...]:
    """Per unit (column): mean, median, 5th and 95th percentile of ``to_values`` of its
    replicates, NaN skipped (and NaN for a unit with none). A slice of units at a time,
    the slices shared among the cores."""
    n = matrix.shape[1]
    mean, median, q05, q95 = (np.full(n, np.nan) for _ in range(4))

    def summarise(k, _):
        columns = slice(k * STATS_UNITS, min((k + 1) * STATS_UNITS, n))
        values = to_values(np.asarray(matrix[:, columns]))
        mean[columns], median[columns], q05[columns], q95[columns] = _type7(values)

    chunks = -(-n // STATS_UNITS)
    map_columns(summarise, chunks, matrix.shape[0] * min(n, STATS_UNITS))
    return mean, median, q05, q95


def _type7(values: np.ndarray) -> tuple[np.ndarray, ...]:
    """Mean, median, 5th and 95th percentiles of each column, R's type 7 (numpy's
    "linear"), from one sort per column; NaN skipped. One sort costs less than the
    partitions of numpy's median and quantile, and far less than their NaN versions."""
    ordered = np.sort(values, axis=0)  # NaN last
    m = np.count_nonzero(~np.isnan(ordered), axis=0)
    columns = np.arange(values.shape[1])
    has = m > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(has, np.nansum(values, axis=0) / m, np.nan)

    def quantile(p: float) -> np.ndarray:
        h = (np.maximum(m, 1) - 1) * p
        low = np.floor(h).astype(np.intp)
        high = np.minimum(low + 1, np.maximum(m - 1, 0))
        below, above = ordered[low, columns], ordered[high, columns]
        result = below + (h - low) * (above - below)
        result[~has] = np.nan
        return result

    return mean, quantile(0.5), quantile(0.05), quantile(0.95)


def _rank_stats(nominal: pd.Series, ranks: np.ndarray, top_k: int) -> pd.DataFrame:
    def as_values(block):
        values = block.astype(np.float64)
        values[block <= 0] = np.nan
        return values

    mean, median, q05, q95 = _summaries(ranks, as_values)
    p_top = np.empty(ranks.shape[1])
    for start in range(0, ranks.shape[1], STATS_UNITS):
        block = np.asarray(ranks[:, start:start + STATS_UNITS])
        p_top[start:start + STATS_UNITS] = ((block > 0) & (block <= top_k)).mean(axis=0)
    return pd.DataFrame({
        "nominal": nominal.astype("Int64"),
        "mean": mean, "median": median, "q05": q05, "q95": q95, "p_top": p_top,
    }, index=nominal.index)


def _score_stats(nominal: pd.Series, scores: np.ndarray) -> pd.DataFrame:
    mean, median, q05, q95 = _summaries(scores, lambda block: block.astype(np.float64))
    return pd.DataFrame({"score": nominal.to_numpy(dtype=float), "mean": mean, "q05": q05,
                         "median": median, "q95": q95}, index=nominal.index)
