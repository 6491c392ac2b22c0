"""The Top-100 page of a published edition: its filters, its rows and its movers. The
rows and the movers are HTML rendered once and cached (the edition is frozen), under a
key holding everything else they show."""

from __future__ import annotations

from django import forms
from django.core.cache import cache
from django.core.paginator import Paginator
from django.template.loader import render_to_string

from rasad.platform.language import current
from rasad.platform.public import charts, data
from rasad.platform.public.labels import band_label
from rasad.platform.public.params import PER_PAGE
from rasad.platform.rankings import coverage, review
from rasad.platform.rankings.models import Edition
from rasad.platform.registry.models import Enterprise, Province, confidential_scope
from rasad.platform.returns.state import data_state


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


def filter_choices(edition: Edition) -> tuple[dict, dict]:
    """The edition's summary with the codes of its provinces (what the filters offer),
    and those provinces by id."""
    summary = data.summary(edition)
    provinces = {p.pk: p for p in Province.objects.filter(pk__in=summary["provinces"])}
    return {**summary, "province_codes": sorted(p.code for p in provinces.values())}, provinces


def top_list_page(
    request,
    edition: Edition,
    everything: list[Edition],
    *,
    summary: dict,
    provinces: dict,
    filters: dict | None,
    query: str,
) -> dict:
    """The Top-100 page's context (``filters``: the valid filters, or None when the
    request's were not understood: then no rows)."""
    everyone = (filters or {}).get("scope") == "all"
    method = data.methodology_of(edition)
    pillars = data.pillars(method)
    previous = data.previous_edition(edition, everything)
    state = data_state()
    page, ticks, rows_html = None, [], ""
    if filters is not None:
        page = _page(request, edition, filters, everyone=everyone, query=query, state=state)
        scale = summary["scale_all"] if everyone else summary["scale_top"]
        ticks = charts.log_ticks(scale)
        rows_html = _ranking_rows(
            request,
            edition,
            page,
            previous=previous,
            everyone=everyone,
            scale=scale,
            pillars=pillars,
            query=query,
            state=state,
        )
    titles = data.divisions()
    filters = filters or {}
    return {
        "edition": edition,
        "summary": summary,
        "pillars": pillars,
        "previous": previous,
        "page": page,
        "everyone": everyone,
        "ticks": ticks,
        "filtered": any(filters.get(k) for k in ("province", "sector", "size", "q")),
        "province_choices": sorted(provinces.values(), key=lambda p: p.name),
        "sector_choices": [titles[d] for d in summary["divisions"] if d in titles],
        "band_choices": [(b, band_label(b)) for b in summary["bands"]],
        "page_query": query,
        "editions": data.editions_menu(edition, everything),
        "rows_html": rows_html,
        "movers_html": _movers_html(request, edition, previous, state) if previous else "",
        "state": state,
        "indicators": len(method.indicators),
        "blank_rule": coverage.treatment(method),
    }


def _page(request, edition: Edition, filters: dict, *, everyone: bool, query: str, state: str):
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
        data.fragment_key(edition, "top100 count", query, state),
        rows.count,
        data.CACHE_SECONDS,
    )
    return paginator.get_page(request.GET.get("page"))


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
        current(),
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
    key = data.fragment_key(edition, "movers", current(), previous.pk, state)
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
