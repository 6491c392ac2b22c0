"""The columns an intake file may hold, and every header spelling that names them.

Enterprises and estate managers do not type our column codes: they write "شناسه
ملی", "شناسه‌ي ملي", "National ID" or "کد ملی شرکت", often with a unit in brackets.
One table maps all of these to one canonical field, so the template, the reader, the
validator and the web forms agree on what a column means. Indicator fields come from
the catalogue (its codes and its Persian and English names), so a new catalogue entry
is importable without touching this module.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rasad.iran.text import normalize_text, to_latin_digits
from rasad.methodologies import IndicatorSpec, load_catalogue

from .units import strip_units

ENTERPRISES = "enterprises"
RETURNS = "returns"

# How each kind of value is read and checked (see rasad.intake.validate).
REGISTRY_KINDS = ("national_id", "text", "isic", "province", "estate", "year")
RETURN_KINDS = ("period", "year_of_period", "quarter", "unit")
INDICATOR_KINDS = ("count", "money", "percent", "boolean")

# Template text for each catalogue unit.
UNIT_LABELS = {
    "persons": ("نفر", "persons"),
    "million_rials": ("میلیون ریال", "million rials"),
    "percent": ("درصد", "%"),
    "hours": ("نفر-ساعت", "person-hours"),
    "count": ("تعداد", "count"),
    "boolean": ("بله/خیر", "yes/no"),
}


@dataclass(frozen=True)
class FieldSpec:
    """One column an intake file may hold.

    ``sheet`` says which record the field belongs to (the enterprise registry or a
    return); ``national_id`` belongs to both and ties them together.
    """

    code: str
    name_fa: str
    name_en: str
    kind: str
    sheet: str
    required: bool = False
    unit_fa: str = ""
    unit_en: str = ""
    description_fa: str = ""
    description_en: str = ""
    aliases: tuple[str, ...] = ()
    indicator: IndicatorSpec | None = None

    def header(self, language: str) -> str:
        """The header the template writes: the name and, where there is one, the unit."""
        name, unit = (
            (self.name_fa, self.unit_fa)
            if language.startswith("fa")
            else (self.name_en, self.unit_en)
        )
        return f"{name} ({unit})" if unit else name


NATIONAL_ID = FieldSpec(
    "national_id", "شناسه ملی", "National ID", "national_id", "both", required=True,
    description_fa="شناسه ملی ۱۱ رقمی شخص حقوقی (با رقم کنترل).",
    description_en="The 11-digit national ID of the legal entity (with its check digit).",
    aliases=(
        "شناسه ملی شرکت", "شناسه ملی بنگاه", "شناسه", "شناسه‌ی ملی", "شناسه‌ی ملی شرکت",
        "کد ملی شرکت", "شناسه ملی شخص حقوقی",
        "national id", "national_id", "legal id", "company id", "enterprise id",
    ),
)  # fmt: skip

REGISTRY_FIELDS: tuple[FieldSpec, ...] = (
    NATIONAL_ID,
    FieldSpec(
        "name_fa", "نام بنگاه", "Name (Persian)", "text", ENTERPRISES, required=True,
        description_fa="نام ثبتی بنگاه به فارسی.",
        description_en="The registered name of the enterprise, in Persian.",
        aliases=(
            "نام", "نام شرکت", "نام واحد", "نام واحد صنعتی", "نام فارسی", "نام بنگاه به فارسی",
            "name fa", "name_fa", "persian name", "name in persian", "company name",
            "enterprise name",
        ),
    ),
    FieldSpec(
        "name_en", "نام لاتین", "Name (English)", "text", ENTERPRISES,
        description_fa="نام بنگاه به لاتین (اختیاری).",
        description_en="The enterprise's name in English (optional).",
        aliases=(
            "نام انگلیسی", "name en", "name_en", "english name", "name in english", "latin name",
        ),
    ),
    FieldSpec(
        "isic_class", "کد فعالیت (ISIC)", "ISIC class", "isic", ENTERPRISES, required=True,
        unit_fa="۴ رقمی", unit_en="4 digits",
        description_fa="کد طبقه چهاررقمی فعالیت اصلی در طبقه‌بندی ISIC ویرایش ۴.",
        description_en="The 4-digit ISIC Rev.4 class of the main activity.",
        aliases=(
            "کد آیسیک", "آیسیک", "کد isic", "isic", "کد فعالیت", "رشته فعالیت", "طبقه فعالیت",
            "isic class", "isic_class", "isic code", "activity code", "sector",
        ),
    ),
    FieldSpec(
        "province", "استان", "Province", "province", ENTERPRISES, required=True,
        description_fa="استان محل استقرار بنگاه (نام، کد ISO یا کد مرکز آمار).",
        description_en="The province the enterprise is located in (name, ISO code or SCI code).",
        aliases=("نام استان", "کد استان", "province", "province_code", "province code", "region"),
    ),
    FieldSpec(
        "estate", "شهرک یا ناحیه صنعتی", "Industrial estate", "estate", ENTERPRISES,
        description_fa="شهرک یا ناحیه صنعتی محل استقرار (کد یا نام)؛ خالی اگر بیرون از شهرک است.",
        description_en="The industrial estate or zone (code or name); empty if outside any estate.",
        aliases=(
            "شهرک صنعتی", "شهرک", "ناحیه صنعتی", "شهرک ناحیه صنعتی", "کد شهرک", "نام شهرک",
            "estate", "estate_code", "estate code", "industrial estate", "industrial zone",
        ),
    ),
    FieldSpec(
        "founding_year", "سال تأسیس", "Founding year", "year", ENTERPRISES,
        unit_fa="شمسی", unit_en="Jalali",
        description_fa="سال شمسی تأسیس یا آغاز بهره‌برداری (مانند ۱۳۸۵).",
        description_en="The Jalali year the enterprise was founded or began operating (e.g. 1385).",
        aliases=(
            "سال تاسیس", "تاریخ تأسیس", "تاریخ تاسیس", "سال شروع بهره برداری", "founding year",
            "founding_year", "year founded", "founded", "established",
        ),
    ),
)  # fmt: skip

PERIOD_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "period", "دوره", "Period", "period", RETURNS, required=True,
        unit_fa="سال یا فصل شمسی", unit_en="Jalali year or quarter",
        description_fa="سال مالی (۱۴۰۳) یا فصل آن (۱۴۰۳-ف۲) که ارقام این ردیف برای آن است.",
        description_en="The fiscal year (1403) or quarter (1403-Q2) the figures of the row are "
            "for.",
        aliases=("دوره گزارش", "دوره مالی", "period", "reporting period"),
    ),
    FieldSpec(
        "year", "سال مالی", "Fiscal year", "year_of_period", RETURNS,
        description_fa="سال مالی شمسی، اگر ستون دوره ندارید.",
        description_en="The Jalali fiscal year, when there is no period column.",
        aliases=("سال", "سال گزارش", "year", "fiscal year", "fiscal_year"),
    ),
    FieldSpec(
        "quarter", "فصل", "Quarter", "quarter", RETURNS,
        description_fa="فصل (۱ تا ۴) همراه ستون سال مالی، برای اظهارنامه فصلی.",
        description_en="The quarter (1 to 4) with the fiscal-year column, for a quarterly return.",
        aliases=("quarter", "fiscal quarter"),
    ),
    FieldSpec(
        "unit", "واحد پول", "Money unit", "unit", RETURNS,
        description_fa="واحد ارقام ریالی این ردیف اگر سرستون واحد را نگفته است (ریال، هزار ریال، "
            "میلیون ریال، …).",
        description_en="The unit of this row's money figures where the header does not say (rials, "
            "thousand rials, million rials, …).",
        aliases=("واحد", "واحد مبالغ", "unit", "currency unit", "money unit"),
    ),
)  # fmt: skip

# Extra everyday names of catalogue indicators, beyond the catalogue's own fa/en names.
INDICATOR_SYNONYMS: dict[str, tuple[str, ...]] = {
    "employees": (
        "تعداد کارکنان", "کارکنان", "شاغلان", "تعداد پرسنل", "تعداد نیروی انسانی", "اشتغال",
        "employment", "number of employees", "staff", "headcount",
    ),
    "sales": ("فروش خالص", "درآمد فروش", "درآمد عملیاتی", "revenue", "net sales", "turnover"),
    "exports": ("صادرات", "ارزش صادرات ریالی", "export", "export sales"),
    "wages": ("حقوق و دستمزد", "هزینه حقوق و دستمزد", "wage bill", "wages and salaries"),
    "net_profit": ("سود خالص", "net income"),
    "ebit": ("سود عملیاتی", "operating profit", "ebit"),
    "total_assets": ("دارایی کل", "assets"),
    "total_liabilities": ("بدهی کل", "liabilities"),
    "equity": ("حقوق صاحبان سهام", "shareholders equity"),
    "rd_expenditure": ("هزینه پژوهش و توسعه", "r&d", "research and development"),
    "defect_rate": ("ضایعات", "نرخ ضایعات", "scrap rate"),
    "capacity_utilisation": ("درصد استفاده از ظرفیت", "capacity utilization"),
}  # fmt: skip


def indicator_field(spec: IndicatorSpec) -> FieldSpec:
    unit_fa, unit_en = UNIT_LABELS.get(spec.unit, ("", ""))
    return FieldSpec(
        code=spec.code,
        name_fa=spec.name_fa,
        name_en=spec.name_en,
        kind=spec.kind,
        sheet=RETURNS,
        unit_fa=unit_fa,
        unit_en=unit_en,
        description_fa=spec.description_fa,
        description_en=spec.description_en,
        aliases=INDICATOR_SYNONYMS.get(spec.code, ()),
        indicator=spec,
    )


_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|（[^（）]*）")
_CONNECTORS = re.compile(r"(?:^|\s)(?:به|بر حسب|برحسب|in)\s*$")


def header_key(text, *, brackets: bool = False) -> str:
    """A spelling-blind key for a header: no units, case, marks, spaces or ZWNJ.

    NFKD splits أ and آ into ا plus a combining mark, which is then dropped, so
    "سال تأسیس" and "سال تاسیس" meet. Bracketed text ("(میلیون ریال)", "(۴ رقمی)",
    a footnote "(*)") is dropped unless ``brackets`` is true: "Name (Persian)" and
    "Name (English)" differ only inside their brackets.
    """
    if text is None:
        return ""
    cleaned = strip_units(normalize_text(to_latin_digits(str(text))))
    if not brackets:
        cleaned = _BRACKETS.sub(" ", cleaned)
    cleaned = _CONNECTORS.sub("", cleaned.strip())
    cleaned = unicodedata.normalize("NFKD", cleaned).casefold().replace("&", "and")
    return "".join(c for c in cleaned if c.isalnum())


class FieldTable:
    """Every field of intake, and the alias table that recognises their headers.

    Build it from a catalogue (:meth:`from_catalogue`); the default catalogue's table
    is cached by :func:`default_fields`.
    """

    def __init__(self, catalogue: Sequence[IndicatorSpec]):
        self.catalogue = tuple(catalogue)
        self.registry = REGISTRY_FIELDS
        self.periods = PERIOD_FIELDS
        self.indicators = tuple(indicator_field(spec) for spec in self.catalogue)
        self.by_code: dict[str, FieldSpec] = {}
        for field in (*self.registry, *self.periods, *self.indicators):
            if field.code in self.by_code:
                raise ValueError(f"field code {field.code!r} is defined twice")
            self.by_code[field.code] = field
        # Two tables: keys with bracketed text kept ("namepersian") and without it
        # ("name"). A bare key two fields share is ambiguous and dropped. Earlier
        # entries win: codes and names before free synonyms.
        self._aliases: dict[str, str] = {}
        self._bare: dict[str, str] = {}
        ambiguous: set[str] = set()
        names = [
            (name, field.code)
            for field in self.by_code.values()
            for name in (field.code, field.name_fa, field.name_en)
        ]
        names += [(name, field.code) for field in self.by_code.values() for name in field.aliases]
        for name, code in names:
            self._aliases.setdefault(header_key(name, brackets=True), code)
            bare = header_key(name)
            if self._bare.setdefault(bare, code) != code:
                ambiguous.add(bare)
        for key in ambiguous | {""}:
            self._bare.pop(key, None)
        self._aliases.pop("", None)

    @classmethod
    def from_catalogue(cls, catalogue: Sequence[IndicatorSpec] | None = None) -> FieldTable:
        return default_fields() if catalogue is None else cls(catalogue)

    def __getitem__(self, code: str) -> FieldSpec:
        return self.by_code[code]

    def __contains__(self, code: str) -> bool:
        return code in self.by_code

    @property
    def indicator_codes(self) -> tuple[str, ...]:
        return tuple(field.code for field in self.indicators)

    def match(self, header) -> str | None:
        """The field a header names, or ``None``.

        A header may carry both languages ("فروش (میلیون ریال) / Sales (million
        rials)"): if the whole text names no field, each side of a ``/`` or ``|`` is
        tried in turn.
        """
        if not isinstance(header, str):
            return None
        found = self._lookup(header)
        if found is not None:
            return found
        outside = _BRACKETS.sub(lambda m: m.group().replace("/", " ").replace("|", " "), header)
        for part in re.split(r"[/|]", outside):
            found = self._lookup(part)
            if found is not None:
                return found
        return None

    def _lookup(self, text: str) -> str | None:
        found = self._aliases.get(header_key(text, brackets=True))
        return found if found is not None else self._bare.get(header_key(text))

    def aliases(self) -> dict[str, str]:
        """The alias table: header key → field code (a copy, for documentation and tests)."""
        return {**self._bare, **self._aliases}


@functools.cache
def default_fields() -> FieldTable:
    return FieldTable(load_catalogue())
