"""The scorecard's history: an enterprise's rank and score over the editions it is in,
and its main figures over the years, as small line charts (:func:`charts.lines`)."""

from __future__ import annotations

import math

import numpy as np
from django.utils.translation import gettext as _

from rasad.errors import RasadInputError
from rasad.iran.prices import to_real
from rasad.platform.public import charts
from rasad.platform.rankings import review
from rasad.platform.registry.models import Enterprise
from rasad.platform.returns.models import Indicator, Return
from rasad.platform.returns.state import per_state

# figures of the latest return shown on the scorecard (confidential: scoped)
KEY_FIGURES = ("employees", "sales", "exports", "value_added", "net_profit", "total_assets")


def figure_history(enterprise: Enterprise, returns: list[Return]) -> dict | None:
    """The main figures of every yearly return the enterprise sent, oldest first (the
    caller has checked the scope), money also in the prices of the latest of those years
    (``rasad.iran.prices``) for the national returns: a research panel's years are not
    the index's. None when it sent no yearly return."""
    sent = sorted(
        (r for r in returns if r.current_version_id is not None and r.period.quarter is None),
        key=lambda r: r.period.year,
    )
    if not sent:
        return None
    years = [r.period.year for r in sent]
    values = [r.current_version.values() for r in sent]
    catalogue = per_state("indicators", lambda: Indicator.objects.in_bulk(field_name="code"))
    rows = []
    for code in KEY_FIGURES:
        series = [v.get(code) for v in values]
        if code not in catalogue or all(v is None for v in series):
            continue
        real = None
        if catalogue[code].unit == "million_rials" and enterprise.dataset_id is None:
            real = _in_constant_prices(series, years)
        rows.append({"indicator": catalogue[code], "values": series, "real": real})
    return {"periods": [r.period for r in sent], "base_year": years[-1], "rows": rows}


def _in_constant_prices(series: list, years: list[int]) -> list | None:
    """``series`` in the prices of the last of ``years``; None where the price index does
    not cover a year."""
    nominal = np.array([np.nan if v is None else v for v in series], dtype=float)
    try:
        deflated = to_real(nominal, years, base_year=years[-1])
    except RasadInputError:  # a year the price index does not cover
        return None
    return [None if math.isnan(v) else float(v) for v in deflated]


def rank_trend(history: list[dict]) -> dict:
    """The enterprise's rank and score over the editions it is in (``history``, newest
    first), oldest first: two small line charts, the rank's axis upside down (first
    place on top), each with its 5–95% interval as a band where the edition has one."""
    chronological = list(reversed(history))
    results = [h["result"] for h in chronological]
    ranks = [r.rank for r in results]
    rank_band = [
        (r.rank_q05, r.rank_q95) if r.rank and r.rank_q05 is not None else None for r in results
    ]
    known = [v for v in ranks if v] + [b for pair in rank_band if pair for b in pair]
    top, bottom = min(known, default=1), max(known, default=1)
    margin = max(1.0, 0.1 * (bottom - top))
    top, bottom = max(1.0, top - margin), bottom + margin
    labels = [str(h["edition"].period) for h in chronological]
    rank = {"name": _("Rank"), "color": charts.PALETTE[0], "values": ranks, "band": rank_band}
    score = {
        "name": _("Score"),
        "color": charts.PALETTE[1],
        "values": [r.score for r in results],
        "band": [(r.score_q05, r.score_q95) if r.score_q05 is not None else None for r in results],
    }
    return {
        "rank": charts.lines(
            [rank],
            x_labels=labels,
            low=top,
            high=bottom,
            invert=True,
            step=max(1, round(review.nice_step(bottom - top, 4))),
            width=480,
            height=160,
        ),
        "score": charts.lines([score], x_labels=labels, width=480, height=160),
        "bands": any(rank_band),
    }


def figure_trends(history: dict) -> dict:
    """A small chart per main figure over the years (:func:`figure_history`): the figure
    as reported and, for money, in constant prices; the two lines' colours for the legend."""
    labels = [str(p) for p in history["periods"]]
    reported, real = charts.PALETTE[0], charts.PALETTE[1]
    figures = []
    for row in history["rows"]:
        series = [{"name": "reported", "color": reported, "values": row["values"]}]
        if row["real"] is not None:
            series.append({"name": "real", "color": real, "values": row["real"]})
        figures.append(
            {
                **row,
                "latest": next((v for v in reversed(row["values"]) if v is not None), None),
                "chart": charts.lines(series, x_labels=labels, high=0, width=240, height=110),
            }
        )
    deflated = any(row["real"] is not None for row in history["rows"])
    return {"figures": figures, "reported": reported, "real": real if deflated else None}
