"""The published rankings (public), the enterprise scorecard, the estate manager's
dashboard and the national dashboard.

Published editions are public (DESIGN §5: rank, score, pillar scores, name, province,
sector); drafts are not found here (the analyst reviews them under /analysis/).
Confidential figures — the values of the league tables, an enterprise's returns and
figures — are read only through ``Enterprise.objects.confidential_to(user)``.

The views read the request, check access and answer; what a page shows is assembled by
the modules named per page (:mod:`top_list`, :mod:`league_tables`, :mod:`methodology`,
:mod:`scorecard`, :mod:`estates`, :mod:`dashboards`, :mod:`opendata`).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from rasad.iran.text import to_latin_digits
from rasad.platform.accounts.models import Role
from rasad.platform.monitoring import choice
from rasad.platform.public import (
    dashboards,
    data,
    league_tables,
    opendata,
    top_list,
)
from rasad.platform.public.access import sees_estate_dashboard, sees_national_dashboard
from rasad.platform.public.estates import estate_page, estate_scope
from rasad.platform.public.methodology import methodology_page
from rasad.platform.public.params import (
    MAX_PARAMETER,
    BadRequest,
    check_sizes,
    published_or_404,
)
from rasad.platform.public.scorecard import scorecard_page
from rasad.platform.rankings.errors import EditionDataUnavailable
from rasad.platform.registry.models import Enterprise
from rasad.platform.reports.estates_workbook import estates_workbook
from rasad.platform.web import downloads
from rasad.platform.web.access import may_enter_returns, requires

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
    from rasad.platform.rankings.league import edition_league

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
    except EditionDataUnavailable as error:
        message = str(error.message)
        return render(
            request, "public/league.html", {**context, "unavailable": message}, status=error.status
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


@requires(sees_estate_dashboard)
@require_GET
def estates(request):
    try:
        scope = estate_scope(request.user, request.GET)
    except BadRequest:
        return render(request, "public/estates.html", {"bad": True}, status=400)
    context = estate_page(scope, request.GET)
    query = request.GET.copy()
    query.pop("page", None)
    context.update(
        export_query=query.urlencode(),
        page_query=query.urlencode(),
        query=request.GET.get("q", ""),
    )
    return render(request, "public/estates.html", context)


@requires(sees_estate_dashboard)
@require_GET
def estates_excel(request):
    """The selection of the estate dashboard, every row, as an Excel workbook: only the
    enterprises whose figures the reader may see."""
    try:
        scope = estate_scope(request.user, request.GET)
    except BadRequest:
        return render(request, "public/estates.html", {"bad": True}, status=400)
    response = HttpResponse(estates_workbook(scope), content_type=downloads.XLSX)
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
    from rasad.platform.rankings.league import edition_league

    fmt = downloads.split_name(name, "league")
    edition = published_or_404(pk)
    try:
        method, table = edition_league(edition, by="size_class", top=edition.top_k)
    except EditionDataUnavailable as error:
        return HttpResponse(
            str(error.message),
            status=error.status,
            content_type="text/plain; charset=utf-8",
        )
    sheet = league_tables.league_sheet(method, table, request.user)
    return downloads.response(
        fmt, f"rasad-league-{edition.pk}", sheet, opendata.open_about(edition, sheet.title)
    )


# --- the national dashboard -----------------------------------------------------------------


@requires(sees_national_dashboard)
@require_GET
def dashboard(request):
    """Distributions of the latest (or chosen) edition by province, ISIC division and
    size band, and the trends across every published edition."""
    wanted = request.GET.get("edition")
    if wanted and not wanted.isdecimal():
        return render(request, "public/dashboard.html", {"bad": True}, status=400)
    edition = published_or_404(int(wanted)) if wanted else data.latest_edition()
    context = {
        "edition": edition,
        "editions": data.editions_menu(edition),
        "coverage": dashboards.filing_coverage(),
    }
    if edition is not None:
        context.update(dashboards.distributions(edition))
        context.update(dashboards.trends(context["pillars"]))
    return render(request, "public/dashboard.html", context)
