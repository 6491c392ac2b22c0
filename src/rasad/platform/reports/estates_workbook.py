"""The estate dashboard's selection, every row, as an Excel workbook
(:mod:`rasad.workbook`): only the enterprises whose figures the reader may see (the
selection is :func:`rasad.platform.public.estates.estate_scope`'s, already scoped)."""

from __future__ import annotations

import io

from django.utils.translation import gettext_lazy

from rasad.platform.language import both, current
from rasad.platform.public import data
from rasad.platform.public.labels import band_label
from rasad.platform.public.opendata import pillar_columns
from rasad.platform.rankings import coverage
from rasad.workbook import About, Column, Sheet, write_workbook


def estates_workbook(scope: dict) -> bytes:
    """The workbook of ``scope`` (:func:`estate_scope`): a sheet of the enterprises with
    their result in the edition and their missing returns, and an about sheet."""
    edition, due = scope["edition"], scope["due"]
    method = data.methodology_of(edition) if edition else None
    said = coverage.treatment(method) if method else ""
    columns = _columns(edition, method)

    def rows():
        for firm in scope["firms"].iterator(chunk_size=2000):
            row = [
                firm.national_id,
                firm.name,
                firm.estate.name if firm.estate else "",
                firm.province.name,
                firm.isic.code,
            ]
            if edition:
                row += _result_cells(firm, method, said, scope["pillars"])
            yield [*row, firm.missing, firm.applicable]

    notes = [
        (
            both(gettext_lazy("Yearly periods counted for missing returns")),
            data.list_separator().join(str(p) for p in due),
        )
    ]
    if edition:
        notes += [
            (both(gettext_lazy("Methodology hash")), edition.methodology_sha256),
            (both(gettext_lazy("Data hash")), edition.data_sha256),
            (both(gettext_lazy("Indicators left blank")), said),
        ]
    about = About(
        both(gettext_lazy("Enterprises of the industrial estates")),
        edition=edition.name if edition else "",
        notes=notes,
    )
    sheet = Sheet(both(gettext_lazy("Enterprises")), columns, rows(), freeze_columns=2)
    buffer = io.BytesIO()
    write_workbook(buffer, [sheet], language=current(), about=about)
    return buffer.getvalue()


def _columns(edition, method) -> list[Column]:
    columns = [
        Column("national_id", both(gettext_lazy("National ID")), width=14),
        Column("name", both(gettext_lazy("Enterprise")), width=32),
        Column("estate", both(gettext_lazy("Industrial estate")), width=24),
        Column("province", both(gettext_lazy("Province")), width=14),
        Column("isic", both(gettext_lazy("ISIC class")), width=10),
    ]
    if edition:
        columns += [
            Column("size_band", both(gettext_lazy("Size band")), width=10),
            Column("score", both(gettext_lazy("Score")), "decimal", 1),
            Column("rank", both(gettext_lazy("Rank")), "rank"),
            Column("rank_q05", both(gettext_lazy("Rank, 5th percentile")), "rank"),
            Column("rank_q95", both(gettext_lazy("Rank, 95th percentile")), "rank"),
            Column("p_top", both(gettext_lazy("P(top %(k)s)"), k=edition.top_k), "percent", 0),
            Column(
                "reported",
                both(gettext_lazy("Indicators reported (of %(n)s)"), n=len(method.indicators)),
                "int",
            ),
            Column("left_blank", both(gettext_lazy("Indicators left blank")), width=30, wrap=True),
            *pillar_columns(method),
        ]
    return columns + [
        Column("missing", both(gettext_lazy("Missing yearly returns")), "int"),
        Column("applicable", both(gettext_lazy("Yearly returns due")), "int"),
    ]


def _result_cells(firm, method, said: str, pillars) -> list:
    """The enterprise's result in the edition (annotated by ``with_edition_and_returns``)."""
    covered = coverage.describe(firm.result_coverage, firm.result_missing, method, said=said)
    return [
        band_label(firm.size_band or ""),
        firm.score,
        firm.rank,
        firm.rank_q05,
        firm.rank_q95,
        firm.p_top,
        covered.reported if covered else None,
        covered.names_text if covered else None,
        *[getattr(firm, f"pillar_{p.code}") for p in pillars],
    ]
