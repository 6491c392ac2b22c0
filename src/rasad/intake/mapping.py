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
    source: {file: data.csv, citation: ..., notes: ...}
    enterprise:
      id: firm                       # source column with the firm's code
      national_id: {prefix: "9901", width: 6}   # synthetic ID: prefix + code + check digit
      name: {fa: "بنگاه {id_fa}", en: "Firm {id}"}
      constants: {isic_class: null, province: null, estate: null, founding_year: null}
    period:
      year: year                     # source column with the year
      calendar: gregorian            # or jalali
    currency: {code: USD, note: ...} # optional: money not in rials is not converted
    indicators:
      employees: {column: emp, factor: 1000, note: "thousands → persons"}
      defect_rate: {sum: [scrap, rework]}
      training_hours: {product: [tothrs, totrain]}

A Gregorian year *g* becomes the Jalali year that begins in it, *g* − 621 (it starts
on 1 Farvardin, about 21 March of *g*, and so covers nine of its twelve months).
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Sequence
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
from rasad.iran.text import to_persian_digits
from rasad.methodologies import IndicatorSpec, load_catalogue

from .report import ENTERPRISE_COLUMNS, empty_enterprises, empty_returns

COMBINES = ("column", "sum", "product")
CALENDARS = ("jalali", "gregorian")
GREGORIAN_OFFSET = 621
_TOP_KEYS = {"name", "source", "enterprise", "period", "currency", "indicators"}
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


def parse_mapping(
    document, *, catalogue: Sequence[IndicatorSpec] | None = None, where: str = "mapping"
) -> PanelMapping:
    """Validate a mapping document (already loaded from YAML); every problem at once."""
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
    prefix, width = str(national.get("prefix", "")), national.get("width")
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
    except yaml.YAMLError as exc:
        raise RasadInputError(
            f"The mapping {path.name} is not valid YAML: {exc}",
            f"فایل نگاشت {path.name} YAML معتبر نیست: {exc}",
            field="mapping",
            value=path.name,
        ) from exc
    return parse_mapping(document, catalogue=catalogue, where=path.name)


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


def apply_mapping(
    frame: pd.DataFrame, mapping: PanelMapping, *, catalogue: Sequence[IndicatorSpec] | None = None
) -> MappedPanel:
    """Turn a source panel into canonical enterprise and return frames."""
    missing = [c for c in mapping.columns if c not in frame]
    if missing:
        raise RasadInputError(
            f"The panel lacks the columns {missing} that the mapping {mapping.name_en!r} reads.",
            f"داده ستون‌های {missing} را که نگاشت «{mapping.name_fa}» می‌خواند ندارد.",
            field="columns",
            value=missing,
        )
    codes = [_firm_code(v, mapping.id_column) for v in frame[mapping.id_column]]
    too_long = sorted({c for c in codes if len(c) > mapping.id_width})
    if too_long:
        raise RasadInputError(
            f"Firm codes {too_long[:5]} are longer than the {mapping.id_width} digits the mapping "
            "allows for them.",
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


def read_panel(path: str | Path, mapping: PanelMapping | str | Path, **options) -> MappedPanel:
    """Read a CSV panel and apply a mapping (a :class:`PanelMapping`, a path or a bundled name)."""
    if not isinstance(mapping, PanelMapping):
        mapping = load_mapping(mapping, catalogue=options.get("catalogue"))
    frame = pd.read_csv(path)
    return apply_mapping(frame, mapping, **options)
