"""Benchmark: the SME-100 steps on 1,000,000 enterprises × 30 indicators within 20 sectors.

Run:  .venv/bin/python benchmarks/bench_index.py [--units 1000000] [--repeats 3] [--steps]

Measures `rasad.index.build` once the data is in memory (scores and overall ranks of
every node, keep="final"), and its peak extra memory (tracemalloc, which numpy reports
its allocations to) as a multiple of the input matrix, against two peers in numpy:

- the numpy floor (:func:`numpy_floor`): the core of the same work in straight numpy
  on the same data frame, with none of the engine's checks, logs or result tables —
  the 30 indicator columns copied into one Fortran-ordered matrix and multiplied by
  their directions, min-max normalised onto 0–100 within each of the 20 sectors
  (each sector's extremes by one ``reduceat`` over the sector-sorted column, missing
  values left out), the weighted arithmetic mean along the methodology's tree (weights
  renormalised over the children a unit has), and the index ranked by one ``argsort``.
  The build does more (imputation, COINr's outlier treatment, screening, ranks of
  every node, the input checks and the results), so build / floor is the price of all
  of that over the bare arithmetic: the fixed cost per build at 1,000 units, the
  per-value cost at a million. The median of ``--repeats`` runs, as for the build.
- one plain argsort per node, what ranking the scores costs done the obvious way.

``--steps`` adds the wall time of each step of the build, per run and as the median
over the runs, by wrapping the functions the pipeline calls with a timer, so the engine
carries no timing code; "rest" is the build's time outside them (factorising groups,
assembling results). On a virtual machine whose fresh memory is sometimes slow to fault
in, the runs where it is show up as the same steps (those that write new matrices)
taking longer.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import statistics
import threading
import time
import tracemalloc
from collections import defaultdict

import numpy as np
import pandas as pd

from rasad.index import build, loads, pipeline

# the functions `build` calls, in order, under the names the step table prints
STEPS = {
    "prepare": "prepare",
    "impute": "impute",
    "screen": "screen",
    "treat": "_treat",
    "normalise": "_normalise",
    "aggregate": "aggregate_tree",
    "rank": "rank_min",
}

PILLARS = {
    "growth": 4,
    "productivity": 5,
    "exports": 4,
    "innovation": 5,
    "standards": 4,
    "finance": 5,
    "skills": 3,
}


def methodology_text() -> str:
    lines = [
        'name: {en: "SME-100 shape, 30 indicators"}',
        'version: "bench"',
        "unit: id",
        "groups: [sector, size_class, province]",
        "indicators:",
    ]
    tree, k = [], 0
    for pillar, n in PILLARS.items():
        children = []
        for _ in range(n):
            direction = -1 if k % 7 == 3 else 1
            lines.append(f"  - {{code: x{k:02d}, direction: {direction}}}")
            children.append(f"x{k:02d}")
            k += 1
        tree.append(f"  - {{code: {pillar}, children: [{', '.join(children)}]}}")
    lines += [
        "steps:",
        "  impute: {method: group_median, by: sector}",
        "  treat: {method: winsorise, winmax: 5, skew: 2, kurtosis: 3.5, fallback: log}",
        "  normalise: {method: minmax, range: [0, 100], within: sector}",
        "  aggregate: {method: arithmetic, min_coverage: 0.5}",
        "tree:",
        f"  - {{code: SME100, children: [{', '.join(PILLARS)}]}}",
        *tree,
    ]
    return "\n".join(lines) + "\n"


def numpy_floor(methodology, data: pd.DataFrame) -> np.ndarray:
    """The index's ranks (1 = best; argsort order, missing scores last) by the bare
    arithmetic of the build in numpy: see the module's notes."""
    indicators = methodology.indicators
    n = len(data)
    X = np.empty((n, len(indicators)), order="F")
    for j, indicator in enumerate(indicators):
        X[:, j] = data[indicator.source].to_numpy()
        if indicator.direction < 0:
            X[:, j] *= -1.0
    sector = data["sector"].to_numpy()
    order = np.argsort(sector, kind="stable")
    sizes = np.bincount(sector)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    scores = {}
    for j, indicator in enumerate(indicators):
        grouped = X[order, j]
        low = np.fmin.reduceat(grouped, starts)[sector]
        high = np.fmax.reduceat(grouped, starts)[sector]
        scores[indicator.code] = (X[:, j] - low) / (high - low) * 100.0
    weight = {i.code: i.weight for i in indicators} | {v.code: v.weight for v in methodology.nodes}
    for node in methodology.nodes_bottom_up:
        total, weights = np.zeros(n), np.zeros(n)
        for child in node.children:
            values = scores.pop(child)
            present = ~np.isnan(values)
            total += np.where(present, values * weight[child], 0.0)
            weights += present * weight[child]
        with np.errstate(invalid="ignore"):  # a unit without children's values: NaN
            scores[node.code] = total / weights
    index = scores[methodology.root.code]
    ranks = np.empty(n)
    ranks[np.argsort(-index, kind="stable")] = np.arange(1, n + 1)
    return ranks


def make_data(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    columns = {
        "id": np.arange(n),
        "sector": rng.integers(0, 20, n),
        "size_class": rng.integers(0, 3, n),
        "province": rng.integers(0, 31, n),
    }
    for k in range(30):
        values = rng.lognormal(0, 1 + (k % 3) * 0.5, n) if k % 2 else rng.normal(50, 10, n)
        values[rng.random(n) < 0.04] = np.nan
        columns[f"x{k:02d}"] = values
    return pd.DataFrame(columns)


class StepTimer:
    """Wall time per step: from the first call's start to the last call's end within a
    build, so that the ranks, which run in threads, count once, not once per node."""

    def __init__(self):
        self.spans: dict[str, list[float]] = {}
        self.lock = threading.Lock()

    def install(self) -> None:
        for step, name in STEPS.items():
            setattr(pipeline, name, self._timed(step, getattr(pipeline, name)))

    def _timed(self, step, function):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                end = time.perf_counter()
                with self.lock:
                    first, last = self.spans.get(step, (start, end))
                    self.spans[step] = [min(first, start), max(last, end)]

        return timed

    def take(self, total: float) -> dict[str, float]:
        times = {step: end - start for step, (start, end) in self.spans.items()}
        times["rest"] = total - sum(times.values())
        self.spans = {}
        return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", action="store_true", help="also time each step of the build")
    args = parser.parse_args()
    timer = StepTimer() if args.steps else None
    methodology = loads(methodology_text())
    data = make_data(args.units)
    matrix_bytes = args.units * 30 * 8
    build(methodology, data.head(1000), keep="final")  # warm-up: imports and caches
    numpy_floor(methodology, data.head(1000))

    if timer:
        timer.install()
        timer.take(0.0)  # forget the warm-up
    times, steps = [], defaultdict(list)
    cpu, floor_times, floor_cpu = [], [], []
    for _ in range(args.repeats):  # the build and its floor in turn, under the same load
        start, used = time.perf_counter(), time.process_time()
        results = build(methodology, data, keep="final")
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - used)
        if timer:
            for step, seconds in timer.take(times[-1]).items():
                steps[step].append(seconds)
        start, used = time.perf_counter(), time.process_time()
        numpy_floor(methodology, data)
        floor_times.append(time.perf_counter() - start)
        floor_cpu.append(time.process_time() - used)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    build(methodology, data, keep="final")
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()

    floor = statistics.median(floor_times)

    X = np.asfortranarray(results.scores.to_numpy())
    start = time.perf_counter()
    for j in range(X.shape[1]):
        np.argsort(-X[:, j])
    argsort_peer = time.perf_counter() - start

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"units: {args.units:,} × 30 indicators, 8 aggregates, normalised within 20 sectors")
    print(
        f"build (keep='final'): median {statistics.median(times):.4f} s over {args.repeats} runs "
        f"(min {min(times):.4f}, max {max(times):.4f}); CPU median {statistics.median(cpu):.4f} s"
    )
    print(
        f"peak extra memory: {peak / 1e6:,.0f} MB = {peak / matrix_bytes:.2f} × the input "
        f"matrix ({matrix_bytes / 1e6:,.0f} MB)"
    )
    print(
        f"numpy floor (the same arithmetic in plain numpy): median {floor:.4f} s over "
        f"{args.repeats} (min {min(floor_times):.4f}); CPU median "
        f"{statistics.median(floor_cpu):.4f} s"
    )
    print(
        f"build / floor = {statistics.median(times) / floor:.1f}× wall, "
        f"{statistics.median(cpu) / statistics.median(floor_cpu):.1f}× CPU (threads' CPU "
        "included)"
    )
    print(
        f"peer (numpy argsort of the 8 node scores alone): {argsort_peer:.3f} s; "
        f"build / peer = {statistics.median(times) / argsort_peer:.1f}×"
    )
    print(f"ranked units: {int(results.rank.notna().sum()):,}")
    if steps:
        for run, total in enumerate(times):
            print(
                f"run {run + 1} ({total:.3f} s): "
                + ", ".join(f"{step} {t[run]:.3f}" for step, t in steps.items())
            )
        print(
            "steps (median s): "
            + ", ".join(f"{step} {statistics.median(t):.3f}" for step, t in steps.items())
        )


if __name__ == "__main__":
    main()
