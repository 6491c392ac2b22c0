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

The runs can be split among several worker processes: :func:`chunk_ranges` cuts
0..runs into consecutive ranges, :func:`compute_chunk` computes one range of the plan
the seed draws (:class:`ChunkResult`, stored between processes by ``write``), and
:func:`merge_chunks` summarises them; the result is exactly :func:`uncertainty`'s,
which runs the same code on one range of all the runs. The matrices' row r is run r of
the plan, whichever block computed it.

Quantiles are R's default type 7 (numpy's ``"linear"``), which is what COINr reports.
Pure: no Django.
"""

from __future__ import annotations

import io
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


def uncertainty(
    methodology: Methodology,
    data: pd.DataFrame,
    spec: UncertaintySpec,
    runs: int,
    seed=None,
    top_k: int = 100,
    progress: bool | Callable[[int, int], None] = False,
) -> UncertaintyResult:
    """Rank and score statistics over ``runs`` Monte Carlo replicates of ``spec``'s
    choices, drawn by :func:`~rasad.index.choices.draw_plan` from ``seed``.

    Runs are computed a block at a time, and their ranks and scores written into two
    runs × units matrices (int32 and float32, row r = run r of the plan), kept in a
    temporary file when larger than :data:`IN_MEMORY_BYTES`. ``progress=True`` shows a
    progress bar on stderr; a function instead is called as ``progress(done, runs)``
    after each block (a web page's background job reports it).

    The same as :func:`compute_chunk` of all the runs then :func:`merge_chunks`, without
    the copy."""
    _check_count("runs", runs)
    _check_count("top_k", top_k)
    replicates = Replicates(methodology, data, spec)
    shape = (runs, len(replicates.units))
    ranks = _matrix(shape, np.int32)
    scores = _matrix(shape, np.float32)
    _fill(replicates, draw_plan(methodology, spec, runs, seed), 0, runs, ranks, scores, progress)
    return _result(replicates, ranks, scores, top_k, seed, spec)


@dataclass(frozen=True)
class ChunkResult:
    """Runs ``start`` to ``stop`` (exclusive) of an uncertainty analysis's plan: their
    ranks (int32) and scores (float32), one row per run, the units in the order of
    :attr:`Replicates.units` (``stats``' order)."""

    start: int
    stop: int
    ranks: np.ndarray
    scores: np.ndarray

    def write(self, file) -> None:
        """Write the chunk to the binary ``file``: its range, ranks and scores as three
        ``.npy`` arrays one after the other (no pickle, no compression). Written
        straight from the matrices: a part of 500 runs × 100,000 units is 400 MB, and
        an ``.npz`` archive in memory copied it twice before it reached the storage."""
        for array in (np.array([self.start, self.stop], dtype=np.int64), self.ranks, self.scores):
            np.lib.format.write_array(file, np.asarray(array), allow_pickle=False)

    @classmethod
    def read(cls, file) -> ChunkResult:
        """The chunk :meth:`write` wrote to ``file`` (read into fresh arrays, by
        ``numpy.fromfile`` when ``file`` is an operating-system file)."""
        start, stop = (int(v) for v in np.lib.format.read_array(file, allow_pickle=False).tolist())
        ranks = np.lib.format.read_array(file, allow_pickle=False)
        scores = np.lib.format.read_array(file, allow_pickle=False)
        return cls(start, stop, ranks, scores)

    def to_bytes(self) -> bytes:
        """:meth:`write`'s bytes."""
        buffer = io.BytesIO()
        self.write(buffer)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ChunkResult:
        return cls.read(io.BytesIO(data))


def chunk_ranges(runs: int, chunks: int) -> list[tuple[int, int]]:
    """[start, stop) ranges covering 0..runs in ``chunks`` near-equal consecutive parts
    (fewer if runs < chunks): the first ``runs % chunks`` parts have one run more, so
    10 runs in 3 chunks are (0, 4), (4, 7), (7, 10)."""
    _check_count("runs", runs)
    _check_count("chunks", chunks)
    chunks = min(chunks, runs)
    size, extra = divmod(runs, chunks)
    ranges, start = [], 0
    for k in range(chunks):
        stop = start + size + (k < extra)
        ranges.append((start, stop))
        start = stop
    return ranges


def compute_chunk(
    methodology: Methodology,
    data: pd.DataFrame,
    spec: UncertaintySpec,
    runs: int,
    seed,
    start: int,
    stop: int,
    progress: bool | Callable[[int, int], None] | None = None,
) -> ChunkResult:
    """Runs ``start`` to ``stop`` of the plan ``uncertainty(..., runs, seed)`` draws: the
    whole plan is drawn from the seed and these rows of it run, so their ranks and
    scores are those of the full analysis, bit for bit, whatever the split (a run's
    arithmetic does not depend on the runs computed beside it). Several worker
    processes can each compute a chunk (:func:`chunk_ranges`) and one merge them
    (:func:`merge_chunks`). ``progress`` as :func:`uncertainty`'s, out of
    ``stop - start``."""
    _check_count("runs", runs)
    _check_range(start, stop, runs)
    replicates = Replicates(methodology, data, spec)
    shape = (stop - start, len(replicates.units))
    ranks = _matrix(shape, np.int32)
    scores = _matrix(shape, np.float32)
    _fill(
        replicates,
        draw_plan(methodology, spec, runs, seed),
        start,
        stop,
        ranks,
        scores,
        progress or False,
    )
    return ChunkResult(int(start), int(stop), ranks, scores)


def merge_chunks(
    methodology: Methodology,
    data: pd.DataFrame,
    spec: UncertaintySpec,
    runs: int,
    seed,
    top_k: int,
    chunks: list[ChunkResult],
) -> UncertaintyResult:
    """What ``uncertainty(methodology, data, spec, runs, seed=seed, top_k=top_k)`` gives,
    from chunks (:func:`compute_chunk`) covering runs 0 to ``runs``, in any order; a gap,
    an overlap or a chunk of another number of units is refused. The chunks are copied
    into one matrix each (in a temporary file when large), not concatenated; a process
    that computes some chunks itself and reads the others' assembles them in place with
    :class:`Merge` instead."""
    merge = Merge(methodology, data, spec, runs, seed, top_k)
    for chunk in sorted(chunks, key=lambda c: (c.start, c.stop)):
        merge.add(chunk)
    return merge.result()


class Merge:
    """An uncertainty analysis assembled in place from its chunks: the replicates set up
    once (:class:`Replicates`: the nominal build and the checks), the two runs × units
    matrices allocated once, and each chunk's rows written into them by
    :meth:`compute` (computed here), :meth:`read` (a chunk another process wrote with
    :meth:`ChunkResult.write`, read straight into its rows) or :meth:`add`. No chunk is
    held in memory beside the matrices, and nothing is copied twice: what the job's
    worker does when it shares the runs with others. :meth:`result` refuses a gap or an
    overlap, and gives exactly :func:`uncertainty`'s result."""

    def __init__(
        self,
        methodology: Methodology,
        data: pd.DataFrame,
        spec: UncertaintySpec,
        runs: int,
        seed,
        top_k: int = 100,
    ):
        _check_count("runs", runs)
        _check_count("top_k", top_k)
        self.replicates = Replicates(methodology, data, spec)
        self.methodology, self.spec, self.runs, self.seed, self.top_k = (
            methodology,
            spec,
            runs,
            seed,
            top_k,
        )
        self.units = len(self.replicates.units)
        self.ranks = _matrix((runs, self.units), np.int32)
        self.scores = _matrix((runs, self.units), np.float32)
        self._plan: Plan | None = None
        self._filled: list[tuple[int, int]] = []

    def compute(
        self, start: int, stop: int, progress: bool | Callable[[int, int], None] | None = None
    ) -> None:
        """Compute runs ``start`` to ``stop`` into their rows (:func:`compute_chunk`)."""
        _check_range(start, stop, self.runs)
        if self._plan is None:
            self._plan = draw_plan(self.methodology, self.spec, self.runs, self.seed)
        _fill(
            self.replicates,
            self._plan,
            start,
            stop,
            self.ranks[start:stop],
            self.scores[start:stop],
            progress or False,
        )
        self._filled.append((int(start), int(stop)))

    def add(self, chunk: ChunkResult) -> None:
        """Copy a chunk's ranks and scores into their rows."""
        _check_range(chunk.start, chunk.stop, self.runs)
        self._check_shape(chunk.start, chunk.stop, chunk.ranks.shape, chunk.scores.shape)
        self.ranks[chunk.start : chunk.stop] = chunk.ranks
        self.scores[chunk.start : chunk.stop] = chunk.scores
        self._filled.append((int(chunk.start), int(chunk.stop)))

    def read(self, file) -> tuple[int, int]:
        """Read a chunk :meth:`ChunkResult.write` wrote to the binary ``file`` straight
        into its rows (``readinto`` where the file has it); its range."""
        start, stop = (int(v) for v in np.lib.format.read_array(file, allow_pickle=False))
        _check_range(start, stop, self.runs)
        rows = (stop - start, self.units)
        ranks_shape = _read_into(file, self.ranks[start:stop], rows)
        scores_shape = (
            _read_into(file, self.scores[start:stop], rows) if ranks_shape == rows else None
        )
        self._check_shape(start, stop, ranks_shape, scores_shape or rows)
        self._filled.append((start, stop))
        return start, stop

    def _check_shape(self, start: int, stop: int, ranks_shape, scores_shape) -> None:
        expected = (stop - start, self.units)
        if ranks_shape != expected or scores_shape != expected:
            raise RasadInputError(
                f"chunks: the chunk of runs {start}–{stop - 1} holds {ranks_shape} ranks and "
                f"{scores_shape} scores, not {expected} (runs × units).",
                f"chunks: بخش تکرارهای {start} تا {stop - 1} {ranks_shape} رتبه و "
                f"{scores_shape} امتیاز دارد، نه {expected} (تکرار × واحد).",
                field="chunks",
                value=[start, stop],
            )

    def result(self) -> UncertaintyResult:
        """The analysis, once its chunks cover runs 0 to ``runs`` exactly once."""
        at = 0
        for start, stop in sorted(self._filled):
            if start > at:
                raise RasadInputError(
                    f"chunks: runs {at}–{start - 1} are in no chunk.",
                    f"chunks: تکرارهای {at} تا {start - 1} در هیچ بخشی نیستند.",
                    field="chunks",
                    value=[at, start],
                )
            if start < at:
                raise RasadInputError(
                    f"chunks: runs {start}–{at - 1} are in more than one chunk.",
                    f"chunks: تکرارهای {start} تا {at - 1} در بیش از یک بخش‌اند.",
                    field="chunks",
                    value=[start, at],
                )
            at = stop
        if at < self.runs:
            raise RasadInputError(
                f"chunks: runs {at}–{self.runs - 1} are in no chunk.",
                f"chunks: تکرارهای {at} تا {self.runs - 1} در هیچ بخشی نیستند.",
                field="chunks",
                value=[at, self.runs],
            )
        return _result(self.replicates, self.ranks, self.scores, self.top_k, self.seed, self.spec)


def _read_into(file, out: np.ndarray, expected: tuple[int, int]) -> tuple[int, ...]:
    """Read the next ``.npy`` array of ``file`` into ``out`` (C-contiguous, of its
    dtype) when its shape is ``expected``; its shape either way (the caller refuses
    another)."""
    version = np.lib.format.read_magic(file)
    reader = (
        np.lib.format.read_array_header_1_0
        if version == (1, 0)
        else np.lib.format.read_array_header_2_0
    )
    shape, fortran_order, dtype = reader(file)
    if tuple(shape) != tuple(expected):
        return tuple(shape)
    if fortran_order or dtype != out.dtype or not out.flags.c_contiguous:
        raise RasadInputError(
            f"chunks: a stored chunk holds {dtype} values in another layout, not {out.dtype}.",
            f"chunks: بخشی ذخیره‌شده مقادیر {dtype} با چینشی دیگر دارد، نه {out.dtype}.",
            field="chunks",
        )
    view = out.reshape(-1).view(np.uint8).data
    at = 0
    readinto = getattr(file, "readinto", None)
    while at < len(view):
        if readinto is not None:
            got = readinto(view[at:])
        else:
            data = file.read(len(view) - at)
            got = len(data)
            view[at : at + got] = data
        if not got:
            raise RasadInputError(
                "chunks: a stored chunk ends before its last run.",
                "chunks: بخشی ذخیره‌شده پیش از آخرین تکرارش تمام می‌شود.",
                field="chunks",
            )
        at += got
    return tuple(shape)


def _check_range(start, stop, runs: int) -> None:
    if (
        isinstance(start, bool)
        or isinstance(stop, bool)
        or not isinstance(start, int | np.integer)
        or not isinstance(stop, int | np.integer)
        or not 0 <= start < stop <= runs
    ):
        raise RasadInputError(
            f"chunk: [{start}, {stop}) is not a range of runs within 0–{runs}.",
            f"chunk: [{start}, {stop}) بازه‌ای از تکرارها در 0 تا {runs} نیست.",
            field="chunk",
            value=[start, stop],
        )


def _fill(
    replicates: Replicates,
    plan: Plan,
    start: int,
    stop: int,
    ranks: np.ndarray,
    scores: np.ndarray,
    progress: bool | Callable[[int, int], None],
) -> None:
    """Run rows ``start:stop`` of ``plan`` and write run ``start + i``'s ranks and scores
    into row ``i`` of the matrices. The runs are taken in :meth:`Replicates.order`'s
    order (a block shares a normalised matrix), and each run's numbers do not depend on
    the block it is computed in, so any split gives the same rows."""
    part = plan.rows(np.arange(start, stop))
    order = replicates.order(part)
    with _progress_bar(progress, stop - start) as advance:
        for block in replicates.blocks(part.rows(order)):
            rows = order[
                block.runs[0] : block.runs[-1] + 1
            ]  # the block's runs, as rows of the part
            ranks[rows] = block.ranks
            scores[rows] = block.scores
            advance(len(block.runs))


def _result(
    replicates: Replicates,
    ranks: np.ndarray,
    scores: np.ndarray,
    top_k: int,
    seed,
    spec: UncertaintySpec,
) -> UncertaintyResult:
    return UncertaintyResult(
        stats=_rank_stats(replicates.nominal_rank, ranks, top_k),
        score_stats=_score_stats(replicates.nominal_score, scores),
        ranks=ranks,
        scores=scores,
        top_k=int(top_k),
        seed=seed,
        spec=spec,
    )


def _check_count(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise RasadInputError(
            f"{name} must be a whole number > 0, not {value!r}.",
            f"{name} باید عدد صحیح > 0 باشد، نه «{value}».",
            field=name,
            value=value,
        )


def _matrix(shape: tuple[int, int], dtype) -> np.ndarray:
    """A runs × units matrix in C order (a run's row contiguous); in a temporary file
    when large.

    Row-major because the runs arrive a block at a time, their rows scattered over the
    plan (:meth:`Replicates.order` groups them by stage): each is then one contiguous
    copy. In Fortran order (each unit's replicates contiguous) every block's rows were
    a transposition scattered over the whole matrix, whose cost grew faster than its
    number of rows (1,000 runs cost about twice two halves of 500). The
    statistics read the matrix ``STATS_UNITS`` columns at a time, and turn each slice
    into Fortran order there, in cache-sized pieces (:func:`_summaries`)."""
    if np.prod(shape) * np.dtype(dtype).itemsize <= IN_MEMORY_BYTES:
        return np.empty(shape, dtype=dtype)
    return np.memmap(
        tempfile.TemporaryFile(prefix="rasad-replicates-"),
        dtype=dtype,
        mode="w+",
        shape=shape,
    )


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

    with Progress(
        TextColumn("replicates"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        task = bar.add_task("replicates", total=total)
        yield lambda done: bar.advance(task, done)


def _summaries(matrix: np.ndarray, to_values) -> tuple[np.ndarray, ...]:
    """Per unit (column): mean, median, 5th and 95th percentile of ``to_values`` of its
    replicates, NaN skipped (and NaN for a unit with none). A slice of units at a time,
    the slices shared among the cores. ``to_values`` returns the slice as float64 in
    Fortran order, each unit's replicates contiguous: the sums along them are then
    numpy's pairwise sums, the same bits whatever the matrix's own layout."""
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
        values = block.astype(np.float64, order="F")
        values[block <= 0] = np.nan
        return values

    mean, median, q05, q95 = _summaries(ranks, as_values)
    p_top = np.empty(ranks.shape[1])
    for start in range(0, ranks.shape[1], STATS_UNITS):
        block = np.asarray(ranks[:, start : start + STATS_UNITS])
        p_top[start : start + STATS_UNITS] = ((block > 0) & (block <= top_k)).mean(axis=0)
    return pd.DataFrame(
        {
            "nominal": nominal.astype("Int64"),
            "mean": mean,
            "median": median,
            "q05": q05,
            "q95": q95,
            "p_top": p_top,
        },
        index=nominal.index,
    )


def _score_stats(nominal: pd.Series, scores: np.ndarray) -> pd.DataFrame:
    mean, median, q05, q95 = _summaries(scores, lambda block: block.astype(np.float64, order="F"))
    return pd.DataFrame(
        {
            "score": nominal.to_numpy(dtype=float),
            "mean": mean,
            "q05": q05,
            "median": median,
            "q95": q95,
        },
        index=nominal.index,
    )
