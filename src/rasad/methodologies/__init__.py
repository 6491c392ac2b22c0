"""Bundled methodology files and the indicator catalogue they draw on.

The catalogue (``indicators.yaml``) is the single list of raw figures an enterprise
reports each year. Intake, web forms, the demo population and every methodology use
its codes, so a typo or an impossible bound there would silently spread everywhere;
it is therefore checked field by field on load, with messages that name the entry and
the field in both languages.
"""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import yaml

from rasad.errors import RasadInputError

UNITS = ("persons", "million_rials", "percent", "hours", "count", "boolean")
KINDS = ("count", "money", "percent", "boolean")
# A unit says what the number measures, a kind how it is checked and added up; only
# these pairs make sense together.
_UNITS_OF_KIND = {
    "count": ("persons", "hours", "count"),
    "money": ("million_rials",),
    "percent": ("percent",),
    "boolean": ("boolean",),
}
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_KEYS = ("code", "name", "unit", "kind", "min", "max", "direction", "description")
_OPTIONAL_KEYS = ("plausible_min", "plausible_max")


@dataclass(frozen=True)
class IndicatorSpec:
    """One raw figure of the yearly return.

    ``direction`` is +1 where more is better, -1 where less is better and 0 for scale
    figures (assets, wages, inputs) whose reading depends on what a methodology divides
    them by. ``min_value``/``max_value`` of ``None`` leave that side unbounded: profits,
    equity and retained earnings can be negative; a value outside them is invalid.
    ``plausible_min``/``plausible_max`` (inside those, ``None`` for none) bound what is
    believable: a value outside them is not refused but is implausible, and needs a
    person's confirmation before it is stored (:meth:`implausible`).
    """

    code: str
    name_fa: str
    name_en: str
    unit: str
    kind: str
    min_value: float | None
    max_value: float | None
    direction: int
    description_fa: str
    description_en: str
    plausible_min: float | None = None
    plausible_max: float | None = None

    def implausible(self, values):
        """Where ``values`` (an array) lie outside the plausible bounds; NaN never does."""
        values = np.asarray(values, dtype=float)
        out = np.zeros(values.shape, dtype=bool)
        with np.errstate(invalid="ignore"):
            if self.plausible_min is not None:
                out |= values < self.plausible_min
            if self.plausible_max is not None:
                out |= values > self.plausible_max
        return out


def _error(field: str, value, en: str, fa: str) -> RasadInputError:
    return RasadInputError(f"{field}: {en}", f"{field}: {fa}", field=field, value=value)


def _text_pair(entry: dict, key: str, where: str) -> tuple[str, str]:
    pair = entry[key]
    if not isinstance(pair, dict) or set(pair) != {"fa", "en"}:
        raise _error(
            f"{where}.{key}",
            pair,
            "must be a mapping with exactly the keys fa and en.",
            "باید نگاشتی با دقیقاً دو کلید fa و en باشد.",
        )
    for language in ("fa", "en"):
        text = pair[language]
        if not isinstance(text, str) or not text.strip():
            raise _error(
                f"{where}.{key}.{language}",
                text,
                "must be non-empty text.",
                "باید متنی ناتهی باشد.",
            )
    return pair["fa"].strip(), pair["en"].strip()


def _bound(entry: dict, key: str, where: str) -> float | None:
    value = entry[key]
    if value is None:
        return None
    # NaN (.nan) is refused too: no check against it can fail, so it would bound nothing
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
        raise _error(
            f"{where}.{key}",
            value,
            "must be a number or null (unbounded).",
            "باید عدد یا null (بی‌کران) باشد.",
        )
    return float(value)


def _spec(entry, index: int) -> IndicatorSpec:
    code = _code(entry, index)
    where = f"indicators[{code}]"
    _check_keys(entry, where)
    name_fa, name_en = _text_pair(entry, "name", where)
    description_fa, description_en = _text_pair(entry, "description", where)
    kind, unit = _kind_and_unit(entry, where)
    direction = _direction(entry, where)
    low, high = _valid_bounds(entry, where, kind)
    plausible_low, plausible_high = _plausible(entry, where, low, high)
    return IndicatorSpec(
        code=code,
        name_fa=name_fa,
        name_en=name_en,
        unit=unit,
        kind=kind,
        min_value=low,
        max_value=high,
        direction=direction,
        description_fa=description_fa,
        description_en=description_en,
        plausible_min=plausible_low,
        plausible_max=plausible_high,
    )


def _code(entry, index: int) -> str:
    """The entry's code; until it is known, the entry is named by its position."""
    where = f"indicators[{index}]"
    if not isinstance(entry, dict):
        raise _error(where, entry, "must be a mapping of fields.", "باید نگاشتی از فیلدها باشد.")
    code = entry.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        raise _error(
            f"{where}.code",
            code,
            "must be lower-case snake_case text starting with a letter.",
            "باید متنی با حروف کوچک لاتین، رقم و زیرخط باشد که با حرف آغاز شود.",
        )
    return code


def _check_keys(entry: dict, where: str) -> None:
    missing = [key for key in _KEYS if key not in entry]
    unknown = sorted(set(entry) - set(_KEYS) - set(_OPTIONAL_KEYS))
    if missing or unknown:
        raise _error(
            where,
            sorted(entry),
            f"missing fields {missing}, unknown fields {unknown}; expected {list(_KEYS)}.",
            f"فیلدهای کم: {missing}، فیلدهای ناشناخته: {unknown}؛ فیلدهای لازم: {list(_KEYS)}.",
        )


def _kind_and_unit(entry: dict, where: str) -> tuple[str, str]:
    unit, kind = entry["unit"], entry["kind"]
    if kind not in KINDS:
        raise _error(
            f"{where}.kind",
            kind,
            f"must be one of {list(KINDS)}.",
            f"باید یکی از {list(KINDS)} باشد.",
        )
    if unit not in _UNITS_OF_KIND[kind]:
        allowed = list(_UNITS_OF_KIND[kind])
        raise _error(
            f"{where}.unit",
            unit,
            f"a {kind} indicator takes one of the units {allowed}.",
            f"واحد شاخصی از نوع {kind} باید یکی از {allowed} باشد.",
        )
    return kind, unit


def _direction(entry: dict, where: str) -> int:
    direction = entry["direction"]
    if isinstance(direction, bool) or direction not in (-1, 0, 1):
        raise _error(
            f"{where}.direction",
            direction,
            "must be 1 (higher is better), -1 (lower is better) or 0 (neither).",
            "باید ۱ (بیشتر بهتر)، ‎-1 (کمتر بهتر) یا ۰ (هیچ‌کدام) باشد.",
        )
    return int(direction)


def _valid_bounds(entry: dict, where: str, kind: str) -> tuple[float | None, float | None]:
    """The entry's valid bounds, ordered and as its kind requires: a percentage lies
    in 0–100, a yes/no in 0–1, and a count is never negative."""
    low, high = _bound(entry, "min", where), _bound(entry, "max", where)
    if low is not None and high is not None and low > high:
        raise _error(
            f"{where}.min",
            low,
            f"the minimum {low:g} exceeds the maximum {high:g}.",
            f"کمینه {low:g} از بیشینه {high:g} بزرگ‌تر است.",
        )
    expected = {"percent": (0.0, 100.0), "boolean": (0.0, 1.0)}.get(kind)
    if expected is not None and (low, high) != expected:
        raise _error(
            f"{where}.min",
            (low, high),
            f"a {kind} indicator has min {expected[0]:g} and max {expected[1]:g}.",
            f"شاخص از نوع {kind} باید کمینه {expected[0]:g} و بیشینه {expected[1]:g} داشته باشد.",
        )
    if kind == "count" and (low is None or low < 0):
        raise _error(
            f"{where}.min",
            low,
            "a count cannot be negative: min must be 0 or more.",
            "شمارش نمی‌تواند منفی باشد: کمینه باید ۰ یا بیشتر باشد.",
        )
    return low, high


def _plausible(entry: dict, where: str, low: float | None, high: float | None):
    """The plausible bounds of an entry: optional, and inside its valid bounds."""
    values = {}
    for key in _OPTIONAL_KEYS:
        value = _bound(entry, key, where) if key in entry else None
        if value is not None and (
            (low is not None and value < low) or (high is not None and value > high)
        ):
            raise _error(
                f"{where}.{key}",
                value,
                "a plausible bound must lie within min and max.",
                "کران باورپذیر باید میان min و max باشد.",
            )
        values[key] = value
    plausible_low, plausible_high = values["plausible_min"], values["plausible_max"]
    if plausible_low is not None and plausible_high is not None and plausible_low >= plausible_high:
        raise _error(
            f"{where}.plausible_min",
            plausible_low,
            f"plausible_min {plausible_low:g} must be below plausible_max {plausible_high:g}.",
            f"plausible_min ({plausible_low:g}) "
            f"باید از plausible_max ({plausible_high:g}) کمتر باشد.",
        )
    return plausible_low, plausible_high


def load_catalogue(path: str | Path | None = None) -> list[IndicatorSpec]:
    """The indicator catalogue, in file order (the order of return columns).

    ``path`` reads another catalogue file, e.g. a deployment's extended copy; by
    default the bundled ``indicators.yaml`` is read.
    """
    if path is None:
        text = resources.files(__name__).joinpath("indicators.yaml").read_text(encoding="utf-8")
        source = "indicators.yaml"
    else:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise RasadInputError(
                f"Cannot read the indicator catalogue {source}: {exc.strerror}.",
                f"فایل فهرست شاخص‌ها ({source}) خوانده نشد: {exc.strerror}.",
                field="path",
                value=source,
            ) from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RasadInputError(
            f"The indicator catalogue {source} is not valid YAML: {exc}",
            f"فایل فهرست شاخص‌ها ({source}) YAML معتبر نیست: {exc}",
            field="path",
            value=source,
        ) from exc
    entries = document.get("indicators") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise _error(
            "indicators",
            entries,
            "the catalogue must have a non-empty list under the key 'indicators'.",
            "فهرست شاخص‌ها باید زیر کلید indicators فهرستی ناتهی داشته باشد.",
        )
    specs = [_spec(entry, index) for index, entry in enumerate(entries)]
    seen: set[str] = set()
    for spec in specs:
        if spec.code in seen:
            raise _error(
                f"indicators[{spec.code}].code",
                spec.code,
                "this code appears more than once; codes must be unique.",
                "این کد بیش از یک بار آمده است؛ کدها باید یکتا باشند.",
            )
        seen.add(spec.code)
    return specs
