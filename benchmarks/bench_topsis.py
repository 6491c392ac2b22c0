"""Benchmark: TOPSIS on 1,000,000 units × 20 criteria against scikit-criteria and
pymcdm, and competition ranking of 1,000,000 scores against scipy and numpy's sorts.

Run:  .venv/bin/python benchmarks/bench_topsis.py [--units 1000000] [--criteria 20]
          [--repeats 3] [--small 100000]

Every method gets the same Fortran-ordered matrix (the layout the engine passes) and
the same weights, in one run; each timing is the median of ``--repeats`` runs, and the
scores of each peer are compared with ours (max absolute difference). The peers run
with their default settings:
- scikit-criteria: ``VectorScaler(target="matrix")`` then ``TOPSIS()`` (its TOPSIS
  does not normalise; this is its documented pipeline, Hwang & Yoon's vector
  normalisation), timed on a prebuilt ``DecisionMatrix`` and, separately, including
  ``mkdm``; compared with our ``normalisation="vector"``.
- pymcdm: ``TOPSIS()(matrix, weights, types)``, whose default is min-max normalisation
  and input validation; compared with our ``normalisation="minmax"``. Also timed with
  ``validation=False``, its fastest setting.
The same table is printed at ``--small`` units, where slow peers are cheap to repeat.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import warnings
from importlib.metadata import version

import numpy as np

from rasad.index.aggregate import aggregate
from rasad.index.rank import rank_min


def timed(function, repeats):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def environment():
    lines = [
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.machine()} {platform.processor() or ''}".rstrip(),
        f"logical CPUs: {_cpus()}",
    ]
    for package in ("scipy", "scikit-criteria", "pymcdm"):
        try:
            lines.append(f"{package} {version(package)}")
        except Exception:  # noqa: BLE001 - a missing peer is reported, not fatal
            lines.append(f"{package}: not installed")
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            lines.append(
                f"BLAS/threads: {pool.get('internal_api')} {pool.get('version')} "
                f"({pool.get('user_api')}, {pool.get('num_threads')} threads, "
                f"{pool.get('architecture', '')})"
            )
    except ImportError:
        lines.append("threadpoolctl not installed: BLAS not reported")
    return lines


def _cpus():
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def topsis_table(n, k, repeats, seed=1):
    import skcriteria as skc
    from pymcdm.methods import TOPSIS as PymcdmTOPSIS
    from skcriteria.agg.topsis import TOPSIS as SkcTOPSIS
    from skcriteria.preprocessing.scalers import VectorScaler

    rng = np.random.default_rng(seed)
    X = np.asfortranarray(rng.lognormal(3, 1, (n, k)))
    w = rng.uniform(0.5, 2, k)
    w /= w.sum()
    types = np.ones(k, dtype=int)

    rows = []
    ours_vector_s, ours_vector = timed(lambda: aggregate(X, w, "topsis").values, repeats)
    rows.append(("rasad topsis, vector", ours_vector_s, None, None))
    ours_minmax_s, ours_minmax = timed(
        lambda: aggregate(X, w, "topsis", params={"normalisation": "minmax"}).values, repeats
    )
    rows.append(("rasad topsis, minmax", ours_minmax_s, None, None))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mkdm_s, dm = timed(lambda: skc.mkdm(X, objectives=[max] * k, weights=w), 1)
        scaler, ranker = VectorScaler(target="matrix"), SkcTOPSIS()
        skc_s, skc_scores = timed(
            lambda: ranker.evaluate(scaler.transform(dm)).e_.similarity, repeats
        )
    difference = float(np.max(np.abs(skc_scores - ours_vector)))
    rows.append(("scikit-criteria VectorScaler+TOPSIS", skc_s, ours_vector_s, difference))
    rows.append(("  same, including mkdm", skc_s + mkdm_s, ours_vector_s, difference))

    pymcdm_s, pymcdm_scores = timed(lambda: PymcdmTOPSIS()(X, w, types), repeats)
    difference = float(np.max(np.abs(pymcdm_scores - ours_minmax)))
    rows.append(("pymcdm TOPSIS() (minmax, validated)", pymcdm_s, ours_minmax_s, difference))
    fast_s, fast_scores = timed(lambda: PymcdmTOPSIS()(X, w, types, validation=False), repeats)
    rows.append(
        (
            "  same, validation=False",
            fast_s,
            ours_minmax_s,
            float(np.max(np.abs(fast_scores - ours_minmax))),
        )
    )

    print(f"\nTOPSIS, {n:,} units × {k} criteria, median of {repeats}")
    print(f"{'method':40s} {'seconds':>9s} {'× ours':>8s} {'max |Δ score|':>14s}")
    for name, seconds, ours_s, diff in rows:
        ratio = f"{seconds / ours_s:8.1f}" if ours_s else f"{'':8s}"
        delta = f"{diff:14.1e}" if diff is not None else ""
        print(f"{name:40s} {seconds:9.4f} {ratio} {delta}")


def rank_table(n, repeats, seed=2):
    import scipy.stats

    rng = np.random.default_rng(seed)
    scores = np.round(rng.normal(50, 10, n), 3)  # ties, as scores rounded for publication have
    groups = rng.integers(0, 20, n)
    ours_s, ours = timed(lambda: rank_min(scores), repeats)
    grouped_s, _ = timed(lambda: rank_min(scores, groups=groups), repeats)
    scipy_s, theirs = timed(lambda: scipy.stats.rankdata(-scores, method="min"), repeats)
    argsort_s, _ = timed(lambda: np.argsort(scores), repeats)
    stable_s, _ = timed(lambda: np.argsort(scores, kind="stable"), repeats)
    sort_s, _ = timed(lambda: np.sort(scores), repeats)
    rows = [
        ("rasad rank_min", ours_s),
        ("rasad rank_min, within 20 groups", grouped_s),
        ("scipy.stats.rankdata(-x, 'min')", scipy_s),
        ("np.argsort (default)", argsort_s),
        ("np.argsort (stable)", stable_s),
        ("np.sort", sort_s),
    ]
    print(
        f"\nRanking {n:,} scores (ties: min), median of {repeats}; "
        f"rank_min equals rankdata: {bool(np.array_equal(ours, theirs))}"
    )
    print(f"{'method':40s} {'seconds':>9s} {'× rank_min':>11s}")
    for name, seconds in rows:
        print(f"{name:40s} {seconds:9.4f} {seconds / ours_s:11.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--criteria", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--small", type=int, default=100_000)
    args = parser.parse_args()
    print("\n".join(environment()))
    topsis_table(args.units, args.criteria, args.repeats)
    if args.small:
        topsis_table(args.small, args.criteria, args.repeats)
    rank_table(args.units, args.repeats)


if __name__ == "__main__":
    main()
