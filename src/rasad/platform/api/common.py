"""Pieces the routers share: paging, strict query strings, filters and the payloads of
provinces, sectors, estates and periods."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Annotated, Literal

import pandas as pd
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from ninja import Field, Path, Query, Schema
from ninja.pagination import LimitOffsetPagination

from rasad.iran.text import to_latin_digits
from rasad.platform.api.errors import ApiError, not_found
from rasad.platform.rankings.coverage import counts
from rasad.platform.registry.models import name_or_id_matches

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
MAX_SEARCH = 100
MAX_ID = 2**63 - 1  # a larger id in a path would overflow PostgreSQL's bigint
PROVINCE_PATTERN = r"^(?:[0-9۰-۹٠-٩]{1,2}|[Ii][Rr]-[0-9]{2})$"
SECTOR_PATTERN = r"^(?:[A-Ua-u]|[0-9۰-۹٠-٩]{2,4})$"
NATIONAL_ID_PATTERN = re.compile(r"^[0-9]{11}$")
# free text the database reads: PostgreSQL can neither store nor compare a NUL character
NO_NUL_PATTERN = r"^[^\x00]*$"
PAGING = ("limit", "offset")

# query and path parameters shared by the routes (Annotated, so no call sits in a default)
ObjectId = Annotated[int, Path(..., ge=1, le=MAX_ID)]
NationalIdPath = Annotated[str, Path(..., max_length=20)]
ProvinceFilter = Annotated[
    str | None,
    Query(
        None,
        pattern=PROVINCE_PATTERN,
        description="Province: Statistical Centre code (e.g. 21) or ISO code (IR-21).",
    ),
]
SectorFilter = Annotated[
    str | None,
    Query(
        None,
        pattern=SECTOR_PATTERN,
        description="ISIC section letter, or division/group/class code (e.g. 13, 1311).",
    ),
]
SearchFilter = Annotated[
    str | None,
    Query(
        None,
        max_length=MAX_SEARCH,
        pattern=NO_NUL_PATTERN,
        description="Name (Persian or English) or national ID.",
    ),
]
SizeClass = Literal["micro", "small", "medium", "large"]
# the plain fields of an enterprise's payload, and how to fetch them in one query
ENTERPRISE_RELATED = ("province", "estate", "isic__parent__parent")


class Pagination(LimitOffsetPagination):
    """``limit`` (1–500, default 50) and ``offset``; the answer is ``{items, count}``."""

    class Input(Schema):
        limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="At most 500.")
        offset: int = Field(0, ge=0, le=10_000_000)


class Rendered(Sequence):
    """A queryset the paginator slices and counts, each page turned into payloads by
    ``render(rows)`` in one go (so a page costs a fixed number of queries)."""

    def __init__(self, rows: QuerySet | pd.DataFrame | list, render: Callable[[list], list[dict]]):
        self.rows = rows
        self.render = render

    def __len__(self) -> int:
        return self.rows.count() if isinstance(self.rows, QuerySet) else len(self.rows)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("Rendered only slices")
        if isinstance(self.rows, pd.DataFrame):
            return self.render(self.rows.iloc[index])
        return self.render(list(self.rows[index]))


def refuse_unknown(request, *allowed: str) -> None:
    """A query string naming a parameter the route does not know is a mistake worth
    saying (a misspelt filter would otherwise silently filter nothing)."""
    unknown = sorted(set(request.GET) - set(allowed) - set(PAGING))
    if unknown:
        raise ApiError(
            400,
            "unknown_parameter",
            _("Unknown query parameter(s): %(names)s."),
            names=", ".join(unknown)[:200],
        )


def finite(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def path_national_id(text: str) -> str:
    """The national ID of a path (Persian digits accepted); a 404 for what cannot be one."""
    cleaned = to_latin_digits(text.strip())
    if not NATIONAL_ID_PATTERN.match(cleaned):
        raise not_found(_("No such enterprise."))
    return cleaned


def filter_enterprises(
    rows: QuerySet, prefix: str = "", *, province=None, sector=None, q=None, size_class=None
) -> QuerySet:
    """Filters shared by results and enterprises; ``prefix`` reaches the enterprise
    (``"enterprise__"`` from an edition result)."""
    if province:
        code = to_latin_digits(province).upper()
        rows = rows.filter(
            **{f"{prefix}province__iso": code}
            if code.startswith("IR-")
            else {f"{prefix}province__code": int(code)}
        )
    if sector:
        code = to_latin_digits(sector).upper()
        rows = rows.filter(
            **{f"{prefix}isic__section": code}
            if code.isalpha()
            else {f"{prefix}isic__code__startswith": code}
        )
    match = name_or_id_matches(q or "", prefix)
    if match is not None:
        rows = rows.filter(match)
    if size_class:
        rows = rows.filter(size_class=size_class)
    return rows


def period_out(period) -> dict:
    return {"code": period.code, "year": period.year, "quarter": period.quarter}


def province_out(province) -> dict:
    return {
        "code": province.code,
        "iso": province.iso,
        "name_fa": province.name_fa,
        "name_en": province.name_en,
    }


def sector_out(sector) -> dict:
    return {"code": sector.code, "title_fa": sector.title_fa, "title_en": sector.title_en}


def division_of(isic_class):
    """The ISIC division above a class (class → group → division)."""
    node = isic_class
    while node.level not in ("division", "section") and node.parent_id is not None:
        node = node.parent
    return node


def estate_out(estate) -> dict | None:
    if estate is None:
        return None
    return {"code": estate.code, "name_fa": estate.name_fa, "name_en": estate.name_en}


def enterprise_out(enterprise) -> dict:
    return {
        "national_id": enterprise.national_id,
        "name_fa": enterprise.name_fa,
        "name_en": enterprise.name_en,
        "province": province_out(enterprise.province),
        "estate": estate_out(enterprise.estate),
        "sector": sector_out(division_of(enterprise.isic)),
    }


def coverage_out(coverage: float | None, missing: list[str] | None, methodology) -> dict:
    """The fields of :class:`~rasad.platform.api.schemas.CoverageOut` from a stored result's
    ``coverage`` and ``missing`` (both None in editions computed before they were recorded)."""
    reported, total = counts(missing, methodology)
    return {
        "coverage": finite(coverage),
        "reported": reported,
        "indicators": total,
        "missing": missing,
    }
