"""The estate manager's dashboard: the enterprises of the estates a user may see, with
their result in an edition and their missing returns (one annotated query, sorted and
paged by the database), and the summaries above the table. Confidential: everything
here reads ``Enterprise.objects.confidential_to(user)``."""

from __future__ import annotations

import datetime

import numpy as np
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.http import Http404
from django.utils import timezone

from rasad.platform.public import charts, data
from rasad.platform.public.labels import band_label
from rasad.platform.public.params import PER_PAGE, BadRequest, check_sizes, published_or_404
from rasad.platform.rankings import coverage
from rasad.platform.rankings.models import Edition
from rasad.platform.registry.models import Enterprise, IndustrialEstate
from rasad.platform.returns.models import Period, Return

# the yearly periods whose returns count as missing when not sent (the latest that are due)
DUE_PERIODS = 5
ESTATES_SHOWN = 20  # rows of the estate dashboard's table by estate
SORTS = ("name", "national_id", "estate", "score", "rank", "p_top", "coverage", "missing")


def estate_scope(user, params) -> dict:
    """The estates ``user`` may see, the chosen one (or all), the edition, the sort and
    the enterprises so sorted, as the query ``params`` ask: :class:`BadRequest` for a
    parameter not understood, 404 for an estate or edition not found."""
    estates = (
        IndustrialEstate.objects.all() if user.sees_everything else user.estates.all()
    ).select_related("province")
    check_sizes(params)
    chosen = None
    code = params.get("estate")
    if code:
        chosen = estates.filter(code=code).first()
        if chosen is None:  # another scope's estate, or none at all: as if it did not exist
            raise Http404
    wanted = params.get("edition")
    if wanted:
        if not wanted.isdecimal():
            raise BadRequest
        edition = published_or_404(int(wanted))
    else:
        edition = data.latest_edition()
    firms = Enterprise.objects.confidential_to(user).filter(
        estate__isnull=False, dataset__isnull=True
    )
    if chosen is not None:
        firms = firms.filter(estate=chosen)
    pillars = data.pillars(data.methodology_of(edition)) if edition else []
    due = due_periods()
    firms = with_edition_and_returns(firms, edition, [p.code for p in pillars], due)
    firms = data.search(firms, params.get("q", "")).select_related("estate", "province", "isic")
    sort, descending = _sort(params, edition, pillars)
    field = {"name": "name_fa", "estate": "estate__name_fa", "coverage": "result_coverage"}.get(
        sort, sort
    )
    order = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
    return {
        "estates": estates,
        "chosen": chosen,
        "edition": edition,
        "pillars": pillars,
        "due": due,
        "firms": firms.order_by(order, "name_fa", "pk"),
        "sort": sort,
        "descending": descending,
    }


def _sort(params, edition: Edition | None, pillars) -> tuple[str, bool]:
    sort = params.get("sort") or ("rank" if edition else "name")
    allowed = list(SORTS) + [f"pillar_{p.code}" for p in pillars]
    if sort not in allowed or (
        not edition and sort not in ("name", "national_id", "estate", "missing")
    ):
        raise BadRequest
    descending = params.get("dir") == "desc"
    if params.get("dir") not in (None, "", "asc", "desc"):
        raise BadRequest
    return sort, descending


def due_periods(today: datetime.date | None = None) -> list[Period]:
    """The latest yearly periods whose deadline has passed (or that have none)."""
    today = today or timezone.localdate()
    return list(
        Period.objects.filter(quarter__isnull=True)
        .filter(Q(deadline__isnull=True) | Q(deadline__lt=today))
        .order_by("-year")[:DUE_PERIODS]
    )


def with_edition_and_returns(
    firms, edition: Edition | None, pillar_codes: list[str], due: list[Period]
):
    """Annotate enterprises with their result in ``edition`` (score, rank, P(top), size
    band, coverage and indicators left blank as ``result_coverage`` and ``result_missing``,
    pillar scores) and their missing yearly returns among ``due``: all in one query, so
    that sorting and paging happen in the database."""
    if edition is not None:
        # one LEFT JOIN on the edition's row of each enterprise (unique per edition)
        firms = firms.annotate(
            result=FilteredRelation(
                "edition_results", condition=Q(edition_results__edition=edition)
            ),
        ).annotate(
            score=F("result__score"),
            rank=F("result__rank"),
            p_top=F("result__p_top"),
            size_band=F("result__size_class"),
            rank_q05=F("result__rank_q05"),
            rank_q95=F("result__rank_q95"),
            result_coverage=F("result__coverage"),
            result_missing=F("result__missing"),
            **{
                f"pillar_{code}": Cast(KeyTextTransform(code, "result__node_scores"), FloatField())
                for code in pillar_codes
            },
        )
    applicable = Value(0)
    for period in due:
        applicable = applicable + Case(
            When(Q(founding_year__isnull=True) | Q(founding_year__lte=period.year), then=Value(1)),
            default=Value(0),
        )
    sent = (
        Return.objects.filter(
            enterprise=OuterRef("pk"), period__in=due, current_version__isnull=False
        )
        .order_by()
        .values("enterprise")
        .annotate(c=Count("pk"))
        .values("c")[:1]
    )
    firms = firms.annotate(
        sent=Coalesce(Subquery(sent, output_field=IntegerField()), Value(0)),
        applicable=ExpressionWrapper(applicable, output_field=IntegerField()),
    ).annotate(missing=F("applicable") - F("sent"))
    if due:
        firms = firms.annotate(
            latest_sent=Exists(
                Return.objects.filter(
                    enterprise=OuterRef("pk"), period=due[0], current_version__isnull=False
                )
            )
        )
    return firms


def estate_page(scope: dict, params) -> dict:
    """The dashboard's context for :func:`estate_scope`: a page of the enterprises, a row
    per estate, the pillars' distributions against the national medians, and the links
    that sort the table."""
    edition, pillars = scope["edition"], scope["pillars"]
    firms = scope["firms"]
    page = Paginator(firms, PER_PAGE).get_page(params.get("page"))
    for firm in page.object_list:
        firm.heat = [charts.heat(getattr(firm, f"pillar_{p.code}", None)) for p in pillars]
        firm.band = band_label(getattr(firm, "size_band", "") or "")
    if edition:
        coverage.describe_rows(
            page.object_list,
            data.methodology_of(edition),
            coverage="result_coverage",
            missing="result_missing",
        )
    # the whole selection, for the summaries: one query of plain values
    fields = [
        "estate_id",
        "missing",
        *(["score", "rank"] if edition else []),
        *[f"pillar_{p.code}" for p in pillars],
    ]
    values = list(firms.order_by().values_list(*fields))
    by_estate = _by_estate(values, edition)
    distribution, scale_ticks = _distribution(values, edition, pillars) if edition else ([], [])
    sort_links = _sort_links(params, scope, pillars)
    return {
        **scope,
        "page": page,
        "estate_rows": _estate_rows(by_estate, scope["estates"]),
        "distribution": distribution,
        "scale_ticks": scale_ticks,
        "total": len(values),
        "ranked": sum(e["ranked"] for e in by_estate.values()),
        "top": sum(e["top"] for e in by_estate.values()),
        "missing": sum(e["missing"] for e in by_estate.values()),
        "sort_links": sort_links,
        "pillar_columns": [
            {"pillar": p, "key": f"pillar_{p.code}", "link": sort_links[f"pillar_{p.code}"]}
            for p in pillars
        ],
        "estate_limit": ESTATES_SHOWN,
        "editions": data.editions_menu(edition),
    }


def _by_estate(values: list[tuple], edition: Edition | None) -> dict:
    """Per estate id: its enterprises, those ranked and in the top list, their missing
    returns and their scores."""
    by_estate: dict = {}
    for row in values:
        entry = by_estate.setdefault(
            row[0], {"n": 0, "ranked": 0, "top": 0, "missing": 0, "scores": []}
        )
        entry["n"] += 1
        entry["missing"] += row[1] or 0
        if edition and row[3] is not None:
            entry["ranked"] += 1
            entry["top"] += row[3] <= edition.top_k
            entry["scores"].append(row[2])
    return by_estate


def _estate_rows(by_estate: dict, estates) -> list[dict]:
    """A row per estate, the largest first, with its median score."""
    estate_objects = {e.pk: e for e in estates if e.pk in by_estate}
    return [
        {
            "estate": estate_objects.get(pk),
            **entry,
            "median": float(np.median(entry["scores"])) if entry["scores"] else None,
        }
        for pk, entry in sorted(by_estate.items(), key=lambda kv: -kv[1]["n"])
    ]


def _distribution(values: list[tuple], edition: Edition, pillars) -> tuple[list[dict], list]:
    """Each pillar's box plot over the selection against the national median, and the
    ticks of their common scale."""
    national = data.summary(edition)["pillar_medians"]
    offset = 4
    columns = [[row[offset + i] for row in values] for i in range(len(pillars))]
    scale = charts.scale_of([v for col in columns for v in col])
    distribution = []
    for pillar, column in zip(pillars, columns, strict=True):
        q = data.quantiles(column)
        distribution.append(
            {
                "pillar": pillar,
                "q": q,
                "national": national.get(pillar.code),
                "track": charts.track(q, scale, reference=national.get(pillar.code)),
            }
        )
    return distribution, charts.ticks(scale)


def _sort_links(params, scope: dict, pillars) -> dict[str, str]:
    """Per column, the query that sorts by it: the other way round when it is the sort."""
    query = params.copy()
    for key in ("page", "sort", "dir"):
        query.pop(key, None)
    base = query.urlencode()
    links = {}
    for key in [*SORTS, *[f"pillar_{p.code}" for p in pillars]]:
        flip = (
            "asc"
            if scope["sort"] == key and scope["descending"]
            else "desc"
            if scope["sort"] == key
            else (
                "desc"
                if key in ("score", "p_top", "missing") or key.startswith("pillar_")
                else "asc"
            )
        )
        links[key] = f"?{base + '&' if base else ''}sort={key}&dir={flip}"
    return links
