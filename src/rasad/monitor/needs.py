"""From gaps and alerts to needs: which support programme each enterprise needs, how
severe each need is, which enterprises policy should reach first, and the needs
matrix by province, estate, cluster and sector.

The ministry wants the ranking to show what each enterprise lacks (finance and
resources first, then technology, standards, exports, innovation, skills) so that
support is aimed where it is missing. Which gap points at which programme is a policy
judgement, so it lives in a YAML mapping (``data/needs.yaml``), checked on load like
the rule file: each programme lists *triggers*, either an indicator condition on the
peer comparison (percentile below 25, behind the peer median, a value of zero …) or
an alert rule firing.

Each trigger that fires counts *points*: a percentile trigger the more the further
behind the enterprise is (``(threshold − percentile) / threshold``, between 0 and 1),
an alert trigger by its rule's severity (``severity.alert_points``), any other
trigger 1; all times the trigger's ``weight``. A programme is needed when the points
of its *primary* triggers exceed ``min_score``; *supporting* triggers (``supporting:
true``, e.g. capacity below 50%) add their points and their evidence to a need but
never make one alone. A need's **severity** is the band its points reach
(``severity.bands``), or more where a trigger that fired sets a floor (``severity:
high`` on negative equity). An enterprise's needs are listed most severe first (then
by points, then in the file's order), at most ``max_needs`` of them, each with its
evidence. The **priority tier** (``priority``) marks the enterprises with a need of
at least ``min_severity`` (or with ``min_needs`` needs of at least
``min_needs_severity``): those policy should reach first.

A blank is unknown, never "none": a trigger whose figures are blank does not fire,
and an enterprise none of whose primary triggers for a programme could be judged is
counted as *unknown* for that programme, not as needing nothing. Enterprises that
owed a return for the period and filed none are counted apart, as *no data*. The
needs matrix counts all of these, so its sums reconcile with the enterprise-level
lists.
"""

from __future__ import annotations

import copy
import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, cast

import numpy as np
import pandas as pd
from numpy.typing import DTypeLike

from rasad import config
from rasad.config import (
    Boolean,
    Number,
    Section,
    String,
    Text,
    TextField,
    choice,
    integer,
    listed,
    number,
    parse,
    refuse,
    repeated_codes,
)
from rasad.errors import RasadInputError
from rasad.iran.geo import isic, provinces
from rasad.iran.text import to_persian_digits
from rasad.monitor._config import MonitorConfigError, read
from rasad.monitor._rows import objects, records
from rasad.monitor.kpis import KPIS, KpiTable
from rasad.monitor.peers import PeerGaps, level_name
from rasad.monitor.rules import BOUNDS, SEVERITIES, SEVERITY_NAMES, Alerts, load_rules

BUNDLED_NEEDS = "needs.yaml"
BEHIND = ("median", "top_quartile")
BANDED = SEVERITIES[1:]  # the bands' lower ends: medium, high, critical (below medium: low)
# the needs matrix's counting columns: over every programme, then for each programme
# (``<programme>_<count>``); see Needs.matrix
_TOTAL_COUNTS = (
    "enterprises",
    "employees",
    "no_data",
    "any_enterprises",
    "any_employees",
    "priority_enterprises",
    "priority_employees",
)
_PROGRAMME_COUNTS = ("enterprises", "employees", "priority", "unknown")

DIMENSIONS = {
    "province": "province_code",
    "estate": "estate_code",
    "sector": "division",
    "section": "section",
    "cluster": "cluster_code",
}
_NONE_LABELS = {
    "estate_code": ("خارج از شهرک‌های صنعتی", "outside any industrial estate"),
    "cluster_code": ("خارج از خوشه‌ها", "outside any cluster"),
}
_UNKNOWN = ("نامعلوم", "unknown")
_REGISTRY_COLUMNS = (
    "province_code",
    "estate_code",
    "isic_class",
    "division",
    "section",
    "size_class",
)


def _bad(en: str, fa: str, field: str | None = None, value=None) -> RasadInputError:
    return RasadInputError(en, fa, field=field, value=value)


@dataclass(frozen=True)
class Trigger:
    """One reason to need a programme: an ``indicator`` condition on the peer
    comparison (all given conditions must hold) or an ``alert`` rule firing.
    ``supporting`` triggers add to a need but cannot make one alone; ``severity``, when
    given, is the least severity of a need this trigger is part of."""

    indicator: str | None = None
    alert: str | None = None
    percentile_below: float | None = None
    behind: str | None = None  # "median" or "top_quartile": strictly behind it
    below: float | None = None
    above: float | None = None
    at_most: float | None = None
    at_least: float | None = None
    weight: float = 1.0
    supporting: bool = False
    severity: str | None = None

    @property
    def label(self) -> str:
        return self.indicator if self.indicator else f"alert:{self.alert}"


@dataclass(frozen=True)
class Programme:
    code: str
    name: Text
    triggers: tuple[Trigger, ...]
    description: Text | None = None


@dataclass(frozen=True)
class SeverityScale:
    """How a need's points become its severity: an alert trigger counts
    ``alert_points[severity of its rule]`` (× its weight); a need is ``medium`` from
    ``bands[0]`` points, ``high`` from ``bands[1]``, ``critical`` from ``bands[2]``,
    ``low`` below."""

    alert_points: dict = field(default_factory=lambda: dict.fromkeys(SEVERITIES, 1.0))
    bands: tuple[float, float, float] = (1.0, 2.0, 3.0)

    def band(self, points: np.ndarray) -> np.ndarray:
        """The severity (index into :data:`SEVERITIES`) that ``points`` reach."""
        return np.searchsorted(np.asarray(self.bands), points, side="right").astype(np.int8)


@dataclass(frozen=True)
class PriorityRule:
    """Which enterprises form the priority tier: those with a need of at least
    ``min_severity``, or (when ``min_needs`` is given) with at least ``min_needs``
    needs of at least ``min_needs_severity``."""

    min_severity: str = "high"
    min_needs: int | None = None
    min_needs_severity: str = "medium"

    def text(self, language: str = "en") -> str:
        fa = language.startswith("fa")
        name = SEVERITY_NAMES[self.min_severity][0 if fa else 1]
        out = f"نیازی با شدت دست‌کم «{name}»" if fa else f"a need of severity {name} or worse"
        if self.min_needs:
            other = SEVERITY_NAMES[self.min_needs_severity][0 if fa else 1]
            out += (
                f"، یا دست‌کم {to_persian_digits(str(self.min_needs))} نیاز با شدت دست‌کم «{other}»"
                if fa
                else f", or at least {self.min_needs} needs of severity {other} or worse"
            )
        return out


@dataclass(frozen=True)
class NeedsMapping:
    """The programmes of one mapping file, with its text and SHA-256."""

    programmes: tuple[Programme, ...]
    max_needs: int = 3
    min_score: float = 0.0  # a programme is needed when its primary points exceed this
    text: str = ""
    sha256: str = ""
    source: str | None = None
    severity: SeverityScale = field(default_factory=SeverityScale)
    priority: PriorityRule = field(default_factory=PriorityRule)

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.programmes]

    def assess(
        self,
        gaps: PeerGaps,
        alerts: Alerts | None = None,
        *,
        period: int | None = None,
        kpis: KpiTable | None = None,
    ) -> Needs:
        """The needs of every row of ``gaps`` (an enterprise in a period).

        Alert triggers read ``alerts`` for the row's period (the ``period`` column of
        the gaps' keys, or ``period`` when the gaps have none). Triggers naming an
        indicator that was not compared, or an alert when ``alerts`` is None, cannot
        fire; they are listed in :attr:`Needs.skipped`. ``kpis`` (default: the alerts'
        KPI table) tells which enterprises owed a return for the assessed periods (those
        of the gaps, and ``period``) and filed none: the *no data* column of the matrix.
        """
        return Needs(self, gaps, alerts, period, kpis)


# --- assessing -----------------------------------------------------------------------


@dataclass
class _Fired:
    """One trigger of one programme as evaluated: where it fired, its points there,
    where it could be judged, and (alert triggers) the alert's KPI value."""

    trigger: Trigger
    hit: np.ndarray
    points: np.ndarray
    judged: np.ndarray
    value: np.ndarray | None = None
    kpi: str | None = None
    alert_severity: str | None = None


@dataclass
class _Points:
    """The points of every programme's triggers, rows × programmes: ``primary`` (only
    these can make a need), ``supporting``, ``judged`` (some primary trigger could be
    judged: its figures were not blank) and ``floor``, the least severity a trigger
    that fired sets (-1: none)."""

    primary: np.ndarray
    supporting: np.ndarray
    judged: np.ndarray
    floor: np.ndarray

    @classmethod
    def add_up(cls, fired: list[list[_Fired]], shape: tuple[int, int]) -> _Points:
        """The points of ``fired`` (each programme's evaluated triggers, in order)."""
        points = cls(
            np.zeros(shape),
            np.zeros(shape),
            np.zeros(shape, dtype=bool),
            np.full(shape, -1, dtype=np.int8),
        )
        for k, evaluated in enumerate(fired):
            for f in evaluated:
                if f.trigger.supporting:
                    points.supporting[:, k] += f.points
                else:
                    points.primary[:, k] += f.points
                    points.judged[:, k] |= f.judged
                if f.trigger.severity is not None:
                    level = np.int8(SEVERITIES.index(f.trigger.severity))
                    floor = points.floor[:, k]
                    points.floor[:, k] = np.where(f.hit, np.maximum(floor, level), floor)
        return points

    def scores(self) -> np.ndarray:
        # corroboration at most doubles a need's points: it never outweighs the evidence
        return self.primary + np.minimum(self.supporting, self.primary)

    def counted_share(self) -> np.ndarray:
        """The share of its supporting points a need's score counts, so that each
        supporting trigger's evidence shows the points it really adds."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.supporting > self.primary, self.primary / self.supporting, 1.0)


def _ranked(eligible, severity, scores, max_needs: int) -> np.ndarray:
    """Each row's programmes in its list of needs (-1: no more): most severe first, then
    most points, then the file's order, at most ``max_needs``. One stable sort of
    severity × span + points does it: the points stay below the span, so severity
    decides first."""
    span = float(scores.max(initial=0.0)) + 1.0
    key = np.where(eligible, severity * span + scores, -np.inf)
    order = np.argsort(-key, axis=1, kind="stable")[:, :max_needs]
    return np.where(np.take_along_axis(eligible, order, axis=1), order, -1)


def _listed(ranked: np.ndarray, programmes: int) -> np.ndarray:
    """Rows × programmes: the programme is in the row's list of needs."""
    listed = np.zeros((len(ranked), programmes), dtype=bool)
    rows, ranks = np.nonzero(ranked >= 0)
    listed[rows, ranked[rows, ranks]] = True
    return listed


@dataclass
class _EvidenceRows:
    """The rows of :meth:`Needs.evidence`, trigger by trigger: ``fired`` is every
    trigger evaluated (programme by programme, in the file's order), ``programme`` its
    programme's position and ``pieces`` the rows where it fired for a need in the
    lists; ``rows`` are all of those, ``which`` each one's trigger (its position in
    ``fired``)."""

    fired: list[_Fired]
    programme: list[int]
    pieces: list[np.ndarray]
    rows: np.ndarray = field(init=False)
    which: np.ndarray = field(init=False)

    def __post_init__(self):
        pieces = self.pieces
        self.rows = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.intp)
        self.which = np.repeat(np.arange(len(pieces)), [len(p) for p in pieces])

    def per_row(self, values: list, dtype: DTypeLike) -> np.ndarray:
        """``values`` (one per trigger) as a column: each row gets its trigger's."""
        return np.asarray(values, dtype=dtype)[self.which] if values else np.zeros(0, dtype)

    def alert_values(self) -> np.ndarray:
        """Each row's alert KPI value (blank for indicator triggers)."""
        values = np.full(len(self.rows), np.nan)
        for i, (f, piece) in enumerate(zip(self.fired, self.pieces, strict=True)):
            if f.value is not None:
                values[self.which == i] = f.value[piece]
        return values


@dataclass(frozen=True)
class _Cells:
    """Who a needs matrix counts, each with the value of its cell: the filers
    (``filers``: their rows in the comparison) and the non-filers (``absent``: their
    rows of :meth:`Needs.no_data`). A firm in two clusters is in the lists twice."""

    filers: np.ndarray
    absent: np.ndarray
    filer_cells: pd.Series
    absent_cells: pd.Series


class Needs:
    """Needs of every enterprise (and period) of a peer comparison.

    :attr:`scores` (points) and :attr:`severity` are rows × programmes; :meth:`needed`
    and :meth:`unknown` say which rows have a programme in their list, and for which
    it could not be judged; :attr:`priority` which rows are in the priority tier;
    :meth:`table` is the ranked lists, :meth:`evidence` the values behind them
    (:meth:`explained` in words); :meth:`no_data` the enterprises that filed nothing;
    :meth:`matrix` the counts by province, estate, cluster or sector; :meth:`summary`
    the counts by programme and severity; :meth:`to_excel` writes them with Persian and
    English headers; :meth:`scoped` is the same needs for some enterprises only.
    """

    def __init__(
        self,
        mapping: NeedsMapping,
        gaps: PeerGaps,
        alerts: Alerts | None,
        period: int | None,
        kpis: KpiTable | None = None,
    ):
        self.mapping = mapping
        self.gaps = gaps
        self.alerts = alerts
        self.kpis = kpis if kpis is not None else (alerts.kpis if alerts is not None else None)
        self.unit = gaps.groups.unit
        period_column = gaps.groups.period
        self.period = (
            period_column
            if period_column is not None and period_column in gaps.keys.columns
            else None
        )
        alert_rows = self._alert_rows(period) if alerts is not None else None
        self._fired, self.skipped = self._evaluate(alert_rows)
        points = _Points.add_up(self._fired, (len(gaps.keys), len(mapping.programmes)))
        self.primary = points.primary
        self.scores = points.scores()
        self._counted = points.counted_share()
        eligible = points.primary > mapping.min_score
        severity = np.maximum(mapping.severity.band(self.scores), points.floor)
        self.ranked = _ranked(eligible, severity, self.scores, mapping.max_needs)
        self._needed = _listed(self.ranked, len(mapping.programmes))
        self.severity = np.where(self._needed, severity, -1).astype(np.int8)
        self._unknown = ~points.judged
        self.priority = self._priority_tier()
        self._absent = self._non_filers(period)
        self._scope: np.ndarray | None = None  # row positions shown (None: all); see scoped()

    def _evaluate(self, alert_rows) -> tuple[list[list[_Fired]], list[tuple[str, str]]]:
        """Each programme's triggers as evaluated, and the (programme, trigger) pairs that
        cannot fire here (an indicator not compared, an alert without alerts), which
        :attr:`skipped` lists so that a mapping silently reduced is visible."""
        fired: list[list[_Fired]] = []
        skipped: list[tuple[str, str]] = []
        for programme in self.mapping.programmes:
            evaluated = []
            for trigger in programme.triggers:
                result = self._trigger(trigger, alert_rows)
                if result is None:
                    skipped.append((programme.code, trigger.label))
                else:
                    evaluated.append(result)
            fired.append(evaluated)
        return fired, skipped

    def _priority_tier(self) -> np.ndarray:
        """The rows with a need of at least the rule's severity, or with enough needs of
        at least its lesser severity (see :class:`PriorityRule`)."""
        rule = self.mapping.priority
        tier = self.severity.max(axis=1, initial=-1) >= SEVERITIES.index(rule.min_severity)
        if rule.min_needs:
            serious = self.severity >= SEVERITIES.index(rule.min_needs_severity)
            tier |= serious.sum(axis=1) >= rule.min_needs
        return tier

    def _alert_rows(self, period):
        kpis = self.alerts.kpis
        keys = self.gaps.keys
        ui = kpis.units.get_indexer(keys[self.unit])
        if self.period is not None:
            periods = keys[self.period].to_numpy(dtype=np.int64)
        elif period is not None:
            periods = np.full(len(keys), int(period))
        else:
            raise _bad(
                "The peer comparison has no period column: say which period's alerts to use.",
                "مقایسه با همتایان ستون دوره ندارد: بگویید هشدارهای کدام دوره به کار رود.",
                "period",
            )
        pi = periods - kpis.periods[0]
        valid = (ui >= 0) & (pi >= 0) & (pi < len(kpis.periods))
        return ui, pi, valid

    def _trigger(self, t: Trigger, alert_rows) -> _Fired | None:
        alerts = self.alerts
        if t.alert is not None:
            if alert_rows is None or alerts is None or t.alert not in alerts.rules.codes:
                return None
            ui, pi, valid = alert_rows
            rule = alerts.rules.rule(t.alert)
            n = len(ui)
            hit, judged = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
            hit[valid] = alerts.fired(t.alert)[ui[valid], pi[valid]]
            judged[valid] = alerts.judged(t.alert)[ui[valid], pi[valid]]
            value, kpi = np.full(n, np.nan), None
            if rule.check == "threshold":
                kpi = cast(str, rule.kpi)
                value[valid] = alerts.kpis.grid(kpi)[ui[valid], pi[valid]]
            points = t.weight * self.mapping.severity.alert_points.get(rule.severity, 1.0)
            return _Fired(t, hit, np.where(hit, points, 0.0), judged, value, kpi, rule.severity)
        if t.indicator not in self.gaps.indicators:
            return None
        j = self.gaps.column(t.indicator)
        value = self.gaps.measure("value")[:, j]
        judged = ~np.isnan(value)
        strength = np.ones(len(value))
        if t.percentile_below is not None:
            percentile = self.gaps.measure("percentile")[:, j]
            judged &= ~np.isnan(percentile)
            strength = np.clip((t.percentile_below - percentile) / t.percentile_below, 0.0, 1.0)
        if t.behind is not None:
            gap = self.gaps.gap(
                "gap_to_median" if t.behind == "median" else "gap_to_top_quartile", j
            )
            judged &= ~np.isnan(gap)
        hit = judged.copy()
        with np.errstate(invalid="ignore"):
            if t.percentile_below is not None:
                hit &= percentile < t.percentile_below
            if t.behind is not None:
                hit &= gap > 0
            for bound, test in (
                ("below", np.less),
                ("above", np.greater),
                ("at_most", np.less_equal),
                ("at_least", np.greater_equal),
            ):
                if getattr(t, bound) is not None:
                    hit &= test(value, getattr(t, bound))
        return _Fired(t, hit, np.where(hit, t.weight * strength, 0.0), judged)

    def _non_filers(self, period) -> pd.DataFrame:
        """The enterprises that owed a return for an assessed period and filed none:
        the unit, the period (when the needs have periods) and their registry
        attributes (province, estate, ISIC class, division, section, size band)."""
        kpis = self.kpis
        keys = self.gaps.keys
        columns = [self.unit] + ([self.period] if self.period is not None else [])
        if kpis is None:
            return pd.DataFrame(columns=columns)
        wanted = set()
        if self.period is not None:
            wanted |= {int(p) for p in pd.unique(keys[self.period])}
        if period is not None:
            wanted.add(int(period))
        first = int(kpis.periods[0])
        parts = []
        for p in sorted(wanted):
            pi = p - first
            if not 0 <= pi < len(kpis.periods):
                continue
            rows = np.flatnonzero((kpis.start <= pi) & ~kpis.filed[:, pi])
            part = {self.unit: kpis.units.array.take(rows)}
            if self.period is not None:
                part[self.period] = np.full(len(rows), p, dtype=np.int64)
            registry = kpis.registry
            for column in _REGISTRY_COLUMNS:
                if registry is not None and column in registry.columns:
                    part[column] = registry[column].array.take(rows)
            parts.append(pd.DataFrame(part))
        if not parts:
            return pd.DataFrame(columns=columns)
        return pd.concat(parts, ignore_index=True)

    # -- results ---------------------------------------------------------------------------

    def needed(self, programme: str) -> np.ndarray:
        """Rows (enterprise × period) whose list of needs includes ``programme``."""
        return self._needed[:, self._programme_index(programme)]

    def unknown(self, programme: str) -> np.ndarray:
        """Rows for which ``programme`` could not be judged: every figure its primary
        triggers read was blank (or not compared), so "no need" would be a guess."""
        return self._unknown[:, self._programme_index(programme)]

    def _programme_index(self, programme: str) -> int:
        try:
            return self.mapping.codes.index(programme)
        except ValueError:
            raise _bad(
                f"{programme!r} is not a programme of the mapping: "
                f"{', '.join(self.mapping.codes)}.",
                f"«{programme}» برنامهٔ این نگاشت نیست: {', '.join(self.mapping.codes)}.",
                "programme",
                programme,
            ) from None

    def scoped(self, units) -> Needs:
        """The same needs, shown for the enterprises ``units`` only (their matrix,
        tables, summary, non-filers; the peer comparison behind them stays whole)."""
        wanted = set(units)
        view = copy.copy(self)
        inside = self.gaps.keys[self.unit].isin(wanted).to_numpy()
        if self._scope is not None:
            kept = np.zeros(len(inside), dtype=bool)
            kept[self._scope] = True
            inside = inside & kept  # pandas' array is read-only
        view._scope = np.flatnonzero(inside)
        view._absent = (
            self._absent[self._absent[self.unit].isin(wanted).to_numpy()].reset_index(drop=True)
            if len(self._absent)
            else self._absent
        )
        return view

    def _rows(self) -> np.ndarray:
        return np.arange(len(self.gaps.keys)) if self._scope is None else self._scope

    def _selected(self, unit) -> np.ndarray | None:
        """The row positions of ``unit`` (None: every row in scope)."""
        if unit is None:
            return self._scope
        rows = self.gaps.rows_of(unit)
        return rows if self._scope is None else np.intersect1d(rows, self._scope)

    def table(self, *, unit=None) -> pd.DataFrame:
        """The ranked needs, one row per enterprise (× period) and need: the unit (and
        period) column, ``rank`` (1 = most needed), ``programme``, its ``name_fa`` and
        ``name_en``, ``score`` (the points of every trigger that fired, supporting ones
        included), ``severity`` (low … critical), ``triggers`` (how many of the
        programme's triggers fired) and ``priority`` (the enterprise is in the priority
        tier). :meth:`evidence` holds the values behind each need. With ``unit``, only
        that unit's rows, as filtering the whole table would give them."""
        return pd.DataFrame(self._table_columns(unit))

    def _table_columns(self, unit) -> dict:
        selected = self._selected(unit)
        if selected is None:
            rows, ranks = np.nonzero(self.ranked >= 0)
        else:
            at, ranks = np.nonzero(self.ranked[selected] >= 0)
            rows = selected[at]
        codes = self.ranked[rows, ranks]
        columns = self._keys(rows)
        names_fa = np.array([p.name.fa for p in self.mapping.programmes], dtype=object)
        names_en = np.array([p.name.en for p in self.mapping.programmes], dtype=object)
        columns["rank"] = ranks + 1
        columns["programme"] = pd.Categorical.from_codes(codes, categories=self.mapping.codes)
        columns["name_fa"] = names_fa[codes]
        columns["name_en"] = names_en[codes]
        columns["score"] = self.scores[rows, codes]
        columns["severity"] = pd.Categorical.from_codes(
            self.severity[rows, codes], categories=list(SEVERITIES), ordered=True
        )
        count = np.zeros(len(rows), dtype=np.int64)
        for k, fired in enumerate(self._fired):
            mine = codes == k
            for f in fired:
                count[mine] += f.hit[rows[mine]]
        columns["triggers"] = count
        columns["priority"] = self.priority[rows]
        return columns

    def _keys(self, rows: np.ndarray) -> dict:
        keys = self.gaps.keys
        return {c: keys[c].array.take(rows) for c in (self.unit, self.period) if c is not None}

    def evidence(self, *, unit=None) -> pd.DataFrame:
        """The evidence of every need in the ranked lists, one row per trigger that
        fired: the unit (and period), ``programme``, ``trigger`` (the indicator code,
        or ``alert:<rule>``), ``alert`` (the rule, for alert triggers) with its
        ``alert_severity`` and ``alert_kpi``, the ``value`` (the indicator's, or the
        alert's KPI in the period), for indicator triggers the ``percentile``,
        ``peer_median``, ``peer_top_quartile``, ``peers`` and ``peer_level``, the
        trigger's ``points`` (a need's points add up to its score) and whether it is
        ``supporting``. With ``unit``, only that unit's rows."""
        return pd.DataFrame(self._evidence_columns(unit))

    def _evidence_columns(self, unit) -> dict:
        evidence = self._evidence_rows(self._selected(unit))
        columns = self._keys(evidence.rows)
        columns.update(self._evidence_triggers(evidence))
        columns.update(self._evidence_figures(evidence))
        columns["points"] = self._evidence_points(evidence)
        columns["supporting"] = evidence.per_row(
            [f.trigger.supporting for f in evidence.fired], bool
        )
        return columns

    def _evidence_rows(self, selected: np.ndarray | None) -> _EvidenceRows:
        """Where each evaluated trigger fired for a need in the lists, among the rows
        ``selected`` (None: all)."""
        fired = [f for evaluated in self._fired for f in evaluated]
        programme = [k for k, evaluated in enumerate(self._fired) for _ in evaluated]
        if selected is None:
            pieces = [
                np.flatnonzero(f.hit & self._needed[:, k])
                for f, k in zip(fired, programme, strict=True)
            ]
        else:
            pieces = [
                selected[f.hit[selected] & self._needed[selected, k]]
                for f, k in zip(fired, programme, strict=True)
            ]
        return _EvidenceRows(fired, programme, pieces)

    def _evidence_triggers(self, evidence: _EvidenceRows) -> dict:
        """Which trigger of which programme each row is the evidence of, and for alert
        triggers the rule, its severity and its KPI."""
        fired, which = evidence.fired, evidence.which
        labels = [f.trigger.label for f in fired]
        return {
            "programme": pd.Categorical.from_codes(
                evidence.per_row(evidence.programme, np.int64), categories=self.mapping.codes
            ),
            # a label that two triggers share cannot be a category of its own
            "trigger": (
                pd.Categorical.from_codes(which, categories=list(dict.fromkeys(labels)))
                if len(set(labels)) == len(labels)
                else np.asarray(labels, dtype=object)[which]
            ),
            "alert": evidence.per_row([f.trigger.alert for f in fired], object),
            "alert_severity": evidence.per_row([f.alert_severity for f in fired], object),
            "alert_kpi": evidence.per_row([f.kpi for f in fired], object),
        }

    def _evidence_figures(self, evidence: _EvidenceRows) -> dict:
        """The figures behind each row: an indicator trigger's value and its peer
        comparison, an alert trigger's KPI value (its peer columns blank)."""
        g, rows = self.gaps, evidence.rows
        indicator_column = [
            g.column(f.trigger.indicator) if f.trigger.indicator is not None else -1
            for f in evidence.fired
        ]
        j = evidence.per_row(indicator_column, np.intp)
        is_indicator = j >= 0
        jj = np.maximum(j, 0)
        alert_value = evidence.alert_values()
        columns = {
            m: np.where(
                is_indicator, g.measure(m)[rows, jj], alert_value if m == "value" else np.nan
            )
            for m in ("value", "percentile", "peer_median", "peer_top_quartile")
        }
        columns["peers"] = np.where(is_indicator, g.measure("peers")[rows, jj], 0).astype(np.int64)
        levels = np.array(["+".join(level) for level in g.groups.levels] + [""], dtype=object)
        level = np.where(is_indicator, g.level_index()[rows, jj], -1)
        columns["peer_level"] = levels[level]
        return columns

    def _evidence_points(self, evidence: _EvidenceRows) -> np.ndarray:
        """Each row's points: a supporting trigger's only as far as its need's score
        counts them, so that a need's evidence adds up to its score."""
        points = np.zeros(len(evidence.rows))
        for i, (f, piece, k) in enumerate(
            zip(evidence.fired, evidence.pieces, evidence.programme, strict=True)
        ):
            points[evidence.which == i] = f.points[piece] * (
                self._counted[piece, k] if f.trigger.supporting else 1.0
            )
        return points

    def explained(self, *, unit=None) -> pd.DataFrame:
        """:meth:`table` with ``evidence_fa`` and ``evidence_en``: each need's
        evidence in words, e.g. "Credit access 0.12: percentile 8 of 45 peers (ISIC
        division × size band), median 0.55; alert (high): Altman Z'' in the distress
        zone, Altman Z'' 0.84". With ``unit``, only that unit's needs (what a page about
        one enterprise shows, without putting every enterprise's evidence into words)."""
        return pd.DataFrame(self._explained_columns(unit))

    def records(self, unit) -> list[dict]:
        """One unit's rows of :meth:`explained` as ``to_dict("records")`` gives them,
        without building a frame (what a page about one enterprise reads)."""
        columns = self._explained_columns(unit)
        return records(list(columns), [objects(v) for v in columns.values()])

    def standing(self, unit) -> dict:
        """What a page about one enterprise says beside its needs: ``filed`` (it has a
        row here), ``no_data`` (it owed a return and filed none), ``priority`` (in the
        priority tier) and ``unknown`` (the programmes none of whose figures it
        reported)."""
        rows = cast(np.ndarray, self._selected(unit))  # a unit's rows, never None
        absent = bool(len(self._absent)) and bool((self._absent[self.unit] == unit).any())
        unknown = [
            code for k, code in enumerate(self.mapping.codes) if self._unknown[rows, k].any()
        ]
        return {
            "filed": bool(len(rows)),
            "no_data": absent and not len(rows),
            "priority": bool(self.priority[rows].any()),
            "unknown": unknown,
        }

    def _explained_columns(self, unit) -> dict:
        table = self._table_columns(unit)
        evidence = self._evidence_columns(unit)
        rules = {} if self.alerts is None else {r.code: r.name for r in self.alerts.rules.rules}
        keys = [c for c in (self.unit, self.period) if c is not None] + ["programme"]
        fields = [
            "trigger",
            "alert",
            "alert_severity",
            "alert_kpi",
            "value",
            "percentile",
            "peer_median",
            "peers",
            "peer_level",
            "supporting",
        ]
        grouped: dict[tuple, list[dict]] = {}
        for values in zip(*(objects(evidence[c]) for c in keys + fields), strict=True):
            grouped.setdefault(values[: len(keys)], []).append(
                dict(zip(fields, values[len(keys) :], strict=True))
            )
        index = list(zip(*(objects(table[c]) for c in keys), strict=True))
        table["evidence_fa"] = np.array(
            [_words(grouped.get(k, []), "fa", rules) for k in index], dtype=object
        )
        table["evidence_en"] = np.array(
            [_words(grouped.get(k, []), "en", rules) for k in index], dtype=object
        )
        return table

    def unknowns(self) -> pd.DataFrame:
        """One row per enterprise (× period) and programme it could not be judged
        for: the unit (and period), ``programme``, ``name_fa``, ``name_en``."""
        rows = self._rows()
        at, codes = np.nonzero(self._unknown[rows])
        rows = rows[at]
        columns = self._keys(rows)
        columns["programme"] = pd.Categorical.from_codes(codes, categories=self.mapping.codes)
        columns["name_fa"] = np.array([p.name.fa for p in self.mapping.programmes], dtype=object)[
            codes
        ]
        columns["name_en"] = np.array([p.name.en for p in self.mapping.programmes], dtype=object)[
            codes
        ]
        return pd.DataFrame(columns)

    def no_data(self) -> pd.DataFrame:
        """The enterprises that owed a return for the period and filed none (a firm
        owes returns from its founding year, or its first return, on): the unit, the
        period and their registry attributes. They have no needs list: nothing is known
        of them this period; the matrix counts them in its ``no_data`` column."""
        return self._absent.copy()

    def employees(self) -> np.ndarray:
        """Employees of each row (0 where unknown), as the matrix adds them up."""
        if "employees" not in self.gaps.keys.columns:
            return np.zeros(len(self.gaps.keys))
        return np.nan_to_num(
            self.gaps.keys["employees"].to_numpy(dtype=np.float64, na_value=np.nan)
        )

    def summary(self) -> pd.DataFrame:
        """Per programme (and period): ``enterprises`` and ``employees`` needing it,
        how many of those needs are ``low``, ``medium``, ``high`` and ``critical``, how
        many of those enterprises are in the priority tier (``priority``), and for how
        many the programme is ``unknown`` (figures blank). :meth:`totals` gives the
        enterprise counts beside it."""
        rows = self._rows()
        periods = self._period_codes(rows)
        employees = self.employees()[rows]
        out = []
        for p_code, p_value in enumerate(periods[1]):
            mine = rows[periods[0] == p_code]
            staff = employees[periods[0] == p_code]
            for k, programme in enumerate(self.mapping.programmes):
                needed = self._needed[mine, k]
                severity = self.severity[mine, k]
                row = {} if self.period is None else {self.period: p_value}
                row.update(
                    programme=programme.code,
                    name_fa=programme.name.fa,
                    name_en=programme.name.en,
                    enterprises=int(needed.sum()),
                    employees=float(staff[needed].sum()),
                )
                for level, name in enumerate(SEVERITIES):
                    row[name] = int((severity == level).sum())
                row["priority"] = int((needed & self.priority[mine]).sum())
                row["unknown"] = int(self._unknown[mine, k].sum())
                out.append(row)
        columns = ([self.period] if self.period is not None else []) + [
            "programme",
            "name_fa",
            "name_en",
            "enterprises",
            "employees",
            *SEVERITIES,
            "priority",
            "unknown",
        ]
        return pd.DataFrame(out, columns=columns)

    def totals(self) -> pd.DataFrame:
        """Per period: ``filers`` (enterprises assessed), ``no_data`` (owed a return,
        filed none), ``any_need``, ``priority`` (in the tier) and its share of the
        filers, ``priority_share``."""
        rows = self._rows()
        codes, values = self._period_codes(rows)
        absent = self._absent
        out = []
        for p_code, p_value in enumerate(values):
            mine = rows[codes == p_code]
            row = {} if self.period is None else {self.period: p_value}
            missing = (
                len(absent)
                if self.period is None
                else int((absent[self.period] == p_value).sum())
                if len(absent)
                else 0
            )
            tier = int(self.priority[mine].sum())
            row.update(
                filers=len(mine),
                no_data=missing,
                any_need=int(self._needed[mine].any(axis=1).sum()),
                priority=tier,
                priority_share=tier / len(mine) if len(mine) else np.nan,
            )
            out.append(row)
        columns = ([self.period] if self.period is not None else []) + [
            "filers",
            "no_data",
            "any_need",
            "priority",
            "priority_share",
        ]
        return pd.DataFrame(out, columns=columns)

    def _period_codes(self, rows) -> tuple[np.ndarray, list]:
        """Each row's period as a code into the sorted periods (every row 0 when the
        needs have no period column), with those periods."""
        if self.period is None:
            return np.zeros(len(rows), dtype=np.int64), [None]
        values = self.gaps.keys[self.period].to_numpy()[rows]
        periods = sorted(
            set(values.tolist())
            | set(self._absent[self.period].tolist() if len(self._absent) else [])
        )
        return np.searchsorted(np.asarray(periods), values), periods

    def matrix(
        self,
        by: str = "province",
        *,
        members: pd.DataFrame | None = None,
        names: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """How many enterprises, and how many employees, need each programme, by
        ``by``: ``province``, ``estate``, ``sector`` (ISIC division), ``section``,
        ``cluster`` or any key column of the comparison (and by period when the
        comparison has several).

        ``cluster`` needs ``members`` (``cluster_code`` and the unit column); an
        enterprise in two clusters counts in both. Enterprises outside any estate or
        cluster, or of unknown province, have their own row, so that summing a column
        gives the number of enterprises whose list includes the programme (clusters
        aside). ``names`` (``code``, ``name_fa``, ``name_en``) labels estates or
        clusters; provinces and sectors are labelled from :mod:`rasad.iran`.
        Columns: the key, ``name_fa``, ``name_en``; ``enterprises`` and ``employees``
        (the enterprises assessed: those that filed); ``no_data`` (enterprises that
        owed a return and filed none: not assessed, not in any other column);
        ``any_enterprises``/``any_employees`` (with at least one need);
        ``priority_enterprises``/``priority_employees`` (in the priority tier); then
        per programme ``<programme>_enterprises`` and ``<programme>_employees``
        (needing it), ``<programme>_priority`` (of those, in the priority tier) and
        ``<programme>_unknown`` (filers that could not be judged for it: figures
        blank; counted neither as needing nor as not needing it).
        """
        column = DIMENSIONS.get(by, by)
        self._check_breakdown(by, column, members)
        rows = self._rows()
        if column == "cluster_code":
            cells = self._cluster_cells(rows, cast(pd.DataFrame, members))
        else:
            cells = self._column_cells(column, rows)
        codes, index = self._cell_index(column, cells)
        # every row once, in order (no firm in two clusters, no scope): no gather needed
        whole = column != "cluster_code" and self._scope is None
        counts = self._cell_counts(cells, codes, len(index), whole)
        values = index[column].astype(object)
        index[column] = values.where(values.notna(), None)
        index["name_fa"], index["name_en"] = _labels(column, index[column], names)
        matrix = pd.concat([index, pd.DataFrame(counts)], axis=1)
        order = [c for c in (self.period, column) if c is not None]
        return matrix.sort_values(order, na_position="last", ignore_index=True)

    def _count_columns(self) -> list[str]:
        """The matrix's counting columns, in order (see :meth:`matrix`)."""
        return [*_TOTAL_COUNTS] + [
            f"{code}_{count}" for code in self.mapping.codes for count in _PROGRAMME_COUNTS
        ]

    def _check_breakdown(self, by: str, column: str, members: pd.DataFrame | None) -> None:
        """Refuse a breakdown the data cannot give: by cluster without the members, by a
        column the comparison does not have, or by one whose name the matrix already
        gives another column (the period, the labels, a count)."""
        if column == self.period or column in ("name_fa", "name_en", *self._count_columns()):
            raise _bad(
                f"Cannot break needs down by {by!r}: the needs matrix has a column {column!r} "
                "of its own.",
                f"نیازها را نمی‌توان بر حسب «{by}» تفکیک کرد: ماتریس نیازها خود ستونی به نام "
                f"«{column}» دارد.",
                "by",
                by,
            )
        if column == "cluster_code":
            if members is None or not {"cluster_code", self.unit} <= set(members.columns):
                raise _bad(
                    "The needs matrix by cluster needs the cluster members "
                    f"(cluster_code, {self.unit}).",
                    "ماتریس نیازها بر حسب خوشه به فهرست اعضای خوشه‌ها "
                    f"(cluster_code، {self.unit}) نیاز دارد.",
                    "members",
                )
        elif column not in self.gaps.keys.columns:
            raise _bad(
                f"Cannot break needs down by {by!r}: the comparison has no column {column!r}.",
                f"نیازها را نمی‌توان بر حسب «{by}» تفکیک کرد: ستون «{column}» در داده نیست.",
                "by",
                by,
            )

    def _column_cells(self, column: str, rows: np.ndarray) -> _Cells:
        """Each filer (of ``rows``) and each non-filer in the cell of its ``column``."""
        absent = self._absent
        return _Cells(
            rows,
            np.arange(len(absent)),
            pd.Series(self.gaps.keys[column].array.take(rows)),
            pd.Series(
                absent[column].array
                if column in absent.columns
                else np.full(len(absent), None, dtype=object)
            ),
        )

    def _cluster_cells(self, rows: np.ndarray, members: pd.DataFrame) -> _Cells:
        """Each filer (of ``rows``) and each non-filer in the cell of every cluster it is
        a member of, or in the blank cell when it is in none."""
        absent = self._absent
        units = pd.concat(
            [
                pd.Series(self.gaps.keys[self.unit].array.take(rows)),
                pd.Series(absent[self.unit].array if len(absent) else [], dtype=object),
            ],
            ignore_index=True,
        )
        links = pd.DataFrame({self.unit: units, "_at": np.arange(len(units))}).merge(
            members[[self.unit, "cluster_code"]].drop_duplicates(),
            on=self.unit,
            how="left",
        )
        at, cell = links["_at"].to_numpy(), links["cluster_code"]
        filer = at < len(rows)
        return _Cells(
            rows[at[filer]],
            at[~filer] - len(rows),
            pd.Series(cell.array[filer]),
            pd.Series(cell.array[~filer]),
        )

    def _cell_index(self, column: str, cells: _Cells) -> tuple[np.ndarray, pd.DataFrame]:
        """One integer code per counted row (the filers', then the non-filers'), into
        the cells of the matrix: the (period and) ``column`` value of each, a missing
        value its own cell. With these codes every count is a bincount."""
        cell_codes, cell_values = _cell_codes(cells.filer_cells, cells.absent_cells)
        if self.period is not None:
            absent = self._absent
            periods = np.concatenate(
                [
                    self.gaps.keys[self.period].to_numpy(dtype=np.int64)[cells.filers],
                    absent[self.period].to_numpy(dtype=np.int64)[cells.absent]
                    if len(absent)
                    else np.zeros(0, dtype=np.int64),
                ]
            )
            period_codes, period_values = pd.factorize(periods)
            combined = period_codes.astype(np.int64) * len(cell_values) + cell_codes
        else:
            combined = cell_codes.astype(np.int64)
        present, codes = np.unique(combined, return_inverse=True)
        index = pd.DataFrame({column: cell_values[present % len(cell_values)]})
        if self.period is not None:
            index.insert(0, self.period, np.asarray(period_values)[present // len(cell_values)])
        return codes, index

    def _cell_counts(self, cells: _Cells, codes: np.ndarray, size: int, whole: bool) -> dict:
        """The counting columns of the matrix, cell by cell (see :meth:`matrix`).
        ``whole``: the filers are every row of the comparison, in order."""
        filed, missing = codes[: len(cells.filers)], codes[len(cells.filers) :]
        count = functools.partial(_per_cell, filed, size)

        def of_filers(values: np.ndarray) -> np.ndarray:
            return values if whole else values[cells.filers]

        employees = of_filers(self.employees())
        needed, unknown, tier = (
            of_filers(self._needed),
            of_filers(self._unknown),
            of_filers(self.priority),
        )
        anything = needed.any(axis=1)
        counts = [  # in the order of _count_columns()
            count(),
            count(employees),
            _per_cell(missing, size),
            count(anything),
            count(employees * anything),
            count(tier),
            count(employees * tier),
        ]
        for k in range(len(self.mapping.codes)):
            chosen = needed[:, k]
            counts += [
                count(chosen),
                count(employees * chosen),
                count(chosen & tier),
                count(unknown[:, k]),
            ]
        columns = dict(zip(self._count_columns(), counts, strict=True))
        return {
            c: v.astype(np.int64) if not c.endswith("employees") else v for c, v in columns.items()
        }

    def headers(self, columns) -> list[tuple[str, str]]:
        """(Persian, English) header of each column of :meth:`table`, :meth:`matrix`,
        :meth:`summary` or :meth:`totals`."""
        names = {p.code: p.name for p in self.mapping.programmes}
        out = []
        for column in columns:
            if column in _HEADERS:
                out.append(_HEADERS[column])
                continue
            code, _, what = column.rpartition("_")
            if code in names and what in _PROGRAMME_COLUMNS:
                fa_what, en_what = _PROGRAMME_COLUMNS[what]
                out.append((f"{names[code].fa}: {fa_what}", f"{names[code].en}: {en_what}"))
            else:
                out.append((column, column))
        return out

    def to_excel(
        self,
        path: str | Path,
        *,
        by=("province", "estate", "cluster", "sector"),
        members: pd.DataFrame | None = None,
        estates: pd.DataFrame | None = None,
        clusters: pd.DataFrame | None = None,
        language: str = "fa",
    ) -> Path:
        """An Excel workbook (:mod:`rasad.workbook`, in ``language``): the ``totals``, a
        ``summary`` sheet (each programme's needs by severity, priority tier and unknowns),
        one needs-matrix sheet per dimension of ``by`` (with the ``no data`` and
        per-programme ``unknown`` columns), an ``enterprises`` sheet with each
        enterprise's ranked needs, their severity, the priority tier and the evidence, an
        ``unknown`` sheet (each enterprise and programme that could not be judged) and a
        ``no data`` sheet (the enterprises that filed no return). One header row in
        ``language``; the codes and both labels are in the dictionary sheet. ``cluster``
        is skipped when ``members`` is not given."""
        from rasad.workbook import About, write_workbook

        sheets = [
            self._sheet(("جمع کل", "Totals"), self.totals(), language),
            self._sheet(
                ("خلاصه به تفکیک برنامه", "Summary by programme"), self.summary(), language
            ),
        ]
        for dimension in by:
            if dimension == "cluster" and members is None:
                continue
            names = (
                estates if dimension == "estate" else clusters if dimension == "cluster" else None
            )
            fa, en = _DIMENSIONS.get(dimension, (dimension, dimension))
            sheets.append(
                self._sheet(
                    (f"نیازها به تفکیک {fa}", f"Needs by {en}"),
                    self.matrix(dimension, members=members, names=names),
                    language,
                )
            )
        sheets += [
            self._sheet(("بنگاه‌ها", "Enterprises"), self.explained(), language),
            self._sheet(("نامعلوم", "Unknown"), self.unknowns(), language),
            self._sheet(("بدون اظهارنامه", "No return"), self.no_data(), language),
        ]
        about = About(("نیازهای بنگاه‌ها", "Enterprises' needs"))
        path = Path(path)
        write_workbook(path, sheets, language=language, about=about)
        return path

    def _sheet(self, title, frame: pd.DataFrame, language: str):
        from rasad.workbook import Column, Sheet

        evidence = "evidence_fa" if language == "fa" else "evidence_en"
        columns = []
        for code, label in zip(frame.columns, self.headers(frame.columns), strict=True):
            if code.startswith("evidence_") and code != evidence:
                continue  # the evidence in the reader's language only
            dtype = frame[code].dtype
            if code == "year":
                column = Column(code, label, "year")
            elif code == "rank":
                column = Column(code, label, "rank")
            elif code.endswith("share"):
                column = Column(code, label, "percent", 1)
            elif code == "score":
                column = Column(code, label, "decimal", 2)
            elif pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
                column = Column(
                    code, label, width=60 if code == evidence else None, wrap=code == evidence
                )
            else:  # counts of enterprises and employees
                column = Column(code, label, "int")
            columns.append(column)
        return Sheet(title, columns, frame)


def _cell_codes(filer_cells: pd.Series, absent_cells: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of the filers' cells, then of the non-filers' (missing values, None
    or NaN, are one cell), and the cells' values as an object array. The filers' are
    factorised whole (a category column stays one); the few non-filers are looked up."""
    codes, uniques = pd.factorize(filer_cells, use_na_sentinel=False)
    values = list(np.asarray(uniques, dtype=object))
    lookup = {(None if _missing(v) else v): i for i, v in enumerate(values)}
    extra = np.empty(len(absent_cells), dtype=np.int64)
    for i, v in enumerate(absent_cells.to_numpy(dtype=object)):
        key = None if _missing(v) else v
        if key not in lookup:
            lookup[key] = len(values)
            values.append(np.nan if key is None else v)
        extra[i] = lookup[key]
    return np.concatenate([codes.astype(np.int64), extra]), np.asarray(
        values + [np.nan], dtype=object
    )[:-1]


def _per_cell(cells: np.ndarray, size: int, weights=None) -> np.ndarray:
    """Per cell (``cells``: each row's, of ``size``): how many rows, or with yes/no
    ``weights`` how many say yes (a gather, not a float sum), or the sum of ``weights``."""
    if weights is None:
        return np.bincount(cells, minlength=size)
    if weights.dtype == bool:
        return np.bincount(cells[weights], minlength=size)
    return np.bincount(cells, weights=weights, minlength=size)


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


_HEADERS = {
    "national_id": ("شناسه ملی", "National ID"),
    "year": ("سال", "Year"),
    "period": ("دوره", "Period"),
    "rank": ("اولویت", "Rank"),
    "programme": ("کد برنامه", "Programme code"),
    "name_fa": ("نام (فارسی)", "Name (Persian)"),
    "name_en": ("نام (انگلیسی)", "Name (English)"),
    "score": ("امتیاز نیاز", "Need score"),
    "triggers": ("شمار محرک‌ها", "Triggers fired"),
    "severity": ("شدت نیاز", "Severity"),
    "priority": ("ردهٔ اولویت", "Priority tier"),
    "evidence_fa": ("شواهد", "Evidence (Persian)"),
    "evidence_en": ("شواهد (انگلیسی)", "Evidence"),
    "province_code": ("کد استان", "Province code"),
    "estate_code": ("کد شهرک", "Estate code"),
    "cluster_code": ("کد خوشه", "Cluster code"),
    "division": ("قسمت ISIC", "ISIC division"),
    "section": ("بخش ISIC", "ISIC section"),
    "isic_class": ("رستهٔ ISIC", "ISIC class"),
    "size_class": ("طبقهٔ اندازه", "Size band"),
    "enterprises": ("تعداد بنگاه‌ها", "enterprises"),
    "employees": ("تعداد شاغلان", "employees"),
    "no_data": ("بدون اظهارنامه (بی‌داده)", "No return (no data)"),
    "any_enterprises": ("بنگاه‌های دارای نیاز", "Enterprises with a need"),
    "any_employees": ("شاغلان بنگاه‌های دارای نیاز", "Employees of enterprises with a need"),
    "priority_enterprises": ("بنگاه‌های ردهٔ اولویت", "Enterprises in the priority tier"),
    "priority_employees": (
        "شاغلان بنگاه‌های ردهٔ اولویت",
        "Employees of enterprises in the priority tier",
    ),
    "low": ("شدت کم", "low"),
    "medium": ("شدت متوسط", "medium"),
    "high": ("شدت زیاد", "high"),
    "critical": ("شدت بحرانی", "critical"),
    "unknown": ("نامعلوم (ارقام خالی)", "unknown (figures blank)"),
    "filers": ("بنگاه‌های دارای اظهارنامه", "Enterprises that filed"),
    "any_need": ("بنگاه‌های دارای نیاز", "Enterprises with a need"),
    "priority_share": ("سهم ردهٔ اولویت از دارندگان اظهارنامه", "Priority tier share of filers"),
}
_DIMENSIONS = {
    "province": ("استان", "province"),
    "estate": ("شهرک", "estate"),
    "cluster": ("خوشه", "cluster"),
    "sector": ("بخش", "sector"),
}
_PROGRAMME_COLUMNS = {
    "enterprises": _HEADERS["enterprises"],
    "employees": _HEADERS["employees"],
    "priority": ("در ردهٔ اولویت", "in the priority tier"),
    "unknown": _HEADERS["unknown"],
}


@functools.cache
def _isic_titles() -> pd.DataFrame:
    table = isic()
    return table[table["level"].isin(["section", "division"])].set_index("code")[
        ["title_fa", "title_en"]
    ]


def _labels(column: str, values: pd.Series, names: pd.DataFrame | None) -> tuple[list, list]:
    if column == "province_code":
        table = provinces().set_index("code")[["name_fa", "name_en"]]
    elif column in ("division", "section"):
        table = _isic_titles().rename(columns={"title_fa": "name_fa", "title_en": "name_en"})
    elif names is not None and {"code", "name_fa", "name_en"} <= set(names.columns):
        table = names.set_index("code")[["name_fa", "name_en"]]
    else:
        table = None
    fa, en = [], []
    none_fa, none_en = _NONE_LABELS.get(column, _UNKNOWN)
    for value in values:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            fa.append(none_fa)
            en.append(none_en)
        elif table is not None and value in table.index:
            fa.append(table.at[value, "name_fa"] or table.at[value, "name_en"])
            en.append(table.at[value, "name_en"])
        else:
            fa.append(str(value))
            en.append(str(value))
    return fa, en


def _number(x: float, language: str) -> str:
    """Three significant digits, or whole numbers with thousands separators from 1,000
    on (money: −22,480, not −2.25e+04)."""
    text = f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"
    return to_persian_digits(text).replace(",", "٬").replace(".", "٫") if language == "fa" else text


def _known(x) -> bool:
    return x is not None and x == x


def _words(evidence: list[dict], language: str, rules: dict[str, Text]) -> str:
    fa = language == "fa"
    parts = []
    for item in evidence:
        if isinstance(item.get("alert"), str):
            name = rules[item["alert"]].get(language) if item["alert"] in rules else item["alert"]
            severity = item.get("alert_severity")
            label = SEVERITY_NAMES[severity][0 if fa else 1] if severity in SEVERITY_NAMES else ""
            text = (
                (f"هشدار ({label}): " if fa else f"alert ({label}): ") + name
                if label
                else ("هشدار: " if fa else "alert: ") + name
            )
            kpi = item.get("alert_kpi")
            if isinstance(kpi, str) and _known(item.get("value")):
                kpi_name = KPIS[kpi].name(language) if kpi in KPIS else kpi
                text += (
                    f"، {kpi_name} {_number(item['value'], 'fa')}"
                    if fa
                    else f", {kpi_name} {_number(item['value'], 'en')}"
                )
        else:
            code = item["trigger"]
            name = KPIS[code].name(language) if code in KPIS else code
            level = level_name(item["peer_level"], language) if item["peer_level"] else ""
            if not _known(item.get("percentile")):  # no peer group: the value alone
                text = f"{name} {_number(item['value'], language)}"
            elif fa:
                text = (
                    f"{name} {_number(item['value'], 'fa')}: "
                    f"صدک {_number(item['percentile'], 'fa')} "
                    f"در میان {to_persian_digits(str(item['peers']))} همتا ({level})، "
                    f"میانه {_number(item['peer_median'], 'fa')}"
                )
            else:
                text = (
                    f"{name} {_number(item['value'], 'en')}: "
                    f"percentile {_number(item['percentile'], 'en')} "
                    f"of {item['peers']} peers ({level}), "
                    f"median {_number(item['peer_median'], 'en')}"
                )
        if item.get("supporting"):
            text += " (شاهد تکمیلی)" if fa else " (supporting)"
        parts.append(text)
    return "؛ ".join(parts) if fa else "; ".join(parts)


# --- loading -------------------------------------------------------------------------


def load_needs(
    path: str | Path | None = None, *, indicators=None, alert_rules=None
) -> NeedsMapping:
    """The mapping of a YAML file; the bundled ``needs.yaml`` when ``path`` is None.

    ``indicators`` are the codes triggers may name (default: the KPIs and the SME-100
    methodology's indicators and pillars); ``alert_rules`` the rule codes alert
    triggers may name (default: the bundled rule file's)."""
    text, source = read(path, BUNDLED_NEEDS, "needs mapping", "پروندهٔ نگاشت نیازها")
    return loads_needs(text, source=source, indicators=indicators, alert_rules=alert_rules)


@functools.cache
def _sme100_codes() -> frozenset[str]:
    from rasad.index.methodology import bundled, load

    methodology = load(bundled("sme100"))
    return frozenset(methodology.indicator_codes) | {n.code for n in methodology.nodes}


def loads_needs(
    text: str, *, source: str | None = None, indicators=None, alert_rules=None
) -> NeedsMapping:
    """A needs mapping from YAML text; :class:`MonitorConfigError` lists every problem
    with the programme's code and the line."""
    known = {
        "indicators": set(KPIS) | _sme100_codes() if indicators is None else set(indicators),
        "alerts": set(
            load_rules().codes
            if alert_rules is None
            else (alert_rules.codes if hasattr(alert_rules, "codes") else alert_rules)
        ),
    }
    data = parse(text, source, MonitorConfigError)
    file = config.read(
        NeedsFile,
        {} if data is None else data,
        text,
        source,
        error=MonitorConfigError,
        named=("programmes",),
        context=known,
    )
    return NeedsMapping(
        tuple(
            Programme(
                p.code, p.name, tuple(Trigger(**t.__dict__) for t in p.triggers), p.description
            )
            for p in file.programmes
        ),
        file.max_needs,
        file.min_score,
        text,
        hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source,
        file.severity.scale(),
        PriorityRule(
            file.priority.min_severity, file.priority.min_needs, file.priority.min_needs_severity
        ),
    )


Points = Annotated[float, number(0, strict_low=True)]
Severity = Annotated[str, choice(SEVERITIES)]


class AlertPointsFile(Section):
    low: Points | None = None
    medium: Points | None = None
    high: Points | None = None
    critical: Points | None = None


class BandsFile(Section):
    FALLBACK: ClassVar[dict[str, Any]] = dict.fromkeys(BANDED)

    medium: Points | None
    high: Points | None
    critical: Points | None

    @classmethod
    def checks(cls, data, section, info, clean):
        values = [section.medium, section.high, section.critical]
        if all(v is not None for v in values) and not values[0] < values[1] < values[2]:
            yield refuse(
                (),
                f"the bands must rise: medium < high < critical, not "
                f"{values[0]:g}, {values[1]:g}, {values[2]:g}",
                f"آستانه‌ها باید بالا روند: medium < high < critical، نه {values[0]:g}، "
                f"{values[1]:g}، {values[2]:g}",
            )


class SeverityFile(Section):
    """``severity: {alert_points: {low: …, critical: …}, bands: {medium: …, high: …,
    critical: …}}``; either part may be left out (alerts then count 1 whatever their
    severity; the bands are 1, 2 and 3)."""

    alert_points: AlertPointsFile = AlertPointsFile()
    bands: BandsFile | None = None

    def scale(self) -> SeverityScale:
        default = SeverityScale()
        points = dict(default.alert_points)
        points.update({k: v for k, v in self.alert_points.__dict__.items() if v is not None})
        bands = self.bands
        if bands is None:
            return SeverityScale(points, default.bands)
        given = cast(tuple[float, float, float], (bands.medium, bands.high, bands.critical))
        return SeverityScale(points, given)


class PriorityFile(Section):
    """``priority: {min_severity: high, min_needs: 3, min_needs_severity: medium}``."""

    min_severity: Severity = PriorityRule.min_severity
    min_needs: Annotated[int, integer(1)] | None = None
    min_needs_severity: Severity = PriorityRule.min_needs_severity

    @classmethod
    def checks(cls, data, section, info, clean):
        if "min_needs_severity" in data and "min_needs" not in data:
            yield refuse(
                ("min_needs_severity",),
                "applies only with min_needs",
                "فقط همراه min_needs معنا دارد",
            )


_ALERT_KEYS = ("alert", "weight", "supporting", "severity")


class TriggerFile(Section):
    indicator: String | None = None
    alert: String | None = None
    percentile_below: Annotated[float, number(0, 100, strict_low=True)] | None = None
    behind: Annotated[str, choice(BEHIND)] | None = None
    below: Number | None = None
    above: Number | None = None
    at_most: Number | None = None
    at_least: Number | None = None
    weight: Points = 1.0
    supporting: Boolean = False
    severity: Severity | None = None

    @classmethod
    def checks(cls, data, section, info, clean):
        if (section.indicator is None) == (section.alert is None):
            yield refuse((), "give either an indicator or an alert", "یا indicator بدهید یا alert")
            return
        known = info.context
        if section.alert is not None:
            for key in data:
                if key not in _ALERT_KEYS:
                    yield refuse(
                        (key,),
                        f"'{key}' does not apply to an alert trigger",
                        f"«{key}» برای محرک هشدار کاربرد ندارد",
                    )
            if section.alert not in known["alerts"]:
                alerts = ", ".join(sorted(known["alerts"]))
                yield refuse(
                    ("alert",),
                    f"'{section.alert}' is not an alert rule; known: {alerts}",
                    f"«{section.alert}» قاعدهٔ هشدار شناخته‌شده‌ای نیست؛ قواعد موجود: {alerts}",
                )
            return
        if section.indicator not in known["indicators"]:
            yield refuse(
                ("indicator",),
                f"'{section.indicator}' is not a known indicator or KPI",
                f"«{section.indicator}» شاخص یا شاخص پایش شناخته‌شده‌ای نیست",
            )
        if not any(k in data for k in ("percentile_below", "behind", *BOUNDS)):
            yield refuse(
                (),
                "an indicator trigger needs a condition: percentile_below, behind or a bound",
                "محرک شاخص به یک شرط نیاز دارد: percentile_below، behind یا یک کران",
            )


TRIGGERS_LIST = ("must be a non-empty list of triggers", "باید فهرستی ناتهی از محرک‌ها باشد")
PROGRAMMES_LIST = ("must be a non-empty list of programmes", "باید فهرستی ناتهی از برنامه‌ها باشد")


class ProgrammeFile(Section):
    NOT_MAPPING = (
        "must be a mapping (code, name, triggers)",
        "باید نگاشت باشد (code، name، triggers)",
    )
    FALLBACK: ClassVar[dict[str, Any]] = {"code": "", "name": "", "triggers": []}
    MISSING: ClassVar[dict[str, tuple[str, str]]] = {"triggers": TRIGGERS_LIST}

    code: String
    name: TextField
    description: TextField | None = None
    triggers: Annotated[tuple[TriggerFile, ...], listed(*TRIGGERS_LIST)]

    @classmethod
    def checks(cls, data, section, info, clean):
        if clean and section.triggers and all(t.supporting for t in section.triggers):
            yield refuse(
                ("triggers",),
                "every trigger is supporting: nothing could make this programme a need",
                "همهٔ محرک‌ها تکمیلی‌اند: هیچ چیز این برنامه را نیاز نمی‌کند",
            )


class NeedsFile(Section):
    """A needs mapping; the codes its triggers may name come in the validation context
    (``indicators``, ``alerts``)."""

    NOT_MAPPING_READ_EMPTY = True
    FALLBACK: ClassVar[dict[str, Any]] = {"programmes": []}
    MISSING: ClassVar[dict[str, tuple[str, str]]] = {"programmes": PROGRAMMES_LIST}

    version: Any = None
    max_needs: Annotated[int, integer(1)] = 3
    min_score: Annotated[float, number(0)] = 0.0
    severity: SeverityFile = SeverityFile()
    priority: PriorityFile = PriorityFile()
    programmes: Annotated[tuple[ProgrammeFile, ...], listed(*PROGRAMMES_LIST)]
    description: Any = None

    @classmethod
    def checks(cls, data, section, info, clean):
        yield from repeated_codes("programmes", section.programmes, "programme", "برنامهٔ")
