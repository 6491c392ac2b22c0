"""The national dashboard: the returns filed per year, the scores of an edition by
province, ISIC division and size band, and the trends across the published editions."""

from __future__ import annotations

import math

from django.utils.translation import gettext as _

from rasad.platform.monitoring import compute
from rasad.platform.public import charts, data
from rasad.platform.public.labels import band_label
from rasad.platform.rankings.models import Edition
from rasad.platform.registry.models import Province
from rasad.platform.returns.models import Period
from rasad.platform.web.templatetags.rasad_format import digits


def filing_coverage() -> list[dict]:
    """Per yearly period of the national returns: returns filed against the enterprises
    expected to file (those founded by then), as the default period is chosen by."""
    periods = {p.year: p for p in Period.objects.filter(quarter__isnull=True)}
    rows = []
    for row in compute.population().coverage.itertuples(index=False):
        rows.append(
            {
                "period": periods.get(row.year, row.year),
                "sent": row.filed,
                "existing": row.expected,
                "share": row.coverage if row.expected else None,
                "bar": charts.css(100 * min(row.coverage, 1)) if row.expected else "0",
            }
        )
    return rows


def distributions(edition: Edition) -> dict:
    """The edition's scores by province, ISIC division and size band: a row per group
    with its box plot (against the national median), its top places and pillar medians."""
    pillars = data.pillars(data.methodology_of(edition))
    summary = data.summary(edition)
    dist = data.edition_distributions(edition)
    provinces = Province.objects.in_bulk([g["key"] for g in dist["province"]])
    titles = data.divisions()
    # the scores' own range (whiskers are 5–95%), on round tens: the boxes get the width
    ends = [g["score"][k] for t in dist.values() for g in t if g["score"] for k in ("q05", "q95")]
    score_scale = (
        (math.floor(min(ends) / 10) * 10, math.ceil(max(ends) / 10) * 10) if ends else (0.0, 100.0)
    )
    if score_scale[1] <= score_scale[0]:
        score_scale = (score_scale[0], score_scale[0] + 10)
    national = summary["score"]["median"] if summary["score"] else None

    def table(groups, label):
        top_max = max([g["top"] for g in groups] + [1])
        return [
            {
                **g,
                "label": label(g["key"]),
                "track": charts.track(g["score"], score_scale, reference=national),
                "top_bar": charts.css(100 * g["top"] / top_max),
                "heat": [charts.heat(g["pillars"].get(p.code)) for p in pillars],
            }
            for g in groups
        ]

    def division_label(code):
        sector = titles.get(code)
        return f"{digits(code)} {sector.title}" if sector else digits(code)

    def province_label(pk):
        province = provinces.get(pk)
        return province.name if province else str(pk)

    return {
        "pillars": pillars,
        "summary": summary,
        "national": national,
        "scale_ticks": charts.ticks(score_scale),
        "by_province": table(dist["province"], province_label),
        "by_division": table(dist["division"], division_label),
        "by_band": table(dist["band"], band_label),
    }


def trends(pillars: list[data.Pillar]) -> dict:
    """The newest edition of each year (one re-published supersedes the earlier), oldest
    first, with its pillar medians; and, from two editions on, their chart."""
    editions = list(reversed(data.newest_of_each_year(list(data.newest_first(data.published())))))
    rows: list[dict] = []
    for item in editions:
        s = data.summary(item)
        rows.append(
            {
                "edition": item,
                "summary": s,
                "heat": [charts.heat(s["pillar_medians"].get(p.code)) for p in pillars],
            }
        )
    out: dict = {"trends": rows}
    if len(editions) > 1:
        series: list[dict] = [
            {
                "name": p.name,
                "color": charts.PALETTE[i % len(charts.PALETTE)],
                "values": [t["summary"]["pillar_medians"].get(p.code) for t in rows],
            }
            for i, p in enumerate(pillars)
        ]
        series.append(
            {
                "name": _("Index score"),
                "color": "#1c2733",
                "wide": True,
                "values": [
                    t["summary"]["score"]["median"] if t["summary"]["score"] else None for t in rows
                ],
            }
        )
        out["trend_chart"] = charts.lines(series, x_labels=[str(t["edition"].period) for t in rows])
    return out
