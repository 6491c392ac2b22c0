"""The needs sections of a policy brief: the place's enterprises by support programme
(finance first, as the needs mapping orders them) and severity, the same a year earlier,
and the breakdowns by province, estate, cluster and sector with their priority tiers.

A cluster's brief is public, as the cluster pages: when fewer than ``MIN_CELL`` of its
members filed, its needs are withheld (and so is a year earlier of fewer filers).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from rasad.monitor.rules import SEVERITIES
from rasad.platform.clusters_web.presenters import MIN_CELL
from rasad.platform.language import persian
from rasad.platform.monitoring import compute
from rasad.platform.reports.brief.place import Place

MAX_ROWS = 15  # places per table and chart: those with the largest priority tier


def needs_context(
    where: Place, people: compute.Population, period: int, units: set[str] | None
) -> dict:
    """The brief's context of its needs sections, in the active language."""
    earlier = [p for p in people.periods if p < period]
    needs = _needs(people, period, units)
    before = _needs(people, earlier[-1], units) if earlier else None
    totals = needs.totals().iloc[0].to_dict()
    if where.kind == "cluster":  # public: counts of fewer enterprises are withheld
        if before is not None and before.totals()["filers"].sum() < MIN_CELL:
            before = None
        withheld = totals["filers"] < MIN_CELL
    else:
        withheld = False
    return {
        "previous": earlier[-1] if before is not None else None,
        "withheld": withheld,
        "min_cell": MIN_CELL,
        "registered": len(people.enterprises) if units is None else len(units),
        "totals": totals,
        "totals_before": before.totals().iloc[0].to_dict() if before is not None else None,
        "tier_rule": needs.mapping.priority.text("fa" if persian() else "en"),
        "programmes": [] if withheld else _programmes(needs, before),
        "breakdowns": [] if withheld else _breakdowns(where, people, needs, before),
    }


def _needs(people: compute.Population, period: int, units: set[str] | None):
    needs = compute.run_for(period, people).needs
    return needs if units is None else needs.scoped(units)


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
        name = row["name_fa"] if persian() else row["name_en"]
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
        out.append(
            {
                "by": by,
                "heading": heading,
                "rows": [
                    _breakdown_row(record, then.get(record[column]), needs.mapping.codes)
                    for record in ordered.head(MAX_ROWS).to_dict("records")
                ],
                "more": len(matrix) > MAX_ROWS,
                "total": len(matrix),
                "programmes": [
                    p.name.fa if persian() else p.name.en for p in needs.mapping.programmes
                ],
            }
        )
    return out


def _breakdown_row(record: dict, before: int | None, codes) -> dict:
    """One place of a breakdown: its filers, its priority tier (``before``: a year
    earlier) and its enterprises needing each programme of ``codes``."""
    filers = record["enterprises"]
    return {
        "name": record["name_fa" if persian() else "name_en"],
        "enterprises": int(filers),
        "no_data": int(record["no_data"]),
        "priority": int(record["priority_enterprises"]),
        "share": record["priority_enterprises"] / filers if filers else None,
        "before": before,
        "cells": [int(record[f"{code}_enterprises"]) for code in codes],
    }
