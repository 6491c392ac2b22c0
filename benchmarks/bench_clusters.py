"""Benchmark: cluster measures on 1,000,000 enterprises, against plain peers.

Run:  .venv/bin/python benchmarks/bench_clusters.py [--firms 1000000] [--draws 1000]
          [--repeats 3] [--peer-draws 20] [--no-demo]

Two populations, each of ``--firms`` enterprises:
- *grid*: a synthetic one spread over all 31 provinces × 88 ISIC divisions (one class
  per division, log-normal weights and sizes), the shape of the issue's target;
- *demo*: ``rasad.demo.generate(--firms, seed=1)`` (24 manufacturing divisions, the
  planted clusters), with its returns turned into firm figures by ``firm_figures``.

Timed (median of ``--repeats``, each from a DataFrame of firms already in memory):
- ``location_quotients`` + ``cluster_stars`` (target ≤ 2 s), against a plain pandas
  groupby LQ (``groupby([province, division]).sum()`` then the ratio of shares), whose
  LQs are compared with ours;
- ``ellison_glaeser`` with a ``--draws`` simulated null for all divisions (target
  ≤ 30 s), once; against a naive per-sector loop (for each sector and draw:
  ``rng.choice(regions, n, p=x)`` then ``np.bincount``), both run with ``--peer-draws``
  in the same run, and the peer's time for ``--draws`` extrapolated linearly (labelled);
- on the demo population also ``firm_figures``, ``krugman`` and ``cluster_profiles``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import pandas as pd

from rasad.clusters import (
    cluster_profiles,
    cluster_stars,
    ellison_glaeser,
    firm_figures,
    krugman,
    location_quotients,
)
from rasad.iran import isic


def timed(function, repeats=1):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), result


def environment():
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    return [
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"{platform.machine()}",
        f"logical CPUs: {cpus}; load average at start: {', '.join(f'{x:.2f}' for x in load)}",
    ]


def grid_firms(n: int, seed: int) -> pd.DataFrame:
    """n firms over 31 provinces × all 88 ISIC divisions."""
    rng = np.random.default_rng(seed)
    table = isic()
    classes = table[table["level"] == "class"]
    one_class = classes.groupby(classes["code"].str[:2])["code"].first().to_numpy()
    weights = rng.lognormal(0, 1, len(one_class))
    province_weights = rng.lognormal(0, 1, 31)
    # a little regional specialisation: province × division weights with noise
    mix = np.outer(province_weights, weights) * rng.lognormal(0, 0.5, (31, len(one_class)))
    cell = rng.choice(mix.size, n, p=(mix / mix.sum()).ravel())
    return pd.DataFrame(
        {
            "national_id": pd.array(np.char.mod("%011d", np.arange(n)), dtype="string"),
            "isic_class": pd.array(one_class[cell % len(one_class)], dtype="string"),
            "province_code": (cell // len(one_class)).astype(np.int64),
            "employees": np.round(rng.lognormal(3.1, 1.05, n)) + 1,
        }
    )


def pandas_lq(firms: pd.DataFrame) -> pd.Series:
    """The plain-pandas peer: LQ of employment by province × division, nonzero cells."""
    division = firms["isic_class"].str[:2]
    cell = firms.groupby([firms["province_code"], division])["employees"].sum()
    region = cell.groupby(level=0).transform("sum")
    sector = cell.groupby(level=1).transform("sum")
    return (cell / region) / (sector / cell.sum())


def naive_eg(firms: pd.DataFrame, draws: int, seed: int) -> pd.DataFrame:
    """The naive peer: one sector at a time, one draw at a time, rng.choice with p."""
    rng = np.random.default_rng(seed)
    firms = firms[firms["employees"] > 0]  # as ours: plants with no or zero size are left out
    division = firms["isic_class"].str[:2].to_numpy()
    region = firms["province_code"].to_numpy()
    sizes = firms["employees"].to_numpy()
    regions = np.unique(region)
    index = np.searchsorted(regions, region)
    x = np.bincount(index, weights=sizes) / sizes.sum()
    sum_x2 = (x**2).sum()
    rows = []
    for sector in np.unique(division):
        mine = division == sector
        z, where = sizes[mine], index[mine]
        total = z.sum()
        h = ((z / total) ** 2).sum()
        g = ((np.bincount(where, weights=z, minlength=len(x)) / total - x) ** 2).sum()
        gamma = (g - (1 - sum_x2) * h) / ((1 - sum_x2) * (1 - h))
        null = []
        for _ in range(draws):
            placed = rng.choice(len(x), len(z), p=x)
            g0 = ((np.bincount(placed, weights=z, minlength=len(x)) / total - x) ** 2).sum()
            null.append((g0 - (1 - sum_x2) * h) / ((1 - sum_x2) * (1 - h)))
        low, high = np.quantile(null, [0.05, 0.95]) if draws else (np.nan, np.nan)
        rows.append((sector, gamma, low, high))
    return pd.DataFrame(rows, columns=["division", "gamma", "null_low", "null_high"])


def bench_lq(name: str, firms: pd.DataFrame, repeats: int) -> None:
    n = len(firms)
    ours, ours_min, stars = timed(lambda: cluster_stars(location_quotients(firms)), repeats)
    lq_only, _, table = timed(lambda: location_quotients(firms), repeats)
    peer, peer_min, peer_lq = timed(lambda: pandas_lq(firms), repeats)
    mine = table.set_index(["province_code", "division"])["lq"].reindex(peer_lq.index)
    diff = float(np.nanmax(np.abs(mine.to_numpy() - peer_lq.to_numpy())))
    print(
        f"\n[{name}] LQ + stars, {n:,} firms, {table['province_code'].nunique()} provinces × "
        f"{table['division'].nunique()} divisions ({len(table):,} cells)"
    )
    print(
        f"  location_quotients + cluster_stars: median {ours:.3f} s (min {ours_min:.3f}) "
        f"over {repeats}   [target ≤ 2 s]"
    )
    print(f"  location_quotients alone:           median {lq_only:.3f} s")
    print(f"  peer, plain pandas groupby LQ:      median {peer:.3f} s (min {peer_min:.3f})")
    print(
        f"  ratio peer / ours (LQ alone): {peer / lq_only:.1f}×; max |LQ difference| {diff:.1e}; "
        f"three-star cells: {(stars['stars'] == 3).sum()}"
    )


def bench_eg(name: str, firms: pd.DataFrame, draws: int, peer_draws: int) -> None:
    print(f"\n[{name}] Ellison–Glaeser, {len(firms):,} plants")
    full, _, table = timed(lambda: ellison_glaeser(firms, draws=draws, seed=1))
    print(
        f"  ellison_glaeser, {draws} draws, {len(table)} divisions: {full:.2f} s   [target ≤ 30 s]"
        f"; flags: {table['flag'].value_counts().to_dict()}"
    )
    if peer_draws:
        small, _, ours = timed(lambda: ellison_glaeser(firms, draws=peer_draws, seed=1))
        peer, _, theirs = timed(lambda: naive_eg(firms, peer_draws, seed=1))
        diff = float(
            np.nanmax(
                np.abs(ours.set_index("division")["gamma"] - theirs.set_index("division")["gamma"])
            )
        )
        print(
            f"  ours, {peer_draws} draws: {small:.2f} s; peer (naive per-sector loop), "
            f"{peer_draws} draws: {peer:.2f} s; ratio peer / ours {peer / small:.1f}×; "
            f"max |γ difference| {diff:.1e}"
        )
        print(
            f"  peer extrapolated to {draws} draws (linear, not measured): "
            f"≈ {peer / peer_draws * draws:.0f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peer-draws", type=int, default=20)
    parser.add_argument("--no-demo", action="store_true", help="skip the demo population")
    args = parser.parse_args()
    for line in environment():
        print(line)

    firms = grid_firms(args.firms, seed=1)
    bench_lq("grid", firms, args.repeats)
    bench_eg("grid", firms, args.draws, args.peer_draws)
    del firms

    if args.no_demo:
        return
    from rasad.demo import generate

    made, _, population = timed(lambda: generate(n_enterprises=args.firms, seed=1))
    print(
        f"\n[demo] generate({args.firms:,}, seed=1): {made:.1f} s (not part of any target); "
        f"{len(population.returns):,} returns"
    )
    figures_time, _, firms = timed(lambda: firm_figures(population.enterprises, population.returns))
    print(f"  firm_figures (latest value per firm from the returns): {figures_time:.2f} s")
    bench_lq("demo", firms, args.repeats)
    bench_eg("demo", firms, args.draws, args.peer_draws)
    k_time, _, _ = timed(lambda: krugman(firms), args.repeats)
    print(f"\n[demo] krugman: {k_time:.3f} s")
    p_time, _, profiles = timed(
        lambda: cluster_profiles(
            population.enterprises,
            population.returns,
            population.cluster_members,
            clusters=population.clusters,
        )
    )
    print(
        f"[demo] cluster_profiles ({len(population.cluster_members):,} members of "
        f"{len(profiles.summary)} clusters, 5 years): {p_time:.2f} s"
    )


if __name__ == "__main__":
    main()
