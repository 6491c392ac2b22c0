"""Methodology files: a composite index described as data, checked before anything runs.

People outside the team write these files, so every problem is reported at once, each
with the field's path (``indicators[3].direction``), the line in the file, and a message
in English and Persian. The text is kept with its SHA-256 so an edition can record
exactly which methodology produced it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, cast

from pydantic import BeforeValidator, ConfigDict

from rasad.config import (
    Boolean,
    ConfigError,
    Number,
    Pair,
    Section,
    String,
    StringList,
    Text,
    TextField,
    choice,
    fail,
    integer,
    listed,
    number,
    parse,
    read,
)
from rasad.config import refuse as problem
from rasad.errors import RasadInputError
from rasad.index.methods import MISSING_RULES, NORMALISE_METHODS, ORDER_METHODS

IMPUTE_METHODS = ("none", "mean", "median", "group_mean", "group_median")
# Ranks within groups run from 1 to each group's size, so a unit's score would depend on
# how many peers it has: the best of a sector of 20 would score below the 30th of 300.
RANK_WITHIN_EN = "ranks within groups of different sizes are not comparable; use percentile_rank"
RANK_WITHIN_FA = (
    "رتبه‌ها در گروه‌های با اندازهٔ متفاوت مقایسه‌پذیر نیستند؛ از percentile_rank استفاده کنید"
)
TREAT_METHODS = ("none", "winsorise")
TREAT_FALLBACKS = ("log", "none")
MISSING_LOWEST_EN = (
    "missing: lowest places blanks below every reported value, which only an order method "
    f"({', '.join(ORDER_METHODS)}) can do without moving everyone else's scale"
)
MISSING_LOWEST_FA = (
    "missing: lowest خانه‌های خالی را زیر همهٔ مقدارهای گزارش‌شده می‌نشاند و این فقط با روشی "
    f"ترتیبی ({', '.join(ORDER_METHODS)}) بدون جابه‌جا کردن مقیاس دیگران شدنی است"
)
RESCALE_METHODS = ("percentile", "percentile_rank", "minmax", "zscore")
SMALL_GROUPS = ("everyone", "together")
COVERAGE_COUNTS = ("sources", "indicators")
WEIGHT_METHODS = ("explicit", "equal", "pca")
# What a negative PCA loading does: the default sets it to zero (see WeightsSpec)
NEGATIVE_LOADINGS = ("zero", "keep", "refuse")
AGGREGATE_METHODS = (
    "arithmetic",
    "geometric",
    "harmonic",
    "generalised",
    "borda",
    "copeland",
    "topsis",
)
TRANSFORMS = ("none", "log", "log1p", "sqrt")
NONPOSITIVE_CHOICES = ("error", "exclude")


class MethodologyError(ConfigError):
    """A methodology (or uncertainty spec) file that cannot be used, every problem
    located (:class:`~rasad.config.Problem`)."""


@dataclass(frozen=True)
class Indicator:
    code: str
    name: Text
    direction: int = 1
    unit: str = ""
    source: str = ""  # the data column; the code when not given
    denominator: str | None = None
    transform: str = "none"
    goalposts: tuple[float, float] | None = None
    target: float | None = None
    weight: float = 1.0
    description: Text | None = None
    treat: bool = True  # False exempts it from outlier treatment (binary or count indicators)


@dataclass(frozen=True)
class AggregateSpec:
    method: str = "arithmetic"
    p: float | None = None  # generalised mean exponent
    min_coverage: float = 0.0  # share of a node's children a unit must have
    nonpositive: str = "error"  # geometric/harmonic: refuse or exclude units with values ≤ 0


@dataclass(frozen=True)
class Node:
    code: str
    name: Text
    children: tuple[str, ...]
    weight: float = 1.0
    aggregate: AggregateSpec | None = None  # overrides the methodology's default
    weights: str | None = None  # how its children are weighted; overrides steps.weights


@dataclass(frozen=True)
class Eligibility:
    allowed: dict[str, tuple] = field(default_factory=dict)  # column → allowed values
    min_data_coverage: float = 0.0  # share of indicators a unit must report (before imputation)
    # what that share counts: each indicator's source column as reported ("sources"), or
    # the indicators that have a value once divided by their denominators ("indicators",
    # the coverage shown beside every rank)
    coverage_counts: str = "sources"


@dataclass(frozen=True)
class ImputeSpec:
    method: str = "none"
    by: str | None = None


@dataclass(frozen=True)
class ScreenSpec:
    min_coverage: float = 0.0
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class TreatSpec:
    method: str = "none"
    winmax: int = 5
    skew: float = 2.0
    kurtosis: float = 3.5
    fallback: str = "log"


@dataclass(frozen=True)
class NormaliseSpec:
    method: str = "minmax"
    range: tuple[float, float] = (0.0, 100.0)
    mean: float = 0.0
    sd: float = 1.0
    scale: float = 100.0
    within: str | None = None
    min_group_size: int = 0  # smaller reference groups are normalised against everyone
    missing: str = "keep"  # "lowest": below every reported value (order methods only)
    # units of groups under min_group_size: against "everyone", or "together" as one group
    small_groups: str = "everyone"


@dataclass(frozen=True)
class WeightsSpec:
    """How each node's children are weighted: ``method`` for all, unless ``levels``
    names another for the items of a level (COINr's numbering, as ``get_PCA``'s
    ``Level``: ``{2: "pca"}`` weighs the level-2 items within their parents by PCA) or
    a node has its own ``weights``. ``negative``: what a negative PCA loading does —
    ``zero`` (the default: the child gets no weight, and a warning says so), ``keep``
    (COINr's use of the loadings as they are; the arithmetic mean only) or
    ``refuse``."""

    method: str = "explicit"
    levels: dict[int, str] = field(default_factory=dict)
    negative: str = "zero"


@dataclass(frozen=True)
class Methodology:
    name: Text
    version: str
    unit: str
    groups: tuple[str, ...]
    indicators: tuple[Indicator, ...]
    nodes: tuple[Node, ...]
    eligibility: Eligibility = Eligibility()
    impute: ImputeSpec = ImputeSpec()
    screen: ScreenSpec = ScreenSpec()
    treat: TreatSpec = TreatSpec()
    normalise: NormaliseSpec = NormaliseSpec()
    weights: WeightsSpec = WeightsSpec()
    aggregate: AggregateSpec = AggregateSpec()
    rescale: NormaliseSpec | None = None  # the index re-expressed within groups, after aggregation
    text: str = ""
    sha256: str = ""

    @property
    def indicator_codes(self) -> list[str]:
        return [i.code for i in self.indicators]

    @property
    def root(self) -> Node:
        children = {c for n in self.nodes for c in n.children}
        return next(n for n in self.nodes if n.code not in children)

    def node(self, code: str) -> Node:
        return next(n for n in self.nodes if n.code == code)

    @property
    def levels(self) -> dict[str, int]:
        """Indicators are level 1; a node is one above its highest child, as COINr numbers them."""
        # None only for a tree that is not one, which the loader refuses
        return cast(dict[str, int], _levels(self.indicators, self.nodes))

    @property
    def nodes_bottom_up(self) -> list[Node]:
        """Aggregates in an order where every child is computed before its parent."""
        done = {i.code for i in self.indicators}
        order: list[Node] = []
        pending = list(self.nodes)
        while pending:
            ready = [n for n in pending if all(c in done for c in n.children)]
            order.extend(ready)
            done.update(n.code for n in ready)
            pending = [n for n in pending if n not in ready]
        return order

    def aggregate_for(self, node: Node) -> AggregateSpec:
        return node.aggregate or self.aggregate

    def weights_for(self, node: Node) -> str:
        """How ``node``'s children are weighted: the node's own ``weights``, else the
        rule of its children's level (the loader refuses children at levels with
        different rules), else ``steps.weights.method``."""
        if node.weights is not None:
            return node.weights
        if not self.weights.levels:  # no need to number the levels
            return self.weights.method
        return self.weights.levels.get(self.levels[node.code] - 1, self.weights.method)

    def effective_weights(self) -> dict[str, float]:
        """Each indicator's and node's share of the index: the product of the normalised
        weights on its path to the root (what COINr's get_eff_weights reports)."""
        weight_of = {i.code: i.weight for i in self.indicators} | {
            n.code: n.weight for n in self.nodes
        }
        effective = {self.root.code: 1.0}
        for node in reversed(self.nodes_bottom_up):
            total = sum(weight_of[c] for c in node.children)
            for child in node.children:
                effective[child] = effective[node.code] * (
                    weight_of[child] / total if total else 0.0
                )
        return effective

    def to_yaml(self) -> str:
        return self.text


def _levels(indicators, nodes) -> dict[str, int] | None:
    """Every item's level (indicators 1, a node one above its highest child), or None
    for a tree that is not one (an unknown child, a cycle: the loader says which)."""
    level = {i.code: 1 for i in indicators}
    pending = list(nodes)
    while pending:
        ready = [n for n in pending if n.children and all(c in level for c in n.children)]
        if not ready:
            return None
        for node in ready:
            level[node.code] = 1 + max(level[c] for c in node.children)
        pending = [n for n in pending if n not in ready]
    return level


# --- the file's shape -------------------------------------------------------------------

Share = Annotated[float, number(0, 1)]
NonNegative = Annotated[float, number(0)]
Positive = Annotated[float, number(0, strict_low=True)]
Count = Annotated[int, integer()]

INDICATORS_LIST = ("must be a non-empty list of indicators", "باید فهرستی ناتهی از شاخص‌ها باشد")
TREE_LIST = (
    "must list the index and its aggregates with their children",
    "باید شاخص کل و زیرشاخص‌ها را همراه با فرزندانشان فهرست کند",
)


class _Read(Section):
    """A methodology's sections read a value that is not a mapping as an empty one."""

    NOT_MAPPING_READ_EMPTY = True


class EligibilityFile(Section):
    """``eligibility``: the two settings, and any other key a column whose allowed
    values it lists."""

    model_config = ConfigDict(extra="allow")
    NOT_MAPPING = ("must be a mapping", "باید نگاشت باشد")
    KEEP_NONE = True

    min_data_coverage: Share = 0.0
    coverage_counts: Annotated[str, choice(COVERAGE_COUNTS)] = "sources"

    @classmethod
    def unknown(cls, data, keys):
        return [
            problem(
                (key,),
                "must list the allowed values of this column",
                "باید مقدارهای مجاز این ستون را فهرست کند",
            )
            for key in keys
            if not (isinstance(data[key], list) and data[key])
        ]


class IndicatorFile(_Read):
    FALLBACK: ClassVar[dict[str, Any]] = {"code": lambda loc: f"#{loc[-1]}"}

    code: String
    name: TextField | None = None
    direction: Annotated[int, choice((1, -1))] = 1
    unit: String = ""
    source: String | None = None
    denominator: String | None = None
    transform: Annotated[str, choice(TRANSFORMS)] = "none"
    goalposts: Pair | None = None
    target: Number | None = None
    weight: NonNegative = 1.0
    description: TextField | None = None
    treat: Boolean = True


class AggregateFile(_Read):
    method: Annotated[str, choice(AGGREGATE_METHODS)] = "arithmetic"
    p: Number | None = None
    min_coverage: Share = 0.0
    nonpositive: Annotated[str, choice(NONPOSITIVE_CHOICES)] = "error"

    @classmethod
    def checks(cls, data, section, info, clean):
        if section.method == "generalised" and section.p is None:
            yield problem(
                ("p",),
                "the generalised mean needs its exponent p",
                "میانگین تعمیم‌یافته به توان p نیاز دارد",
            )


class NodeFile(_Read):
    FALLBACK: ClassVar[dict[str, Any]] = {"code": lambda loc: f"#{loc[-1]}", "children": []}

    code: String
    name: TextField | None = None
    weight: NonNegative = 1.0
    children: StringList
    aggregate: AggregateFile | None = None
    weights: Annotated[str, choice(WEIGHT_METHODS)] | None = None

    @classmethod
    def checks(cls, data, section, info, clean):
        if not section.children:
            yield problem(
                ("children",),
                "an aggregate needs at least one child",
                "هر زیرشاخص دست‌کم یک فرزند لازم دارد",
            )


class ImputeFile(_Read):
    method: Annotated[str, choice(IMPUTE_METHODS)] = "none"
    by: String | None = None

    @classmethod
    def checks(cls, data, section, info, clean):
        if section.method.startswith("group_") and not section.by:
            yield problem(
                ("by",),
                f"'{section.method}' needs the group column in 'by'",
                f"«{section.method}» ستون گروه را در «by» لازم دارد",
            )


class ScreenFile(_Read):
    min_coverage: Share = 0.0
    include: StringList = ()
    exclude: StringList = ()


class TreatFile(_Read):
    method: Annotated[str, choice(TREAT_METHODS)] = "none"
    winmax: Count = 5
    skew: NonNegative = 2.0
    kurtosis: Number = 3.5
    fallback: Annotated[str, choice(TREAT_FALLBACKS)] = "log"


class NormaliseFile(_Read):
    method: Annotated[str, choice(NORMALISE_METHODS)] = "minmax"
    range: Pair = (0.0, 100.0)
    mean: Number = 0.0
    sd: Positive = 1.0
    scale: Positive = 100.0
    within: String | None = None
    min_group_size: Count = 0
    missing: Annotated[str, choice(MISSING_RULES)] = "keep"
    small_groups: Annotated[str, choice(SMALL_GROUPS)] = "everyone"

    @classmethod
    def checks(cls, data, section, info, clean):
        if section.within and section.method == "rank":
            yield problem(("method",), RANK_WITHIN_EN, RANK_WITHIN_FA)
        if section.missing == "lowest" and section.method not in ORDER_METHODS:
            yield problem(("missing",), MISSING_LOWEST_EN, MISSING_LOWEST_FA)


class RescaleFile(NormaliseFile):
    """The index's scores re-expressed after aggregation, e.g. as a percentile within
    each unit's sector: what makes a "within sector" ranking sector-neutral at the top,
    where the spread of each sector's composite would otherwise decide who gets in."""

    method: Annotated[str, choice(RESCALE_METHODS)] = "minmax"

    @classmethod
    def checks(cls, data, section, info, clean):
        yield from super().checks(data, section, info, clean)
        if section.missing != "keep":
            yield problem(
                ("missing",),
                "the index has no blanks to place: a unit without a score stays unranked",
                "شاخص کل خانهٔ خالی ندارد که جایی بنشیند: واحد بی‌امتیاز رتبه نمی‌گیرد",
            )


def _levels_map(value: Any) -> Any:
    if not isinstance(value, dict) or not value:
        raise fail(
            "must map tree levels to a weighting, e.g. {2: pca}",
            "باید سطح‌های درخت را به روش وزن‌دهی نگاشت کند، مثلاً {2: pca}",
        )
    return value


class WeightsFile(_Read):
    method: Annotated[str, choice(WEIGHT_METHODS)] = "explicit"
    levels: (
        Annotated[dict[Any, Annotated[str, choice(WEIGHT_METHODS)]], BeforeValidator(_levels_map)]
        | None
    ) = None
    negative: Annotated[str, choice(NEGATIVE_LOADINGS)] = "zero"


class StepsFile(_Read):
    impute: ImputeFile = ImputeFile()
    screen: ScreenFile = ScreenFile()
    treat: TreatFile = TreatFile()
    normalise: NormaliseFile = NormaliseFile()
    weights: WeightsFile = WeightsFile()
    aggregate: AggregateFile = AggregateFile()
    rescale: RescaleFile | None = None


class MethodologyFile(_Read):
    """A methodology file as written; :meth:`checks` holds what refers across sections
    (the tree's children, the groups, the levels)."""

    FALLBACK: ClassVar[dict[str, Any]] = {
        "name": "",
        "version": "",
        "unit": "",
        "indicators": [],
        "tree": [],
    }
    MISSING: ClassVar[dict[str, tuple[str, str]]] = {
        "indicators": INDICATORS_LIST,
        "tree": TREE_LIST,
    }

    name: TextField
    version: String
    unit: String
    groups: StringList = ()
    eligibility: EligibilityFile = EligibilityFile()
    indicators: Annotated[tuple[IndicatorFile, ...], listed(*INDICATORS_LIST)]
    steps: StepsFile = StepsFile()
    tree: Annotated[tuple[NodeFile, ...], listed(*TREE_LIST)]
    description: Any = None

    @classmethod
    def checks(cls, data, section, info, clean):
        found = []
        seen = set()
        for i, indicator in enumerate(section.indicators):
            if indicator.code in seen:
                found.append(
                    problem(
                        ("indicators", i, "code"),
                        f"indicator '{indicator.code}' is defined twice",
                        f"شاخص «{indicator.code}» دو بار تعریف شده است",
                    )
                )
            seen.add(indicator.code)
        if isinstance(data.get("tree"), list) and data["tree"]:
            found += _check_tree(section, clean and not found)
        steps, groups = section.steps, section.groups
        by = steps.impute.by
        if by and by not in groups:
            found.append(
                problem(
                    ("steps", "impute", "by"),
                    f"'{by}' is not listed in 'groups'",
                    f"«{by}» در «groups» فهرست نشده است",
                )
            )
        for name, spec in (("normalise", steps.normalise), ("rescale", steps.rescale)):
            if spec is not None and spec.within and spec.within not in groups:
                found.append(
                    problem(
                        ("steps", name, "within"),
                        f"'{spec.within}' is not listed in 'groups'",
                        f"«{spec.within}» در «groups» فهرست نشده است",
                    )
                )
        found += _check_goalposts(section)
        found += _check_levels(section, data)
        if clean and not found and steps.weights.negative == "keep":
            found += _check_kept_loadings(_methodology(section))
        return found


def _check_tree(section: MethodologyFile, clean: bool) -> list:
    nodes = section.tree
    indicator_codes = {i.code for i in section.indicators}
    found = _reused_codes(nodes, indicator_codes)
    parents, misplaced = _parents(nodes, indicator_codes | {n.code for n in nodes})
    found += misplaced
    found += _unplaced(indicator_codes, parents)
    if clean and not found:  # otherwise the roots follow from a mistake already named
        found += _root_count(nodes, parents)
    found += _cycles(nodes)
    return found


def _reused_codes(nodes, indicator_codes: set[str]) -> list:
    found = []
    used = set(indicator_codes)
    for i, node in enumerate(nodes):
        if node.code in used:
            found.append(
                problem(
                    ("tree", i, "code"),
                    f"'{node.code}' is already used by another indicator or aggregate",
                    f"«{node.code}» پیش‌تر برای شاخص یا زیرشاخص دیگری به کار رفته است",
                )
            )
        used.add(node.code)
    return found


def _parents(nodes, known: set[str]) -> tuple[dict[str, str], list]:
    """Each item's parent, from the first node that lists it; and the problems of the
    children that are unknown or already have one."""
    found = []
    parents: dict[str, str] = {}
    for i, node in enumerate(nodes):
        for j, child in enumerate(node.children):
            loc = ("tree", i, "children", j)
            if child not in known:
                found.append(
                    problem(
                        loc,
                        f"'{child}' is neither an indicator nor an aggregate",
                        f"«{child}» نه شاخص است نه زیرشاخص",
                    )
                )
            elif child in parents:
                found.append(
                    problem(
                        loc,
                        f"'{child}' already belongs to '{parents[child]}'; each item has one "
                        "parent",
                        f"«{child}» پیش‌تر فرزند «{parents[child]}» است؛ هر جزء فقط یک والد دارد",
                    )
                )
            else:
                parents[child] = node.code
    return parents, found


def _unplaced(indicator_codes: set[str], parents: dict[str, str]) -> list:
    return [
        problem(
            ("tree",),
            f"indicator '{code}' is not placed in the tree",
            f"شاخص «{code}» در درخت جایی ندارد",
        )
        for code in sorted(indicator_codes - parents.keys())
    ]


def _root_count(nodes, parents: dict[str, str]) -> list:
    roots = [n.code for n in nodes if n.code not in parents]
    if not nodes or len(roots) == 1:
        return []
    return [
        problem(
            ("tree",),
            "the tree must have exactly one root (the index); found: "
            f"{', '.join(roots) or 'none (a cycle)'}",
            "درخت باید دقیقاً یک ریشه (شاخص کل) داشته باشد؛ یافت‌شده: "
            f"{', '.join(roots) or 'هیچ (چرخه)'}",
        )
    ]


def _cycles(nodes) -> list:
    """A cycle makes some node its own descendant: each such node is named."""
    found = []
    children_of = {n.code: n.children for n in nodes}
    for start in children_of:
        stack, seen = list(children_of[start]), set()
        while stack:
            code = stack.pop()
            if code == start:
                found.append(
                    problem(
                        ("tree", start),
                        f"'{start}' is its own descendant (a cycle)",
                        f"«{start}» نوادهٔ خودش است (چرخه)",
                    )
                )
                break
            if code not in seen:
                seen.add(code)
                stack.extend(children_of.get(code, ()))
    return found


def _check_goalposts(section: MethodologyFile) -> list:
    method = section.steps.normalise.method
    found = []
    for i, indicator in enumerate(section.indicators):
        if method == "goalposts" and indicator.goalposts is None:
            found.append(
                problem(
                    ("indicators", i, "goalposts"),
                    "goalpost normalisation needs [low, high] for every indicator",
                    "نرمال‌سازی با دروازه‌ها برای هر شاخص [کمینه، بیشینه] لازم دارد",
                )
            )
        if method == "distance_to_target" and indicator.target is None:
            found.append(
                problem(
                    ("indicators", i, "target"),
                    "distance-to-target normalisation needs a target for every indicator",
                    "نرمال‌سازی فاصله تا هدف برای هر شاخص مقدار هدف لازم دارد",
                )
            )
    return found


def _check_levels(section: MethodologyFile, data: dict) -> list:
    """``steps.weights.levels``: levels the tree has, below the index; then no node
    whose children sit at levels weighed differently without its own ``weights``."""
    weights = section.steps.weights
    written = (data.get("steps") or {}).get("weights") or {}
    raw = written.get("levels") if isinstance(written, dict) else None
    if not isinstance(raw, dict) or not raw:
        return []
    level_of = _levels(section.indicators, section.tree)
    top = max(level_of.values()) if level_of else None
    found, wrong = [], False
    for key, method in raw.items():
        loc = ("steps", "weights", "levels", key)
        level = _level(key)
        if level is None:
            found.append(
                problem(
                    loc,
                    f"'{key}' is not a tree level (a whole number ≥ 1; indicators are level 1)",
                    f"«{key}» سطح درخت نیست (عدد صحیح ≥ ۱؛ شاخص‌ها سطح ۱اند)",
                )
            )
        elif top is not None and level >= top:
            found.append(
                problem(
                    loc,
                    f"the items of level {level} have no parent to be weighted in (the index is "
                    f"level {top})",
                    f"اجزای سطح {level} والدی ندارند که در آن وزن بگیرند (شاخص کل سطح {top} است)",
                )
            )
        elif method not in WEIGHT_METHODS:
            wrong = True  # refused by its type already
    if level_of is None or found or wrong or weights.levels is None:
        return found
    rules = {_level(k): v for k, v in weights.levels.items()}
    for i, node in enumerate(section.tree):
        if node.weights is not None:
            continue
        child_levels = sorted({level_of[c] for c in node.children})
        methods = {rules.get(level, weights.method) for level in child_levels}
        if len(methods) > 1:
            shown = ", ".join(map(str, child_levels))
            found.append(
                problem(
                    ("tree", i),
                    f"'{node.code}' has children at levels {shown}, which steps.weights.levels "
                    f"weighs differently ({', '.join(sorted(methods))}); give it its own "
                    "'weights:'",
                    f"«{node.code}» فرزندانی در سطح‌های {shown} دارد که steps.weights.levels آن‌ها "
                    f"را به روش‌های متفاوت ({', '.join(sorted(methods))}) وزن می‌دهد؛ برایش "
                    "«weights:» جداگانه بنویسید",
                )
            )
    return found


def _level(key) -> int | None:
    """A tree level written as a YAML key (2 or "2"), or None."""
    if isinstance(key, bool) or not isinstance(key, int | str) or not str(key).strip().isdigit():
        return None
    level = int(key)
    return level if level >= 1 else None


def _check_kept_loadings(methodology: Methodology) -> list:
    """``negative: keep`` weighs a child by a negative loading, which only the
    arithmetic mean can take: refused now for a PCA-weighted node aggregated otherwise,
    not when some data first gives it a negative loading."""
    for node in methodology.nodes:
        method = methodology.aggregate_for(node).method
        if methodology.weights_for(node) == "pca" and method != "arithmetic":
            return [
                problem(
                    ("steps", "weights", "negative"),
                    "'keep' weighs a child by its PCA loading even when negative, which only "
                    f"the arithmetic mean can take, but '{node.code}' is PCA-weighted and "
                    f"aggregated by {method}",
                    "«keep» بار PCA را حتی اگر منفی باشد وزن فرزند می‌کند و فقط میانگین حسابی "
                    f"آن را می‌پذیرد، اما «{node.code}» با PCA وزن می‌گیرد و با {method} تجمیع "
                    "می‌شود",
                )
            ]
    return []


# --- loading ---------------------------------------------------------------------------


def _methodology(file: MethodologyFile, text: str = "") -> Methodology:
    """The typed methodology of a checked file."""
    steps = file.steps
    return Methodology(
        name=file.name,
        version=file.version,
        unit=file.unit,
        groups=file.groups,
        indicators=tuple(
            Indicator(
                **{
                    **i.__dict__,
                    "name": i.name or Text(i.code, i.code),
                    "source": i.code if i.source is None else i.source,
                }
            )
            for i in file.indicators
        ),
        nodes=tuple(
            Node(
                **{
                    **n.__dict__,
                    "name": n.name or Text(n.code, n.code),
                    "aggregate": None
                    if n.aggregate is None
                    else AggregateSpec(**n.aggregate.__dict__),
                }
            )
            for n in file.tree
        ),
        eligibility=Eligibility(
            allowed={str(k): tuple(v) for k, v in (file.eligibility.model_extra or {}).items()},
            min_data_coverage=file.eligibility.min_data_coverage,
            coverage_counts=file.eligibility.coverage_counts,
        ),
        impute=ImputeSpec(**steps.impute.__dict__),
        screen=ScreenSpec(**steps.screen.__dict__),
        treat=TreatSpec(**steps.treat.__dict__),
        normalise=NormaliseSpec(**steps.normalise.__dict__),
        weights=WeightsSpec(
            method=steps.weights.method,
            levels={_level(k) or 0: v for k, v in (steps.weights.levels or {}).items()},
            negative=steps.weights.negative,
        ),
        aggregate=AggregateSpec(**steps.aggregate.__dict__),
        rescale=None if steps.rescale is None else NormaliseSpec(**steps.rescale.__dict__),
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def loads(text: str, *, source: str | None = None) -> Methodology:
    """Read a methodology from YAML text; raise :class:`MethodologyError` listing every problem."""
    data = parse(text, source, MethodologyError)
    file = read(  # an empty file is an empty mapping, every required key missing
        MethodologyFile,
        {} if data is None else data,
        text,
        source,
        error=MethodologyError,
        aliases=("indicators", "tree"),
    )
    return _methodology(file, text)


def bundled(name: str) -> Path:
    """The path of a methodology shipped with Rasad (``sme100``, ``asem``)."""
    from importlib.resources import files

    return Path(str(files("rasad.methodologies") / f"{name}.yaml"))


def read_text(path: str | Path, what_en: str, what_fa: str) -> tuple[str, str]:
    """The text of a YAML file, or of a bundled one given by name (``sme100``), and the
    path it came from; an unreadable file is refused in both languages."""
    path = Path(path)
    if not path.exists() and path.suffix == "" and bundled(str(path)).exists():
        path = bundled(str(path))
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except OSError as error:
        raise RasadInputError(
            f"Cannot read the {what_en} {path}: {error.strerror}.",
            f"{what_fa} {path} خوانده نشد: {error.strerror}.",
            field=str(path),
        ) from error


def load(path: str | Path) -> Methodology:
    """Load a methodology file, or a bundled one by name (``sme100``, ``asem``)."""
    text, source = read_text(path, "methodology file", "پروندهٔ روش‌شناسی")
    return loads(text, source=source)
