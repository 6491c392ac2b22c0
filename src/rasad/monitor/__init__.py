"""Monitoring and diagnosis: KPIs each period, early-warning alerts, gaps against
peers and the needs brief that policy acts on. Pure (numpy and pandas, no Django).

>>> from rasad.monitor import Monitor
>>> run = Monitor().run(returns, enterprises, as_of="2025-08-01", period=1403)
>>> run.alerts.frame            # one row per alert, with evidence and a stable key
>>> run.needs.matrix("province")
>>> run.needs.to_excel("needs.xlsx", members=cluster_members)

Or step by step: :class:`Kpis` → :class:`KpiTable`; :func:`load_rules` →
:meth:`RuleSet.evaluate` → :class:`Alerts`; :class:`PeerGroups` →
:meth:`PeerGroups.gaps` → :class:`PeerGaps`; :func:`load_needs` →
:meth:`NeedsMapping.assess` → :class:`Needs`. docs/monitoring.md explains every
definition.
"""

from rasad.monitor._config import MonitorConfigError
from rasad.monitor.filing import PeriodChoice, PeriodPolicy, filing_coverage
from rasad.monitor.kpis import (
    KPIS,
    NOT_COMPUTABLE_REASONS,
    RAW_FIELDS,
    Z2_DISTRESS_BELOW,
    Z2_SAFE_ABOVE,
    Z2_ZONES,
    Deadline,
    Kpis,
    KpiSpec,
    KpiTable,
)
from rasad.monitor.needs import (
    Needs,
    NeedsMapping,
    PriorityRule,
    Programme,
    SeverityScale,
    Trigger,
    load_needs,
    loads_needs,
)
from rasad.monitor.peers import DEFAULT_LEVELS, PeerGaps, PeerGroups
from rasad.monitor.pipeline import Monitor, MonitorResult
from rasad.monitor.rules import SEVERITIES, Alerts, Rule, RuleSet, load_rules, loads_rules

__all__ = [
    "PeriodChoice",
    "PeriodPolicy",
    "filing_coverage",
    "DEFAULT_LEVELS",
    "KPIS",
    "NOT_COMPUTABLE_REASONS",
    "RAW_FIELDS",
    "SEVERITIES",
    "Z2_DISTRESS_BELOW",
    "Z2_SAFE_ABOVE",
    "Z2_ZONES",
    "Alerts",
    "Deadline",
    "KpiSpec",
    "KpiTable",
    "Kpis",
    "Monitor",
    "MonitorConfigError",
    "MonitorResult",
    "Needs",
    "NeedsMapping",
    "PeerGaps",
    "PeerGroups",
    "PriorityRule",
    "Programme",
    "Rule",
    "RuleSet",
    "SeverityScale",
    "Trigger",
    "load_needs",
    "load_rules",
    "loads_needs",
    "loads_rules",
]
