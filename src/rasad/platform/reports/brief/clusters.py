"""The clusters section of a policy brief: the place's designated clusters (their
strengths, growth and members' needs) and, for the country or a province, its strongest
specialisations not designated.

The rows are the cluster list's (:func:`rasad.platform.clusters_web.presenters.list_rows`),
so the brief withholds the totals of fewer than ``MIN_CELL`` enterprises as the pages do.
"""

from __future__ import annotations

import pandas as pd

from rasad.platform.clusters_web import compute as clusters
from rasad.platform.clusters_web.presenters import MIN_CELL, as_float, list_rows, strongest_first
from rasad.platform.language import persian
from rasad.platform.monitoring import compute
from rasad.platform.reports.brief.place import Place

MAX_CELLS = 10  # strongest undesignated specialisations listed
TOP_NEEDS = 2  # a designated cluster's most common needs listed


def clusters_context(
    where: Place, people: compute.Population, period: int, units: set[str] | None
) -> dict:
    """The brief's context of its clusters section (its members' needs of ``period``),
    in the active language."""
    a = clusters.analysis()
    if not len(a.stars):
        return {"clusters": [], "cells": []}
    rows = list_rows(a)
    wanted = _designated(where, people, units, a)
    summary = (
        a.profiles.summary.set_index("cluster_code") if a.profiles is not None else pd.DataFrame()
    )
    result = compute.run_for(period, people)
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
        designated.append({**row, **_growth(growth), **_members_needs(needs_row, programmes)})
    return {
        "clusters": designated,
        "cells": _undesignated(where, rows),
        "min_stars": clusters.MIN_STARS,
    }


def _designated(where: Place, people, units: set[str] | None, a) -> set[str]:
    """The codes of the designated clusters the brief of ``where`` covers: those of its
    enterprises and, for a province, those designated there."""
    if where.kind == "cluster":
        return {where.code}
    if units is None:
        return set(a.clusters["code"])
    members = people.members
    wanted = set(members.loc[members["national_id"].isin(units), "cluster_code"])
    if where.kind == "province":
        wanted |= set(a.clusters.loc[a.clusters["province_code"] == int(where.code), "code"])
    return wanted


def _growth(growth) -> dict:
    """A cluster's growth of employment and sales (None: withheld or not known)."""
    return {
        "employment_growth": as_float(growth["employees_growth"]) if growth is not None else None,
        "sales_growth": as_float(growth["sales_growth"]) if growth is not None else None,
    }


def _members_needs(needs_row, programmes) -> dict:
    """How many members filed, how many are in the priority tier and the members' most
    common needs; withheld for fewer than ``MIN_CELL`` filers."""
    filers = int(needs_row["enterprises"]) if needs_row is not None else 0
    if needs_row is None or filers < MIN_CELL:
        return {"filers": filers, "priority": None, "top_needs": []}
    counts = [(int(needs_row[f"{p.code}_enterprises"]), p) for p in programmes]
    counts = sorted((c for c in counts if c[0]), key=lambda c: -c[0])[:TOP_NEEDS]
    return {
        "filers": filers,
        "priority": int(needs_row["priority_enterprises"]),
        "top_needs": [
            {
                "name": p.name.fa if persian() else p.name.en,
                "enterprises": n,
                "share": n / filers,
            }
            for n, p in counts
        ],
    }


def _undesignated(where: Place, rows: list[dict]) -> list[dict]:
    """The strongest identified cells no cluster is designated for, of the country or of
    a province (none for an estate or a cluster)."""
    if where.kind not in ("national", "province"):
        return []
    cells = [
        r
        for r in rows
        if r["code"] is None
        and r["stars"] >= clusters.MIN_STARS
        and (where.kind == "national" or r["province_code"] == int(where.code))
    ]
    return strongest_first(cells)[:MAX_CELLS]
