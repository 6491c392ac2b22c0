"""The needs matrix: how many enterprises (and their employees) need each support
programme, by province, estate, cluster or sector; its overview above it; and its
workbook. Scoped to the user's enterprises unless the user sees everything (the peer
comparison behind the needs stays national)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.http import Http404
from django.utils.translation import gettext_lazy

from rasad.platform.language import persian
from rasad.platform.monitoring import choice, compute
from rasad.platform.monitoring.presenters import SEVERITIES, scope
from rasad.platform.public.access import sees_national_dashboard

DIMENSIONS = {
    "province": gettext_lazy("province"),
    "estate": gettext_lazy("industrial estate"),
    "cluster": gettext_lazy("cluster"),
    "sector": gettext_lazy("ISIC sector"),
}


def needs_for(user, chosen: choice.Choice, by: str):
    """The needs of the chosen period that ``user`` may see (None when there is no
    period); 404 for a dimension there is none of."""
    if by not in DIMENSIONS:
        raise Http404
    if chosen.period is None:
        return None
    needs = compute.run_for(chosen.period, chosen.people).needs
    if not user.sees_everything:
        needs = needs.scoped(scope(user))
    return needs


def briefs(user) -> list[tuple[str, str]]:
    """The policy briefs the needs page offers: (label, key); the national one to whoever
    sees the national dashboard, else one per estate the user manages."""
    if sees_national_dashboard(user):
        return [("", "national")]
    return [(estate.name, f"estate:{estate.code}") for estate in user.estates.all()]


def _names(people, by):
    return people.estates if by == "estate" else people.clusters if by == "cluster" else None


def matrix(result, people: compute.Population, by: str) -> dict:
    """What the needs page shows of ``result`` by ``by``: a row per group with a cell per
    programme, the programmes with their totals and bars, the totals, and the overview."""
    table = result.matrix(by, members=people.members, names=_names(people, by))
    in_persian = persian()
    programmes = [
        {"code": p.code, "name": p.name.fa if in_persian else p.name.en}
        for p in result.mapping.programmes
    ]
    column = table.columns[1] if "year" in table.columns[:1] else table.columns[0]
    totals = {
        c: float(table[c].sum())
        for c in table.columns
        if c.endswith("_enterprises")
        or c.endswith("_employees")
        or c in ("enterprises", "employees")
    }
    overview = _overview(result, programmes, in_persian)
    if by == "cluster":  # a firm may be in no cluster or (elsewhere) in two: count each once
        total_firms = overview["filers"]
    else:
        total_firms = int(totals["enterprises"])
    widest = max([totals[f"{p['code']}_enterprises"] for p in programmes] + [1])
    for p in programmes:
        p["enterprises"] = totals[f"{p['code']}_enterprises"]
        p["employees"] = totals[f"{p['code']}_employees"]
        p["bar"] = round(100 * p["enterprises"] / widest, 1)
    return {
        "rows": _rows(table, column, programmes, in_persian),
        "programmes": programmes,
        "totals": totals,
        "total_firms": total_firms,
        "column": column,
        **overview,
    }


def _rows(table, column: str, programmes: list[dict], in_persian: bool) -> list[dict]:
    rows = []
    for record in table.to_dict("records"):
        rows.append(
            {
                "key": record[column],
                "name": record["name_fa" if in_persian else "name_en"],
                "enterprises": record["enterprises"],
                "employees": record["employees"],
                "no_data": record["no_data"],
                "any_enterprises": record["any_enterprises"],
                "any_employees": record["any_employees"],
                "priority_enterprises": record["priority_enterprises"],
                "priority_employees": record["priority_employees"],
                "cells": [
                    (
                        record[f"{p['code']}_enterprises"],
                        record[f"{p['code']}_employees"],
                        record[f"{p['code']}_unknown"],
                    )
                    for p in programmes
                ],
            }
        )
    return rows


def _overview(result, programmes: list[dict], in_persian: bool) -> dict:
    """What the needs page says above its matrix: the priority tier and its rule, the
    enterprises with no return (no data), and each programme's needs by severity and
    its unknowns (enterprises whose figures for it were all blank)."""
    totals = result.totals()
    filers = int(totals["filers"].sum())
    tier = int(totals["priority"].sum())
    summary = (
        result.summary()
        .groupby("programme", observed=True, sort=False)[
            ["low", "medium", "high", "critical", "priority", "unknown"]
        ]
        .sum()
    )
    for p in programmes:
        counts = summary.loc[p["code"]] if p["code"] in summary.index else None
        p["severities"] = [
            (code, label, int(counts[code]) if counts is not None else 0)
            for code, label in SEVERITIES.items()
        ]
        p["priority"] = int(counts["priority"]) if counts is not None else 0
        p["unknown"] = int(counts["unknown"]) if counts is not None else 0
    rule = result.mapping.priority
    return {
        "filers": filers,
        "tier": tier,
        "tier_share": tier / filers if filers else 0.0,
        "no_data": int(totals["no_data"].sum()),
        "tier_rule": rule.text("fa" if in_persian else "en"),
    }


def workbook(result, people: compute.Population) -> bytes:
    """The needs as an Excel workbook, every sheet scoped as ``result`` is."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "needs.xlsx"
        result.to_excel(
            path,
            members=people.members,
            estates=people.estates,
            clusters=people.clusters,
            language="fa" if persian() else "en",
        )
        return path.read_bytes()
