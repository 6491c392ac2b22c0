"""From gaps and alerts to needs: which support programme each enterprise needs, and
the needs matrix by province, estate, cluster and sector.

The ministry wants the ranking to show what each enterprise lacks (finance and
resources first, then technology, standards, exports, innovation, skills) so that
support is aimed where it is missing. Which gap points at which programme is a policy
judgement, so it lives in a YAML mapping (``data/needs.yaml``), checked on load like
the rule file: each programme lists *triggers*, either an indicator condition on the
peer comparison (percentile below 25, behind the peer median, a value of zero …) or
an alert rule firing.

An enterprise's score for a programme is the weighted sum of its triggers that fire;
a percentile trigger counts more the further behind the enterprise is
(``(threshold − percentile) / threshold``, between 0 and 1), any other trigger counts
1. Its needs are the programmes whose score exceeds ``min_score``, highest first (ties in the
order of the file), at most ``max_needs`` of them, each with its evidence. The needs
matrix counts those lists, so its sums reconcile with the enterprise-level needs.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rasad.errors import RasadInputError
from rasad.index.methodology import Text
from rasad.iran.geo import isic, provinces
from rasad.iran.text import to_persian_digits
from rasad.monitor._config import finish, item_path, parse, read
from rasad.monitor._rows import objects, records
from rasad.monitor.kpis import KPIS
from rasad.monitor.peers import PeerGaps, level_name
from rasad.monitor.rules import BOUNDS, Alerts, load_rules

BUNDLED_NEEDS = "needs.yaml"
BEHIND = ("median", "top_quartile")
_TRIGGER_KEYS = ("indicator", "alert", "percentile_below", "behind", *BOUNDS, "weight")
DIMENSIONS = {"province": "province_code", "estate": "estate_code", "sector": "division",
              "section": "section", "cluster": "cluster_code"}
_NONE_LABELS = {
    "estate_code": ("خارج از شهرک‌های صنعتی", "outside any industrial estate"),
    "cluster_code": ("خارج از خوشه‌ها", "outside any cluster"),
}
_UNKNOWN = ("نامعلوم", "unknown")


def _bad(en: str, fa: str, field: str | None = None, value=None) -> RasadInputError:
    return RasadInputError(en, fa, field=field, value=value)


@dataclass(frozen=True)
class Trigger:
    """One reason to need a programme: an ``indicator`` condition on the peer
    comparison (all given conditions must hold) or an ``alert`` rule firing."""

    indicator: str | None = None
    alert: str | None = None
    percentile_below: float | None = None
    behind: str | None = None  # "median" or "top_quartile": strictly behind it
    below: float | None = None
    above: float | None = None
    at_most: float | None = None
    at_least: float | None = None
    weight: float = 1.0

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
class NeedsMapping:
    """The programmes of one mapping file, with its text and SHA-256."""

    programmes: tuple[Programme, ...]
    max_needs: int = 3
    min_score: float = 0.0  # a programme is needed when its score exceeds this
    text: str = ""
    sha256: str = ""
    source: str | None = None

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.programmes]

    def assess(self, gaps: PeerGaps, alerts: Alerts | None = None, *, period: int | None = None) -> Needs:
        """The needs of every row of ``gaps`` (an enterprise in a period).

        Alert triggers read ``alerts`` for the row's period (the ``period`` column of
        the gaps' keys, or ``period`` when the gaps have none). Triggers naming an
        indicator that was not compared, or an alert when ``alerts`` is None, cannot
        fire; they are listed in :attr:`Needs.skipped`.
        """
        return Needs(self, gaps, alerts, period)


# --- assessing -----------------------------------------------------------------------


class Needs:
    """Needs of every enterprise (and period) of a peer comparison.

    :attr:`scores` is rows × programmes; :meth:`needed` says which rows have a
    programme in their list; :meth:`table` is the ranked lists, :meth:`evidence` the
    values behind them (:meth:`explained` in words); :meth:`matrix` the counts by
    province, estate, cluster or sector; :meth:`to_excel` writes them with Persian and
    English headers.
    """

    def __init__(self, mapping: NeedsMapping, gaps: PeerGaps, alerts: Alerts | None, period: int | None):
        self.mapping = mapping
        self.gaps = gaps
        self.alerts = alerts
        self.unit = gaps.groups.unit
        keys = gaps.keys
        period_column = gaps.groups.period
        self.period = period_column if period_column is not None and period_column in keys.columns else None
        n, m = len(keys), len(mapping.programmes)
        self.skipped: list[tuple[str, str]] = []
        alert_rows = self._alert_rows(period) if alerts is not None else None
        self.scores = np.zeros((n, m))
        self._fired: list[list[tuple[Trigger, np.ndarray]]] = []
        for k, programme in enumerate(mapping.programmes):
            fired_here = []
            for trigger in programme.triggers:
                hit, strength = self._trigger(trigger, alert_rows)
                if hit is None:
                    self.skipped.append((programme.code, trigger.label))
                    continue
                self.scores[:, k] += np.where(hit, trigger.weight * strength, 0.0)
                fired_here.append((trigger, hit))
            self._fired.append(fired_here)
        # stable sort by score, highest first: ties keep the file's order of programmes
        order = np.argsort(-self.scores, axis=1, kind="stable")[:, : mapping.max_needs]
        ranked_scores = np.take_along_axis(self.scores, order, axis=1)
        self.ranked = np.where(ranked_scores > mapping.min_score, order, -1)
        self._needed = np.zeros((n, m), dtype=bool)
        rows, ranks = np.nonzero(self.ranked >= 0)
        self._needed[rows, self.ranked[rows, ranks]] = True

    def _alert_rows(self, period):
        kpis = self.alerts.kpis
        keys = self.gaps.keys
        ui = kpis.units.get_indexer(keys[self.unit])
        if self.period is not None:
            periods = keys[self.period].to_numpy(dtype=np.int64)
        elif period is not None:
            periods = np.full(len(keys), int(period))
        else:
            raise _bad("The peer comparison has no period column: say which period's alerts to use.",
                       "مقایسه با همتایان ستون دوره ندارد: بگویید هشدارهای کدام دوره به کار رود.", "period")
        pi = periods - kpis.periods[0]
        valid = (ui >= 0) & (pi >= 0) & (pi < len(kpis.periods))
        return ui, pi, valid

    def _trigger(self, t: Trigger, alert_rows):
        if t.alert is not None:
            if alert_rows is None or t.alert not in self.alerts.rules.codes:
                return None, None
            ui, pi, valid = alert_rows
            fired = self.alerts.fired(t.alert)
            hit = np.zeros(len(ui), dtype=bool)
            hit[valid] = fired[ui[valid], pi[valid]]
            return hit, 1.0
        if t.indicator not in self.gaps.indicators:
            return None, None
        j = self.gaps.column(t.indicator)
        value = self.gaps.measure("value")[:, j]
        hit = ~np.isnan(value)
        strength = np.ones(len(value))
        with np.errstate(invalid="ignore"):
            if t.percentile_below is not None:
                percentile = self.gaps.measure("percentile")[:, j]
                hit &= percentile < t.percentile_below
                strength = np.clip((t.percentile_below - percentile) / t.percentile_below, 0.0, 1.0)
            if t.behind is not None:
                hit &= self.gaps.gap("gap_to_median" if t.behind == "median" else "gap_to_top_quartile", j) > 0
            for bound, test in (("below", np.less), ("above", np.greater),
                                ("at_most", np.less_equal), ("at_least", np.greater_equal)):
                if getattr(t, bound) is not None:
                    hit &= test(value, getattr(t, bound))
        return hit, np.where(hit, strength, 0.0)

    # -- results ---------------------------------------------------------------------------

    def needed(self, programme: str) -> np.ndarray:
        """Rows (enterprise × period) whose list of needs includes ``programme``."""
        return self._needed[:, self._programme_index(programme)]

    def _programme_index(self, programme: str) -> int:
        try:
            return self.mapping.codes.index(programme)
        except ValueError:
            raise _bad(f"{programme!r} is not a programme of the mapping: {', '.join(self.mapping.codes)}.",
                       f"«{programme}» برنامهٔ این نگاشت نیست: {', '.join(self.mapping.codes)}.", "programme",
                       programme) from None

    def _selected(self, unit) -> np.ndarray | None:
        """The row positions of ``unit`` (None: every row)."""
        return None if unit is None else self.gaps.rows_of(unit)

    def table(self, *, unit=None) -> pd.DataFrame:
        """The ranked needs, one row per enterprise (× period) and need: the unit (and
        period) column, ``rank`` (1 = most needed), ``programme``, its ``name_fa`` and
        ``name_en``, ``score`` and ``triggers`` (how many of the programme's triggers
        fired). :meth:`evidence` holds the values behind each need. With ``unit``,
        only that unit's rows, as filtering the whole table would give them."""
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
        count = np.zeros(len(rows), dtype=np.int64)
        for k, fired in enumerate(self._fired):
            mine = codes == k
            for _, hit in fired:
                count[mine] += hit[rows[mine]]
        columns["triggers"] = count
        return columns

    def _keys(self, rows: np.ndarray) -> dict:
        keys = self.gaps.keys
        return {c: keys[c].array.take(rows) for c in (self.unit, self.period) if c is not None}

    def evidence(self, *, unit=None) -> pd.DataFrame:
        """The evidence of every need in the ranked lists, one row per trigger that
        fired: the unit (and period), ``programme``, ``trigger`` (the indicator code,
        or ``alert:<rule>``), ``alert`` (the rule, for alert triggers), and for
        indicator triggers the enterprise's ``value``, ``percentile``,
        ``peer_median``, ``peer_top_quartile``, ``peers`` and ``peer_level``. With
        ``unit``, only that unit's rows."""
        return pd.DataFrame(self._evidence_columns(unit))

    def _evidence_columns(self, unit) -> dict:
        g = self.gaps
        selected = self._selected(unit)
        labels = [t.label for fired in self._fired for t, _ in fired]
        programme_of = [k for k, fired in enumerate(self._fired) for _ in fired]
        column_of = [g.column(t.indicator) if t.indicator is not None else -1
                     for fired in self._fired for t, _ in fired]
        alert_of = [t.alert for fired in self._fired for t, _ in fired]
        if selected is None:
            pieces = [np.flatnonzero(hit & self._needed[:, k])
                      for k, fired in enumerate(self._fired) for _, hit in fired]
        else:
            pieces = [selected[hit[selected] & self._needed[selected, k]]
                      for k, fired in enumerate(self._fired) for _, hit in fired]
        rows = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.intp)
        which = np.repeat(np.arange(len(pieces)), [len(p) for p in pieces])
        j = np.asarray(column_of, dtype=np.intp)[which] if pieces else np.zeros(0, dtype=np.intp)
        is_indicator = j >= 0
        jj = np.maximum(j, 0)
        columns = self._keys(rows)
        columns["programme"] = pd.Categorical.from_codes(np.asarray(programme_of, dtype=np.int64)[which]
                                                         if pieces else [], categories=self.mapping.codes)
        columns["trigger"] = pd.Categorical.from_codes(which, categories=list(dict.fromkeys(labels))) \
            if len(set(labels)) == len(labels) else np.asarray(labels, dtype=object)[which]
        columns["alert"] = np.asarray(alert_of, dtype=object)[which] if pieces else np.zeros(0, dtype=object)
        for m in ("value", "percentile", "peer_median", "peer_top_quartile"):
            columns[m] = np.where(is_indicator, g.measure(m)[rows, jj], np.nan)
        columns["peers"] = np.where(is_indicator, g.measure("peers")[rows, jj], 0).astype(np.int64)
        levels = np.array(["+".join(level) for level in g.groups.levels] + [""], dtype=object)
        level = np.where(is_indicator, g.level_index()[rows, jj], -1)
        columns["peer_level"] = levels[level]
        return columns

    def explained(self, *, unit=None) -> pd.DataFrame:
        """:meth:`table` with ``evidence_fa`` and ``evidence_en``: each need's
        evidence in words, e.g. "Credit access 0.12: percentile 8 of 45 peers (ISIC
        division × size band), median 0.55; alert: Altman Z'' in the distress zone".
        With ``unit``, only that unit's needs (what a page about one enterprise shows,
        without putting every enterprise's evidence into words)."""
        return pd.DataFrame(self._explained_columns(unit))

    def records(self, unit) -> list[dict]:
        """One unit's rows of :meth:`explained` as ``to_dict("records")`` gives them,
        without building a frame (what a page about one enterprise reads)."""
        columns = self._explained_columns(unit)
        return records(list(columns), [objects(v) for v in columns.values()])

    def _explained_columns(self, unit) -> dict:
        table = self._table_columns(unit)
        evidence = self._evidence_columns(unit)
        rules = {} if self.alerts is None else {r.code: r.name for r in self.alerts.rules.rules}
        keys = [c for c in (self.unit, self.period) if c is not None] + ["programme"]
        fields = ["trigger", "alert", "value", "percentile", "peer_median", "peers", "peer_level"]
        grouped: dict[tuple, list[dict]] = {}
        for values in zip(*(objects(evidence[c]) for c in keys + fields), strict=True):
            grouped.setdefault(values[: len(keys)], []).append(dict(zip(fields, values[len(keys):], strict=True)))
        index = list(zip(*(objects(table[c]) for c in keys), strict=True))
        table["evidence_fa"] = np.array([_words(grouped.get(k, []), "fa", rules) for k in index], dtype=object)
        table["evidence_en"] = np.array([_words(grouped.get(k, []), "en", rules) for k in index], dtype=object)
        return table

    def employees(self) -> np.ndarray:
        """Employees of each row (0 where unknown), as the matrix adds them up."""
        if "employees" not in self.gaps.keys.columns:
            return np.zeros(len(self.gaps.keys))
        return np.nan_to_num(self.gaps.keys["employees"].to_numpy(dtype=np.float64, na_value=np.nan))

    def matrix(self, by: str = "province", *, members: pd.DataFrame | None = None,
               names: pd.DataFrame | None = None) -> pd.DataFrame:
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
        Columns: the key, ``name_fa``, ``name_en``, ``enterprises`` and ``employees``
        (all in the cell), ``any_enterprises``/``any_employees`` (with at least one
        need), then ``<programme>_enterprises`` and ``<programme>_employees``.
        """
        column = DIMENSIONS.get(by, by)
        keys = self.gaps.keys
        rows = np.arange(len(keys))
        if column == "cluster_code":
            if members is None or not {"cluster_code", self.unit} <= set(members.columns):
                raise _bad(f"The needs matrix by cluster needs the cluster members (cluster_code, {self.unit}).",
                           f"ماتریس نیازها بر حسب خوشه به فهرست اعضای خوشه‌ها (cluster_code، {self.unit}) نیاز دارد.",
                           "members")
            links = pd.DataFrame({self.unit: keys[self.unit].array, "_row": rows}).merge(
                members[[self.unit, "cluster_code"]].drop_duplicates(), on=self.unit, how="left")
            rows, cell = links["_row"].to_numpy(), links["cluster_code"]
        elif column in keys.columns:
            cell = keys[column]
        else:
            raise _bad(f"Cannot break needs down by {by!r}: the comparison has no column {column!r}.",
                       f"نیازها را نمی‌توان بر حسب «{by}» تفکیک کرد: ستون «{column}» در داده نیست.", "by", by)
        # one integer code per cell (period × value, missing values their own cell),
        # then every count is a bincount
        cell = pd.Series(cell.array) if column == "cluster_code" else pd.Series(cell.array.take(rows))
        cell_codes, cell_values = pd.factorize(cell, use_na_sentinel=False)
        if self.period is not None:
            period_codes, period_values = pd.factorize(pd.Series(keys[self.period].array.take(rows)))
            combined = period_codes.astype(np.int64) * len(cell_values) + cell_codes
        else:
            combined = cell_codes.astype(np.int64)
        present, codes = np.unique(combined, return_inverse=True)
        uniques = pd.DataFrame({column: np.asarray(cell_values, dtype=object)[present % len(cell_values)]})
        if self.period is not None:
            uniques.insert(0, self.period, np.asarray(period_values)[present // len(cell_values)])
        size = len(uniques)
        employees = self.employees()[rows]
        needed = self._needed[rows]
        anything = needed.any(axis=1)
        columns = {"enterprises": np.bincount(codes, minlength=size),
                   "employees": np.bincount(codes, weights=employees, minlength=size),
                   "any_enterprises": np.bincount(codes, weights=anything, minlength=size).astype(np.int64),
                   "any_employees": np.bincount(codes, weights=employees * anything, minlength=size)}
        for k, code in enumerate(self.mapping.codes):
            columns[f"{code}_enterprises"] = np.bincount(codes, weights=needed[:, k], minlength=size).astype(np.int64)
            columns[f"{code}_employees"] = np.bincount(codes, weights=employees * needed[:, k], minlength=size)
        index = uniques
        values = index[column].astype(object)
        index[column] = values.where(values.notna(), None)
        labels = _labels(column, index[column], names)
        index["name_fa"], index["name_en"] = labels
        matrix = pd.concat([index, pd.DataFrame(columns)], axis=1)
        order = [c for c in (self.period, column) if c is not None]
        return matrix.sort_values(order, na_position="last", ignore_index=True)

    def headers(self, columns) -> list[tuple[str, str]]:
        """(Persian, English) header of each column of :meth:`table` or :meth:`matrix`."""
        names = {p.code: p.name for p in self.mapping.programmes}
        out = []
        for column in columns:
            if column in _HEADERS:
                out.append(_HEADERS[column])
                continue
            code, _, what = column.rpartition("_")
            if code in names and what in ("enterprises", "employees"):
                fa_what, en_what = _HEADERS[what]
                out.append((f"{names[code].fa}: {fa_what}", f"{names[code].en}: {en_what}"))
            else:
                out.append((column, column))
        return out

    def to_excel(self, path: str | Path, *, by=("province", "estate", "cluster", "sector"),
                 members: pd.DataFrame | None = None, estates: pd.DataFrame | None = None,
                 clusters: pd.DataFrame | None = None) -> Path:
        """An Excel workbook: one needs-matrix sheet per dimension of ``by`` and an
        ``enterprises`` sheet with each enterprise's ranked needs and evidence. Each
        sheet has two header rows, Persian then English. ``cluster`` is skipped when
        ``members`` is not given."""
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        for dimension in by:
            if dimension == "cluster" and members is None:
                continue
            names = estates if dimension == "estate" else clusters if dimension == "cluster" else None
            _sheet(workbook, f"needs by {dimension}", self.matrix(dimension, members=members, names=names),
                   self.headers)
        _sheet(workbook, "enterprises", self.explained(), self.headers)
        path = Path(path)
        workbook.save(path)
        return path


_HEADERS = {
    "national_id": ("شناسه ملی", "National ID"), "year": ("سال", "Year"), "period": ("دوره", "Period"),
    "rank": ("اولویت", "Rank"), "programme": ("کد برنامه", "Programme code"),
    "name_fa": ("نام (فارسی)", "Name (Persian)"), "name_en": ("نام (انگلیسی)", "Name (English)"),
    "score": ("امتیاز نیاز", "Need score"), "triggers": ("شمار محرک‌ها", "Triggers fired"), "evidence_fa": ("شواهد", "Evidence (Persian)"),
    "evidence_en": ("شواهد (انگلیسی)", "Evidence"),
    "province_code": ("کد استان", "Province code"), "estate_code": ("کد شهرک", "Estate code"),
    "cluster_code": ("کد خوشه", "Cluster code"), "division": ("قسمت ISIC", "ISIC division"),
    "section": ("بخش ISIC", "ISIC section"),
    "enterprises": ("تعداد بنگاه‌ها", "enterprises"), "employees": ("تعداد شاغلان", "employees"),
    "any_enterprises": ("بنگاه‌های دارای نیاز", "Enterprises with a need"),
    "any_employees": ("شاغلان بنگاه‌های دارای نیاز", "Employees of enterprises with a need"),
}


def _sheet(workbook, title: str, frame: pd.DataFrame, headers) -> None:
    sheet = workbook.create_sheet(title[:31])
    labels = headers(frame.columns)
    sheet.append([fa for fa, _ in labels])
    sheet.append([en for _, en in labels])
    for row in frame.itertuples(index=False, name=None):
        sheet.append([_cell(v) for v in row])


def _cell(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NA:
        return None
    return value


@functools.cache
def _isic_titles() -> pd.DataFrame:
    table = isic()
    return table[table["level"].isin(["section", "division"])].set_index("code")[["title_fa", "title_en"]]


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
    text = f"{x:.3g}"
    return to_persian_digits(text).replace(".", "٫") if language == "fa" else text


def _words(evidence: list[dict], language: str, rules: dict[str, Text]) -> str:
    fa = language == "fa"
    parts = []
    for item in evidence:
        if isinstance(item.get("alert"), str):
            name = rules[item["alert"]].get(language) if item["alert"] in rules else item["alert"]
            parts.append(("هشدار: " if fa else "alert: ") + name)
            continue
        code = item["trigger"]
        name = KPIS[code].name(language) if code in KPIS else code
        level = level_name(item["peer_level"], language) if item["peer_level"] else ""
        if fa:
            parts.append(f"{name} {_number(item['value'], 'fa')}: صدک {_number(item['percentile'], 'fa')} "
                         f"در میان {to_persian_digits(str(item['peers']))} همتا ({level})، "
                         f"میانه {_number(item['peer_median'], 'fa')}")
        else:
            parts.append(f"{name} {_number(item['value'], 'en')}: percentile {_number(item['percentile'], 'en')} "
                         f"of {item['peers']} peers ({level}), median {_number(item['peer_median'], 'en')}")
    return "؛ ".join(parts) if fa else "; ".join(parts)


# --- loading -------------------------------------------------------------------------


def load_needs(path: str | Path | None = None, *, indicators=None, alert_rules=None) -> NeedsMapping:
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


def loads_needs(text: str, *, source: str | None = None, indicators=None, alert_rules=None) -> NeedsMapping:
    """A needs mapping from YAML text; :class:`MonitorConfigError` lists every problem
    with the programme's code and the line."""
    known_indicators = set(KPIS) | _sme100_codes() if indicators is None else set(indicators)
    known_alerts = set(load_rules().codes if alert_rules is None else
                       (alert_rules.codes if hasattr(alert_rules, "codes") else alert_rules))
    data, r = parse(text, source, ("programmes",))
    top = r.mapping(data, "", ("version", "max_needs", "min_score", "programmes", "description"))
    max_needs = r.optional(top, "max_needs", "", lambda v, p: r.integer(v, p, low=1), 3) or 3
    min_score = r.optional(top, "min_score", "", lambda v, p: r.number(v, p, low=0), 0.0) or 0.0
    items = top.get("programmes")
    if not isinstance(items, list) or not items:
        r.problem("programmes", "must be a non-empty list of programmes", "باید فهرستی ناتهی از برنامه‌ها باشد")
        items = []
    programmes = []
    for i, item in enumerate(items):
        path = item_path("programmes", i, item)
        if not isinstance(item, dict):
            r.problem(path, "must be a mapping (code, name, triggers)", "باید نگاشت باشد (code، name، triggers)")
            continue
        r.mapping(item, path, ("code", "name", "description", "triggers"))
        code = r.required(item, "code", path, r.string, "")
        name = r.required(item, "name", path, r.text, Text("", ""))
        description = r.optional(item, "description", path, r.text, None)
        triggers = []
        raw = item.get("triggers")
        if not isinstance(raw, list) or not raw:
            r.problem(f"{path}.triggers", "must be a non-empty list of triggers", "باید فهرستی ناتهی از محرک‌ها باشد")
            raw = []
        for j, t in enumerate(raw):
            trigger = _trigger(r, t, f"{path}.triggers[{j}]", known_indicators, known_alerts)
            if trigger is not None:
                triggers.append(trigger)
        if code in [p.code for p in programmes]:
            r.problem(f"{path}.code", f"the code '{code}' is used by another programme",
                      f"کد «{code}» را برنامهٔ دیگری هم دارد")
        programmes.append(Programme(code, name, tuple(triggers), description))
    finish(r, source)
    return NeedsMapping(tuple(programmes), max_needs, min_score, text, hashlib.sha256(text.encode("utf-8")).hexdigest(),
                        source)


def _trigger(r, item, path, known_indicators, known_alerts) -> Trigger | None:
    data = r.mapping(item, path, _TRIGGER_KEYS)
    if not isinstance(item, dict):
        return None
    indicator = r.optional(data, "indicator", path, r.string, None)
    alert = r.optional(data, "alert", path, r.string, None)
    if (indicator is None) == (alert is None):
        r.problem(path, "give either an indicator or an alert", "یا indicator بدهید یا alert")
        return None
    weight = r.optional(data, "weight", path, lambda v, p: r.number(v, p, low=0, strict_low=True), 1.0) or 1.0
    if alert is not None:
        extra = [k for k in data if k not in ("alert", "weight")]
        for key in extra:
            r.problem(f"{path}.{key}", f"'{key}' does not apply to an alert trigger",
                      f"«{key}» برای محرک هشدار کاربرد ندارد")
        if alert not in known_alerts:
            r.problem(f"{path}.alert", f"'{alert}' is not an alert rule; known: {', '.join(sorted(known_alerts))}",
                      f"«{alert}» قاعدهٔ هشدار شناخته‌شده‌ای نیست؛ قواعد موجود: {', '.join(sorted(known_alerts))}")
        return Trigger(alert=alert, weight=weight)
    if indicator not in known_indicators:
        r.problem(f"{path}.indicator", f"'{indicator}' is not a known indicator or KPI",
                  f"«{indicator}» شاخص یا شاخص پایش شناخته‌شده‌ای نیست")
    percentile = r.optional(data, "percentile_below", path,
                            lambda v, p: r.number(v, p, low=0, high=100, strict_low=True))
    behind = r.optional(data, "behind", path, r.choice(BEHIND), None)
    bounds = {b: r.optional(data, b, path, r.number) for b in BOUNDS}
    if percentile is None and behind is None and all(v is None for v in bounds.values()) and not any(
            k in data for k in ("percentile_below", "behind", *BOUNDS)):
        r.problem(path, "an indicator trigger needs a condition: percentile_below, behind or a bound",
                  "محرک شاخص به یک شرط نیاز دارد: percentile_below، behind یا یک کران")
    return Trigger(indicator=indicator, percentile_below=percentile, behind=behind, weight=weight, **bounds)
