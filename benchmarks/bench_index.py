"""Benchmark: the SME-100 steps on 1,000,000 enterprises × 30 indicators within 20 sectors.

Run:  .venv/bin/python benchmarks/bench_index.py [--units 1000000] [--repeats 3]

Measures `rasad.index.build` once the data is in memory (scores and overall ranks of
every node, keep="final"), and its peak extra memory (tracemalloc, which numpy reports
its allocations to) as a multiple of the input matrix. The peer is numpy itself: the
bare cost of one argsort per node, the floor of any ranking.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import tracemalloc

import numpy as np
import pandas as pd

from rasad.index import build, loads

PILLARS = {"growth": 4, "productivity": 5, "exports": 4, "innovation": 5, "standards": 4, "finance": 5, "skills": 3}


def methodology_text() -> str:
    lines = ['name: {en: "SME-100 shape, 30 indicators"}', 'version: "bench"', "unit: id",
             "groups: [sector, size_class, province]", "indicators:"]
    tree, k = [], 0
    for pillar, n in PILLARS.items():
        children = []
        for _ in range(n):
            direction = -1 if k % 7 == 3 else 1
            lines.append(f"  - {{code: x{k:02d}, direction: {direction}}}")
            children.append(f"x{k:02d}")
            k += 1
        tree.append(f"  - {{code: {pillar}, children: [{', '.join(children)}]}}")
    lines += ["steps:",
              "  impute: {method: group_median, by: sector}",
              "  treat: {method: winsorise, winmax: 5, skew: 2, kurtosis: 3.5, fallback: log}",
              "  normalise: {method: minmax, range: [0, 100], within: sector}",
              "  aggregate: {method: arithmetic, min_coverage: 0.5}",
              "tree:", f"  - {{code: SME100, children: [{', '.join(PILLARS)}]}}", *tree]
    return "\n".join(lines) + "\n"


def make_data(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    columns = {"id": np.arange(n), "sector": rng.integers(0, 20, n), "size_class": rng.integers(0, 3, n),
               "province": rng.integers(0, 31, n)}
    for k in range(30):
        values = rng.lognormal(0, 1 + (k % 3) * 0.5, n) if k % 2 else rng.normal(50, 10, n)
        values[rng.random(n) < 0.04] = np.nan
        columns[f"x{k:02d}"] = values
    return pd.DataFrame(columns)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    methodology = loads(methodology_text())
    data = make_data(args.units)
    matrix_bytes = args.units * 30 * 8
    build(methodology, data.head(1000), keep="final")  # warm-up: imports and caches

    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        results = build(methodology, data, keep="final")
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    build(methodology, data, keep="final")
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()

    X = np.asfortranarray(results.scores.to_numpy())
    start = time.perf_counter()
    for j in range(X.shape[1]):
        np.argsort(-X[:, j], kind="stable")
    argsort_floor = time.perf_counter() - start

    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}, numpy {np.__version__}")
    print(f"units: {args.units:,} × 30 indicators, 8 aggregates, normalised within 20 sectors")
    print(f"build (keep='final'): median {statistics.median(times):.3f} s over {args.repeats} runs "
          f"(min {min(times):.3f}, max {max(times):.3f})")
    print(f"peak extra memory: {peak / 1e6:,.0f} MB = {peak / matrix_bytes:.2f} × the input matrix ({matrix_bytes / 1e6:,.0f} MB)")
    print(f"floor (numpy argsort of the 8 node scores alone): {argsort_floor:.3f} s; "
          f"build / floor = {statistics.median(times) / argsort_floor:.1f}×")
    print(f"ranked units: {int(results.rank.notna().sum()):,}")


if __name__ == "__main__":
    main()
