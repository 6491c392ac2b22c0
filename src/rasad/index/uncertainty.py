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
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rasad.errors import RasadInputError
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
                seed=None, top_k: int = 100, progress: bool = False) -> UncertaintyResult:
    """Rank and score statistics over ``runs`` Monte Carlo replicates of ``spec``'s
    choices, drawn by :func:`~rasad.index.choices.draw_plan` from ``seed``.

    Runs are computed a block at a time, and their ranks and scores written into two
    runs × units matrices (int32 and float32), kept in a temporary file when larger
    than :data:`IN_MEMORY_BYTES`. ``progress=True`` shows a progress bar on stderr."""
    _check_count("runs", runs)
    _check_count("top_k", top_k)
    replicates = Replicates(methodology, data, spec)
    plan = draw_plan(methodology, spec, runs, seed)
    shape = (runs, len(replicates.units))
    ranks = _matrix(shape, np.int32)
    scores = _matrix(shape, np.float32)
    with _progress_bar(progress, runs) as advance:
        for block in replicates.blocks(plan):
            ranks[block.runs] = block.ranks
            scores[block.runs] = block.scores
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
    if np.prod(shape) * np.dtype(dtype).itemsize <= IN_MEMORY_BYTES:
        return np.empty(shape, dtype=dtype)
    return np.memmap(tempfile.TemporaryFile(prefix="rasad-replicates-"), dtype=dtype, mode="w+", shape=shape)


@contextmanager
def _progress_bar(show: bool, total: int):
    """Yield a function that advances a rich progress bar on stderr by a number of
    replicates (a no-op when ``show`` is false)."""
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


def _by_units(matrix: np.ndarray):
    """The matrix's columns a slice at a time, as floats with NaN where unranked."""
    for start in range(0, matrix.shape[1], STATS_UNITS):
        yield slice(start, start + STATS_UNITS), np.asarray(matrix[:, start:start + STATS_UNITS])


def _quantiles(values: np.ndarray) -> tuple[np.ndarray, ...]:
    """Mean, median, 5th and 95th percentiles (type 7) of each column, NaN skipped."""
    with np.errstate(invalid="ignore"), _quiet_empty():
        if np.isnan(values).any():
            mean = np.nanmean(values, axis=0)
            median = np.nanmedian(values, axis=0)
            q05, q95 = np.nanquantile(values, [0.05, 0.95], axis=0, method="linear")
        else:
            mean, median = values.mean(axis=0), np.median(values, axis=0)
            q05, q95 = np.quantile(values, [0.05, 0.95], axis=0, method="linear")
    return mean, median, q05, q95


@contextmanager
def _quiet_empty():
    """A unit no replicate ranked has no statistics: NaN, without numpy's warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Mean of empty slice", RuntimeWarning)
        warnings.filterwarnings("ignore", "All-NaN slice encountered", RuntimeWarning)
        yield


def _rank_stats(nominal: pd.Series, ranks: np.ndarray, top_k: int) -> pd.DataFrame:
    n = ranks.shape[1]
    mean, median, q05, q95, p_top = (np.empty(n) for _ in range(5))
    for columns, block in _by_units(ranks):
        ranked = block > 0
        values = block.astype(np.float64)
        values[~ranked] = np.nan
        mean[columns], median[columns], q05[columns], q95[columns] = _quantiles(values)
        p_top[columns] = (ranked & (block <= top_k)).mean(axis=0)
    return pd.DataFrame({
        "nominal": nominal.astype("Int64"),
        "mean": mean, "median": median, "q05": q05, "q95": q95, "p_top": p_top,
    }, index=nominal.index)


def _score_stats(nominal: pd.Series, scores: np.ndarray) -> pd.DataFrame:
    n = scores.shape[1]
    mean, median, q05, q95 = (np.empty(n) for _ in range(4))
    for columns, block in _by_units(scores):
        mean[columns], median[columns], q05[columns], q95[columns] = _quantiles(block.astype(np.float64))
    return pd.DataFrame({"score": nominal.to_numpy(dtype=float), "mean": mean, "q05": q05,
                         "median": median, "q95": q95}, index=nominal.index)
