"""The whole monitoring run in one call: KPIs → alerts → peer gaps → needs.

The CLI (``rasad monitor alerts|needs``), the platform's pages and a notebook all do
the same four steps; doing them here once keeps the choices (which indicators are
compared with peers, which period, which rule file) consistent between them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pandas as pd

from rasad.monitor.kpis import KPIS, Kpis, KpiTable
from rasad.monitor.needs import Needs, NeedsMapping, load_needs
from rasad.monitor.peers import PeerGaps, PeerGroups
from rasad.monitor.rules import Alerts, RuleSet, load_rules


@dataclass(frozen=True)
class MonitorResult:
    kpis: KpiTable
    alerts: Alerts
    gaps: PeerGaps
    needs: Needs


@dataclass(frozen=True)
class Monitor:
    """The four steps with their settings. ``rules`` and ``needs`` default to the
    bundled files; ``peers`` takes the unit and period columns of ``kpis``.
    ``indicators`` are compared with peers (default: every KPI the needs mapping's
    triggers name, which is all the needs can use)."""

    kpis: Kpis = field(default_factory=Kpis)
    rules: RuleSet | None = None
    peers: PeerGroups | None = None
    needs: NeedsMapping | None = None
    indicators: tuple[str, ...] | None = None

    def __post_init__(self):
        if self.rules is None:
            object.__setattr__(self, "rules", load_rules())
        if self.needs is None:
            object.__setattr__(self, "needs", load_needs(alert_rules=self.rules))
        if self.peers is None:
            object.__setattr__(
                self, "peers", PeerGroups(unit=self.kpis.unit, period=self.kpis.period)
            )
        elif self.peers.unit != self.kpis.unit:
            object.__setattr__(self, "peers", dataclasses.replace(self.peers, unit=self.kpis.unit))
        if self.indicators is None:
            named = [
                t.indicator
                for p in self.needs.programmes
                for t in p.triggers
                if t.indicator in KPIS
            ]
            object.__setattr__(self, "indicators", tuple(dict.fromkeys(named)))

    def run(
        self,
        returns: pd.DataFrame,
        enterprises: pd.DataFrame | None = None,
        *,
        as_of=None,
        period: int | None = None,
    ) -> MonitorResult:
        """KPIs and alerts for every period of ``returns``; peer gaps and needs for
        ``period`` only, or for every period when None. ``as_of`` (a date) decides
        which returns are overdue (every period of the data when None)."""
        rules, peers, needs, indicators = self.rules, self.peers, self.needs, self.indicators
        # __post_init__ has filled every default
        assert rules and peers and needs and indicators is not None
        table = self.kpis.compute(returns, enterprises)
        alerts = rules.evaluate(table, as_of=as_of)
        values = table.frame(indicators, period=period)
        gaps = peers.gaps(values, list(indicators))
        return MonitorResult(
            table, alerts, gaps, needs.assess(gaps, alerts, period=period, kpis=table)
        )
