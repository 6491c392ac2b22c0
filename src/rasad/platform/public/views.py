"""The published rankings (public), the enterprise scorecard, the estate manager's
dashboard and the national dashboard.

Published editions are public (DESIGN §5: rank, score, pillar scores, name, province,
sector); drafts are not found here (the analyst reviews them under /analysis/).
Confidential figures — the values of the league tables, an enterprise's returns and
figures — are read only through ``Enterprise.objects.confidential_to(user)``.
"""

from __future__ import annotations

import dataclasses
import io
import math

import numpy as np
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from rasad.errors import RasadInputError
from rasad.iran.prices import to_real
from rasad.iran.text import to_latin_digits
from rasad.monitor.kpis import KPIS
from rasad.monitor.peers import level_name
from rasad.platform.accounts.models import Role
from rasad.platform.monitoring import choice, compute
from rasad.platform.monitoring.models import AlertState
from rasad.platform.monitoring.views import (
    SEVERITIES,
    STATUSES,
    evidence_in_words,
    shown_figure,
)
from rasad.platform.public import charts, data
from rasad.platform.public.access import sees_estate_dashboard, sees_national_dashboard
from rasad.platform.rankings import coverage, path, review
from rasad.platform.rankings.models import Edition, EditionResult
from rasad.platform.registry.models import (
    Enterprise,
    IndustrialEstate,
    Province,
    confidential_scope,
)
from rasad.platform.returns.models import Indicator, Period, Return
from rasad.platform.returns.state import data_state, per_state
from rasad.platform.web import downloads
from rasad.platform.web.access import may_enter_returns, requires
from rasad.platform.web.downloads import both
from rasad.platform.web.templatetags.rasad_format import digits, num, percent
from rasad.workbook import OPEN_LICENCE, About, Column, Sheet, write_workbook

PER_PAGE = 50
ESTATES_SHOWN = 20  # rows of the estate dashboard's table by estate
MAX_PARAMETER = 200  # characters: a longer query parameter is refused (400)
BAND_LABELS = {
    "micro": gettext_lazy("micro"),
    "small": gettext_lazy("small"),
    "medium": gettext_lazy("medium"),
    "large": gettext_lazy("large"),
}
GROUP_LABELS = {
    "sector": gettext_lazy("ISIC sector"),
    "size_class": gettext_lazy("size band"),
    "province": gettext_lazy("province"),
    "estate": gettext_lazy("industrial estate"),
}
# the units methodology files use (anything else is shown as written)
UNIT_LABELS = {
    "ratio": gettext_lazy("ratio"),
    "percent": gettext_lazy("percent"),
    "count": gettext_lazy("count"),
    "yes/no": gettext_lazy("yes/no"),
    "score": gettext_lazy("score"),
    "million rials per person": gettext_lazy("million rials per person"),
    "hours per person": gettext_lazy("hours per person"),
    "million rials": gettext_lazy("million rials"),
}
# figures of the latest return shown on the scorecard (confidential: scoped)
KEY_FIGURES = ("employees", "sales", "exports", "value_added", "net_profit", "total_assets")


class BadRequest(Exception):
    """A query parameter the page does not understand: answered with 400 and the page."""


def band_label(band: str) -> str:
    return str(BAND_LABELS.get(band, band))


def _published_or_404(pk) -> Edition:
    if not 0 < int(pk) < 2**63:  # beyond any database's keys: not found, not a database error
        raise Http404
    return get_object_or_404(data.published(), pk=pk)


def _check_sizes(request) -> None:
    if any(len(v) > MAX_PARAMETER for values in request.GET.lists() for v in values[1]):
        raise BadRequest


def _editions_menu(chosen: Edition | None = None) -> list[Edition]:
    """The newest edition of each year (and ``chosen``, if it is a superseded one)."""
    return data.editions_menu(chosen)


# --- public pages ------------------------------------------------------------------------


class RankingFilters(forms.Form):
    province = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    sector = forms.ChoiceField(required=False)
    size = forms.ChoiceField(required=False)
    q = forms.CharField(required=False, max_length=100)
    scope = forms.ChoiceField(required=False, choices=[("", ""), ("top", "top"), ("all", "all")])

    def __init__(self, *args, summary: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].choices = [("", "")] + [
            (str(p), str(p)) for p in summary["province_codes"]
        ]
        self.fields["sector"].choices = [("", "")] + [(d, d) for d in summary["divisions"]]
        self.fields["size"].choices = [("", "")] + [(b, b) for b in summary["bands"]]


@require_GET
def top100(request, pk: int | None = None):
    """The Top-100 of a published edition (the latest at /top100/), or with
    ``scope=all`` everyone it ranked; filters, search and pages."""
    # every published edition, newest first: the latest, and the previous edition, are among them
    everything = list(data.newest_first(data.published()))
    edition = _published_or_404(pk) if pk is not None else (everything[0] if everything else None)
    if edition is None:
        return render(request, "public/top100.html", {"edition": None})
    summary = data.summary(edition)
    provinces = {p.pk: p for p in Province.objects.filter(pk__in=summary["provinces"])}
    summary = {**summary, "province_codes": sorted(p.code for p in provinces.values())}
    form = RankingFilters(request.GET or None, summary=summary)
    status = 200
    try:
        _check_sizes(request)
        if request.GET and not form.is_valid():
            raise BadRequest
    except BadRequest:
        status = 400
    filters = form.cleaned_data if status == 200 and request.GET else {}
    everyone = filters.get("scope") == "all"
    method = data.methodology_of(edition)
    pillars = data.pillars(method)
    previous = data.previous_edition(edition, everything)
    query = request.GET.copy()
    query.pop("page", None)
    page = None
    state = data_state()
    if status == 200:
        rows = data.ranking(
            edition,
            everyone=everyone,
            province=filters.get("province"),
            division=filters.get("sector") or None,
            band=filters.get("size") or None,
            query=filters.get("q") or "",
        )
        # the top list shows whole, on one page; everyone ranked is paged
        paginator = Paginator(rows, PER_PAGE if everyone else max(PER_PAGE, edition.top_k))
        # the filtered count joins the registry (a third of a filtered page's time at
        # 100,000 enterprises): it is cached with the rows, under the same key parts
        paginator.count = cache.get_or_set(
            data.fragment_key(edition, "top100 count", query.urlencode(), state),
            rows.count,
            data.CACHE_SECONDS,
        )
        page = paginator.get_page(request.GET.get("page"))
        scale = summary["scale_all"] if everyone else summary["scale_top"]
        ticks = data.log_ticks(scale)
        rows_html = _ranking_rows(
            request,
            edition,
            page,
            previous=previous,
            everyone=everyone,
            scale=scale,
            pillars=pillars,
            query=query.urlencode(),
            state=state,
        )
    else:
        ticks = []
        rows_html = ""
    titles = data.divisions()
    context = {
        "edition": edition,
        "summary": summary,
        "pillars": pillars,
        "previous": previous,
        "page": page,
        "form": form,
        "status": status,
        "everyone": everyone,
        "ticks": ticks,
        "filtered": any(filters.get(k) for k in ("province", "sector", "size", "q")),
        "province_choices": sorted(provinces.values(), key=lambda p: p.name),
        "sector_choices": [titles[d] for d in summary["divisions"] if d in titles],
        "band_choices": [(b, band_label(b)) for b in summary["bands"]],
        "page_query": query.urlencode(),
        "editions": data.editions_menu(edition, everything),
        "is_latest_url": pk is None,
        "rows_html": rows_html,
        "movers_html": _movers_html(request, edition, previous, state) if previous else "",
        "state": state,
        "indicators": len(method.indicators),
        "blank_rule": coverage.treatment(method),
    }
    return render(request, "public/top100.html", context, status=status)


def _ranking_rows(
    request,
    edition: Edition,
    page,
    *,
    previous,
    everyone: bool,
    scale: float,
    pillars,
    query: str,
    state: str,
) -> str:
    """The Top-100 table's rows, rendered once and cached: the edition is frozen, and the
    key holds everything else they show (the previous edition's movements, the filters
    and page, the language of the digits and titles, and whose scorecards this reader
    may open, which decides the links, and the data state, since the rows show the
    registry's names); a cached page reads no result row."""
    key = data.fragment_key(
        edition,
        "top100 rows",
        get_language(),
        previous.pk if previous else None,
        query,
        page.number,
        confidential_scope(request.user),
        state,
    )
    html = cache.get(key)
    if html is None:
        rows = list(page.object_list)
        data.decorate(
            rows, edition, scale=scale, pillar_codes=[p.code for p in pillars], previous=previous
        )
        linked = set(
            Enterprise.objects.confidential_to(request.user)
            .filter(pk__in=[r.enterprise_id for r in rows])
            .values_list("pk", flat=True)
        )
        for row in rows:
            row.heat = [charts.heat(v) for v in row.pillar_values]
            row.linked = row.enterprise_id in linked
        html = render_to_string(
            "public/_top100_rows.html",
            {"rows": rows, "edition": edition, "everyone": everyone, "previous": previous},
            request=request,
        )
        cache.set(key, html, data.CACHE_SECONDS)
    return html


def _movers_html(request, edition: Edition, previous: Edition, state: str) -> str:
    """The movers since ``previous`` (``review.changes``, as the analysts' review and the
    edition report list them): published ranks and names only, so the same for every
    reader; rendered once per edition, previous edition, language and data state (the
    registry's names)."""
    key = data.fragment_key(edition, "movers", get_language(), previous.pk, state)
    html = cache.get(key)
    if html is None:
        changes = review.changes(edition, previous)
        html = render_to_string(
            "public/_movers.html",
            {"changes": changes, "movers": review.movers(edition, changes)},
            request=request,
        )
        cache.set(key, html, data.CACHE_SECONDS)
    return html


def editions(request):
    """Every published edition, newest first."""
    rows = []
    for edition in data.newest_first(data.published()):
        rows.append({"edition": edition, "summary": data.summary(edition)})
    return render(request, "public/editions.html", {"rows": rows})


def format_value(value: float | None, unit: str) -> str:
    """An indicator's value the way its unit reads (in the reader's digits)."""
    if value is None or not math.isfinite(value):
        return ""
    if unit == "ratio":
        return percent(value, 1)
    if unit == "percent":
        return f"{num(value, 1)}{percent(0)[-1]}"
    if unit == "yes/no":
        return _("yes") if value else _("no")
    if unit == "count":
        return num(value, 0 if float(value).is_integer() else 1)
    return num(value, 2 if abs(value) < 100 else 0)


def unit_label(unit: str) -> str:
    return str(UNIT_LABELS.get(unit, unit))


def direction_label(direction: int) -> str:
    return (
        _("higher is better")
        if direction > 0
        else _("lower is better")
        if direction < 0
        else _("neutral")
    )


@require_GET
def league(request, pk: int):
    """IMI-style league tables: one ranked list per indicator and size band, from the
    edition's own data. Ranks and names are public; an indicator's value is shown only
    for the enterprises whose figures the reader may see (``confidential_to``)."""
    from rasad.platform.api.errors import ApiError
    from rasad.platform.rankings.league import edition_league

    edition = _published_or_404(pk)
    method = data.methodology_of(edition)
    summary = data.summary(edition)
    indicators = {i.code: i for i in method.indicators}
    code = request.GET.get("indicator") or method.indicators[0].code
    bands = summary["bands"]
    band = request.GET.get("band") or (bands[0] if bands else "")
    context = {
        "edition": edition,
        "method": method,
        "bands": [(b, band_label(b)) for b in bands],
        "band": band,
        "code": code,
        "editions": _editions_menu(),
    }
    language = data.language()
    context["indicator_menu"] = [(i.code, i.name.get(language)) for i in method.indicators]
    if (
        code not in indicators
        or (bands and band not in bands)
        or any(len(v) > MAX_PARAMETER for v in request.GET.values())
    ):
        return render(request, "public/league.html", {**context, "bad": True}, status=400)
    indicator = indicators[code]
    context.update(
        indicator=indicator,
        indicator_name=indicator.name.get(language),
        unit=unit_label(indicator.unit),
        direction=direction_label(indicator.direction),
    )
    try:
        _method, table = edition_league(edition, by="size_class", top=edition.top_k)
    except ApiError as error:
        message = error.message_fa if language == "fa" else error.message_en
        return render(
            request, "public/league.html", {**context, "unavailable": message}, status=409
        )
    chosen = (
        table[(table["indicator"] == code) & (table["size_class"] == band)] if len(table) else table
    )
    ids = chosen[method.unit].astype(str).tolist() if len(chosen) else []
    firms = (
        Enterprise.objects.filter(national_id__in=ids)
        .select_related("province", "isic", "estate")
        .in_bulk(field_name="national_id")
    )
    # the confidential scope decides which values are shown, row by row
    allowed = set(
        Enterprise.objects.confidential_to(request.user)
        .filter(national_id__in=ids)
        .values_list("national_id", flat=True)
    )
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
    context.update(
        rows=rows,
        shown_values=sum(r["value"] is not None for r in rows),
        sees_some=request.user.is_authenticated
        and Enterprise.objects.confidential_to(request.user).exists(),
    )
    return render(request, "public/league.html", context)


def describe_steps(method) -> list[dict]:
    """Each step of the methodology in words, with its parameters as stored."""
    groups = {k: str(v) for k, v in GROUP_LABELS.items()}

    def group(name):
        return groups.get(name, name)

    steps = []
    impute = method.impute
    if (
        impute.method == "none"
    ):  # what happens to a blank then is the normalisation's rule, or the aggregation's
        text = coverage.treatment(method)
    elif impute.method in ("mean", "median"):
        text = _("A missing figure is replaced by the %(stat)s of all enterprises.") % {
            "stat": _("mean") if impute.method == "mean" else _("median")
        }
    else:
        text = _(
            "A missing figure is replaced by the %(stat)s of the enterprise's group (%(group)s)."
        ) % {
            "stat": _("mean") if impute.method == "group_mean" else _("median"),
            "group": group(impute.by),
        }
    steps.append({"key": "impute", "title": _("Imputation"), "text": text, "spec": impute})

    screen = method.screen
    text = (
        _("Enterprises reporting fewer than %(share)s of the indicators are not ranked.")
        % {"share": percent(screen.min_coverage)}
        if screen.min_coverage
        else _("No enterprise is screened out for missing data.")
    )
    steps.append({"key": "screen", "title": _("Screening"), "text": text, "spec": screen})

    treat = method.treat
    if treat.method == "winsorise":
        text = _(
            "An indicator whose skewness exceeds %(skew)s and kurtosis exceeds %(kurtosis)s is winsorised, "
            "at most %(winmax)s values; if that does not tame it, it is %(fallback)s."
        ) % {
            "skew": num(treat.skew, 1),
            "kurtosis": num(treat.kurtosis, 1),
            "winmax": num(treat.winmax),
            "fallback": _("log-transformed") if treat.fallback == "log" else _("left as it is"),
        }
        exempt = [i.code for i in method.indicators if not i.treat]
        if exempt:
            text += " " + _("Exempt (counts and yes/no): %(codes)s.") % {
                "codes": data.list_separator().join(exempt)
            }
    else:
        text = _("Outliers are not treated.")
    steps.append({"key": "treat", "title": _("Outlier treatment"), "text": text, "spec": treat})

    norm = method.normalise
    names = {
        "minmax": _("min–max rescaling onto %(low)s–%(high)s")
        % {"low": num(norm.range[0]), "high": num(norm.range[1])},
        "zscore": _("z-scores (mean %(mean)s, standard deviation %(sd)s)")
        % {"mean": num(norm.mean), "sd": num(norm.sd)},
        "goalposts": _("distance between fixed goalposts"),
        "rank": _("ranks"),
        "percentile_rank": _("percentile ranks"),
        "percentile": _(
            "percentiles within the reference group (the share of it below the value, plus half "
            "the share equal to it), on a scale of 0 to %(scale)s"
        )
        % {"scale": num(norm.scale)},
        "distance_to_max": _("distance to the best value"),
        "distance_to_target": _("distance to a target"),
        "fraction_of_max": _("fraction of the best value"),
    }
    text = _(
        "Indicators are put on one scale by %(method)s, in the direction where higher is better."
    ) % {"method": names.get(norm.method, norm.method)}
    if norm.within:
        text += " " + _within_text(norm, group(norm.within))
    steps.append({"key": "normalise", "title": _("Normalisation"), "text": text, "spec": norm})

    weights = method.weights
    text = {
        "explicit": _(
            "The weights written in the tree below, normalised to sum to one within each node."
        ),
        "equal": _("Equal weights within each node."),
        "pca": _("Weights from a principal component analysis of the indicators."),
    }.get(weights.method, weights.method)
    steps.append({"key": "weights", "title": _("Weights"), "text": text, "spec": weights})

    agg = method.aggregate
    names = {
        "arithmetic": _("a weighted arithmetic mean"),
        "geometric": _("a weighted geometric mean"),
        "harmonic": _("a weighted harmonic mean"),
        "generalised": _("a generalised mean"),
        "borda": _("a weighted Borda count"),
        "copeland": _("Copeland's pairwise method"),
        "topsis": _("TOPSIS"),
    }
    text = _("Each pillar, and then the index, is %(method)s of its children.") % {
        "method": names.get(agg.method, agg.method)
    }
    if agg.min_coverage:
        text += " " + _(
            "An enterprise needs at least %(share)s of a node's children to get its score."
        ) % {"share": percent(agg.min_coverage)}
    steps.append({"key": "aggregate", "title": _("Aggregation"), "text": text, "spec": agg})

    rescale = method.rescale
    if rescale is not None:
        measure = (
            _("percentile")
            if rescale.method == "percentile"
            else _("standing (%(method)s)") % {"method": rescale.method}
        )
        text = _(
            "The index is the enterprise's %(measure)s among the aggregated scores of its %(group)s, so that "
            "every group holds its share of the top places; equal standings are ordered by the aggregated "
            "score."
        ) % {
            "measure": measure,
            "group": group(rescale.within) if rescale.within else _("population"),
        }
        if rescale.within:
            text += " " + _within_text(rescale, group(rescale.within))
        steps.append(
            {
                "key": "rescale",
                "title": _("Standing within the group"),
                "text": text,
                "spec": rescale,
            }
        )
    for step in steps:
        step["params"] = [(k, v) for k, v in dataclasses.asdict(step["spec"]).items()]
    return steps


def _within_text(spec, group: str) -> str:
    """How a step compares enterprises within groups, and what it does with small ones."""
    if not spec.min_group_size:
        return _("Each enterprise is compared within its %(group)s.") % {"group": group}
    if spec.small_groups == "together":
        return _(
            "Each enterprise is compared within its %(group)s; groups smaller than %(n)s are compared "
            "together, as one group."
        ) % {"group": group, "n": num(spec.min_group_size)}
    return _(
        "Each enterprise is compared within its %(group)s; groups smaller than %(n)s are compared with "
        "everyone."
    ) % {"group": group, "n": num(spec.min_group_size)}


def methodology_tree(method) -> list[dict]:
    """The pillars with their children (indicators or sub-nodes), with nominal, in-node
    and effective weights."""
    language = data.language()
    nodes = {n.code: n for n in method.nodes}
    indicators = {i.code: i for i in method.indicators}
    effective = method.effective_weights()

    def entry(code, siblings_total, depth):
        item = nodes.get(code) or indicators[code]
        out = {
            "code": code,
            "name": item.name.get(language),
            "weight": item.weight,
            "share": item.weight / siblings_total if siblings_total else 0.0,
            "effective": effective.get(code, 0.0),
            "depth": depth,
            "is_node": code in nodes,
        }
        if code in nodes:
            total = sum((nodes.get(c) or indicators[c]).weight for c in item.children)
            out["children"] = [entry(c, total, depth + 1) for c in item.children]
        else:
            out.update(
                indicator=item,
                direction=direction_label(item.direction),
                unit=unit_label(item.unit),
                description=item.description.get(language) if item.description else "",
            )
        return out

    def flatten(item):
        for child in item.get("children", []):
            yield child
            yield from flatten(child)

    root = method.root
    total = sum((nodes.get(c) or indicators[c]).weight for c in root.children)
    pillars = [entry(c, total, 0) for c in root.children]
    for pillar in pillars:
        pillar["rows"] = list(flatten(pillar))
    return pillars


@require_GET
def methodology(request, pk: int):
    """The method of a published edition, generated from the methodology text the
    edition stored: what the public reads is what was run."""
    edition = _published_or_404(pk)
    method = data.methodology_of(edition)
    language = data.language()
    eligibility = [
        {
            "column": str(GROUP_LABELS.get(col, col)),
            "values": [band_label(v) if col == "size_class" else str(v) for v in values],
        }
        for col, values in method.eligibility.allowed.items()
    ]
    context = {
        "edition": edition,
        "method": method,
        "method_name": method.name.get(language),
        "verified": data.methodology_verified(edition),
        "tree": methodology_tree(method),
        "indicators": method.indicators,
        "steps": describe_steps(method),
        "eligibility": eligibility,
        "groups": [str(GROUP_LABELS.get(g, g)) for g in method.groups],
        "editions": _editions_menu(),
    }
    return render(request, "public/methodology.html", context)


@require_GET
def methodology_file(request, pk: int):
    """The stored methodology file itself, byte for byte."""
    edition = _published_or_404(pk)
    response = HttpResponse(edition.methodology.text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = (
        f'inline; filename="methodology-{edition.methodology_sha256[:12]}.yaml"'
    )
    return response


# --- the enterprise scorecard ------------------------------------------------------------------


def _periods_newest_first(limit: int = 8) -> list[Period]:
    periods = per_state("periods", lambda: list(Period.objects.all()))
    return sorted(periods, key=lambda p: (p.year, p.quarter or 0), reverse=True)[:limit]


def _key_figures(returns: list[Return], year: int | None) -> dict | None:
    """The main figures of an enterprise's return for ``year`` (the caller has checked
    the scope): its yearly return, else its latest quarter of that year; None when it
    sent none for the year."""
    submitted = [r for r in returns if r.current_version_id is not None and r.period.year == year]
    if not submitted:
        return None
    record = max(
        submitted, key=lambda r: (r.period.year, r.period.quarter is None, r.period.quarter or 0)
    )
    values = record.current_version.values()
    catalogue = per_state("indicators", lambda: Indicator.objects.in_bulk(field_name="code"))
    figures = [
        {"indicator": catalogue[c], "value": values[c]}
        for c in KEY_FIGURES
        if c in catalogue and c in values
    ]
    return {"period": record.period, "version": record.current_version, "figures": figures}


def _figure_history(enterprise: Enterprise, returns: list[Return]) -> dict | None:
    """The main figures of every yearly return the enterprise sent, oldest first (the
    caller has checked the scope), money also in the prices of the latest of those years
    (``rasad.iran.prices``) for the national returns: a research panel's years are not
    the index's. None when it sent no yearly return."""
    sent = sorted(
        (r for r in returns if r.current_version_id is not None and r.period.quarter is None),
        key=lambda r: r.period.year,
    )
    if not sent:
        return None
    years = [r.period.year for r in sent]
    values = [r.current_version.values() for r in sent]
    catalogue = per_state("indicators", lambda: Indicator.objects.in_bulk(field_name="code"))
    rows = []
    for code in KEY_FIGURES:
        series = [v.get(code) for v in values]
        if code not in catalogue or all(v is None for v in series):
            continue
        real = None
        if catalogue[code].unit == "million_rials" and enterprise.dataset_id is None:
            nominal = np.array([np.nan if v is None else v for v in series], dtype=float)
            try:
                deflated = to_real(nominal, years, base_year=years[-1])
            except RasadInputError:  # a year the price index does not cover
                deflated = None
            if deflated is not None:
                real = [None if math.isnan(v) else float(v) for v in deflated]
        rows.append({"indicator": catalogue[code], "values": series, "real": real})
    return {"periods": [r.period for r in sent], "base_year": years[-1], "rows": rows}


def _rank_trend(history: list[dict]) -> dict:
    """The enterprise's rank and score over the editions it is in (``history``, newest
    first), oldest first: two small line charts, the rank's axis upside down (first
    place on top), each with its 5–95% interval as a band where the edition has one."""
    chronological = list(reversed(history))
    results = [h["result"] for h in chronological]
    ranks = [r.rank for r in results]
    rank_band = [
        (r.rank_q05, r.rank_q95) if r.rank and r.rank_q05 is not None else None for r in results
    ]
    known = [v for v in ranks if v] + [b for pair in rank_band if pair for b in pair]
    top, bottom = min(known, default=1), max(known, default=1)
    margin = max(1.0, 0.1 * (bottom - top))
    top, bottom = max(1.0, top - margin), bottom + margin
    labels = [str(h["edition"].period) for h in chronological]
    return {
        "rank": charts.lines(
            [
                {
                    "name": _("Rank"),
                    "color": charts.PALETTE[0],
                    "values": ranks,
                    "band": rank_band,
                }
            ],
            x_labels=labels,
            low=top,
            high=bottom,
            invert=True,
            step=max(1, round(review.nice_step(bottom - top, 4))),
            width=480,
            height=160,
        ),
        "score": charts.lines(
            [
                {
                    "name": _("Score"),
                    "color": charts.PALETTE[1],
                    "values": [r.score for r in results],
                    "band": [
                        (r.score_q05, r.score_q95) if r.score_q05 is not None else None
                        for r in results
                    ],
                }
            ],
            x_labels=labels,
            width=480,
            height=160,
        ),
        "bands": any(rank_band),
    }


def _figure_trends(history: dict) -> dict:
    """A small chart per main figure over the years (``_figure_history``): the figure as
    reported and, for money, in constant prices; the two lines' colours for the legend."""
    labels = [str(p) for p in history["periods"]]
    reported, real = charts.PALETTE[0], charts.PALETTE[1]
    figures = []
    for row in history["rows"]:
        series = [{"name": "reported", "color": reported, "values": row["values"]}]
        if row["real"] is not None:
            series.append({"name": "real", "color": real, "values": row["real"]})
        figures.append(
            {
                **row,
                "latest": next((v for v in reversed(row["values"]) if v is not None), None),
                "chart": charts.lines(series, x_labels=labels, high=0, width=240, height=110),
            }
        )
    deflated = any(row["real"] is not None for row in history["rows"])
    return {"figures": figures, "reported": reported, "real": real if deflated else None}


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
    context = scorecard_data(
        enterprise,
        choice.choose(request, enterprise.dataset, fixed_dataset=True),
        edition=request.GET.get("edition"),
    )
    context["can_submit"] = may_enter_returns(request.user)
    for row in context["returns"]:
        row["url"] = reverse(
            "return_form",
            kwargs={"national_id": enterprise.national_id, "period": row["period"].code},
        )
    for h in context["history"]:
        h["bar"] = (
            data.interval_bar(h["result"], h["summary"]["scale_all"]) if h["result"].rank else None
        )
    chosen = context["chosen"]
    if chosen is not None:
        rows, peers = context["pillar_rows"], context["peers"]
        scale = charts.scale_of(
            [
                *(r["value"] for r in rows),
                *(q["min"] for q in peers.stats.values() if q),
                *(q["max"] for q in peers.stats.values() if q),
            ]
        )
        for row in rows:
            row["track"] = charts.track(row["q"], scale, value=row["value"])
            row["heat"] = charts.heat(row["value"])
        context.update(
            scale_ticks=_ticks(scale),
            score_track=charts.track(
                peers.score, charts.scale_of([chosen.score]), value=chosen.score
            ),
        )
    if len(context["history"]) > 1:
        context["rank_trend"] = _rank_trend(context["history"])
    if context["figure_history"] and len(context["figure_history"]["periods"]) > 1:
        context["figure_trends"] = _figure_trends(context["figure_history"])
    return render(request, "public/scorecard.html", context)


def scorecard_data(
    enterprise: Enterprise, period_choice: choice.Choice, *, edition: str | None = None
) -> dict:
    """What an enterprise's scorecard shows, in the active language, whatever draws it
    (the page, its PDF: ``rasad.platform.reports.scorecard``): its place in every
    published edition (``history``, newest first), the one ``chosen`` (``edition``, an
    edition's id; by default the newest) with its pillars against its peers, its returns
    by period, and the main figures and monitoring of the period of ``period_choice``.
    The caller has checked the scope: these are confidential figures. 404 when the
    enterprise is in no edition of id ``edition``."""
    results = list(
        EditionResult.objects.filter(
            enterprise=enterprise, edition__status=Edition.Status.PUBLISHED
        )
        .select_related("edition", "edition__period", "edition__methodology")
        .order_by("-edition__period__year", "-edition__published_at", "-edition__pk")
    )
    for result in results:  # the peers are found by its sector: no query to read it again
        result.enterprise = enterprise
        result.coverage_info = coverage.describe(
            result.coverage, result.missing, data.methodology_of(result.edition)
        )
    history = []
    for result in results:
        summary = data.summary(result.edition)
        history.append(
            {
                "result": result,
                "edition": result.edition,
                "ranked": summary["ranked"],
                "summary": summary,
            }
        )
    chosen = None
    if edition:
        chosen = next((r for r in results if str(r.edition_id) == edition), None)
        if chosen is None:
            raise Http404
    elif results:
        chosen = results[0]
    context = {
        "enterprise": enterprise,
        "history": history,
        "chosen": chosen,
        "division": data.divisions().get(enterprise.isic.code[:2]),
    }
    if chosen is not None:
        edition = chosen.edition
        method = data.methodology_of(edition)
        pillars = data.pillars(method)
        blanks = len(chosen.coverage_info.missing) if chosen.coverage_info else 0
        context.update(
            coverage=chosen.coverage_info,
            coverage_advice=coverage.advice(method, blanks),
            indicators=len(method.indicators),
        )
        peers = data.peers(edition, chosen, [p.code for p in pillars])
        rows = []
        for pillar in pillars:
            value = (chosen.node_scores or {}).get(pillar.code)
            q = peers.stats[pillar.code]
            gap = value - q["median"] if value is not None and q else None
            rows.append({"pillar": pillar, "value": value, "q": q, "gap": gap})
        by_gap = sorted((r for r in rows if r["gap"] is not None), key=lambda r: r["gap"])
        context.update(
            edition=edition,
            pillar_rows=rows,
            by_gap=by_gap,
            peers=peers,
            peer_level={
                "sector_size": _("same ISIC division and size band"),
                "size": _("same size band"),
                "all": _("every ranked enterprise"),
            }[peers.level],
            strongest=by_gap[-1] if by_gap else None,
            # named only when below its peers: a firm above them on every pillar has none
            weakest=by_gap[0] if len(by_gap) > 1 and by_gap[0]["gap"] < 0 else None,
            band=band_label(chosen.size_class),
            ranked=data.summary(edition)["ranked"],
        )
    # the path into the top list, or why it is not ranked: in the edition chosen, else in
    # the newest published one
    shown = chosen.edition if chosen is not None else _newest_edition()
    context["path"] = (
        path.safely(shown, enterprise, get_language() or "fa") if shown is not None else None
    )
    periods = _periods_newest_first()
    returns = list(
        Return.objects.filter(enterprise=enterprise).select_related("period", "current_version")
    )
    statuses = data.return_statuses(enterprise, periods, returns=returns)
    # one period throughout: the monitoring and the main figures are of the period chosen
    # (or of the latest one enough enterprises have filed for: rasad.monitor.filing)
    context.update(
        returns=statuses,
        figures=_key_figures(returns, period_choice.period),
        figure_history=_figure_history(enterprise, returns),
        missing=sum(1 for r in statuses if r["status"] == "missing"),
        choice=period_choice,
        monitoring=_monitoring(enterprise, period_choice),
    )
    return context


def _newest_edition() -> Edition | None:
    return (
        Edition.objects.published()
        .select_related("period", "methodology")
        .order_by("-period__year", "-published_at", "-pk")
        .first()
    )


def _monitoring(enterprise: Enterprise, chosen: choice.Choice) -> dict | None:
    """The enterprise's alerts, peer gaps and ranked needs in the ``chosen`` period, from
    the shared monitoring run of its data set (the caller has checked the scope: these
    are confidential figures)."""
    people, period = chosen.people, chosen.period
    if period is None:
        return None
    run = compute.run_for(period, people)
    nid = enterprise.national_id
    persian = (get_language() or "fa").startswith("fa")
    language = "fa" if persian else "en"
    # (a) alerts, with what people decided about them (the run's own index finds the
    # enterprise's rows, read as records: no page scans the run or slices its frames)
    alerts = run.alerts.records(nid, period)
    states = {
        s.key: s
        for s in AlertState.objects.filter(key__in=[a["key"] for a in alerts]).select_related("by")
    }
    alert_rows = []
    for alert in alerts:
        state = states.get(alert["key"])
        status = state.status if state else AlertState.Status.OPEN
        alert_rows.append(
            {
                "key": alert["key"],
                "rule": alert["rule"],
                "name": alert["name_fa"] if persian else alert["name_en"],
                "severity": str(alert["severity"]),
                "severity_label": SEVERITIES.get(str(alert["severity"]), alert["severity"]),
                "since": int(alert["since"]),
                "streak": int(alert["streak"]),
                "status": status,
                "status_label": STATUSES.get(status, status),
                "state": state,
                "evidence_lines": evidence_in_words(alert["evidence"]),
            }
        )
    # (b) percentile among peers of each compared KPI
    gap_rows = []
    first_level = "+".join(run.gaps.groups.levels[0])
    for g in run.gaps.records(nid):
        if g["percentile"] != g["percentile"]:  # NaN: no value, no comparison
            continue
        code = str(g["indicator"])
        level = str(g["peer_level"]) if g["peer_level"] == g["peer_level"] else ""
        gap_rows.append(
            {
                "code": code,
                "name": KPIS[code].name(language) if code in KPIS else code,
                "percentile": float(g["percentile"]),
                "at": round(min(max(float(g["percentile"]), 0), 100), 1),
                # in words here, once, rather than by the template for each of thirty rows
                "percentile_text": num(float(g["percentile"]), 0),
                "peers_text": _("%(n)s peers") % {"n": num(int(g["peers"]))},
                "value": shown_figure(g["value"]),
                "median": shown_figure(g["peer_median"]),
                "top": shown_figure(g["peer_top_quartile"]),
                "gap": float(g["gap_to_median"]),
                "peers": int(g["peers"]),
                "level": level,
                "level_name": level_name(level, language) if level else "—",
                "fallback": bool(g["fallback"]),
                "enough": bool(g["enough_peers"]),
            }
        )
    # (c) the ranked needs with their severity and evidence, the priority tier, and what
    # could not be judged (no return, or a programme's figures all blank)
    needs = sorted(run.needs.records(nid), key=lambda n: n["rank"])
    need_rows = [
        {
            "rank": int(n["rank"]),
            "programme": str(n["programme"]),
            "name": n["name_fa"] if persian else n["name_en"],
            "severity": str(n["severity"]),
            "severity_label": SEVERITIES.get(str(n["severity"]), n["severity"]),
            "evidence": n["evidence_fa"] if persian else n["evidence_en"],
        }
        for n in needs
    ]
    standing = run.needs.standing(nid)
    names = {p.code: p.name.get(language) for p in run.needs.mapping.programmes}
    return {
        "period": period,
        "alerts": alert_rows,
        "gaps": gap_rows,
        "needs": need_rows,
        "priority": standing["priority"],
        "no_data": not standing["filed"],
        "unknown": ("، " if persian else ", ").join(names[code] for code in standing["unknown"]),
        "first_level": level_name(first_level, language),
        "min_peers": run.gaps.groups.min_peers,
        "fallback": any(r["fallback"] for r in gap_rows),
    }


def _ticks(scale) -> list[dict]:
    low, high = scale
    step = next(
        (s for s in (1, 2, 5, 10, 20, 25, 50) if (high - low) / s <= 6),
        10 ** math.ceil(math.log10(max(high - low, 1))),
    )
    out, tick = [], math.ceil(low / step) * step
    while tick <= high + 1e-9:
        out.append({"value": tick, "at": charts.at(tick, scale)})
        tick += step
    return out


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
    _check_sizes(request)
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
        edition = _published_or_404(int(wanted))
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
        scale_ticks = _ticks(scale)
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
        "editions": _editions_menu(edition),
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
            *_pillar_columns(method),
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


def _pillar_columns(method) -> list[Column]:
    """The index's pillars as columns, named in both languages."""
    items = {i.code: i for i in [*method.nodes, *method.indicators]}
    return [
        Column(f"pillar_{code}", (items[code].name.fa, items[code].name.en), "decimal", 1)
        for code in method.root.children
    ]


@require_GET
def data_download(request, pk: int, name: str):
    """The open data of a published edition: ``top100`` or ``league``, each as
    ``.xlsx``, ``.csv`` and ``-dictionary.csv``."""
    if name.startswith("top100"):
        return top100_download(request, pk, name)
    if name.startswith("league"):
        return league_download(request, pk, name)
    raise Http404


def _identity_columns() -> list[Column]:
    return [
        Column("national_id", both(gettext_lazy("National ID")), width=14),
        Column("name", both(gettext_lazy("Enterprise")), width=32),
        Column("province", both(gettext_lazy("Province")), width=14),
        Column("estate", both(gettext_lazy("Industrial estate")), width=24),
        Column("sector", both(gettext_lazy("Sector (ISIC division)")), width=30),
    ]


def _identity(firm, titles) -> list:
    division = titles.get(firm.isic.code[:2])
    return [
        firm.national_id,
        firm.name,
        firm.province.name,
        firm.estate.name if firm.estate else "",
        f"{firm.isic.code[:2]} {division.title}" if division else firm.isic.code[:2],
    ]


def _open_about(edition: Edition, title) -> About:
    return About(
        title,
        edition=edition.name,
        licence=OPEN_LICENCE,
        notes=[
            (both(gettext_lazy("Methodology hash")), edition.methodology_sha256),
            (both(gettext_lazy("Data hash")), edition.data_sha256),
        ],
    )


@require_GET
def top100_download(request, pk: int, name: str):
    """The whole top list of a published edition at once (open data, CC BY 4.0): rank,
    score, the 5–95% rank interval, P(top), name, province, estate, sector, size band and
    the pillar scores, as ``top100.xlsx``, ``top100.csv`` and ``top100-dictionary.csv``.
    Everything here is on the public page; no confidential figure."""
    fmt = downloads.split_name(name, "top100")
    edition = _published_or_404(pk)
    method = data.methodology_of(edition)
    k = edition.top_k
    pillars = _pillar_columns(method)
    columns = [
        Column("rank", both(gettext_lazy("Rank")), "rank"),
        Column("score", both(gettext_lazy("Score")), "decimal", 1),
        Column("rank_q05", both(gettext_lazy("Rank, 5th percentile")), "rank"),
        Column("rank_q95", both(gettext_lazy("Rank, 95th percentile")), "rank"),
        Column("p_top", both(gettext_lazy("P(top %(k)s)"), k=k), "percent", 0),
        *_identity_columns(),
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
            *_identity(r.enterprise, titles),
            band_label(r.size_class),
            r.coverage,
            *[r.node_scores.get(p.code.removeprefix("pillar_")) for p in pillars],
        ]
        for r in data.ranking(edition)
    ]
    title = both(gettext_lazy("Top %(k)s"), k=k)
    sheet = Sheet(title, columns, rows, freeze_columns=1)
    return downloads.response(fmt, f"rasad-top{k}-{edition.pk}", sheet, _open_about(edition, title))


@require_GET
def league_download(request, pk: int, name: str):
    """Every league table of a published edition (each indicator and size band, its top
    list) as ``league.xlsx``, ``league.csv`` and ``league-dictionary.csv``. Ranks and
    names are public; an indicator's value is filled in only for the enterprises whose
    figures the reader may see (``confidential_to``), as on the page."""
    from rasad.platform.api.errors import ApiError
    from rasad.platform.rankings.league import edition_league

    fmt = downloads.split_name(name, "league")
    edition = _published_or_404(pk)
    try:
        method, table = edition_league(edition, by="size_class", top=edition.top_k)
    except ApiError as error:
        return HttpResponse(
            error.message_fa if data.language() == "fa" else error.message_en,
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    ids = table[method.unit].astype(str).tolist() if len(table) else []
    firms = (
        Enterprise.objects.filter(national_id__in=ids)
        .select_related("province", "isic", "estate")
        .in_bulk(field_name="national_id")
    )
    allowed = set(
        Enterprise.objects.confidential_to(request.user)
        .filter(national_id__in=ids)
        .values_list("national_id", flat=True)
    )
    names = {i.code: i.name for i in method.indicators}
    language = data.language()
    titles = data.divisions()
    columns = [
        Column("indicator", both(gettext_lazy("Indicator code")), width=16),
        Column("indicator_name", both(gettext_lazy("Indicator")), width=30),
        Column("size_band", both(gettext_lazy("Size band")), width=10),
        Column("rank", both(gettext_lazy("Rank")), "rank"),
        *_identity_columns(),
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
                *_identity(firm, titles),
                value if national_id in allowed else None,
            ]
        )
    title = both(gettext_lazy("League tables"))
    sheet = Sheet(title, columns, rows, freeze_columns=4)
    return downloads.response(fmt, f"rasad-league-{edition.pk}", sheet, _open_about(edition, title))


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
    edition = _published_or_404(int(wanted)) if wanted else data.latest_edition()
    context = {"edition": edition, "editions": _editions_menu(edition), "coverage": _coverage()}
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
        scale_ticks=_ticks(score_scale),
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
