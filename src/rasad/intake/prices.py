"""Price indices that deflate a panel's money: the ``prices`` block of a mapping file
and the CSV files of ``--prices``. Both key the index by **Jalali** year (a Gregorian
year *g* is *g* − 621, the Jalali year that begins in it) and refuse a year given
twice once converted, in :class:`JalaliIndex`.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import numbers
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import ConfigDict, PlainValidator

from rasad.config import Section, fail, keyed, refuse
from rasad.errors import InputProblems, RasadInputError
from rasad.iran.periods import Period
from rasad.iran.text import normalize_text, parse_number, to_latin_digits

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
    "shamsi": "jalali",
    "gregorian": "gregorian",
    "miladi": "gregorian",
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
    text = _spelled(cell.replace("\ufeff", ""))
    for canonical, names in _PRICE_HEADERS.items():
        if text in names:
            return canonical
    return None


def _spelled(word: str) -> str:
    """A heading or calendar word as the tables spell it: Windows-1256, in which Excel on
    a Persian Windows saves a CSV, has no Persian ی or ک, so Excel writes the Arabic
    letters instead (تقويم, شمسي)."""
    return normalize_text(word).casefold()


def read_prices(path: str | Path) -> tuple[dict[int, float], str]:
    """A price index from a CSV file: ({Jalali year: index}, a note naming the file).

    Columns (headers in English or Persian, any order; others are ignored):
    ``year`` (سال), ``index`` (شاخص), optional ``calendar`` (تقویم: jalali/gregorian,
    shamsi/miladi, شمسی/میلادی, per row) and optional ``source`` (منبع). Without a
    calendar column the years are **Jalali**. A Gregorian year *g* becomes *g* − 621.
    UTF-8 (with or without BOM), UTF-16 with its BOM or Windows-1256; comma, semicolon
    or tab separated; Persian digits are read. Every problem is reported at once, naming
    the file, the row (as a spreadsheet numbers it: the header is row 1) and the column.
    """
    path = Path(path)
    name = path.name
    rows = _price_rows(name, _price_text(path))
    header = next(rows, None)
    columns, problems = _price_columns(name, *header) if header else ({}, [])
    entries = list(rows)
    if header is None or not entries:
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
    index = JalaliIndex()
    sources: list[str] = []
    for row, cells in entries:
        entry = _PriceRow(name, row, cells, columns)
        year, level, calendar = entry.year(), entry.level(), entry.calendar()
        if year is not None and calendar is not None:
            entry.add_to(index, year, calendar, level)
        problems.extend(entry.problems)
        source = entry.source()
        if source and source not in sources:
            sources.append(source)
    if problems:
        raise InputProblems(problems)
    note = f"{name}: {'; '.join(sources)}" if sources else name
    return index.by_year(), note


def _price_text(path: Path) -> str:
    """The text of a price file: UTF-16 with its BOM (Excel's "Unicode text"), UTF-8 (a BOM
    dropped), else Windows-1256, in which Excel on a Persian Windows saves a CSV."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _price_problem(
            path.name,
            None,
            None,
            str(path),
            f"cannot read the price file: {exc.strerror}.",
            f"فایل شاخص قیمت خوانده نشد: {exc.strerror}.",
        ) from exc
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text"
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1256", errors="replace")


def _price_rows(name: str, text: str) -> Iterator[tuple[int, list[str]]]:
    """The rows of a price file that are not blank, each with the line it ends on (a
    quoted cell may span lines), separated by whichever of comma, semicolon and tab its
    first line has most of. Read lazily: a file whose header is refused is read no
    further."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                yield reader.line_num, cells
    except csv.Error as error:  # a quote never closed, a cell longer than any figure
        raise InputProblems(
            [
                _price_problem(
                    name,
                    reader.line_num,
                    None,
                    None,
                    f"this row cannot be read as CSV ({error}); is it a price file?",
                    f"این ردیف به‌صورت CSV خوانده نمی‌شود ({error})؛ آیا فایل شاخص قیمت است؟",
                )
            ]
        ) from error


def _price_columns(
    name: str, row: int, cells: list[str]
) -> tuple[dict[str, tuple[int, str]], list[RasadInputError]]:
    """Where each column of a price file is (canonical name: position, heading as
    written), and the headings that repeat a column; InputProblems when the year or the
    index has no column, as no row can be read without them."""
    columns: dict[str, tuple[int, str]] = {}
    problems: list[RasadInputError] = []
    for position, heading in enumerate(cells):
        canonical = _price_header(heading)
        if canonical is None:
            continue
        if canonical in columns:
            first = columns[canonical][1]
            problems.append(
                _price_problem(
                    name,
                    row,
                    heading.strip(),
                    heading,
                    f"two columns mean {canonical} ({first!r} and {heading.strip()!r}).",
                    f"دو ستون به معنای {canonical} است («{first}» و «{heading.strip()}»).",
                )
            )
            continue
        columns[canonical] = (position, heading.strip())
    missing = [c for c in ("year", "index") if c not in columns]
    if missing:
        headings = [c.strip() for c in cells]
        problems.append(
            _price_problem(
                name,
                row,
                None,
                headings,
                f"the header {headings} lacks the columns {missing} "
                "(year, index; optional calendar and source).",
                f"سرستون {headings} ستون‌های {missing} را ندارد "
                "(year/سال و index/شاخص؛ calendar/تقویم و source/منبع اختیاری).",
            )
        )
        raise InputProblems(problems)
    return columns, problems


class _PriceRow:
    """One data row of a price file, read cell by cell. Each problem is kept in
    :attr:`problems`, located at the file, the row and the column, rather than raised,
    so that a whole file's problems are reported at once, in the order its cells are
    read."""

    def __init__(
        self, name: str, row: int, cells: list[str], columns: dict[str, tuple[int, str]]
    ) -> None:
        self.name, self.row, self.cells, self.columns = name, row, cells, columns
        self.problems: list[RasadInputError] = []

    def cell(self, key: str) -> tuple[str, str]:
        """The text of column ``key`` (empty in a row too short for it) and its heading."""
        position, column = self.columns[key]
        return (self.cells[position].strip() if position < len(self.cells) else ""), column

    def report(self, column: str, value: str, en: str, fa: str) -> None:
        self.problems.append(_price_problem(self.name, self.row, column, value, en, fa))

    def add_to(self, index: JalaliIndex, year: int, calendar: str, level: float | None) -> None:
        """Add the row's entry to ``index`` (``level`` None: refused, its year still
        taken); a year out of range or given twice, once converted, is refused."""
        text, column = self.cell("year")
        try:
            first = index.add(self.row, year, calendar, level)
        except RasadInputError as error:
            self.report(column, text, error.message_en, error.message_fa)
            return
        if first is not None:
            jalali = jalali_price_year(year, calendar)
            self.report(
                column,
                text,
                f"the Jalali year {jalali} is given twice (rows {first} and {self.row}).",
                f"سال شمسی {jalali} دو بار آمده است (ردیف‌های {first} و {self.row}).",
            )

    def year(self) -> int | None:
        """The year as written, a whole number (1400, ۱۴۰۰, 1,400.0), or None."""
        text, column = self.cell("year")
        try:
            number = parse_number(text, field=column)
            if float(number).is_integer():
                return int(number)
        except ValueError:  # a RasadInputError is one
            pass
        self.report(
            column,
            text,
            f"the year {text!r} is not a whole number.",
            f"سال «{text}» عدد صحیح نیست.",
        )
        return None

    def level(self) -> float | None:
        """The index, a positive finite number, or None."""
        text, column = self.cell("index")
        level = None
        try:
            level = price_number(parse_number(text, field=column))
        except RasadInputError:
            pass
        if level is None:
            self.report(
                column,
                text,
                f"the index {text!r} is not a positive finite number.",
                f"شاخص «{text}» عددی مثبت و متناهی نیست.",
            )
        return level

    def calendar(self) -> str | None:
        """The row's calendar, Jalali in a file with no calendar column; None if refused."""
        if "calendar" not in self.columns:
            return "jalali"
        text, column = self.cell("calendar")
        calendar = _CALENDAR_WORDS.get(_spelled(text))
        if calendar is None:
            self.report(
                column,
                text,
                f"the calendar {text!r} is neither jalali nor gregorian.",
                f"تقویم «{text}» نه jalali (شمسی) است و نه gregorian (میلادی).",
            )
        return calendar

    def source(self) -> str:
        """Where the row's index comes from, or ""."""
        return self.cell("source")[0] if "source" in self.columns else ""
