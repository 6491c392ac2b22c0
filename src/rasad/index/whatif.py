"""What it would take: one unit's path into the top of a ranking, as a what-if on the
very methodology and data the ranking was built from (issue 18).

"Had you reported X, you would have ranked Y" is answered by rebuilding the whole index
with the unit's changed figures, never by an approximation: within-group normalisation
and the rescale step make one unit's value move other units' scores through their
group's statistics, which only a rebuild sees.

The suggestions stay within what the unit's peers show. Its peers for an indicator are
the other units of its reference group as the normalisation step uses it (its sector in
SME-100; the small sectors pooled), and an indicator is never moved past the peers'
``quantile`` (the 90th percentile by default; the 10th where lower is better), taken as
a value some peer actually has (a count stays a whole number, a yes/no stays 0 or 1).
Only indicators read from one reported figure are moved (numerators of ratios, with the
unit's own denominator held): never a derived column (real growth, Altman Z'', value
added…), a denominator or an eligibility column. A figure that also feeds a derived
column the methodology reads (EBIT into Altman Z'') moves that column too, recomputed
as the input table computes it.

The search (every step verified by a rebuild):

1. each movable indicator's largest gain, estimated as its effective weight times the
   normalised score of the peer at the bound minus its own, orders the indicators;
2. the fewest of them, in that order, that moved to the bound reach the target rank
   (bisection: moving more indicators up never costs a place);
3. then the lowest common peer percentile (from the median up, in steps of 5) that
   still reaches it, and indicator by indicator (smallest gain first) whether it can be
   dropped or lowered further.

When even every movable indicator at its bound misses the target, the path says so
(``reachable`` False), with the best rank within the bounds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rasad.index.inputs import ALTMAN_INPUTS, DERIVED, DERIVED_FROM, altman_z2
from rasad.index.methodology import Methodology
from rasad.index.pipeline import build, reference_groups
from rasad.index.results import Results

QUANTILE = 0.9
STEP = 0.05
# the derived columns a what-if recomputes from the figures it changed, as sme_inputs does
RECOMPUTED = {"altman_z2": (ALTMAN_INPUTS, altman_z2)}
# derived columns computed against the return of the year before
YEAR_BEFORE = ("sales_growth_real", "employment_growth")


@dataclass(frozen=True)
class Suggestion:
    indicator: str
    figure: str  # the reported figure (input column) that changes
    direction: int  # 1: higher is better, -1: lower is better
    current: float | None  # the indicator's value (None: left blank)
    suggested: float
    bound: float  # the peers' ``quantile`` (its mirror where lower is better): never passed
    level: float  # the share of the peers the suggested value is at (0.5–``quantile``)
    current_figure: float | None
    suggested_figure: float
    peers: int


@dataclass(frozen=True)
class Path:
    """The suggestions and what the rebuild with them gave."""

    unit: object
    rank: int
    score: float
    target_rank: int
    reachable: bool  # False: even every movable indicator at its bound misses the target
    suggestions: tuple[Suggestion, ...]
    rank_after: int
    score_after: float
    quantile: float
    rebuilds: int


@dataclass(frozen=True)
class PillarGap:
    code: str
    score: float | None
    top_median: float  # the median of the pillar among the units ranked within the cut-off
    gap: float | None  # top_median - score


@dataclass(frozen=True)
class Gap:
    cutoff_rank: int
    cutoff_score: float  # the score of the unit at the cut-off rank
    score: float
    gap: float  # cutoff_score - score: what the unit's index score lacks (≤ 0 inside)
    pillars: tuple[PillarGap, ...]


@dataclass(frozen=True)
class Unranked:
    """Why a unit of the data has no rank, and what filing would make it eligible."""

    unit: object
    reasons: tuple[tuple[str, str, str], ...]  # (step, English, Persian), as the build said
    outside: tuple[tuple[str, object], ...]  # eligibility columns whose value is not ranked
    blanks: tuple[str, ...]  # the indicators it has no value for
    to_file: tuple[str, ...]  # the reported figures left blank that those indicators read
    year_before: tuple[str, ...]  # blanks for want of the return of the year before (growth)
    reported: int
    needed: int  # indicators with a value the eligibility rule asks for
    indicators: int

    @property
    def fixable(self) -> bool:
        """Whether filing its blank figures could make it eligible (not, when it lies
        outside the bands ranked)."""
        return not self.outside


@dataclass
class _Lever:
    column: int
    suggestion_base: dict
    ladder: list[tuple[float, float, float]]  # (level, value, estimated normalised score)
    own_score: float
    weight: float
    denominator: float | None

    def gain(self, step: int) -> float:
        return self.weight * (self.ladder[step][2] - self.own_score)


def cutoff_gap(results: Results, unit, cutoff: int = 100) -> Gap:
    """How far ``unit``'s index score is from the score at rank ``cutoff``, and each
    pillar (the root's children) from its median among the units within the cut-off."""
    rank = results.rank.dropna()
    order = results.score.loc[rank.index].sort_values(ascending=False, kind="stable")
    at = min(cutoff, len(order))
    cutoff_score = float(order.iloc[at - 1])
    top = rank.index[rank.to_numpy() <= cutoff]
    score = float(results.score[unit])
    pillars = []
    for code in results.methodology.root.children:
        own = results.scores.at[unit, code]
        top_median = float(np.nanmedian(results.scores.loc[top, code].to_numpy(dtype=float)))
        own = None if pd.isna(own) else float(own)
        pillars.append(PillarGap(code, own, top_median, None if own is None else top_median - own))
    return Gap(cutoff, cutoff_score, score, cutoff_score - score, tuple(pillars))


def what_if(methodology: Methodology, data: pd.DataFrame, unit, figures: dict) -> pd.DataFrame:
    """A copy of ``data`` with ``unit``'s reported ``figures`` (column → value) changed
    and the derived columns they feed recomputed."""
    changed = data.copy()
    row = np.flatnonzero(changed[methodology.unit].to_numpy() == unit)
    for column, value in figures.items():
        changed.iloc[row, changed.columns.get_loc(column)] = value
    for derived, (inputs, compute) in RECOMPUTED.items():
        if derived in changed.columns and set(figures) & set(inputs):
            arguments = (changed[c].to_numpy(dtype=float)[row] for c in inputs)
            changed.iloc[row, changed.columns.get_loc(derived)] = compute(*arguments)
    return changed


def movable(methodology: Methodology) -> list[int]:
    """The positions of the indicators a what-if may move: read from one reported
    figure (with no transform), which is neither derived, nor a denominator, nor an
    eligibility or group column, nor an input of a derived column it cannot recompute."""
    denominators = {i.denominator for i in methodology.indicators if i.denominator}
    recomputed = {c for inputs, _ in RECOMPUTED.values() for c in inputs}
    feeding = {c for sources in DERIVED_FROM.values() for c in sources} - recomputed
    fixed = (
        set(DERIVED)
        | denominators
        | feeding
        | set(methodology.eligibility.allowed)
        | set(methodology.groups)
        | {methodology.unit}
    )
    return [
        j
        for j, i in enumerate(methodology.indicators)
        if i.transform == "none" and i.source not in fixed
    ]


def _peer_mask(methodology: Methodology, results: Results, position: int) -> np.ndarray:
    """The units normalised in ``position``'s reference group, itself left out."""
    spec = methodology.normalise
    n = len(results.score)
    if spec.within:
        groups = reference_groups(spec, results.group_codes[spec.within])
        own = groups[position]
        mask = groups == own if own >= 0 else np.ones(n, dtype=bool)
    else:
        mask = np.ones(n, dtype=bool)
    mask[position] = False
    return mask


def _peer_value(seen: np.ndarray, level: float, direction: int) -> float:
    """The value a peer has at ``level`` of the peers, counted from the worst: at or
    below that quantile, or at or above its mirror where lower is better."""
    if direction >= 0:
        return float(np.quantile(seen, level, method="lower"))
    return float(np.quantile(seen, 1 - level, method="higher"))


def _levers(methodology, data, results, unit, quantile) -> list[_Lever]:
    index = results.score.index
    position = index.get_loc(unit)
    peers = _peer_mask(methodology, results, position)
    values = results.datasets["Denominated"].reindex(index).to_numpy(dtype=float)
    normalised = results.datasets["Normalised"].to_numpy(dtype=float)
    row = data.loc[data[methodology.unit] == unit].iloc[0]
    levels = np.round(np.arange(0.5, quantile + 1e-9, STEP), 10)
    levers = []
    for j in movable(methodology):
        indicator = methodology.indicators[j]
        denominator = None
        if indicator.denominator:
            denominator = float(row[indicator.denominator])
            if not denominator > 0:
                continue  # the ratio cannot be reached by its numerator
        seen = values[peers, j]
        has = ~np.isnan(seen)
        seen, scored = seen[has], normalised[peers, j][has]
        if len(seen) < 2:
            continue
        current, direction = values[position, j], indicator.direction
        ladder: list[tuple[float, float, float]] = []
        for level in levels:
            value = _peer_value(seen, level, direction)
            if not np.isnan(current) and direction * (value - current) <= 0:
                continue  # no better than what it has
            if ladder and ladder[-1][1] == value:
                ladder.pop()  # the same value: said at the higher level
            ladder.append((float(level), value, float(scored[seen == value].mean())))
        if not ladder:
            continue
        own = normalised[position, j]
        figure = row[indicator.source]
        levers.append(
            _Lever(
                column=j,
                suggestion_base={
                    "indicator": indicator.code,
                    "figure": indicator.source,
                    "direction": direction,
                    "current": None if np.isnan(current) else float(current),
                    "bound": _peer_value(seen, quantile, direction),
                    "current_figure": None if pd.isna(figure) else float(figure),
                    "peers": len(seen),
                },
                ladder=ladder,
                own_score=float(np.nanmin(normalised[:, j]) if np.isnan(own) else own),
                weight=float(results.effective_weights.get(indicator.code, 0.0)),
                denominator=denominator,
            )
        )
    return levers


def _suggestion(lever: _Lever, step: int) -> Suggestion:
    level, value, _ = lever.ladder[step]
    figure = value * lever.denominator if lever.denominator is not None else value
    return Suggestion(
        **lever.suggestion_base, suggested=value, level=level, suggested_figure=figure
    )


# a what-if as the search tries it: lever (position in the sorted levers) → ladder step
_Plan = dict[int, int]
_Outcome = tuple[int, float]  # the rank and score a rebuild gave


@dataclass
class _Search:
    """One unit's search for its path, every plan (lever → step of its ladder) verified
    by rebuilding the index on the data as the plan changes it; ``rebuilds`` counts them."""

    methodology: Methodology
    data: pd.DataFrame
    unit: object
    levers: list[_Lever]
    target_rank: int
    rebuilds: int = 0

    def rebuild(self, plan: _Plan) -> _Outcome:
        self.rebuilds += 1
        figures = {}
        for i, step in plan.items():
            suggestion = _suggestion(self.levers[i], step)
            figures[suggestion.figure] = suggestion.suggested_figure
        changed = what_if(self.methodology, self.data, self.unit, figures)
        built = build(self.methodology, changed, keep="final")
        return int(built.rank[self.unit]), float(built.score[self.unit])

    def suggestions(self, plan: _Plan) -> tuple[Suggestion, ...]:
        return tuple(_suggestion(self.levers[i], step) for i, step in sorted(plan.items()))

    def fewest(self, top: _Plan, best: _Outcome) -> tuple[_Plan, _Outcome]:
        """2. the fewest indicators, largest estimated gains first, each at its bound:
        ``top`` (every lever at its bound) reaches the target."""

        def first(count: int) -> _Plan:
            return {i: top[i] for i in range(count)}

        count, best = self._smallest(1, len(self.levers), first, best)
        return first(count), best

    def lowest_level(self, plan: _Plan, best: _Outcome) -> tuple[_Plan, _Outcome]:
        """3. the lowest common peer percentile at which ``plan``'s indicators still reach
        the target (each at its highest step up to that percentile)."""

        def at_level(level: float) -> _Plan:
            lowered = {}
            for i in plan:
                ladder = self.levers[i].ladder
                steps = [s for s, (at, _, _) in enumerate(ladder) if at <= level + 1e-9]
                if steps:
                    lowered[i] = steps[-1]
            return lowered

        levels = sorted({at for i in plan for at, _, _ in self.levers[i].ladder})
        found, best = self._smallest(0, len(levels) - 1, lambda m: at_level(levels[m]), best)
        return at_level(levels[found]), best

    def trimmed(self, plan: _Plan, best: _Outcome) -> tuple[_Plan, _Outcome]:
        """Indicator by indicator (smallest estimated gain first): dropped if the rest
        still reach the target, else lowered to the lowest step that does."""
        for i in sorted(plan, key=lambda i: self.levers[i].gain(plan[i])):
            for step in (None, *range(plan[i])):
                trial = {k: s for k, s in plan.items() if k != i}
                if step is not None:
                    trial[i] = step
                if not trial:
                    continue
                outcome = self.rebuild(trial)
                if outcome[0] <= self.target_rank:
                    plan, best = trial, outcome
                    break
        return plan, best

    def _smallest(
        self, low: int, high: int, plan: Callable[[int], _Plan], best: _Outcome
    ) -> tuple[int, _Outcome]:
        """Bisection for the smallest of ``low``..``high`` whose ``plan`` reaches the target
        (``high``'s does: moving more, or further, never costs a place), with its outcome."""
        while low < high:
            middle = (low + high) // 2
            outcome = self.rebuild(plan(middle))
            if outcome[0] <= self.target_rank:
                high, best = middle, outcome
            else:
                low = middle + 1
        return high, best


def _rank_and_score(results: Results, unit) -> tuple[int, float]:
    rank, score = results.rank.get(unit), results.score.get(unit)
    if rank is None or pd.isna(rank):
        raise ValueError(f"unit {unit!r} has no rank in this build")
    return int(rank), float(score)


def path_to_top(
    methodology: Methodology,
    data: pd.DataFrame,
    unit,
    *,
    target_rank: int = 100,
    results: Results | None = None,
    quantile: float = QUANTILE,
) -> Path:
    """The smallest set of improvements found that brings ``unit`` to rank
    ``target_rank`` or better (see the module's docstring), verified by rebuilding the
    index on ``data`` as changed. ``results``: the build of ``methodology`` on ``data``
    with every data set kept (built here when not given). A unit already there gets no
    suggestion."""
    if results is None:
        results = build(methodology, data)
    rank, score = _rank_and_score(results, unit)
    if rank <= target_rank:
        return Path(unit, rank, score, target_rank, True, (), rank, score, quantile, 0)
    levers = sorted(
        _levers(methodology, data, results, unit, quantile),
        key=lambda lever: lever.gain(-1),
        reverse=True,
    )
    search = _Search(methodology, data, unit, levers, target_rank)
    top = {i: len(lever.ladder) - 1 for i, lever in enumerate(levers)}
    best = search.rebuild(top) if levers else (rank, score)
    if best[0] > target_rank:
        suggestions = search.suggestions(top)
        return Path(
            unit, rank, score, target_rank, False, suggestions, *best, quantile, search.rebuilds
        )
    plan, best = search.fewest(top, best)
    plan, best = search.lowest_level(plan, best)
    plan, best = search.trimmed(plan, best)
    suggestions = search.suggestions(plan)
    return Path(unit, rank, score, target_rank, True, suggestions, *best, quantile, search.rebuilds)


def unranked(methodology: Methodology, data: pd.DataFrame, unit, results: Results) -> Unranked:
    """Why ``unit`` of ``data`` has no rank in ``results`` (its build), in the build's
    own words, and which indicators and reported figures it left blank."""
    column = methodology.unit
    exclusions = results.exclusions.loc[results.exclusions[column] == unit]
    row = data.loc[data[column] == unit].iloc[0]
    rule = methodology.eligibility
    outside = tuple(
        (name, row[name]) for name, allowed in rule.allowed.items() if row[name] not in allowed
    )
    blanks, to_file, year_before = [], [], []
    for indicator in methodology.indicators:
        figures = [indicator.source]
        if indicator.denominator and rule.coverage_counts == "indicators":
            figures.append(indicator.denominator)
        empty = [f for f in figures if pd.isna(row[f]) or (f != indicator.source and row[f] == 0)]
        if not empty:
            continue
        blanks.append(indicator.code)
        own = [
            f
            for figure in empty
            for f in DERIVED_FROM.get(figure, (figure,))
            if f not in row.index or pd.isna(row[f])
        ]
        to_file.extend(own)
        if indicator.source in YEAR_BEFORE and not own:
            year_before.append(indicator.code)
    n = len(methodology.indicators)
    return Unranked(
        unit=unit,
        reasons=tuple(
            exclusions[["step", "reason_en", "reason_fa"]].itertuples(index=False, name=None)
        ),
        outside=outside,
        blanks=tuple(blanks),
        to_file=tuple(dict.fromkeys(to_file)),
        year_before=tuple(year_before),
        reported=n - len(blanks),
        needed=math.ceil(rule.min_data_coverage * n - 1e-9),
        indicators=n,
    )
