"""What the cluster pages and the policy briefs show of the cluster analysis: the rows of
the cluster list, a province's specialisation and the open-data table, with the names in
the reader's language.

Everything here is public: counts and totals of many enterprises, location quotients,
stars, the Krugman index and the published index results (scores and ranks are public
on the Top-100 page too). No single enterprise's employment, sales or exports figure is
shown, and a total of fewer than ``MIN_CELL`` enterprises is withheld ("—"), as is the
share of it carried forward from earlier returns (for one firm it would say whether
that firm filed this year). The brief (:mod:`rasad.platform.reports.brief`) reads the
same rows so that it withholds what the pages withhold.
"""

from __future__ import annotations

import math

import pandas as pd
from django.utils.translation import gettext_lazy

from rasad.clusters import STATUS_LABELS
from rasad.platform.clusters_web import compute
from rasad.platform.clusters_web.maps import map_values, province_map
from rasad.platform.clusters_web.names import division_name, local_name, province_name
from rasad.platform.language import both, persian
from rasad.workbook import OPEN_LICENCE, About, Column, Sheet

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
PROVINCE_ROWS = 15  # a province page's strongest specialisations


def blank(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def as_float(v) -> float | None:
    """A figure of a frame for a template: None for a missing one."""
    return None if blank(v) else float(v)


def bar(value, top) -> float:
    """The width (percent of the widest, ``top``) of ``value``'s bar."""
    value = as_float(value)
    return 0.0 if not value or not top else round(max(0.0, min(100.0, 100.0 * value / top)), 1)


def year(a: compute.Analysis) -> int | None:
    """The year the analysis is of."""
    return a.firms.attrs.get("year") if len(a.firms) else None


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
    fa = persian()
    for r in a.comparison.to_dict("records"):
        enterprises = 0 if blank(r.get("enterprises")) else int(r["enterprises"])
        designated = not blank(r.get("code"))
        rows.append(
            {
                "code": r["code"] if designated else None,
                "name": (r["name_fa"] if fa else r["name_en"]) if designated else None,
                "province_code": int(r["province_code"]),
                "province": province_name(r["province_code"]),
                "division": str(r["division"]),
                "division_name": division_name(r["division"]),
                "stars": 0 if blank(r.get("stars")) else int(r["stars"]),
                "lq": as_float(r.get("lq")),
                "enterprises": enterprises,
                "employment": as_float(r.get("value")) if enterprises >= MIN_CELL else None,
                "carried_share": as_float(r.get("carried_share"))
                if enterprises >= MIN_CELL
                else None,
                "status": r["status"],
                "status_label": STATUS_LABELS[r["status"]]["fa" if fa else "en"],
            }
        )
    return rows


def strongest_first(rows: list[dict]) -> list[dict]:
    """``rows`` of :func:`list_rows` by stars, then specialisation, the strongest first."""
    return sorted(rows, key=lambda r: (-r["stars"], -(r["lq"] or 0)))


def _province_code(province: str) -> int | None:
    """The code the list's ``province`` filter names: None for every province, -1 for
    text that is no number."""
    try:
        return int(province) if province else None
    except ValueError:
        return -1


def _filtered(rows: list[dict], province_code: int | None, sector: str, sort: str) -> list:
    """The list page's rows of one province and sector (None, "": all of them), sorted."""
    if province_code is not None:
        rows = [r for r in rows if r["province_code"] == province_code]
    if sector:
        rows = [r for r in rows if r["division"] == sector]
    key = {
        "stars": lambda r: (-r["stars"], -(r["lq"] or 0)),
        "lq": lambda r: (-(r["lq"] or 0), -r["stars"]),
        "employment": lambda r: (-(r["employment"] or 0), -r["stars"]),
    }[sort]
    rows.sort(key=key)
    top_lq = max([r["lq"] or 0 for r in rows], default=0)
    for r in rows:
        r["bar"] = bar(r["lq"], top_lq)
    return rows


def list_page(a: compute.Analysis, query) -> dict:
    """The cluster list's context for the filters of ``query`` (a request's GET); its
    ``bad`` is true, and its rows none, when a filter names nothing there is."""
    rows = list_rows(a)
    province, sector = query.get("province", ""), query.get("sector", "")
    sort, measure = query.get("sort", "stars"), query.get("map", "clusters")
    provinces_seen = sorted({r["province_code"] for r in rows})
    sectors_seen = sorted({r["division"] for r in rows}, key=lambda s: (len(s), s))
    province_code = _province_code(province)
    bad = (
        sort not in SORTS
        or measure not in MEASURES
        or (province_code is not None and not 0 <= province_code <= 30)
    )
    rows = [] if bad else _filtered(rows, province_code, sector, sort)
    values, decimals = map_values(a, measure if measure in MEASURES else "clusters")
    return {
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
        "year": year(a),
        "carried": carried(a),
    }


def _specialisations(cells) -> list[dict]:
    """A province page's rows: its strongest cells (province × division)."""
    rows = []
    top_lq = float(cells["lq"].max()) if len(cells) else 0
    for r in cells.head(PROVINCE_ROWS).to_dict("records"):
        ok = int(r["enterprises"]) >= MIN_CELL
        rows.append(
            {
                "division": str(r["division"]),
                "division_name": division_name(r["division"]),
                "lq": as_float(r["lq"]),
                "stars": int(r["stars"]),
                "enterprises": int(r["enterprises"]),
                "employment": as_float(r["value"]) if ok else None,
                "share": as_float(r["share_of_region"]) if ok else None,
                "bar": bar(r["lq"], top_lq),
                "carried_share": as_float(r["carried_share"]) if ok else None,
            }
        )
    return rows


def province_page(a: compute.Analysis, code: int) -> dict:
    """The context of province ``code``'s page: its specialisations, its Krugman index
    and rank, its designated clusters."""
    cells = a.stars[a.stars["province_code"] == code] if len(a.stars) else a.stars
    cells = (
        cells[cells["value"] > 0].sort_values(["lq", "value"], ascending=False)
        if len(cells)
        else cells
    )
    spec = a.krugman[a.krugman["province_code"] == code] if len(a.krugman) else a.krugman
    k = spec.iloc[0].to_dict() if len(spec) else None
    ranked = (
        a.krugman.sort_values("krugman", ascending=False)["province_code"].tolist()
        if len(a.krugman)
        else []
    )
    designated = a.clusters[a.clusters["province_code"] == code].to_dict("records")
    return {
        "code": code,
        "name": province_name(code),
        "rows": _specialisations(cells),
        "krugman": as_float(k["krugman"]) if k else None,
        "krugman_rank": ranked.index(code) + 1 if code in ranked else None,
        "provinces": len(ranked),
        "top_sector": division_name(k["top_sector"])
        if k and not blank(k.get("top_sector"))
        else None,
        "top_gap": as_float(k["top_gap"]) if k else None,
        "designated": [{"code": c["code"], "name": local_name(c)} for c in designated],
        "min_cell": MIN_CELL,
        "identified": int((cells["stars"] >= compute.MIN_STARS).sum()) if len(cells) else 0,
        "carried": carried(a),
    }


def clusters_sheet(a: compute.Analysis) -> tuple[Sheet, About]:
    """The open-data table of the clusters (CC BY 4.0): every row of the list, the
    strongest first, small totals withheld as on the page."""
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
    rows = strongest_first(list_rows(a))
    about = About(
        both(gettext_lazy("Industrial clusters")),
        edition=str(year(a) or ""),
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
    return sheet, about
