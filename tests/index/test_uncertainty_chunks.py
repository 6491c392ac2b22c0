"""The uncertainty analysis in chunks (several worker processes, one merge): any split
gives exactly what one :func:`uncertainty` call gives."""

from importlib.resources import files

import numpy as np
import pandas as pd
import pytest

from rasad.errors import RasadInputError
from rasad.index import load
from rasad.index.uncertainty import (
    ChunkResult,
    chunk_ranges,
    compute_chunk,
    load_spec,
    merge_chunks,
    uncertainty,
)


def assert_identical(merged, whole):
    assert np.array_equal(merged.ranks, whole.ranks)
    assert np.array_equal(merged.scores, whole.scores, equal_nan=True)
    pd.testing.assert_frame_equal(merged.stats, whole.stats, check_exact=True)
    pd.testing.assert_frame_equal(merged.score_stats, whole.score_stats, check_exact=True)


def split(runs, cuts):
    edges = [0, *cuts, runs]
    return list(zip(edges[:-1], edges[1:], strict=True))


def in_chunks(methodology, data, spec, runs, seed, ranges, top_k=100):
    chunks = [
        ChunkResult.from_bytes(
            compute_chunk(methodology, data, spec, runs, seed, start, stop).to_bytes()
        )
        for start, stop in reversed(ranges)
    ]  # any order
    return merge_chunks(methodology, data, spec, runs, seed, top_k, chunks)


@pytest.fixture(scope="module")
def sme100(demo_table):
    methodology = load(files("rasad.methodologies") / "sme100.yaml")
    return methodology, demo_table(400, 3), load_spec("sme100-uncertainty", methodology=methodology)


@pytest.mark.parametrize("seed", [1, 7])
def test_sme100_chunks_merge_to_the_whole_run(sme100, seed):
    methodology, data, spec = sme100
    runs = 60
    whole = uncertainty(methodology, data, spec, runs, seed=seed, top_k=100)
    for ranges in (chunk_ranges(runs, 2), chunk_ranges(runs, 7), split(runs, [1, 2, 37])):
        assert_identical(in_chunks(methodology, data, spec, runs, seed, ranges), whole)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_asem_chunks_merge_to_the_whole_run(asem, spec, seed):
    methodology, data = asem
    runs = 100
    whole = uncertainty(methodology, data, spec, runs, seed=seed, top_k=10)
    for ranges in (chunk_ranges(runs, 3), chunk_ranges(runs, 7), split(runs, [1, 50, 51, 99])):
        assert_identical(in_chunks(methodology, data, spec, runs, seed, ranges, top_k=10), whole)


def test_a_chunk_is_its_rows_of_the_whole_run(asem, spec):
    methodology, data = asem
    whole = uncertainty(methodology, data, spec, 30, seed=5)
    calls = []
    chunk = compute_chunk(
        methodology,
        data,
        spec,
        30,
        5,
        11,
        23,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert (chunk.start, chunk.stop) == (11, 23)
    assert chunk.ranks.dtype == np.int32 and chunk.scores.dtype == np.float32
    assert np.array_equal(chunk.ranks, whole.ranks[11:23])
    assert np.array_equal(chunk.scores, whole.scores[11:23])
    assert calls[-1] == (12, 12)


def test_chunk_ranges():
    assert chunk_ranges(10, 3) == [(0, 4), (4, 7), (7, 10)]
    assert chunk_ranges(9, 3) == [(0, 3), (3, 6), (6, 9)]
    assert chunk_ranges(3, 5) == [(0, 1), (1, 2), (2, 3)]
    assert chunk_ranges(1000, 1) == [(0, 1000)]
    ranges = chunk_ranges(1001, 7)
    assert ranges[0][0] == 0 and ranges[-1][1] == 1001
    assert all(a[1] == b[0] for a, b in zip(ranges[:-1], ranges[1:], strict=True))
    assert {stop - start for start, stop in ranges} == {143}
    with pytest.raises(RasadInputError):
        chunk_ranges(10, 0)


def test_bytes_round_trip():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(4, 6)).astype(np.float32)
    scores[1, 2] = np.nan
    chunk = ChunkResult(8, 12, rng.integers(0, 7, size=(4, 6)).astype(np.int32), scores)
    back = ChunkResult.from_bytes(chunk.to_bytes())
    assert (back.start, back.stop) == (8, 12)
    assert back.ranks.dtype == np.int32 and back.scores.dtype == np.float32
    assert np.array_equal(back.ranks, chunk.ranks)
    assert np.array_equal(back.scores, chunk.scores, equal_nan=True)


def test_merge_refuses_gaps_overlaps_and_other_units(asem, spec):
    methodology, data = asem
    a, b, c = (
        compute_chunk(methodology, data, spec, 9, 1, start, stop)
        for start, stop in chunk_ranges(9, 3)
    )
    merge = lambda chunks: merge_chunks(methodology, data, spec, 9, 1, 100, chunks)  # noqa: E731
    with pytest.raises(RasadInputError, match="runs 3–5 are in no chunk") as error:
        merge([a, c])
    assert "در هیچ بخشی نیستند" in error.value.message_fa
    with pytest.raises(RasadInputError, match="runs 6–8 are in no chunk"):
        merge([a, b])
    wide = compute_chunk(methodology, data, spec, 9, 1, 2, 5)
    with pytest.raises(RasadInputError, match="runs 2–2 are in more than one chunk"):
        merge(
            [
                a,
                wide,
                ChunkResult(
                    5, 9, np.vstack([b.ranks[2:], c.ranks]), np.vstack([b.scores[2:], c.scores])
                ),
            ]
        )
    with pytest.raises(RasadInputError, match="not \\(3, 51\\)"):
        merge([a, b, ChunkResult(6, 9, c.ranks[:, :50], c.scores[:, :50])])
    assert_identical(merge([c, a, b]), uncertainty(methodology, data, spec, 9, seed=1))


def test_a_runs_float64_scores_do_not_depend_on_its_block(asem, spec):
    """The float32 matrices could hide a last-bit difference: the blocks' own scores
    are the same bits whatever the block size (a BLAS product's were not)."""
    from rasad.index.replicates import Replicates
    from rasad.index.uncertainty import draw_plan

    methodology, data = asem
    replicates = Replicates(methodology, data, spec)
    plan = draw_plan(methodology, spec, 120, 9)
    units = len(replicates.units)

    def scores(block_bytes):
        out = np.empty((plan.runs, units))
        for block in replicates.blocks(plan, block_bytes=block_bytes):
            out[block.runs] = block.scores
        return out

    whole = scores(2**40)
    for block_bytes in (1, 8 * units * 3 * 2, 8 * units * 3 * 37):
        assert np.array_equal(scores(block_bytes), whole, equal_nan=True)


def test_the_matrices_are_row_major_and_the_statistics_numpys(sme100):
    """A block's runs are copied into the matrices as whole rows (C order: a run's row
    contiguous, wherever the block's runs fall in the plan); the statistics read them a
    slice of units at a time and agree with numpy's own on each unit's replicates."""
    methodology, data, spec = sme100
    result = uncertainty(methodology, data, spec, 40, seed=3, top_k=25)
    assert result.ranks.flags.c_contiguous and result.scores.flags.c_contiguous
    ranks = np.where(result.ranks > 0, result.ranks, np.nan).astype(float)
    scores = result.scores.astype(float)
    for frame, values in ((result.stats, ranks), (result.score_stats, scores)):
        np.testing.assert_allclose(frame["mean"], np.nanmean(values, axis=0), rtol=1e-12)
        for column, p in (("median", 0.5), ("q05", 0.05), ("q95", 0.95)):
            np.testing.assert_allclose(frame[column], np.nanquantile(values, p, axis=0), rtol=1e-12)
    np.testing.assert_array_equal(
        result.stats["p_top"], ((result.ranks > 0) & (result.ranks <= 25)).mean(axis=0)
    )


def test_a_merge_computes_some_chunks_in_place_and_reads_the_others(sme100, tmp_path):
    """The job's worker: one set of matrices; its own part computed into its rows, the
    others' read from the files they wrote straight into theirs; the whole run's
    result, bit for bit."""
    from rasad.index.uncertainty import Merge

    methodology, data, spec = sme100
    runs, seed = 45, 4
    whole = uncertainty(methodology, data, spec, runs, seed=seed, top_k=50)
    (a, b), (c, d), (e, f) = chunk_ranges(runs, 3)
    for start, stop in ((c, d), (e, f)):
        with open(tmp_path / f"part-{start}.npy", "wb") as file:
            compute_chunk(methodology, data, spec, runs, seed, start, stop).write(file)
    merge = Merge(methodology, data, spec, runs, seed, top_k=50)
    calls = []
    merge.compute(a, b, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (b - a, b - a)
    for start in (e, c):  # any order
        with open(tmp_path / f"part-{start}.npy", "rb") as file:
            merge.read(file)
    assert_identical(merge.result(), whole)


def test_a_merge_reads_from_files_without_readinto_and_refuses_bad_ones(sme100, tmp_path):
    import io

    from rasad.index.uncertainty import Merge

    methodology, data, spec = sme100
    runs = 20
    whole = uncertainty(methodology, data, spec, runs, seed=2)
    first, second = (
        compute_chunk(methodology, data, spec, runs, 2, start, stop).to_bytes()
        for start, stop in chunk_ranges(runs, 2)
    )

    class ReadOnly:  # a storage's file with read() only
        def __init__(self, data):
            self.buffer = io.BytesIO(data)

        def read(self, size=-1):
            return self.buffer.read(size)

    merge = Merge(methodology, data, spec, runs, 2)
    merge.read(ReadOnly(first))
    with pytest.raises(RasadInputError, match="runs 10–19 are in no chunk"):
        merge.result()
    merge.read(ReadOnly(second))
    assert_identical(merge.result(), whole)

    merge = Merge(methodology, data, spec, runs, 2)
    with pytest.raises(RasadInputError, match="ends before its last run") as error:
        merge.read(io.BytesIO(first[:-5]))
    assert "تمام می‌شود" in error.value.message_fa
    narrow = ChunkResult(0, 10, whole.ranks[:10, :7].copy(), whole.scores[:10, :7].copy())
    with pytest.raises(RasadInputError, match="not \\(10, "):
        merge.read(io.BytesIO(narrow.to_bytes()))
    merge = Merge(methodology, data, spec, runs, 2)
    merge.read(io.BytesIO(first))
    with pytest.raises(RasadInputError, match="runs 0–9 are in more than one chunk"):
        merge.read(io.BytesIO(first))
        merge.result()
