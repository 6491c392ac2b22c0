"""The charts of a policy brief: enterprises needing each programme by severity, each
programme's share a year earlier and now, and the places with the largest priority tier;
drawn in the reader's language (:mod:`rasad.platform.reports.charts`)."""

from __future__ import annotations

import altair as alt
import pandas as pd
from django.utils.translation import gettext as _

from rasad.monitor.rules import SEVERITIES, SEVERITY_NAMES
from rasad.platform.language import persian
from rasad.platform.reports import charts
from rasad.platform.web.templatetags.rasad_format import digits

SEVERITY_COLOURS = ("#c9d6e3", "#f0c15a", "#e0783a", "#b3261e")  # low … critical


def _in_language(chart):
    """``chart`` themed, with Persian digits and bars growing from the right in Persian."""
    return charts.themed(chart, "fa" if persian() else "en")


def _x(title: str, *, percent: bool = False):
    """The value axis: counts (whole numbers) or shares, growing leftwards in Persian."""
    axis = (
        alt.Axis(format=".0%", tickCount=5)
        if percent
        else alt.Axis(format=",d", tickCount=5, tickMinStep=1)
    )
    return alt.X("value:Q", title=title, axis=axis, scale=alt.Scale(reverse=persian()))


def severity_chart(programmes: list[dict]):
    """Enterprises needing each programme, by the need's severity."""
    severities = [SEVERITY_NAMES[s][0 if persian() else 1] for s in SEVERITIES]
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
                axis=alt.Axis(orient="right" if persian() else "left", labelFontSize=12),
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


def change_chart(programmes: list[dict], period: int, previous: int):
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
                axis=alt.Axis(orient="right" if persian() else "left", labelFontSize=12),
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


def place_chart(breakdown: dict):
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
                    orient="right" if persian() else "left", labelFontSize=11, labelLimit=220
                ),
            ),
        )
        .properties(width=360, height=15 * len(frame))
    )
    return _in_language(bars)
