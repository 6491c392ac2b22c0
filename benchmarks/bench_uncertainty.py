"""Benchmark: uncertainty and sensitivity analysis (issue 4's three speed targets).

Run:  .venv/bin/python benchmarks/bench_uncertainty.py [--repeats 5] [--units 100000] [--runs 1000]

1. ASEM with COINr's vignette spec (``asem-uncertainty``), N = 100 and N = 1000:
   ``uncertainty()`` end to end (nominal build, checks, replicates, statistics), the
   median of ``--repeats``. Peer, in the same run: the same replicates as one full
   ``build`` each (what a plain loop over replicates does, and what Rasad did before
   the block engine). COINr itself, in the same run, is ``bench_coinr.py``'s.
2. 100,000 enterprises × 30 indicators (the SME-100 shape of ``bench_index.py``), 1,000
   replicates with weight noise on indicators and pillars and two normalisations ×
   two aggregations (arithmetic, generalised p = 0.5): wall time, and peak extra memory
   (tracemalloc, to which numpy reports its allocations) in a second, separate run.
   Peer: one full build per replicate, timed on ``--peer-runs`` replicates of the same
   plan and scaled.
3. Sensitivity, 5 inputs, N = 1,000 (7,000 runs) on 10,000 enterprises.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_index import make_data, methodology_text  # noqa: E402

from rasad.index import build, load, loads  # noqa: E402
from rasad.index.sensitivity import sensitivity  # noqa: E402
from rasad.index.uncertainty import (  # noqa: E402
    UncertaintySpec,
    draw_plan,
    load_spec,
    replicate_methodology,
    uncertainty,
)

ASEM_DATA = Path(__file__).parent.parent / "tests" / "fixtures" / "coinr_asem" / "ASEM_iData.csv"
# Percentile ranks are 0 at each sector's worst value, which a geometric mean refuses (the
# spec stopped before any replicate since rank normalisation became percentile_rank); the
# generalised mean with p = 0.5 takes zeros and costs the geometric mean's transform.
LARGE_SPEC = {
    "weights": {1: {"uniform": 0.25}, 2: {"uniform": 0.25}},
    "normalise": [{"method": "minmax", "range": [1, 100]}, {"method": "percentile_rank"}],
    "aggregate": ["arithmetic", {"method": "generalised", "p": 0.5}],
}
SENSITIVITY_SPEC = LARGE_SPEC | {"winmax": [3, 8]}


def timed(function, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def one_build_per_replicate(methodology, data, spec, runs: int, seed: int = 1) -> None:
    plan = draw_plan(methodology, spec, runs, seed)
    for r in range(runs):
        build(replicate_methodology(methodology, plan.draw(r)), data, keep="final")


def asem(repeats: int) -> None:
    methodology = load("asem")
    data = pd.read_csv(ASEM_DATA)
    spec = load_spec("asem-uncertainty", methodology=methodology)
    print("\n## ASEM (51 units × 49 indicators), COINr's vignette spec")
    for runs in (100, 1000):
        median, times = timed(
            lambda runs=runs: uncertainty(methodology, data, spec, runs=runs, seed=1), repeats
        )
        print(
            f"uncertainty N={runs}: median {median:.3f} s over {repeats} (min {min(times):.3f}, "
            f"max {max(times):.3f})"
        )
        if runs == 100:
            peer, _ = timed(lambda: one_build_per_replicate(methodology, data, spec, 100), 1)
            print(
                f"peer, one full build per replicate, N=100: {peer:.3f} s; peer / ours = "
                f"{peer / median:.1f}×"
            )


def large(units: int, runs: int, peer_runs: int) -> None:
    methodology = loads(methodology_text())
    data = make_data(units)
    spec = UncertaintySpec.from_dict(LARGE_SPEC)
    print(f"\n## {units:,} units × 30 indicators, {runs:,} replicates")
    start = time.perf_counter()
    result = uncertainty(methodology, data, spec, runs=runs, seed=1)
    elapsed = time.perf_counter() - start
    print(
        f"uncertainty: {elapsed:.2f} s ({elapsed / runs * 1e3:.2f} ms per replicate); "
        f"{result.crossing_top} intervals cross the top-100 boundary"
    )
    del result
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    uncertainty(methodology, data, spec, runs=runs, seed=1)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    print(
        f"peak extra memory (second run, tracemalloc): {peak / 2**20:,.0f} MB "
        f"(the two result matrices alone: {2 * runs * units * 4 / 2**20:,.0f} MB)"
    )
    start = time.perf_counter()
    one_build_per_replicate(methodology, data, spec, peer_runs)
    per_run = (time.perf_counter() - start) / peer_runs
    print(
        f"peer, one full build per replicate: {per_run * 1e3:.0f} ms per replicate (over "
        f"{peer_runs}), "
        f"{per_run * runs:.0f} s for {runs:,}; peer / ours = {per_run * runs / elapsed:.1f}×"
    )


def sobol(units: int, n: int) -> None:
    methodology = loads(methodology_text())
    data = make_data(units)
    spec = UncertaintySpec.from_dict(SENSITIVITY_SPEC)
    print(f"\n## Sensitivity, 5 inputs, N = {n:,} ({n * 7:,} runs) on {units:,} units")
    start = time.perf_counter()
    indices = sensitivity(methodology, data, spec, n, seed=1, bootstrap=1000)
    elapsed = time.perf_counter() - start
    print(f"sensitivity: {elapsed:.2f} s")
    print(indices.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--peer-runs", type=int, default=10)
    parser.add_argument("--sobol-units", type=int, default=10_000)
    parser.add_argument("--sobol-n", type=int, default=1000)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, python {platform.python_version()}, numpy {np.__version__}"
    )
    asem(args.repeats)
    large(args.units, args.runs, args.peer_runs)
    sobol(args.sobol_units, args.sobol_n)


if __name__ == "__main__":
    main()
