"""One validation layer for the configuration files people outside the team write:
methodologies, uncertainty specs, panel mappings, alert rules and needs mappings.

Each file's shape is a pydantic model built from :class:`Section` and the field types
below, whose errors already carry the project's English and Persian messages. A
section's :meth:`Section.checks` holds what a type cannot say (one field against
another, a reference to another section); it runs even when some fields are wrong, on
the section as it reads with those fields left out, so that every problem is reported
at once. :func:`read` turns what pydantic refuses into located :class:`Problem` s:
the field's path (``indicators[3].direction``, or ``rules[z2_distress].below`` for the
lists whose items are named by their code) and its line in the file; :func:`validate`
into the :class:`~rasad.errors.InputProblems` that data from no file (or a panel
mapping, whose messages start with the path) has always raised. The YAML is read by
libyaml's fast loader; the slow composer that knows the lines runs only when there is a
problem to locate (or, for :func:`parse_unique`, a key given twice).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, ClassVar, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainValidator,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from rasad.errors import RasadInputError

# libyaml's parser when PyYAML was built with it: ten times faster than the pure-Python one
FAST_LOADER = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a configuration file, located for the person who wrote it."""

    path: str
    line: int | None
    message_en: str
    message_fa: str

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line else ""
        return f"{where}{self.path}: {self.message_en} / {self.message_fa}"


class ConfigError(RasadInputError):
    """Every located problem of one file, in both languages, after the file's name."""

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


# --- YAML ------------------------------------------------------------------------------


def parse_yaml(text: str) -> Any:
    """The data of a YAML text, read by the fast loader. A text it refuses is read again
    by the pure-Python loader, so the error raised (its message, its line) is the one
    that loader gives, as the messages shown for it have always been."""
    try:
        return yaml.load(text, Loader=FAST_LOADER)
    except yaml.YAMLError:
        return yaml.safe_load(text)


def yaml_problem(error: yaml.YAMLError) -> Problem:
    """A YAML syntax error as a located problem."""
    mark = getattr(error, "problem_mark", None)
    return Problem(
        "",
        mark.line + 1 if mark else None,
        f"not valid YAML: {getattr(error, 'problem', error)}",
        "متن YAML معتبر نیست",
    )


class _Unique(FAST_LOADER):  # type: ignore[misc,valid-type]
    """The fast loader, noting whether some mapping gives a key twice (YAML keeps the
    last without a word)."""

    repeated = False

    def construct_mapping(self, node, deep=False):
        keys = [(k.tag, k.value) for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
        if len(set(keys)) != len(keys):
            self.repeated = True
        return super().construct_mapping(node, deep)


def parse_unique(text: str) -> tuple[Any, list[tuple[str, int, int]]]:
    """:func:`parse_yaml`, and (path, first line, repeated line) for each key a mapping
    gives twice (the composer, slow, runs only when there is one)."""
    loader = _Unique(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError:
        return yaml.safe_load(text), []
    finally:
        loader.dispose()
    if not loader.repeated:
        return data, []
    return data, list(_repeated_keys(yaml.compose(text, Loader=yaml.SafeLoader)))


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _repeated_keys(node, path: str = "", seen_nodes: set | None = None):
    """(path, first line, repeated line) for each key given twice in one YAML mapping."""
    seen_nodes = set() if seen_nodes is None else seen_nodes
    if node is None or id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        lines: dict[tuple[str, str], int] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE_TAG:
                continue
            here = f"{path}.{key.value}" if path else key.value
            line = key.start_mark.line + 1
            if (key.tag, key.value) in lines:
                yield here, lines[(key.tag, key.value)], line
            else:
                lines[(key.tag, key.value)] = line
            yield from _repeated_keys(value, here, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for number, item in enumerate(node.value):
            yield from _repeated_keys(item, f"{path}.{number}", seen_nodes)


def parse(text: str, source: str | None, error: type[ConfigError] = ConfigError) -> Any:
    """:func:`parse_yaml`, a syntax error raised as ``error`` located at its line."""
    try:
        return parse_yaml(text)
    except yaml.YAMLError as exc:
        raise error([yaml_problem(exc)], source) from exc


def line_table(text: str, data: Any = None, named: Iterable[str] = ()) -> dict[str, int]:
    """The line of every key and item of a YAML text, addressed by its path
    (``indicators[0].code``); the items of the lists ``named`` (in ``data``, the
    parsed text) also by their code (``rules[z2_distress].below``). The pure-Python
    composer keeps the lines; it is slow, so this runs only to locate a problem."""
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
    extra: dict[str, int] = {}
    for section in named:
        items = data.get(section) if isinstance(data, dict) else None
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and isinstance(item.get("code"), str):
                prefix, alias = f"{section}[{i}]", f"{section}[{item['code']}]"
                extra.update(
                    {
                        alias + k[len(prefix) :]: v
                        for k, v in lines.items()
                        if k == prefix or k.startswith((prefix + ".", prefix + "["))
                    }
                )
    return lines | extra


def line_of(path: str, lines: dict[str, int]) -> int | None:
    """The line of ``path``, or of its nearest parent in the file (a missing key)."""
    if not path:  # the whole file: where its data starts
        return lines.get("")
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


# --- problems --------------------------------------------------------------------------


def fail(en: str, fa: str) -> PydanticCustomError:
    """The error a validator raises: pydantic carries both messages to :func:`issues`."""
    return PydanticCustomError("rasad", "{en}", {"en": en, "fa": fa})


@dataclass(frozen=True)
class Issue:
    """A problem before it is located: where (keys and list positions, or a path
    already written), what was there and the two messages."""

    loc: Loc | str
    en: str
    fa: str
    value: Any = None


def issues(error: ValidationError) -> list[Issue]:
    """What pydantic refused, in the project's words, in the order of the file's keys."""
    found = []
    for e in error.errors():
        ctx = e.get("ctx") or {}
        value = e.get("input")
        if e["type"] == "rasad":
            en, fa = ctx["en"], ctx["fa"]
        elif e["type"] == "missing":
            en, fa = REQUIRED
            value = None  # nothing was there
        else:  # a shape no field type describes; not expected, but never lost
            en = fa = e["msg"]
        loc = tuple(e["loc"])
        if loc[-1:] == ("[key]",):  # a mapping's key: located at the key itself
            loc = loc[:-1]
        found.append(Issue(loc, en, fa, value))
    return found


def path_of(loc: Loc, data: Any, named: Iterable[str] = ()) -> str:
    """``indicators[3].direction`` for ``("indicators", 3, "direction")``: brackets
    for a list's items (a position, or the ``code`` of one), dots inside a mapping; in
    the lists ``named``, an item with a ``code`` is addressed by it."""
    named = tuple(named)
    path, node, parent = "", data, None
    part: str | int
    for part in loc:
        if (node is None and isinstance(part, int)) or (
            isinstance(node, list) and (isinstance(part, int) or _has_code(node, part))
        ):
            shown = part
            if (
                parent in named
                and isinstance(node, list)
                and isinstance(part, int)
                and 0 <= part < len(node)
            ):
                item = node[part]
                code = item.get("code") if isinstance(item, dict) else None
                shown = code if isinstance(code, str) and code else part
            path += f"[{shown}]"
        else:
            path += f".{part}" if path else str(part)
        parent = part
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return path


def _has_code(items: list, code: str) -> bool:
    return any(isinstance(item, dict) and item.get("code") == code for item in items)


def locate(
    found: Sequence[Issue],
    text: str,
    data: Any,
    source: str | None,
    *,
    error: type[ConfigError] = ConfigError,
    named: Iterable[str] = (),
    aliases: Iterable[str] = (),
    persian_digits: bool = False,
) -> ConfigError:
    """The issues as ``error``, each at its line (the composer runs here, once), in the
    order of the lines. The items of the lists ``named`` are addressed by their code;
    those of ``aliases`` may be (a check's choice), by position otherwise.
    ``persian_digits``: each Persian message with its numbers in Persian digits, as the
    whole error's always is (an uncertainty spec's problems have always had them)."""
    from rasad.iran.text import persian_numbers

    named = tuple(named)
    lines = line_table(text, data, named + tuple(aliases))
    problems = []
    for issue in found:
        path = issue.loc if isinstance(issue.loc, str) else path_of(issue.loc, data, named)
        fa = persian_numbers(issue.fa) if persian_digits else issue.fa
        problems.append(Problem(path, line_of(path, lines), issue.en, fa))
    problems.sort(key=lambda p: p.line or 0)
    return error(problems, source)


def read(
    model: type[M],
    data: Any,
    text: str,
    source: str | None,
    *,
    error: type[ConfigError] = ConfigError,
    named: Iterable[str] = (),
    aliases: Iterable[str] = (),
    context: dict | None = None,
    persian_digits: bool = False,
) -> M:
    """``data`` (parsed from ``text``) as ``model``, or ``error`` listing every problem
    located in ``text`` (see :func:`locate`)."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as refused:
        found = issues(refused)
    raise locate(
        found,
        text,
        data,
        source,
        error=error,
        named=named,
        aliases=aliases,
        persian_digits=persian_digits,
    )


class LocatedInputError(RasadInputError):
    """One problem of :func:`validate`: its messages start with its path, its
    ``field``; ``line`` is its line in the file, when the data came from one."""

    def __init__(self, message_en: str, message_fa: str, *, field=None, value=None, line=None):
        super().__init__(message_en, message_fa, field=field, value=value)
        self.line = line


def validate(
    model: type[M],
    data: Any,
    context: dict | None = None,
    *,
    root: str | None = None,
    text: str | None = None,
) -> M:
    """``data`` as ``model``, or an :class:`~rasad.errors.InputProblems` of
    :class:`LocatedInputError` s, each message starting with its path (``root`` for a
    problem of the whole document); with ``text`` (the YAML ``data`` was read from),
    each also knows its line."""
    from rasad.errors import InputProblems

    try:
        return model.model_validate(data, context=context)
    except ValidationError as refused:
        found = issues(refused)
    lines = line_table(text, data) if text is not None else {}
    problems: list[RasadInputError] = []
    for issue in found:
        path = path_of(issue.loc, data) if isinstance(issue.loc, tuple) else issue.loc
        shown = path or root
        problems.append(
            LocatedInputError(
                f"{shown}: {issue.en}" if shown else issue.en,
                f"{shown}: {issue.fa}" if shown else issue.fa,
                field=shown or None,
                value=issue.value,
                line=line_of(path, lines) if lines else None,
            )
        )
    raise InputProblems(problems)


# --- sections ---------------------------------------------------------------------------

REQUIRED = ("is required", "الزامی است")
NOT_MAPPING = ("must be a mapping of keys to values", "باید نگاشتی از کلید به مقدار باشد")


def refuse(loc: Loc, en: str, fa: str, value: Any = None) -> InitErrorDetails:
    """A problem found by :meth:`Section.checks` (or :meth:`Section.unknown`) at ``loc``,
    relative to the section."""
    return InitErrorDetails(type=fail(en, fa), loc=loc, input=value)


def repeated_codes(
    key: str, entries: Iterable[Any], noun_en: str, noun_fa: str
) -> Iterable[InitErrorDetails]:
    """A problem for each entry of the list ``key`` whose ``code`` an earlier one has:
    codes name rules and programmes in other files, so each must name one."""
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        if entry.code in seen:
            yield refuse(
                (key, i, "code"),
                f"the code '{entry.code}' is used by another {noun_en}",
                f"کد «{entry.code}» را {noun_fa} دیگری هم دارد",
            )
        seen.add(entry.code)


class Section(BaseModel):
    """A mapping of a configuration file: its keys are the fields, others are refused.

    The old readers' ways, kept as settings so that their messages stay: subclasses
    may set ``NOT_MAPPING`` (the message for a value that is not a mapping; with
    ``NOT_MAPPING_READ_EMPTY`` the value is then read as an empty mapping, so that its
    required keys are reported missing too), ``MISSING`` (a required key's own message
    when it is not there, instead of "is required"), ``KEEP_NONE`` (``key: null`` is a
    value, not the key left out) and ``FALLBACK`` (what a field is read from, for
    :meth:`checks`, when it is missing or wrong; a callable is called with the
    section's place, such as ``("indicators", 3)``), and override :meth:`variant`,
    :meth:`unknown` and :meth:`checks`."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, arbitrary_types_allowed=True, defer_build=True
    )

    NOT_MAPPING: ClassVar[tuple[str, str]] = NOT_MAPPING
    NOT_MAPPING_READ_EMPTY: ClassVar[bool] = False
    MISSING: ClassVar[dict[str, tuple[str, str]]] = {}
    KEEP_NONE: ClassVar[bool] = False
    FALLBACK: ClassVar[dict[str, Any]] = {}
    _KEYS: ClassVar[frozenset[str]] = frozenset()
    _CHECKED: ClassVar[bool] = False  # whether the section has checks of its own

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._KEYS = frozenset(cls.written_keys())
        cls._CHECKED = cls.checks.__func__ is not Section.checks.__func__  # type: ignore[attr-defined]

    @classmethod
    def written_keys(cls) -> list[str]:
        return [field.alias or name for name, field in cls.model_fields.items()]

    @classmethod
    def variant(cls, data: dict) -> type[Section]:
        """The section a mapping is read as, when one of its values decides its other
        keys (a rule's ``check``): this one, by default. Raising a ValidationError
        refuses the mapping whole, its other problems unreported (an unknown check)."""
        return cls

    @classmethod
    def unknown(cls, data: dict, keys: list) -> list[InitErrorDetails]:
        """The problems of the keys this section does not have: by default, one each
        (none for a section that ignores or keeps other keys)."""
        if cls.model_config.get("extra") != "forbid":
            return []
        known = ", ".join(cls.written_keys())
        return [
            refuse(
                (key,),
                f"unknown key '{key}'; expected one of: {known}",
                f"کلید ناشناختهٔ «{key}»؛ کلیدهای مجاز: {known}",
                key,
            )
            for key in keys
        ]

    @classmethod
    def checks(cls, data: dict, section: Any, info: Any, clean: bool) -> Iterable[InitErrorDetails]:
        """What the field types cannot check. ``data`` is the mapping as written;
        ``section`` the validated section (wrong fields left out, so at their default
        or ``FALLBACK``); ``info`` pydantic's, whose ``context`` the caller gave;
        ``clean`` whether every field was right."""
        return ()

    @model_validator(mode="wrap")
    @classmethod
    def _validate(cls, data: Any, handler: Callable, info: Any) -> Any:
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict):
            if not cls.NOT_MAPPING_READ_EMPTY:
                raise fail(*cls.NOT_MAPPING)
            errors = [refuse((), *cls.NOT_MAPPING, data)]
            try:
                cls.model_validate({}, context=info.context)
            except ValidationError as refused:
                errors += _translated(refused)
            raise ValidationError.from_exception_data(cls.__name__, errors)
        variant = cls.variant(data)
        if variant is not cls:
            return variant.model_validate(data, context=info.context)
        keys = cls._KEYS
        # ``key: null`` is the key left out, except when salvaging: a fallback is None
        keep_none = cls.KEEP_NONE or _salvaging.get()
        if all(k in keys and (v is not None or keep_none) for k, v in data.items()):
            unknown, known = [], data  # the common case, read as it is
        else:
            extra = [k for k in data if k not in keys]
            unknown = cls.unknown(data, extra)
            kept = () if cls.model_config.get("extra") == "forbid" else extra
            known = {
                k: v
                for k, v in data.items()
                if (k in keys or k in kept) and (v is not None or keep_none)
            }
        errors = []
        try:
            section = handler(known)
        except ValidationError as refused:
            errors = _translated(refused, cls.MISSING)
            section = _salvage(cls, known, refused, handler)
        errors += unknown  # after the fields' problems, before the checks'
        if cls._CHECKED and not _salvaging.get() and section is not None:
            errors += list(cls.checks(data, section, info, clean=not errors))
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return section


def _translated(
    refused: ValidationError, missing: dict[str, tuple[str, str]] | None = None
) -> list[InitErrorDetails]:
    """The errors of a section's fields, a missing key in the section's own words."""
    errors = []
    for error, issue in zip(refused.errors(), issues(refused), strict=True):
        loc, en, fa = tuple(error["loc"]), issue.en, issue.fa
        if loc[-1:] == ("[key]",):
            loc = loc[:-1]
        if missing and error["type"] == "missing" and len(loc) == 1 and str(loc[0]) in missing:
            en, fa = missing[str(loc[0])]
        errors.append(refuse(loc, en, fa, issue.value))
    return errors


def _salvage(cls: type[Section], data: dict, refused: ValidationError, handler: Callable) -> Any:
    """The section as it reads with a wrong choice taken as its first option and other
    wrong values left out (at their default, or ``FALLBACK`` for a required one), for
    :meth:`Section.checks` to check the rest; ``None`` when nothing can be read."""
    data = copy.deepcopy(data)
    token = _salvaging.set(True)  # the checks of the sections within are not run again
    try:
        for attempt in range(_SALVAGE_ROUNDS):
            if attempt:
                for error in refused.errors():
                    _leave_out(cls, data, tuple(error["loc"]))
            try:
                return handler(data)
            except ValidationError as again:
                refused = again
    finally:
        _salvaging.reset(token)
    return None


_SALVAGE_ROUNDS = 5
_salvaging: ContextVar[bool] = ContextVar("_salvaging", default=False)


def _leave_out(cls: type[Section], data: Any, loc: Loc) -> None:
    """Take the value at ``loc`` out of ``data`` (a required key: its fallback; a list
    item that is not a mapping: an empty one). A section refused whole first loses
    only the keys it does not have, the rest of it still read."""
    if not loc:
        return
    *parents, last = loc
    section = _section_at(cls, loc)
    value = _at(data, loc)
    if section is not None and isinstance(value, dict):
        stranger = [k for k in value if k not in section._KEYS]
        if stranger:
            for key in stranger:
                del value[key]
            return
    node = data
    for part in parents:
        if isinstance(node, dict) and part in node:
            if not isinstance(node[part], dict | list):  # read as an empty mapping
                node[part] = {}
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return
    owner = _section_at(cls, tuple(parents))
    fallback = owner.FALLBACK.get(str(last), _NONE) if owner is not None else _NONE
    if fallback is not _NONE and isinstance(node, dict):
        node[last] = fallback(tuple(parents) or ("",)) if callable(fallback) else fallback
    elif isinstance(node, dict):
        node.pop(last, None)
    elif isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node):
        node[last] = {}


_NONE = object()


def _at(data: Any, loc: Loc) -> Any:
    for part in loc:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _section_at(cls: type[Section], loc: Loc) -> type[Section] | None:
    """The section class of the value at ``loc`` inside a ``cls``."""
    tp: Any = cls
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, Section):
            field = next((f for n, f in tp.model_fields.items() if (f.alias or n) == part), None)
            if field is None:
                return None
            tp = field.annotation
        elif get_origin(tp) in (tuple, list):
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, Section) else None


def _unwrap(tp: Any) -> Any:
    """The type inside ``Annotated[...]`` and ``X | None``."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif get_origin(tp) in (Union, UnionType):
            tp = next(a for a in get_args(tp) if a is not type(None))
        else:
            return tp


# --- field types -------------------------------------------------------------------------


def keyed(en: str, fa: str) -> BeforeValidator:
    """A non-empty mapping, else the message."""

    def check(value: Any) -> Any:
        if not isinstance(value, dict) or not (value or _salvaging.get()):
            raise fail(en, fa)
        return value

    return BeforeValidator(check)


def listed(en: str, fa: str) -> BeforeValidator:
    """A non-empty list, else the message (a section's ``MISSING`` says it when the key
    is not there at all)."""

    def check(value: Any) -> Any:
        if not isinstance(value, list) or not (value or _salvaging.get()):
            raise fail(en, fa)
        return value

    return BeforeValidator(check)


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def number(
    low: float = -math.inf, high: float = math.inf, *, strict_low: bool = False
) -> PlainValidator:
    """A finite number (not a boolean), within the bounds, as a float."""

    def check(value: Any) -> float:
        if not _is_number(value):
            raise fail(f"must be a number, not {value!r}", f"باید عدد باشد، نه «{value}»")
        if value < low or (strict_low and value == low) or value > high:
            bounds = (
                f"{'>' if strict_low else '≥'} {low:g}"
                if high == math.inf
                else f"between {low:g} and {high:g}"
            )
            raise fail(f"must be {bounds}, not {value:g}", f"باید {bounds} باشد، نه {value:g}")
        return float(value)

    return PlainValidator(check)


def integer(low: int = 0) -> PlainValidator:
    """A whole number ≥ ``low`` (not a boolean, not 2.0)."""

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise fail(
                f"must be a whole number ≥ {low}, not {value!r}",
                f"باید عدد صحیح ≥ {low} باشد، نه «{value}»",
            )
        return value

    return PlainValidator(check)


def choice(options: Sequence[Any], *, lead_fa: str = "یکی از این‌ها را بنویسید") -> PlainValidator:
    """One of ``options``; ``lead_fa`` the Persian words before them."""
    shown = ", ".join(map(str, options))

    def check(value: Any) -> Any:
        if value not in options:
            if _salvaging.get():  # read as the first option, to check the rest
                return options[0]
            raise fail(
                f"'{value}' is not one of: {shown}",
                f"«{value}» مجاز نیست؛ {lead_fa}: {shown}",
            )
        return value

    return PlainValidator(check)


def _string(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise fail("must be text", "باید متن باشد")
    return str(value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise fail(
            f"must be true or false, not {value!r}", f"باید true یا false باشد، نه «{value}»"
        )
    return value


def _string_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise fail("must be a list", "باید فهرست باشد")
    if all(type(v) is str for v in value):  # the common case, in one call
        return tuple(value)
    wrong = []
    for i, v in enumerate(value):
        try:
            _string(v)
        except PydanticCustomError as error:
            wrong.append(InitErrorDetails(type=error, loc=(i,), input=v))
    if wrong:
        raise ValidationError.from_exception_data("list", wrong)
    return tuple(str(v) for v in value)


def _pair(value: Any) -> Any:
    if not isinstance(value, list) or len(value) != 2:
        raise fail(
            "must be a list of two numbers [low, high]",
            "باید فهرستی از دو عدد [کمینه، بیشینه] باشد",
        )
    return value


def _rising(pair: tuple[float, float]) -> tuple[float, float]:
    low, high = pair
    if not low < high:
        raise fail(
            f"the low end {low:g} must be below the high end {high:g}",
            f"کران پایین {low:g} باید کمتر از کران بالا {high:g} باشد",
        )
    return pair


#: text: a string, or a number written where a name was meant (``version: 1``)
String = Annotated[str, PlainValidator(_string)]
Boolean = Annotated[bool, PlainValidator(_boolean)]
Number = Annotated[float, number()]
#: a list of texts, each checked at its own position
StringList = Annotated[tuple[str, ...], PlainValidator(_string_list)]
#: [low, high], two numbers with low < high
Pair = Annotated[tuple[Number, Number], BeforeValidator(_pair), AfterValidator(_rising)]


@dataclass(frozen=True)
class Text:
    """A text in Persian and English; either may stand in for the other."""

    fa: str
    en: str

    def get(self, language: str = "fa") -> str:
        return self.fa if language.startswith("fa") and self.fa else (self.en or self.fa)


_NO_TEXT = ("needs a Persian (fa) or English (en) text", "متن فارسی (fa) یا انگلیسی (en) لازم است")


class _TextSection(Section):
    fa: String = ""
    en: String = ""

    @classmethod
    def checks(cls, data, section, info, clean):
        if not section.fa and not section.en:
            yield refuse((), *_NO_TEXT)


def _text(value: Any) -> Text:
    if isinstance(value, str):
        return Text(fa=value, en=value)
    if not isinstance(value, dict):  # as an empty mapping: neither text is there
        raise ValidationError.from_exception_data(
            "text",
            [refuse((), *NOT_MAPPING, value), refuse((), *_NO_TEXT, value)],
        )
    if value.keys() <= {"fa", "en"}:
        fa, en = value.get("fa"), value.get("en")
        if type(fa) is str and type(en) is str and (fa or en):  # the common case, at once
            return Text(fa=fa or en, en=en or fa)
    section = _TextSection.model_validate(value)
    return Text(fa=section.fa or section.en, en=section.en or section.fa)


#: ``name: Sales`` or ``name: {fa: فروش, en: Sales}``
TextField = Annotated[Text, PlainValidator(_text)]
