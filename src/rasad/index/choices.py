"""The uncertain choices of an index, and the replicates that draw them.

A spec (:class:`UncertaintySpec`, read from YAML by :func:`load_spec`) names what an
analyst is unsure of: weight noise per tree level (uniform multipliers or Dirichlet
shares), alternative normalisations, aggregations and imputations, a range of
winsorisation ``winmax``, and indicators that may be left out one at a time. A
:class:`Plan` holds the choices of many runs as a few numeric arrays, drawn by
:func:`draw_plan` from a seed; :meth:`Plan.draw` is one run's :class:`Draw`, and
:func:`replicate_methodology` the methodology with that draw applied.

``docs/methodology-format.md`` documents the format;
``src/rasad/methodologies/asem-uncertainty.yaml`` is COINr's vignette spec. Pure: no
Django.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from rasad.errors import InputProblems, RasadInputError
from rasad.index.methodology import (
    AGGREGATE_METHODS,
    IMPUTE_METHODS,
    MISSING_LOWEST_EN,
    MISSING_LOWEST_FA,
    MISSING_RULES,
    NORMALISE_METHODS,
    ORDER_METHODS,
    RANK_WITHIN_EN,
    RANK_WITHIN_FA,
    SMALL_GROUPS,
    Methodology,
    MethodologyError,
    NormaliseSpec,
    read_text,
)
from rasad.config import Problem, line_table, parse_yaml

SPEC_KEYS = ("weights", "normalise", "aggregate", "winmax", "impute", "drop", "groups")
WEIGHT_DISTRIBUTIONS = ("uniform", "dirichlet")
NORMALISE_FIELDS = tuple(f.name for f in fields(NormaliseSpec))
IMPUTE_FIELDS = ("method", "by")
MEANS = ("arithmetic", "geometric", "harmonic", "generalised")
POSITIVE_MEANS = ("geometric", "harmonic")  # refuse values ≤ 0 unless told to exclude them


# --- the spec ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WeightNoise:
    """Noise on the weights at ``level`` (COINr's numbering: indicators are 1).

    ``uniform``: every weight is multiplied by an independent U(1 − factor, 1 + factor),
    COINr's noise. ``dirichlet``: the shares of each parent's children at that level
    are drawn from Dirichlet(concentration × nominal shares), so they still add up to
    the nominal total, with the nominal shares as their mean and variance
    s·(1 − s)/(concentration + 1): a large concentration is a little noise."""

    level: int
    factor: float  # uniform: the half-width; dirichlet: the concentration
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
    impute: tuple[tuple[tuple[str, Any], ...], ...] = ()  # ImputeSpec fields, like normalise
    drop: tuple[str, ...] | str | None = (
        None  # indicator codes, or "all"; one (or none) left out per run
    )
    # inputs a sensitivity analysis takes as one (name, its inputs), e.g. every weight level
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def inputs(self) -> list[str]:
        """The uncertain inputs, one by one, in this order: ``weights.<level>`` for each
        noise level; ``normalise``, ``aggregate`` and ``impute`` when there is more than
        one alternative; ``drop``; ``winmax`` when its range has more than one value."""
        names = [f"weights.{noise.level}" for noise in self.weights]
        names += [
            name
            for name, alternatives in (
                ("normalise", self.normalise),
                ("aggregate", self.aggregate),
                ("impute", self.impute),
            )
            if len(alternatives) > 1
        ]
        if self.drop is not None:
            names.append("drop")
        if self.winmax is not None and self.winmax[0] < self.winmax[1]:
            names.append("winmax")
        return names

    def group_of(self) -> dict[str, str]:
        """Each input's Sobol input: the group that lists it, else itself."""
        group = {name: name for name in self.inputs()}
        for name, members in self.groups:
            group.update(dict.fromkeys(members, name))
        return group

    def drop_codes(self, methodology: Methodology) -> tuple[str, ...]:
        """The indicators a run may leave out: those listed, or with ``drop: all`` every
        indicator that is not its parent's only child (a node needs one)."""
        if self.drop is None:
            return ()
        if self.drop != "all":
            return tuple(self.drop)
        only = {n.children[0] for n in methodology.nodes if len(n.children) == 1}
        return tuple(code for code in methodology.indicator_codes if code not in only)

    @classmethod
    def from_dict(cls, data: Mapping | None) -> UncertaintySpec:
        """Read a spec from plain data (a parsed YAML file); every problem is reported at
        once, as an :class:`~rasad.errors.InputProblems`."""
        problems: list[RasadInputError] = []

        def problem(path: str, en: str, fa: str, value=None) -> None:
            problems.append(
                RasadInputError(f"{path}: {en}", f"{path}: {fa}", field=path, value=value)
            )

        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise RasadInputError(
                "The uncertainty spec must be a mapping of keys to values.",
                "مشخصات تحلیل عدم قطعیت باید نگاشتی از کلید به مقدار باشد.",
            )
        for key in data:
            if key not in SPEC_KEYS:
                problem(
                    str(key),
                    f"unknown key '{key}'; expected one of: {', '.join(SPEC_KEYS)}",
                    f"کلید ناشناختهٔ «{key}»؛ کلیدهای مجاز: {', '.join(SPEC_KEYS)}",
                    key,
                )
        spec = cls(
            weights=_read_weights(data.get("weights"), problem),
            normalise=_read_normalise(data.get("normalise"), problem),
            aggregate=_read_aggregate(data.get("aggregate"), problem),
            winmax=_read_winmax(data.get("winmax"), problem),
            impute=_read_impute(data.get("impute"), problem),
            drop=_read_drop(data.get("drop"), problem),
        )
        spec = replace(spec, groups=_read_groups(data.get("groups"), spec.inputs(), problem))
        if problems:
            raise InputProblems(problems)
        return spec

    def check(self, methodology: Methodology) -> None:
        """Refuse choices this methodology cannot take, before any replicate runs."""
        problems: list[RasadInputError] = []
        levels = set(methodology.levels.values())
        for noise in self.weights:
            if noise.level not in levels:
                problems.append(
                    RasadInputError(
                        f"weights: the tree has no level {noise.level} (its levels are "
                        f"{', '.join(map(str, sorted(levels)))}; indicators are level 1).",
                        f"weights: درخت سطح {noise.level} ندارد (سطح‌های آن "
                        f"{', '.join(map(str, sorted(levels)))} است؛ شاخص‌ها سطح ۱اند).",
                        field=f"weights.{noise.level}",
                        value=noise.level,
                    )
                )
        for noise in self.weights:
            if noise.distribution == "dirichlet" and not _sibling_groups(methodology, noise.level):
                problems.append(
                    RasadInputError(
                        f"weights.{noise.level}.dirichlet: no parent has two or more weighted children at this level, "
                        "so every share is always 1 and nothing varies.",
                        f"weights.{noise.level}.dirichlet: هیچ والدی در این سطح دو فرزند وزن‌دار یا بیشتر ندارد، "
                        "پس هر سهم همیشه ۱ است و چیزی تغییر نمی‌کند.",
                        field=f"weights.{noise.level}.dirichlet",
                    )
                )
        level_of = methodology.levels
        for noise in self.weights:
            parents = [
                n for n in methodology.nodes if any(level_of[c] == noise.level for c in n.children)
            ]
            other = sorted({methodology.weights_for(n) for n in parents} - {"explicit"})
            if other:
                problems.append(
                    RasadInputError(
                        f"weights.{noise.level}: noise applies to explicit weights; this methodology weighs some items "
                        f"of level {noise.level} by {', '.join(other)}.",
                        f"weights.{noise.level}: نوفه بر وزن‌های صریح اعمال می‌شود؛ این روش‌شناسی برخی اجزای سطح "
                        f"{noise.level} را با {', '.join(other)} وزن می‌دهد.",
                        field=f"weights.{noise.level}",
                    )
                )
        if methodology.weights.negative == "keep" and any(
            methodology.weights_for(n) == "pca" for n in methodology.nodes
        ):
            for k, choice in enumerate(self.aggregate):
                if choice.method != "arithmetic":
                    problems.append(
                        RasadInputError(
                            f"aggregate[{k}]: the methodology keeps negative PCA loadings as weights "
                            f"(steps.weights.negative: keep), which only the arithmetic mean can take, not {choice.method}.",
                            f"aggregate[{k}]: روش‌شناسی بارهای منفی PCA را وزن نگه می‌دارد (steps.weights.negative: keep) "
                            f"که فقط میانگین حسابی می‌پذیرد، نه {choice.method}.",
                            field=f"aggregate[{k}]",
                            value=choice.method,
                        )
                    )
        if self.winmax is not None and methodology.treat.method != "winsorise":
            problems.append(
                RasadInputError(
                    "winmax: the methodology does not winsorise, so winmax changes nothing.",
                    "winmax: این روش‌شناسی وینزوری‌سازی نمی‌کند، پس winmax اثری ندارد.",
                    field="winmax",
                )
            )
        for k, alternative in enumerate(self.normalise):
            method = dict(alternative).get("method", methodology.normalise.method)
            if method == "goalposts" and any(i.goalposts is None for i in methodology.indicators):
                problems.append(
                    RasadInputError(
                        f"normalise[{k}]: goalpost normalisation needs goalposts for every indicator.",
                        f"normalise[{k}]: نرمال‌سازی با دروازه‌ها برای هر شاخص دروازه لازم دارد.",
                        field=f"normalise[{k}]",
                    )
                )
            if method == "distance_to_target" and any(
                i.target is None for i in methodology.indicators
            ):
                problems.append(
                    RasadInputError(
                        f"normalise[{k}]: distance-to-target normalisation needs a target for every indicator.",
                        f"normalise[{k}]: نرمال‌سازی فاصله تا هدف برای هر شاخص مقدار هدف لازم دارد.",
                        field=f"normalise[{k}]",
                    )
                )
            missing = dict(alternative).get("missing", methodology.normalise.missing)
            if missing == "lowest" and method not in ORDER_METHODS:
                problems.append(
                    RasadInputError(
                        f"normalise[{k}]: {MISSING_LOWEST_EN}; this alternative is '{method}' (give it "
                        "missing: keep and the methodology an imputation, or choose an order method).",
                        f"normalise[{k}]: {MISSING_LOWEST_FA}؛ این گزینه «{method}» است (برایش missing: keep "
                        "و برای روش‌شناسی جانهی بگذارید، یا روشی ترتیبی برگزینید).",
                        field=f"normalise[{k}]",
                        value=method,
                    )
                )
            within = dict(alternative).get("within", methodology.normalise.within)
            if within and method == "rank":
                problems.append(
                    RasadInputError(
                        f"normalise[{k}]: {RANK_WITHIN_EN} (the alternative normalises within '{within}').",
                        f"normalise[{k}]: {RANK_WITHIN_FA} (این گزینه درون «{within}» نرمال می‌کند).",
                        field=f"normalise[{k}]",
                    )
                )
            if within and within not in methodology.groups:
                problems.append(
                    RasadInputError(
                        f"normalise[{k}].within: '{within}' is not one of the methodology's groups.",
                        f"normalise[{k}].within: «{within}» از گروه‌های روش‌شناسی نیست.",
                        field=f"normalise[{k}].within",
                        value=within,
                    )
                )
        for k, alternative in enumerate(self.impute):
            settings = dict(alternative)
            by = settings.get("by", methodology.impute.by)
            if by and by not in methodology.groups:
                problems.append(
                    RasadInputError(
                        f"impute[{k}].by: '{by}' is not one of the methodology's groups.",
                        f"impute[{k}].by: «{by}» از گروه‌های روش‌شناسی نیست.",
                        field=f"impute[{k}].by",
                        value=by,
                    )
                )
            elif settings.get("method", methodology.impute.method).startswith("group_") and not by:
                problems.append(
                    RasadInputError(
                        f"impute[{k}]: group imputation needs the group column in 'by'.",
                        f"impute[{k}]: جانهی گروهی ستون گروه را در «by» لازم دارد.",
                        field=f"impute[{k}]",
                    )
                )
        if self.drop is not None and self.drop != "all":
            parent = {c: n for n in methodology.nodes for c in n.children}
            for k, code in enumerate(self.drop):
                if code not in methodology.indicator_codes:
                    problems.append(
                        RasadInputError(
                            f"drop[{k}]: '{code}' is not an indicator of this methodology.",
                            f"drop[{k}]: «{code}» شاخص این روش‌شناسی نیست.",
                            field=f"drop[{k}]",
                            value=code,
                        )
                    )
                elif len(parent[code].children) == 1:
                    problems.append(
                        RasadInputError(
                            f"drop[{k}]: '{code}' is the only child of '{parent[code].code}', which would be left empty.",
                            f"drop[{k}]: «{code}» تنها فرزند «{parent[code].code}» است و آن را خالی می‌گذارد.",
                            field=f"drop[{k}]",
                            value=code,
                        )
                    )
        elif self.drop == "all" and not self.drop_codes(methodology):
            problems.append(
                RasadInputError(
                    "drop: every indicator is its parent's only child; none can be left out.",
                    "drop: هر شاخص تنها فرزند والد خود است؛ هیچ‌کدام را نمی‌توان کنار گذاشت.",
                    field="drop",
                )
            )
        if problems:
            raise InputProblems(problems)


def _read_weights(value, problem) -> tuple[WeightNoise, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        problem(
            "weights",
            "must map tree levels to a noise, e.g. {2: {uniform: 0.25}} or {2: {dirichlet: 50}}",
            "باید سطح‌های درخت را به نوفه نگاشت کند، مثلاً {2: {uniform: 0.25}} یا {2: {dirichlet: 50}}",
            value,
        )
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
            problem(
                path,
                f"'{key}' is not a tree level (a whole number ≥ 1)",
                f"«{key}» سطح درخت نیست (عدد صحیح ≥ ۱)",
                key,
            )
            continue
        if not isinstance(noise, Mapping) or len(noise) != 1:
            problem(
                path,
                "must be one distribution, e.g. {uniform: 0.25} or {dirichlet: 50}",
                "باید یک توزیع باشد، مثلاً {uniform: 0.25} یا {dirichlet: 50}",
                noise,
            )
            continue
        ((distribution, factor),) = noise.items()
        if distribution not in WEIGHT_DISTRIBUTIONS:
            problem(
                f"{path}.{distribution}",
                f"unknown distribution '{distribution}'; expected one of: "
                f"{', '.join(WEIGHT_DISTRIBUTIONS)}",
                f"توزیع ناشناختهٔ «{distribution}»؛ توزیع‌های مجاز: {', '.join(WEIGHT_DISTRIBUTIONS)}",
                distribution,
            )
            continue
        if distribution == "dirichlet":
            if not _is_number(factor) or factor <= 0:
                problem(
                    f"{path}.{distribution}",
                    f"the concentration must be a number > 0, not {factor!r}",
                    f"پارامتر تمرکز باید عددی > 0 باشد، نه «{factor}»",
                    factor,
                )
                continue
        elif not _is_number(factor) or not 0 <= factor < 1:
            problem(
                f"{path}.{distribution}",
                f"the noise factor must be a number in [0, 1), not {factor!r}",
                f"ضریب نوفه باید عددی در بازهٔ [0، 1) باشد، نه «{factor}»",
                factor,
            )
            continue
        noises.append(WeightNoise(level=level, factor=float(factor), distribution=distribution))
    if len({n.level for n in noises}) != len(noises):
        problem("weights", "a level is given twice", "سطحی دو بار آمده است")
    return tuple(sorted(noises, key=lambda n: n.level))


def _read_normalise(value, problem) -> tuple[tuple[tuple[str, Any], ...], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        problem(
            "normalise",
            "must be a non-empty list of alternatives, e.g. [{method: minmax}]",
            "باید فهرستی ناتهی از گزینه‌ها باشد، مثلاً [{method: minmax}]",
            value,
        )
        return ()
    alternatives = []
    for k, item in enumerate(value):
        path = f"normalise[{k}]"
        if not isinstance(item, Mapping) or not item:
            problem(
                path,
                "must be a mapping of normalisation settings",
                "باید نگاشتی از تنظیمات نرمال‌سازی باشد",
                item,
            )
            continue
        settings: dict[str, Any] = {}
        for key, setting in item.items():
            where = f"{path}.{key}"
            if key not in NORMALISE_FIELDS:
                problem(
                    where,
                    f"unknown key '{key}'; expected one of: {', '.join(NORMALISE_FIELDS)}",
                    f"کلید ناشناختهٔ «{key}»؛ کلیدهای مجاز: {', '.join(NORMALISE_FIELDS)}",
                    key,
                )
            elif key == "method":
                if setting not in NORMALISE_METHODS:
                    problem(
                        where,
                        f"'{setting}' is not one of: {', '.join(NORMALISE_METHODS)}",
                        f"«{setting}» مجاز نیست؛ یکی از این‌ها: {', '.join(NORMALISE_METHODS)}",
                        setting,
                    )
                else:
                    settings[key] = setting
            elif key == "range":
                if (
                    not isinstance(setting, list | tuple)
                    or len(setting) != 2
                    or not all(_is_number(v) for v in setting)
                    or not setting[0] < setting[1]
                ):
                    problem(
                        where,
                        "must be two numbers [low, high] with low < high",
                        "باید دو عدد [کمینه، بیشینه] باشد و کمینه کمتر از بیشینه",
                        setting,
                    )
                else:
                    settings[key] = (float(setting[0]), float(setting[1]))
            elif key in ("mean", "sd", "scale"):
                if not _is_number(setting) or (key != "mean" and setting <= 0):
                    bound = "a number" if key == "mean" else "a number > 0"
                    problem(
                        where,
                        f"must be {bound}, not {setting!r}",
                        f"باید {'عدد' if key == 'mean' else 'عددی > 0'} باشد، نه «{setting}»",
                        setting,
                    )
                else:
                    settings[key] = float(setting)
            elif key in ("missing", "small_groups"):
                allowed = MISSING_RULES if key == "missing" else SMALL_GROUPS
                if setting not in allowed:
                    problem(
                        where,
                        f"'{setting}' is not one of: {', '.join(allowed)}",
                        f"«{setting}» مجاز نیست؛ یکی از این‌ها: {', '.join(allowed)}",
                        setting,
                    )
                else:
                    settings[key] = setting
            elif key == "within":
                if setting is not None and not isinstance(setting, str):
                    problem(
                        where, "must be a group column's name", "باید نام ستون گروه باشد", setting
                    )
                else:
                    settings[key] = setting
            elif key == "min_group_size":
                if isinstance(setting, bool) or not isinstance(setting, int) or setting < 0:
                    problem(
                        where,
                        f"must be a whole number ≥ 0, not {setting!r}",
                        f"باید عدد صحیح ≥ 0 باشد، نه «{setting}»",
                        setting,
                    )
                else:
                    settings[key] = setting
        alternatives.append(tuple(sorted(settings.items())))
    return tuple(alternatives)


def _read_aggregate(value, problem) -> tuple[AggregateChoice, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        problem(
            "aggregate",
            "must be a non-empty list of methods, e.g. [arithmetic, geometric]",
            "باید فهرستی ناتهی از روش‌ها باشد، مثلاً [arithmetic, geometric]",
            value,
        )
        return ()
    choices = []
    for k, item in enumerate(value):
        path = f"aggregate[{k}]"
        method, p = (
            (item, None) if not isinstance(item, Mapping) else (item.get("method"), item.get("p"))
        )
        if isinstance(item, Mapping) and set(item) - {"method", "p"}:
            problem(
                path,
                "an alternative has only 'method' and 'p'",
                "هر گزینه فقط «method» و «p» دارد",
                item,
            )
            continue
        if method not in AGGREGATE_METHODS:
            problem(
                path,
                f"'{method}' is not one of: {', '.join(AGGREGATE_METHODS)}",
                f"«{method}» مجاز نیست؛ یکی از این‌ها: {', '.join(AGGREGATE_METHODS)}",
                method,
            )
            continue
        if method == "generalised" and not _is_number(p):
            problem(
                path,
                "the generalised mean needs its exponent p, e.g. {method: generalised, p: 0.5}",
                "میانگین تعمیم‌یافته به توان p نیاز دارد، مثلاً {method: generalised, p: 0.5}",
                item,
            )
            continue
        choices.append(AggregateChoice(method=method, p=None if p is None else float(p)))
    return tuple(choices)


def _read_winmax(value, problem) -> tuple[int, int] | None:
    if value is None:
        return None
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in value)
        or value[0] > value[1]
    ):
        problem(
            "winmax",
            f"must be two whole numbers [low, high] with 0 ≤ low ≤ high, not {value!r}",
            f"باید دو عدد صحیح [کمینه، بیشینه] با 0 ≤ کمینه ≤ بیشینه باشد، نه «{value}»",
            value,
        )
        return None
    return (int(value[0]), int(value[1]))


def _read_impute(value, problem) -> tuple[tuple[tuple[str, Any], ...], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        problem(
            "impute",
            "must be a non-empty list of alternatives, e.g. [{method: none}, {method: median}]",
            "باید فهرستی ناتهی از گزینه‌ها باشد، مثلاً [{method: none}, {method: median}]",
            value,
        )
        return ()
    alternatives = []
    for k, item in enumerate(value):
        path = f"impute[{k}]"
        if not isinstance(item, Mapping) or not item:
            problem(
                path,
                "must be a mapping of imputation settings",
                "باید نگاشتی از تنظیمات جانهی باشد",
                item,
            )
            continue
        settings: dict[str, Any] = {}
        for key, setting in item.items():
            where = f"{path}.{key}"
            if key not in IMPUTE_FIELDS:
                problem(
                    where,
                    f"unknown key '{key}'; expected one of: {', '.join(IMPUTE_FIELDS)}",
                    f"کلید ناشناختهٔ «{key}»؛ کلیدهای مجاز: {', '.join(IMPUTE_FIELDS)}",
                    key,
                )
            elif key == "method" and setting not in IMPUTE_METHODS:
                problem(
                    where,
                    f"'{setting}' is not one of: {', '.join(IMPUTE_METHODS)}",
                    f"«{setting}» مجاز نیست؛ یکی از این‌ها: {', '.join(IMPUTE_METHODS)}",
                    setting,
                )
            elif key == "by" and setting is not None and not isinstance(setting, str):
                problem(where, "must be a group column's name", "باید نام ستون گروه باشد", setting)
            else:
                settings[key] = setting
        alternatives.append(tuple(sorted(settings.items())))
    return tuple(alternatives)


def _read_drop(value, problem) -> tuple[str, ...] | str | None:
    if value is None or value == "all":
        return value
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v for v in value)
        or len(set(value)) != len(value)
    ):
        problem(
            "drop",
            f"must be 'all' or a list of distinct indicator codes, not {value!r}",
            f"باید «all» یا فهرستی از کدهای متمایز شاخص باشد، نه «{value}»",
            value,
        )
        return None
    return tuple(value)


def _read_groups(value, inputs: list[str], problem) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Named groups of the spec's ``inputs``, each input in one group at most; a group
    may not take the name of an input outside it (two rows would share a name)."""
    if value is None:
        return ()
    example = "{weights: [weights.2, weights.3]}"
    if not isinstance(value, Mapping) or not value:
        problem(
            "groups",
            f"must map a name to the inputs it groups, e.g. {example}",
            f"باید نامی را به ورودی‌هایی که گروه می‌کند نگاشت کند، مثلاً {example}",
            value,
        )
        return ()
    groups, taken = [], {}
    for name, members in value.items():
        path = f"groups.{name}"
        if not isinstance(name, str) or not name.strip():
            problem(path, "a group's name must be text", "نام گروه باید متن باشد", name)
            continue
        if not isinstance(members, list) or not members:
            problem(
                path,
                f"must list the inputs it groups, e.g. {example}",
                f"باید ورودی‌هایی را که گروه می‌کند فهرست کند، مثلاً {example}",
                members,
            )
            continue
        for k, member in enumerate(members):
            where = f"{path}[{k}]"
            if member not in inputs:
                problem(
                    where,
                    f"'{member}' is not an input of this spec; its inputs are: {', '.join(inputs) or 'none'}",
                    f"«{member}» ورودی این مشخصات نیست؛ ورودی‌های آن: {', '.join(inputs) or 'هیچ'}",
                    member,
                )
            elif member in taken:
                problem(
                    where,
                    f"'{member}' is already in group '{taken[member]}'",
                    f"«{member}» پیش‌تر در گروه «{taken[member]}» است",
                    member,
                )
            else:
                taken[member] = name
        if name in inputs and name not in members:
            problem(
                path,
                f"'{name}' is the name of an input outside this group; choose another name",
                f"«{name}» نام ورودی‌ای بیرون از این گروه است؛ نام دیگری برگزینید",
                name,
            )
        groups.append((name, tuple(m for m in members if taken.get(m) == name)))
    return tuple(groups)


def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


# --- spec files ----------------------------------------------------------------------------


def loads_spec(
    text: str, source: str | None = None, *, methodology: Methodology | None = None
) -> UncertaintySpec:
    """Read a spec from YAML text. Every problem is reported at once, located like a
    methodology file's: a :class:`~rasad.index.methodology.MethodologyError` whose
    ``problems`` carry the field's path and its line. With ``methodology``, the choices
    it cannot take (an unknown level, a missing group…) are refused the same way."""
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise MethodologyError(
            [
                Problem(
                    "",
                    mark.line + 1 if mark else None,
                    f"not valid YAML: {getattr(error, 'problem', error)}",
                    "متن YAML معتبر نیست",
                )
            ],
            source,
        ) from error
    try:
        spec = UncertaintySpec.from_dict(data)
        if methodology is not None:
            spec.check(methodology)
    except RasadInputError as error:
        raise _located(error, line_table(text), source) from error
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
            en, fa = en[len(head) + 2 :], fa.removeprefix(f"{head}: ")
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


# --- replicates ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Draw:
    """One replicate's choices; what is not given stays nominal (an empty draw gives the
    methodology back unchanged)."""

    weight_factors: Mapping[str, float] = field(default_factory=dict)  # code → multiplier
    normalise: tuple[tuple[str, Any], ...] | None = None  # NormaliseSpec fields to change
    aggregate: AggregateChoice | None = None  # the method of every aggregate
    winmax: int | None = None
    impute: tuple[tuple[str, Any], ...] | None = None  # ImputeSpec fields to change
    drop: str | None = None  # an indicator left out of the tree


def replicate_methodology(methodology: Methodology, draw: Draw) -> Methodology:
    """The methodology with one draw's choices applied. An aggregation alternative
    replaces the method of every node, those with an aggregation of their own included
    (their other settings, ``min_coverage`` and ``nonpositive``, are kept). A dropped
    indicator leaves the indicators and its parent's children, as if the file had
    never listed it."""
    changes: dict[str, Any] = {}
    factors = draw.weight_factors
    indicators, nodes = methodology.indicators, methodology.nodes
    if factors:
        indicators = tuple(
            replace(i, weight=i.weight * factors[i.code]) if i.code in factors else i
            for i in indicators
        )
        nodes = tuple(
            replace(n, weight=n.weight * factors[n.code]) if n.code in factors else n for n in nodes
        )
    if draw.drop is not None:
        indicators = tuple(i for i in indicators if i.code != draw.drop)
        nodes = tuple(
            replace(n, children=tuple(c for c in n.children if c != draw.drop))
            if draw.drop in n.children
            else n
            for n in nodes
        )
    if draw.aggregate is not None:
        choice = draw.aggregate
        changes["aggregate"] = replace(methodology.aggregate, method=choice.method, p=choice.p)
        nodes = tuple(
            replace(n, aggregate=replace(n.aggregate, method=choice.method, p=choice.p))
            if n.aggregate is not None
            else n
            for n in nodes
        )
    if indicators is not methodology.indicators:
        changes["indicators"] = indicators
    if nodes is not methodology.nodes:
        changes["nodes"] = nodes
    if draw.normalise is not None:
        changes["normalise"] = replace(methodology.normalise, **dict(draw.normalise))
    if draw.impute is not None:
        changes["impute"] = replace(methodology.impute, **dict(draw.impute))
    if draw.winmax is not None:
        changes["treat"] = replace(methodology.treat, winmax=draw.winmax)
    return replace(methodology, **changes) if changes else methodology


@dataclass(frozen=True)
class Plan:
    """The choices of ``runs`` replicates as arrays, one entry per run; ``None`` where
    the spec leaves a choice nominal. ``weight_factors`` (runs × ``weight_codes``)
    multiply the nominal weights; the other arrays index the spec's alternatives
    (``drop``: into ``drop_codes``, −1 for nothing left out)."""

    spec: UncertaintySpec
    runs: int
    weight_codes: tuple[str, ...] = ()
    weight_factors: np.ndarray | None = None
    winmax: np.ndarray | None = None
    normalise: np.ndarray | None = None
    aggregate: np.ndarray | None = None
    impute: np.ndarray | None = None
    drop: np.ndarray | None = None
    drop_codes: tuple[str, ...] = ()

    def draw(self, r: int) -> Draw:
        spec = self.spec
        factors = self.weight_factors
        return Draw(
            weight_factors={}
            if factors is None
            else dict(zip(self.weight_codes, factors[r].tolist(), strict=True)),
            normalise=None if self.normalise is None else spec.normalise[self.normalise[r]],
            aggregate=None if self.aggregate is None else spec.aggregate[self.aggregate[r]],
            winmax=None if self.winmax is None else int(self.winmax[r]),
            impute=None if self.impute is None else spec.impute[self.impute[r]],
            drop=None if self.drop is None or self.drop[r] < 0 else self.drop_codes[self.drop[r]],
        )

    def rows(self, index) -> Plan:
        """The runs ``index`` (an integer array) of this plan, as a plan of their own."""
        arrays = {
            name: getattr(self, name)[index]
            for name in ("weight_factors", "winmax", "normalise", "aggregate", "impute", "drop")
            if getattr(self, name) is not None
        }
        return replace(self, runs=len(index), **arrays)


def _sibling_groups(methodology: Methodology, level: int) -> list[list[str]]:
    """Per parent, its weighted children at ``level``, where there are two or more: the
    shares a Dirichlet draw moves (a lone child's share is always 1)."""
    weight_of = {i.code: i.weight for i in methodology.indicators} | {
        n.code: n.weight for n in methodology.nodes
    }
    levels = methodology.levels
    groups = [
        [c for c in node.children if levels[c] == level and weight_of[c] > 0]
        for node in methodology.nodes
    ]
    return [g for g in groups if len(g) > 1]


def draw_plan(methodology: Methodology, spec: UncertaintySpec, runs: int, seed) -> Plan:
    """The ``runs`` replicates of a spec, from ``numpy.random.default_rng(seed)``: first
    every run's winmax, then its normalisation, then the uniform weight multipliers
    (level by level, codes in tree order), its aggregation, the Dirichlet shares, the
    imputation and the indicator left out, so adding a choice to a spec does not change
    the draws of the choices before it."""
    rng = np.random.default_rng(seed)
    winmax = rng.integers(spec.winmax[0], spec.winmax[1] + 1, size=runs) if spec.winmax else None
    normalise = rng.integers(len(spec.normalise), size=runs) if spec.normalise else None
    levels = methodology.levels
    order = [i.code for i in methodology.indicators] + [n.code for n in methodology.nodes]
    uniform = [
        (code, noise.factor)
        for noise in spec.weights
        if noise.distribution == "uniform"
        for code in order
        if levels[code] == noise.level
    ]
    codes = [c for c, _ in uniform]
    blocks = []
    if uniform:
        half_width = np.array([factor for _, factor in uniform])
        blocks.append(1 + rng.uniform(-1.0, 1.0, size=(runs, len(uniform))) * half_width)
    aggregate = rng.integers(len(spec.aggregate), size=runs) if spec.aggregate else None
    weight_of = {i.code: i.weight for i in methodology.indicators} | {
        n.code: n.weight for n in methodology.nodes
    }
    for noise in spec.weights:
        if noise.distribution != "dirichlet":
            continue
        for siblings in _sibling_groups(methodology, noise.level):
            nominal = np.array([weight_of[c] for c in siblings])
            shares = rng.dirichlet(noise.factor * nominal / nominal.sum(), size=runs)
            blocks.append(shares * (nominal.sum() / nominal))
            codes.extend(siblings)
    impute = rng.integers(len(spec.impute), size=runs) if spec.impute else None
    drop_codes = spec.drop_codes(methodology)
    drop = rng.integers(len(drop_codes) + 1, size=runs) - 1 if drop_codes else None
    return Plan(
        spec=spec,
        runs=runs,
        weight_codes=tuple(codes),
        weight_factors=np.hstack(blocks) if blocks else None,
        winmax=winmax,
        normalise=normalise,
        aggregate=aggregate,
        impute=impute,
        drop=drop,
        drop_codes=drop_codes,
    )


def draws(methodology: Methodology, spec: UncertaintySpec, runs: int, seed) -> list[Draw]:
    """The draws of :func:`draw_plan`, one :class:`Draw` per run."""
    plan = draw_plan(methodology, spec, runs, seed)
    return [plan.draw(r) for r in range(runs)]
