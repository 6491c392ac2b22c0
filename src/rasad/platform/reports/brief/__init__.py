"""Policy briefs (issue 17): the needs of a place's enterprises by programme (finance
first, as the needs mapping orders them), by province, estate, cluster and sector with
their priority tiers, the clusters' strengths and needs, and what changed since the
previous year; for the whole country or for one province, industrial estate or cluster.

A report kind of :mod:`rasad.platform.reports.delivery`. Keys: ``national``,
``province:<Statistical Centre code>``, ``estate:<estate code>``, ``cluster:<cluster
code>`` — the codes the pages use (/clusters/provinces/23/, ?estate=E001, /clusters/C01/).

Every figure comes from the pages' own computations: the monitoring run of the national
returns for the period the pages show by default (:mod:`rasad.platform.monitoring.compute`)
and the previous period's run, and the cluster analysis
(:mod:`rasad.platform.clusters_web.compute`). A brief holds counts of enterprises and
employees, never one enterprise's figures. Who reads which brief follows the pages:
the national and province briefs whoever sees the national dashboard (analysts and
administrators), an estate's brief its managers too, a cluster's brief everyone, as the
cluster pages are public; the cluster figures of a cluster with fewer than
``MIN_CELL`` filing members are withheld there as on its page.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import translation

from rasad.platform.monitoring import compute
from rasad.platform.public.access import sees_estate_dashboard, sees_national_dashboard
from rasad.platform.public.data import latest_edition
from rasad.platform.rankings.models import EditionResult
from rasad.platform.reports import charts
from rasad.platform.reports.brief import bar_charts
from rasad.platform.reports.brief.clusters import clusters_context
from rasad.platform.reports.brief.needs import needs_context
from rasad.platform.reports.brief.place import Place, period_of, place, units
from rasad.platform.reports.pdf import render_pdf
from rasad.platform.returns.state import data_state

# Rendered by a worker: a brief runs the monitoring of its whole place, seconds on the demo
# population and more with more enterprises, too long for a request.
INLINE = False


def version(key: str) -> str | None:
    """The data state, the period and the latest published edition: a brief is rendered
    anew when any of them changes."""
    if place(key) is None:
        return None
    edition = latest_edition()
    return f"{data_state()}:{period_of(compute.population())}:{edition.pk if edition else ''}"


def visible_to(user, key: str) -> bool:
    kind, _sep, code = key.partition(":")
    if kind in ("national", "province"):
        return sees_national_dashboard(user)
    if kind == "estate":
        return sees_estate_dashboard(user) and (
            user.sees_everything or user.estates.filter(code=code).exists()
        )
    return kind == "cluster"  # public, as the cluster pages


def filename(key: str, language: str) -> str:
    kind, _sep, code = key.partition(":")
    period = period_of(compute.population())
    return "-".join(str(p) for p in ("brief", kind, code, period, language) if p) + ".pdf"


def render(key: str, *, language: str) -> bytes:
    where = place(key)
    with translation.override(language):
        context = brief_context(where)
    return render_pdf("reports/brief.html", context, language=language)


def offer(user, key: str) -> str | None:
    """``key`` when ``user`` may download that brief (for the pages' buttons), else None."""
    return key if visible_to(user, key) else None


def brief_context(where: Place) -> dict:
    """The template's context, in the active language."""
    people = compute.population()
    period = period_of(people)
    context: dict[str, Any] = {
        "place": where,
        "period": period,
        "today": datetime.date.today(),
    }
    if period is None:
        return context
    scope = units(where, people)
    if scope is not None and not scope:  # an estate or province no enterprise is in yet
        context["empty"] = True
        return context
    context.update(needs_context(where, people, period, scope))
    edition = latest_edition()
    context.update(
        edition=edition,
        top=_in_top(edition, scope),
        **clusters_context(where, people, period, scope),
    )
    programmes, breakdowns = context["programmes"], context["breakdowns"]
    if programmes:
        context["severity_chart"] = charts.data_uri(bar_charts.severity_chart(programmes))
        if context["previous"] is not None:
            change = bar_charts.change_chart(programmes, period, context["previous"])
            context["change_chart"] = charts.data_uri(change)
    if breakdowns:
        context["place_chart"] = charts.data_uri(bar_charts.place_chart(breakdowns[0]))
    return context


def _in_top(edition, units: set[str] | None) -> int | None:
    """How many of the place's enterprises the latest edition ranks in its top."""
    if edition is None:
        return None
    results = EditionResult.objects.filter(edition=edition, rank__lte=edition.top_k)
    if units is not None:
        results = results.filter(enterprise__national_id__in=units)
    return results.count()
