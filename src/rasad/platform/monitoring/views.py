"""The alerts inbox and the needs matrix (issue 7, item 5).

Estate managers see the enterprises of their estates, analysts and administrators all
of them; others get 403 (anonymous users are sent to log in). Which enterprises a page
shows comes from ``Enterprise.objects.confidential_to(user)`` here in the views; the
monitoring run itself always covers the whole population (peers are national).
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from rasad.monitor.evidence import evidence_lines
from rasad.platform.monitoring import choice, compute
from rasad.platform.monitoring.models import AlertState
from rasad.platform.public.access import sees_estate_dashboard, sees_national_dashboard
from rasad.platform.registry.models import Enterprise
from rasad.platform.web.access import requires
from rasad.platform.web.templatetags.rasad_format import num

PER_PAGE = 50
MAX_COMMENT = 2000
SEVERITIES = {
    "critical": gettext_lazy("critical"),
    "high": gettext_lazy("high"),
    "medium": gettext_lazy("medium"),
    "low": gettext_lazy("low"),
}
SEVERITY_ORDER = {code: i for i, code in enumerate(SEVERITIES)}
STATUSES = dict(AlertState.Status.choices)
ACTIONS = {
    "acknowledge": AlertState.Status.ACKNOWLEDGED,
    "close": AlertState.Status.CLOSED,
    "reopen": AlertState.Status.OPEN,
}
DIMENSIONS = {
    "province": gettext_lazy("province"),
    "estate": gettext_lazy("industrial estate"),
    "cluster": gettext_lazy("cluster"),
    "sector": gettext_lazy("ISIC sector"),
}

sees_monitoring = sees_estate_dashboard  # estate managers (their estates), analysts, administrators


def _persian() -> bool:
    return (get_language() or "fa").startswith("fa")


def _scope(user) -> set[str]:
    return set(Enterprise.objects.confidential_to(user).values_list("national_id", flat=True))


def shown_figure(v) -> str:
    """A figure as the pages show it: a dash for none, whole numbers from 100 up."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    v = float(v)
    return num(v, 0 if v.is_integer() or abs(v) >= 100 else 3)


def evidence_in_words(evidence) -> list[dict]:
    """An alert's evidence in words, in the reader's language and digits."""
    return evidence_lines(evidence, get_language() or "fa", shown_figure)


def scoped_alerts(user, period: int, people: compute.Population) -> pd.DataFrame:
    """The alerts of ``period`` on the enterprises ``user`` may see, as the core gives them."""
    alerts = compute.run_for(period, people).alerts.for_period(period)
    return alerts[alerts["national_id"].isin(_scope(user))]


@requires(sees_monitoring)
@require_http_methods(["GET", "POST"])
def alerts(request):
    if request.method == "POST":
        return _decide(request, compute.population(choice.dataset_of(request)))
    chosen_period = choice.choose(request)
    people, period = chosen_period.people, chosen_period.period
    frame = (
        scoped_alerts(request.user, period, people)
        if period is not None
        else pd.DataFrame(columns=["key", "rule", "severity", "national_id"])
    )
    rules = (
        sorted(frame[["rule", "name_fa", "name_en"]].drop_duplicates().itertuples(index=False))
        if len(frame)
        else []
    )
    severity = request.GET.get("severity", "")
    rule = request.GET.get("rule", "")
    status = request.GET.get("status", "")
    if (
        severity
        and severity not in SEVERITIES
        or status
        and status not in STATUSES
        or rule
        and rule not in {r.rule for r in rules}
    ):
        chosen = frame.iloc[0:0]
        bad = True
    else:
        chosen, bad = frame, False
        if severity:
            chosen = chosen[chosen["severity"].astype(str) == severity]
        if rule:
            chosen = chosen[chosen["rule"] == rule]
    states = (
        {
            s.key: s
            for s in AlertState.objects.filter(key__in=list(chosen["key"])).select_related("by")
        }
        if len(chosen) <= 5000
        else {s.key: s for s in AlertState.objects.select_related("by")}
    )
    if status:
        keep = [
            (states[k].status if k in states else AlertState.Status.OPEN) == status
            for k in chosen["key"]
        ]
        chosen = chosen[np.asarray(keep, dtype=bool)]
    order = chosen.assign(_s=chosen["severity"].astype(str).map(SEVERITY_ORDER)).sort_values(
        ["_s", "national_id", "rule"], kind="stable"
    )
    page = Paginator(order.to_dict("records"), PER_PAGE).get_page(request.GET.get("page"))
    names = people.enterprises.set_index("national_id")[["name_fa", "name_en"]]
    persian = _persian()
    rows = []
    for alert in page.object_list:
        nid = alert["national_id"]
        name = names.loc[nid, "name_fa" if persian else "name_en"] if nid in names.index else nid
        state = states.get(alert["key"])
        rows.append(
            {
                **alert,
                "enterprise": name,
                "rule_name": alert["name_fa"] if persian else alert["name_en"],
                "rule_other": alert["name_en"] if persian else alert["name_fa"],
                "severity_label": SEVERITIES.get(str(alert["severity"]), alert["severity"]),
                "evidence_lines": evidence_in_words(alert["evidence"]),
                "state": state,
                "status": state.status if state else AlertState.Status.OPEN,
            }
        )
    query = request.GET.copy()
    query.pop("page", None)
    counts = frame["severity"].astype(str).value_counts() if len(frame) else {}
    context = {
        "choice": chosen_period,
        "period": period,
        "rows": rows,
        "page": page,
        "total": len(chosen),
        "all": len(frame),
        "bad": bad,
        "severities": SEVERITIES.items(),
        "statuses": STATUSES.items(),
        "rules": [{"code": r.rule, "name": r.name_fa if persian else r.name_en} for r in rules],
        "severity": severity,
        "rule": rule,
        "status": status,
        "query": query.urlencode(),
        "counts": [(label, int(counts.get(code, 0))) for code, label in SEVERITIES.items()],
    }
    return render(request, "monitoring/alerts.html", context, status=400 if bad else 200)


def _decide(request, people: compute.Population):
    """Acknowledge, close or reopen an alert of the user's enterprises, with a comment."""
    key = request.POST.get("key", "")
    action = request.POST.get("action", "")
    comment = request.POST.get("comment", "").strip()
    if action not in ACTIONS or len(comment) > MAX_COMMENT or not key or len(key) > 200:
        return HttpResponse(_("This request is not understood."), status=400)
    if not people.periods:
        raise Http404
    alerts = compute.run_for(people.periods[-1], people).alerts.frame  # every period's alerts
    known = alerts[alerts["key"] == key]
    if not len(known) or known["national_id"].iloc[0] not in _scope(request.user):
        raise Http404
    AlertState.objects.update_or_create(
        key=key, defaults={"status": ACTIONS[action], "comment": comment, "by": request.user}
    )
    messages.success(
        request, _("The alert is now %(status)s.") % {"status": STATUSES[ACTIONS[action]]}
    )
    return redirect(request.get_full_path())


def _scoped_needs(needs, national_ids: set[str]):
    """The needs of the enterprises ``national_ids`` only, for their matrix, tables and
    non-filers (the peer comparison behind them stays national)."""
    return needs.scoped(national_ids)


def _needs_for(request):
    chosen = choice.choose(request)
    people, period = chosen.people, chosen.period
    by = request.GET.get("by", "province")
    if by not in DIMENSIONS:
        raise Http404
    if period is None:
        return chosen, by, None
    needs = compute.run_for(period, people).needs
    if not request.user.sees_everything:
        needs = _scoped_needs(needs, _scope(request.user))
    return chosen, by, needs


def _names(people, by):
    return people.estates if by == "estate" else people.clusters if by == "cluster" else None


@requires(sees_monitoring)
@require_GET
def needs(request):
    chosen, by, result = _needs_for(request)
    people, period = chosen.people, chosen.period
    context = {
        "choice": chosen,
        "period": period,
        "briefs": _briefs(request.user),
        "by": by,
        "dimensions": DIMENSIONS.items(),
        "rows": [],
        "programmes": [],
    }
    if result is not None:
        matrix = result.matrix(by, members=people.members, names=_names(people, by))
        persian = _persian()
        programmes = [
            {"code": p.code, "name": p.name.fa if persian else p.name.en}
            for p in result.mapping.programmes
        ]
        column = matrix.columns[1] if "year" in matrix.columns[:1] else matrix.columns[0]
        rows = []
        for record in matrix.to_dict("records"):
            rows.append(
                {
                    "key": record[column],
                    "name": record["name_fa" if persian else "name_en"],
                    "enterprises": record["enterprises"],
                    "employees": record["employees"],
                    "no_data": record["no_data"],
                    "any_enterprises": record["any_enterprises"],
                    "any_employees": record["any_employees"],
                    "priority_enterprises": record["priority_enterprises"],
                    "priority_employees": record["priority_employees"],
                    "cells": [
                        (
                            record[f"{p['code']}_enterprises"],
                            record[f"{p['code']}_employees"],
                            record[f"{p['code']}_unknown"],
                        )
                        for p in programmes
                    ],
                }
            )
        totals = {
            c: float(matrix[c].sum())
            for c in matrix.columns
            if c.endswith("_enterprises")
            or c.endswith("_employees")
            or c in ("enterprises", "employees")
        }
        overview = _needs_overview(result, programmes, persian)
        if by == "cluster":  # a firm may be in no cluster or (elsewhere) in two: count each once
            total_firms = overview["filers"]
        else:
            total_firms = int(totals["enterprises"])
        widest = max([totals[f"{p['code']}_enterprises"] for p in programmes] + [1])
        for p in programmes:
            p["enterprises"] = totals[f"{p['code']}_enterprises"]
            p["employees"] = totals[f"{p['code']}_employees"]
            p["bar"] = round(100 * p["enterprises"] / widest, 1)
        context.update(
            rows=rows,
            programmes=programmes,
            totals=totals,
            total_firms=total_firms,
            column=column,
            **overview,
        )
    return render(request, "monitoring/needs.html", context)


def _briefs(user) -> list[tuple[str, str]]:
    """The policy briefs the needs page offers: (label, key); the national one to whoever
    sees the national dashboard, else one per estate the user manages."""
    if sees_national_dashboard(user):
        return [("", "national")]
    return [(estate.name, f"estate:{estate.code}") for estate in user.estates.all()]


def _needs_overview(result, programmes: list[dict], persian: bool) -> dict:
    """What the needs page says above its matrix: the priority tier and its rule, the
    enterprises with no return (no data), and each programme's needs by severity and
    its unknowns (enterprises whose figures for it were all blank)."""
    totals = result.totals()
    filers = int(totals["filers"].sum())
    tier = int(totals["priority"].sum())
    summary = (
        result.summary()
        .groupby("programme", observed=True, sort=False)[
            ["low", "medium", "high", "critical", "priority", "unknown"]
        ]
        .sum()
    )
    for p in programmes:
        counts = summary.loc[p["code"]] if p["code"] in summary.index else None
        p["severities"] = [
            (code, label, int(counts[code]) if counts is not None else 0)
            for code, label in SEVERITIES.items()
        ]
        p["priority"] = int(counts["priority"]) if counts is not None else 0
        p["unknown"] = int(counts["unknown"]) if counts is not None else 0
    rule = result.mapping.priority
    return {
        "filers": filers,
        "tier": tier,
        "tier_share": tier / filers if filers else 0.0,
        "no_data": int(totals["no_data"].sum()),
        "tier_rule": rule.text("fa" if persian else "en"),
    }


@requires(sees_monitoring)
@require_GET
def needs_excel(request):
    chosen, by, result = _needs_for(request)
    people, period = chosen.people, chosen.period
    if result is None:
        raise Http404
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "needs.xlsx"
        # scoped to the user's enterprises (every sheet) unless the user sees everything
        result.to_excel(
            path,
            members=people.members,
            estates=people.estates,
            clusters=people.clusters,
            language="fa" if _persian() else "en",
        )
        content = path.read_bytes()
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="needs-{period}.xlsx"'
    return response
