"""Methodology files: a composite index described as data, checked before anything runs.

People outside the team write these files, so every problem is reported at once, each
with the field's path (``indicators[3].direction``), the line in the file, and a message
in English and Persian. The text is kept with its SHA-256 so an edition can record
exactly which methodology produced it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from rasad.errors import RasadInputError
from rasad.index.normalise import METHODS as NORMALISE_METHODS
from rasad.index.normalise import MISSING as MISSING_RULES
from rasad.index.normalise import ORDER_METHODS

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


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a methodology file, located for the person who wrote it."""

    path: str
    line: int | None
    message_en: str
    message_fa: str

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line else ""
        return f"{where}{self.path}: {self.message_en} / {self.message_fa}"


class MethodologyError(RasadInputError):
    def __init__(self, problems: list[Problem], source: str | None = None):
        self.problems = problems
        self.source = source
        prefix = f"{source}: " if source else ""
        super().__init__(
            prefix
            + "; ".join(
                f"{p.path}{f' (line {p.line})' if p.line else ''}: {p.message_en}" for p in problems
            ),
            prefix
            + "؛ ".join(
                f"{p.path}{f' (سطر {p.line})' if p.line else ''}: {p.message_fa}" for p in problems
            ),
            field=problems[0].path if problems else None,
        )


@dataclass(frozen=True)
class Text:
    fa: str
    en: str

    def get(self, language: str = "fa") -> str:
        return self.fa if language.startswith("fa") and self.fa else (self.en or self.fa)


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
        return _levels(self.indicators, self.nodes)

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


# --- loading ---------------------------------------------------------------------------


class _Reader:
    """Walks the parsed YAML, converting and checking values, collecting located problems."""

    def __init__(self, lines: Callable[[], dict[str, int]]):
        self._lines = lines  # the line table, built when the first problem is found
        self.lines: dict[str, int] | None = None
        self.problems: list[Problem] = []

    def problem(self, path: str, en: str, fa: str) -> None:
        if self.lines is None:
            self.lines = self._lines()
        line = self.lines.get(path)
        if line is None:  # a missing key: point at its parent
            parent = path.rsplit(".", 1)[0] if "." in path else path.split("[", 1)[0]
            line = self.lines.get(parent)
        self.problems.append(Problem(path, line, en, fa))

    def mapping(self, value, path: str, known: tuple[str, ...]) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(
                path, "must be a mapping of keys to values", "باید نگاشتی از کلید به مقدار باشد"
            )
            return {}
        for key in value:
            if key not in known:
                self.problem(
                    f"{path}.{key}" if path else str(key),
                    f"unknown key '{key}'; expected one of: {', '.join(known)}",
                    f"کلید ناشناختهٔ «{key}»؛ کلیدهای مجاز: {', '.join(known)}",
                )
        return value

    def required(self, data: dict, key: str, path: str, convert: Callable, default=None):
        if key not in data or data[key] is None:
            self.problem(f"{path}.{key}" if path else key, "is required", "الزامی است")
            return default
        return convert(data[key], f"{path}.{key}" if path else key)

    def optional(self, data: dict, key: str, path: str, convert: Callable, default=None):
        if key not in data or data[key] is None:
            return default
        return convert(data[key], f"{path}.{key}" if path else key)

    # converters ------------------------------------------------------------------------

    def string(self, value, path):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problem(path, "must be text", "باید متن باشد")
            return ""
        return str(value)

    def number(self, value, path, *, low=-math.inf, high=math.inf, strict_low=False):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.problem(path, f"must be a number, not {value!r}", f"باید عدد باشد، نه «{value}»")
            return None
        if value < low or (strict_low and value == low) or value > high:
            bounds = (
                f"{'>' if strict_low else '≥'} {low:g}"
                if high == math.inf
                else f"between {low:g} and {high:g}"
            )
            self.problem(
                path, f"must be {bounds}, not {value:g}", f"باید {bounds} باشد، نه {value:g}"
            )
            return None
        return float(value)

    def boolean(self, value, path):
        if not isinstance(value, bool):
            self.problem(
                path,
                f"must be true or false, not {value!r}",
                f"باید true یا false باشد، نه «{value}»",
            )
            return True
        return value

    def integer(self, value, path, *, low=0):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            self.problem(
                path,
                f"must be a whole number ≥ {low}, not {value!r}",
                f"باید عدد صحیح ≥ {low} باشد، نه «{value}»",
            )
            return None
        return value

    def choice(self, options):
        def convert(value, path):
            if value not in options:
                self.problem(
                    path,
                    f"'{value}' is not one of: {', '.join(map(str, options))}",
                    f"«{value}» مجاز نیست؛ یکی از این‌ها را بنویسید: {', '.join(map(str, options))}",
                )
                return options[0]
            return value

        return convert

    def text(self, value, path) -> Text:
        if isinstance(value, str):
            return Text(fa=value, en=value)
        data = self.mapping(value, path, ("fa", "en"))
        fa = self.optional(data, "fa", path, self.string, "")
        en = self.optional(data, "en", path, self.string, "")
        if not fa and not en:
            self.problem(
                path,
                "needs a Persian (fa) or English (en) text",
                "متن فارسی (fa) یا انگلیسی (en) لازم است",
            )
        return Text(fa=fa or en, en=en or fa)

    def string_list(self, value, path) -> tuple[str, ...]:
        if not isinstance(value, list):
            self.problem(path, "must be a list", "باید فهرست باشد")
            return ()
        return tuple(self.string(v, f"{path}[{i}]") for i, v in enumerate(value))

    def pair(self, value, path) -> tuple[float, float] | None:
        if not isinstance(value, list) or len(value) != 2:
            self.problem(
                path,
                "must be a list of two numbers [low, high]",
                "باید فهرستی از دو عدد [کمینه، بیشینه] باشد",
            )
            return None
        low, high = (self.number(v, f"{path}[{i}]") for i, v in enumerate(value))
        if low is None or high is None:
            return None
        if not low < high:
            self.problem(
                path,
                f"the low end {low:g} must be below the high end {high:g}",
                f"کران پایین {low:g} باید کمتر از کران بالا {high:g} باشد",
            )
            return None
        return (low, high)


# libyaml's parser when PyYAML was built with it: ten times faster than the pure-Python one
_FAST_LOADER = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader


def parse_yaml(text: str) -> Any:
    """The data of a YAML text, read by the fast loader. A text it refuses is read again
    by the pure-Python loader, so the error raised (its message, its line) is the one
    that loader gives, as the messages shown for it have always been."""
    try:
        return yaml.load(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        return yaml.safe_load(text)


def line_table(text: str) -> dict[str, int]:
    """The line of every key and item of a YAML text, addressed by its path
    (``indicators[0].code``). The pure-Python composer keeps the lines; it is slow, so
    this is called only to locate a problem, on a text :func:`parse_yaml` has read."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: dict[str, int] = {}

    def walk(node, path):
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                child = f"{path}.{key}" if path else key
                lines[child] = key_node.start_mark.line + 1
                walk(value_node, child)
                lines[child] = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{path}[{i}]")

    if root is not None:
        walk(root, "")
    return lines


def _with_codes(lines: dict[str, int], data) -> dict[str, int]:
    """Also address list items by their code (``indicators[sales]``), as messages do."""
    extra = {}
    for section in ("indicators", "tree"):
        items = data.get(section) if isinstance(data, dict) else None
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and isinstance(item.get("code"), str):
                prefix, alias = f"{section}[{i}]", f"{section}[{item['code']}]"
                extra.update(
                    {alias + k[len(prefix) :]: v for k, v in lines.items() if k.startswith(prefix)}
                )
    return lines | extra


def loads(text: str, *, source: str | None = None) -> Methodology:
    """Read a methodology from YAML text; raise :class:`MethodologyError` listing every problem."""
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise MethodologyError(
            [
                Problem(
                    "",
                    line,
                    f"not valid YAML: {getattr(error, 'problem', error)}",
                    "متن YAML معتبر نیست",
                )
            ],
            source,
        ) from error
    r = _Reader(lambda: _with_codes(line_table(text), data))
    top = r.mapping(
        data,
        "",
        (
            "name",
            "version",
            "unit",
            "groups",
            "eligibility",
            "indicators",
            "steps",
            "tree",
            "description",
        ),
    )
    name = r.required(top, "name", "", r.text, Text("", ""))
    version = r.required(top, "version", "", r.string, "")
    unit = r.required(top, "unit", "", r.string, "")
    groups = r.optional(top, "groups", "", r.string_list, ())
    eligibility = _eligibility(r, top.get("eligibility"))
    indicators = _indicators(r, top.get("indicators"))
    steps = r.mapping(
        top.get("steps"),
        "steps",
        (
            "impute",
            "screen",
            "treat",
            "normalise",
            "weights",
            "aggregate",
            "rescale",
        ),
    )
    nodes = _tree(r, top.get("tree"), indicators)
    methodology = Methodology(
        name=name,
        version=version,
        unit=unit,
        groups=groups,
        indicators=tuple(indicators),
        nodes=tuple(nodes),
        eligibility=eligibility,
        impute=_impute(r, steps.get("impute"), groups),
        screen=_screen(r, steps.get("screen")),
        treat=_treat(r, steps.get("treat")),
        normalise=_normalise(r, steps.get("normalise"), groups, indicators),
        weights=_weights(r, steps.get("weights"), nodes, indicators),
        aggregate=_aggregate(r, steps.get("aggregate"), "steps.aggregate") or AggregateSpec(),
        rescale=_rescale(r, steps.get("rescale"), groups),
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
    if not r.problems:
        _check_kept_loadings(r, methodology)
    if r.problems:
        raise MethodologyError(r.problems, source)
    return methodology


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


def _eligibility(r: _Reader, value) -> Eligibility:
    if value is None:
        return Eligibility()
    if not isinstance(value, dict):
        r.problem("eligibility", "must be a mapping", "باید نگاشت باشد")
        return Eligibility()
    allowed = {}
    coverage = 0.0
    counts = "sources"
    for key, item in value.items():
        path = f"eligibility.{key}"
        if key == "min_data_coverage":
            coverage = r.number(item, path, low=0, high=1) or 0.0
        elif key == "coverage_counts":
            counts = r.choice(COVERAGE_COUNTS)(item, path)
        elif isinstance(item, list) and item:
            allowed[str(key)] = tuple(item)
        else:
            r.problem(
                path,
                "must list the allowed values of this column",
                "باید مقدارهای مجاز این ستون را فهرست کند",
            )
    return Eligibility(allowed=allowed, min_data_coverage=coverage, coverage_counts=counts)


INDICATOR_KEYS = (
    "code",
    "name",
    "direction",
    "unit",
    "source",
    "denominator",
    "transform",
    "goalposts",
    "target",
    "weight",
    "description",
    "treat",
)


def _indicators(r: _Reader, value) -> list[Indicator]:
    if not isinstance(value, list) or not value:
        r.problem(
            "indicators",
            "must be a non-empty list of indicators",
            "باید فهرستی ناتهی از شاخص‌ها باشد",
        )
        return []
    indicators, seen = [], set()
    for i, item in enumerate(value):
        path = f"indicators[{i}]"
        data = r.mapping(item, path, INDICATOR_KEYS)
        code = r.required(data, "code", path, r.string, f"#{i}")
        if code in seen:
            r.problem(
                f"{path}.code",
                f"indicator '{code}' is defined twice",
                f"شاخص «{code}» دو بار تعریف شده است",
            )
        seen.add(code)
        direction = r.optional(data, "direction", path, r.choice((1, -1)), 1)
        indicators.append(
            Indicator(
                code=code,
                name=r.optional(data, "name", path, r.text, Text(code, code)),
                direction=direction,
                unit=r.optional(data, "unit", path, r.string, ""),
                source=r.optional(data, "source", path, r.string, code),
                denominator=r.optional(data, "denominator", path, r.string),
                transform=r.optional(data, "transform", path, r.choice(TRANSFORMS), "none"),
                goalposts=r.optional(data, "goalposts", path, r.pair),
                target=r.optional(data, "target", path, r.number),
                weight=r.optional(data, "weight", path, lambda v, p: r.number(v, p, low=0), 1.0),
                description=r.optional(data, "description", path, r.text),
                treat=r.optional(data, "treat", path, r.boolean, True),
            )
        )
    return indicators


def _tree(r: _Reader, value, indicators: list[Indicator]) -> list[Node]:
    if not isinstance(value, list) or not value:
        r.problem(
            "tree",
            "must list the index and its aggregates with their children",
            "باید شاخص کل و زیرشاخص‌ها را همراه با فرزندانشان فهرست کند",
        )
        return []
    nodes: list[Node] = []
    indicator_codes = {i.code for i in indicators}
    for i, item in enumerate(value):
        path = f"tree[{i}]"
        data = r.mapping(item, path, ("code", "name", "weight", "children", "aggregate", "weights"))
        code = r.required(data, "code", path, r.string, f"#{i}")
        if code in indicator_codes or any(n.code == code for n in nodes):
            r.problem(
                f"{path}.code",
                f"'{code}' is already used by another indicator or aggregate",
                f"«{code}» پیش‌تر برای شاخص یا زیرشاخص دیگری به کار رفته است",
            )
        children = r.required(data, "children", path, r.string_list, ())
        if not children:
            r.problem(
                f"{path}.children",
                "an aggregate needs at least one child",
                "هر زیرشاخص دست‌کم یک فرزند لازم دارد",
            )
        nodes.append(
            Node(
                code=code,
                name=r.optional(data, "name", path, r.text, Text(code, code)),
                children=children,
                weight=r.optional(data, "weight", path, lambda v, p: r.number(v, p, low=0), 1.0),
                aggregate=_aggregate(r, data.get("aggregate"), f"{path}.aggregate"),
                weights=r.optional(data, "weights", path, r.choice(WEIGHT_METHODS)),
            )
        )
    _check_tree(r, nodes, indicator_codes)
    return nodes


def _check_tree(r: _Reader, nodes: list[Node], indicator_codes: set[str]) -> None:
    known = indicator_codes | {n.code for n in nodes}
    parents: dict[str, str] = {}
    for i, node in enumerate(nodes):
        for j, child in enumerate(node.children):
            path = f"tree[{i}].children[{j}]"
            if child not in known:
                r.problem(
                    path,
                    f"'{child}' is neither an indicator nor an aggregate",
                    f"«{child}» نه شاخص است نه زیرشاخص",
                )
            elif child in parents:
                r.problem(
                    path,
                    f"'{child}' already belongs to '{parents[child]}'; each item has one parent",
                    f"«{child}» پیش‌تر فرزند «{parents[child]}» است؛ هر جزء فقط یک والد دارد",
                )
            else:
                parents[child] = node.code
    for code in sorted(indicator_codes - parents.keys()):
        r.problem(
            "tree",
            f"indicator '{code}' is not placed in the tree",
            f"شاخص «{code}» در درخت جایی ندارد",
        )
    roots = [n.code for n in nodes if n.code not in parents]
    if len(roots) != 1 and not r.problems:
        r.problem(
            "tree",
            f"the tree must have exactly one root (the index); found: {', '.join(roots) or 'none (a cycle)'}",
            f"درخت باید دقیقاً یک ریشه (شاخص کل) داشته باشد؛ یافت‌شده: {', '.join(roots) or 'هیچ (چرخه)'}",
        )
    children_of = {n.code: n.children for n in nodes}
    for start in children_of:  # a cycle makes some node its own descendant
        stack, seen = list(children_of[start]), set()
        while stack:
            code = stack.pop()
            if code == start:
                r.problem(
                    f"tree[{start}]",
                    f"'{start}' is its own descendant (a cycle)",
                    f"«{start}» نوادهٔ خودش است (چرخه)",
                )
                break
            if code not in seen:
                seen.add(code)
                stack.extend(children_of.get(code, ()))


def _aggregate(r: _Reader, value, path: str) -> AggregateSpec | None:
    if value is None:
        return None
    data = r.mapping(value, path, ("method", "p", "min_coverage", "nonpositive"))
    method = r.optional(data, "method", path, r.choice(AGGREGATE_METHODS), "arithmetic")
    p = r.optional(data, "p", path, r.number)
    if method == "generalised" and p is None:
        r.problem(
            f"{path}.p",
            "the generalised mean needs its exponent p",
            "میانگین تعمیم‌یافته به توان p نیاز دارد",
        )
    return AggregateSpec(
        method=method,
        p=p,
        min_coverage=r.optional(
            data, "min_coverage", path, lambda v, q: r.number(v, q, low=0, high=1), 0.0
        ),
        nonpositive=r.optional(data, "nonpositive", path, r.choice(NONPOSITIVE_CHOICES), "error"),
    )


def _weights(r: _Reader, value, nodes: list[Node], indicators: list[Indicator]) -> WeightsSpec:
    path = "steps.weights"
    data = r.mapping(value, path, ("method", "levels", "negative"))
    spec = WeightsSpec(
        method=r.optional(data, "method", path, r.choice(WEIGHT_METHODS), "explicit"),
        negative=r.optional(data, "negative", path, r.choice(NEGATIVE_LOADINGS), "zero"),
    )
    levels = data.get("levels")
    if levels is None:
        return spec
    if not isinstance(levels, dict) or not levels:
        r.problem(
            f"{path}.levels",
            "must map tree levels to a weighting, e.g. {2: pca}",
            "باید سطح‌های درخت را به روش وزن‌دهی نگاشت کند، مثلاً {2: pca}",
        )
        return spec
    problems = len(r.problems)
    level_of = _levels(indicators, nodes)
    top = max(level_of.values()) if level_of else None
    rules = {}
    for key, method in levels.items():
        where = f"{path}.levels.{key}"
        level = _level(key)
        if level is None:
            r.problem(
                where,
                f"'{key}' is not a tree level (a whole number ≥ 1; indicators are level 1)",
                f"«{key}» سطح درخت نیست (عدد صحیح ≥ ۱؛ شاخص‌ها سطح ۱اند)",
            )
        elif top is not None and level >= top:
            r.problem(
                where,
                f"the items of level {level} have no parent to be weighted in (the index is level {top})",
                f"اجزای سطح {level} والدی ندارند که در آن وزن بگیرند (شاخص کل سطح {top} است)",
            )
        else:
            rules[level] = r.choice(WEIGHT_METHODS)(method, where)
    spec = replace(spec, levels=rules)
    if level_of is not None and len(r.problems) == problems:
        _check_mixed_levels(r, nodes, level_of, spec)
    return spec


def _check_kept_loadings(r: _Reader, methodology: Methodology) -> None:
    """``negative: keep`` weighs a child by a negative loading, which only the
    arithmetic mean can take: refused now for a PCA-weighted node aggregated otherwise,
    not when some data first gives it a negative loading."""
    if methodology.weights.negative != "keep":
        return
    for node in methodology.nodes:
        method = methodology.aggregate_for(node).method
        if methodology.weights_for(node) == "pca" and method != "arithmetic":
            r.problem(
                "steps.weights.negative",
                f"'keep' weighs a child by its PCA loading even when negative, which only the arithmetic mean "
                f"can take, but '{node.code}' is PCA-weighted and aggregated by {method}",
                f"«keep» بار PCA را حتی اگر منفی باشد وزن فرزند می‌کند و فقط میانگین حسابی آن را می‌پذیرد، "
                f"اما «{node.code}» با PCA وزن می‌گیرد و با {method} تجمیع می‌شود",
            )
            return


def _level(key) -> int | None:
    """A tree level written as a YAML key (2 or "2"), or None."""
    if isinstance(key, bool) or not isinstance(key, int | str) or not str(key).strip().isdigit():
        return None
    level = int(key)
    return level if level >= 1 else None


def _check_mixed_levels(
    r: _Reader, nodes: list[Node], level_of: dict[str, int], spec: WeightsSpec
) -> None:
    """A node whose children sit at levels that ``levels`` weighs differently must say
    how its children are weighted: no rule is picked for it silently."""
    for i, node in enumerate(nodes):
        if node.weights is not None:
            continue
        child_levels = sorted({level_of[c] for c in node.children})
        rules = {spec.levels.get(level, spec.method) for level in child_levels}
        if len(rules) > 1:
            shown = ", ".join(map(str, child_levels))
            r.problem(
                f"tree[{i}]",
                f"'{node.code}' has children at levels {shown}, which steps.weights.levels weighs "
                f"differently ({', '.join(sorted(rules))}); give it its own 'weights:'",
                f"«{node.code}» فرزندانی در سطح‌های {shown} دارد که steps.weights.levels آن‌ها را به روش‌های "
                f"متفاوت ({', '.join(sorted(rules))}) وزن می‌دهد؛ برایش «weights:» جداگانه بنویسید",
            )


def _impute(r: _Reader, value, groups) -> ImputeSpec:
    data = r.mapping(value, "steps.impute", ("method", "by"))
    method = r.optional(data, "method", "steps.impute", r.choice(IMPUTE_METHODS), "none")
    by = r.optional(data, "by", "steps.impute", r.string)
    if method.startswith("group_") and not by:
        r.problem(
            "steps.impute.by",
            f"'{method}' needs the group column in 'by'",
            f"«{method}» ستون گروه را در «by» لازم دارد",
        )
    if by and by not in groups:
        r.problem(
            "steps.impute.by",
            f"'{by}' is not listed in 'groups'",
            f"«{by}» در «groups» فهرست نشده است",
        )
    return ImputeSpec(method=method, by=by)


def _screen(r: _Reader, value) -> ScreenSpec:
    data = r.mapping(value, "steps.screen", ("min_coverage", "include", "exclude"))
    return ScreenSpec(
        min_coverage=r.optional(
            data, "min_coverage", "steps.screen", lambda v, p: r.number(v, p, low=0, high=1), 0.0
        ),
        include=r.optional(data, "include", "steps.screen", r.string_list, ()),
        exclude=r.optional(data, "exclude", "steps.screen", r.string_list, ()),
    )


def _treat(r: _Reader, value) -> TreatSpec:
    path = "steps.treat"
    data = r.mapping(value, path, ("method", "winmax", "skew", "kurtosis", "fallback"))
    return TreatSpec(
        method=r.optional(data, "method", path, r.choice(TREAT_METHODS), "none"),
        winmax=r.optional(data, "winmax", path, r.integer, 5),
        skew=r.optional(data, "skew", path, lambda v, p: r.number(v, p, low=0), 2.0),
        kurtosis=r.optional(data, "kurtosis", path, r.number, 3.5),
        fallback=r.optional(data, "fallback", path, r.choice(TREAT_FALLBACKS), "log"),
    )


def _normalise(
    r: _Reader,
    value,
    groups,
    indicators: list[Indicator],
    path: str = "steps.normalise",
    methods: tuple[str, ...] = NORMALISE_METHODS,
) -> NormaliseSpec:
    data = r.mapping(
        value,
        path,
        (
            "method",
            "range",
            "mean",
            "sd",
            "scale",
            "within",
            "min_group_size",
            "missing",
            "small_groups",
        ),
    )
    method = r.optional(
        data, "method", path, r.choice(methods), "minmax" if "minmax" in methods else methods[0]
    )
    within = r.optional(data, "within", path, r.string)
    if within and within not in groups:
        r.problem(
            f"{path}.within",
            f"'{within}' is not listed in 'groups'",
            f"«{within}» در «groups» فهرست نشده است",
        )
    if within and method == "rank":
        r.problem(f"{path}.method", RANK_WITHIN_EN, RANK_WITHIN_FA)
    if method == "goalposts":
        for i, indicator in enumerate(indicators):
            if indicator.goalposts is None:
                r.problem(
                    f"indicators[{i}].goalposts",
                    "goalpost normalisation needs [low, high] for every indicator",
                    "نرمال‌سازی با دروازه‌ها برای هر شاخص [کمینه، بیشینه] لازم دارد",
                )
    if method == "distance_to_target":
        for i, indicator in enumerate(indicators):
            if indicator.target is None:
                r.problem(
                    f"indicators[{i}].target",
                    "distance-to-target normalisation needs a target for every indicator",
                    "نرمال‌سازی فاصله تا هدف برای هر شاخص مقدار هدف لازم دارد",
                )
    missing = r.optional(data, "missing", path, r.choice(MISSING_RULES), "keep")
    if missing == "lowest" and method not in ORDER_METHODS:
        r.problem(f"{path}.missing", MISSING_LOWEST_EN, MISSING_LOWEST_FA)
    return NormaliseSpec(
        method=method,
        range=r.optional(data, "range", path, r.pair, (0.0, 100.0)),
        mean=r.optional(data, "mean", path, r.number, 0.0),
        sd=r.optional(data, "sd", path, lambda v, p: r.number(v, p, low=0, strict_low=True), 1.0),
        scale=r.optional(
            data, "scale", path, lambda v, p: r.number(v, p, low=0, strict_low=True), 100.0
        ),
        within=within,
        min_group_size=r.optional(data, "min_group_size", path, r.integer, 0),
        missing=missing,
        small_groups=r.optional(data, "small_groups", path, r.choice(SMALL_GROUPS), "everyone"),
    )


def _rescale(r: _Reader, value, groups) -> NormaliseSpec | None:
    """The index's scores re-expressed after aggregation, e.g. as a percentile within
    each unit's sector: what makes a "within sector" ranking sector-neutral at the top,
    where the spread of each sector's composite would otherwise decide who gets in."""
    if value is None:
        return None
    spec = _normalise(r, value, groups, [], "steps.rescale", RESCALE_METHODS)
    if spec.missing != "keep":
        r.problem(
            "steps.rescale.missing",
            "the index has no blanks to place: a unit without a score stays unranked",
            "شاخص کل خانهٔ خالی ندارد که جایی بنشیند: واحد بی‌امتیاز رتبه نمی‌گیرد",
        )
    return spec
