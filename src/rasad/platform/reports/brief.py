"""Policy briefs (issue 17): the needs of a place's enterprises by programme (finance
first, as the needs mapping orders them), by province, estate, cluster and sector with
their priority tiers, the clusters' strengths and needs, and what changed since the
previous year; for the whole country or for one province, industrial estate or cluster.

A report kind of :mod:`rasad.platform.reports.delivery`. Keys: ``national``,
``province:<Statistical Centre code>``, ``estate:<estate code>``, ``cluster:<cluster
code>`` — the codes the pages use (/clusters/provinces/23/, ?estate=E001, /clusters/C01/).

Every figure comes from the pages' own computations: the monitoring run of the national
returns for the period the pages show by default (:mod:`rasad.platform.monitoring.compute`)
and the previous period's run, and the cluster analysis
(:mod:`rasad.platform.clusters_web.compute`). A brief holds counts of enterprises and
employees, never one enterprise's figures. Who reads which brief follows the pages:
the national and province briefs whoever sees the national dashboard (analysts and
administrators), an estate's brief its managers too, a cluster's brief everyone, as the
cluster pages are public; the cluster figures of a cluster with fewer than
``MIN_CELL`` filing members are withheld there as on its page.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import altair as alt
import pandas as pd
from django.utils import translation
from django.utils.translation import gettext as _

from rasad.monitor.rules import SEVERITIES, SEVERITY_NAMES
from rasad.platform.clusters_web import compute as clusters
from rasad.platform.clusters_web.views import MIN_CELL, list_rows
from rasad.platform.monitoring import compute
from rasad.platform.public.access import sees_estate_dashboard, sees_national_dashboard
from rasad.platform.public.data import latest_edition
from rasad.platform.rankings.models import EditionResult
from rasad.platform.registry.models import Cluster, IndustrialEstate, Province
from rasad.platform.reports import charts
from rasad.platform.reports.pdf import render_pdf
from rasad.platform.returns.state import data_state
from rasad.platform.web.templatetags.rasad_format import digits

# Rendered by a worker: on the demo population (3,000 enterprises) the national brief took
# 1.9 s warm and up to 8 s cold on a busy machine, a province's or an estate's 1.2–3.6 s,
# a cluster's 0.6–2.4 s; more enterprises make it slower.
INLINE = False
KINDS = ("national", "province", "estate", "cluster")
MAX_ROWS = 15  # places per table and chart: those with the largest priority tier
MAX_CELLS = 10  # strongest undesignated specialisations listed
SEVERITY_COLOURS = ("#c9d6e3", "#f0c15a", "#e0783a", "#b3261e")  # low … critical


# the title of each kind of brief, (Persian, English), ``{name}`` the place's; the period
# is said on a line of its own (poppler reads a year and punctuation at the end of a
# Persian line back out of place)
TITLES = {
    "national": (
        "گزارش سیاستی ملی نیازهای بنگاه‌های کوچک و متوسط",
        "National policy brief on the needs of SMEs",
    ),
    "province": ("گزارش سیاستی استان {name}", "Policy brief of {name} province"),
    "estate": ("گزارش سیاستی {name}", "Policy brief of {name}"),
    "cluster": ("گزارش سیاستی {name}", "Policy brief of {name}"),
}


@dataclass(frozen=True)
class Place:
    kind: str  # one of KINDS
    code: str  # "" for the national brief
    name_fa: str
    name_en: str

    @property
    def name(self) -> str:
        return self.name_fa if _persian() else self.name_en

    @property
    def title(self) -> str:
        """The brief's title in the active language."""
        fa, en = TITLES[self.kind]
        return (fa if _persian() else en).format(name=self.name)


def _persian() -> bool:
    return (translation.get_language() or "fa").startswith("fa")


def place(key: str) -> Place | None:
    """The place ``key`` names, or None."""
    kind, _sep, code = key.partition(":")
    if kind == "national" and not code:
        return Place("national", "", "ایران", "Iran")
    if kind == "province" and code.isdecimal() and str(int(code)) == code:
        row = Province.objects.filter(code=int(code)).values("name_fa", "name_en").first()
    elif kind == "estate" and code:
        row = IndustrialEstate.objects.filter(code=code).values("name_fa", "name_en").first()
    elif kind == "cluster" and code:
        row = Cluster.objects.filter(code=code).values("name_fa", "name_en").first()
    else:
        return None
    return Place(kind, code, row["name_fa"], row["name_en"]) if row else None


def _period(people: compute.Population) -> int | None:
    """The period the monitoring pages show by default, None when nothing was filed."""
    return people.default.year if people.periods else None


def version(key: str) -> str | None:
    """The data state, the period and the latest published edition: a brief is rendered
    anew when any of them changes."""
    if place(key) is None:
        return None
    edition = latest_edition()
    return f"{data_state()}:{_period(compute.population())}:{edition.pk if edition else ''}"


def visible_to(user, key: str) -> bool:
    kind, _sep, code = key.partition(":")
    if kind in ("national", "province"):
        return sees_national_dashboard(user)
    if kind == "estate":
        return sees_estate_dashboard(user) and (
            user.sees_everything or user.estates.filter(code=code).exists()
        )
    return kind == "cluster"  # public, as the cluster pages


def filename(key: str, language: str) -> str:
    kind, _sep, code = key.partition(":")
    period = _period(compute.population())
    return "-".join(str(p) for p in ("brief", kind, code, period, language) if p) + ".pdf"


def render(key: str, *, language: str) -> bytes:
    where = place(key)
    with translation.override(language):
        context = brief_context(where)
    return render_pdf("reports/brief.html", context, language=language)


def offer(user, key: str) -> str | None:
    """``key`` when ``user`` may download that brief (for the pages' buttons), else None."""
    return key if visible_to(user, key) else None


# --- what the brief says ---------------------------------------------------------------------


def _units(where: Place, people: compute.Population) -> set[str] | None:
    """The national IDs of the place's enterprises (None: all of them)."""
    firms = people.enterprises
    if where.kind == "province":
        return set(firms.loc[firms["province_code"] == int(where.code), "national_id"])
    if where.kind == "estate":
        return set(firms.loc[firms["estate_code"] == where.code, "national_id"])
    if where.kind == "cluster":
        members = people.members
        return set(members.loc[members["cluster_code"] == where.code, "national_id"])
    return None


def _needs(people: compute.Population, period: int, units: set[str] | None):
    needs = compute.run_for(period, people).needs
    return needs if units is None else needs.scoped(units)


def brief_context(where: Place) -> dict:
    """The template's context, in the active language."""
    people = compute.population()
    period = _period(people)
    context = {
        "place": where,
        "period": period,
        "today": datetime.date.today(),
    }
    if period is None:
        return context
    earlier = [p for p in people.periods if p < period]
    units = _units(where, people)
    needs = _needs(people, period, units)
    before = _needs(people, earlier[-1], units) if earlier else None
    totals = needs.totals().iloc[0].to_dict()
    if where.kind == "cluster":  # public: counts of fewer enterprises are withheld
        if before is not None and before.totals()["filers"].sum() < MIN_CELL:
            before = None
        withheld = totals["filers"] < MIN_CELL
    else:
        withheld = False
    programmes = [] if withheld else _programmes(needs, before)
    breakdowns = [] if withheld else _breakdowns(where, people, needs, before)
    edition = latest_edition()
    previous = earlier[-1] if before is not None else None
    context.update(
        previous=previous,
        withheld=withheld,
        min_cell=MIN_CELL,
        registered=len(people.enterprises) if units is None else len(units),
        totals=totals,
        totals_before=before.totals().iloc[0].to_dict() if before is not None else None,
        tier_rule=needs.mapping.priority.text("fa" if _persian() else "en"),
        programmes=programmes,
        breakdowns=breakdowns,
        edition=edition,
        top=_in_top(edition, units),
        **_clusters(where, people, units),
    )
    if programmes:
        context["severity_chart"] = charts.data_uri(_severity_chart(programmes))
        if before is not None:
            context["change_chart"] = charts.data_uri(_change_chart(programmes, period, previous))
    if breakdowns:
        context["place_chart"] = charts.data_uri(_place_chart(breakdowns[0]))
    return context


def _in_top(edition, units: set[str] | None) -> int | None:
    """How many of the place's enterprises the latest edition ranks in its top."""
    if edition is None:
        return None
    results = EditionResult.objects.filter(edition=edition, rank__lte=edition.top_k)
    if units is not None:
        results = results.filter(enterprise__national_id__in=units)
    return results.count()


def _programmes(needs, before) -> list[dict]:
    """Each programme in the mapping's order (finance first): enterprises and employees
    needing it, by severity, in the priority tier, unknown; and a year earlier."""
    filers = int(needs.totals()["filers"].sum()) or 1
    earlier = {}
    if before is not None:
        then = before.totals()["filers"].sum() or 1
        for row in before.summary().itertuples(index=False):
            earlier[row.programme] = (int(row.enterprises), row.enterprises / then)
    out = []
    for row in needs.summary().to_dict("records"):
        name = row["name_fa"] if _persian() else row["name_en"]
        was = earlier.get(row["programme"])
        out.append(
            {
                "code": row["programme"],
                "name": name,
                "enterprises": int(row["enterprises"]),
                "employees": float(row["employees"]),
                "share": row["enterprises"] / filers,
                "severities": [int(row[s]) for s in SEVERITIES],
                "priority": int(row["priority"]),
                "unknown": int(row["unknown"]),
                "before": was[0] if was else None,
                "share_before": was[1] if was else None,
                "change": row["enterprises"] / filers - was[1] if was else None,
            }
        )
    return out


def _dimensions(where: Place) -> list[tuple[str, str]]:
    """The breakdowns of a brief: (matrix dimension, heading), the first one charted and
    compared with the previous year."""
    every = {
        "province": _("Needs by province"),
        "estate": _("Needs by industrial estate"),
        "cluster": _("Needs by cluster"),
        "sector": _("Needs by sector"),
    }
    chosen = {
        "national": ("province", "estate", "cluster", "sector"),
        "province": ("estate", "cluster", "sector"),
        "estate": ("sector", "cluster"),
        "cluster": (),
    }[where.kind]
    return [(by, every[by]) for by in chosen]


def _breakdowns(where: Place, people, needs, before) -> list[dict]:
    out = []
    codes = needs.mapping.codes
    for by, heading in _dimensions(where):
        names = people.estates if by == "estate" else people.clusters if by == "cluster" else None
        matrix = needs.matrix(by, members=people.members, names=names)
        column = matrix.columns[1] if matrix.columns[0] == "year" else matrix.columns[0]
        matrix = matrix[(matrix["enterprises"] > 0) | (matrix["no_data"] > 0)]
        then = {}
        if before is not None:
            old = before.matrix(by, members=people.members, names=names)
            then = dict(zip(old[column], old["priority_enterprises"], strict=True))
        ordered = matrix.sort_values(
            ["priority_enterprises", "enterprises"], ascending=False, kind="stable"
        )
        rows = []
        for record in ordered.head(MAX_ROWS).to_dict("records"):
            filers = record["enterprises"]
            rows.append(
                {
                    "name": record["name_fa" if _persian() else "name_en"],
                    "enterprises": int(filers),
                    "no_data": int(record["no_data"]),
                    "priority": int(record["priority_enterprises"]),
                    "share": record["priority_enterprises"] / filers if filers else None,
                    "before": then.get(record[column]),
                    "cells": [int(record[f"{code}_enterprises"]) for code in codes],
                }
            )
        out.append(
            {
                "by": by,
                "heading": heading,
                "rows": rows,
                "more": len(matrix) > MAX_ROWS,
                "total": len(matrix),
                "programmes": [
                    p.name.fa if _persian() else p.name.en for p in needs.mapping.programmes
                ],
            }
        )
    return out


def _clusters(where: Place, people, units: set[str] | None) -> dict:
    """The designated clusters of the place (their strengths, growth and members' needs)
    and, for the country or a province, its strongest specialisations not designated."""
    a = clusters.analysis()
    if not len(a.stars):
        return {"clusters": [], "cells": []}
    rows = list_rows(a)
    if where.kind == "cluster":
        wanted = {where.code}
    elif units is None:
        wanted = set(a.clusters["code"])
    else:
        members = people.members
        wanted = set(members.loc[members["national_id"].isin(units), "cluster_code"])
        if where.kind == "province":
            wanted |= set(a.clusters.loc[a.clusters["province_code"] == int(where.code), "code"])
    summary = (
        a.profiles.summary.set_index("cluster_code") if a.profiles is not None else pd.DataFrame()
    )
    result = compute.run_for(_period(people), people)
    matrix = result.needs.matrix("cluster", members=people.members).set_index("cluster_code")
    programmes = result.needs.mapping.programmes
    designated = []
    for row in rows:
        if row["code"] not in wanted:
            continue
        code = row["code"]
        shown = row["enterprises"] >= MIN_CELL
        growth = summary.loc[code] if shown and code in summary.index else None
        needs_row = matrix.loc[code] if code in matrix.index else None
        filers = int(needs_row["enterprises"]) if needs_row is not None else 0
        top_needs = []
        if needs_row is not None and filers >= MIN_CELL:
            counts = [(int(needs_row[f"{p.code}_enterprises"]), p) for p in programmes]
            counts = sorted((c for c in counts if c[0]), key=lambda c: -c[0])[:2]
            top_needs = [
                {
                    "name": p.name.fa if _persian() else p.name.en,
                    "enterprises": n,
                    "share": n / filers,
                }
                for n, p in counts
            ]
        designated.append(
            {
                **row,
                "employment_growth": _number(growth["employees_growth"])
                if growth is not None
                else None,
                "sales_growth": _number(growth["sales_growth"]) if growth is not None else None,
                "filers": filers,
                "priority": int(needs_row["priority_enterprises"])
                if needs_row is not None and filers >= MIN_CELL
                else None,
                "top_needs": top_needs,
            }
        )
    cells = []
    if where.kind in ("national", "province"):
        cells = [
            r
            for r in rows
            if r["code"] is None
            and r["stars"] >= clusters.MIN_STARS
            and (where.kind == "national" or r["province_code"] == int(where.code))
        ]
        cells.sort(key=lambda r: (-r["stars"], -(r["lq"] or 0)))
        cells = cells[:MAX_CELLS]
    return {"clusters": designated, "cells": cells, "min_stars": clusters.MIN_STARS}


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


# --- charts ----------------------------------------------------------------------------------


def _in_language(chart):
    """``chart`` themed, with Persian digits and bars growing from the right in Persian."""
    return charts.themed(chart, "fa" if _persian() else "en")


def _x(title: str, *, percent: bool = False):
    """The value axis: counts (whole numbers) or shares, growing leftwards in Persian."""
    axis = (
        alt.Axis(format=".0%", tickCount=5)
        if percent
        else alt.Axis(format=",d", tickCount=5, tickMinStep=1)
    )
    return alt.X("value:Q", title=title, axis=axis, scale=alt.Scale(reverse=_persian()))


def _severity_chart(programmes: list[dict]):
    """Enterprises needing each programme, by the need's severity."""
    severities = [SEVERITY_NAMES[s][0 if _persian() else 1] for s in SEVERITIES]
    frame = pd.DataFrame(
        [
            {"programme": p["name"], "severity": severities[i], "order": i, "value": n}
            for p in programmes
            for i, n in enumerate(p["severities"])
        ]
    )
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=_x(_("Enterprises")),
            y=alt.Y(
                "programme:N",
                sort=[p["name"] for p in programmes],
                title=None,
                axis=alt.Axis(orient="right" if _persian() else "left", labelFontSize=12),
            ),
            color=alt.Color(
                "severity:N",
                title=_("Severity"),
                scale=alt.Scale(domain=severities, range=list(SEVERITY_COLOURS)),
                legend=alt.Legend(orient="bottom"),
            ),
            order=alt.Order("order:Q"),
        )
        .properties(
            width=360,
            height=20 * len(programmes),
            title=_("Enterprises needing each programme, by severity"),
        )
    )
    return _in_language(bars)


def _change_chart(programmes: list[dict], period: int, previous: int):
    """Each programme's share of the enterprises that filed, the previous year and this."""
    years = [digits(previous), digits(period)]
    frame = pd.DataFrame(
        [
            {"programme": p["name"], "year": years[i], "value": share}
            for p in programmes
            for i, share in enumerate((p["share_before"], p["share"]))
            if share is not None
        ]
    )
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=_x(_("Share of the enterprises that filed"), percent=True),
            y=alt.Y(
                "programme:N",
                sort=[p["name"] for p in programmes],
                title=None,
                axis=alt.Axis(orient="right" if _persian() else "left", labelFontSize=12),
            ),
            yOffset=alt.YOffset("year:N", sort=years),
            color=alt.Color(
                "year:N",
                title=_("Year"),
                sort=years,
                scale=alt.Scale(range=["#9fb7c9", "#0f5f5f"]),
                legend=alt.Legend(orient="bottom"),
            ),
        )
        .properties(width=360, height=26 * len(programmes), title=_("Share needing each programme"))
    )
    return _in_language(bars)


def _place_chart(breakdown: dict):
    """The places with the largest priority tier (the first breakdown)."""
    frame = pd.DataFrame([{"place": r["name"], "value": r["priority"]} for r in breakdown["rows"]])
    bars = (
        alt.Chart(frame)
        .mark_bar(color="#b3261e")
        .encode(
            x=_x(_("Enterprises in the priority tier")),
            y=alt.Y(
                "place:N",
                sort=list(frame["place"]),
                title=None,
                axis=alt.Axis(
                    orient="right" if _persian() else "left", labelFontSize=11, labelLimit=220
                ),
            ),
        )
        .properties(width=360, height=15 * len(frame))
    )
    return _in_language(bars)
