"""Enterprises and their returns.

Anyone may look up the enterprises ranked in a published edition (names, province,
sector, estate, their published ranks); registry details and returns exist only within
``Enterprise.objects.confidential_to(user)``: an enterprise its own, an estate manager
their estates', analysts and administrators all. Outside that scope a return is a 404
(as if the enterprise had none); the public's accounts may not see returns at all (403).
"""

from typing import Annotated

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Path, Query, Router, Schema
from ninja.pagination import paginate

from rasad.errors import RasadInputError
from rasad.iran.periods import Period as JalaliPeriod
from rasad.platform import datasets
from rasad.platform.api.access import (
    confidential_enterprises,
    listed_enterprises,
    may_hold_returns,
    sees_everything,
    visible_editions,
)
from rasad.platform.api.auth import ANYONE, OPTIONAL_AUTH, SIGNED_IN
from rasad.platform.api.common import (
    ENTERPRISE_RELATED,
    NationalIdPath,
    Pagination,
    ProvinceFilter,
    Rendered,
    SearchFilter,
    SectorFilter,
    coverage_out,
    enterprise_out,
    filter_enterprises,
    finite,
    path_national_id,
    period_out,
    refuse_unknown,
    sector_out,
)
from rasad.platform.api.errors import ApiError, from_input_error, not_found
from rasad.platform.api.return_schemas import ReturnIn, ReturnOut, SubmitOut
from rasad.platform.api.schemas import EnterpriseDetailOut, EnterpriseOut, errors
from rasad.platform.api.submission import checked_values, store_return
from rasad.platform.rankings.models import Edition, EditionResult
from rasad.platform.rankings.path import edition_path
from rasad.platform.registry.models import Enterprise
from rasad.platform.returns.models import Period, Return, ReturnVersion

router = Router(auth=ANYONE, tags=["enterprises"])

# a Jalali year 1300–1499 (Latin or Persian digits), or one of its quarters
PERIOD_PATTERN = r"^(?:1[34][0-9]{2}|۱[۳۴][۰-۹]{2})(?:-?[Qq][1-4])?$"
PeriodFilter = Annotated[
    str | None, Query(None, pattern=PERIOD_PATTERN, description="Only this period (1403, 1403-Q2).")
]
PeriodPath = Annotated[
    str, Path(..., pattern=PERIOD_PATTERN, description="1403, or 1403-Q2 for a quarter.")
]


def _in_scope(user, enterprises) -> set[int]:
    if sees_everything(user):
        return {e.pk for e in enterprises}
    return set(
        confidential_enterprises(user)
        .filter(pk__in=[e.pk for e in enterprises])
        .values_list("pk", flat=True)
    )


def _listing(page: list[Enterprise], user) -> list[dict]:
    scoped = _in_scope(user, page)
    return [{**enterprise_out(e), "confidential": e.pk in scoped} for e in page]


@router.get(
    "/enterprises",
    response={200: list[EnterpriseOut], **errors()},
    openapi_extra=OPTIONAL_AUTH,
    summary="Enterprises",
)
@paginate(Pagination)
def enterprises(
    request,
    province: ProvinceFilter = None,
    sector: SectorFilter = None,
    q: SearchFilter = None,
    dataset: str = Query(
        datasets.NATIONAL,
        description="national (the default), or the code of a research panel "
        "whose firms to list instead.",
    ),
):
    """The enterprises ranked in a published edition, and those whose figures you may
    see (your own, your estates', or all for analysts), by name: those of the national
    returns, or of the research panel ``dataset``."""
    refuse_unknown(request, "province", "sector", "q", "dataset")
    user = request.auth
    try:
        chosen = datasets.named(dataset)
    except RasadInputError as error:
        raise from_input_error(error) from None
    rows = filter_enterprises(
        listed_enterprises(user).filter(pk__in=datasets.enterprise_ids(chosen)),
        province=province,
        sector=sector,
        q=q,
    )
    rows = rows.select_related(*ENTERPRISE_RELATED).order_by("name_fa", "pk")
    return Rendered(rows, lambda page: _listing(page, user))


def _enterprise(user, national_id: str, *, scoped: bool) -> Enterprise:
    """The enterprise of a path, or a 404: among those ``user`` may look up, or with
    ``scoped`` among those whose confidential figures they may see."""
    rows = confidential_enterprises(user) if scoped else listed_enterprises(user)
    found = (
        rows.select_related(*ENTERPRISE_RELATED)
        .filter(national_id=path_national_id(national_id))
        .first()
    )
    if found is None:
        raise not_found(_("No such enterprise."))
    return found


@router.get(
    "/enterprises/{national_id}",
    response={200: EnterpriseDetailOut, **errors(404)},
    openapi_extra=OPTIONAL_AUTH,
    summary="One enterprise and its ranks",
)
def enterprise(request, national_id: NationalIdPath):
    """Its published ranks (drafts too for analysts); its registry details only if you
    may see its confidential figures."""
    refuse_unknown(request)
    user = request.auth
    found = _enterprise(user, national_id, scoped=False)
    results = (
        EditionResult.objects.filter(enterprise=found, edition__in=visible_editions(user))
        .select_related("edition__period", "edition__methodology")
        .order_by("-edition__period__year", "-edition__created_at")
    )
    rankings = [
        {
            "edition_id": r.edition_id,
            "edition_name_fa": r.edition.name_fa,
            "edition_name_en": r.edition.name_en,
            "status": r.edition.status,
            "period": period_out(r.edition.period),
            "rank": r.rank,
            "score": finite(r.score),
            "rank_q05": finite(r.rank_q05),
            "rank_q95": finite(r.rank_q95),
            "p_top": finite(r.p_top),
            "size_class": r.size_class,
            **coverage_out(r.coverage, r.missing, r.edition.methodology.parsed()),
        }
        for r in results
    ]
    scoped = found.pk in _in_scope(user, [found])
    details = None
    if scoped:
        periods = Period.objects.filter(
            returns__enterprise=found, returns__current_version__isnull=False
        ).order_by("year", "quarter")
        details = {
            "isic_class": sector_out(found.isic),
            "founding_year": found.founding_year,
            "registered_at": found.created_at,
            "clusters": list(found.clusters.order_by("code").values("code", "name_fa", "name_en")),
            "periods_returned": [p.code for p in periods],
        }
    return {
        **enterprise_out(found),
        "confidential": scoped,
        "rankings": rankings,
        "details": details,
    }


def _refuse_public(user) -> None:
    if not may_hold_returns(user):
        raise ApiError(403, "forbidden", _("Your account may not see or submit returns."))


def _versions_out(versions: list[ReturnVersion]) -> dict[int, dict]:
    values = {v.pk: v.values() for v in versions}
    return {
        v.pk: {
            "number": v.number,
            "source": v.source,
            "created_at": v.created_at,
            "created_by": v.created_by.username if v.created_by else None,
            "source_file": v.source_file.name if v.source_file else None,
            "note": v.note,
            "values": values[v.pk],
        }
        for v in versions
    }


def _returns_page(page: list[Return]) -> list[dict]:
    versions = list(
        ReturnVersion.objects.filter(return_record__in=page)
        .select_related("created_by", "source_file")
        .order_by("-number")
    )
    rendered = _versions_out(versions)
    by_return: dict[int, list] = {}
    for v in versions:
        by_return.setdefault(v.return_record_id, []).append(rendered[v.pk])
    return [
        {
            "period": period_out(r.period),
            "current_version": rendered.get(r.current_version_id),
            "versions": by_return.get(r.pk, []),
        }
        for r in page
    ]


@router.get(
    "/enterprises/{national_id}/returns",
    auth=SIGNED_IN,
    response={200: list[ReturnOut], **errors(403, 404)},
    summary="An enterprise's returns, every version",
)
@paginate(Pagination)
def returns(request, national_id: NationalIdPath, period: PeriodFilter = None):
    """The current figures of each period and every earlier version, newest period
    first: for your own enterprise, your estates', or any (analysts, administrators)."""
    refuse_unknown(request, "period")
    user = request.auth
    _refuse_public(user)
    found = _enterprise(user, national_id, scoped=True)
    rows = Return.objects.visible_to(user).filter(enterprise=found).select_related("period")
    if period is not None:
        jalali = _period(period)
        rows = rows.filter(period__year=jalali.year, period__quarter=jalali.quarter)
    return Rendered(rows.order_by("-period__year", "-period__quarter", "-pk"), _returns_page)


def _period(text: str) -> JalaliPeriod:
    try:
        jalali = JalaliPeriod.parse(text)
    except RasadInputError as error:
        raise from_input_error(error) from None
    if jalali.month is not None:  # the pattern already refuses months; kept for callers
        raise ApiError(422, "invalid_period", _("Returns are yearly or quarterly."))
    return jalali


def _reportable(jalali: JalaliPeriod) -> None:
    """A return is for a period on record or one that is over: never the future."""
    stored = Period.objects.filter(year=jalali.year, quarter=jalali.quarter).exists()
    if not stored and jalali.end_date() >= timezone.localdate():
        raise ApiError(
            422, "invalid_period", _("The period %(period)s is not over yet."), period=jalali.code
        )


@router.post(
    "/enterprises/{national_id}/returns/{period}",
    auth=SIGNED_IN,
    response={200: SubmitOut, **errors(403, 404)},
    summary="Submit or correct a return",
)
def submit(request, payload: ReturnIn, national_id: NationalIdPath, period: PeriodPath):
    """Store ``values`` as the enterprise's return for ``period`` (``1403``, ``1403-Q2``).

    The figures are checked as a file's are (Persian digits and separators accepted,
    ranges, the sender's scope); any error refuses the whole return (422, each problem
    with its field and both messages). A figure outside the catalogue's plausible
    bounds refuses it too (422, code ``implausible_figures``) unless
    ``confirm_implausible`` is true. Sending the figures already on record changes
    nothing (``changed`` false); different figures become a new version, the old one
    kept. The body is the whole return: an indicator left out is not reported."""
    refuse_unknown(request)
    user = request.auth
    _refuse_public(user)
    found = _enterprise(user, national_id, scoped=True)
    jalali = _period(period)
    _reportable(jalali)
    values, warnings = checked_values(user, found, jalali, payload)
    outcome = store_return(found, jalali, values, user=user, note=payload.note)
    return {
        "national_id": found.national_id,
        "period": jalali.code,
        "version": outcome.version.number,
        "changed": outcome.changed,
        "warnings": warnings,
    }


class PathOut(Schema):
    edition_id: int
    period: str
    top_k: int = Field(description="The size of the edition's top list.")
    status: str = Field(
        description="ranked (gap and path), unranked (why, and what to file) or no_return."
    )
    gap: dict | None = Field(
        None,
        description="The index score against the score at rank top_k, and each pillar against "
        "its median among the top_k.",
    )
    path: dict | None = Field(
        None,
        description="The suggested improvements (indicator, figure to report, current and "
        "suggested values, the peers' bound never passed), and the rank and score the index "
        "rebuilt with them gives; reachable false when even every indicator at its bound "
        "misses the target.",
    )
    reasons: list[dict] | None = Field(None, description="Why it is unranked, in both languages.")
    outside: list[dict] | None = None
    fixable: bool | None = None
    blanks: list[dict] | None = None
    to_file: list[dict] | None = None
    year_before: list[dict] | None = None
    reported: int | None = None
    needed: int | None = None
    indicators: int | None = None


@router.get(
    "/enterprises/{national_id}/path",
    auth=SIGNED_IN,
    response={200: PathOut, **errors(404, 409)},
    summary="An enterprise's path into the top list of an edition",
)
def top_path(
    request,
    national_id: NationalIdPath,
    edition: int | None = Query(
        None, description="The edition's id (by default the newest published one)."
    ),
    places: int | None = Query(
        None, ge=1, le=1_000_000, description="Aim this many places up instead of the top list."
    ),
):
    """What it would take to enter the edition's top list (or rise ``places`` places),
    computed against the edition's own methodology and data: the gap to the cut-off, and
    the fewest indicator improvements, each within what the enterprise's peers show, that
    get there when the whole index is rebuilt with them. For an unranked enterprise, the
    exact reason and the figures to file. As confidential as the enterprise's scorecard."""
    refuse_unknown(request, "edition", "places")
    user = request.auth
    found = _enterprise(user, national_id, scoped=True)
    editions = visible_editions(user).order_by("-period__year", "-published_at", "-pk")
    if edition is None:  # the newest published edition, never a draft
        editions = editions.filter(status=Edition.Status.PUBLISHED)
    chosen = (editions if edition is None else editions.filter(pk=edition)).first()
    if chosen is None:
        raise not_found(_("No such edition."))
    return edition_path(chosen, found, places=places)
