"""Spreadsheet cells that stay text: the one guard against formula injection that every
Excel and CSV file Rasad writes goes through (issue 16).

A firm, estate or unit name is typed by people outside the ministry. Written as it is,
``=HYPERLINK("http://…"&A1,"click")`` or ``=cmd|' /C calc'!A0`` becomes a live formula
in the workbook an official opens (openpyxl stores any text that starts with ``=`` as a
formula); in a CSV, Excel and LibreOffice also evaluate a cell that starts with ``+``,
``-`` or ``@``, and a leading tab or carriage return hides the sign from simple checks.

What each kind of file gets:

- **Excel (.xlsx)**: the cell keeps the text exactly, typed as a string (``t="inlineStr"``,
  ``data_type "s"``), so no program evaluates it and the text shown equals the name; it
  also carries Excel's *quote prefix* style (what typing ``'=…`` in Excel records, without
  any apostrophe in the value), so editing the cell later keeps it text. No apostrophe is
  added: in a string cell one would be shown to the reader as part of the name. Error
  words (``#N/A``, ``#REF!``…), which openpyxl would store as error cells, are kept as text
  too. Numbers stay numbers: a negative number is a number, only *text* that starts with
  ``-`` is guarded.
- **CSV**: a CSV cell has no type, so the text is prefixed with a single quote ``'``, as
  OWASP advises ("CSV Injection"): Excel and LibreOffice then show it as text. The quote is
  visible to the reader. Only text cells are changed; numeric columns are written as they
  are. :func:`csv_unquote` undoes it for Rasad's own CSV files that it reads back (the demo
  population), exact unless a text itself began with a quote before one of those signs.

:func:`excel_book` (a workbook, every cell, just before it is saved; pandas'
``to_excel`` included) and :func:`excel_value` (a write-only sheet's cell) serve Excel;
:func:`write_csv` (a pandas frame, its column labels and index too, through
:func:`csv_frame`) and :func:`csv_row` (``csv.writer``) serve CSV. No Django here: the pure
core, the command line and the platform's downloads all call these.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

#: A text cell starting with one of these is read as a formula by some spreadsheet program.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# openpyxl stores these texts as error cells, not as text
_ERROR_WORDS = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))


def is_formula_text(value: Any) -> bool:
    """``value`` is text that a spreadsheet program could take for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


# --- CSV -----------------------------------------------------------------------------------


def csv_text(value: Any) -> Any:
    """``value`` for a CSV cell: formula-like text behind a single quote, anything else as is."""
    return "'" + value if is_formula_text(value) else value


def csv_unquote(value: Any) -> Any:
    """What :func:`csv_text` wrote, back as it was."""
    if (
        isinstance(value, str)
        and value.startswith("'")
        and value[1:2]
        and value[1] in FORMULA_STARTS
    ):
        return value[1:]
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    """A row for ``csv.writer`` with every text cell made safe."""
    return [csv_text(v) for v in values]


def _text_columns(frame: pd.DataFrame) -> list:
    return [
        c
        for c, dtype in frame.dtypes.items()
        if pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    ]


def _safe_series(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = series.cat.categories
        if categories.dtype == object or pd.api.types.is_string_dtype(categories.dtype):
            return series.cat.rename_categories([csv_text(c) for c in categories])
        return series
    risky = series.map(is_formula_text, na_action="ignore").fillna(False).astype(bool)
    if not risky.any():
        return series
    out = series.copy()
    out[risky] = "'" + series[risky].astype(str)
    return out


def _safe_labels(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return index.set_levels([_safe_labels(level) for level in index.levels])
    if index.dtype == object or pd.api.types.is_string_dtype(index.dtype):
        if any(is_formula_text(v) for v in index):
            return index.map(csv_text)
    return index


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text cells, column labels and index labels made safe for CSV
    (a copy where anything changes; numeric columns untouched)."""
    out = frame
    for column in _text_columns(frame):
        safe = _safe_series(frame[column])
        if safe is not frame[column]:
            if out is frame:
                out = frame.copy()
            out[column] = safe
    columns, index = _safe_labels(frame.columns), _safe_labels(frame.index)
    if columns is not frame.columns or index is not frame.index:
        out = out.copy() if out is frame else out
        out.columns, out.index = columns, index
    return out


def _has_cr(frame: pd.DataFrame) -> bool:
    labels = [*frame.columns, *frame.index] if frame.index.dtype == object else list(frame.columns)
    if any(isinstance(v, str) and "\r" in v for v in labels):
        return True
    for column in _text_columns(frame):
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = pd.Series(values.cat.categories)
        if (
            values.map(lambda v: isinstance(v, str) and "\r" in v, na_action="ignore")
            .fillna(False)
            .any()
        ):
            return True
    return False


def write_csv(frame: pd.DataFrame, target, **options) -> None:
    """``frame.to_csv(target, **options)`` made safe by :func:`csv_frame`. pandas ends
    lines with ``\n`` and then leaves a text holding a lone carriage return unquoted,
    which spreadsheet programs read as a new row (one that could start with ``=``): such
    a frame is written with ``\r\n`` line ends, as RFC 4180 has them, so that the text
    is quoted whole. Any other frame is written exactly as ``to_csv`` would."""
    safe = csv_frame(frame)
    if "lineterminator" not in options and _has_cr(safe):
        options["lineterminator"] = "\r\n"
    safe.to_csv(target, **options)


def csv_unquote_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`csv_frame` undone on a frame read back from Rasad's own CSV."""
    out = frame
    for column in _text_columns(frame):
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            continue
        quoted = (
            values.map(lambda v: csv_unquote(v) is not v, na_action="ignore")
            .fillna(False)
            .astype(bool)
        )
        if quoted.any():
            if out is frame:
                out = frame.copy()
            out.loc[quoted, column] = values[quoted].str[1:]
    return out


# --- Excel ---------------------------------------------------------------------------------


_GUARDED_FIRST = frozenset(s[0] for s in FORMULA_STARTS) | {"#"}


def _needs_guard(value: Any) -> bool:
    return isinstance(value, str) and (value.startswith(FORMULA_STARTS) or value in _ERROR_WORDS)


def _as_text(cell) -> None:
    cell.data_type = "s"
    cell.quotePrefix = True


def excel_book(book) -> None:
    """Every text cell of ``book`` (an openpyxl workbook, not write-only) typed as text:
    call it just before the workbook is saved (for pandas, on ``writer.book`` inside the
    ``ExcelWriter`` block). Formulas in the workbook are turned into text as well: no
    workbook Rasad writes has a formula of its own."""
    for sheet in book.worksheets:
        # the cells that exist (iter_rows would make one for every gap); hundreds of
        # thousands of cells a second
        for cell in list(sheet._cells.values()):
            value = cell._value
            if (
                type(value) is str
                and value
                and value[0] in _GUARDED_FIRST
                and (cell.data_type in ("f", "e") or _needs_guard(value))
            ):
                _as_text(cell)


def excel_value(sheet, value: Any) -> Any:
    """``value`` for ``sheet.append`` of a write-only sheet (where cells cannot be
    revisited): formula-like text as a cell typed as text, anything else as it is."""
    if not _needs_guard(value):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value)
    _as_text(cell)
    return cell
