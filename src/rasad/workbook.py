"""The one writer of every workbook Rasad produces (issue 17): a sheet is described once
(its columns, each with a code, Persian and English labels, a kind and a width) and
written the same way everywhere, so that an analyst can filter, pivot and print it.

What every workbook gets:

- **one header row**, in the reader's language, so autofilter and pivot tables see one
  table; the column codes and their meanings go to a **dictionary** sheet (code, Persian
  label, English label, meaning) instead of a second header row;
- **right-to-left** sheets when the reader reads Persian;
- numbers **typed and rounded by kind**: ``int`` and ``rank`` cells are integers (a
  rank interval's bounds 84.04999999999998 → 84), ``decimal`` cells rounded to their
  digits, ``percent`` cells fractions shown as percentages; the cell's number format
  says the same, so nothing shows fifteen digits;
- column **widths**, the **header pane frozen**, an **autofilter** over exactly the data
  range;
- **print set-up**: A4, fit to the page's width (landscape when the columns are wide),
  the header row repeated on every page; wrapped text gets an explicit **row height**,
  which LibreOffice needs (it draws wrapped lines over each other otherwise);
- an **about** sheet: title, source, edition, the date in the Jalali calendar and the
  licence: :data:`OPEN_LICENCE` (CC BY 4.0) for open data, :data:`INTERNAL_USE` for a
  workbook with confidential figures.

Every text cell goes through :func:`rasad.export.excel_value` (the formula-injection
guard). Sheets are written in openpyxl's write-only mode, so a million-row table streams.
No Django here: the pure core (index, monitor, intake) and the platform both call it; the
platform passes labels it translated itself (:func:`rasad.platform.web.downloads.both`).
:func:`csv_frame` gives the same table for a CSV file (codes as headers; see there).
"""

from __future__ import annotations

import datetime
import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from rasad.export import excel_value

#: a label or text in both languages: (Persian, English)
Text = tuple[str, str]
KINDS = ("text", "int", "rank", "year", "decimal", "percent", "date")

OPEN_LICENCE: Text = (
    "مجوز CC BY 4.0 (کریتیو کامنز، انتساب ۴٫۰): استفاده، بازنشر و تغییر آزاد است، به شرط ذکر "
    "منبع «رصد». https://creativecommons.org/licenses/by/4.0/deed.fa",
    "CC BY 4.0 (Creative Commons Attribution 4.0 International): free to use, share and "
    "adapt, crediting “Rasad” as the source. https://creativecommons.org/licenses/by/4.0/",
)
INTERNAL_USE: Text = (
    "محرمانه، برای کار داخلی: ارقامی دارد که منتشر نمی‌شوند؛ بازنشر آن مجاز نیست.",
    "Confidential, for internal work: it holds figures that are not published; do not "
    "redistribute it.",
)
SOURCE: Text = ("رصد، سامانهٔ رتبه‌بندی و پایش بنگاه‌های کوچک و متوسط", "Rasad, the SME observatory")

_FORMATS = {"int": "#,##0", "rank": "0", "year": "0", "date": "@"}
_LINE_HEIGHT = 15.0  # points: one line of the default 11-point font
_MAX_HEIGHT = 409.0  # the tallest row Excel allows
_MIN_WIDTH, _MAX_WIDTH = 6.0, 60.0
_SAMPLE = 500  # rows read to size the columns
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
_WORDS = {True: ("بله", "yes"), False: ("خیر", "no")}


def _pick(text: Text | str, language: str) -> str:
    if isinstance(text, str):
        return text
    return text[0] if language == "fa" else text[1]


@dataclass(frozen=True)
class Column:
    """A column: its ``code`` (what a program reads), its ``label`` (fa, en), its
    ``kind`` (:data:`KINDS`), ``digits`` after the point for ``decimal`` and ``percent``
    (of the percentage), a ``width`` in characters (by default from the label and the
    first rows), ``wrap`` for long text, and the ``meaning`` the dictionary gives."""

    code: str
    label: Text
    kind: str = "text"
    digits: int = 2
    width: float | None = None
    wrap: bool = False
    meaning: Text = ("", "")

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}; expected one of {KINDS}")

    @property
    def number_format(self) -> str | None:
        if self.kind == "decimal":
            return "#,##0" + ("." + "0" * self.digits if self.digits else "")
        if self.kind == "percent":
            return "0" + ("." + "0" * self.digits if self.digits else "") + "%"
        return _FORMATS.get(self.kind)

    def value(self, value: Any, language: str = "fa") -> Any:
        """``value`` as the cell holds it: blanks as None, numbers rounded to the kind."""
        if value is None or value is pd.NA or value is pd.NaT:
            return None
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if self.kind in ("int", "rank", "year"):
            return int(round(float(value)))
        if self.kind == "decimal":
            return round(float(value), self.digits)
        if self.kind == "percent":
            return round(float(value), self.digits + 2)
        if self.kind == "date" and isinstance(value, datetime.date):
            from rasad.iran.periods import format_jalali_date

            return format_jalali_date(value, language)
        if isinstance(value, bool):
            return _pick(_WORDS[value], language)
        if self.kind == "text" and not isinstance(value, str):
            return str(value)
        return value


@dataclass
class Sheet:
    """A table: its ``title`` (fa, en), ``columns`` and ``rows`` (a frame whose columns
    are the codes, or sequences in the columns' order). ``fills`` optionally gives each
    row a background colour (hex RGB, or None), e.g. by a problem's severity;
    ``freeze_columns`` keeps that many first columns (the ids and names) in view."""

    title: Text
    columns: Sequence[Column]
    rows: pd.DataFrame | Iterable[Sequence[Any]] = ()
    fills: Sequence[str | None] | None = None
    freeze_columns: int = 0

    def records(self) -> Iterable[Sequence[Any]]:
        if isinstance(self.rows, pd.DataFrame):
            return self.rows[[c.code for c in self.columns]].itertuples(index=False, name=None)
        return self.rows


@dataclass(frozen=True)
class About:
    """What the about sheet says: a ``title``, the ``edition`` (or period) it is of, the
    ``licence``, further ``notes`` as (label, text) pairs; the source is Rasad and the
    date is the day it is written, in the Jalali calendar."""

    title: Text
    edition: Text | str = ""
    licence: Text = INTERNAL_USE
    notes: Sequence[tuple[Text, Text | str]] = field(default_factory=tuple)
    date: datetime.date | None = None

    def rows(self, language: str) -> list[tuple[str, str]]:
        from rasad.iran.periods import format_jalali_date

        day = self.date or datetime.date.today()
        rows = [
            (_pick(("عنوان", "Title"), language), _pick(self.title, language)),
            (_pick(("منبع", "Source"), language), _pick(SOURCE, language)),
        ]
        if self.edition:
            rows.append((_pick(("ویرایش", "Edition"), language), _pick(self.edition, language)))
        rows.append(
            (_pick(("تاریخ تهیه", "Written on"), language), format_jalali_date(day, language))
        )
        rows.append((_pick(("مجوز", "Licence"), language), _pick(self.licence, language)))
        rows += [(_pick(k, language), _pick(v, language)) for k, v in self.notes]
        return rows


DICTIONARY_TITLE: Text = ("راهنمای ستون‌ها", "Dictionary")
ABOUT_TITLE: Text = ("درباره", "About")
DICTIONARY_COLUMNS = (
    Column("sheet", ("برگه", "Sheet"), width=22),
    Column("code", ("کد ستون", "Column code"), width=24),
    Column("label_fa", ("عنوان فارسی", "Persian label"), width=30),
    Column("label_en", ("عنوان انگلیسی", "English label"), width=30),
    Column("kind", ("نوع", "Kind"), width=10),
    Column("meaning", ("معنا", "Meaning"), width=60, wrap=True),
)
ABOUT_COLUMNS = (
    Column("item", ("مورد", "Item"), width=20),
    Column("value", ("شرح", "Text"), width=90, wrap=True),
)
_KIND_WORDS = {
    "text": ("متن", "text"),
    "int": ("عدد صحیح", "whole number"),
    "rank": ("رتبه (عدد صحیح)", "rank (whole number)"),
    "year": ("سال خورشیدی", "Jalali year"),
    "decimal": ("عدد اعشاری", "decimal number"),
    "percent": ("درصد", "percentage"),
    "date": ("تاریخ (خورشیدی)", "date (Jalali)"),
}


def dictionary_rows(sheets: Sequence[Sheet], language: str = "fa") -> list[tuple]:
    """The dictionary's rows: each column of each sheet, its labels, kind and meaning."""
    return [
        (
            _pick(sheet.title, language),
            column.code,
            column.label[0],
            column.label[1],
            _pick(_KIND_WORDS[column.kind], language),
            _pick(column.meaning, language),
        )
        for sheet in sheets
        for column in sheet.columns
    ]


def write_workbook(
    target: str | Path | BinaryIO,
    sheets: Sequence[Sheet],
    *,
    language: str = "fa",
    about: About | None = None,
) -> None:
    """Write ``sheets``, then the dictionary and, given ``about``, the about sheet, to
    ``target`` (a path or a binary file) in the reader's ``language`` (``fa`` or ``en``)."""
    from openpyxl import Workbook

    language = "fa" if language.startswith("fa") else "en"
    book = Workbook(write_only=True)
    titles: set[str] = set()
    for sheet in sheets:
        _write_sheet(book, sheet, language, titles)
    dictionary = Sheet(DICTIONARY_TITLE, DICTIONARY_COLUMNS, dictionary_rows(sheets, language))
    _write_sheet(book, dictionary, language, titles)
    if about is not None:
        _write_sheet(
            book, Sheet(ABOUT_TITLE, ABOUT_COLUMNS, about.rows(language)), language, titles
        )
    book.save(target)


def csv_frame(sheet: Sheet, language: str = "fa") -> pd.DataFrame:
    """``sheet`` as a frame for a CSV file: the column codes as headers (one header row
    that any program reads the same in either language), the values as the workbook
    holds them (ranks integers, bounds rounded). Write it with
    :func:`rasad.export.write_csv`."""
    frame = pd.DataFrame(
        [
            [c.value(v, language) for c, v in zip(sheet.columns, row, strict=True)]
            for row in sheet.records()
        ],
        columns=[c.code for c in sheet.columns],
    )
    for column in sheet.columns:
        if column.kind in ("int", "rank", "year"):
            frame[column.code] = frame[column.code].astype("Int64")
    return frame


def dictionary_frame(sheets: Sequence[Sheet], about: About, language: str = "fa") -> pd.DataFrame:
    """The dictionary as a frame for a companion CSV file, the about sheet's lines (the
    licence among them) first, as rows whose code is empty."""
    columns = [c.code for c in DICTIONARY_COLUMNS]
    notes = [
        (_pick(ABOUT_TITLE, language), "", key, "", "", text) for key, text in about.rows(language)
    ]
    return pd.DataFrame(notes + dictionary_rows(sheets, language), columns=columns)


def frame_sheet(title: Text, frame: pd.DataFrame, *, digits: int = 2) -> Sheet:
    """A table with no column descriptions of its own (a log, a command's output) as a
    sheet: its codes in words for labels, whole-number columns ``int``, other numbers
    ``decimal`` with ``digits``, anything else text."""
    columns = []
    for code in frame.columns:
        dtype = frame[code].dtype
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
            kind = "text"
        elif pd.api.types.is_integer_dtype(dtype):
            kind = "int"
        else:
            kind = "decimal"
        words = str(code).replace("_", " ").capitalize()
        columns.append(Column(str(code), (words, words), kind, digits))
    return Sheet(title, columns, frame.rename(columns=str))


def sheet_title(title: str, taken: set[str]) -> str:
    """``title`` as Excel accepts it (31 characters, none of ``[]:*?/\\``), unique in the book."""
    base = _BAD_TITLE.sub(" ", title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def _shown_length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, float):
        return len(f"{value:,.2f}")
    if isinstance(value, int):
        return len(f"{value:,}")
    return max((len(line) for line in str(value).split("\n")), default=0)


def _lines(value: Any, width: float) -> int:
    """How many lines ``value`` wraps to in a column ``width`` characters wide."""
    if value is None:
        return 1
    per_line = max(int(width) - 1, 1)
    return sum(max(math.ceil(len(line) / per_line), 1) for line in str(value).split("\n"))


def row_height(values: Sequence[Any], widths: Sequence[float]) -> float:
    """The height (points) a row needs to show ``values`` wrapped in columns of
    ``widths`` characters: LibreOffice does not grow a row for wrapped text by itself."""
    lines = max((_lines(v, w) for v, w in zip(values, widths, strict=True)), default=1)
    return min(_LINE_HEIGHT * lines, _MAX_HEIGHT)


def _write_sheet(book, sheet: Sheet, language: str, taken: set[str]) -> None:
    from openpyxl.utils import get_column_letter

    ws = book.create_sheet(sheet_title(_pick(sheet.title, language), taken))
    ws.sheet_view.rightToLeft = language == "fa"
    columns = list(sheet.columns)
    records = iter(sheet.records())
    first = [_cell_values(columns, row, language) for row in itertools.islice(records, _SAMPLE)]
    labels = [_pick(c.label, language) for c in columns]
    widths = _widths(columns, labels, first)
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    cells = _Cells(ws, columns)
    header = cells.header(labels)
    ws.row_dimensions[1].height = row_height(labels, widths) + 3
    _set_up_view_and_print(ws, sheet.freeze_columns, widths)
    ws.append(header)
    rest = (_cell_values(columns, row, language) for row in records)
    n = _append_rows(ws, cells, itertools.chain(first, rest), columns, widths, sheet.fills)
    ws.auto_filter.ref = f"A1:{get_column_letter(max(len(columns), 1))}{n + 1}"


def _cell_values(columns: Sequence[Column], row: Sequence[Any], language: str) -> list:
    return [c.value(v, language) for c, v in zip(columns, row, strict=True)]


def _widths(columns: Sequence[Column], labels: list[str], first: list[list]) -> list[float]:
    """Each column's width: its own, or wide enough for its longest value in the first
    rows and for the longest word of its label (the label wraps between words)."""
    widths = []
    for j, column in enumerate(columns):
        if column.width is not None:
            widths.append(column.width)
            continue
        longest = max((_shown_length(row[j]) for row in first), default=0)
        label_words = max((len(w) for w in labels[j].split()), default=0)
        widths.append(min(max(longest + 2, label_words + 2, _MIN_WIDTH), _MAX_WIDTH))
    return widths


def _set_up_view_and_print(ws, freeze_columns: int, widths: list[float]) -> None:
    """The header row (and the first ``freeze_columns``) kept in view, and repeated on
    every printed A4 page, the columns fitted to the page's width."""
    from openpyxl.utils import get_column_letter

    ws.freeze_panes = f"{get_column_letter(freeze_columns + 1)}2"
    ws.print_title_rows = "1:1"
    total_width = sum(widths)
    ws.page_setup.orientation = "landscape" if total_width > 100 else "portrait"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


class _Cells:
    """The cells of one sheet, styled as its columns say. Each style is made once per
    sheet (a row fill once per colour), not once per cell."""

    def __init__(self, ws, columns: Sequence[Column]):
        from openpyxl.cell import Cell, WriteOnlyCell
        from openpyxl.styles import Alignment, Font, PatternFill

        self._ws, self._columns = ws, columns
        self._guarded, self._plain, self._pattern = Cell, WriteOnlyCell, PatternFill
        self._bold = Font(bold=True)
        self._header_fill = PatternFill("solid", fgColor="DDE4EE")
        self._header_align = Alignment(wrap_text=True, vertical="center", horizontal="center")
        self._wrap = Alignment(wrap_text=True, vertical="top")
        self._top = Alignment(vertical="top")
        self._formats = [c.number_format for c in columns]
        self._fills: dict[str, Any] = {}

    def header(self, labels: list[str]) -> list:
        header = []
        for label in labels:
            c = self._text(label)
            c.font, c.fill, c.alignment = self._bold, self._header_fill, self._header_align
            header.append(c)
        return header

    def data(self, value, j: int, fill: str | None):
        out = self._text(value)
        if self._formats[j] and not isinstance(value, str):
            out.number_format = self._formats[j]
        out.alignment = self._wrap if self._columns[j].wrap else self._top
        if fill:
            if fill not in self._fills:
                self._fills[fill] = self._pattern("solid", fgColor=fill)
            out.fill = self._fills[fill]
        return out

    def _text(self, value):
        guarded = excel_value(self._ws, value)  # formula-like text stays text
        return guarded if isinstance(guarded, self._guarded) else self._plain(self._ws, value)


def _append_rows(
    ws,
    cells: _Cells,
    rows: Iterable[list],
    columns: Sequence[Column],
    widths: list[float],
    fills: Sequence[str | None] | None,
) -> int:
    """Append ``rows`` (each with its fill, when ``fills`` are given); return how many.
    A row with wrapped text gets its height before it is written: a write-only sheet
    cannot go back to it."""
    wrapped = [j for j, c in enumerate(columns) if c.wrap]
    fill_of = iter(fills) if fills is not None else None
    n = 0
    for row in rows:
        n += 1
        fill = next(fill_of, None) if fill_of is not None else None
        if wrapped:
            height = row_height([row[j] for j in wrapped], [widths[j] for j in wrapped])
            if height > _LINE_HEIGHT:
                ws.row_dimensions[n + 1].height = height
        ws.append([cells.data(v, j, fill) for j, v in enumerate(row)])
    return n
