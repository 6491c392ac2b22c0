"""The published rankings (public), the enterprise scorecard, the estate manager's
dashboard and the national dashboard.

Published editions are public (DESIGN §5: rank, score, pillar scores, name, province,
sector); drafts are not found here (the analyst reviews them under /analysis/).
Confidential figures — the values of the league tables, an enterprise's returns and
figures — are read only through ``Enterprise.objects.confidential_to(user)``.
"""

from __future__ import annotations

import io
import math

import numpy as np
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from rasad.iran.text import to_latin_digits
from rasad.platform.accounts.models import Role
from rasad.platform.monitoring import choice, compute
from rasad.platform.public import charts, data, league_tables, opendata, top_list
from rasad.platform.public.access import sees_estate_dashboard, sees_national_dashboard
from rasad.platform.public.labels import band_label
from rasad.platform.public.methodology import methodology_page
from rasad.platform.public.params import (
    MAX_PARAMETER,
    PER_PAGE,
    BadRequest,
    check_sizes,
    published_or_404,
)
from rasad.platform.public.scorecard import scorecard_page
from rasad.platform.rankings import coverage
from rasad.platform.registry.models import (
    Enterprise,
    IndustrialEstate,
    Province,
)
from rasad.platform.returns.models import Period
from rasad.platform.web import downloads
from rasad.platform.web.access import may_enter_returns, requires
from rasad.platform.web.downloads import both
from rasad.platform.web.templatetags.rasad_format import digits
from rasad.workbook import About, Column, Sheet, write_workbook

ESTATES_SHOWN = 20  # rows of the estate dashboard's table by estate


# --- public pages ------------------------------------------------------------------------


@require_GET
def top100(request, pk: int | None = None):
    """The Top-100 of a published edition (the latest at /top100/), or with
    ``scope=all`` everyone it ranked; filters, search and pages."""
    # every published edition, newest first: the latest, and the previous edition, are among them
    everything = list(data.newest_first(data.published()))
    edition = published_or_404(pk) if pk is not None else (everything[0] if everything else None)
    if edition is None:
        return render(request, "public/top100.html", {"edition": None})
    summary, provinces = top_list.filter_choices(edition)
    form = top_list.RankingFilters(request.GET or None, summary=summary)
    status = 200
    try:
        check_sizes(request.GET)
        if request.GET and not form.is_valid():
            raise BadRequest
    except BadRequest:
        status = 400
    query = request.GET.copy()
    query.pop("page", None)
    context = top_list.top_list_page(
        request,
        edition,
        everything,
        summary=summary,
        provinces=provinces,
        filters=(form.cleaned_data if request.GET else {}) if status == 200 else None,
        query=query.urlencode(),
    )
    context.update(form=form, status=status, is_latest_url=pk is None)
    return render(request, "public/top100.html", context, status=status)


def editions(request):
    """Every published edition, newest first."""
    rows = []
    for edition in data.newest_first(data.published()):
        rows.append({"edition": edition, "summary": data.summary(edition)})
    return render(request, "public/editions.html", {"rows": rows})


@require_GET
def league(request, pk: int):
    """IMI-style league tables: one ranked list per indicator and size band, from the
    edition's own data. Ranks and names are public; an indicator's value is shown only
    for the enterprises whose figures the reader may see (``confidential_to``)."""
    from rasad.platform.api.errors import ApiError
    from rasad.platform.api.league import edition_league

    edition = published_or_404(pk)
    method = data.methodology_of(edition)
    bands = data.summary(edition)["bands"]
    indicators = {i.code: i for i in method.indicators}
    code = request.GET.get("indicator") or method.indicators[0].code
    band = request.GET.get("band") or (bands[0] if bands else "")
    context = league_tables.league_menu(edition, method, code, band)
    if (
        code not in indicators
        or (bands and band not in bands)
        or any(len(v) > MAX_PARAMETER for v in request.GET.values())
    ):
        return render(request, "public/league.html", {**context, "bad": True}, status=400)
    context.update(league_tables.indicator_words(indicators[code]))
    try:
        _method, table = edition_league(edition, by="size_class", top=edition.top_k)
    except ApiError as error:
        message = error.message_fa if data.language() == "fa" else error.message_en
        return render(
            request, "public/league.html", {**context, "unavailable": message}, status=409
        )
    context.update(
        league_tables.league_rows(edition, method, table, indicators[code], band, request.user)
    )
    return render(request, "public/league.html", context)


@require_GET
def methodology(request, pk: int):
    """The method of a published edition, generated from the methodology text the
    edition stored: what the public reads is what was run."""
    context = methodology_page(published_or_404(pk))
    return render(request, "public/methodology.html", context)


@require_GET
def methodology_file(request, pk: int):
    """The stored methodology file itself, byte for byte."""
    edition = published_or_404(pk)
    response = HttpResponse(edition.methodology.text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = (
        f'inline; filename="methodology-{edition.methodology_sha256[:12]}.yaml"'
    )
    return response


# --- the enterprise scorecard ------------------------------------------------------------------


@login_required
@require_GET
def scorecard(request, national_id: str):
    """One enterprise's place in every published edition and its pillars against its
    peers. Opens for its own enterprise user, its estate's manager, analysts and
    administrators; for anyone else the enterprise does not exist (404)."""
    enterprise = get_object_or_404(
        Enterprise.objects.confidential_to(request.user).select_related(
            "province", "estate", "isic"
        ),
        national_id=to_latin_digits(national_id.strip()),
    )
    context = scorecard_page(
        enterprise,
        choice.choose(request, enterprise.dataset, fixed_dataset=True),
        edition=request.GET.get("edition"),
    )
    context["can_submit"] = may_enter_returns(request.user)
    return render(request, "public/scorecard.html", context)


@login_required
@require_GET
def my_enterprise(request):
    """An enterprise user's own scorecard; others go to the list of their scope."""
    user = request.user
    if user.effective_role == Role.ENTERPRISE and user.enterprise_id:
        return redirect("public:scorecard", national_id=user.enterprise.national_id)
    if sees_estate_dashboard(user):
        return redirect("public:estates")
    raise Http404


# --- the estate manager's dashboard ------------------------------------------------------------

SORTS = ("name", "national_id", "estate", "score", "rank", "p_top", "coverage", "missing")


def _estate_scope(request):
    """The estates the user may see, the chosen one (or all), the edition, the sort."""
    user = request.user
    estates = (
        IndustrialEstate.objects.all() if user.sees_everything else user.estates.all()
    ).select_related("province")
    check_sizes(request.GET)
    chosen = None
    code = request.GET.get("estate")
    if code:
        chosen = estates.filter(code=code).first()
        if chosen is None:  # another scope's estate, or none at all: as if it did not exist
            raise Http404
    wanted = request.GET.get("edition")
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
    due = data.due_periods()
    firms = data.with_edition_and_returns(firms, edition, [p.code for p in pillars], due)
    firms = data.search(firms, request.GET.get("q", "")).select_related(
        "estate", "province", "isic"
    )
    sort = request.GET.get("sort") or ("rank" if edition else "name")
    allowed = list(SORTS) + [f"pillar_{p.code}" for p in pillars]
    if sort not in allowed or (
        not edition and sort not in ("name", "national_id", "estate", "missing")
    ):
        raise BadRequest
    descending = request.GET.get("dir") == "desc"
    if request.GET.get("dir") not in (None, "", "asc", "desc"):
        raise BadRequest
    field = {"name": "name_fa", "estate": "estate__name_fa", "coverage": "result_coverage"}.get(
        sort, sort
    )
    order = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
    firms = firms.order_by(order, "name_fa", "pk")
    return {
        "estates": estates,
        "chosen": chosen,
        "edition": edition,
        "pillars": pillars,
        "due": due,
        "firms": firms,
        "sort": sort,
        "descending": descending,
    }


@requires(sees_estate_dashboard)
@require_GET
def estates(request):
    try:
        scope = _estate_scope(request)
    except BadRequest:
        return render(request, "public/estates.html", {"bad": True}, status=400)
    edition, pillars = scope["edition"], scope["pillars"]
    firms = scope["firms"]
    page = Paginator(firms, PER_PAGE).get_page(request.GET.get("page"))
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
    by_estate = {}
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
    estate_rows = []
    estate_objects = {e.pk: e for e in scope["estates"] if e.pk in by_estate}
    for pk, entry in sorted(by_estate.items(), key=lambda kv: -kv[1]["n"]):
        estate_rows.append(
            {
                "estate": estate_objects.get(pk),
                **entry,
                "median": float(np.median(entry["scores"])) if entry["scores"] else None,
            }
        )
    distribution = []
    if edition:
        national = data.summary(edition)["pillar_medians"]
        offset = 4
        columns = [[row[offset + i] for row in values] for i in range(len(pillars))]
        scale = charts.scale_of([v for col in columns for v in col])
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
        scale_ticks = charts.ticks(scale)
    else:
        scale_ticks = []
    query = request.GET.copy()
    for key in ("page", "sort", "dir"):
        query.pop(key, None)
    base = query.urlencode()
    sort_links = {}
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
        sort_links[key] = f"?{base + '&' if base else ''}sort={key}&dir={flip}"
    pillar_columns = [
        {"pillar": p, "key": f"pillar_{p.code}", "link": sort_links[f"pillar_{p.code}"]}
        for p in pillars
    ]
    export_query = request.GET.copy()
    export_query.pop("page", None)
    context = {
        **scope,
        "page": page,
        "estate_rows": estate_rows,
        "distribution": distribution,
        "scale_ticks": scale_ticks,
        "total": len(values),
        "ranked": sum(e["ranked"] for e in by_estate.values()),
        "top": sum(e["top"] for e in by_estate.values()),
        "missing": sum(e["missing"] for e in by_estate.values()),
        "sort_links": sort_links,
        "pillar_columns": pillar_columns,
        "estate_limit": ESTATES_SHOWN,
        "export_query": export_query.urlencode(),
        "editions": data.editions_menu(edition),
        "query": request.GET.get("q", ""),
    }
    page_query = request.GET.copy()
    page_query.pop("page", None)
    context["page_query"] = page_query.urlencode()
    return render(request, "public/estates.html", context)


@requires(sees_estate_dashboard)
@require_GET
def estates_excel(request):
    """The selection of the estate dashboard, every row, as an Excel workbook
    (:mod:`rasad.workbook`): only the enterprises whose figures the reader may see."""
    try:
        scope = _estate_scope(request)
    except BadRequest:
        return render(request, "public/estates.html", {"bad": True}, status=400)
    edition, pillars, due = scope["edition"], scope["pillars"], scope["due"]
    columns = [
        Column("national_id", both(gettext_lazy("National ID")), width=14),
        Column("name", both(gettext_lazy("Enterprise")), width=32),
        Column("estate", both(gettext_lazy("Industrial estate")), width=24),
        Column("province", both(gettext_lazy("Province")), width=14),
        Column("isic", both(gettext_lazy("ISIC class")), width=10),
    ]
    if edition:
        method = data.methodology_of(edition)
        said = coverage.treatment(method)
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
            *opendata.pillar_columns(method),
        ]
    columns += [
        Column("missing", both(gettext_lazy("Missing yearly returns")), "int"),
        Column("applicable", both(gettext_lazy("Yearly returns due")), "int"),
    ]

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
                covered = coverage.describe(
                    firm.result_coverage, firm.result_missing, method, said=said
                )
                row += [
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
    write_workbook(buffer, [sheet], language=downloads.language(), about=about)
    response = HttpResponse(buffer.getvalue(), content_type=downloads.XLSX)
    name = f"rasad-estates-{scope['chosen'].code if scope['chosen'] else 'all'}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- open data: the Top-100 and the league tables as CSV and XLSX ---------------------------


@require_GET
def data_download(request, pk: int, name: str):
    """The open data of a published edition: ``top100`` or ``league``, each as
    ``.xlsx``, ``.csv`` and ``-dictionary.csv``."""
    if name.startswith("top100"):
        return top100_download(request, pk, name)
    if name.startswith("league"):
        return league_download(request, pk, name)
    raise Http404


@require_GET
def top100_download(request, pk: int, name: str):
    """The whole top list of a published edition at once (open data, CC BY 4.0), as
    ``top100.xlsx``, ``top100.csv`` and ``top100-dictionary.csv``."""
    fmt = downloads.split_name(name, "top100")
    edition = published_or_404(pk)
    sheet = opendata.top100_sheet(edition)
    return downloads.response(
        fmt,
        f"rasad-top{edition.top_k}-{edition.pk}",
        sheet,
        opendata.open_about(edition, sheet.title),
    )


@require_GET
def league_download(request, pk: int, name: str):
    """Every league table of a published edition as ``league.xlsx``, ``league.csv`` and
    ``league-dictionary.csv``: values only where the reader may see the figures, as on
    the page."""
    from rasad.platform.api.errors import ApiError
    from rasad.platform.api.league import edition_league

    fmt = downloads.split_name(name, "league")
    edition = published_or_404(pk)
    try:
        method, table = edition_league(edition, by="size_class", top=edition.top_k)
    except ApiError as error:
        return HttpResponse(
            error.message_fa if data.language() == "fa" else error.message_en,
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    sheet = league_tables.league_sheet(method, table, request.user)
    return downloads.response(
        fmt, f"rasad-league-{edition.pk}", sheet, opendata.open_about(edition, sheet.title)
    )


# --- the national dashboard -----------------------------------------------------------------


def _coverage() -> list[dict]:
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


@requires(sees_national_dashboard)
@require_GET
def dashboard(request):
    """Distributions of the latest (or chosen) edition by province, ISIC division and
    size band, and the trends across every published edition."""
    wanted = request.GET.get("edition")
    if wanted and not wanted.isdecimal():
        return render(request, "public/dashboard.html", {"bad": True}, status=400)
    edition = published_or_404(int(wanted)) if wanted else data.latest_edition()
    context = {"edition": edition, "editions": data.editions_menu(edition), "coverage": _coverage()}
    if edition is None:
        return render(request, "public/dashboard.html", context)
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
        out = []
        top_max = max([g["top"] for g in groups] + [1])
        for g in groups:
            out.append(
                {
                    **g,
                    "label": label(g["key"]),
                    "track": charts.track(g["score"], score_scale, reference=national),
                    "top_bar": charts.css(100 * g["top"] / top_max),
                    "heat": [charts.heat(g["pillars"].get(p.code)) for p in pillars],
                }
            )
        return out

    def division_label(code):
        sector = titles.get(code)
        return f"{digits(code)} {sector.title}" if sector else digits(code)

    def province_label(pk):
        province = provinces.get(pk)
        return province.name if province else str(pk)

    context.update(
        pillars=pillars,
        summary=summary,
        national=national,
        scale_ticks=charts.ticks(score_scale),
        by_province=table(dist["province"], province_label),
        by_division=table(dist["division"], division_label),
        by_band=table(dist["band"], band_label),
    )
    # trends: the newest edition of each year (one re-published supersedes the earlier), oldest first
    trend_editions = list(
        reversed(data.newest_of_each_year(list(data.newest_first(data.published()))))
    )
    trends = []
    for item in trend_editions:
        s = data.summary(item)
        trends.append(
            {
                "edition": item,
                "summary": s,
                "heat": [charts.heat(s["pillar_medians"].get(p.code)) for p in pillars],
            }
        )
    context["trends"] = trends
    if len(trend_editions) > 1:
        series = [
            {
                "name": p.name,
                "color": charts.PALETTE[i % len(charts.PALETTE)],
                "values": [t["summary"]["pillar_medians"].get(p.code) for t in trends],
            }
            for i, p in enumerate(pillars)
        ]
        series.append(
            {
                "name": _("Index score"),
                "color": "#1c2733",
                "wide": True,
                "values": [
                    t["summary"]["score"]["median"] if t["summary"]["score"] else None
                    for t in trends
                ],
            }
        )
        context["trend_chart"] = charts.lines(
            series, x_labels=[str(t["edition"].period) for t in trends]
        )
    return render(request, "public/dashboard.html", context)
