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
    dataset: {code: uk-empl}         # optional slug; default: the file's stem
                                     # (uk_emplUK → uk-empluk)
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

import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, ClassVar, SupportsInt, cast

import numpy as np
import pandas as pd
import yaml
from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
)
from pydantic_core import InitErrorDetails

from rasad import config
from rasad.config import Section, fail, keyed, refuse
from rasad.errors import InputProblems, RasadInputError
from rasad.iran.geo import find_isic, find_province
from rasad.iran.ids import make_legal_id
from rasad.iran.periods import Period
from rasad.iran.text import to_persian_digits
from rasad.methodologies import IndicatorSpec, load_catalogue

from .prices import (
    CALENDARS,
    GREGORIAN_OFFSET,
    Calendar,
    PricesFile,
)
from .report import ENTERPRISE_COLUMNS, empty_enterprises, empty_returns

COMBINES = ("column", "sum", "product")
CODES = ("number", "text")
#: a dataset code: lowercase Latin letters, digits and single inner hyphens, ≤ 50 characters
DATASET_CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
DATASET_CODE_LENGTH = 50
DEFAULT_DATASET_CODE = "panel"
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


# --- the file's shape -------------------------------------------------------------------


def _text_pair(value: Any) -> tuple[str, str]:
    if not isinstance(value, dict) or not {"fa", "en"} <= set(value):
        raise fail("must have fa and en texts.", "باید متن fa و en داشته باشد.")
    return str(value["fa"]), str(value["en"])


TextPair = Annotated[tuple[str, str], PlainValidator(_text_pair)]


def _given(value: Any) -> Any:
    """A block that is not a mapping reads as an empty one (its keys then missing)."""
    return value if isinstance(value, dict) else {}


def _column(en: str, fa: str) -> Any:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise fail(en, fa)
        return value

    return Field(None, validate_default=True), PlainValidator(check)


def _codes(value: Any) -> str:
    if value not in CODES:
        raise fail(
            "must be number (a whole-number firm code, from which the ID is computed) or "
            "text (any text, such as a company name; IDs are numbered in turn).",
            "باید number باشد (کد بنگاه عدد صحیح است و شناسه از آن ساخته می‌شود) یا text "
            "(هر متنی مانند نام شرکت؛ شناسه‌ها به ترتیب شماره می‌خورند).",
        )  # fmt: skip
    return value


class NationalIdFile(Section):
    """``enterprise.national_id``: synthetic IDs are prefix + zero-padded firm code +
    check digit."""

    model_config = ConfigDict(extra="allow")
    KEEP_NONE = True

    prefix: Any = ""
    width: Any = None
    codes: Annotated[str, PlainValidator(_codes)] = "number"

    @classmethod
    def unknown(cls, data, keys):
        unknown = sorted(keys, key=str)
        if not unknown:
            return []
        return [
            refuse(
                (),
                f"unknown keys {unknown}; allowed: prefix, width, codes.",
                f"کلیدهای ناشناخته {unknown}؛ کلیدهای مجاز: prefix، width و codes.",
                unknown,
            )
        ]

    @classmethod
    def checks(cls, data, section, info, clean):
        prefix, width = str(section.prefix), section.width
        if (
            not (prefix.isascii() and prefix.isdigit())
            or not isinstance(width, int)
            or len(prefix) + width != 10
        ):
            yield refuse(
                (),
                "give prefix (digits) and width with len(prefix) + width = 10: the synthetic ID "
                "is prefix + zero-padded firm code + check digit.",
                "prefix (رقم) و width را چنان بدهید که طول prefix به‌علاوه width برابر ۱۰ شود: "
                "شناسه ساختگی = prefix + کد بنگاه با صفر پیشین + رقم کنترل.",
                data,
            )  # fmt: skip
        elif len(prefix) < 4 or set(prefix[3:]) == {"0"}:
            # digits 4 to 9 of a national ID may not all be zero; a non-zero 4th-or-later
            # prefix digit makes every synthetic ID valid whatever the firm code
            yield refuse(
                ("prefix",),
                "use at least 4 digits with a non-zero digit from the 4th on, so that every "
                "synthetic ID is valid.",
                "دست‌کم ۴ رقم بدهید که از رقم چهارم به بعد رقمی غیرصفر داشته باشد تا همه "
                "شناسه‌های ساختگی معتبر باشند.",
                prefix,
            )  # fmt: skip


def _constants(value: Any) -> dict:
    """The registry fields the panel lacks, resolved (a province's name to its code…);
    every key and value that cannot be is refused, at its key."""
    constants = dict(value or {})
    wrong = [
        InitErrorDetails(
            type=fail(
                f"allowed constants: {list(_CONSTANT_KEYS)}.",
                f"ثابت‌های مجاز: {list(_CONSTANT_KEYS)}.",
            ),
            loc=(key,),
            input=key,
        )
        for key in sorted(set(constants) - set(_CONSTANT_KEYS))
    ]
    resolved: dict[str, Any] = {}
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
            wrong.append(
                InitErrorDetails(type=fail(str(error), str(error)), loc=(key,), input=value)
            )
    if wrong:
        raise ValidationError.from_exception_data("constants", wrong)
    return resolved


class EnterpriseFile(Section):
    """``enterprise``: where the firm code is and how it becomes an enterprise."""

    model_config = ConfigDict(extra="ignore")
    KEEP_NONE = True
    FALLBACK: ClassVar[dict[str, Any]] = {"id": "-", "name": {"fa": "", "en": ""}}

    id: Annotated[
        str, *_column("name the source column with the firm code.", "ستون کد بنگاه را نام ببرید.")
    ]
    national_id: Annotated[NationalIdFile, BeforeValidator(lambda v: _given(v or {}))] = Field(
        {}, validate_default=True
    )
    name: TextPair = ("{id_fa}", "{id}")
    constants: Annotated[dict, PlainValidator(_constants)] = {}

    @classmethod
    def checks(cls, data, section, info, clean):
        for language, template in zip(("fa", "en"), section.name, strict=True):
            if set(re.findall(r"{(\w*)}", template)) - {"id", "id_fa"}:
                yield refuse(
                    ("name", language),
                    "only {id} and {id_fa} may be used.",
                    "فقط {id} و {id_fa} مجاز است.",
                    template,
                )


class PeriodFile(Section):
    """``period``: the column with the year and its calendar."""

    model_config = ConfigDict(extra="ignore")
    KEEP_NONE = True
    FALLBACK: ClassVar[dict[str, Any]] = {"year": "-"}

    year: Annotated[
        str, *_column("name the source column with the year.", "ستون سال را نام ببرید.")
    ]
    calendar: Calendar = "jalali"


class IndicatorSourceFile(Section):
    """One catalogue indicator: exactly one of ``column``, ``sum`` or ``product``."""

    model_config = ConfigDict(extra="allow")
    NOT_MAPPING = (
        "must be a mapping such as {column: emp}.",
        "باید نگاشتی مانند {column: emp} باشد.",
    )
    KEEP_NONE = True

    column: Any = None
    sum: Any = None
    product: Any = None
    factor: Any = 1
    note: Any = ""

    @classmethod
    def variant(cls, data):
        unknown = sorted(set(data) - {*COMBINES, "factor", "note"})
        if unknown or len([k for k in COMBINES if k in data]) != 1:
            raise ValidationError.from_exception_data(
                "indicator",
                [
                    refuse(
                        (),
                        "give exactly one of column, sum or product (plus optional "
                        f"factor and note); unknown keys: {unknown}.",
                        "دقیقاً یکی از column، sum یا product (و در صورت نیاز factor و note) "
                        f"را بدهید؛ کلیدهای ناشناخته: {unknown}.",
                        sorted(data),
                    )
                ],
            )  # fmt: skip
        return cls

    @classmethod
    def checks(cls, data, section, info, clean):
        combine = next(k for k in COMBINES if k in data)
        columns = section.columns(combine)
        if (
            not isinstance(columns, list)
            or not columns
            or not all(isinstance(c, str) and c for c in columns)
            or (combine != "column" and len(columns) < 2)
        ):
            yield refuse(
                (combine,),
                "column names expected (two or more for sum and product).",
                "نام ستون لازم است (برای sum و product دو یا بیشتر).",
                columns,
            )  # fmt: skip
            return
        factor = section.factor
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not factor > 0:
            yield refuse(("factor",), "must be a positive number.", "باید عددی مثبت باشد.", factor)

    def columns(self, combine: str) -> Any:
        columns = getattr(self, combine)
        return [columns] if combine == "column" else columns

    def source(self, code: str) -> IndicatorSource:
        combine = next(k for k in COMBINES if k in self.model_fields_set)
        return IndicatorSource(
            code,
            combine,
            tuple(self.columns(combine)),
            Fraction(str(self.factor)),
            str(self.note).strip(),
        )


def _indicators(value: dict, info: ValidationInfo) -> dict[str, IndicatorSourceFile]:
    """Each catalogue indicator mapped; a code the catalogue lacks is refused alone."""
    catalogue = (info.context or {})["catalogue"]
    sources, wrong = {}, []
    for code, spec in value.items():
        if code not in catalogue:
            wrong.append(
                refuse(
                    (code,),
                    f"{code!r} is not a catalogue indicator; known: {', '.join(catalogue)}.",
                    f"«{code}» شاخص فهرست نیست؛ شاخص‌های معتبر: {'، '.join(catalogue)}.",
                    code,
                )
            )  # fmt: skip
            continue
        try:
            sources[code] = IndicatorSourceFile.model_validate(spec, context=info.context)
        except ValidationError as refused:
            wrong += [refuse((code, *i.loc), i.en, i.fa, i.value) for i in config.issues(refused)]
    if wrong:
        raise ValidationError.from_exception_data("indicators", wrong)
    return sources


def _dataset(value: Any) -> str | None:
    """``dataset: {code: a-slug}``, its code checked; None: the file's name decides."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"code"}:
        raise fail(
            "must be {code: a-slug} and nothing else.",
            "باید {code: a-slug} باشد و کلید دیگری نداشته باشد.",
        )
    code = value["code"]
    if not isinstance(code, str) or not DATASET_CODE.match(code) or len(code) > DATASET_CODE_LENGTH:
        raise ValidationError.from_exception_data(
            "dataset",
            [
                refuse(
                    ("code",),
                    f"a dataset code is a slug of at most {DATASET_CODE_LENGTH} characters: "
                    "lowercase Latin letters and digits, words joined by single hyphens "
                    "(us-innovation-1991-1999).",
                    f"کد مجموعه‌داده باید نامکی (slug) با حداکثر {DATASET_CODE_LENGTH} نویسه باشد: "
                    "حروف کوچک لاتین و رقم، واژه‌ها با یک خط تیره به هم پیوسته "
                    "(us-innovation-1991-1999).",
                    code,
                )
            ],
        )  # fmt: skip
    return code


def _file_code_problem(file: str | Path | None) -> tuple[str, str, str] | None:
    """Why the file's name makes no dataset code (English, Persian, the stem), or None."""
    if file is None:
        return None
    stem = Path(file).stem
    code = stem.lower().replace("_", "-")
    if DATASET_CODE.match(code) and len(code) <= DATASET_CODE_LENGTH:
        return None
    return (
        f"the file name {stem!r} does not make a dataset code ({code!r} is not a slug of at most "
        f"{DATASET_CODE_LENGTH} lowercase letters, digits and single hyphens): give "
        "dataset: {code: ...} in the mapping.",
        f"از نام فایل «{stem}» کد مجموعه‌داده ساخته نمی‌شود («{code}» نامکی با حداکثر "
        f"{DATASET_CODE_LENGTH} حرف کوچک لاتین، رقم و خط تیره نیست): در نگاشت "
        "dataset: {code: ...} را بدهید.",
        stem,
    )  # fmt: skip


def dataset_code_from_file(file: str | Path | None) -> str:
    """The default dataset code: the file's stem in lowercase with ``_`` → ``-``.

    ``uk_emplUK.yaml`` → ``uk-empluk``; ``panel`` without a file. A stem that does not
    make a valid code is refused: say ``dataset: {code: ...}`` in the mapping instead.
    """
    wrong = _file_code_problem(file)
    if wrong is not None:
        en, fa, stem = wrong
        raise _problem("dataset.code", stem, en, fa)
    return DEFAULT_DATASET_CODE if file is None else Path(file).stem.lower().replace("_", "-")


class MappingFile(Section):
    """A mapping file (see the module docstring); the catalogue and the file it came
    from are in the validation context (``catalogue``, ``file``)."""

    KEEP_NONE = True
    NOT_MAPPING = ("a mapping file is a YAML mapping.", "فایل نگاشت باید نگاشت YAML باشد.")
    FALLBACK: ClassVar[dict[str, Any]] = {"name": {"fa": "", "en": ""}, "indicators": {}}

    name: TextPair
    enterprise: Annotated[EnterpriseFile, BeforeValidator(_given)]
    period: Annotated[PeriodFile, BeforeValidator(_given)]
    indicators: Annotated[
        dict[str, IndicatorSourceFile],
        PlainValidator(_indicators),
        keyed("map at least one indicator.", "دست‌کم یک شاخص را نگاشت کنید."),
    ]
    prices: PricesFile | None = None
    dataset: Annotated[str | None, PlainValidator(_dataset)] = None
    source: Any = None
    currency: Any = None

    @classmethod
    def variant(cls, data):
        unknown = sorted(set(data) - set(cls.written_keys()))
        missing = sorted({"name", "enterprise", "period", "indicators"} - set(data))
        if unknown or missing:
            raise ValidationError.from_exception_data(
                "mapping",
                [
                    refuse(
                        (),
                        f"missing keys {missing}, unknown keys {unknown}.",
                        f"کلیدهای کم: {missing}، کلیدهای ناشناخته: {unknown}.",
                        sorted(data),
                    )
                ],
            )  # fmt: skip
        return cls

    @classmethod
    def checks(cls, data, section, info, clean):
        if section.prices is not None:
            period = data["period"] if isinstance(data["period"], dict) else {}
            calendar = data["prices"].get("calendar", period.get("calendar", "jalali"))
            if calendar in CALENDARS and period.get("calendar", "jalali") in CALENDARS:
                for problem in section.prices.prices(calendar)[1]:
                    yield {**problem, "loc": ("prices", *problem["loc"])}
        if data.get("dataset") is None:
            wrong = _file_code_problem(info.context["file"])
            if wrong is not None:
                yield refuse(("dataset", "code"), *wrong)

    def panel_mapping(self, file: str | Path | None) -> PanelMapping:
        enterprise, national, period = self.enterprise, self.enterprise.national_id, self.period
        currency = self.currency or {}
        prices, note = None, ""
        if self.prices is not None:
            calendar = self.prices.calendar or period.calendar
            prices, note = self.prices.prices(calendar)[0], self.prices.source
        return PanelMapping(
            name_fa=self.name[0],
            name_en=self.name[1],
            id_column=enterprise.id,
            id_prefix=str(national.prefix),
            id_width=national.width,
            year_column=period.year,
            calendar=period.calendar,
            indicators=tuple(spec.source(code) for code, spec in self.indicators.items()),
            name_template_fa=enterprise.name[0],
            name_template_en=enterprise.name[1],
            constants=enterprise.constants,
            currency=str(currency.get("code", "IRR")),
            currency_note=str(currency.get("note", "")).strip(),
            source=dict(self.source or {}),
            id_codes=national.codes,
            dataset_code=self.dataset or dataset_code_from_file(file),
            prices=prices,
            prices_note=note,
        )


def parse_mapping(
    document,
    *,
    catalogue: Sequence[IndicatorSpec] | None = None,
    where: str | None = None,
    file: str | Path | None = None,
    text: str | None = None,
) -> PanelMapping:
    """Validate a mapping document (already loaded from YAML); every problem at once.

    ``file`` is the file the document came from, if any: its stem gives the dataset code
    when the document has none (:func:`dataset_code_from_file`), and its name is
    ``where`` unless that is given. ``text``, the YAML the document was read from,
    gives each problem its ``line``.
    """
    where = where or (Path(file).name if file is not None else "mapping")
    specs = {spec.code: spec for spec in (catalogue or load_catalogue())}
    context = {"catalogue": specs, "file": file}
    checked = config.validate(MappingFile, document, context, root=where, text=text)
    return checked.panel_mapping(file)


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
        document, repeated = config.parse_unique(text)
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
    return parse_mapping(document, catalogue=catalogue, where=path.name, file=path, text=text)


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
    """A whole-number code as digits; a negative one (-1) is refused like any other
    text that is not digits, here, where the column can be named."""
    if (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and float(value).is_integer()
        and float(value) >= 0
    ):
        return str(int(cast(SupportsInt, value)))
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
            codes.append(str(int(cast(SupportsInt, value))))
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


def _require_columns(frame: pd.DataFrame, mapping: PanelMapping) -> None:
    missing = [c for c in mapping.columns if c not in frame]
    if missing:
        raise RasadInputError(
            f"The panel lacks the columns {missing} that the mapping {mapping.name_en!r} reads.",
            f"داده ستون‌های {missing} را که نگاشت «{mapping.name_fa}» می‌خواند ندارد.",
            field="columns",
            value=missing,
        )


def _firm_ids(
    values: pd.Series, mapping: PanelMapping, known_codes: Mapping[str, str] | None
) -> tuple[list[str], dict[str, str]]:
    """Each row's firm code, and each distinct code's national ID in order of first
    appearance: assigned for ``codes: text``, computed for ``codes: number``."""
    if mapping.id_codes == "text":
        codes = _text_codes(values, mapping.id_column)
        national = assign_text_ids(
            codes, mapping.id_prefix, mapping.id_width, known_codes, column=mapping.id_column
        )
        return codes, national
    codes = [_firm_code(v, mapping.id_column) for v in values]
    return codes, _number_ids(codes, mapping)


def _number_ids(codes: list[str], mapping: PanelMapping) -> dict[str, str]:
    """The national ID of each whole-number code: the prefix, the code padded to the
    mapping's width, and the check digit."""
    too_long = sorted({c for c in codes if len(c) > mapping.id_width})
    if too_long:
        raise RasadInputError(
            f"Firm codes {too_long[:5]} are longer than the {mapping.id_width} digits the "
            "mapping allows for them.",
            f"کدهای بنگاه {too_long[:5]} از {mapping.id_width} رقمِ مجاز در نگاشت بلندترند.",
            field="enterprise.national_id.width",
            value=too_long[:5],
        )
    return {
        c: make_legal_id(mapping.id_prefix + c.zfill(mapping.id_width))
        for c in dict.fromkeys(codes)
    }


def _source_years(frame: pd.DataFrame, column: str) -> pd.Series:
    years = pd.to_numeric(frame[column], errors="coerce")
    if years.isna().any() or not (years == years.round()).all():
        bad = frame.loc[years.isna() | (years != years.round()), column].tolist()[:5]
        raise RasadInputError(
            f"{column}: years must be whole numbers; found {bad}.",
            f"{column}: سال باید عدد صحیح باشد؛ این‌ها آمده است: {bad}.",
            field=column,
            value=bad,
        )
    return years


def _crosswalk(
    codes: list[str], years: pd.Series, national: dict[str, str], periods: list[Period]
) -> pd.DataFrame:
    """One row per source row: its firm code and year, and the enterprise and period
    they became; two rows becoming the same enterprise and period are refused."""
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
    return crosswalk


def _returns(
    frame: pd.DataFrame,
    mapping: PanelMapping,
    crosswalk: pd.DataFrame,
    periods: list[Period],
    catalogue: Sequence[IndicatorSpec] | None,
) -> pd.DataFrame:
    """The canonical returns, one per source row: every catalogue indicator, empty
    unless the mapping computes it."""
    indicator_codes = [spec.code for spec in (catalogue or load_catalogue())]
    returns = empty_returns(indicator_codes).reindex(range(len(frame)))
    returns["national_id"] = crosswalk["national_id"].astype("string")
    returns["period"] = crosswalk["period"].astype("string")
    returns["year"] = pd.array([p.year for p in periods], dtype="Int64")
    returns["quarter"] = pd.array([None] * len(periods), dtype="Int64")
    for source in mapping.indicators:
        returns[source.code] = source.compute(frame)
    return returns


def _enterprises(mapping: PanelMapping, national: dict[str, str]) -> pd.DataFrame:
    """One enterprise per firm code, named by the mapping's templates; the registry
    fields the panel lacks are the mapping's constants (missing when it sets none)."""
    return pd.DataFrame(
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


def _period(year: int, mapping: PanelMapping) -> Period:
    """The Jalali period of a year as the file writes it. A year the calendar cannot
    hold is refused naming the year column and the year as written: "Jalali year -621"
    alone would not lead anyone to the 0 typed in a Gregorian file."""
    try:
        return Period(mapping.jalali_year(year))
    except RasadInputError as error:
        column = mapping.year_column
        raise RasadInputError(
            f"{column}: the year {year} cannot be read: {error.message_en}",
            f"{column}: سال {year} خوانده نمی‌شود: {error.message_fa}",
            field=column,
            value=year,
        ) from error


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
    _require_columns(frame, mapping)
    codes, national = _firm_ids(frame[mapping.id_column], mapping, known_codes)
    years = _source_years(frame, mapping.year_column)
    periods = [_period(int(y), mapping) for y in years]
    crosswalk = _crosswalk(codes, years, national, periods)
    returns = _returns(frame, mapping, crosswalk, periods, catalogue)
    return MappedPanel(mapping, _enterprises(mapping, national), returns, crosswalk)


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
