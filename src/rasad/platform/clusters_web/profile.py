"""A designated cluster's page: its totals, its yearly trend, its best-ranked members,
where its members stand in the latest edition and what support they need.

Public, as every cluster page (:mod:`rasad.platform.clusters_web.presenters`): totals
and trend years of fewer than ``MIN_CELL`` enterprises are withheld, and so are the
members' needs of such a cluster.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.utils.translation import gettext_lazy

from rasad.clusters import ClusterProfiles
from rasad.platform.clusters_web import compute
from rasad.platform.clusters_web.names import division_name, local_name, province_name
from rasad.platform.clusters_web.presenters import MIN_CELL, as_float, bar, carried
from rasad.platform.language import persian
from rasad.platform.monitoring import compute as monitoring

RANK_BANDS = (
    (0.10, gettext_lazy("top 10%")),
    (0.25, gettext_lazy("10–25%")),
    (0.50, gettext_lazy("25–50%")),
    (1.00, gettext_lazy("bottom half")),
)
TOTALS = (
    ("employees", gettext_lazy("Employment")),
    ("sales", gettext_lazy("Sales")),
    ("exports", gettext_lazy("Exports")),
    ("exporters", gettext_lazy("Exporters")),
)


def cluster_page(a: compute.Analysis, code: str) -> dict | None:
    """The context of cluster ``code``'s page, None when no designated cluster has that
    code or it has no profile."""
    if a.profiles is None or code not in set(a.clusters["code"]):
        return None
    summary = a.profiles.summary.set_index("cluster_code")
    if code not in summary.index:
        return None
    s = summary.loc[code].to_dict()
    info = a.clusters.set_index("code").loc[code]
    enterprises = int(s.get("enterprises") or 0)
    shown = enterprises >= MIN_CELL
    totals: list[tuple[Any, float | None, int]] = [(gettext_lazy("Enterprises"), enterprises, 0)]
    totals += [(label, as_float(s.get(key)) if shown else None, 0) for key, label in TOTALS]
    needs, needs_period = _member_needs(code, shown)
    cell = a.stars[
        (a.stars["province_code"] == int(info["province_code"]))
        & (a.stars["division"].astype(str) == str(info["division"]))
    ]
    return {
        "code": code,
        "name": local_name(info),
        "province_code": int(info["province_code"]),
        "province": province_name(info["province_code"]),
        "division": str(info["division"]),
        "division_name": division_name(info["division"]),
        "totals": totals,
        "shown": shown,
        "summary": {k: as_float(v) if isinstance(v, (int, float)) else v for k, v in s.items()},
        "trend": _trend(a.profiles, code),
        "top": _top(a.profiles, a.scores, code),
        "bands": _rank_bands(a, code),
        "edition": a.edition,
        "cell": cell.iloc[0].to_dict() if len(cell) else None,
        "min_cell": MIN_CELL,
        "needs": needs,
        "needs_period": needs_period,
        "carried": carried(a),
        "cell_carried_share": as_float(cell.iloc[0]["carried_share"])
        if len(cell) and shown
        else None,
    }


def _trend(profiles: ClusterProfiles, code: str) -> list[dict]:
    """The cluster's figures year by year; a year of fewer filing members withheld."""
    trend = profiles.trend[profiles.trend["cluster_code"] == code].sort_values("year")
    rows = []
    top_emp = max([as_float(v) or 0 for v in trend["employees"]], default=0)
    for t in trend.to_dict("records"):
        ok = int(t["reporting"]) >= MIN_CELL
        rows.append(
            {
                "year": int(t["year"]),
                "reporting": int(t["reporting"]),
                "employees": as_float(t["employees"]) if ok else None,
                "sales": as_float(t["sales"]) if ok else None,
                "exports": as_float(t["exports"]) if ok else None,
                "employees_growth": as_float(t["employees_growth"]) if ok else None,
                "sales_growth": as_float(t["sales_growth"]) if ok else None,
                "bar": bar(t["employees"], top_emp) if ok else 0,
            }
        )
    return rows


def _top(profiles: ClusterProfiles, scores: pd.DataFrame | None, code: str) -> list[dict]:
    """The cluster's best-placed members with their published score and rank."""
    if scores is None:
        return []
    members = profiles.top[profiles.top["cluster_code"] == code].sort_values("position")
    ranks = scores.set_index("national_id")
    return [
        {
            "position": int(t["position"]),
            "name": local_name(t),
            "score": as_float(ranks.loc[t["national_id"], "score"]),
            "rank": as_float(ranks.loc[t["national_id"], "rank"]),
        }
        for t in members.to_dict("records")
        if t["national_id"] in ranks.index
    ]


def _rank_bands(a: compute.Analysis, code: str) -> list[dict]:
    """How many of the cluster's members the latest edition ranks in each band of
    :data:`RANK_BANDS` (top 10 % … bottom half)."""
    if a.scores is None or "rank" not in a.scores:
        return []
    ranked = a.scores.dropna(subset=["rank"])
    n = len(ranked)
    ids = set(a.members.loc[a.members["cluster_code"] == code, "national_id"])
    ranks = ranked.loc[ranked["national_id"].isin(ids), "rank"].to_numpy()
    bands, low = [], 0.0
    for share, label in RANK_BANDS:
        high = share * n
        bands.append({"label": label, "count": int(((ranks > low) & (ranks <= high)).sum())})
        low = high
    top = max([b["count"] for b in bands], default=0)
    for b in bands:
        b["bar"] = bar(b["count"], top)
    return bands


def _member_needs(code: str, shown: bool) -> tuple[list[dict], int | None]:
    """The needs matrix row of this cluster's members for the period the pages show by
    default (the monitoring app's cached run): how many members, and how many of their
    employees, need each support programme. Withheld, like the totals, for a cluster
    too small."""
    people = monitoring.population()
    if not shown or people.returns.empty:
        return [], None
    period = people.default.year
    result = monitoring.run_for(period, people)
    matrix = result.needs.matrix("cluster", members=people.members)
    row = matrix[matrix["cluster_code"] == code]
    if row.empty:
        return [], period
    row = row.iloc[0]
    fa = persian()
    members = int(row["enterprises"]) or 1
    return [
        {
            "name": p.name.fa if fa else p.name.en,
            "enterprises": int(row[f"{p.code}_enterprises"]),
            "employees": as_float(row[f"{p.code}_employees"]),
            "share": 100 * int(row[f"{p.code}_enterprises"]) / members,
        }
        for p in result.needs.mapping.programmes
    ], period
