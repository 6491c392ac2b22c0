"""The open data of a published edition (CC BY 4.0): the whole top list as a sheet for
:func:`rasad.platform.web.downloads.response`, and the columns and notes every
download of an edition shares (the league tables', the estate dashboard's)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from rasad.platform.language import both
from rasad.platform.public import data
from rasad.platform.public.labels import band_label
from rasad.platform.rankings.models import Edition
from rasad.workbook import OPEN_LICENCE, About, Column, Sheet


def pillar_columns(method) -> list[Column]:
    """The index's pillars as columns, named in both languages."""
    items = {i.code: i for i in [*method.nodes, *method.indicators]}
    return [
        Column(f"pillar_{code}", (items[code].name.fa, items[code].name.en), "decimal", 1)
        for code in method.root.children
    ]


def identity_columns() -> list[Column]:
    return [
        Column("national_id", both(gettext_lazy("National ID")), width=14),
        Column("name", both(gettext_lazy("Enterprise")), width=32),
        Column("province", both(gettext_lazy("Province")), width=14),
        Column("estate", both(gettext_lazy("Industrial estate")), width=24),
        Column("sector", both(gettext_lazy("Sector (ISIC division)")), width=30),
    ]


def identity(firm, titles) -> list:
    """A row's cells under :func:`identity_columns` (``titles``: :func:`data.divisions`)."""
    division = titles.get(firm.isic.code[:2])
    return [
        firm.national_id,
        firm.name,
        firm.province.name,
        firm.estate.name if firm.estate else "",
        f"{firm.isic.code[:2]} {division.title}" if division else firm.isic.code[:2],
    ]


def open_about(edition: Edition, title) -> About:
    return About(
        title,
        edition=edition.name,
        licence=OPEN_LICENCE,
        notes=[
            (both(gettext_lazy("Methodology hash")), edition.methodology_sha256),
            (both(gettext_lazy("Data hash")), edition.data_sha256),
        ],
    )


def top100_sheet(edition: Edition) -> Sheet:
    """The whole top list: rank, score, the 5–95% rank interval, P(top), name, province,
    estate, sector, size band and the pillar scores. Everything here is on the public
    page; no confidential figure."""
    method = data.methodology_of(edition)
    k = edition.top_k
    pillars = pillar_columns(method)
    columns = [
        Column("rank", both(gettext_lazy("Rank")), "rank"),
        Column("score", both(gettext_lazy("Score")), "decimal", 1),
        Column("rank_q05", both(gettext_lazy("Rank, 5th percentile")), "rank"),
        Column("rank_q95", both(gettext_lazy("Rank, 95th percentile")), "rank"),
        Column("p_top", both(gettext_lazy("P(top %(k)s)"), k=k), "percent", 0),
        *identity_columns(),
        Column("size_band", both(gettext_lazy("Size band")), width=10),
        Column("coverage", both(gettext_lazy("Share of the indicators reported")), "percent", 0),
        *pillars,
    ]
    titles = data.divisions()
    rows = [
        [
            r.rank,
            r.score,
            r.rank_q05,
            r.rank_q95,
            r.p_top,
            *identity(r.enterprise, titles),
            band_label(r.size_class),
            r.coverage,
            *[r.node_scores.get(p.code.removeprefix("pillar_")) for p in pillars],
        ]
        for r in data.ranking(edition)
    ]
    return Sheet(both(gettext_lazy("Top %(k)s"), k=k), columns, rows, freeze_columns=1)
