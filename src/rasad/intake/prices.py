"""Price indices that deflate a panel's money: the ``prices`` block of a mapping file
and the CSV files of ``--prices``. Both key the index by **Jalali** year (a Gregorian
year *g* is *g* − 621, the Jalali year that begins in it) and refuse a year given
twice once converted, by :func:`index_by_jalali_year`.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import ConfigDict, PlainValidator

from rasad.config import Section, fail, keyed, refuse
from rasad.errors import InputProblems, RasadInputError
from rasad.iran.periods import Period
from rasad.iran.text import parse_number, to_latin_digits

CALENDARS = ("jalali", "gregorian")
GREGORIAN_OFFSET = 621


def whole_year(key: Any) -> int | None:
    """A year written as a YAML key (1991, "1991", "۱۹۹۱"), or None."""
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return key
    if isinstance(key, str):
        text = to_latin_digits(key).strip()
        if text.isascii() and text.isdigit():
            return int(text)
    return None


def price_number(value: Any) -> float | None:
    """A positive finite index value, or None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return number if math.isfinite(number) and number > 0 else None


def jalali_price_year(year: int, calendar: str) -> int:
    """The Jalali year of a price-index year; a RasadInputError when out of range."""
    jalali = year - GREGORIAN_OFFSET if calendar == "gregorian" else year
    return Period(jalali).year


class JalaliIndex:
    """A price index being read, keyed by Jalali year: :meth:`add` takes one entry
    and refuses a year already given once converted (1991 Gregorian and 1370 Jalali)."""

    def __init__(self) -> None:
        self.prices: dict[int, float] = {}
        self._first: dict[int, Any] = {}

    def add(self, where: Any, year: int, calendar: str, level: float | None) -> Any:
        """Take ``year`` (in ``calendar``) at ``level`` (None: refused already, its year
        still taken); ``where`` says where it was written. Returns None, or where the
        same Jalali year was first given; raises a RasadInputError for a year out of
        range."""
        jalali = jalali_price_year(year, calendar)
        if jalali in self._first:
            return self._first[jalali]
        self._first[jalali] = where
        if level is not None:
            self.prices[jalali] = level
        return None

    def by_year(self) -> dict[int, float]:
        return dict(sorted(self.prices.items()))


# --- the prices block of a mapping file -----------------------------------------------


INDEX = (
    "give the index by year, such as {1991: 136.2, 1992: 140.3}.",
    "شاخص را به تفکیک سال بدهید، مانند {1991: 136.2, 1992: 140.3}.",
)
SOURCE = (
    "say where the index comes from (publisher, series, base, annual average or not).",
    "بگویید شاخص از کجا آمده است (ناشر، سری، سال پایه، میانگین سالانه یا جز آن).",
)


def _source(note: Any) -> str:
    if not isinstance(note, str) or not note.strip():
        raise fail(*SOURCE)
    return note.strip()


def _calendar(value: Any) -> str:
    if value not in CALENDARS:
        raise fail(f"must be one of {CALENDARS}.", f"باید یکی از {CALENDARS} باشد.")
    return value


Calendar = Annotated[str, PlainValidator(_calendar)]
#: a price block's own calendar; ``calendar: null`` is a wrong one, not none
OwnCalendar = Annotated[str | None, PlainValidator(_calendar)]


class PricesFile(Section):
    """``prices: {calendar, source, index}``; the years of ``index`` become Jalali
    in :meth:`prices`, once the calendar of the mapping's periods is known."""

    model_config = ConfigDict(extra="allow")
    NOT_MAPPING = (
        "must be a mapping {calendar, source, index}.",
        "باید نگاشتی با calendar، source و index باشد.",
    )
    KEEP_NONE = True
    FALLBACK: ClassVar[dict[str, Any]] = {"source": "-", "index": {}}
    MISSING: ClassVar[dict[str, tuple[str, str]]] = {"source": SOURCE, "index": INDEX}

    calendar: OwnCalendar = None
    source: Annotated[str, PlainValidator(_source)]
    index: Annotated[dict[Any, Any], keyed(*INDEX)]

    @classmethod
    def unknown(cls, data, keys):
        unknown = sorted(keys, key=str)
        if not unknown:
            return []
        return [
            refuse(
                (),
                f"unknown keys {unknown}; allowed: calendar, source, index.",
                f"کلیدهای ناشناخته {unknown}؛ کلیدهای مجاز: calendar، source و index.",
                unknown,
            )
        ]

    @classmethod
    def checks(cls, data, section, info, clean):
        for key, number in section.index.items():
            if whole_year(key) is None:
                yield refuse(
                    ("index", key), "a year must be a whole number.", "سال باید عدد صحیح باشد.", key
                )
            if price_number(number) is None:
                yield refuse(
                    ("index", key),
                    "the index must be a positive finite number.",
                    "شاخص باید عددی مثبت و متناهی باشد.",
                    number,
                )

    def prices(self, calendar: str) -> tuple[dict[int, float], list]:
        """The index by Jalali year (its years in ``calendar``), and the problems of its
        years, located (``index``, year)."""
        index, problems = JalaliIndex(), []
        for key, number in self.index.items():
            year = whole_year(key)
            if year is None:
                continue
            try:
                first = index.add(key, year, calendar, price_number(number))
            except RasadInputError as error:
                problems.append(refuse(("index", key), error.message_en, error.message_fa, key))
                continue
            if first is not None:
                problems.append(
                    refuse(
                        ("index", key),
                        f"the year is given twice ({first!r} and {key!r}).",
                        f"این سال دو بار آمده است («{first}» و «{key}»).",
                        key,
                    )
                )
        return index.by_year(), problems


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
            for position, heading in enumerate(cells):
                canonical = _price_header(heading)
                if canonical is None:
                    continue
                if canonical in header:
                    problems.append(
                        _price_problem(
                            name,
                            row,
                            heading.strip(),
                            heading,
                            f"two columns mean {canonical} ({header[canonical][1]!r} and "
                            f"{heading.strip()!r}).",
                            f"دو ستون به معنای {canonical} است («{header[canonical][1]}» و "
                            f"«{heading.strip()}»).",
                        )
                    )
                    continue
                header[canonical] = (position, heading.strip())
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

    index = JalaliIndex()
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
            level = price_number(parse_number(index_text, field=index_column))
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
        calendar: str | None = "jalali"
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
            first = index.add(row, year, calendar, level)
        except RasadInputError as error:
            problems.append(
                _price_problem(
                    name, row, year_column, year_text, error.message_en, error.message_fa
                )
            )
            continue
        if first is not None:
            problems.append(
                _price_problem(
                    name,
                    row,
                    year_column,
                    year_text,
                    f"the Jalali year {jalali_price_year(year, calendar)} is given twice "
                    f"(rows {first} and {row}).",
                    f"سال شمسی {jalali_price_year(year, calendar)} دو بار آمده است "
                    f"(ردیف‌های {first} و {row}).",
                )
            )
    if problems:
        raise InputProblems(problems)
    note = f"{name}: {'; '.join(sources)}" if sources else name
    return index.by_year(), note
