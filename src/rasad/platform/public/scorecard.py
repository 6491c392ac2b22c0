"""What an enterprise's scorecard shows (confidential: every caller has checked the
scope), for its page and for its PDF (:mod:`rasad.platform.reports.scorecard`)."""

from __future__ import annotations

import datetime

from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rasad.platform.language import current
from rasad.platform.monitoring import choice
from rasad.platform.monitoring.presenters import enterprise_monitoring
from rasad.platform.public import charts, data, peers, trends
from rasad.platform.public.labels import band_label
from rasad.platform.rankings import coverage, path
from rasad.platform.rankings.models import Edition, EditionResult
from rasad.platform.registry.models import Enterprise
from rasad.platform.returns.models import Indicator, Period, Return
from rasad.platform.returns.state import per_state


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
    results = _published_results(enterprise)
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
        context.update(_against_peers(chosen))
    # the path into the top list, or why it is not ranked: in the edition chosen, else in
    # the newest published one
    shown = chosen.edition if chosen is not None else _newest_edition()
    context["path"] = path.safely(shown, enterprise, current()) if shown is not None else None
    context.update(_returns_and_figures(enterprise, period_choice))
    return context


def _published_results(enterprise: Enterprise) -> list[EditionResult]:
    """The enterprise's results in the published editions, newest first, with their
    coverage in words (``coverage_info``)."""
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
    return results


def _against_peers(chosen: EditionResult) -> dict:
    """The ``chosen`` result's coverage and its pillars against its peers."""
    edition = chosen.edition
    method = data.methodology_of(edition)
    pillars = data.pillars(method)
    blanks = len(chosen.coverage_info.missing) if chosen.coverage_info else 0
    group = peers.peers(edition, chosen, [p.code for p in pillars])
    rows = []
    for pillar in pillars:
        value = (chosen.node_scores or {}).get(pillar.code)
        q = group.stats[pillar.code]
        gap = value - q["median"] if value is not None and q else None
        rows.append({"pillar": pillar, "value": value, "q": q, "gap": gap})
    by_gap = sorted((r for r in rows if r["gap"] is not None), key=lambda r: r["gap"])
    return {
        "coverage": chosen.coverage_info,
        "coverage_advice": coverage.advice(method, blanks),
        "indicators": len(method.indicators),
        "edition": edition,
        "pillar_rows": rows,
        "by_gap": by_gap,
        "peers": group,
        "peer_level": {
            "sector_size": _("same ISIC division and size band"),
            "size": _("same size band"),
            "all": _("every ranked enterprise"),
        }[group.level],
        "strongest": by_gap[-1] if by_gap else None,
        # named only when below its peers: a firm above them on every pillar has none
        "weakest": by_gap[0] if len(by_gap) > 1 and by_gap[0]["gap"] < 0 else None,
        "band": band_label(chosen.size_class),
        "ranked": data.summary(edition)["ranked"],
    }


def _returns_and_figures(enterprise: Enterprise, period_choice: choice.Choice) -> dict:
    """The enterprise's returns by period, its main figures and its monitoring: one
    period throughout, the one chosen (or the latest one enough enterprises have filed
    for: rasad.monitor.filing)."""
    periods = _periods_newest_first()
    returns = list(
        Return.objects.filter(enterprise=enterprise).select_related("period", "current_version")
    )
    statuses = return_statuses(enterprise, periods, returns=returns)
    return {
        "returns": statuses,
        "figures": _key_figures(returns, period_choice.period),
        "figure_history": trends.figure_history(enterprise, returns),
        "missing": sum(1 for r in statuses if r["status"] == "missing"),
        "choice": period_choice,
        "monitoring": enterprise_monitoring(enterprise, period_choice),
    }


def _newest_edition() -> Edition | None:
    return (
        Edition.objects.published()
        .select_related("period", "methodology")
        .order_by("-period__year", "-published_at", "-pk")
        .first()
    )


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
        for c in trends.KEY_FIGURES
        if c in catalogue and c in values
    ]
    return {"period": record.period, "version": record.current_version, "figures": figures}


def return_statuses(
    enterprise: Enterprise,
    periods: list[Period],
    today: datetime.date | None = None,
    returns: list[Return] | None = None,
) -> list[dict]:
    """Per period (newest first): submitted (with its version), draft, missing, not due
    yet, or before the enterprise was founded. ``returns``: the enterprise's returns,
    when the caller has read them already."""
    from rasad.platform.returns.models import ReturnDraft

    today = today or timezone.localdate()
    if returns is None:
        returns = Return.objects.filter(enterprise=enterprise, period__in=periods).select_related(
            "current_version"
        )
    returns = {r.period_id: r for r in returns}
    drafts = set(
        ReturnDraft.objects.filter(enterprise=enterprise, period__in=periods).values_list(
            "period_id", flat=True
        )
    )
    out = []
    for period in periods:
        record = returns.get(period.pk)
        version = record.current_version if record else None
        if version is not None:
            status = "submitted"
        elif period.pk in drafts:
            status = "draft"
        elif enterprise.founding_year and enterprise.founding_year > period.year:
            status = "not_applicable"
        elif period.deadline and period.deadline >= today:
            status = "not_due"
        else:
            status = "missing"
        out.append(
            {"period": period, "status": status, "version": version, "draft": period.pk in drafts}
        )
    return out


def scorecard_page(
    enterprise: Enterprise, period_choice: choice.Choice, *, edition: str | None = None
) -> dict:
    """:func:`scorecard_data` with what only the page draws: the links to the returns,
    the rank intervals, the pillars' box plots and the trend charts."""
    context = scorecard_data(enterprise, period_choice, edition=edition)
    for row in context["returns"]:
        row["url"] = reverse(
            "return_form",
            kwargs={"national_id": enterprise.national_id, "period": row["period"].code},
        )
    for h in context["history"]:
        h["bar"] = (
            charts.interval_bar(h["result"], h["summary"]["scale_all"])
            if h["result"].rank
            else None
        )
    chosen = context["chosen"]
    if chosen is not None:
        rows, group = context["pillar_rows"], context["peers"]
        scale = charts.scale_of(
            [
                *(r["value"] for r in rows),
                *(q["min"] for q in group.stats.values() if q),
                *(q["max"] for q in group.stats.values() if q),
            ]
        )
        for row in rows:
            row["track"] = charts.track(row["q"], scale, value=row["value"])
            row["heat"] = charts.heat(row["value"])
        context.update(
            scale_ticks=charts.ticks(scale),
            score_track=charts.track(
                group.score, charts.scale_of([chosen.score]), value=chosen.score
            ),
        )
    if len(context["history"]) > 1:
        context["rank_trend"] = trends.rank_trend(context["history"])
    if context["figure_history"] and len(context["figure_history"]["periods"]) > 1:
        context["figure_trends"] = trends.figure_trends(context["figure_history"])
    return context
