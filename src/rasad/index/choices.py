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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import BeforeValidator, PlainValidator
from pydantic_core import PydanticCustomError

from rasad import config
from rasad.config import Section, choice, fail, integer, listed, number, parse, refuse
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
        return config.validate(SpecFile, {} if data is None else data).spec()

    def check(self, methodology: Methodology) -> None:
        """Refuse choices this methodology cannot take, before any replicate runs: every
        problem at once, in the order of the spec's sections."""
        problems = [
            problem
            for section in (
                self._weight_problems,
                self._aggregate_problems,
                self._winmax_problems,
                self._normalise_problems,
                self._impute_problems,
                self._drop_problems,
            )
            for problem in section(methodology)
        ]
        if problems:
            raise InputProblems(problems)

    def _weight_problems(self, methodology: Methodology) -> Iterator[RasadInputError]:
        """The weight noise: its levels exist, vary something, and meet explicit weights."""
        levels = set(methodology.levels.values())
        for noise in self.weights:
            if noise.level not in levels:
                yield RasadInputError(
                    f"weights: the tree has no level {noise.level} (its levels are "
                    f"{', '.join(map(str, sorted(levels)))}; indicators are level 1).",
                    f"weights: درخت سطح {noise.level} ندارد (سطح‌های آن "
                    f"{', '.join(map(str, sorted(levels)))} است؛ شاخص‌ها سطح ۱اند).",
                    field=f"weights.{noise.level}",
                    value=noise.level,
                )
        for noise in self.weights:
            if noise.distribution == "dirichlet" and not sibling_groups(methodology, noise.level):
                yield RasadInputError(
                    f"weights.{noise.level}.dirichlet: no parent has two or more weighted "
                    "children at this level, "
                    "so every share is always 1 and nothing varies.",
                    f"weights.{noise.level}.dirichlet: هیچ والدی در این سطح دو فرزند وزن‌دار "
                    "یا بیشتر ندارد، "
                    "پس هر سهم همیشه ۱ است و چیزی تغییر نمی‌کند.",
                    field=f"weights.{noise.level}.dirichlet",
                )
        level_of = methodology.levels
        for noise in self.weights:
            parents = [
                n for n in methodology.nodes if any(level_of[c] == noise.level for c in n.children)
            ]
            other = sorted({methodology.weights_for(n) for n in parents} - {"explicit"})
            if other:
                yield RasadInputError(
                    f"weights.{noise.level}: noise applies to explicit weights; this "
                    "methodology weighs some items "
                    f"of level {noise.level} by {', '.join(other)}.",
                    f"weights.{noise.level}: نوفه بر وزن‌های صریح اعمال می‌شود؛ این روش‌شناسی "
                    "برخی اجزای سطح "
                    f"{noise.level} را با {', '.join(other)} وزن می‌دهد.",
                    field=f"weights.{noise.level}",
                )

    def _aggregate_problems(self, methodology: Methodology) -> Iterator[RasadInputError]:
        """The mean alternatives the methodology's PCA weights can take."""
        if methodology.weights.negative == "keep" and any(
            methodology.weights_for(n) == "pca" for n in methodology.nodes
        ):
            for k, choice in enumerate(self.aggregate):
                if choice.method != "arithmetic":
                    yield RasadInputError(
                        f"aggregate[{k}]: the methodology keeps negative PCA loadings as "
                        "weights "
                        "(steps.weights.negative: keep), which only the arithmetic mean can "
                        f"take, not {choice.method}.",
                        f"aggregate[{k}]: روش‌شناسی بارهای منفی PCA را وزن نگه می‌دارد "
                        "(steps.weights.negative: keep) "
                        f"که فقط میانگین حسابی می‌پذیرد، نه {choice.method}.",
                        field=f"aggregate[{k}]",
                        value=choice.method,
                    )

    def _winmax_problems(self, methodology: Methodology) -> Iterator[RasadInputError]:
        """A winmax range needs a methodology that winsorises."""
        if self.winmax is not None and methodology.treat.method != "winsorise":
            yield RasadInputError(
                "winmax: the methodology does not winsorise, so winmax changes nothing.",
                "winmax: این روش‌شناسی وینزوری‌سازی نمی‌کند، پس winmax اثری ندارد.",
                field="winmax",
            )

    def _normalise_problems(self, methodology: Methodology) -> Iterator[RasadInputError]:
        """Each normalisation alternative, with what it needs of the methodology."""
        for k, alternative in enumerate(self.normalise):
            method = dict(alternative).get("method", methodology.normalise.method)
            if method == "goalposts" and any(i.goalposts is None for i in methodology.indicators):
                yield RasadInputError(
                    f"normalise[{k}]: goalpost normalisation needs goalposts for every indicator.",
                    f"normalise[{k}]: نرمال‌سازی با دروازه‌ها برای هر شاخص دروازه لازم دارد.",
                    field=f"normalise[{k}]",
                )
            if method == "distance_to_target" and any(
                i.target is None for i in methodology.indicators
            ):
                yield RasadInputError(
                    f"normalise[{k}]: distance-to-target normalisation needs a target for "
                    "every indicator.",
                    f"normalise[{k}]: نرمال‌سازی فاصله تا هدف برای هر شاخص مقدار هدف لازم دارد.",
                    field=f"normalise[{k}]",
                )
            missing = dict(alternative).get("missing", methodology.normalise.missing)
            if missing == "lowest" and method not in ORDER_METHODS:
                yield RasadInputError(
                    f"normalise[{k}]: {MISSING_LOWEST_EN}; this alternative is '{method}' "
                    "(give it "
                    "missing: keep and the methodology an imputation, or choose an order "
                    "method).",
                    f"normalise[{k}]: {MISSING_LOWEST_FA}؛ این گزینه «{method}» است (برایش "
                    "missing: keep "
                    "و برای روش‌شناسی جانهی بگذارید، یا روشی ترتیبی برگزینید).",
                    field=f"normalise[{k}]",
                    value=method,
                )
            within = dict(alternative).get("within", methodology.normalise.within)
            if within and method == "rank":
                yield RasadInputError(
                    f"normalise[{k}]: {RANK_WITHIN_EN} (the alternative normalises within "
                    f"'{within}').",
                    f"normalise[{k}]: {RANK_WITHIN_FA} (این گزینه درون «{within}» نرمال می‌کند).",
                    field=f"normalise[{k}]",
                )
            if within and within not in methodology.groups:
                yield RasadInputError(
                    f"normalise[{k}].within: '{within}' is not one of the methodology's groups.",
                    f"normalise[{k}].within: «{within}» از گروه‌های روش‌شناسی نیست.",
                    field=f"normalise[{k}].within",
                    value=within,
                )

    def _impute_problems(self, methodology: Methodology) -> Iterator[RasadInputError]:
        """Each imputation alternative's group column."""
        for k, alternative in enumerate(self.impute):
            settings = dict(alternative)
            by = settings.get("by", methodology.impute.by)
            if by and by not in methodology.groups:
                yield RasadInputError(
                    f"impute[{k}].by: '{by}' is not one of the methodology's groups.",
                    f"impute[{k}].by: «{by}» از گروه‌های روش‌شناسی نیست.",
                    field=f"impute[{k}].by",
                    value=by,
                )
            elif settings.get("method", methodology.impute.method).startswith("group_") and not by:
                yield RasadInputError(
                    f"impute[{k}]: group imputation needs the group column in 'by'.",
                    f"impute[{k}]: جانهی گروهی ستون گروه را در «by» لازم دارد.",
                    field=f"impute[{k}]",
                )

    def _drop_problems(self, methodology: Methodology) -> Iterator[RasadInputError]:
        """The indicators the replicates leave out, one at a time."""
        if self.drop is not None and self.drop != "all":
            parent = {c: n for n in methodology.nodes for c in n.children}
            for k, code in enumerate(self.drop):
                if code not in methodology.indicator_codes:
                    yield RasadInputError(
                        f"drop[{k}]: '{code}' is not an indicator of this methodology.",
                        f"drop[{k}]: «{code}» شاخص این روش‌شناسی نیست.",
                        field=f"drop[{k}]",
                        value=code,
                    )
                elif len(parent[code].children) == 1:
                    yield RasadInputError(
                        f"drop[{k}]: '{code}' is the only child of '{parent[code].code}', "
                        "which would be left empty.",
                        f"drop[{k}]: «{code}» تنها فرزند «{parent[code].code}» است و آن را "
                        "خالی می‌گذارد.",
                        field=f"drop[{k}]",
                        value=code,
                    )
        elif self.drop == "all" and not self.drop_codes(methodology):
            yield RasadInputError(
                "drop: every indicator is its parent's only child; none can be left out.",
                "drop: هر شاخص تنها فرزند والد خود است؛ هیچ‌کدام را نمی‌توان کنار گذاشت.",
                field="drop",
            )


# --- the file's shape ------------------------------------------------------------------

LEAD_FA = "یکی از این‌ها"  # the Persian words before a list of allowed values


def _level_key(key: Any) -> int:
    try:
        level = int(key)
        ok = not isinstance(key, bool) and str(level) == str(key).strip() and level >= 1
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise fail(
            f"'{key}' is not a tree level (a whole number ≥ 1)",
            f"«{key}» سطح درخت نیست (عدد صحیح ≥ ۱)",
        )
    return level


def _uniform(factor: Any) -> float:
    if not _is_number(factor) or not 0 <= factor < 1:
        raise fail(
            f"the noise factor must be a number in [0, 1), not {factor!r}",
            f"ضریب نوفه باید عددی در بازهٔ [0، 1) باشد، نه «{factor}»",
        )
    return float(factor)


def _dirichlet(factor: Any) -> float:
    if not _is_number(factor) or factor <= 0:
        raise fail(
            f"the concentration must be a number > 0, not {factor!r}",
            f"پارامتر تمرکز باید عددی > 0 باشد، نه «{factor}»",
        )
    return float(factor)


ONE_DISTRIBUTION = (
    "must be one distribution, e.g. {uniform: 0.25} or {dirichlet: 50}",
    "باید یک توزیع باشد، مثلاً {uniform: 0.25} یا {dirichlet: 50}",
)


class NoiseFile(Section):
    """``{uniform: 0.25}`` or ``{dirichlet: 50}``: one distribution and its parameter."""

    NOT_MAPPING = ONE_DISTRIBUTION
    KEEP_NONE = True

    uniform: Annotated[float | None, PlainValidator(_uniform)] = None
    dirichlet: Annotated[float | None, PlainValidator(_dirichlet)] = None

    @classmethod
    def unknown(cls, data, keys):
        shown = ", ".join(WEIGHT_DISTRIBUTIONS)
        return [
            refuse(
                (key,),
                f"unknown distribution '{key}'; expected one of: {shown}",
                f"توزیع ناشناختهٔ «{key}»؛ توزیع‌های مجاز: {shown}",
                key,
            )
            for key in keys
            if len(data) == 1
        ]

    @classmethod
    def checks(cls, data, section, info, clean):
        if len(data) != 1:
            yield refuse((), *ONE_DISTRIBUTION, data)

    def noise(self, level: int) -> WeightNoise:
        distribution = "uniform" if self.uniform is not None else "dirichlet"
        return WeightNoise(level, getattr(self, distribution), distribution)


def _mapping(en: str, fa: str, *, empty: bool = True) -> BeforeValidator:
    """A mapping (``empty``: or an empty one), else the message."""

    def check(value: Any) -> Any:
        if not isinstance(value, Mapping) or not (value or empty):
            raise fail(en, fa)
        return value

    return BeforeValidator(check)


def _range(value: Any) -> tuple[float, float]:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(_is_number(v) for v in value)
        or not value[0] < value[1]
    ):
        raise fail(
            "must be two numbers [low, high] with low < high",
            "باید دو عدد [کمینه، بیشینه] باشد و کمینه کمتر از بیشینه",
        )
    return (float(value[0]), float(value[1]))


def _positive(value: Any) -> float:
    if not _is_number(value) or value <= 0:
        raise fail(f"must be a number > 0, not {value!r}", f"باید عددی > 0 باشد، نه «{value}»")
    return float(value)


def _column(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise fail("must be a group column's name", "باید نام ستون گروه باشد")
    return value


Column = Annotated[str | None, PlainValidator(_column)]


class _Alternative(Section):
    """An alternative: the settings it changes, each checked; the others stay nominal."""

    KEEP_NONE = True

    @classmethod
    def checks(cls, data, section, info, clean):
        if not data:
            yield refuse((), *cls.NOT_MAPPING, data)

    def settings(self) -> tuple[tuple[str, Any], ...]:
        return tuple(sorted((name, getattr(self, name)) for name in self.model_fields_set))


class NormaliseAlternative(_Alternative):
    NOT_MAPPING = (
        "must be a mapping of normalisation settings",
        "باید نگاشتی از تنظیمات نرمال‌سازی باشد",
    )

    method: Annotated[str | None, choice(NORMALISE_METHODS, lead_fa=LEAD_FA)] = None
    range: Annotated[tuple[float, float] | None, PlainValidator(_range)] = None
    mean: Annotated[float | None, number()] = None
    sd: Annotated[float | None, PlainValidator(_positive)] = None
    scale: Annotated[float | None, PlainValidator(_positive)] = None
    within: Column = None
    min_group_size: Annotated[int | None, integer(0)] = None
    missing: Annotated[str | None, choice(MISSING_RULES, lead_fa=LEAD_FA)] = None
    small_groups: Annotated[str | None, choice(SMALL_GROUPS, lead_fa=LEAD_FA)] = None


class ImputeAlternative(_Alternative):
    NOT_MAPPING = ("must be a mapping of imputation settings", "باید نگاشتی از تنظیمات جانهی باشد")

    method: Annotated[str | None, choice(IMPUTE_METHODS, lead_fa=LEAD_FA)] = None
    by: Column = None


def _aggregate_choice(item: Any) -> AggregateChoice:
    method, p = (
        (item, None) if not isinstance(item, Mapping) else (item.get("method"), item.get("p"))
    )
    if isinstance(item, Mapping) and set(item) - {"method", "p"}:
        raise fail("an alternative has only 'method' and 'p'", "هر گزینه فقط «method» و «p» دارد")
    if method not in AGGREGATE_METHODS:
        raise fail(
            f"'{method}' is not one of: {', '.join(AGGREGATE_METHODS)}",
            f"«{method}» مجاز نیست؛ یکی از این‌ها: {', '.join(AGGREGATE_METHODS)}",
        )
    if method == "generalised" and not _is_number(p):
        raise fail(
            "the generalised mean needs its exponent p, e.g. {method: generalised, p: 0.5}",
            "میانگین تعمیم‌یافته به توان p نیاز دارد، مثلاً {method: generalised, p: 0.5}",
        )
    return AggregateChoice(method=method, p=None if p is None else float(p))


def _winmax(value: Any) -> tuple[int, int]:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in value)
        or value[0] > value[1]
    ):
        raise fail(
            f"must be two whole numbers [low, high] with 0 ≤ low ≤ high, not {value!r}",
            f"باید دو عدد صحیح [کمینه، بیشینه] با 0 ≤ کمینه ≤ بیشینه باشد، نه «{value}»",
        )
    return (int(value[0]), int(value[1]))


def _drop(value: Any) -> tuple[str, ...] | str:
    if value == "all":
        return value
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v for v in value)
        or len(set(value)) != len(value)
    ):
        raise fail(
            f"must be 'all' or a list of distinct indicator codes, not {value!r}",
            f"باید «all» یا فهرستی از کدهای متمایز شاخص باشد، نه «{value}»",
        )
    return tuple(value)


GROUPS_EXAMPLE = "{weights: [weights.2, weights.3]}"


def _group_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise fail("a group's name must be text", "نام گروه باید متن باشد")
    return name


def _members(members: Any) -> tuple[Any, ...]:
    if not isinstance(members, list) or not members:
        raise fail(
            f"must list the inputs it groups, e.g. {GROUPS_EXAMPLE}",
            f"باید ورودی‌هایی را که گروه می‌کند فهرست کند، مثلاً {GROUPS_EXAMPLE}",
        )
    return tuple(members)


class SpecFile(Section):
    """An uncertainty spec as written; :meth:`checks` holds what refers across its
    parts (a level given twice, the inputs a group names)."""

    NOT_MAPPING = (
        "The uncertainty spec must be a mapping of keys to values.",
        "مشخصات تحلیل عدم قطعیت باید نگاشتی از کلید به مقدار باشد.",
    )

    weights: Annotated[
        dict[Annotated[int, PlainValidator(_level_key)], NoiseFile],
        _mapping(
            "must map tree levels to a noise, e.g. {2: {uniform: 0.25}} or {2: {dirichlet: 50}}",
            "باید سطح‌های درخت را به نوفه نگاشت کند، مثلاً {2: {uniform: 0.25}} یا "
            "{2: {dirichlet: 50}}",
        ),
    ] = {}
    normalise: Annotated[
        tuple[NormaliseAlternative, ...],
        listed(
            "must be a non-empty list of alternatives, e.g. [{method: minmax}]",
            "باید فهرستی ناتهی از گزینه‌ها باشد، مثلاً [{method: minmax}]",
        ),
    ] = ()
    aggregate: Annotated[
        tuple[Annotated[AggregateChoice, PlainValidator(_aggregate_choice)], ...],
        listed(
            "must be a non-empty list of methods, e.g. [arithmetic, geometric]",
            "باید فهرستی ناتهی از روش‌ها باشد، مثلاً [arithmetic, geometric]",
        ),
    ] = ()
    winmax: Annotated[tuple[int, int] | None, PlainValidator(_winmax)] = None
    impute: Annotated[
        tuple[ImputeAlternative, ...],
        listed(
            "must be a non-empty list of alternatives, e.g. [{method: none}, {method: median}]",
            "باید فهرستی ناتهی از گزینه‌ها باشد، مثلاً [{method: none}, {method: median}]",
        ),
    ] = ()
    drop: Annotated[tuple[str, ...] | str | None, PlainValidator(_drop)] = None
    groups: Annotated[
        dict[
            Annotated[str, PlainValidator(_group_name)],
            Annotated[tuple[Any, ...], PlainValidator(_members)],
        ],
        _mapping(
            f"must map a name to the inputs it groups, e.g. {GROUPS_EXAMPLE}",
            f"باید نامی را به ورودی‌هایی که گروه می‌کند نگاشت کند، مثلاً {GROUPS_EXAMPLE}",
            empty=False,
        ),
    ] = {}

    def spec(self) -> UncertaintySpec:
        return UncertaintySpec(
            weights=tuple(noise.noise(level) for level, noise in sorted(self.weights.items())),
            normalise=tuple(a.settings() for a in self.normalise),
            aggregate=self.aggregate,
            winmax=self.winmax,
            impute=tuple(a.settings() for a in self.impute),
            drop=self.drop,
            groups=tuple(self.groups.items()),
        )

    @classmethod
    def checks(cls, data, section, info, clean):
        weights = data.get("weights")
        if isinstance(weights, Mapping):
            levels = []
            for key in weights:
                try:
                    levels.append(_level_key(key))
                except PydanticCustomError:
                    pass
            if len(set(levels)) != len(levels):
                yield refuse(("weights",), "a level is given twice", "سطحی دو بار آمده است")
        yield from _check_groups(section)


def _check_groups(section: SpecFile):
    """Each group's members are inputs of the spec, each in one group at most; a group
    may not take the name of an input outside it (two rows would share a name)."""
    inputs = section.spec().inputs()
    taken: dict[Any, str] = {}
    for name, members in section.groups.items():
        for k, member in enumerate(members):
            if member not in inputs:
                yield refuse(
                    ("groups", name, k),
                    f"'{member}' is not an input of this spec; its inputs are: "
                    f"{', '.join(inputs) or 'none'}",
                    f"«{member}» ورودی این مشخصات نیست؛ ورودی‌های آن: {', '.join(inputs) or 'هیچ'}",
                    member,
                )
            elif member in taken:
                yield refuse(
                    ("groups", name, k),
                    f"'{member}' is already in group '{taken[member]}'",
                    f"«{member}» پیش‌تر در گروه «{taken[member]}» است",
                    member,
                )
            else:
                taken[member] = name
        if name in inputs and name not in members:
            yield refuse(
                ("groups", name),
                f"'{name}' is the name of an input outside this group; choose another name",
                f"«{name}» نام ورودی‌ای بیرون از این گروه است؛ نام دیگری برگزینید",
                name,
            )


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
    data = parse(text, source, MethodologyError)
    data = {} if data is None else data
    spec = config.read(
        SpecFile, data, text, source, error=MethodologyError, persian_digits=True
    ).spec()
    if methodology is not None:
        try:
            spec.check(methodology)
        except RasadInputError as error:
            raise _located(error, text, data, source) from error
    return spec


def load_spec(path: str | Path, *, methodology: Methodology | None = None) -> UncertaintySpec:
    """Read a spec file, or a bundled one by name (``asem-uncertainty``)."""
    text, source = read_text(path, "uncertainty spec", "پروندهٔ مشخصات عدم قطعیت")
    return loads_spec(text, source=source, methodology=methodology)


def _located(error: RasadInputError, text: str, data: Any, source: str | None) -> MethodologyError:
    """What :meth:`UncertaintySpec.check` refuses (``field`` = a path such as
    ``weights.2`` or ``normalise[1]``, the message starting with its section), located
    like the spec's own problems."""
    found = []
    for p in getattr(error, "problems", None) or [error]:
        path = p.field or ""
        en, fa = p.message_en, p.message_fa
        head = en.split(": ", 1)[0]
        if path and ": " in en and (path == head or path.startswith((f"{head}.", f"{head}["))):
            en, fa = en[len(head) + 2 :], fa.removeprefix(f"{head}: ")
        found.append(config.Issue(path, en, fa))
    error_located = config.locate(
        found, text, data, source, error=MethodologyError, persian_digits=True
    )
    assert isinstance(error_located, MethodologyError)
    return error_located


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


def sibling_groups(methodology: Methodology, level: int) -> list[list[str]]:
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
        for siblings in sibling_groups(methodology, noise.level):
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
