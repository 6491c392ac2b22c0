"""The alerts inbox: which alerts of the enterprises a user may see it lists, filtered
by severity, rule and status, and how each row reads. The monitoring run always covers
the whole population (peers are national); the user's scope only narrows what is shown."""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.core.paginator import Paginator

from rasad.platform.monitoring import choice, compute
from rasad.platform.monitoring.models import AlertState
from rasad.platform.monitoring.presenters import (
    SEVERITIES,
    SEVERITY_ORDER,
    STATUSES,
    evidence_in_words,
    persian,
    scope,
)

PER_PAGE = 50


def scoped_alerts(user, period: int, people: compute.Population) -> pd.DataFrame:
    """The alerts of ``period`` on the enterprises ``user`` may see, as the core gives them."""
    alerts = compute.run_for(period, people).alerts.for_period(period)
    return alerts[alerts["national_id"].isin(scope(user))]


def may_decide(user, people: compute.Population, key: str) -> bool:
    """Whether ``key`` is an alert (of any period) on an enterprise ``user`` may see."""
    alerts = compute.run_for(people.periods[-1], people).alerts.frame  # every period's alerts
    known = alerts[alerts["key"] == key]
    return bool(len(known)) and known["national_id"].iloc[0] in scope(user)


def inbox(
    user, chosen_period: choice.Choice, *, severity: str, rule: str, status: str, page: str | None
) -> dict:
    """The inbox page's context: the alerts of the chosen period that pass the filters,
    a page of them in rows, and the filters' choices; ``bad`` when a filter names a
    severity, rule or status there is none of (then nothing is listed)."""
    people, period = chosen_period.people, chosen_period.period
    frame = (
        scoped_alerts(user, period, people)
        if period is not None
        else pd.DataFrame(columns=["key", "rule", "severity", "national_id"])
    )
    rules = (
        sorted(frame[["rule", "name_fa", "name_en"]].drop_duplicates().itertuples(index=False))
        if len(frame)
        else []
    )
    bad = bool(
        severity
        and severity not in SEVERITIES
        or status
        and status not in STATUSES
        or rule
        and rule not in {r.rule for r in rules}
    )
    chosen = frame.iloc[0:0] if bad else _filtered(frame, severity, rule)
    states = _states(chosen)
    if status:
        keep = [
            (states[k].status if k in states else AlertState.Status.OPEN) == status
            for k in chosen["key"]
        ]
        chosen = chosen[np.asarray(keep, dtype=bool)]
    order = chosen.assign(_s=chosen["severity"].astype(str).map(SEVERITY_ORDER)).sort_values(
        ["_s", "national_id", "rule"], kind="stable"
    )
    shown = Paginator(order.to_dict("records"), PER_PAGE).get_page(page)
    in_persian = persian()
    counts = frame["severity"].astype(str).value_counts() if len(frame) else {}
    return {
        "choice": chosen_period,
        "period": period,
        "rows": _rows(shown.object_list, people, states, in_persian),
        "page": shown,
        "total": len(chosen),
        "all": len(frame),
        "bad": bad,
        "severities": SEVERITIES.items(),
        "statuses": STATUSES.items(),
        "rules": [{"code": r.rule, "name": r.name_fa if in_persian else r.name_en} for r in rules],
        "severity": severity,
        "rule": rule,
        "status": status,
        "counts": [(label, int(counts.get(code, 0))) for code, label in SEVERITIES.items()],
    }


def _filtered(frame: pd.DataFrame, severity: str, rule: str) -> pd.DataFrame:
    chosen = frame
    if severity:
        chosen = chosen[chosen["severity"].astype(str) == severity]
    if rule:
        chosen = chosen[chosen["rule"] == rule]
    return chosen


def _states(chosen: pd.DataFrame) -> dict[str, AlertState]:
    """What people decided about the ``chosen`` alerts, by key (every decision when they
    are too many to name in a query)."""
    if len(chosen) <= 5000:
        states = AlertState.objects.filter(key__in=list(chosen["key"])).select_related("by")
    else:
        states = AlertState.objects.select_related("by")
    return {s.key: s for s in states}


def _rows(alerts, people: compute.Population, states: dict, in_persian: bool) -> list[dict]:
    names = people.enterprises.set_index("national_id")[["name_fa", "name_en"]]
    rows = []
    for alert in alerts:
        nid = alert["national_id"]
        name = names.loc[nid, "name_fa" if in_persian else "name_en"] if nid in names.index else nid
        state = states.get(alert["key"])
        rows.append(
            {
                **alert,
                "enterprise": name,
                "rule_name": alert["name_fa"] if in_persian else alert["name_en"],
                "rule_other": alert["name_en"] if in_persian else alert["name_fa"],
                "severity_label": SEVERITIES.get(str(alert["severity"]), alert["severity"]),
                "evidence_lines": evidence_in_words(alert["evidence"]),
                "state": state,
                "status": state.status if state else AlertState.Status.OPEN,
            }
        )
    return rows
