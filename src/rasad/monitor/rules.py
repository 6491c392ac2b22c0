"""Early-warning alert rules: a YAML file of conditions, evaluated on the KPI grids.

The ministry's analysts decide what deserves an alert (a 20% real drop? 25%?), so the
rules are data in a documented file (``data/alert_rules.yaml``), checked on load: a
rule naming an unknown KPI or with a malformed threshold is refused with the rule's
code, the line in the file and a message in English and Persian, before anything runs.

Three kinds of check:

``threshold``
    a KPI below/above a bound, optionally for ``periods`` periods running (employment
    down two years running). A KPI that is not computable (NaN) never fires and
    breaks a streak: no false alarm from a missing figure.
``missing_return``
    a period whose deadline has passed with no return from an enterprise that owed
    one (from its founding year, or its first return, on).
``unit_jump``
    a reported figure multiplied or divided by at least ``min_ratio`` from one period
    to the next: what a return in rials instead of million rials (×10⁶), or in
    thousands (×1000), looks like.
``implausible``
    a reported figure outside the plausible bounds the indicator catalogue gives it
    (``plausible_min``/``plausible_max``: 10³⁰ employees, a sale of 10¹⁵ million
    rials). The intake stores such a figure only once a person confirmed it; this flags
    the returns that hold one, so that they are looked at again.

Every alert names its rule, severity, enterprise, period, evidence (the values) and
*since*, the first period of the streak it belongs to. ``key`` (rule, enterprise,
since) stays the same while the streak lasts, so the platform can attach an
acknowledgement or a closing comment to it and find it again next period.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any, ClassVar, cast

import numpy as np
import pandas as pd
from pydantic import AfterValidator, ValidationError
from pydantic_core import InitErrorDetails

from rasad import config
from rasad.config import (
    Number,
    Section,
    String,
    StringList,
    Text,
    TextField,
    choice,
    integer,
    listed,
    number,
    parse,
    refuse,
)
from rasad.methodologies import load_catalogue
from rasad.monitor._config import MonitorConfigError, read
from rasad.monitor._rows import RowReader
from rasad.monitor.kpis import KPIS, RAW_FIELDS, KpiTable, lagged

SEVERITIES = ("low", "medium", "high", "critical")
SEVERITY_NAMES = {
    "low": ("کم", "low"),
    "medium": ("متوسط", "medium"),
    "high": ("زیاد", "high"),
    "critical": ("بحرانی", "critical"),
}
CHECKS = ("threshold", "missing_return", "unit_jump", "implausible")
BOUNDS = ("below", "above", "at_most", "at_least")
BUNDLED_RULES = "alert_rules.yaml"


@dataclass(frozen=True)
class Rule:
    """One alert rule (see the module docstring for the checks)."""

    code: str
    name: Text
    severity: str
    check: str = "threshold"
    kpi: str | None = None
    below: float | None = None  # value < below
    above: float | None = None  # value > above
    at_most: float | None = None  # value <= at_most
    at_least: float | None = None  # value >= at_least
    periods: int = 1  # how many periods running the condition must hold
    unless: tuple[
        str, ...
    ] = ()  # rules that, firing for the same enterprise and period, silence this one
    fields: tuple[str, ...] = ()  # unit_jump, implausible: the reported figures watched
    min_ratio: float | None = None  # unit_jump: the smallest jump (×) that looks like a unit slip
    description: Text | None = None

    def holds(self, values: np.ndarray) -> np.ndarray:
        """Where the threshold condition holds; NaN never does."""
        with np.errstate(invalid="ignore"):
            result = ~np.isnan(values)
            if self.below is not None:
                result &= values < self.below
            if self.above is not None:
                result &= values > self.above
            if self.at_most is not None:
                result &= values <= self.at_most
            if self.at_least is not None:
                result &= values >= self.at_least
        return result

    def condition_text(self, language: str = "en") -> str:
        """The condition in words, e.g. ``sales_growth_real < -0.2 for 1 period(s)``."""
        if self.check == "missing_return":
            return (
                "بدون اظهارنامه پس از مهلت"
                if language.startswith("fa")
                else "no return after the deadline"
            )
        if self.check == "implausible":
            watched = ", ".join(self.fields or _plausible_specs())
            if language.startswith("fa"):
                return f"رقمی بیرون از کران‌های باورپذیر فهرست شاخص‌ها در {watched}"
            return f"a figure outside the catalogue's plausible bounds in {watched}"
        if self.check == "unit_jump":
            watched = ", ".join(self.fields)
            if language.startswith("fa"):
                return f"جهش ≥ ×{self.min_ratio:g} یا ≤ ÷{self.min_ratio:g} در {watched}"
            return f"a jump of ×{self.min_ratio:g} or ÷{self.min_ratio:g} or more in {watched}"
        signs = {"below": "<", "above": ">", "at_most": "≤", "at_least": "≥"}
        parts = [
            f"{self.kpi} {signs[b]} {getattr(self, b):g}"
            for b in BOUNDS
            if getattr(self, b) is not None
        ]
        text = " و ".join(parts) if language.startswith("fa") else " and ".join(parts)
        if self.periods > 1:
            text += (
                f" ({self.periods} دورهٔ پیاپی)"
                if language.startswith("fa")
                else f" for {self.periods} periods running"
            )
        return text


@dataclass(frozen=True)
class RuleSet:
    """The rules of one file, with its text and SHA-256 so that a run of alerts can
    record exactly which rules produced it."""

    rules: tuple[Rule, ...]
    text: str = ""
    sha256: str = ""
    source: str | None = None
    version: str = ""

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.rules]

    def rule(self, code: str) -> Rule:
        for rule in self.rules:
            if rule.code == code:
                return rule
        raise KeyError(code)

    def evaluate(self, kpis: KpiTable, *, as_of=None) -> Alerts:
        """Alerts of every rule for every enterprise and period of ``kpis``.

        ``as_of`` (a date) decides which returns are overdue: a period is due once its
        deadline (``kpis.kpis.deadline``) is before ``as_of``. ``None`` takes every
        period of the data as due, which suits historical panels.
        """
        return Alerts(self, kpis, as_of)


# --- evaluation --------------------------------------------------------------------


def _streaks(condition: np.ndarray) -> np.ndarray:
    """How many periods running the condition has held, ending at each period."""
    run = np.zeros(condition.shape, dtype=np.int32)
    run[:, 0] = condition[:, 0]
    for t in range(1, condition.shape[1]):
        run[:, t] = np.where(condition[:, t], run[:, t - 1] + 1, 0)
    return run


@dataclass
class _Outcome:
    condition: np.ndarray  # bool grid: the rule's condition holds
    judged: np.ndarray  # bool grid: the rule could be judged (its inputs were there)
    owed: np.ndarray  # bool grid: cells the rule applies to (returns filed; or owed)
    run: np.ndarray = field(init=False)

    def __post_init__(self):
        self.run = _streaks(self.condition)


def _due(kpis: KpiTable, as_of) -> np.ndarray:
    if as_of is None:
        return np.ones(len(kpis.periods), dtype=bool)
    return kpis.deadlines() < np.datetime64(pd.Timestamp(as_of).date(), "D")


def _outcome(rule: Rule, kpis: KpiTable, as_of) -> _Outcome:
    filed = kpis.filed
    if rule.check == "threshold":
        values = kpis.grid(cast(str, rule.kpi))
        judged = filed & ~np.isnan(values)
        return _Outcome(judged & rule.holds(values), judged, filed)
    if rule.check == "missing_return":
        position = np.arange(len(kpis.periods))[None, :]
        owed = (position >= kpis.start[:, None]) & _due(kpis, as_of)[None, :]
        return _Outcome(owed & ~filed, owed, owed)
    if rule.check == "implausible":
        hit = np.zeros(filed.shape, dtype=bool)
        judged = np.zeros(filed.shape, dtype=bool)
        for spec in _watched(rule):
            values = kpis.raw(spec.code)
            judged |= ~np.isnan(values)
            hit |= spec.implausible(values)
        return _Outcome(hit & filed, judged & filed, filed)
    jumped = np.zeros(filed.shape, dtype=bool)
    judged = np.zeros(filed.shape, dtype=bool)
    min_ratio = cast(float, rule.min_ratio)
    for name in rule.fields:
        ratio = _jump(kpis.raw(name))
        judged |= ~np.isnan(ratio)
        with np.errstate(invalid="ignore"):
            jumped |= (ratio >= min_ratio) | (ratio <= 1.0 / min_ratio)
    return _Outcome(jumped, judged, filed)


@functools.lru_cache(maxsize=1)
def _plausible_specs() -> dict:
    """The catalogue's figures that have plausible bounds, by code."""
    return {
        spec.code: spec
        for spec in load_catalogue()
        if spec.plausible_min is not None or spec.plausible_max is not None
    }


def _watched(rule: Rule) -> list:
    specs = _plausible_specs()
    return [specs[name] for name in rule.fields] if rule.fields else list(specs.values())


def _jump(values: np.ndarray) -> np.ndarray:
    previous = lagged(values)
    ok = (values > 0) & (previous > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, values / np.where(ok, previous, 1.0), np.nan)


def _plain(value):
    """Evidence values as plain Python numbers (JSON-ready); NaN as None."""
    if value is None:
        return None
    value = float(value)
    if math.isnan(value):
        return None
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


class Alerts:
    """The alerts of a rule set on a KPI table.

    :attr:`frame` has one row per alert: ``key``, ``rule``, ``severity``, the unit
    column, ``period``, ``since``, ``streak`` (periods running), ``kpi`` (or the
    figure that jumped), ``value``, ``evidence`` (a dict of the values), ``name_fa``
    and ``name_en``. :meth:`summary` counts, per rule, the cells judged, those that
    could not be judged ("not computable") and the alerts. :meth:`fired` is a rule's
    alert grid (enterprises × periods), which the needs mapping reads.
    """

    def __init__(self, rules: RuleSet, kpis: KpiTable, as_of=None):
        self.rules = rules
        self.kpis = kpis
        self.as_of = as_of
        self._outcomes = {rule.code: _outcome(rule, kpis, as_of) for rule in rules.rules}
        raw_fire = {code: o.run >= rules.rule(code).periods for code, o in self._outcomes.items()}
        self._fire = {}
        for rule in rules.rules:
            fire = raw_fire[rule.code].copy()
            for other in rule.unless:
                fire &= ~raw_fire[other]
            self._fire[rule.code] = fire
        self._frame: pd.DataFrame | None = None
        self._by_unit: dict | None = None  # unit → its rows of the frame, built on first use
        self._rows: RowReader | None = None

    def fired(self, code: str) -> np.ndarray:
        return self._fire[code]

    def judged(self, code: str) -> np.ndarray:
        """Where the rule could be judged (enterprises × periods): its inputs were
        there, in a cell it applies to. Where it could not, its silence says nothing:
        a blank is unknown, not "no alert"."""
        outcome = self._outcomes[code]
        return outcome.judged & outcome.owed

    def summary(self) -> pd.DataFrame:
        """Per rule: cells the rule applies to (returns filed, or returns owed for
        ``missing_return``), judged, not computable (an input missing or a zero base:
        no value, no alert), alerts and enterprises alerted."""
        rows = []
        for rule in self.rules.rules:
            o, fire = self._outcomes[rule.code], self._fire[rule.code]
            owed, judged = int(o.owed.sum()), int((o.judged & o.owed).sum())
            rows.append(
                (
                    rule.code,
                    rule.severity,
                    rule.name.fa,
                    rule.name.en,
                    owed,
                    judged,
                    owed - judged,
                    int(fire.sum()),
                    int(fire.any(axis=1).sum()),
                )
            )
        return pd.DataFrame(
            rows,
            columns=[
                "rule",
                "severity",
                "name_fa",
                "name_en",
                "applies",
                "judged",
                "not_computable",
                "alerts",
                "enterprises",
            ],
        )

    def for_period(self, period: int) -> pd.DataFrame:
        frame = self.frame
        return frame[frame["period"] == period].reset_index(drop=True)

    def of(self, unit, period: int | None = None) -> pd.DataFrame:
        """One unit's alerts (of ``period`` only, when given), in the frame's order: what
        filtering :attr:`frame` or :meth:`for_period` on the unit column gives, read
        through an index of every unit built on the first call and kept."""
        mine = self.frame.iloc[self._positions(unit)]
        if period is not None:
            mine = mine[mine["period"] == period]
        return mine.reset_index(drop=True)

    def records(self, unit, period: int | None = None) -> list[dict]:
        """The rows of :meth:`of` as ``to_dict("records")`` gives them, without building
        a frame (what a page about one enterprise reads)."""
        if self._rows is None:
            self._rows = RowReader(self.frame)
        positions = self._positions(unit)
        if period is not None:
            positions = positions[self._rows.column("period")[positions] == period]
        return self._rows.take(positions)

    def _positions(self, unit) -> np.ndarray:
        if self._by_unit is None:
            self._by_unit = self.frame.groupby(self.kpis.unit, sort=False, observed=True).indices
        return self._by_unit.get(unit, np.zeros(0, dtype=np.intp))

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = self._build()
        return self._frame

    def _build(self) -> pd.DataFrame:
        kpis, unit = self.kpis, self.kpis.unit
        units, periods = kpis.units.to_numpy(dtype=object), kpis.periods
        parts = []
        for rule in self.rules.rules:
            ui, pi = np.nonzero(self._fire[rule.code])
            run = self._outcomes[rule.code].run[ui, pi]
            since = periods[pi - run + 1]
            kpi_name, value, evidence = self._evidence(rule, ui, pi, run)
            ids = units[ui]
            parts.append(
                pd.DataFrame(
                    {
                        "key": [
                            f"{rule.code}:{u}:{p}"
                            for u, p in zip(ids.tolist(), since.tolist(), strict=True)
                        ],
                        "rule": rule.code,
                        "severity": rule.severity,
                        unit: ids,
                        "period": periods[pi],
                        "since": since,
                        "streak": run,
                        "kpi": kpi_name,
                        "value": value,
                        "evidence": evidence,
                        "name_fa": rule.name.fa,
                        "name_en": rule.name.en,
                    }
                )
            )
        columns = [
            "key",
            "rule",
            "severity",
            unit,
            "period",
            "since",
            "streak",
            "kpi",
            "value",
            "evidence",
            "name_fa",
            "name_en",
        ]
        if not parts:
            return pd.DataFrame(columns=columns)
        frame = pd.concat(parts, ignore_index=True)
        frame["rule"] = pd.Categorical(frame["rule"], categories=self.rules.codes)
        frame["severity"] = pd.Categorical(
            frame["severity"], categories=list(SEVERITIES), ordered=True
        )
        frame["period"] = frame["period"].astype(np.int64)
        frame["since"] = frame["since"].astype(np.int64)
        return frame[columns]

    def _evidence(self, rule: Rule, ui, pi, run):
        """Per alert (enterprise ``ui``, period ``pi``, streak ``run``): the figure it is
        about, that figure's value and the evidence a reader checks it against."""
        if rule.check == "missing_return":
            return _missing_evidence(self.kpis.periods, pi, run)
        if rule.check == "implausible":
            return _implausible_evidence(rule, self.kpis, ui, pi)
        if rule.check == "unit_jump":
            return _jump_evidence(rule, self.kpis, ui, pi)
        return _threshold_evidence(rule, self.kpis, ui, pi, run)


def _missing_evidence(periods: np.ndarray, pi, run):
    """The periods of the streak with no return; no figure, no value."""
    n = len(pi)
    evidence = [
        {"missing": [int(p) for p in periods[p - r + 1 : p + 1]]}
        for p, r in zip(pi, run, strict=True)
    ]
    return np.full(n, None, dtype=object), np.full(n, np.nan), evidence


def _implausible_evidence(rule: Rule, kpis: KpiTable, ui, pi):
    """Each watched figure outside its plausible bounds, with the bounds; the alert
    names the one furthest out, in orders of magnitude."""
    n = len(ui)
    names = np.full(n, None, dtype=object)
    value = np.full(n, np.nan)
    biggest = np.full(n, -np.inf)
    evidence: list[dict[Any, Any]] = [{} for _ in range(n)]
    for spec in _watched(rule):
        values = kpis.raw(spec.code)[ui, pi]
        hit = spec.implausible(values)
        with np.errstate(divide="ignore", invalid="ignore"):  # how far out: orders of magnitude
            size = np.log10(np.abs(values) + 1.0)
        for j in np.flatnonzero(hit).tolist():
            evidence[j][spec.code] = {
                "value": _plain(values[j]),
                "plausible_min": spec.plausible_min,
                "plausible_max": spec.plausible_max,
            }
            if size[j] > biggest[j]:
                biggest[j], names[j], value[j] = size[j], spec.code, values[j]
    return names, value, evidence


def _jump_evidence(rule: Rule, kpis: KpiTable, ui, pi):
    """Each watched figure that jumped: its two values, the ratio and the power of ten
    it is closest to (the likely slip); the alert names the biggest jump, either way."""
    periods = kpis.periods
    n = len(ui)
    names = np.full(n, None, dtype=object)
    biggest = np.zeros(n)
    evidence: list[dict[Any, Any]] = [{} for _ in range(n)]
    min_ratio = cast(float, rule.min_ratio)
    for name in rule.fields:
        values = kpis.raw(name)
        ratio = _jump(values)[ui, pi]
        with np.errstate(invalid="ignore", divide="ignore"):
            hit = (ratio >= min_ratio) | (ratio <= 1.0 / min_ratio)
            size = np.abs(np.log(ratio))
        for j in np.flatnonzero(hit).tolist():
            evidence[j][name] = {
                int(periods[pi[j] - 1]): _plain(values[ui[j], pi[j] - 1]),
                int(periods[pi[j]]): _plain(values[ui[j], pi[j]]),
                "ratio": _plain(ratio[j]),
                "factor": _plain(10.0 ** np.round(np.log10(ratio[j]))),
            }
            if size[j] > biggest[j]:
                biggest[j], names[j] = size[j], name
    value = np.array([e[k]["ratio"] for e, k in zip(evidence, names, strict=True)], dtype=float)
    return names, value, evidence


def _threshold_evidence(rule: Rule, kpis: KpiTable, ui, pi, run):
    """The KPI over the streak, and the reported figures it is computed from over the
    streak and the periods before it that the KPI looks back on."""
    kpi = cast(str, rule.kpi)
    spec = KPIS[kpi]
    grid = kpis.grid(kpi)
    back = max(spec.lag if spec.lag >= 0 else kpis.kpis.cagr_span, 0)
    labels = kpis.periods.tolist()
    # whole rows as Python lists in one C call each; the dicts then only pick items
    series = [(kpi, grid[ui].tolist(), 0)]
    series += [
        (name, kpis.raw(name)[ui].tolist(), back) for name in spec.inputs if name in RAW_FIELDS
    ]
    first = (pi - run + 1).tolist()
    last = (pi + 1).tolist()
    evidence = []
    for i in range(len(ui)):
        item = {}
        for name, rows, extra in series:
            row = rows[i]
            item[name] = {
                labels[t]: (row[t] if row[t] == row[t] else None)
                for t in range(max(first[i] - extra, 0), last[i])
            }
        evidence.append(item)
    return np.full(len(ui), kpi, dtype=object), grid[ui, pi], evidence


# --- loading -------------------------------------------------------------------------


def load_rules(path: str | Path | None = None) -> RuleSet:
    """The rules of a YAML file; the bundled ``alert_rules.yaml`` when ``path`` is None."""
    text, source = read(path, BUNDLED_RULES, "alert rule file", "پروندهٔ قواعد هشدار")
    return loads_rules(text, source=source)


def loads_rules(text: str, *, source: str | None = None) -> RuleSet:
    """Rules from YAML text; :class:`MonitorConfigError` lists every problem, each
    with the rule's code, the line and an English and a Persian message."""
    data = parse(text, source, MonitorConfigError)
    file = config.read(
        RulesFile,
        {} if data is None else data,
        text,
        source,
        error=MonitorConfigError,
        named=("rules",),
    )
    return RuleSet(
        tuple(rule.rule() for rule in file.rules),
        text,
        hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source,
        file.version,
    )


def _one_of(options: Callable[[], Iterable[str]], what_en: str, what_fa: str) -> AfterValidator:
    """Each name of a list among ``options()``, every stranger located."""

    def check(names: tuple[str, ...]) -> tuple[str, ...]:
        known = list(options())
        shown = ", ".join(known)
        wrong = [
            InitErrorDetails(
                type=config.fail(f"'{name}' {what_en}{shown}", f"«{name}» {what_fa}{shown}"),
                loc=(j,),
                input=name,
            )
            for j, name in enumerate(names)
            if name not in known
        ]
        if wrong:
            raise ValidationError.from_exception_data("fields", wrong)
        return names

    return AfterValidator(check)


class RuleFile(Section):
    """One rule; its ``check`` decides which of the classes below reads it."""

    NOT_MAPPING = (
        "must be a mapping (code, name, severity, …)",
        "باید نگاشت باشد (code، name، severity و …)",
    )
    FALLBACK: ClassVar[dict[str, Any]] = {
        "code": "",
        "name": "",
        "severity": "medium",
        "kpi": "",
        "fields": (),
        "min_ratio": 1000.0,
    }

    code: String
    name: TextField
    description: TextField | None = None
    severity: Annotated[str, choice(SEVERITIES)]
    check: str = "threshold"
    periods: Annotated[int, integer(1)] = 1
    unless: StringList = ()

    @classmethod
    def variant(cls, data):
        if cls is not RuleFile:
            return cls
        check = data.get("check", "threshold")
        if check not in CHECKS:
            raise ValidationError.from_exception_data(
                "check",
                [
                    refuse(
                        ("check",),
                        f"'{check}' is not one of: {', '.join(CHECKS)}",
                        f"«{check}» مجاز نیست؛ یکی از این‌ها: {', '.join(CHECKS)}",
                        check,
                    )
                ],
            )
        return _RULES[check]

    @classmethod
    def unknown(cls, data, keys):
        check = data.get("check", "threshold")
        allowed = ", ".join(cls.written_keys())
        elsewhere = {k for rule in _RULES.values() for k in rule.written_keys()}
        return [
            refuse(
                (key,),
                f"'{key}' does not apply to check '{check}'",
                f"«{key}» برای بررسی «{check}» کاربرد ندارد",
                key,
            )
            if key in elsewhere
            else refuse(
                (key,),
                f"unknown key '{key}'; expected one of: {allowed}",
                f"کلید ناشناختهٔ «{key}»؛ کلیدهای مجاز: {allowed}",
                key,
            )
            for key in keys
        ]

    @classmethod
    def checks(cls, data, section, info, clean):
        if section.code and not section.code.replace("_", "").isalnum():
            yield refuse(
                ("code",), "must be letters, digits and underscores", "باید از حروف، رقم و _ باشد"
            )

    def rule(self) -> Rule:
        values = {k: v for k, v in self.__dict__.items() if k in _RULE_FIELDS}
        return Rule(**values)


_RULE_FIELDS = {f.name for f in fields(Rule)}


class MissingReturnRule(RuleFile):
    pass


class ThresholdRule(RuleFile):
    kpi: String
    below: Number | None = None
    above: Number | None = None
    at_most: Number | None = None
    at_least: Number | None = None

    @classmethod
    def checks(cls, data, section, info, clean):
        yield from super().checks(data, section, info, clean)
        kpi = section.kpi
        if kpi and kpi not in KPIS:
            yield refuse(
                ("kpi",),
                f"'{kpi}' is not a KPI; known KPIs: {', '.join(KPIS)}",
                f"«{kpi}» شاخص پایش شناخته‌شده‌ای نیست؛ شاخص‌های موجود: {', '.join(KPIS)}",
            )
        elif kpi and KPIS[kpi].kind != "number":
            yield refuse(
                ("kpi",),
                f"'{kpi}' is a category, not a number; use a numeric KPI (e.g. altman_z2)",
                f"«{kpi}» رده است نه عدد؛ شاخصی عددی (مانند altman_z2) به کار ببرید",
            )
        yield from _check_bounds(data, section)


class UnitJumpRule(RuleFile):
    fields: Annotated[
        StringList,
        _one_of(
            lambda: RAW_FIELDS,
            "is not a reported figure; known: ",
            "از ارقام اظهارنامه نیست؛ ارقام موجود: ",
        ),
    ]
    min_ratio: Annotated[float, number(1, strict_low=True)]

    @classmethod
    def checks(cls, data, section, info, clean):
        yield from super().checks(data, section, info, clean)
        if data.get("fields") == []:
            yield refuse(
                ("fields",), "must list at least one figure", "دست‌کم یک رقم باید نام برده شود"
            )


class ImplausibleRule(RuleFile):
    fields: Annotated[
        StringList,
        _one_of(
            _plausible_specs,
            "has no plausible bounds in the indicator catalogue; ones that do: ",
            "در فهرست شاخص‌ها کران باورپذیر ندارد؛ ارقامی که دارند: ",
        ),
    ] = ()


_RULES: dict[str, type[RuleFile]] = {
    "threshold": ThresholdRule,
    "missing_return": MissingReturnRule,
    "unit_jump": UnitJumpRule,
    "implausible": ImplausibleRule,
}


RULES_LIST = ("must be a non-empty list of rules", "باید فهرستی ناتهی از قواعد باشد")


class RulesFile(Section):
    """A rule file; :meth:`checks` holds what refers from rule to rule."""

    NOT_MAPPING_READ_EMPTY = True
    FALLBACK: ClassVar[dict[str, Any]] = {"rules": []}
    MISSING: ClassVar[dict[str, tuple[str, str]]] = {"rules": RULES_LIST}

    version: String = ""
    rules: Annotated[tuple[RuleFile, ...], listed(*RULES_LIST)]
    description: Any = None

    @classmethod
    def checks(cls, data, section, info, clean):
        items = data.get("rules") if isinstance(data.get("rules"), list) else []
        named = {item.get("code") for item in items if isinstance(item, dict)}
        codes = []
        for i, rule in enumerate(section.rules):
            if rule.code in codes:
                yield refuse(
                    ("rules", i, "code"),
                    f"the code '{rule.code}' is used by another rule",
                    f"کد «{rule.code}» را قاعدهٔ دیگری هم دارد",
                )
            codes.append(rule.code)
            for j, other in enumerate(rule.unless):
                if other not in named:
                    yield refuse(
                        ("rules", i, "unless", j),
                        f"'{other}' is not the code of a rule in this file",
                        f"«{other}» کد هیچ قاعده‌ای در این پرونده نیست",
                    )
                elif other == rule.code:
                    yield refuse(
                        ("rules", i, "unless", j),
                        "a rule cannot silence itself",
                        "قاعده نمی‌تواند خودش را خاموش کند",
                    )


def _check_bounds(data: dict, rule: ThresholdRule):
    present = [b for b in BOUNDS if b in data]
    if not present:
        yield refuse(
            ("below",),
            "a threshold rule needs a bound: below, above, at_most or at_least",
            "قاعدهٔ آستانه‌ای به یک کران نیاز دارد: below، above، at_most یا at_least",
        )
        return
    for a, b in (("below", "at_most"), ("above", "at_least")):
        if a in data and b in data:
            yield refuse((b,), f"give either {a} or {b}, not both", f"یا {a} یا {b}، نه هر دو")
    bounds = {b: getattr(rule, b) for b in BOUNDS}
    upper = next((bounds[b] for b in ("below", "at_most") if bounds[b] is not None), None)
    lower = next((bounds[b] for b in ("above", "at_least") if bounds[b] is not None), None)
    if upper is not None and lower is not None and not lower < upper:
        yield refuse(
            (),
            f"the bounds leave nothing between them ({lower:g} and {upper:g})",
            f"میان کران‌ها ({lower:g} و {upper:g}) مقداری نمی‌ماند",
        )
