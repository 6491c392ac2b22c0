"""Uncertainty analysis: how far a unit's rank moves when the methodology's choices do.

A spec names the uncertain choices (weight noise per tree level, alternative
normalisations and aggregations, a range of winsorisation ``winmax``); each Monte Carlo
replicate draws one value of every choice, rebuilds the index with the methodology so
changed, and ranks the units. Per unit the result gives its nominal rank and the mean,
median, 5th and 95th percentile of its replicate ranks (COINr's ``RankStats``) and the
probability of a rank within the top K.

>>> spec = UncertaintySpec.from_dict({
...     "weights": {2: {"uniform": 0.25}, 3: {"uniform": 0.25}},
...     "normalise": [{"method": "minmax", "range": [1, 100]},
...                   {"method": "zscore", "mean": 10, "sd": 2}],
...     "aggregate": ["arithmetic", "geometric"],
...     "winmax": [1, 5],
... })
>>> result = uncertainty(methodology, data, spec, runs=1000, seed=1)   # doctest: +SKIP
>>> result.stats.head()                                                # doctest: +SKIP

A spec file is read with :func:`load_spec` (or :func:`loads_spec`), which locates every
problem at its line like the methodology loader; ``docs/methodology-format.md`` documents
the format and ``src/rasad/methodologies/asem-uncertainty.yaml`` is COINr's vignette spec.

Quantiles are R's default type 7 (numpy's ``"linear"``), which is what COINr reports.
Pure: no Django.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from rasad.errors import InputProblems, RasadInputError
from rasad.index.methodology import (
    AGGREGATE_METHODS,
    NORMALISE_METHODS,
    Methodology,
    MethodologyError,
    NormaliseSpec,
    Problem,
    _compose_lines,
    read_text,
)
from rasad.index.pipeline import build

SPEC_KEYS = ("weights", "normalise", "aggregate", "winmax")
WEIGHT_DISTRIBUTIONS = ("uniform",)
NORMALISE_FIELDS = tuple(f.name for f in fields(NormaliseSpec))
POSITIVE_MEANS = ("geometric", "harmonic")  # refuse values ≤ 0 unless told to exclude them


# --- the spec ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WeightNoise:
    """Every weight at ``level`` (COINr's numbering: indicators are 1) is multiplied by
    an independent U(1 − factor, 1 + factor)."""

    level: int
    factor: float
    distribution: str = "uniform"


@dataclass(frozen=True)
class AggregateChoice:
    method: str
    p: float | None = None  # the generalised mean's exponent


@dataclass(frozen=True)
class UncertaintySpec:
    """The uncertain choices. An empty tuple or ``None`` keeps the methodology's own."""

    weights: tuple[WeightNoise, ...] = ()
    # each alternative: NormaliseSpec fields as sorted (name, value) pairs; fields not
    # given keep the methodology's nominal value (its ``within`` grouping, for instance)
    normalise: tuple[tuple[tuple[str, Any], ...], ...] = ()
    aggregate: tuple[AggregateChoice, ...] = ()
    winmax: tuple[int, int] | None = None  # low, high: drawn uniformly, both included

    @classmethod
    def from_dict(cls, data: Mapping | None) -> UncertaintySpec:
        """Read a spec from plain data (a parsed YAML file); every problem is reported at
        once, as an :class:`~rasad.errors.InputProblems`."""
        problems: list[RasadInputError] = []

        def problem(path: str, en: str, fa: str, value=None) -> None:
            problems.append(RasadInputError(f"{path}: {en}", f"{path}: {fa}", field=path, value=value))

        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise RasadInputError("The uncertainty spec must be a mapping of keys to values.",
                                  "مشخصات تحلیل عدم قطعیت باید نگاشتی از کلید به مقدار باشد.")
        for key in data:
            if key not in SPEC_KEYS:
                problem(str(key), f"unknown key '{key}'; expected one of: {', '.join(SPEC_KEYS)}",
                        f"کلید ناشناختهٔ «{key}»؛ کلیدهای مجاز: {', '.join(SPEC_KEYS)}", key)
        spec = cls(
            weights=_read_weights(data.get("weights"), problem),
            normalise=_read_normalise(data.get("normalise"), problem),
            aggregate=_read_aggregate(data.get("aggregate"), problem),
            winmax=_read_winmax(data.get("winmax"), problem),
        )
        if problems:
            raise InputProblems(problems)
        return spec

    def check(self, methodology: Methodology) -> None:
        """Refuse choices this methodology cannot take, before any replicate runs."""
        problems: list[RasadInputError] = []
        levels = set(methodology.levels.values())
        for noise in self.weights:
            if noise.level not in levels:
                problems.append(RasadInputError(
                    f"weights: the tree has no level {noise.level} (its levels are "
                    f"{', '.join(map(str, sorted(levels)))}; indicators are level 1).",
                    f"weights: درخت سطح {noise.level} ندارد (سطح‌های آن "
                    f"{', '.join(map(str, sorted(levels)))} است؛ شاخص‌ها سطح ۱اند).",
                    field=f"weights.{noise.level}", value=noise.level))
        if self.weights and methodology.weights.method != "explicit":
            problems.append(RasadInputError(
                f"weights: noise applies to explicit weights; this methodology's weights are "
                f"'{methodology.weights.method}'.",
                f"weights: نوفه بر وزن‌های صریح اعمال می‌شود؛ وزن‌های این روش‌شناسی "
                f"«{methodology.weights.method}» است.", field="weights"))
        if self.winmax is not None and methodology.treat.method != "winsorise":
            problems.append(RasadInputError(
                "winmax: the methodology does not winsorise, so winmax changes nothing.",
                "winmax: این روش‌شناسی وینزوری‌سازی نمی‌کند، پس winmax اثری ندارد.", field="winmax"))
        for k, alternative in enumerate(self.normalise):
            method = dict(alternative).get("method", methodology.normalise.method)
            if method == "goalposts" and any(i.goalposts is None for i in methodology.indicators):
                problems.append(RasadInputError(
                    f"normalise[{k}]: goalpost normalisation needs goalposts for every indicator.",
                    f"normalise[{k}]: نرمال‌سازی با دروازه‌ها برای هر شاخص دروازه لازم دارد.",
                    field=f"normalise[{k}]"))
            if method == "distance_to_target" and any(i.target is None for i in methodology.indicators):
                problems.append(RasadInputError(
                    f"normalise[{k}]: distance-to-target normalisation needs a target for every indicator.",
                    f"normalise[{k}]: نرمال‌سازی فاصله تا هدف برای هر شاخص مقدار هدف لازم دارد.",
                    field=f"normalise[{k}]"))
            within = dict(alternative).get("within")
            if within and within not in methodology.groups:
                problems.append(RasadInputError(
                    f"normalise[{k}].within: '{within}' is not one of the methodology's groups.",
                    f"normalise[{k}].within: «{within}» از گروه‌های روش‌شناسی نیست.",
                    field=f"normalise[{k}].within", value=within))
        if problems:
            raise InputProblems(problems)


def _read_weights(value, problem) -> tuple[WeightNoise, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        problem("weights", "must map tree levels to a noise, e.g. {2: {uniform: 0.25}}",
                "باید سطح‌های درخت را به نوفه نگاشت کند، مثلاً {2: {uniform: 0.25}}", value)
        return ()
    noises = []
    for key, noise in value.items():
        path = f"weights.{key}"
        try:
            level = int(key)
            ok = not isinstance(key, bool) and str(level) == str(key).strip() and level >= 1
        except (TypeError, ValueError):
            ok = False
        if not ok:
            problem(path, f"'{key}' is not a tree level (a whole number ≥ 1)",
                    f"«{key}» سطح درخت نیست (عدد صحیح ≥ ۱)", key)
            continue
        if not isinstance(noise, Mapping) or len(noise) != 1:
            problem(path, "must be one distribution, e.g. {uniform: 0.25}",
                    "باید یک توزیع باشد، مثلاً {uniform: 0.25}", noise)
            continue
        (distribution, factor), = noise.items()
        if distribution not in WEIGHT_DISTRIBUTIONS:
            problem(f"{path}.{distribution}", f"unknown distribution '{distribution}'; expected one of: "
                    f"{', '.join(WEIGHT_DISTRIBUTIONS)}",
                    f"توزیع ناشناختهٔ «{distribution}»؛ توزیع‌های مجاز: {', '.join(WEIGHT_DISTRIBUTIONS)}",
                    distribution)
            continue
        if (isinstance(factor, bool) or not isinstance(factor, int | float) or not math.isfinite(factor)
                or not 0 <= factor < 1):
            problem(f"{path}.{distribution}", f"the noise factor must be a number in [0, 1), not {factor!r}",
                    f"ضریب نوفه باید عددی در بازهٔ [0، 1) باشد، نه «{factor}»", factor)
            continue
        noises.append(WeightNoise(level=level, factor=float(factor), distribution=distribution))
    if len({n.level for n in noises}) != len(noises):
        problem("weights", "a level is given twice", "سطحی دو بار آمده است")
    return tuple(sorted(noises, key=lambda n: n.level))


def _read_normalise(value, problem) -> tuple[tuple[tuple[str, Any], ...], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        problem("normalise", "must be a non-empty list of alternatives, e.g. [{method: minmax}]",
                "باید فهرستی ناتهی از گزینه‌ها باشد، مثلاً [{method: minmax}]", value)
        return ()
    alternatives = []
    for k, item in enumerate(value):
        path = f"normalise[{k}]"
        if not isinstance(item, Mapping) or not item:
            problem(path, "must be a mapping of normalisation settings", "باید نگاشتی از تنظیمات نرمال‌سازی باشد", item)
            continue
        settings: dict[str, Any] = {}
        for key, setting in item.items():
            where = f"{path}.{key}"
            if key not in NORMALISE_FIELDS:
                problem(where, f"unknown key '{key}'; expected one of: {', '.join(NORMALISE_FIELDS)}",
                        f"کلید ناشناختهٔ «{key}»؛ کلیدهای مجاز: {', '.join(NORMALISE_FIELDS)}", key)
            elif key == "method":
                if setting not in NORMALISE_METHODS:
                    problem(where, f"'{setting}' is not one of: {', '.join(NORMALISE_METHODS)}",
                            f"«{setting}» مجاز نیست؛ یکی از این‌ها: {', '.join(NORMALISE_METHODS)}", setting)
                else:
                    settings[key] = setting
            elif key == "range":
                if (not isinstance(setting, list | tuple) or len(setting) != 2
                        or not all(_is_number(v) for v in setting) or not setting[0] < setting[1]):
                    problem(where, "must be two numbers [low, high] with low < high",
                            "باید دو عدد [کمینه، بیشینه] باشد و کمینه کمتر از بیشینه", setting)
                else:
                    settings[key] = (float(setting[0]), float(setting[1]))
            elif key in ("mean", "sd", "scale"):
                if not _is_number(setting) or (key != "mean" and setting <= 0):
                    bound = "a number" if key == "mean" else "a number > 0"
                    problem(where, f"must be {bound}, not {setting!r}", f"باید {'عدد' if key == 'mean' else 'عددی > 0'} باشد، نه «{setting}»", setting)
                else:
                    settings[key] = float(setting)
            elif key == "within":
                if setting is not None and not isinstance(setting, str):
                    problem(where, "must be a group column's name", "باید نام ستون گروه باشد", setting)
                else:
                    settings[key] = setting
            elif key == "min_group_size":
                if isinstance(setting, bool) or not isinstance(setting, int) or setting < 0:
                    problem(where, f"must be a whole number ≥ 0, not {setting!r}",
                            f"باید عدد صحیح ≥ 0 باشد، نه «{setting}»", setting)
                else:
                    settings[key] = setting
        alternatives.append(tuple(sorted(settings.items())))
    return tuple(alternatives)


def _read_aggregate(value, problem) -> tuple[AggregateChoice, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        problem("aggregate", "must be a non-empty list of methods, e.g. [arithmetic, geometric]",
                "باید فهرستی ناتهی از روش‌ها باشد، مثلاً [arithmetic, geometric]", value)
        return ()
    choices = []
    for k, item in enumerate(value):
        path = f"aggregate[{k}]"
        method, p = (item, None) if not isinstance(item, Mapping) else (item.get("method"), item.get("p"))
        if isinstance(item, Mapping) and set(item) - {"method", "p"}:
            problem(path, "an alternative has only 'method' and 'p'", "هر گزینه فقط «method» و «p» دارد", item)
            continue
        if method not in AGGREGATE_METHODS:
            problem(path, f"'{method}' is not one of: {', '.join(AGGREGATE_METHODS)}",
                    f"«{method}» مجاز نیست؛ یکی از این‌ها: {', '.join(AGGREGATE_METHODS)}", method)
            continue
        if method == "generalised" and not _is_number(p):
            problem(path, "the generalised mean needs its exponent p, e.g. {method: generalised, p: 0.5}",
                    "میانگین تعمیم‌یافته به توان p نیاز دارد، مثلاً {method: generalised, p: 0.5}", item)
            continue
        choices.append(AggregateChoice(method=method, p=None if p is None else float(p)))
    return tuple(choices)


def _read_winmax(value, problem) -> tuple[int, int] | None:
    if value is None:
        return None
    if (not isinstance(value, list | tuple) or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in value)
            or value[0] > value[1]):
        problem("winmax", f"must be two whole numbers [low, high] with 0 ≤ low ≤ high, not {value!r}",
                f"باید دو عدد صحیح [کمینه، بیشینه] با 0 ≤ کمینه ≤ بیشینه باشد، نه «{value}»", value)
        return None
    return (int(value[0]), int(value[1]))


def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


# --- spec files ----------------------------------------------------------------------------


def loads_spec(text: str, source: str | None = None, *, methodology: Methodology | None = None) -> UncertaintySpec:
    """Read a spec from YAML text. Every problem is reported at once, located like a
    methodology file's: a :class:`~rasad.index.methodology.MethodologyError` whose
    ``problems`` carry the field's path and its line. With ``methodology``, the choices
    it cannot take (an unknown level, a missing group…) are refused the same way."""
    try:
        data, lines = _compose_lines(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise MethodologyError(
            [Problem("", mark.line + 1 if mark else None,
                     f"not valid YAML: {getattr(error, 'problem', error)}", "متن YAML معتبر نیست")],
            source,
        ) from error
    try:
        spec = UncertaintySpec.from_dict(data)
        if methodology is not None:
            spec.check(methodology)
    except RasadInputError as error:
        raise _located(error, lines, source) from error
    return spec


def load_spec(path: str | Path, *, methodology: Methodology | None = None) -> UncertaintySpec:
    """Read a spec file, or a bundled one by name (``asem-uncertainty``)."""
    text, source = read_text(path, "uncertainty spec", "پروندهٔ مشخصات عدم قطعیت")
    return loads_spec(text, source=source, methodology=methodology)


def _located(error: RasadInputError, lines: dict[str, int], source: str | None) -> MethodologyError:
    """The spec's own problems (``field`` = a path such as ``weights.2.uniform`` or
    ``normalise[1].sd``), each with the line of that path or of its nearest parent."""
    problems = []
    for p in getattr(error, "problems", None) or [error]:
        path = p.field or ""
        en, fa = p.message_en, p.message_fa
        head = en.split(": ", 1)[0]
        if path and ": " in en and (path == head or path.startswith((f"{head}.", f"{head}["))):
            en, fa = en[len(head) + 2:], fa.removeprefix(f"{head}: ")
        problems.append(Problem(path, _line_of(path, lines), en, fa))
    problems.sort(key=lambda p: p.line or 0)
    return MethodologyError(problems, source)


def _line_of(path: str, lines: dict[str, int]) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


# --- one replicate -------------------------------------------------------------------------


@dataclass(frozen=True)
class Draw:
    """One replicate's choices; what is not given stays nominal (an empty draw gives the
    methodology back unchanged)."""

    weight_factors: Mapping[str, float] = field(default_factory=dict)  # code → multiplier
    normalise: tuple[tuple[str, Any], ...] | None = None  # NormaliseSpec fields to change
    aggregate: AggregateChoice | None = None  # the method of every aggregate
    winmax: int | None = None


def replicate_methodology(methodology: Methodology, draw: Draw) -> Methodology:
    """The methodology with one draw's choices applied. An aggregation alternative
    replaces the method of every node, those with an aggregation of their own included
    (their other settings, ``min_coverage`` and ``nonpositive``, are kept)."""
    changes: dict[str, Any] = {}
    factors = draw.weight_factors
    if factors:
        changes["indicators"] = tuple(
            replace(i, weight=i.weight * factors[i.code]) if i.code in factors else i
            for i in methodology.indicators)
    nodes = methodology.nodes
    if factors:
        nodes = tuple(replace(n, weight=n.weight * factors[n.code]) if n.code in factors else n for n in nodes)
    if draw.aggregate is not None:
        choice = draw.aggregate
        changes["aggregate"] = replace(methodology.aggregate, method=choice.method, p=choice.p)
        nodes = tuple(replace(n, aggregate=replace(n.aggregate, method=choice.method, p=choice.p))
                      if n.aggregate is not None else n for n in nodes)
    if nodes is not methodology.nodes:
        changes["nodes"] = nodes
    if draw.normalise is not None:
        changes["normalise"] = replace(methodology.normalise, **dict(draw.normalise))
    if draw.winmax is not None:
        changes["treat"] = replace(methodology.treat, winmax=draw.winmax)
    return replace(methodology, **changes) if changes else methodology


def draws(methodology: Methodology, spec: UncertaintySpec, runs: int, seed) -> list[Draw]:
    """The ``runs`` draws of a spec, from ``numpy.random.default_rng(seed)``: first every
    run's winmax, then its normalisation, then the weight multipliers (level by level,
    codes in tree order), then its aggregation, so adding a choice to the spec does not
    change the draws of the choices before it."""
    return list(iter_draws(methodology, spec, runs, seed))


def iter_draws(methodology: Methodology, spec: UncertaintySpec, runs: int, seed) -> Iterator[Draw]:
    """:func:`draws` one at a time: the random numbers are drawn up front as a few
    numeric arrays, each :class:`Draw` is made only when it is needed."""
    rng = np.random.default_rng(seed)
    winmax = rng.integers(spec.winmax[0], spec.winmax[1] + 1, size=runs) if spec.winmax else None
    normalise = rng.integers(len(spec.normalise), size=runs) if spec.normalise else None
    levels = methodology.levels
    order = [i.code for i in methodology.indicators] + [n.code for n in methodology.nodes]
    noisy = [(code, noise.factor) for noise in spec.weights for code in order if levels[code] == noise.level]
    codes = [c for c, _ in noisy]
    factors = None
    if noisy:
        f = np.array([factor for _, factor in noisy])
        factors = 1 + rng.uniform(-1.0, 1.0, size=(runs, len(noisy))) * f
    aggregate = rng.integers(len(spec.aggregate), size=runs) if spec.aggregate else None
    for r in range(runs):
        yield Draw(
            weight_factors={} if factors is None else dict(zip(codes, factors[r].tolist(), strict=True)),
            normalise=None if normalise is None else spec.normalise[normalise[r]],
            aggregate=None if aggregate is None else spec.aggregate[aggregate[r]],
            winmax=None if winmax is None else int(winmax[r]),
        )


# --- the analysis --------------------------------------------------------------------------


@dataclass(frozen=True)
class UncertaintyResult:
    """``stats``: one row per unit (indexed by unit id): ``nominal``, ``mean``, ``median``,
    ``q05``, ``q95`` of the replicate ranks and ``p_top``, the share of replicates with a
    rank ≤ ``top_k``. ``ranks``: the (runs × units) rank matrix in ``stats``' unit order;
    0 marks a unit a replicate left unranked (the statistics skip those, ``p_top`` counts
    them as out of the top)."""

    stats: pd.DataFrame
    ranks: np.ndarray
    top_k: int
    seed: Any
    spec: UncertaintySpec

    @property
    def crossing_top(self) -> int:
        """How many units' [q05, q95] intervals straddle the top-K boundary."""
        return int(((self.stats["q05"] <= self.top_k) & (self.stats["q95"] > self.top_k)).sum())


def uncertainty(methodology: Methodology, data: pd.DataFrame, spec: UncertaintySpec, runs: int,
                seed=None, top_k: int = 100, progress: bool = False) -> UncertaintyResult:
    """Rank statistics over ``runs`` Monte Carlo replicates of ``spec``'s choices.

    Each replicate's build is dropped once its rank vector is stored, so memory grows
    only by ``runs × units`` integers. ``progress=True`` shows a progress bar on stderr."""
    if isinstance(runs, bool) or not isinstance(runs, int | np.integer) or runs <= 0:
        raise RasadInputError(f"runs must be a whole number > 0, not {runs!r}.",
                              f"تعداد اجراها باید عدد صحیح > 0 باشد، نه «{runs}».", field="runs", value=runs)
    if isinstance(top_k, bool) or not isinstance(top_k, int | np.integer) or top_k <= 0:
        raise RasadInputError(f"top_k must be a whole number > 0, not {top_k!r}.",
                              f"top_k باید عدد صحیح > 0 باشد، نه «{top_k}».", field="top_k", value=top_k)
    spec.check(methodology)
    nominal = build(methodology, data, keep="final").rank
    units = nominal.index
    _check_positive_means(methodology, data, spec)

    ranks = np.zeros((runs, len(units)), dtype=np.int64)
    with _progress_bar(progress, runs) as advance:
        for r, draw in enumerate(iter_draws(methodology, spec, runs, seed)):
            rank = build(replicate_methodology(methodology, draw), data, keep="final").rank
            if not rank.index.equals(units):
                rank = rank.reindex(units)
            ranks[r] = np.nan_to_num(rank.to_numpy(), nan=0.0)
            advance()
    return UncertaintyResult(_rank_stats(nominal, ranks, top_k), ranks, int(top_k), seed, spec)


@contextmanager
def _progress_bar(show: bool, total: int):
    """Yield a function that advances a rich progress bar on stderr by one replicate (a
    no-op when ``show`` is false)."""
    if not show:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("replicates"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task("replicates", total=total)
        yield lambda: bar.advance(task)


def _rank_stats(nominal: pd.Series, ranks: np.ndarray, top_k: int) -> pd.DataFrame:
    ranked = ranks > 0
    values = ranks.astype(float)
    if not ranked.all():
        values[~ranked] = np.nan
        mean, median = np.nanmean(values, axis=0), np.nanmedian(values, axis=0)
        q05, q95 = np.nanquantile(values, [0.05, 0.95], axis=0, method="linear")
    else:
        mean, median = values.mean(axis=0), np.median(values, axis=0)
        q05, q95 = np.quantile(values, [0.05, 0.95], axis=0, method="linear")
    return pd.DataFrame({
        "nominal": nominal.astype("Int64"),
        "mean": mean, "median": median, "q05": q05, "q95": q95,
        "p_top": (ranked & (ranks <= top_k)).mean(axis=0),
    }, index=nominal.index)


def _check_positive_means(methodology: Methodology, data: pd.DataFrame, spec: UncertaintySpec) -> None:
    """A geometric or harmonic mean alternative that would meet a value ≤ 0 is refused
    now, not in replicate 37: one build per normalisation alternative and winmax value
    (weights do not change the sign of a weighted mean of positive values)."""
    means = [c for c in spec.aggregate if c.method in POSITIVE_MEANS]
    if not means:
        return
    normalisations = spec.normalise or (None,)
    winmaxes = range(spec.winmax[0], spec.winmax[1] + 1) if spec.winmax else (None,)
    for choice in means:
        for k, normalise in enumerate(normalisations):
            for winmax in winmaxes:
                trial = replicate_methodology(methodology, Draw(normalise=normalise, aggregate=choice, winmax=winmax))
                if all(trial.aggregate_for(n).nonpositive == "exclude" for n in trial.nodes):
                    continue
                try:
                    build(trial, data, keep="final")
                except RasadInputError as error:
                    parts = ([] if normalise is None else [f"normalise[{k}]"]) + \
                        ([] if winmax is None else [f"winmax {winmax}"])
                    where = f" with {' and '.join(parts)}" if parts else ""
                    raise RasadInputError(
                        f"aggregate: the {choice.method} mean alternative{where} fails: {error.message_en}",
                        f"aggregate: گزینهٔ میانگین {choice.method}{where} شکست می‌خورد: {error.message_fa}",
                        field="aggregate", value=choice.method,
                    ) from error
