"""IMI-style league tables of a published edition, from its own data: one ranked list
per indicator and size band, on their page and as open data. Ranks and names are
public; an indicator's value is shown only for the enterprises whose figures the reader
may see (``confidential_to``), row by row."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from rasad.platform.language import both, current
from rasad.platform.public import data
from rasad.platform.public.labels import band_label, direction_label, format_value, unit_label
from rasad.platform.public.opendata import identity, identity_columns
from rasad.platform.rankings import coverage
from rasad.platform.rankings.models import Edition
from rasad.platform.registry.models import Enterprise
from rasad.workbook import Column, Sheet


def league_menu(edition: Edition, method, code: str, band: str) -> dict:
    """The page's choices: the edition's size bands and indicators, ``code`` and ``band``
    chosen."""
    language = current()
    return {
        "edition": edition,
        "method": method,
        "bands": [(b, band_label(b)) for b in data.summary(edition)["bands"]],
        "band": band,
        "code": code,
        "editions": data.editions_menu(),
        "indicator_menu": [(i.code, i.name.get(language)) for i in method.indicators],
    }


def indicator_words(indicator) -> dict:
    return {
        "indicator": indicator,
        "indicator_name": indicator.name.get(current()),
        "unit": unit_label(indicator.unit),
        "direction": direction_label(indicator.direction),
    }


def _firms(ids: list[str], user) -> tuple[dict[str, Enterprise], set[str]]:
    """The enterprises of ``ids`` by national ID, and those whose figures ``user`` may see."""
    firms = (
        Enterprise.objects.filter(national_id__in=ids)
        .select_related("province", "isic", "estate")
        .in_bulk(field_name="national_id")
    )
    allowed = set(
        Enterprise.objects.confidential_to(user)
        .filter(national_id__in=ids)
        .values_list("national_id", flat=True)
    )
    return firms, allowed


def league_rows(edition: Edition, method, table, indicator, band: str, user) -> dict:
    """The league table of ``indicator`` and ``band`` (``table``: every league table of
    the edition, :func:`edition_league`)."""
    code = indicator.code
    chosen = (
        table[(table["indicator"] == code) & (table["size_class"] == band)] if len(table) else table
    )
    ids = chosen[method.unit].astype(str).tolist() if len(chosen) else []
    firms, allowed = _firms(ids, user)
    titles = data.divisions()
    covered = coverage.by_enterprise(edition, [firm.pk for firm in firms.values()])
    rows = []
    for rank, national_id, value in zip(
        chosen["rank"].tolist(), ids, chosen["value"].tolist() if ids else [], strict=True
    ):
        firm = firms.get(national_id)
        if firm is None:
            continue
        rows.append(
            {
                "rank": rank,
                "enterprise": firm,
                "division": titles.get(firm.isic.code[:2]),
                "coverage": covered.get(firm.pk),
                "value": format_value(value, indicator.unit) if national_id in allowed else None,
            }
        )
    return {
        "rows": rows,
        "shown_values": sum(r["value"] is not None for r in rows),
        "sees_some": user.is_authenticated and Enterprise.objects.confidential_to(user).exists(),
    }


def league_sheet(method, table, user) -> Sheet:
    """Every league table (each indicator and size band, its top list) in one sheet."""
    ids = table[method.unit].astype(str).tolist() if len(table) else []
    firms, allowed = _firms(ids, user)
    names = {i.code: i.name for i in method.indicators}
    language = current()
    titles = data.divisions()
    columns = [
        Column("indicator", both(gettext_lazy("Indicator code")), width=16),
        Column("indicator_name", both(gettext_lazy("Indicator")), width=30),
        Column("size_band", both(gettext_lazy("Size band")), width=10),
        Column("rank", both(gettext_lazy("Rank")), "rank"),
        *identity_columns(),
        Column(
            "value",
            both(gettext_lazy("Value (only where you may see the figures)")),
            "decimal",
            4,
        ),
    ]
    rows = []
    for indicator, band, rank, national_id, value in zip(
        table["indicator"].tolist() if ids else [],
        table["size_class"].tolist() if ids else [],
        table["rank"].tolist() if ids else [],
        ids,
        table["value"].tolist() if ids else [],
        strict=True,
    ):
        firm = firms.get(national_id)
        if firm is None:
            continue
        rows.append(
            [
                indicator,
                names[indicator].get(language) if indicator in names else indicator,
                band_label(band),
                rank,
                *identity(firm, titles),
                value if national_id in allowed else None,
            ]
        )
    return Sheet(both(gettext_lazy("League tables")), columns, rows, freeze_columns=4)
