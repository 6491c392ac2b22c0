"""Ranking editions, their results and their league tables.

Published editions are public; drafts exist only for analysts and administrators (a 404
for anyone else). Results are what an edition published: ranks, intervals, scores and
pillar scores, never a reported figure; every rank comes with its coverage (how many of
the methodology's indicators the enterprise reported, and the codes of those it left
blank), which holds no figure either. League tables rank confidential figures: everyone
sees the ranks and names, the figure itself only whoever may see that enterprise's
confidential figures.
"""

from typing import Annotated, Literal

from django.db.models import Count, F, Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router
from ninja.pagination import paginate

from rasad.platform.accounts.models import Role
from rasad.platform.api.access import (
    confidential_enterprises,
    role_of,
    sees_everything,
    visible_editions,
)
from rasad.platform.api.auth import ANYONE, OPTIONAL_AUTH
from rasad.platform.api.common import (
    ENTERPRISE_RELATED,
    ObjectId,
    Pagination,
    ProvinceFilter,
    Rendered,
    SearchFilter,
    SectorFilter,
    SizeClass,
    coverage_out,
    enterprise_out,
    filter_enterprises,
    finite,
    period_out,
    refuse_unknown,
)
from rasad.platform.api.errors import ApiError, english_persian, not_found, problem
from rasad.platform.api.routers.catalogue import METHODOLOGY_FIELDS
from rasad.platform.api.schemas import EditionDetailOut, EditionOut, LeagueRowOut, ResultOut, errors
from rasad.platform.rankings import coverage
from rasad.platform.rankings.league import edition_league
from rasad.platform.rankings.models import Edition, EditionResult
from rasad.platform.registry.models import Enterprise, Province, Sector

router = Router(auth=ANYONE, tags=["editions"])

SIZE_NAMES = {
    "micro": ("خرد", "micro"),
    "small": ("کوچک", "small"),
    "medium": ("متوسط", "medium"),
    "large": ("بزرگ", "large"),
}
Year = Annotated[int | None, Query(None, ge=1300, le=1500)]
SizeFilter = Annotated[
    SizeClass | None, Query(None, description="The size band the enterprise was ranked in.")
]
By = Annotated[
    Literal["size_class", "sector", "province", "none"],
    Query(
        "size_class",
        description="One list per value of this column; `none` for one list of everyone.",
    ),
]
IndicatorFilter = Annotated[
    str | None,
    Query(
        None,
        max_length=60,
        pattern=r"^[a-z0-9_]+$",
        description="One indicator of the edition's methodology; all when omitted.",
    ),
]
BandFilter = Annotated[
    str | None,
    Query(None, max_length=20, description="Only this band (e.g. small, or 13 with by=sector)."),
]
Top = Annotated[
    int,
    Query(100, ge=1, le=1000, description="The best this many of each band (ties may add a few)."),
]


def edition_out(edition: Edition) -> dict:
    methodology = edition.methodology
    return {
        "id": edition.pk,
        "name_fa": edition.name_fa,
        "name_en": edition.name_en,
        "status": edition.status,
        "period": period_out(edition.period),
        "methodology": {name: getattr(methodology, name) for name in METHODOLOGY_FIELDS},
        "methodology_sha256": edition.methodology_sha256,
        "data_sha256": edition.data_sha256,
        "computed_at": edition.computed_at,
        "published_at": edition.published_at,
        "top_k": edition.top_k,
        "runs": edition.runs,
        "seed": edition.seed,
        "crossing_top": edition.crossing_top,
        "has_intervals": edition.has_intervals,
        "expected_count": edition.expected_count,
        "filed_count": edition.filed_count,
        "filing_coverage": edition.filing_coverage,
        "eligible_count": edition.eligible_count,
        "ranked_count": edition.ranked_count,
        "thin": None if edition.filing_coverage is None else edition.coverage_figures().thin,
        "superseded": edition.state == "superseded",
    }


def edition_link(edition: Edition | None) -> dict | None:
    if edition is None:
        return None
    return {
        "id": edition.pk,
        "name_fa": edition.name_fa,
        "name_en": edition.name_en,
        "published_at": edition.published_at,
    }


def get_edition(user, edition_id: int) -> Edition:
    edition = visible_editions(user).filter(pk=edition_id).first()
    if edition is None:
        raise not_found(_("No such edition."))
    return edition


@router.get(
    "/editions",
    response={200: list[EditionOut], **errors()},
    openapi_extra=OPTIONAL_AUTH,
    summary="Ranking editions",
)
@paginate(Pagination)
def editions(request, year: Year = None, status: Literal["published", "draft"] | None = None):
    """Published editions, newest first; analysts and administrators also see drafts."""
    refuse_unknown(request, "year", "status")
    rows = (
        visible_editions(request.auth)
        .with_superseded()
        .order_by("-period__year", "-created_at", "-pk")
    )
    if year is not None:
        rows = rows.filter(period__year=year)
    if status is not None:
        rows = rows.filter(status=status)
    return Rendered(rows, lambda page: [edition_out(e) for e in page])


@router.get(
    "/editions/{edition_id}",
    response={200: EditionDetailOut, **errors(404)},
    openapi_extra=OPTIONAL_AUTH,
    summary="One edition, with the names of its pillars",
)
def edition(request, edition_id: ObjectId):
    refuse_unknown(request)
    found = get_edition(request.auth, edition_id)
    counts = found.results.aggregate(
        results=Count("pk"), ranked=Count("pk", filter=Q(rank__isnull=False))
    )
    methodology = found.methodology.parsed()
    leaves = set(methodology.indicator_codes)
    pillars = [
        {
            "code": n.code,
            "name_fa": n.name.fa,
            "name_en": n.name.en,
            "weight": n.weight,
            "children": list(n.children),
        }
        for n in methodology.nodes
        if n.code not in leaves
    ]
    rules = {}
    for language in ("en", "fa"):
        with translation.override(language):
            rules[f"blank_rule_{language}"] = coverage.treatment(methodology)
    filing = found.coverage_figures()
    return {
        **edition_out(found),
        "results_count": counts["results"],
        "ranked_count": counts["ranked"],
        "pillars": pillars,
        "indicators": len(methodology.indicators),
        **rules,
        "supersedes": edition_link(found.supersedes if found.is_published else None),
        "superseded_by": edition_link(found.superseded_by),
        "coverage_message_en": filing.figures("en") if filing else None,
        "coverage_message_fa": filing.figures("fa") if filing else None,
    }


def result_out(row: EditionResult, methodology) -> dict:
    out = {name: finite(getattr(row, name)) for name in EditionResult.INTERVAL_FIELDS}
    out.update(
        rank=row.rank,
        score=finite(row.score),
        composite=finite(row.composite),
        size_class=row.size_class,
        node_scores={code: finite(value) for code, value in (row.node_scores or {}).items()},
        **coverage_out(row.coverage, row.missing, methodology),
        **enterprise_out(row.enterprise),
    )
    return out


@router.get(
    "/editions/{edition_id}/results",
    response={200: list[ResultOut], **errors(404)},
    openapi_extra=OPTIONAL_AUTH,
    summary="An edition's ranking",
)
@paginate(Pagination)
def results(
    request,
    edition_id: ObjectId,
    province: ProvinceFilter = None,
    sector: SectorFilter = None,
    size_class: SizeFilter = None,
    q: SearchFilter = None,
):
    """Rank order (unranked enterprises last), with rank intervals, P(top), score,
    pillar scores and coverage (how many indicators each enterprise reported, which it
    left blank): what the edition published, never a reported figure."""
    refuse_unknown(request, "province", "sector", "size_class", "q")
    found = get_edition(request.auth, edition_id)
    methodology = found.methodology.parsed()
    rows = (
        filter_enterprises(
            EditionResult.objects.filter(edition=found),
            "enterprise__",
            province=province,
            sector=sector,
            q=q,
            size_class=size_class,
        )
        .select_related(*(f"enterprise__{name}" for name in ENTERPRISE_RELATED))
        .order_by(F("rank").asc(nulls_last=True), "enterprise__name_fa", "pk")
    )
    return Rendered(rows, lambda page: [result_out(r, methodology) for r in page])


def _band_names(by: str | None, bands) -> dict:
    bands = {b for b in bands if b is not None}
    if by == "size_class":
        return {b: SIZE_NAMES.get(b, (b, b)) for b in bands}
    if by == "sector":
        return {
            s.code: (s.title_fa or s.title_en, s.title_en)
            for s in Sector.objects.filter(code__in=bands)
        }
    if by == "province":
        codes = [int(b) for b in bands if str(b).isdigit()]
        return {
            str(p.code): (p.name_fa, p.name_en) for p in Province.objects.filter(code__in=codes)
        }
    return {}


def _values_shown(user, national_ids: list[str]) -> set[str]:
    """Whose figures ``user`` may read among ``national_ids``."""
    if sees_everything(user):
        return set(national_ids)
    if role_of(user) in (Role.ENTERPRISE, Role.ESTATE_MANAGER):
        return set(
            confidential_enterprises(user)
            .filter(national_id__in=national_ids)
            .values_list("national_id", flat=True)
        )
    return set()


def _league_rows(page, edition: Edition, methodology, column, band_names: dict, user) -> list:
    """A page of league rows as the API shows them: names, bands, coverage, and the
    figure only where ``user`` may see it."""
    band_column = column or "band"
    names = {i.code: i for i in methodology.indicators}
    ids = page[methodology.unit].astype(str).tolist()
    firms = {
        n: (fa, en)
        for n, fa, en in Enterprise.objects.filter(national_id__in=ids).values_list(
            "national_id", "name_fa", "name_en"
        )
    }
    covered = {
        n: (share, missing)
        for n, share, missing in edition.results.filter(
            enterprise__national_id__in=ids
        ).values_list("enterprise__national_id", "coverage", "missing")
    }
    shown = _values_shown(user, ids)
    out = []
    for row, national_id in zip(page.itertuples(index=False), ids, strict=True):
        spec = names[row.indicator]
        band_value = None if column is None else str(getattr(row, band_column))
        band_fa, band_en = band_names.get(band_value, (None, None))
        name_fa, name_en = firms.get(national_id, ("", ""))
        out.append(
            {
                "band": band_value,
                "band_name_fa": band_fa,
                "band_name_en": band_en,
                "indicator": row.indicator,
                "indicator_name_fa": spec.name.fa,
                "indicator_name_en": spec.name.en,
                "direction": spec.direction,
                "rank": int(row.rank),
                "national_id": national_id,
                "name_fa": name_fa,
                "name_en": name_en,
                "value": finite(row.value) if national_id in shown else None,
                **coverage_out(*covered.get(national_id, (None, None)), methodology),
            }
        )
    return out


@router.get(
    "/editions/{edition_id}/league",
    response={200: list[LeagueRowOut], **errors(404, 409)},
    openapi_extra=OPTIONAL_AUTH,
    summary="IMI-style league tables",
)
@paginate(Pagination)
def league(
    request,
    edition_id: ObjectId,
    by: By = "size_class",
    indicator: IndicatorFilter = None,
    band: BandFilter = None,
    top: Top = 100,
):
    """One ranked list per indicator and band, on the data the edition ranked (the
    methodology's denominators and transforms applied, no imputation). ``value`` is a
    confidential figure: null unless you may see that enterprise's figures (analysts and
    administrators all, an enterprise its own, an estate manager their estates')."""
    refuse_unknown(request, "by", "indicator", "band", "top")
    found = get_edition(request.auth, edition_id)
    column = None if by == "none" else by
    methodology, table = edition_league(found, by=column, top=top)
    if indicator is not None and indicator not in methodology.indicator_codes:
        en, fa = english_persian(
            _("'%(code)s' is not an indicator of this edition's methodology."), code=indicator
        )
        raise ApiError(
            422, "unknown_indicator", en, message_fa=fa, problems=[problem("indicator", en, fa)]
        )
    band_column = column or "band"
    if indicator is not None:
        table = table[table["indicator"] == indicator]
    if band is not None:
        table = table[table[band_column].astype(str) == band]
    band_names = _band_names(
        column, table[band_column].astype(str).unique().tolist() if column else []
    )

    def render(page):
        return _league_rows(page, found, methodology, column, band_names, request.auth)

    return Rendered(table.reset_index(drop=True), render)
