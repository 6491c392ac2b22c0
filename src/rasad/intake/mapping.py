"""Import panels we did not make, through a small YAML mapping file.

Research data sets (the Michigan training-grant panel, the UK employment panel) have
their own column names, units, calendars and firm codes. A mapping file says, in a
form a reviewer can read and check against the data's documentation, which source
column becomes which catalogue indicator, with what unit factor, how a year becomes
a Jalali period and how a firm code becomes an enterprise. Only what matches a
catalogue definition honestly is mapped; the rest is left out and said so in the
file's notes (see docs/intake.md).

Format::

    name: {fa: ..., en: ...}
    dataset: {code: uk-empl}         # optional slug; default: the file's stem (uk_emplUK → uk-empluk)
    source: {file: data.csv, citation: ..., notes: ...}
    enterprise:
      id: firm                       # source column with the firm's code
      national_id: {prefix: "9901", width: 6}   # synthetic ID: prefix + code + check digit
      # or {prefix: "9903", width: 6, codes: text}: any text code, IDs numbered 1, 2, …
      name: {fa: "بنگاه {id_fa}", en: "Firm {id}"}
      constants: {isic_class: null, province: null, estate: null, founding_year: null}
    period:
      year: year                     # source column with the year
      calendar: gregorian            # or jalali
    currency: {code: USD, note: ...} # optional: money not in rials is not converted
    prices:                          # optional: the price index that deflates the money
      calendar: gregorian            # of the index's years; default: period.calendar
      source: "BLS CPI-U, annual average, 1982–84 = 100"
      index: {1991: 136.2, 1992: 140.3}
    indicators:
      employees: {column: emp, factor: 1000, note: "thousands → persons"}
      defect_rate: {sum: [scrap, rework]}
      training_hours: {product: [tothrs, totrain]}

A Gregorian year *g* becomes the Jalali year that begins in it, *g* − 621 (it starts
on 1 Farvardin, about 21 March of *g*, and so covers nine of its twelve months); the
years of a price index are converted the same way.

With ``codes: number`` (the default) the firm code is a whole number and the national ID
is computed from it. With ``codes: text`` (firm names, tickers) IDs are assigned: a code
already registered for the panel (``known_codes``) keeps its ID, new codes get the next
numbers under the prefix in sorted order, so a re-import never moves a firm.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from rasad.errors import InputProblems, RasadInputError
from rasad.iran.geo import find_isic, find_province
from rasad.iran.ids import make_legal_id
from rasad.iran.periods import Period
from rasad.iran.text import parse_number, to_latin_digits, to_persian_digits
from rasad.methodologies import IndicatorSpec, load_catalogue

from .report import ENTERPRISE_COLUMNS, empty_enterprises, empty_returns

COMBINES = ("column", "sum", "product")
CALENDARS = ("jalali", "gregorian")
CODES = ("number", "text")
GREGORIAN_OFFSET = 621
#: a dataset code: lowercase Latin letters, digits and single inner hyphens, ≤ 50 characters
DATASET_CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
DATASET_CODE_LENGTH = 50
DEFAULT_DATASET_CODE = "panel"
_TOP_KEYS = {
    "name", "dataset", "source", "enterprise", "period", "currency", "prices", "indicators"
}  # fmt: skip
_CONSTANT_KEYS = ("isic_class", "province", "estate", "founding_year")


def _problem(path: str, value, en: str, fa: str) -> RasadInputError:
    return RasadInputError(f"{path}: {en}", f"{path}: {fa}", field=path, value=value)


@dataclass(frozen=True)
class IndicatorSource:
    """How one catalogue indicator is computed from source columns.

    ``combine`` is ``column`` (one column), ``sum`` or ``product`` (of several, NaN
    if any is missing); the result is multiplied by ``factor``.
    """

    code: str
    combine: str
    columns: tuple[str, ...]
    factor: Fraction = Fraction(1)
    note: str = ""

    def compute(self, frame: pd.DataFrame) -> np.ndarray:
        values = [pd.to_numeric(frame[c], errors="coerce").to_numpy(float) for c in self.columns]
        if self.combine == "sum":
            result = np.sum(values, axis=0)
        elif self.combine == "product":
            result = np.prod(values, axis=0)
        else:
            result = values[0]
        # exact decimal factors: 47,000,000 × 1e-6 is 47.0, not 46.99999999999999
        return result * self.factor.numerator / self.factor.denominator


@dataclass(frozen=True)
class PanelMapping:
    """A validated mapping file (see the module docstring for the format)."""

    name_fa: str
    name_en: str
    id_column: str
    id_prefix: str
    id_width: int
    year_column: str
    calendar: str
    indicators: tuple[IndicatorSource, ...]
    name_template_fa: str = "{id_fa}"
    name_template_en: str = "{id}"
    constants: dict = field(default_factory=dict)
    currency: str = "IRR"
    currency_note: str = ""
    source: dict = field(default_factory=dict)
    #: ``number``: the firm code is a whole number and the ID is computed from it;
    #: ``text``: any text, IDs assigned (see :func:`assign_text_ids`)
    id_codes: str = "number"
    dataset_code: str = DEFAULT_DATASET_CODE
    #: the price index by **Jalali** year, or None when the mapping carries none
    prices: dict[int, float] | None = None
    prices_note: str = ""

    @property
    def columns(self) -> list[str]:
        """Every source column the mapping reads."""
        needed = [self.id_column, self.year_column]
        for source in self.indicators:
            needed.extend(c for c in source.columns if c not in needed)
        return needed

    def jalali_year(self, year: int) -> int:
        return year - GREGORIAN_OFFSET if self.calendar == "gregorian" else year


def _text_pair(value, path: str, problems: list) -> tuple[str, str]:
    if not isinstance(value, dict) or not {"fa", "en"} <= set(value):
        problems.append(
            _problem(path, value, "must have fa and en texts.", "باید متن fa و en داشته باشد.")
        )
        return "", ""
    return str(value["fa"]), str(value["en"])


def _indicator(
    code, spec, catalogue: dict[str, IndicatorSpec], problems: list
) -> IndicatorSource | None:
    path = f"indicators.{code}"
    if code not in catalogue:
        problems.append(
            _problem(
                path,
                code,
                f"{code!r} is not a catalogue indicator; known: {', '.join(catalogue)}.",
                f"«{code}» شاخص فهرست نیست؛ شاخص‌های معتبر: {'، '.join(catalogue)}.",
            )  # fmt: skip
        )
        return None
    if not isinstance(spec, dict):
        problems.append(
            _problem(
                path,
                spec,
                "must be a mapping such as {column: emp}.",
                "باید نگاشتی مانند {column: emp} باشد.",
            )
        )
        return None
    unknown = sorted(set(spec) - {*COMBINES, "factor", "note"})
    given = [k for k in COMBINES if k in spec]
    if unknown or len(given) != 1:
        problems.append(
            _problem(
                path,
                sorted(spec),
                "give exactly one of column, sum or product (plus optional "
                f"factor and note); unknown keys: {unknown}.",
                f"دقیقاً یکی از column، sum یا product (و در صورت نیاز factor و note) را بدهید؛ "
                f"کلیدهای ناشناخته: {unknown}.",
            )  # fmt: skip
        )
        return None
    combine = given[0]
    columns = spec[combine]
    columns = [columns] if combine == "column" else columns
    if (
        not isinstance(columns, list)
        or not columns
        or not all(isinstance(c, str) and c for c in columns)
        or (combine != "column" and len(columns) < 2)
    ):
        problems.append(
            _problem(
                f"{path}.{combine}",
                columns,
                "column names expected (two or more for sum and product).",
                "نام ستون لازم است (برای sum و product دو یا بیشتر).",
            )  # fmt: skip
        )
        return None
    factor = spec.get("factor", 1)
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not factor > 0:
        problems.append(
            _problem(f"{path}.factor", factor, "must be a positive number.", "باید عددی مثبت باشد.")
        )
        return None
    return IndicatorSource(
        code, combine, tuple(columns), Fraction(str(factor)), str(spec.get("note", "")).strip()
    )


def _dataset_code(value, problems: list) -> str:
    """``dataset.code``, checked."""
    if not isinstance(value, dict) or set(value) != {"code"}:
        problems.append(
            _problem(
                "dataset",
                value,
                "must be {code: a-slug} and nothing else.",
                "باید {code: a-slug} باشد و کلید دیگری نداشته باشد.",
            )
        )
        return DEFAULT_DATASET_CODE
    code = value["code"]
    if not isinstance(code, str) or not DATASET_CODE.match(code) or len(code) > DATASET_CODE_LENGTH:
        problems.append(
            _problem(
                "dataset.code",
                code,
                f"a dataset code is a slug of at most {DATASET_CODE_LENGTH} characters: lowercase "
                "Latin letters and digits, words joined by single hyphens (us-innovation-1991-1999).",
                f"کد مجموعه‌داده باید نامکی (slug) با حداکثر {DATASET_CODE_LENGTH} نویسه باشد: "
                "حروف کوچک لاتین و رقم، واژه‌ها با یک خط تیره به هم پیوسته (us-innovation-1991-1999).",
            )  # fmt: skip
        )
        return DEFAULT_DATASET_CODE
    return code


def dataset_code_from_file(file: str | Path | None) -> str:
    """The default dataset code: the file's stem in lowercase with ``_`` → ``-``.

    ``uk_emplUK.yaml`` → ``uk-empluk``; ``panel`` without a file. A stem that does not
    make a valid code is refused: say ``dataset: {code: ...}`` in the mapping instead.
    """
    if file is None:
        return DEFAULT_DATASET_CODE
    stem = Path(file).stem
    code = stem.lower().replace("_", "-")
    if DATASET_CODE.match(code) and len(code) <= DATASET_CODE_LENGTH:
        return code
    raise _problem(
        "dataset.code",
        stem,
        f"the file name {stem!r} does not make a dataset code ({code!r} is not a slug of at most "
        f"{DATASET_CODE_LENGTH} lowercase letters, digits and single hyphens): give "
        "dataset: {code: ...} in the mapping.",
        f"از نام فایل «{stem}» کد مجموعه‌داده ساخته نمی‌شود («{code}» نامکی با حداکثر "
        f"{DATASET_CODE_LENGTH} حرف کوچک لاتین، رقم و خط تیره نیست): در نگاشت "
        "dataset: {code: ...} را بدهید.",
    )  # fmt: skip


def _whole_year(key) -> int | None:
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return key
    if isinstance(key, str):
        text = to_latin_digits(key).strip()
        if text.isascii() and text.isdigit():
            return int(text)
    return None


def _price_number(value) -> float | None:
    """A positive finite index value, or None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return number if math.isfinite(number) and number > 0 else None


def _jalali_price_year(year: int, calendar: str) -> int:
    """The Jalali year of a price-index year; a RasadInputError when out of range."""
    jalali = year - GREGORIAN_OFFSET if calendar == "gregorian" else year
    return Period(jalali).year


def _prices(
    value, calendar_default: str | None, problems: list
) -> tuple[dict[int, float] | None, str]:
    if value is None:
        return None, ""
    if not isinstance(value, dict):
        problems.append(
            _problem(
                "prices",
                value,
                "must be a mapping {calendar, source, index}.",
                "باید نگاشتی با calendar، source و index باشد.",
            )
        )
        return None, ""
    unknown = sorted(set(value) - {"calendar", "source", "index"}, key=str)
    if unknown:
        problems.append(
            _problem(
                "prices",
                unknown,
                f"unknown keys {unknown}; allowed: calendar, source, index.",
                f"کلیدهای ناشناخته {unknown}؛ کلیدهای مجاز: calendar، source و index.",
            )
        )
    calendar = value.get("calendar", calendar_default)
    if calendar is None and "calendar" not in value:
        pass  # period.calendar is wrong, and is reported already
    elif calendar not in CALENDARS:
        problems.append(
            _problem(
                "prices.calendar",
                calendar,
                f"must be one of {CALENDARS}.",
                f"باید یکی از {CALENDARS} باشد.",
            )
        )
        calendar = None
    note = value.get("source")
    if not isinstance(note, str) or not note.strip():
        problems.append(
            _problem(
                "prices.source",
                note,
                "say where the index comes from (publisher, series, base, annual average or not).",
                "بگویید شاخص از کجا آمده است (ناشر، سری، سال پایه، میانگین سالانه یا جز آن).",
            )
        )
        note = ""
    index = value.get("index")
    if not isinstance(index, dict) or not index:
        problems.append(
            _problem(
                "prices.index",
                index,
                "give the index by year, such as {1991: 136.2, 1992: 140.3}.",
                "شاخص را به تفکیک سال بدهید، مانند {1991: 136.2, 1992: 140.3}.",
            )
        )
        return None, note.strip()
    prices: dict[int, float] = {}
    first: dict[int, object] = {}
    for key, number in index.items():
        path = f"prices.index.{key}"
        year, level = _whole_year(key), _price_number(number)
        if year is None:
            problems.append(
                _problem(
                    path,
                    key,
                    "a year must be a whole number.",
                    "سال باید عدد صحیح باشد.",
                )
            )
        if level is None:
            problems.append(
                _problem(
                    path,
                    number,
                    "the index must be a positive finite number.",
                    "شاخص باید عددی مثبت و متناهی باشد.",
                )
            )
        if year is None or calendar is None:
            continue
        try:
            jalali = _jalali_price_year(year, calendar)
        except RasadInputError as error:
            problems.append(_problem(path, key, error.message_en, error.message_fa))
            continue
        if jalali in first:
            problems.append(
                _problem(
                    path,
                    key,
                    f"the year is given twice ({first[jalali]!r} and {key!r}).",
                    f"این سال دو بار آمده است («{first[jalali]}» و «{key}»).",
                )
            )
            continue
        first[jalali] = key
        if level is not None:
            prices[jalali] = level
    return dict(sorted(prices.items())), note.strip()


def parse_mapping(
    document,
    *,
    catalogue: Sequence[IndicatorSpec] | None = None,
    where: str | None = None,
    file: str | Path | None = None,
) -> PanelMapping:
    """Validate a mapping document (already loaded from YAML); every problem at once.

    ``file`` is the file the document came from, if any: its stem gives the dataset code
    when the document has none (:func:`dataset_code_from_file`), and its name is
    ``where`` unless that is given.
    """
    where = where or (Path(file).name if file is not None else "mapping")
    specs = {spec.code: spec for spec in (catalogue or load_catalogue())}
    problems: list[RasadInputError] = []
    if not isinstance(document, dict):
        raise _problem(
            where, document, "a mapping file is a YAML mapping.", "فایل نگاشت باید نگاشت YAML باشد."
        )
    unknown = sorted(set(document) - _TOP_KEYS)
    missing = sorted({"name", "enterprise", "period", "indicators"} - set(document))
    if unknown or missing:
        problems.append(
            _problem(
                where,
                sorted(document),
                f"missing keys {missing}, unknown keys {unknown}.",
                f"کلیدهای کم: {missing}، کلیدهای ناشناخته: {unknown}.",
            )  # fmt: skip
        )
        raise InputProblems(problems)
    name_fa, name_en = _text_pair(document["name"], "name", problems)
    enterprise = document["enterprise"] if isinstance(document["enterprise"], dict) else {}
    id_column = enterprise.get("id")
    if not isinstance(id_column, str) or not id_column:
        problems.append(
            _problem(
                "enterprise.id",
                id_column,
                "name the source column with the firm code.",
                "ستون کد بنگاه را نام ببرید.",
            )
        )
    national = enterprise.get("national_id") or {}
    if not isinstance(national, dict):
        national = {}
    prefix, width = str(national.get("prefix", "")), national.get("width")
    id_codes = national.get("codes", "number")
    if id_codes not in CODES:
        problems.append(
            _problem(
                "enterprise.national_id.codes",
                id_codes,
                "must be number (a whole-number firm code, from which the ID is computed) or "
                "text (any text, such as a company name; IDs are numbered in turn).",
                "باید number باشد (کد بنگاه عدد صحیح است و شناسه از آن ساخته می‌شود) یا text "
                "(هر متنی مانند نام شرکت؛ شناسه‌ها به ترتیب شماره می‌خورند).",
            )  # fmt: skip
        )
    unknown_national = sorted(set(national) - {"prefix", "width", "codes"}, key=str)
    if unknown_national:
        problems.append(
            _problem(
                "enterprise.national_id",
                unknown_national,
                f"unknown keys {unknown_national}; allowed: prefix, width, codes.",
                f"کلیدهای ناشناخته {unknown_national}؛ کلیدهای مجاز: prefix، width و codes.",
            )
        )
    if (
        not (prefix.isascii() and prefix.isdigit())
        or not isinstance(width, int)
        or len(prefix) + width != 10
    ):
        problems.append(
            _problem(
                "enterprise.national_id",
                national,
                "give prefix (digits) and width with len(prefix) + width = 10: the synthetic ID "
                "is prefix + zero-padded firm code + check digit.",
                "prefix (رقم) و width را چنان بدهید که طول prefix به‌علاوه width برابر ۱۰ شود: "
                "شناسه ساختگی = prefix + کد بنگاه با صفر پیشین + رقم کنترل.",
            )  # fmt: skip
        )
    elif len(prefix) < 4 or set(prefix[3:]) == {"0"}:
        # digits 4 to 9 of a national ID may not all be zero; a non-zero 4th-or-later
        # prefix digit makes every synthetic ID valid whatever the firm code
        problems.append(
            _problem(
                "enterprise.national_id.prefix",
                prefix,
                "use at least 4 digits with a non-zero digit from the 4th on, so that every "
                "synthetic ID is valid.",
                "دست‌کم ۴ رقم بدهید که از رقم چهارم به بعد رقمی غیرصفر داشته باشد تا همه "
                "شناسه‌های ساختگی معتبر باشند.",
            )  # fmt: skip
        )
    names = enterprise.get("name", {"fa": "{id_fa}", "en": "{id}"})
    template_fa, template_en = _text_pair(names, "enterprise.name", problems)
    for language, template in (("fa", template_fa), ("en", template_en)):
        if set(re.findall(r"{(\w*)}", template)) - {"id", "id_fa"}:
            problems.append(
                _problem(
                    f"enterprise.name.{language}",
                    template,
                    "only {id} and {id_fa} may be used.",
                    "فقط {id} و {id_fa} مجاز است.",
                )
            )
    constants = dict(enterprise.get("constants") or {})
    for key in sorted(set(constants) - set(_CONSTANT_KEYS)):
        problems.append(
            _problem(
                f"enterprise.constants.{key}",
                key,
                f"allowed constants: {list(_CONSTANT_KEYS)}.",
                f"ثابت‌های مجاز: {list(_CONSTANT_KEYS)}.",
            )
        )
    constants = _resolve_constants(constants, problems)
    period = document["period"] if isinstance(document["period"], dict) else {}
    year_column, calendar = period.get("year"), period.get("calendar", "jalali")
    if not isinstance(year_column, str) or not year_column:
        problems.append(
            _problem(
                "period.year",
                year_column,
                "name the source column with the year.",
                "ستون سال را نام ببرید.",
            )
        )
    if calendar not in CALENDARS:
        problems.append(
            _problem(
                "period.calendar",
                calendar,
                f"must be one of {CALENDARS}.",
                f"باید یکی از {CALENDARS} باشد.",
            )
        )
    indicators = document["indicators"]
    sources = []
    if not isinstance(indicators, dict) or not indicators:
        problems.append(
            _problem(
                "indicators",
                indicators,
                "map at least one indicator.",
                "دست‌کم یک شاخص را نگاشت کنید.",
            )
        )
    else:
        for code, spec in indicators.items():
            source = _indicator(code, spec, specs, problems)
            if source is not None:
                sources.append(source)
    currency = document.get("currency") or {}
    prices, prices_note = _prices(
        document.get("prices"), calendar if calendar in CALENDARS else None, problems
    )
    dataset_code = DEFAULT_DATASET_CODE
    if document.get("dataset") is not None:
        dataset_code = _dataset_code(document["dataset"], problems)
    else:
        try:
            dataset_code = dataset_code_from_file(file)
        except RasadInputError as error:
            problems.append(error)
    if problems:
        raise InputProblems(problems)
    return PanelMapping(
        name_fa=name_fa,
        name_en=name_en,
        id_column=id_column,
        id_prefix=prefix,
        id_width=width,
        year_column=year_column,
        calendar=calendar,
        indicators=tuple(sources),
        name_template_fa=template_fa,
        name_template_en=template_en,
        constants=constants,
        currency=str(currency.get("code", "IRR")),
        currency_note=str(currency.get("note", "")).strip(),
        source=dict(document.get("source") or {}),
        id_codes=id_codes,
        dataset_code=dataset_code,
        prices=prices,
        prices_note=prices_note,
    )


def _resolve_constants(constants: dict, problems: list) -> dict:
    resolved = {}
    for key, value in constants.items():
        if value is None:
            continue
        try:
            if key == "isic_class":
                resolved[key] = str(find_isic(value, "class")["code"])
            elif key == "province":
                resolved[key] = int(find_province(value)["code"])
            elif key == "founding_year":
                resolved[key] = int(value)
            else:
                resolved[key] = str(value)
        except (RasadInputError, TypeError, ValueError) as error:
            problems.append(_problem(f"enterprise.constants.{key}", value, str(error), str(error)))
    return resolved


_BUNDLED = "mappings"


def bundled_mappings() -> dict[str, Path]:
    """The mapping files shipped with Rasad: name (file stem) → path."""
    folder = resources.files(__package__).joinpath(_BUNDLED)
    return {
        Path(entry.name).stem: Path(str(entry))
        for entry in folder.iterdir()
        if entry.name.endswith((".yaml", ".yml"))
    }


def load_mapping(
    name_or_path: str | Path, *, catalogue: Sequence[IndicatorSpec] | None = None
) -> PanelMapping:
    """A mapping from a file path or the name of a bundled one (``michigan_jtrain``…)."""
    bundled = bundled_mappings()
    path = bundled.get(str(name_or_path)) or Path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RasadInputError(
            f"Cannot read the mapping {str(name_or_path)!r}: {exc.strerror}; bundled mappings: "
            f"{', '.join(sorted(bundled))}.",
            f"فایل نگاشت «{name_or_path}» خوانده نشد: {exc.strerror}؛ نگاشت‌های همراه: "
            f"{'، '.join(sorted(bundled))}.",
            field="mapping",
            value=str(name_or_path),
        ) from exc
    try:
        document = yaml.safe_load(text)
        repeated = list(_repeated_keys(yaml.compose(text, Loader=yaml.SafeLoader)))
    except yaml.YAMLError as exc:
        raise RasadInputError(
            f"The mapping {path.name} is not valid YAML: {exc}",
            f"فایل نگاشت {path.name} YAML معتبر نیست: {exc}",
            field="mapping",
            value=path.name,
        ) from exc
    if repeated:
        # YAML keeps the last of two equal keys without a word: a price typed twice, say
        raise InputProblems(
            [
                _problem(
                    key_path,
                    key_path.rsplit(".", 1)[-1],
                    f"this key appears twice in {path.name} (lines {first} and {again}); keep one.",
                    f"این کلید در {path.name} دو بار آمده است (سطرهای {first} و {again})؛ "
                    "یکی را نگه دارید.",
                )
                for key_path, first, again in repeated
            ]
        )
    return parse_mapping(document, catalogue=catalogue, where=path.name, file=path)


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


@dataclass(frozen=True, eq=False)
class MappedPanel:
    """A panel in canonical form, and how each row maps back to the source.

    ``crosswalk`` has one row per source row: ``source_id``, ``source_year``,
    ``national_id`` and ``period``, in source order, aligned with ``returns``.
    """

    mapping: PanelMapping
    enterprises: pd.DataFrame
    returns: pd.DataFrame
    crosswalk: pd.DataFrame

    @property
    def notes(self) -> dict[str, str]:
        """What each mapped indicator is, in the mapping's words (unit conversions)."""
        notes = {s.code: s.note for s in self.mapping.indicators if s.note}
        if self.mapping.currency != "IRR":
            notes["currency"] = self.mapping.currency_note or (
                f"Money is in {self.mapping.currency}, not rials."
            )
        return notes


def _firm_code(value, column: str) -> str:
    if (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and float(value).is_integer()
    ):
        return str(int(value))
    text = str(value).strip()
    if text.isascii() and text.isdigit():
        return text
    raise RasadInputError(
        f"{column}: the firm code {value!r} is not a whole number, so no national ID can be made "
        "from it.",
        f"{column}: کد بنگاه «{value}» عدد صحیح نیست و شناسه ملی از آن ساخته نمی‌شود.",
        field=column,
        value=value,
    )


def _text_codes(values: Iterable, column: str) -> list[str]:
    """Text firm codes, stripped; a missing or blank code is refused with its data rows."""
    codes, blank = [], []
    for row, value in enumerate(values, start=1):
        if (
            isinstance(value, numbers.Real)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and float(value).is_integer()
        ):
            codes.append(str(int(value)))
            continue
        text = "" if value is None or pd.isna(value) else str(value).strip()
        if not text:
            blank.append(row)
        codes.append(text)
    if blank:
        raise RasadInputError(
            f"{column}: the firm code is empty in data rows {blank[:10]} (the first row under "
            "the header is 1).",
            f"{column}: کد بنگاه در ردیف‌های داده {blank[:10]} خالی است (ردیف نخست زیر سرستون "
            "۱ است).",
            field=column,
            value=blank[:10],
        )
    return codes


def _number_under(national_id, prefix: str, width: int) -> int | None:
    """The firm number of a synthetic ID under ``prefix``, or None for another ID."""
    if not isinstance(national_id, str):
        return None
    text = national_id.strip()
    if len(text) != len(prefix) + width + 1 or not (text.isascii() and text.isdigit()):
        return None
    if not text.startswith(prefix):
        return None
    return int(text[len(prefix) : len(prefix) + width])


def assign_text_ids(
    codes: Iterable[str],
    prefix: str,
    width: int,
    known_codes: Mapping[str, str] | None = None,
    *,
    column: str = "enterprise.id",
) -> dict[str, str]:
    """National IDs for text firm codes, in order of first appearance.

    A code in ``known_codes`` (source code → national ID registered for this panel)
    keeps its ID. New codes get the numbers after the highest one already used under
    ``prefix`` among the known IDs (from 1 when there is none), in sorted order of the
    codes: ID = ``make_legal_id(prefix + str(n).zfill(width))``. Importing the same file
    again, or a later one with more firms, therefore never moves a firm to another ID.
    """
    known = dict(known_codes or {})
    distinct = list(dict.fromkeys(codes))
    used = [n for n in (_number_under(i, prefix, width) for i in known.values()) if n is not None]
    highest = max(used, default=0)
    new = sorted(c for c in distinct if c not in known)
    largest = 10**width - 1
    if highest + len(new) > largest:
        raise RasadInputError(
            f"{column}: {len(new)} new firm codes do not fit: numbers {highest + 1} to "
            f"{highest + len(new)} are needed after the highest already used under the prefix "
            f"{prefix}, and {width} digits hold at most {largest}.",
            f"{column}: {len(new)} کد بنگاه تازه جا نمی‌شود: پس از بزرگ‌ترین شماره به‌کاررفته با "
            f"پیشوند {prefix} شماره‌های {highest + 1} تا {highest + len(new)} لازم است و "
            f"{width} رقم حداکثر {largest} را جا می‌دهد.",
            field=column,
            value=new[:5],
        )  # fmt: skip
    assigned = {
        c: make_legal_id(prefix + str(highest + n).zfill(width)) for n, c in enumerate(new, 1)
    }
    ids = {c: str(known[c]) if c in known else assigned[c] for c in distinct}
    shared: dict[str, list[str]] = {}
    for code, national_id in ids.items():
        shared.setdefault(national_id, []).append(code)
    clashes = {i: c for i, c in shared.items() if len(c) > 1}
    if clashes:
        national_id, both = next(iter(clashes.items()))
        raise RasadInputError(
            f"{column}: the firm codes {both} are registered under one national ID {national_id}.",
            f"{column}: کدهای بنگاه {both} با یک شناسه ملی {national_id} ثبت شده‌اند.",
            field=column,
            value=both,
        )
    return ids


def apply_mapping(
    frame: pd.DataFrame,
    mapping: PanelMapping,
    *,
    catalogue: Sequence[IndicatorSpec] | None = None,
    known_codes: Mapping[str, str] | None = None,
) -> MappedPanel:
    """Turn a source panel into canonical enterprise and return frames.

    ``known_codes`` (source code → national ID already registered for this panel) is
    read only for ``codes: text`` mappings, whose IDs are assigned rather than computed
    (:func:`assign_text_ids`); ``codes: number`` mappings ignore it.
    """
    missing = [c for c in mapping.columns if c not in frame]
    if missing:
        raise RasadInputError(
            f"The panel lacks the columns {missing} that the mapping {mapping.name_en!r} reads.",
            f"داده ستون‌های {missing} را که نگاشت «{mapping.name_fa}» می‌خواند ندارد.",
            field="columns",
            value=missing,
        )
    if mapping.id_codes == "text":
        codes = _text_codes(frame[mapping.id_column], mapping.id_column)
        national = assign_text_ids(
            codes, mapping.id_prefix, mapping.id_width, known_codes, column=mapping.id_column
        )
    else:
        codes = [_firm_code(v, mapping.id_column) for v in frame[mapping.id_column]]
        too_long = sorted({c for c in codes if len(c) > mapping.id_width})
        if too_long:
            raise RasadInputError(
                f"Firm codes {too_long[:5]} are longer than the {mapping.id_width} digits the "
                "mapping allows for them.",
                f"کدهای بنگاه {too_long[:5]} از {mapping.id_width} رقمِ مجاز در نگاشت بلندترند.",
                field="enterprise.national_id.width",
                value=too_long[:5],
            )
        national = {
            c: make_legal_id(mapping.id_prefix + c.zfill(mapping.id_width))
            for c in dict.fromkeys(codes)
        }
    years = pd.to_numeric(frame[mapping.year_column], errors="coerce")
    if years.isna().any() or not (years == years.round()).all():
        bad = frame.loc[years.isna() | (years != years.round()), mapping.year_column].tolist()[:5]
        raise RasadInputError(
            f"{mapping.year_column}: years must be whole numbers; found {bad}.",
            f"{mapping.year_column}: سال باید عدد صحیح باشد؛ این‌ها آمده است: {bad}.",
            field=mapping.year_column,
            value=bad,
        )
    periods = [Period(mapping.jalali_year(int(y))) for y in years]
    crosswalk = pd.DataFrame(
        {
            "source_id": codes,
            "source_year": years.astype("int64").to_numpy(),
            "national_id": [national[c] for c in codes],
            "period": [p.code for p in periods],
        }
    )
    repeated = crosswalk.duplicated(["national_id", "period"], keep=False)
    if repeated.any():
        pairs = (
            crosswalk.loc[repeated, ["source_id", "source_year"]]
            .drop_duplicates()
            .values.tolist()[:5]
        )
        raise RasadInputError(
            f"The panel has several rows for the same firm and year: {pairs}.",
            f"داده برای یک بنگاه و سال چند ردیف دارد: {pairs}.",
            field="rows",
            value=pairs,
        )
    indicator_codes = [spec.code for spec in (catalogue or load_catalogue())]
    returns = empty_returns(indicator_codes).reindex(range(len(frame)))
    returns["national_id"] = crosswalk["national_id"].astype("string")
    returns["period"] = crosswalk["period"].astype("string")
    returns["year"] = pd.array([p.year for p in periods], dtype="Int64")
    returns["quarter"] = pd.array([None] * len(periods), dtype="Int64")
    for source in mapping.indicators:
        returns[source.code] = source.compute(frame)
    enterprises = pd.DataFrame(
        {
            "national_id": list(national.values()),
            "name_fa": [
                mapping.name_template_fa.format(id=c, id_fa=to_persian_digits(c)) for c in national
            ],
            "name_en": [mapping.name_template_en.format(id=c, id_fa=c) for c in national],
            "isic_class": mapping.constants.get("isic_class"),
            "province_code": mapping.constants.get("province"),
            "estate_code": mapping.constants.get("estate"),
            "founding_year": mapping.constants.get("founding_year"),
        },
        columns=ENTERPRISE_COLUMNS,
    ).astype(empty_enterprises().dtypes.to_dict())
    return MappedPanel(mapping, enterprises, returns, crosswalk)


def read_panel(
    path: str | Path,
    mapping: PanelMapping | str | Path,
    *,
    known_codes: Mapping[str, str] | None = None,
    catalogue: Sequence[IndicatorSpec] | None = None,
) -> MappedPanel:
    """Read a CSV panel and apply a mapping (a :class:`PanelMapping`, a path or a bundled name).

    With ``codes: text`` the firm-code column is read as text exactly as written ("007"
    stays "007", a company called "NA" is not a missing value).
    """
    if not isinstance(mapping, PanelMapping):
        mapping = load_mapping(mapping, catalogue=catalogue)
    frame = pd.read_csv(path)
    if mapping.id_codes == "text" and mapping.id_column in frame:
        codes = pd.read_csv(path, usecols=[mapping.id_column], dtype=str, keep_default_na=False)[
            mapping.id_column
        ]
        frame[mapping.id_column] = codes.to_numpy(dtype=object)
    return apply_mapping(frame, mapping, catalogue=catalogue, known_codes=known_codes)


# --- price index files (--prices FILE) ----------------------------------------------

_PRICE_HEADERS = {
    "year": ("year", "سال"),
    "index": ("index", "شاخص"),
    "calendar": ("calendar", "تقویم"),
    "source": ("source", "منبع"),
}
_CALENDAR_WORDS = {
    "jalali": "jalali",
    "gregorian": "gregorian",
    "شمسی": "jalali",
    "خورشیدی": "jalali",
    "هجری شمسی": "jalali",
    "میلادی": "gregorian",
}


def _price_problem(name: str, row: int | None, column: str | None, value, en: str, fa: str):
    where_en = ", ".join(
        [name] + ([f"row {row}"] if row else []) + ([f"column {column}"] if column else [])
    )
    where_fa = "، ".join(
        [name] + ([f"ردیف {row}"] if row else []) + ([f"ستون {column}"] if column else [])
    )
    return RasadInputError(
        f"{where_en}: {en}", f"{where_fa}: {fa}", field=column or "prices", value=value
    )


def _price_header(cell: str) -> str | None:
    text = cell.replace("\ufeff", "").strip().lower()
    for canonical, names in _PRICE_HEADERS.items():
        if text in names:
            return canonical
    return None


def read_prices(path: str | Path) -> tuple[dict[int, float], str]:
    """A price index from a CSV file: ({Jalali year: index}, a note naming the file).

    Columns (headers in English or Persian, any order; others are ignored):
    ``year`` (سال), ``index`` (شاخص), optional ``calendar`` (تقویم: jalali/gregorian,
    شمسی/میلادی, per row) and optional ``source`` (منبع). Without a calendar column the
    years are **Jalali**. A Gregorian year *g* becomes *g* − 621. UTF-8 (with or without
    BOM) or Windows-1256; comma, semicolon or tab separated; Persian digits are read.
    Every problem is reported at once, naming the file, the row (as a spreadsheet
    numbers it: the header is row 1) and the column.
    """
    path = Path(path)
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _price_problem(
            name,
            None,
            None,
            str(path),
            f"cannot read the price file: {exc.strerror}.",
            f"فایل شاخص قیمت خوانده نشد: {exc.strerror}.",
        ) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1256", errors="replace")
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: dict[str, tuple[int, str]] | None = None
    problems: list[RasadInputError] = []
    rows: list[tuple[int, list[str]]] = []
    for cells in reader:
        row = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = {}
            for position, cell in enumerate(cells):
                canonical = _price_header(cell)
                if canonical is None:
                    continue
                if canonical in header:
                    problems.append(
                        _price_problem(
                            name,
                            row,
                            cell.strip(),
                            cell,
                            f"two columns mean {canonical} ({header[canonical][1]!r} and "
                            f"{cell.strip()!r}).",
                            f"دو ستون به معنای {canonical} است («{header[canonical][1]}» و "
                            f"«{cell.strip()}»).",
                        )
                    )
                    continue
                header[canonical] = (position, cell.strip())
            missing = [c for c in ("year", "index") if c not in header]
            if missing:
                problems.append(
                    _price_problem(
                        name,
                        row,
                        None,
                        [c.strip() for c in cells],
                        f"the header {[c.strip() for c in cells]} lacks the columns {missing} "
                        "(year, index; optional calendar and source).",
                        f"سرستون {[c.strip() for c in cells]} ستون‌های {missing} را ندارد "
                        "(year/سال و index/شاخص؛ calendar/تقویم و source/منبع اختیاری).",
                    )
                )
                raise InputProblems(problems)
            continue
        rows.append((row, cells))
    if header is None or not rows:
        problems.append(
            _price_problem(
                name,
                None,
                None,
                None,
                "the price file has no rows of data (a header year,index and one row per year).",
                "فایل شاخص قیمت ردیف داده ندارد (سرستون year,index و یک ردیف برای هر سال).",
            )
        )
        raise InputProblems(problems)

    def cell(cells: list[str], key: str) -> tuple[str, str]:
        position, column = header[key]
        return (cells[position].strip() if position < len(cells) else ""), column

    prices: dict[int, float] = {}
    first_row: dict[int, int] = {}
    sources: list[str] = []
    for row, cells in rows:
        year_text, year_column = cell(cells, "year")
        year = None
        try:
            number = parse_number(year_text, field=year_column)
            if not float(number).is_integer():
                raise ValueError
            year = int(number)
        except (RasadInputError, ValueError):
            problems.append(
                _price_problem(
                    name,
                    row,
                    year_column,
                    year_text,
                    f"the year {year_text!r} is not a whole number.",
                    f"سال «{year_text}» عدد صحیح نیست.",
                )
            )
        index_text, index_column = cell(cells, "index")
        level = None
        try:
            level = _price_number(parse_number(index_text, field=index_column))
        except RasadInputError:
            pass
        if level is None:
            problems.append(
                _price_problem(
                    name,
                    row,
                    index_column,
                    index_text,
                    f"the index {index_text!r} is not a positive finite number.",
                    f"شاخص «{index_text}» عددی مثبت و متناهی نیست.",
                )
            )
        calendar = "jalali"
        if "calendar" in header:
            calendar_text, calendar_column = cell(cells, "calendar")
            calendar = _CALENDAR_WORDS.get(calendar_text.lower())
            if calendar is None:
                problems.append(
                    _price_problem(
                        name,
                        row,
                        calendar_column,
                        calendar_text,
                        f"the calendar {calendar_text!r} is neither jalali nor gregorian.",
                        f"تقویم «{calendar_text}» نه jalali (شمسی) است و نه gregorian (میلادی).",
                    )
                )
        if "source" in header:
            source_text, _ = cell(cells, "source")
            if source_text and source_text not in sources:
                sources.append(source_text)
        if year is None or calendar is None:
            continue
        try:
            jalali = _jalali_price_year(year, calendar)
        except RasadInputError as error:
            problems.append(
                _price_problem(
                    name, row, year_column, year_text, error.message_en, error.message_fa
                )
            )
            continue
        if jalali in first_row:
            problems.append(
                _price_problem(
                    name,
                    row,
                    year_column,
                    year_text,
                    f"the Jalali year {jalali} is given twice (rows {first_row[jalali]} and {row}).",
                    f"سال شمسی {jalali} دو بار آمده است (ردیف‌های {first_row[jalali]} و {row}).",
                )
            )
            continue
        first_row[jalali] = row
        if level is not None:
            prices[jalali] = level
    if problems:
        raise InputProblems(problems)
    note = f"{name}: {'; '.join(sources)}" if sources else name
    return dict(sorted(prices.items())), note
