"""The needs figures docs/monitoring.md quotes: on demo populations, how many filers
have a need, the priority tier's share of the filers and of the SME-100 Top-100, the
finance share overall and per designated cluster, the Top-100 firms with a finance
need, the non-filers, and the needs by severity.

Run:  .venv/bin/python benchmarks/needs_figures.py [--enterprises 3000 20000]
          [--seeds 1 2 3] [--mapping needs.yaml] [--period 1403]

Data: ``rasad.demo.generate(n, seed)``; the monitoring run as of 1 August 2025 (after
the deadline of 1403's returns); the Top-100 is the bundled SME-100 methodology's
ranks 1–100 on ``sme_inputs`` of the same returns. ``--mapping`` takes another needs
file, e.g. the one before needs v2, as the parent of the commit that brought v2 has it
(``git show 36c2d4d^:src/rasad/monitor/data/needs.yaml``), which the current code reads
exactly as the code of its time did.
"""

from __future__ import annotations

import argparse

import numpy as np

from rasad.demo import generate
from rasad.index import build, load
from rasad.index.inputs import sme_inputs
from rasad.monitor import Monitor, load_needs, load_rules


def figures(n: int, seed: int, mapping, period: int) -> dict:
    rules = load_rules()
    population = generate(n_enterprises=n, seed=seed)
    run = Monitor(rules=rules, needs=mapping).run(
        population.returns, population.enterprises, as_of="2025-08-01", period=period
    )
    needs = run.needs
    ids = needs.gaps.keys["national_id"].to_numpy()
    ranks = build(
        load("sme100"), sme_inputs(population.returns, population.enterprises, period), keep="final"
    ).rank
    top = np.isin(ids, ranks[ranks <= 100].index.to_numpy())
    totals = needs.totals().iloc[0]
    clusters = needs.matrix("cluster", members=population.cluster_members)
    clusters = clusters[clusters["cluster_code"].notna() & (clusters["enterprises"] > 0)]
    finance = (
        needs.needed("finance")
        if "finance" in needs.mapping.codes
        else np.zeros(len(ids), dtype=bool)
    )
    share = (
        clusters["finance_enterprises"] / clusters["enterprises"]
        if "finance" in needs.mapping.codes
        else None
    )
    evidence = needs.evidence()
    on_finance = evidence[evidence["programme"] == "finance"]
    triggers = on_finance.groupby("national_id", observed=True)["trigger"].agg(
        lambda s: set(map(str, s))
    )
    late = run.kpis.grid("days_late")[:, int(period - run.kpis.periods[0])]
    severity = needs.table()["severity"].astype(str).value_counts()
    return {
        "filers": int(totals["filers"]),
        "no_data": int(totals["no_data"]),
        "any_need": totals["any_need"] / totals["filers"],
        "tier": needs.priority.mean(),
        "tier_top100": needs.priority[top].mean(),
        "top100": int(top.sum()),
        "finance": finance.mean(),
        "finance_clusters": (share.min(), share.max(), len(share)) if share is not None else None,
        "finance_top100": int(finance[top].sum()),
        "finance_capacity_only": int((triggers == {"alert:low_capacity"}).sum()),
        "late": int(np.nansum(late > 0)),
        "severity": {s: int(severity.get(s, 0)) for s in ("low", "medium", "high", "critical")},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, nargs="+", default=[3000, 20000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--mapping", help="a needs mapping file (default: the bundled one)")
    parser.add_argument("--period", type=int, default=1403)
    args = parser.parse_args()
    mapping = load_needs(args.mapping) if args.mapping else load_needs()
    print(
        "firms  seed  filers  no data  any need  tier   tier in Top-100  "
        "finance  finance per cluster   "
        "Top-100 finance  finance from capacity alone  late returns  needs low/medium/high/critical"
    )
    for n in args.enterprises:
        for seed in args.seeds:
            f = figures(n, seed, mapping, args.period)
            low, high, count = f["finance_clusters"] or (np.nan, np.nan, 0)
            s = f["severity"]
            print(
                f"{n:>6,} {seed:>4} {f['filers']:>7,} {f['no_data']:>7,} {f['any_need']:>8.1%} "
                f"{f['tier']:>6.1%} {f['tier_top100']:>10.0%} of {f['top100']} "
                f"{f['finance']:>8.1%}  {low:>6.1%}–{high:.1%} ({count}) {f['finance_top100']:>10} "
                f"{f['finance_capacity_only']:>20,} {f['late']:>13,}  "
                f"{s['low']:,}/{s['medium']:,}/{s['high']:,}/{s['critical']:,}"
            )


if __name__ == "__main__":
    main()
