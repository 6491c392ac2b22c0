"""Benchmark: KPIs, alerts, peer gaps and needs for 100,000 enterprises × 5 periods,
against a straightforward pandas implementation of the same computation.

Run:  .venv/bin/python benchmarks/bench_monitor.py [--enterprises 100000] [--repeats 3]
          [--no-peer]

Data: ``rasad.demo.generate(enterprises, seed=1)``, Jalali years 1399–1403 (not timed).
Ours, timed end to end and step by step (median of ``--repeats`` runs):
  KPIs (every KPI of the catalogue) → alerts (the bundled rule file, with the alert
  table and its evidence) → the KPI table of every return → peer gaps of the 13
  indicators the bundled needs mapping reads (division × size band, fallbacks, within
  each year) → needs (points, severities, the priority tier, ranked lists, their
  evidence, non-filers) → needs matrices by
  province, estate, sector and cluster.
Peer, timed once in the same run: the same KPIs, rules, percentiles, medians, top
quartiles, fallbacks, needs (severity, tier) and province matrix written the usual pandas way
(``groupby().shift()`` for growth, ``groupby().rank()`` for percentiles,
``groupby().transform(lambda s: s.quantile(.75))`` for quartiles, ``groupby().sum()``
for the matrix). Its results are compared with ours, so the ratio compares equal work.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import pandas as pd

from rasad.demo import generate
from rasad.iran import deflator, jalali_to_gregorian
from rasad.monitor import SEVERITIES, Monitor


def ours(monitor: Monitor, population, as_of):
    steps = {}
    clock = time.perf_counter()

    def lap(name):
        nonlocal clock
        now = time.perf_counter()
        steps[name] = now - clock
        clock = now

    table = monitor.kpis.compute(population.returns, population.enterprises)
    lap("kpis")
    alerts = monitor.rules.evaluate(table, as_of=as_of)
    alert_frame = alerts.frame
    lap("alerts")
    values = table.frame(monitor.indicators)
    lap("kpi table")
    gaps = monitor.peers.gaps(values, list(monitor.indicators))
    lap("peer gaps")
    needs = monitor.needs.assess(gaps, alerts)
    ranked, evidence = needs.table(), needs.evidence()
    lap("needs")
    matrices = {
        by: needs.matrix(by, members=population.cluster_members)
        for by in ("province", "estate", "sector", "cluster")
    }
    lap("matrices")
    return steps, {
        "alerts": alert_frame,
        "gaps": gaps,
        "needs": needs,
        "ranked": ranked,
        "evidence": evidence,
        "matrices": matrices,
    }


# --- the pandas peer -------------------------------------------------------------------


def peer(population, monitor: Monitor, as_of):
    """The same computation the way an analyst would write it in pandas."""
    rules, mapping = monitor.rules, monitor.needs
    r = population.returns.sort_values(["national_id", "year"]).reset_index(drop=True)
    e = population.enterprises.set_index("national_id")
    g = r.groupby("national_id")
    cpi = deflator()
    k = pd.DataFrame(
        {"national_id": r["national_id"], "year": r["year"], "employees": r["employees"]}
    )
    factor = cpi[1400] / r["year"].map(cpi)
    real = r["sales"] * factor
    consecutive = g["year"].shift() == r["year"] - 1
    prev = lambda s: s.groupby(r["national_id"]).shift().where(consecutive)  # noqa: E731
    ratio = lambda a, b: a.where(b > 0) / b.where(b > 0)  # noqa: E731
    k["sales_growth_real"] = ratio(real, prev(real)) - 1
    k["employment_growth"] = ratio(r["employees"], prev(r["employees"])) - 1
    k["capacity_utilisation"] = r["capacity_utilisation"]
    ta, tl = r["total_assets"], r["total_liabilities"]
    equity = r["equity"].fillna(ta - tl)
    wc = r["current_assets"] - r["current_liabilities"]
    k["altman_z2"] = (
        6.56 * wc / ta
        + 3.26 * r["retained_earnings"] / ta
        + 6.72 * r["ebit"] / ta
        + 1.05 * equity / tl
    ).where((ta > 0) & (tl > 0))
    k["credit_access"] = ratio(r["credit_received"], r["credit_requested"])
    k["current_ratio"] = ratio(r["current_assets"], r["current_liabilities"])
    k["debt_ratio"] = ratio(tl, ta)
    k["technology_adoption"] = r["technologies_adopted"]
    k["labour_productivity"] = ratio(
        (r["sales"] - r["intermediate_inputs"]) * factor, r["employees"]
    )
    k["certifications"] = r[["iso9001", "iso14001", "standard_mark"]].sum(
        axis=1, min_count=3
    )  # a blank: unknown
    k["defect_rate"] = r["defect_rate"]
    k["export_share"] = ratio(r["exports"], r["sales"])
    k["rd_intensity"] = ratio(r["rd_expenditure"], r["sales"])
    k["new_product_share"] = r["new_product_sales_share"]
    k["training_intensity"] = ratio(r["training_hours"], r["employees"])
    k["graduate_share"] = ratio(r["graduate_employees"], r["employees"])
    k["equity"] = equity
    deadline = r["year"].map(lambda y: pd.Timestamp(jalali_to_gregorian(y + 1, 4, 31)))
    k["days_late"] = (pd.to_datetime(r["submitted_on"]) - deadline).dt.days

    # alerts
    fired = {}
    slip = pd.Series(False, index=r.index)
    for field in rules.rule("unit_slip").fields:
        jump = ratio(r[field].where(r[field] > 0), prev(r[field]))
        slip |= (jump >= 200) | (jump <= 1 / 200)
    fired["unit_slip"] = slip
    fired["real_sales_drop"] = (k["sales_growth_real"] < -0.2) & ~slip
    down = k["employment_growth"] < 0
    fired["employment_decline"] = down & prev(down.astype(float)).eq(1) & ~slip
    fired["low_capacity"] = k["capacity_utilisation"] < 50
    fired["z2_distress"] = k["altman_z2"] < 1.1
    grid = pd.MultiIndex.from_product(
        [e.index, range(1399, 1404)], names=["national_id", "year"]
    ).to_frame(index=False)
    grid = grid[
        grid["year"] >= e["founding_year"].reindex(grid["national_id"]).clip(lower=1399).to_numpy()
    ]
    due = {
        y
        for y in range(1399, 1404)
        if pd.Timestamp(jalali_to_gregorian(y + 1, 4, 31)) < pd.Timestamp(as_of)
    }
    grid = grid[grid["year"].isin(due)].merge(
        r[["national_id", "year"]].assign(filed=True), how="left"
    )
    missing = grid[grid["filed"].isna()]
    alert_keys = {
        code: set(zip(r.loc[mask, "national_id"], r.loc[mask, "year"], strict=True))
        for code, mask in fired.items()
    }
    alert_keys["return_missing"] = set(zip(missing["national_id"], missing["year"], strict=True))

    # peer gaps, with the fallbacks
    k["division"] = r["national_id"].map(e["isic_class"]).str[:2]
    k["section"] = "C"  # the demo's divisions 10–33 are all manufacturing
    bands = pd.cut(
        k["employees"], [-np.inf, 9, 49, 150, np.inf], labels=["micro", "small", "medium", "large"]
    )
    k["size_class"] = bands.astype(object).where(
        k["employees"].notna(), r["national_id"].map(e["size_class"])
    )
    levels = [
        ["year", "division", "size_class"],
        ["year", "section", "size_class"],
        ["year", "section"],
    ]
    gaps = {}
    lower_is_better = ("debt_ratio", "defect_rate", "days_late")
    for code in monitor.indicators:
        direction = -1 if code in lower_is_better else 1
        x = k[code] * direction
        out = None
        for level in levels:
            grouped = x.groupby([k[c] for c in level])
            n = grouped.transform("count")
            pct = 100 * (grouped.rank(method="average") - 0.5) / n
            med = grouped.transform("median") * direction
            top = grouped.transform(lambda s: s.quantile(0.75)) * direction
            here = pd.DataFrame(
                {"percentile": pct, "peer_median": med, "peer_top_quartile": top, "peers": n}
            )
            if out is None:
                out = here
                chosen = n >= 10
            else:
                take = ~chosen & ((n >= 10) | (level is levels[-1]))
                out[take] = here[take]
                chosen |= take
        gaps[code] = out

    # needs (points, supporting triggers counted up to the primary points, severity with
    # floors, most severe first, the priority tier), and the province matrix
    alert_rows = {code: mask for code, mask in fired.items()}
    alert_rows["return_missing"] = pd.Series(False, index=k.index)  # a missing return has no row
    primary = pd.DataFrame(0.0, index=k.index, columns=mapping.codes)
    support = primary.copy()
    floor = pd.DataFrame(-1, index=k.index, columns=mapping.codes)
    for programme in mapping.programmes:
        for t in programme.triggers:
            if t.alert is not None:
                hit = alert_rows[t.alert]
                got = (t.weight * mapping.severity.alert_points[rules.rule(t.alert).severity]) * hit
            else:
                value, gap = k[t.indicator], gaps[t.indicator]
                hit = value.notna() & gap["peers"].gt(0)
                strength = pd.Series(1.0, index=k.index)
                if t.percentile_below is not None:
                    hit &= gap["percentile"] < t.percentile_below
                    strength = ((t.percentile_below - gap["percentile"]) / t.percentile_below).clip(
                        0, 1
                    )
                if t.behind is not None:
                    reference = gap["peer_median" if t.behind == "median" else "peer_top_quartile"]
                    direction = -1 if t.indicator in lower_is_better else 1
                    hit &= direction * (reference - value) > 0
                for bound, test in (
                    ("below", "lt"),
                    ("above", "gt"),
                    ("at_most", "le"),
                    ("at_least", "ge"),
                ):
                    if getattr(t, bound) is not None:
                        hit &= getattr(value, test)(getattr(t, bound))
                got = (t.weight * strength).where(hit, 0.0)
            (support if t.supporting else primary)[programme.code] += got
            if t.severity is not None:
                floor.loc[hit, programme.code] = floor.loc[hit, programme.code].clip(
                    lower=SEVERITIES.index(t.severity)
                )
    scores = primary + np.minimum(support, primary)
    severity = sum((scores >= band).astype(int) for band in mapping.severity.bands)
    severity = np.maximum(severity, floor)
    eligible = primary > mapping.min_score
    # most severe, then most points, then the file's order ("first" breaks ties by column)
    order = (
        (severity * 1e6 + scores)
        .where(eligible, -np.inf)
        .rank(axis=1, method="first", ascending=False)
    )
    needed = eligible & (order <= mapping.max_needs)
    rule = mapping.priority
    severe = severity.where(needed, -1)
    tier = severe.max(axis=1) >= SEVERITIES.index(rule.min_severity)
    if rule.min_needs:
        tier |= (severe >= SEVERITIES.index(rule.min_needs_severity)).sum(axis=1) >= rule.min_needs
    needed["priority"] = tier
    needed["province_code"] = r["national_id"].map(e["province_code"])
    needed["year"] = k["year"]
    matrix = needed.groupby(["year", "province_code"]).sum()
    return {
        "alerts": alert_keys,
        "gaps": gaps,
        "matrix": matrix,
        "keys": k[["national_id", "year"]],
    }


# --- comparison and report -------------------------------------------------------------


def compare(mine, theirs, indicators) -> list[str]:
    lines = []
    frame = mine["alerts"]
    for rule, keys in theirs["alerts"].items():
        ours_keys = set(
            zip(
                frame.loc[frame["rule"] == rule, "national_id"],
                frame.loc[frame["rule"] == rule, "period"],
                strict=True,
            )
        )
        lines.append(
            f"  alerts {rule}: ours {len(ours_keys):,}, peer {len(keys):,}, "
            f"{'identical' if ours_keys == keys else 'DIFFERENT'}"
        )
    gaps = mine["gaps"]
    order = pd.MultiIndex.from_frame(gaps.keys[["national_id", "year"]])
    peer_keys = pd.MultiIndex.from_frame(theirs["keys"])
    worst = 0.0
    for j, code in enumerate(indicators):
        theirs_pct = pd.Series(
            theirs["gaps"][code]["percentile"].to_numpy(), index=peer_keys
        ).reindex(order)
        diff = np.nanmax(np.abs(gaps.measure("percentile")[:, j] - theirs_pct.to_numpy()))
        worst = max(worst, float(diff))
    lines.append(f"  percentiles of {len(indicators)} indicators: max |ours − peer| = {worst:.2e}")
    # (cells with non-filers only are rows of ours, not of the peer's, which has no such column)
    matrix = (
        mine["matrices"]["province"]
        .set_index(["year", "province_code"])
        .reindex(theirs["matrix"].index)
    )
    codes = [c for c in theirs["matrix"].columns]
    same = all(
        (matrix[f"{c}_enterprises"].to_numpy() == theirs["matrix"][c].to_numpy()).all()
        for c in codes
    )  # the programmes and the priority tier
    lines.append(f"  needs matrix by province: {'identical' if same else 'DIFFERENT'}")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()
    as_of = "2025-08-01"
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"{platform.machine()}, logical CPUs: {cpus}"
    )
    start = time.perf_counter()
    population = generate(args.enterprises, seed=1)
    print(
        f"demo population: {args.enterprises:,} enterprises, {len(population.returns):,} returns "
        f"(years {population.returns['year'].min()}–{population.returns['year'].max()}), "
        f"generated in {time.perf_counter() - start:.1f} s (not timed)"
    )
    monitor = Monitor()
    runs = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        steps, result = ours(monitor, population, as_of)
        runs.append((time.perf_counter() - start, steps))
    totals = [t for t, _ in runs]
    median = statistics.median(totals)
    print(
        f"ours: median {median:.2f} s over {args.repeats} runs "
        f"(min {min(totals):.2f}, max {max(totals):.2f})"
    )
    for i, (total, steps) in enumerate(runs, 1):
        print(f"  run {i} ({total:.2f} s): " + ", ".join(f"{k} {v:.2f}" for k, v in steps.items()))
    print(
        f"  alerts {len(result['alerts']):,}; needs {len(result['ranked']):,} "
        f"(evidence rows {len(result['evidence']):,}); peer-gap cells "
        f"{int((result['gaps'].measure('peers') > 0).sum()):,}"
    )
    if args.no_peer:
        return
    start = time.perf_counter()
    theirs = peer(population, monitor, as_of)
    elapsed = time.perf_counter() - start
    print(
        f"peer (pandas groupby/apply): {elapsed:.2f} s; "
        f"peer / ours (median) = {elapsed / median:.1f}×"
    )
    for line in compare(result, theirs, list(monitor.indicators)):
        print(line)


if __name__ == "__main__":
    main()
