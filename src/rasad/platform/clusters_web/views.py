"""The cluster list, a designated cluster's profile, a province's specialisation and the
province map (issue 8, item 5).

Everything here is public: counts and totals of many enterprises, location quotients,
stars, the Krugman index and the published index results (scores and ranks are public
on the Top-100 page too). No single enterprise's employment, sales or exports figure is
shown, and a total of fewer than ``MIN_CELL`` enterprises is withheld ("—"), as is the
share of it carried forward from earlier returns (for one firm it would say whether
that firm filed this year).
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import pandas as pd
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import get_language, gettext_lazy
from django.views.decorators.http import require_GET

from rasad.clusters import STATUS_LABELS
from rasad.iran import find_isic, provinces
from rasad.platform.clusters_web import compute

MIN_CELL = 3  # totals of fewer enterprises are not shown
SORTS = {
    "stars": gettext_lazy("stars"),
    "lq": gettext_lazy("specialisation (LQ)"),
    "employment": gettext_lazy("employment"),
}
MEASURES = {
    "clusters": gettext_lazy("identified clusters"),
    "stars": gettext_lazy("most stars of a sector"),
    "krugman": gettext_lazy("Krugman specialisation index"),
    "employment": gettext_lazy("employment"),
}
MAP_FILE = Path(__file__).parent / "static" / "clusters_web" / "provinces.json"
RANK_BANDS = (
    (0.10, gettext_lazy("top 10%")),
    (0.25, gettext_lazy("10–25%")),
    (0.50, gettext_lazy("25–50%")),
    (1.00, gettext_lazy("bottom half")),
)


def _persian() -> bool:
    return (get_language() or "fa").startswith("fa")


def _blank(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def _f(v):
    return None if _blank(v) else float(v)


def province_name(code) -> str:
    row = provinces().loc[int(code)]
    return row["name_fa"] if _persian() else row["name_en"]


@lru_cache(maxsize=256)
def _division(code: str) -> tuple[str, str]:
    try:
        row = find_isic(str(code))
        return str(row["title_fa"]), str(row["title_en"])
    except Exception:  # an unknown code is shown as it is
        return str(code), str(code)


def division_name(code) -> str:
    fa, en = _division(str(code))
    return fa if _persian() else en


def _name(row) -> str:
    return row["name_fa"] if _persian() else row["name_en"]


def _bar(value, top) -> float:
    value = _f(value)
    return 0.0 if not value or not top else round(max(0.0, min(100.0, 100.0 * value / top)), 1)


@lru_cache(maxsize=1)
def _outlines() -> dict:
    return json.loads(MAP_FILE.read_text())


# a sequential blue scale, light to dark (no data: grey)
PALETTE = ("#e8f0fb", "#c4d8f4", "#91b8ea", "#5a92d9", "#2f6dc0", "#184c93")


def province_map(values: dict[int, float], measure_label, decimals: int = 0) -> dict:
    """The 31 outlines, each filled by its value's class: equal intervals over the range,
    or one class per value when the values are a few whole numbers (counts of clusters,
    say), so that no two legend entries read the same."""
    outlines = _outlines()
    known = [v for v in values.values() if v is not None and not math.isnan(v)]
    low, high = (min(known), max(known)) if known else (0.0, 0.0)
    few_counts = (
        decimals == 0
        and bool(known)
        and high - low < len(PALETTE)
        and all(float(v).is_integer() for v in known)
    )
    if few_counts:
        levels = list(range(int(low), int(high) + 1))
        top = max(len(levels) - 1, 1)
        colour_of = {v: PALETTE[round(i * (len(PALETTE) - 1) / top)] for i, v in enumerate(levels)}
    shapes = []
    for code, shape in outlines["provinces"].items():
        value = values.get(int(code))
        if value is None or math.isnan(value):
            colour = "#eeeeee"
        elif few_counts:
            colour = colour_of[int(value)]
        else:
            cls = (
                0
                if high == low
                else min(len(PALETTE) - 1, int((value - low) / (high - low) * len(PALETTE)))
            )
            colour = PALETTE[cls]
        shapes.append(
            {
                "code": int(code),
                "d": shape["d"],
                "fill": colour,
                "value": value,
                "name": province_name(code),
            }
        )
    if few_counts:
        legend = [{"colour": colour_of[v], "low": v, "high": None} for v in levels]
    elif known and high > low:
        step = (high - low) / len(PALETTE)
        legend = [
            {"colour": c, "low": low + i * step, "high": low + (i + 1) * step}
            for i, c in enumerate(PALETTE)
        ]
    else:
        legend = [{"colour": PALETTE[0], "low": low, "high": None}] if known else []
    return {
        "viewbox": outlines["viewbox"],
        "shapes": shapes,
        "legend": legend,
        "label": measure_label,
        "decimals": decimals,
    }


def _map_values(a: compute.Analysis, measure: str) -> tuple[dict[int, float], int]:
    if not len(a.stars):
        return {}, 0
    if measure == "krugman":
        return {int(r.province_code): float(r.krugman) for r in a.krugman.itertuples()}, 2
    by = a.stars.groupby("province_code")
    if measure == "stars":
        return {int(k): float(v) for k, v in by["stars"].max().items()}, 0
    if measure == "employment":
        return {int(k): float(v) for k, v in by["value"].sum().items()}, 0
    identified = a.stars["stars"] >= compute.MIN_STARS
    return {
        int(k): float(v) for k, v in identified.groupby(a.stars["province_code"]).sum().items()
    }, 0


def carried(a: compute.Analysis) -> dict:
    """The age limit of carried-forward figures and what it left out, for the pages' notes."""
    if not len(a.firms):
        return {}
    attrs = a.firms.attrs
    old = attrs.get("too_old", {}).get("employees", {"firms": 0, "value": 0.0})
    return {
        "max_age": attrs.get("max_age"),
        "year": attrs.get("year"),
        "earliest": attrs["year"] - attrs["max_age"] if attrs.get("max_age") is not None else None,
        "too_old": old["firms"],
    }


def list_rows(a: compute.Analysis) -> list[dict]:
    """Designated clusters and identified cells together, as ``compare_clusters`` gives them."""
    rows = []
    persian = _persian()
    for r in a.comparison.to_dict("records"):
        enterprises = 0 if _blank(r.get("enterprises")) else int(r["enterprises"])
        designated = not _blank(r.get("code"))
        rows.append(
            {
                "code": r["code"] if designated else None,
                "name": (r["name_fa"] if persian else r["name_en"]) if designated else None,
                "province_code": int(r["province_code"]),
                "province": province_name(r["province_code"]),
                "division": str(r["division"]),
                "division_name": division_name(r["division"]),
                "stars": 0 if _blank(r.get("stars")) else int(r["stars"]),
                "lq": _f(r.get("lq")),
                "enterprises": enterprises,
                "employment": _f(r.get("value")) if enterprises >= MIN_CELL else None,
                "carried_share": _f(r.get("carried_share")) if enterprises >= MIN_CELL else None,
                "status": r["status"],
                "status_label": STATUS_LABELS[r["status"]]["fa" if persian else "en"],
            }
        )
    return rows


@require_GET
def cluster_list(request):
    a = compute.analysis()
    rows = list_rows(a)
    province, sector = request.GET.get("province", ""), request.GET.get("sector", "")
    sort, measure = request.GET.get("sort", "stars"), request.GET.get("map", "clusters")
    provinces_seen = sorted({r["province_code"] for r in rows})
    sectors_seen = sorted({r["division"] for r in rows}, key=lambda s: (len(s), s))
    try:
        province_code = int(province) if province else None
    except ValueError:
        province_code = -1
    bad = (
        sort not in SORTS
        or measure not in MEASURES
        or (province_code is not None and not 0 <= province_code <= 30)
    )
    if bad:
        rows = []
    if province_code is not None:
        rows = [r for r in rows if r["province_code"] == province_code]
    if sector:
        rows = [r for r in rows if r["division"] == sector]
    key = {
        "stars": lambda r: (-r["stars"], -(r["lq"] or 0)),
        "lq": lambda r: (-(r["lq"] or 0), -r["stars"]),
        "employment": lambda r: (-(r["employment"] or 0), -r["stars"]),
    }.get(sort, lambda r: 0)
    rows.sort(key=key)
    top_lq = max([r["lq"] or 0 for r in rows], default=0)
    for r in rows:
        r["bar"] = _bar(r["lq"], top_lq)
    values, decimals = _map_values(a, measure if measure in MEASURES else "clusters")
    context = {
        "rows": rows,
        "province": province,
        "sector": sector,
        "sort": sort,
        "sorts": SORTS.items(),
        "provinces": [(c, province_name(c)) for c in provinces_seen],
        "sectors": [(s, division_name(s)) for s in sectors_seen],
        "measure": measure,
        "measures": MEASURES.items(),
        "bad": bad,
        "min_cell": MIN_CELL,
        "map": province_map(values, MEASURES.get(measure, ""), decimals) if len(a.stars) else None,
        "counts": {s: sum(1 for r in rows if r["status"] == s) for s in STATUS_LABELS},
        "min_stars": compute.MIN_STARS,
        "year": a.firms.attrs.get("year") if len(a.firms) else None,
        "carried": carried(a),
    }
    return render(request, "clusters_web/list.html", context, status=400 if bad else 200)


@require_GET
def clusters_download(request, name: str):
    """The cluster table (designated clusters and cells the data identifies), every row,
    as ``clusters.xlsx``, ``clusters.csv`` and ``clusters-dictionary.csv``: open data
    (CC BY 4.0), the same aggregates for every reader, small totals withheld as on the
    page."""
    from rasad.platform.web import downloads
    from rasad.platform.web.downloads import both
    from rasad.workbook import OPEN_LICENCE, About, Column, Sheet

    fmt = downloads.split_name(name, "clusters")
    a = compute.analysis()
    columns = [
        Column("code", both(gettext_lazy("Cluster code")), width=12),
        Column("name", both(gettext_lazy("Cluster")), width=30),
        Column("province_code", both(gettext_lazy("Province code")), "int", width=8),
        Column("province", both(gettext_lazy("Province")), width=14),
        Column("division", both(gettext_lazy("ISIC division")), width=8),
        Column("division_name", both(gettext_lazy("Sector")), width=30),
        Column("stars", both(gettext_lazy("Stars")), "int"),
        Column("lq", both(gettext_lazy("LQ")), "decimal", 2),
        Column("enterprises", both(gettext_lazy("Enterprises")), "int"),
        Column("employment", both(gettext_lazy("Employment")), "int"),
        Column("carried_share", both(gettext_lazy("Carried forward")), "percent", 1),
        Column("status_label", both(gettext_lazy("Status")), width=18),
    ]
    rows = sorted(list_rows(a), key=lambda r: (-r["stars"], -(r["lq"] or 0)))
    year = a.firms.attrs.get("year") if len(a.firms) else None
    about = About(
        both(gettext_lazy("Industrial clusters")),
        edition=str(year or ""),
        licence=OPEN_LICENCE,
        notes=[
            (
                both(gettext_lazy("Withheld totals")),
                both(
                    gettext_lazy("Totals of fewer than %(n)s enterprises are left blank."),
                    n=MIN_CELL,
                ),
            )
        ],
    )
    sheet = Sheet(
        about.title, columns, [[r[c.code] for c in columns] for r in rows], freeze_columns=2
    )
    return downloads.response(fmt, "rasad-clusters", sheet, about)


def _rank_bands(a: compute.Analysis, code: str) -> list[dict]:
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
        b["bar"] = _bar(b["count"], top)
    return bands


@require_GET
def cluster(request, code: str):
    a = compute.analysis()
    if a.profiles is None or code not in set(a.clusters["code"]):
        raise Http404
    summary = a.profiles.summary.set_index("cluster_code")
    if code not in summary.index:
        raise Http404
    s = summary.loc[code].to_dict()
    info = a.clusters.set_index("code").loc[code]
    enterprises = int(s.get("enterprises") or 0)
    shown = enterprises >= MIN_CELL
    totals = [(gettext_lazy("Enterprises"), enterprises, 0)]
    for key, label in (
        ("employees", gettext_lazy("Employment")),
        ("sales", gettext_lazy("Sales")),
        ("exports", gettext_lazy("Exports")),
        ("exporters", gettext_lazy("Exporters")),
    ):
        totals.append((label, _f(s.get(key)) if shown else None, 0))
    trend = a.profiles.trend[a.profiles.trend["cluster_code"] == code].sort_values("year")
    trend_rows = []
    top_emp = max([_f(v) or 0 for v in trend["employees"]], default=0)
    for t in trend.to_dict("records"):
        ok = int(t["reporting"]) >= MIN_CELL
        trend_rows.append(
            {
                "year": int(t["year"]),
                "reporting": int(t["reporting"]),
                "employees": _f(t["employees"]) if ok else None,
                "sales": _f(t["sales"]) if ok else None,
                "exports": _f(t["exports"]) if ok else None,
                "employees_growth": _f(t["employees_growth"]) if ok else None,
                "sales_growth": _f(t["sales_growth"]) if ok else None,
                "bar": _bar(t["employees"], top_emp) if ok else 0,
            }
        )
    top = []
    if a.scores is not None:
        members = a.profiles.top[a.profiles.top["cluster_code"] == code].sort_values("position")
        ranks = a.scores.set_index("national_id")
        for t in members.to_dict("records"):
            nid = t["national_id"]
            if nid in ranks.index:
                top.append(
                    {
                        "position": int(t["position"]),
                        "name": _name(t),
                        "score": _f(ranks.loc[nid, "score"]),
                        "rank": _f(ranks.loc[nid, "rank"]),
                    }
                )
    needs, needs_period = _member_needs(code, shown)
    cell = a.stars[
        (a.stars["province_code"] == int(info["province_code"]))
        & (a.stars["division"].astype(str) == str(info["division"]))
    ]
    context = {
        "code": code,
        "name": _name(info),
        "province_code": int(info["province_code"]),
        "province": province_name(info["province_code"]),
        "division": str(info["division"]),
        "division_name": division_name(info["division"]),
        "totals": totals,
        "shown": shown,
        "summary": {k: _f(v) if isinstance(v, (int, float)) else v for k, v in s.items()},
        "trend": trend_rows,
        "top": top,
        "bands": _rank_bands(a, code),
        "edition": a.edition,
        "cell": cell.iloc[0].to_dict() if len(cell) else None,
        "min_cell": MIN_CELL,
        "needs": needs,
        "needs_period": needs_period,
        "carried": carried(a),
        "cell_carried_share": _f(cell.iloc[0]["carried_share"]) if len(cell) and shown else None,
    }
    return render(request, "clusters_web/cluster.html", context)


def _member_needs(code: str, shown: bool) -> tuple[list[dict], int | None]:
    """The needs matrix row of this cluster's members for the period the pages show by
    default (the monitoring app's cached run): how many members, and how many of their
    employees, need each support programme. Withheld, like the totals, for a cluster
    too small."""
    from rasad.platform.monitoring import compute as monitoring

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
    persian = _persian()
    members = int(row["enterprises"]) or 1
    return [
        {
            "name": p.name.fa if persian else p.name.en,
            "enterprises": int(row[f"{p.code}_enterprises"]),
            "employees": _f(row[f"{p.code}_employees"]),
            "share": 100 * int(row[f"{p.code}_enterprises"]) / members,
        }
        for p in result.needs.mapping.programmes
    ], period


@require_GET
def province(request, code: int):
    from rasad.platform.reports import brief  # it reads this module's cluster rows

    if not 0 <= code <= 30:
        raise Http404
    a = compute.analysis()
    cells = a.stars[a.stars["province_code"] == code] if len(a.stars) else a.stars
    cells = (
        cells[cells["value"] > 0].sort_values(["lq", "value"], ascending=False)
        if len(cells)
        else cells
    )
    rows = []
    top_lq = float(cells["lq"].max()) if len(cells) else 0
    for r in cells.head(15).to_dict("records"):
        ok = int(r["enterprises"]) >= MIN_CELL
        rows.append(
            {
                "division": str(r["division"]),
                "division_name": division_name(r["division"]),
                "lq": _f(r["lq"]),
                "stars": int(r["stars"]),
                "enterprises": int(r["enterprises"]),
                "employment": _f(r["value"]) if ok else None,
                "share": _f(r["share_of_region"]) if ok else None,
                "bar": _bar(r["lq"], top_lq),
                "carried_share": _f(r["carried_share"]) if ok else None,
            }
        )
    spec = a.krugman[a.krugman["province_code"] == code] if len(a.krugman) else a.krugman
    k = spec.iloc[0].to_dict() if len(spec) else None
    ranked = (
        a.krugman.sort_values("krugman", ascending=False)["province_code"].tolist()
        if len(a.krugman)
        else []
    )
    designated = a.clusters[a.clusters["province_code"] == code].to_dict("records")
    context = {
        "code": code,
        "name": province_name(code),
        "rows": rows,
        "krugman": _f(k["krugman"]) if k else None,
        "krugman_rank": ranked.index(code) + 1 if code in ranked else None,
        "provinces": len(ranked),
        "top_sector": division_name(k["top_sector"])
        if k and not _blank(k.get("top_sector"))
        else None,
        "top_gap": _f(k["top_gap"]) if k else None,
        "designated": [{"code": c["code"], "name": _name(c)} for c in designated],
        "min_cell": MIN_CELL,
        "identified": int((cells["stars"] >= compute.MIN_STARS).sum()) if len(cells) else 0,
        "carried": carried(a),
        "brief": brief.offer(request.user, f"province:{code}"),
    }
    return render(request, "clusters_web/province.html", context)
