"""How the monitoring's results read, on its own pages and on the enterprise scorecard:
the names of severities and statuses, figures and evidence in the reader's language and
digits, and one enterprise's alerts, peer gaps and needs."""

from __future__ import annotations

import math

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rasad.monitor.evidence import evidence_lines
from rasad.monitor.kpis import KPIS
from rasad.monitor.peers import level_name
from rasad.platform.language import current, persian
from rasad.platform.monitoring import choice, compute
from rasad.platform.monitoring.models import AlertState
from rasad.platform.registry.models import Enterprise
from rasad.platform.web.templatetags.rasad_format import num

SEVERITIES = {
    "critical": gettext_lazy("critical"),
    "high": gettext_lazy("high"),
    "medium": gettext_lazy("medium"),
    "low": gettext_lazy("low"),
}
SEVERITY_ORDER = {code: i for i, code in enumerate(SEVERITIES)}
STATUSES = dict(AlertState.Status.choices)


def scope(user) -> set[str]:
    """The national IDs of the enterprises whose monitoring ``user`` may see."""
    return set(Enterprise.objects.confidential_to(user).values_list("national_id", flat=True))


def shown_figure(v) -> str:
    """A figure as the pages show it: a dash for none, whole numbers from 100 up."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    v = float(v)
    return num(v, 0 if v.is_integer() or abs(v) >= 100 else 3)


def evidence_in_words(evidence) -> list[dict]:
    """An alert's evidence in words, in the reader's language and digits."""
    return evidence_lines(evidence, current(), shown_figure)


def enterprise_monitoring(enterprise: Enterprise, chosen: choice.Choice) -> dict | None:
    """The enterprise's alerts, peer gaps and ranked needs in the ``chosen`` period, from
    the shared monitoring run of its data set (the caller has checked the scope: these
    are confidential figures)."""
    people, period = chosen.people, chosen.period
    if period is None:
        return None
    run = compute.run_for(period, people)
    nid = enterprise.national_id
    in_persian = persian()
    language = "fa" if in_persian else "en"
    gap_rows = _gap_rows(run, nid, language)
    standing = run.needs.standing(nid)
    names = {p.code: p.name.get(language) for p in run.needs.mapping.programmes}
    first_level = "+".join(run.gaps.groups.levels[0])
    return {
        "period": period,
        "alerts": _alert_rows(run, nid, period, in_persian),
        "gaps": gap_rows,
        "needs": _need_rows(run, nid, in_persian),
        "priority": standing["priority"],
        "no_data": not standing["filed"],
        "unknown": ("، " if in_persian else ", ").join(names[code] for code in standing["unknown"]),
        "first_level": level_name(first_level, language),
        "min_peers": run.gaps.groups.min_peers,
        "fallback": any(r["fallback"] for r in gap_rows),
    }


def _alert_rows(run, nid: str, period: int, in_persian: bool) -> list[dict]:
    """The enterprise's alerts, with what people decided about them (the run's own index
    finds the enterprise's rows, read as records: no page scans the run or slices its
    frames)."""
    alerts = run.alerts.records(nid, period)
    states = {
        s.key: s
        for s in AlertState.objects.filter(key__in=[a["key"] for a in alerts]).select_related("by")
    }
    rows = []
    for alert in alerts:
        state = states.get(alert["key"])
        status = state.status if state else AlertState.Status.OPEN
        rows.append(
            {
                "key": alert["key"],
                "rule": alert["rule"],
                "name": alert["name_fa"] if in_persian else alert["name_en"],
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
    return rows


def _gap_rows(run, nid: str, language: str) -> list[dict]:
    """The enterprise's percentile among its peers in each KPI compared."""
    rows = []
    for g in run.gaps.records(nid):
        if g["percentile"] != g["percentile"]:  # NaN: no value, no comparison
            continue
        code = str(g["indicator"])
        level = str(g["peer_level"]) if g["peer_level"] == g["peer_level"] else ""
        rows.append(
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
    return rows


def _need_rows(run, nid: str, in_persian: bool) -> list[dict]:
    """The enterprise's ranked needs with their severity and evidence."""
    needs = sorted(run.needs.records(nid), key=lambda n: n["rank"])
    return [
        {
            "rank": int(n["rank"]),
            "programme": str(n["programme"]),
            "name": n["name_fa"] if in_persian else n["name_en"],
            "severity": str(n["severity"]),
            "severity_label": SEVERITIES.get(str(n["severity"]), n["severity"]),
            "evidence": n["evidence_fa"] if in_persian else n["evidence_en"],
        }
        for n in needs
    ]
