"""Read Excel and CSV files as people in Iran actually send them.

What arrives is rarely the template untouched: CSVs saved by an old Excel in
Windows-1256, with or without a byte-order mark; headers in Persian, English or both,
split over two rows or under a merged heading that states the unit; formulas instead
of typed figures; blank spacer rows and columns; a "total" row at the bottom. This
module turns any of these into :class:`Sheet` objects that know, for every value, the
row Excel shows and the header the sender wrote, so that every later complaint can
point at the exact cell.

Reading never judges values (that is :mod:`rasad.intake.validate`); it refuses only
what cannot be read at all (not a spreadsheet, a truncated or oversized workbook),
with a :class:`~rasad.errors.RasadInputError` that names the file in both languages.

Safety: workbooks are opened with ``data_only=True`` (formulas are never evaluated:
the value Excel stored when the file was saved is used) and ``keep_links=False``
(external links are not followed), and zip archives are measured before they are
opened, so a zip bomb is refused rather than unpacked.
"""

from __future__ import annotations

import csv
import io
import operator
import re
import warnings
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter, range_boundaries

from rasad.errors import RasadInputError
from rasad.iran.text import format_number, normalize_text

from .fields import FieldSpec, FieldTable, default_fields, header_key
from .problems import ERROR, WARNING, Problem
from .template import SHEET_ENTERPRISES, SHEET_RETURNS
from .units import MoneyUnit, find_unit_in, strip_units

# A sheet's cells, row by row: lists of values, or (from the CSV reader) a 2-D object array.
Grid = list[list] | np.ndarray


@dataclass(frozen=True)
class ReadLimits:
    """How much a reader accepts, so one upload cannot exhaust the server.

    ``max_uncompressed_bytes`` bounds what an xlsx (a zip archive) may unpack to and
    ``max_compression_ratio`` refuses members that grow suspiciously (a zip bomb
    grows a thousandfold; real sheets 5 to 30 times). ``header_rows`` is how far down
    a sheet the header is looked for.
    """

    max_file_bytes: int = 200 * 2**20
    max_uncompressed_bytes: int = 2 * 2**30
    max_compression_ratio: float = 250.0
    header_rows: int = 30

    def __post_init__(self):
        for name in ("max_file_bytes", "max_uncompressed_bytes", "header_rows"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"ReadLimits.{name} must be a positive integer, not {value!r}")
        if not self.max_compression_ratio > 1:
            raise ValueError("ReadLimits.max_compression_ratio must be greater than 1")


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its position, its header as written and what it means."""

    index: int  # 0-based position in the sheet
    letter: str  # the column letter Excel shows
    header: str  # the header text as the sender wrote it
    field: str | None  # canonical field code; None when the header names no field
    unit: MoneyUnit | None = None  # money unit declared in or above the header


@dataclass
class Sheet:
    """The data rows of one sheet, as raw cell values keyed by field.

    ``rows`` holds the Excel row number of each data row and ``values[field]`` the
    raw cell values in the same order (strings as written, numbers as Excel stored
    them, ``None`` for empty or blank cells). Empty rows are already gone.
    """

    name: str
    header_rows: tuple[int, ...]
    columns: dict[str, Column]
    rows: np.ndarray
    values: dict[str, list]
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def has(self, field_code: str) -> bool:
        return field_code in self.columns


@dataclass
class Workbook:
    """Everything read from one file: its usable sheets and the problems met on the way."""

    source: str
    format: str  # "xlsx" or "csv"
    encoding: str | None
    sheets: list[Sheet]
    problems: list[Problem] = field(default_factory=list)
    sheet_names: tuple[str, ...] = ()

    @property
    def sheet_order(self) -> dict[str, int]:
        names = self.sheet_names or tuple(sheet.name for sheet in self.sheets)
        order = {name: i for i, name in enumerate(names)}
        order.setdefault(self.source, -1)
        return order


# --- errors -------------------------------------------------------------------------


def unreadable(name: str, reason_en: str, reason_fa: str) -> RasadInputError:
    return RasadInputError(
        f"The file {name!r} cannot be read as a spreadsheet: {reason_en}. "
        "Send an Excel workbook (.xlsx) or a CSV file.",
        f"فایل «{name}» به‌عنوان صفحه‌گسترده خوانده نشد: {reason_fa}. "
        "یک کارپوشه اکسل (.xlsx) یا فایل CSV بفرستید.",
        field="file",
        value=name,
    )


_BINARY_SIGNATURES = (
    (b"%PDF", "it is a PDF document", "یک سند PDF است"),
    (b"\x89PNG", "it is a PNG image", "یک تصویر PNG است"),
    (b"\xff\xd8\xff", "it is a JPEG image", "یک تصویر JPEG است"),
    (b"GIF8", "it is a GIF image", "یک تصویر GIF است"),
    (b"\x1f\x8b", "it is a gzip archive", "یک بایگانی gzip است"),
    (b"Rar!", "it is a RAR archive", "یک بایگانی RAR است"),
    (b"7z\xbc\xaf", "it is a 7-Zip archive", "یک بایگانی 7-Zip است"),
)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# --- entry points -------------------------------------------------------------------


def read_file(
    path: str | Path,
    *,
    fields: FieldTable | None = None,
    limits: ReadLimits | None = None,
) -> Workbook:
    """Read an xlsx or CSV file into sheets of located raw values.

    The format is told from the content, not the file name: a CSV renamed
    ``.xlsx`` (or the reverse) is read as what it is.
    """
    path = Path(path)
    limits = limits or ReadLimits()
    name = path.name
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise _too_big(name, size, limits.max_file_bytes)
        data = path.read_bytes()
    except OSError as exc:
        raise RasadInputError(
            f"The file {name!r} cannot be opened: {exc.strerror}.",
            f"فایل «{name}» باز نشد: {exc.strerror}.",
            field="file",
            value=name,
        ) from exc
    return read_bytes(data, name, fields=fields, limits=limits)


def read_bytes(
    data: bytes,
    name: str,
    *,
    fields: FieldTable | None = None,
    limits: ReadLimits | None = None,
) -> Workbook:
    """Like :func:`read_file`, for content already in memory (an upload)."""
    fields = fields or default_fields()
    limits = limits or ReadLimits()
    if len(data) > limits.max_file_bytes:
        raise _too_big(name, len(data), limits.max_file_bytes)
    if not data.strip():
        raise unreadable(name, "it is empty", "فایل خالی است")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _read_xlsx(data, name, fields, limits)
    if data.startswith(_OLE):
        raise unreadable(
            name,
            "it is an old Excel 97-2003 (.xls) file or a password-protected workbook; "
            "open it in Excel, remove any password and save it as .xlsx",
            "فایل اکسل قدیمی (.xls) یا کارپوشه رمزدار است؛ آن را در اکسل باز کنید، رمز را "
            "بردارید و با پسوند .xlsx ذخیره کنید",
        )
    for signature, reason_en, reason_fa in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise unreadable(name, reason_en, reason_fa)
    text, encoding = decode_text(data, name)
    head = text[:2000].lstrip().lower()
    if head.startswith(("<html", "<!doctype html", "<table", "<?xml")):
        raise unreadable(
            name,
            "it is a web page or XML saved under a spreadsheet name; open it in Excel and "
            "save it as .xlsx",
            "یک صفحه وب یا XML است که با نام صفحه‌گسترده ذخیره شده؛ آن را در اکسل باز کنید و "
            "با پسوند .xlsx ذخیره کنید",
        )
    grid = _csv_grid(text)
    if encoding == "cp1256":
        _refuse_lost_characters(grid, name)
    sheet_name = PurePosixPath(name).stem or name
    workbook = Workbook(name, "csv", encoding, [], sheet_names=(sheet_name,))
    sheet = sheet_from_grid(sheet_name, grid, fields=fields, limits=limits)
    if sheet is None and _is_instructions(_first_cell(grid)):
        raise RasadInputError(
            f"The file {name!r} holds only the template's instructions: a CSV file keeps "
            "one sheet, and LibreOffice and Excel save the sheet in view. Send the .xlsx "
            f"workbook as it is, or save each of the sheets '{SHEET_ENTERPRISES}' and "
            f"'{SHEET_RETURNS}' as a CSV file of its own (open the sheet, then Save As, CSV).",
            f"فایل «{name}» فقط راهنمای الگو را دارد: فایل CSV یک برگه را نگه می‌دارد و "
            "لیبره‌آفیس و اکسل برگهٔ پیش روی شما را ذخیره می‌کنند. خود کارپوشهٔ .xlsx را بفرستید، "
            f"یا هر یک از برگه‌های «{SHEET_ENTERPRISES}» و «{SHEET_RETURNS}» را جداگانه CSV "
            "ذخیره کنید (برگه را باز کنید، سپس «ذخیره با نام»، CSV).",
            field="file",
            value=name,
        )
    _collect(workbook, sheet, sheet_name, grid)
    return workbook


def _too_big(name: str, size: int, limit: int) -> RasadInputError:
    return RasadInputError(
        f"The file {name!r} is {size / 2**20:.1f} MB; files up to {limit / 2**20:.0f} MB "
        "are accepted. Split it into smaller files.",
        f"حجم فایل «{name}» {size / 2**20:.1f} مگابایت است؛ حداکثر {limit / 2**20:.0f} "
        "مگابایت پذیرفته می‌شود. آن را به چند فایل کوچک‌تر تقسیم کنید.",
        field="file",
        value=name,
    )


# --- CSV ----------------------------------------------------------------------------

# Characters that never occur in a text file a person saved from a spreadsheet.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode_text(data: bytes, name: str = "") -> tuple[str, str]:
    """The text of a CSV and the encoding it was in.

    A byte-order mark decides (UTF-8 or UTF-16, the latter from Excel's "Unicode
    text"). Otherwise strict UTF-8 is tried first: Windows-1256 Persian is almost
    never valid UTF-8, since its letters are bytes 0xC1–0xFE followed by more such
    bytes rather than by continuation bytes 0x80–0xBF. If UTF-8 fails the file is
    read as Windows-1256, the code page Iranian Windows and Excel still write.
    Binary content decodes in Windows-1256 too, so the result must also look like
    text: no control characters beyond tab and line ends.
    """
    candidates: tuple[str, ...]
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ("utf-8-sig",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8", "cp1256")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = text[:100_000]
        if len(_CONTROL.findall(sample)) > max(2, len(sample) // 1000):
            break
        return text, encoding
    raise unreadable(
        name,
        "its content is binary, not text or an Excel workbook",
        "محتوای آن دودویی است، نه متن یا کارپوشه اکسل",
    )


# Where a character set without ی (U+06CC) and the Persian digits, such as Windows-1256,
# was asked to hold them, LibreOffice and others wrote "?": before a letter (a ? ends a
# question, never begins a word), beside a digit, or in a run.
_LOST = re.compile(r"\?(?=[\u0600-\u06ff])|[0-9]\?|\?[0-9]|\?\?")


def _refuse_lost_characters(grid, name: str) -> None:
    """One message for a Windows-1256 CSV whose Persian letters and digits were saved as
    "?", rather than a complaint about every ID, name and figure they spoil."""
    lost = [cell for row in grid for cell in row if isinstance(cell, str) and _LOST.search(cell)]
    if not lost:
        return
    count, example = len(lost), lost[0]
    raise RasadInputError(
        f"The file {name!r} was saved in the Windows-1256 (Arabic) character set, which "
        f"has no Persian ی and no Persian digits: they were written as '?' ({count:,} cells, "
        f"such as {example!r}), so those names and figures are lost. Save the file again as "
        "CSV with the character set 'Unicode (UTF-8)' (in LibreOffice tick 'Edit filter "
        "settings' in Save As; in Excel choose 'CSV UTF-8'), or as .xlsx.",
        f"فایل «{name}» با نویسه‌گان Windows-1256 (عربی) ذخیره شده است که «ی» فارسی و رقم‌های "
        f"فارسی ندارد: به‌جای آن‌ها «?» نوشته شده است ({format_number(count)} خانه، مانند "
        f"«{example}») و این نام‌ها و ارقام از دست رفته‌اند. فایل را دوباره به‌صورت CSV با "
        "نویسه‌گان «Unicode (UTF-8)» ذخیره کنید (در لیبره‌آفیس هنگام «ذخیره با نام» گزینهٔ "
        "«ویرایش تنظیمات فیلتر» را بزنید؛ در اکسل «CSV UTF-8» را برگزینید)، یا با پسوند .xlsx.",
        field="file",
        value=name,
    )


def _first_cell(grid) -> str:
    for row in grid:
        for cell in row:
            if isinstance(cell, str):
                return cell
    return ""


def _delimiter(line: str) -> str:
    """The delimiter of the header line: the most frequent of , ; and tab outside quotes."""
    outside = re.sub(r'"[^"]*"', "", line)
    counts = {d: outside.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _csv_grid(text: str) -> Grid:
    lines = text.splitlines()
    delimiter = None
    if lines and lines[0].lower().startswith("sep=") and len(lines[0]) == 5:
        # Excel's hint line; Excel consumes it and does not show it as a row.
        delimiter = lines[0][4]
        text = text.split("\n", 1)[1] if "\n" in text else ""
        lines = lines[1:]
    if delimiter is None:
        first = next((line for line in lines if line.strip()), "")
        delimiter = _delimiter(first)
    cells = _fast_csv_cells(text, delimiter)
    if cells is None:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return [[cell if cell.strip() else None for cell in record] for record in reader]
    for c in range(cells.shape[1]):
        cells[:, c] = [cell if cell.strip() else None for cell in cells[:, c]]
    return cells


def _fast_csv_cells(text: str, delimiter: str) -> np.ndarray | None:
    """The CSV's records as a rectangular array of strings, read by pandas' C parser.

    The :mod:`csv` module is the reference (Excel's dialect) but builds a list per
    record in Python, seconds for a national file. pandas reads the same records in
    C when told how wide the widest record may be; records shorter than that come
    back padded with empty strings, which read as blank cells, exactly like missing
    cells. Whenever pandas could read the text differently — a record wider than the
    bound (a quoted line break; pandas drops a last cell beyond it silently only when
    it is empty, which reads as missing anyway), a NUL, a leading byte-order mark it
    would drop, an unterminated quote — ``None`` sends the caller back to the
    :mod:`csv` module.
    """
    if not text or "\0" in text or text.startswith("\ufeff"):
        return None
    width = max(map(operator.methodcaller("count", delimiter), text.splitlines()), default=0) + 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # pandas warns when it would drop cells
            frame = pd.read_csv(
                io.StringIO(text), sep=delimiter, header=None, names=range(width), index_col=False,
                dtype=object, na_filter=False, skip_blank_lines=False, engine="c",
            )  # fmt: skip
    except (ValueError, pd.errors.ParserError, pd.errors.ParserWarning, UnicodeError):
        return None
    return frame.to_numpy(dtype=object)


# --- xlsx ---------------------------------------------------------------------------

_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+[0-9]+:[A-Z]+[0-9]+)\"")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _check_archive(archive: zipfile.ZipFile, name: str, limits: ReadLimits) -> None:
    total = 0
    for info in archive.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > limits.max_uncompressed_bytes or (
            info.file_size > 10 * 2**20 and ratio > limits.max_compression_ratio
        ):
            raise unreadable(
                name,
                "it would unpack to far more data than a spreadsheet holds (a zip bomb?)",
                "پس از بازشدن بسیار بزرگ‌تر از هر صفحه‌گسترده واقعی می‌شود (بمب زیپ؟)",
            )
    names = set(archive.namelist())
    if "mimetype" in names and b"opendocument" in archive.read("mimetype"):
        raise unreadable(
            name,
            "it is an OpenDocument (.ods) spreadsheet; save it as .xlsx",
            "صفحه‌گسترده OpenDocument (.ods) است؛ آن را با پسوند .xlsx ذخیره کنید",
        )
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise unreadable(
            name,
            "it is a zip archive but not an Excel workbook",
            "یک بایگانی زیپ است اما کارپوشه اکسل نیست",
        )


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → path of its XML part, from the workbook's relationships."""
    root_rels = ET.fromstring(archive.read("_rels/.rels"))
    workbook_path = next(
        (rel.get("Target") or "").lstrip("/")
        for rel in root_rels.iter(f"{_NS_PKG_REL}Relationship")
        if rel.get("Type", "").endswith("/officeDocument")
    )
    base = PurePosixPath(workbook_path).parent
    rels_path = str(base / "_rels" / (PurePosixPath(workbook_path).name + ".rels"))
    targets = {
        rel.get("Id"): rel.get("Target") or ""
        for rel in ET.fromstring(archive.read(rels_path)).iter(f"{_NS_PKG_REL}Relationship")
    }
    paths = {}
    for sheet in ET.fromstring(archive.read(workbook_path)).iter(f"{_NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"), "")
        path = target.lstrip("/") if target.startswith("/") else str(base / target)
        paths[sheet.get("name", "")] = path
    return paths


def _scan_sheet(archive: zipfile.ZipFile, path: str) -> tuple[list[str], bool]:
    """Merged ranges and whether any formula is present, streamed from the sheet XML.

    Read-only openpyxl (needed for speed on 100,000-row files) does not expose
    merged cells, so they are found here without loading the whole part into memory.
    """
    merges: set[str] = set()
    has_formula = False
    tail = b""
    with archive.open(path) as stream:
        while chunk := stream.read(1 << 20):
            window = tail + chunk
            merges.update(m.decode() for m in _MERGE.findall(window))
            has_formula = has_formula or _FORMULA.search(window) is not None
            tail = window[-512:]
    return sorted(merges), has_formula


def _read_xlsx(data: bytes, name: str, fields: FieldTable, limits: ReadLimits) -> Workbook:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise unreadable(
            name,
            "the Excel workbook is damaged or incomplete (truncated during upload or copy)",
            "کارپوشه اکسل آسیب‌دیده یا ناقص است (هنگام بارگذاری یا رونوشت بریده شده)",
        ) from None
    with archive:
        _check_archive(archive, name, limits)
        try:
            paths = _sheet_paths(archive)
            scans = {sheet: _scan_sheet(archive, path) for sheet, path in paths.items()}
            book = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
            formula_book = None
            if any(has_formula for _, has_formula in scans.values()):
                formula_book = openpyxl.load_workbook(
                    io.BytesIO(data), read_only=True, data_only=False, keep_links=False
                )
            workbook = Workbook(name, "xlsx", None, [], sheet_names=tuple(book.sheetnames))
            for worksheet in book.worksheets:
                if not hasattr(worksheet, "iter_rows") or _is_instructions(worksheet.title):
                    continue  # a chart sheet, or the template's instructions
                merges, has_formula = scans.get(worksheet.title, ([], False))
                grid = _xlsx_grid(worksheet)
                _fill_merges(grid, merges)
                missing = set()
                if has_formula and formula_book is not None:
                    missing = _formulas_without_values(formula_book[worksheet.title], grid)
                if worksheet.sheet_state != "visible":
                    continue
                sheet = sheet_from_grid(
                    worksheet.title, grid, fields=fields, limits=limits, uncached=missing
                )
                _collect(workbook, sheet, worksheet.title, grid)
            book.close()
            if formula_book is not None:
                formula_book.close()
        except RasadInputError:
            raise
        except (KeyError, ValueError, TypeError, IndexError, EOFError, zipfile.BadZipFile,
                ET.ParseError, OSError) as exc:  # fmt: skip
            raise unreadable(
                name,
                f"the Excel workbook is damaged or incomplete ({type(exc).__name__})",
                "کارپوشه اکسل آسیب‌دیده یا ناقص است",
            ) from exc
    return workbook


def _xlsx_grid(worksheet) -> list[list]:
    worksheet.reset_dimensions()  # the stored dimension is often wrong; read every row
    return [list(row) for row in worksheet.iter_rows(min_row=1, min_col=1, values_only=True)]


def _fill_merges(grid: list[list], merges: Sequence[str]) -> None:
    """Give every cell of a merged range the value shown in it (its top-left cell's).

    Excel shows a merged heading across all its columns; a vertically merged
    province name belongs to every row it spans. Only empty cells are filled.
    """
    for ref in merges:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        while len(grid) < max_row:
            grid.append([])
        first = grid[min_row - 1]
        value = first[min_col - 1] if min_col - 1 < len(first) else None
        if value is None:
            continue
        for r in range(min_row - 1, max_row):
            row = grid[r]
            if len(row) < max_col:
                row.extend([None] * (max_col - len(row)))
            for c in range(min_col - 1, max_col):
                if row[c] is None:
                    row[c] = value


def _is_formula(value) -> bool:
    if isinstance(value, str):
        return value.startswith("=")
    return type(value).__name__ in ("ArrayFormula", "DataTableFormula")


def _formulas_without_values(worksheet, grid: list[list]) -> set[tuple[int, int]]:
    """Cells (0-based row, column) holding a formula whose stored value is missing.

    A workbook written by a program rather than saved by Excel may carry formulas
    with no stored result; evaluating them ourselves is refused (unsafe and not
    Excel's arithmetic), so those cells are reported instead of read as empty.
    """
    worksheet.reset_dimensions()
    missing = set()
    for r, row in enumerate(worksheet.iter_rows(min_row=1, min_col=1, values_only=True)):
        for c, value in enumerate(row):
            if _is_formula(value):
                cached = grid[r][c] if r < len(grid) and c < len(grid[r]) else None
                if cached is None:
                    missing.add((r, c))
    return missing


# --- from a grid of cells to a sheet --------------------------------------------------

_BLANK_EDGES = " \t\r\n\u00a0\u200c\u200e\u200f\ufeff"
_TOTAL_WORDS = {header_key(w) for w in ("جمع", "جمع کل", "مجموع", "total", "grand total", "sum")}
_INSTRUCTION_SHEETS = ("راهنما", "instruction", "readme", "help", "توضیحات")


def is_blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip(_BLANK_EDGES)
    if isinstance(value, float):
        return value != value  # NaN
    return False


def _as_header_text(value) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())


def _row_fields(row: list, fields: FieldTable) -> dict[int, str]:
    return {
        c: found
        for c, value in enumerate(row)
        if isinstance(value, str) and (found := fields.match(value)) is not None
    }


def _is_unit_only(value) -> bool:
    return (
        isinstance(value, str)
        and find_unit_in(value) is not None
        and not any(ch.isalnum() for ch in _strip_brackets(strip_units(value)))
    )


def _strip_brackets(text: str) -> str:
    return re.sub(r"[()\[\]]", "", text)


def _find_header(grid: Grid, fields: FieldTable, limits: ReadLimits) -> list[int]:
    """The 0-based rows of the header: the first row naming two or more distinct
    fields, plus the rows right below it that name fields too (a second language)
    or hold only units."""
    for r in range(min(len(grid), limits.header_rows)):
        if len(set(_row_fields(grid[r], fields).values())) >= 2:
            rows = [r]
            for below in range(r + 1, min(len(grid), r + 4)):
                row = grid[below]
                filled = [v for v in row if not is_blank(v)]
                if not filled:
                    break
                named = _row_fields(row, fields)
                if len(set(named.values())) >= 2 or all(
                    isinstance(v, str) and (fields.match(v) or _is_unit_only(v)) for v in filled
                ):
                    rows.append(below)
                else:
                    break
            return rows
    return []


def sheet_from_grid(
    name: str,
    grid: Grid,
    *,
    fields: FieldTable | None = None,
    limits: ReadLimits | None = None,
    uncached: set[tuple[int, int]] | frozenset = frozenset(),
) -> Sheet | None:
    """Find the header of a grid of cell values and collect its data rows by field.

    ``grid`` is a list of rows, or (from the CSV reader) a 2-D object array; ``grid[0]``
    is Excel row 1. Returns ``None`` when no header is found.
    """
    fields = fields or default_fields()
    limits = limits or ReadLimits()
    header_rows = _find_header(grid, fields, limits)
    if not header_rows:
        return None
    width = (
        grid.shape[1] if isinstance(grid, np.ndarray) else max((len(r) for r in grid), default=0)
    )
    header_row = header_rows[0] + 1  # the Excel row a problem of a whole column points at
    first_body_row = header_rows[-1] + 2  # the Excel row of the first row below the header
    columns, unnamed, problems = _header_columns(name, grid, header_rows, width, fields)
    body = _body_below(grid, width, header_rows[-1])
    # A row with nothing in the columns read is no data row, whatever else it holds.
    empty = np.all(body.none[:, [column.index for column in columns.values()]], axis=1)
    total = _total_rows(body, empty)
    problems += [_total_row(name, r + first_body_row) for r in np.flatnonzero(total).tolist()]
    data = np.flatnonzero(~empty & ~total)
    values = {code: _column_values(body, data, column.index) for code, column in columns.items()}
    problems += [
        _unnamed_column(name, header_row, c) for c in unnamed if body.filled[~total, c].any()
    ]
    problems += _uncached_formulas(name, uncached, header_rows[-1], columns)
    return Sheet(
        name=name,
        header_rows=tuple(r + 1 for r in header_rows),
        columns=columns,
        rows=(data + first_body_row).astype(np.int64),
        values=values,
        problems=problems,
    )


def _header_columns(
    name: str, grid: Grid, header_rows: list[int], width: int, fields: FieldTable
) -> tuple[dict[str, Column], list[int], list[Problem]]:
    """The columns read, by field; the columns without any header (reported later, and
    only if they hold values); and the problems of the header, in column order."""
    header_row = header_rows[0] + 1
    columns: dict[str, Column] = {}
    unnamed: list[int] = []
    problems: list[Problem] = []
    for c in range(width):
        found, written, unit = _column_header(grid, c, header_rows, fields)
        letter = get_column_letter(c + 1)
        if found is None:
            if written and not _is_unit_only(written):
                problems.append(_unknown_column(name, header_row, letter, written))
            elif not written:
                unnamed.append(c)
        elif found in columns:
            problems.append(
                _duplicate_column(name, header_row, columns[found], letter, written, fields[found])
            )
        else:
            columns[found] = Column(c, letter, written, found, unit)
    return columns, unnamed, problems


def _column_header(
    grid: Grid, c: int, header_rows: list[int], fields: FieldTable
) -> tuple[str | None, str, MoneyUnit | None]:
    """The field column ``c``'s header names (``None`` if none), the header as written
    and the money unit declared for the column.

    The first header row naming a field decides, so a Persian header wins over the
    English one below it; a column naming no field keeps its first text, for the
    complaint. The unit may be written in the header or in any row above it (a merged
    heading such as "figures in million rials"), the lowest one counting.
    """
    last_header = header_rows[-1]
    cells = [grid[r][c] if c < len(grid[r]) else None for r in range(last_header + 1)]
    found, written = None, ""
    for r in header_rows:
        value = cells[r]
        if not is_blank(value):
            written = written or _as_header_text(value)
            match = fields.match(value) if isinstance(value, str) else None
            if match is not None:
                found, written = match, _as_header_text(value)
                break
    unit = next(
        (u for r in range(last_header, -1, -1) if (u := find_unit_in(cells[r])) is not None),
        None,
    )
    return found, written, unit


@dataclass(frozen=True)
class _Body:
    """The cells below the header, with what each holds, classified once for all the
    checks that follow. A cell is in ``none`` (empty or blank text: spaces, ZWNJ,
    direction marks, read as None), in ``filled`` (``not is_blank``), or, a NaN, in neither.
    """

    cells: np.ndarray  # 2-D object array; row 0 is the row right below the header
    none: np.ndarray
    filled: np.ndarray


def _body_below(grid: Grid, width: int, last_header: int) -> _Body:
    # Column by column rather than row by row: a national file has 100,000 rows.
    cells = _cell_matrix(grid, width)[last_header + 1 :]
    state = np.empty(cells.shape, dtype=np.int8)  # 0 a value, 1 None or blank text, 2 NaN
    for c in range(width):
        state[:, c] = [
            1
            if v is None or (v.__class__ is str and not v.strip(_BLANK_EDGES))
            else 2
            if v != v
            else 0
            for v in cells[:, c]
        ]
    return _Body(cells, none=state == 1, filled=state == 0)


def _total_rows(body: _Body, empty: np.ndarray) -> np.ndarray:
    """Which rows of the body are a "total" row: only the first filled cell of the rows
    with a value in a column read is looked at."""
    first = body.filled.argmax(axis=1)
    candidates = np.flatnonzero(~empty & body.filled.any(axis=1))
    total = np.zeros(len(body.cells), dtype=bool)
    total[candidates] = [_is_total_value(v) for v in body.cells[candidates, first[candidates]]]
    return total


def _column_values(body: _Body, data: np.ndarray, index: int) -> list:
    """The values of the data rows in one column, blank text turned into None."""
    cells = body.cells[data, index]
    cells[body.none[data, index]] = None
    return cells.tolist()


def _uncached_formulas(
    name: str,
    uncached: set[tuple[int, int]] | frozenset,
    last_header: int,
    columns: dict[str, Column],
) -> list[Problem]:
    """A problem for each formula without a stored result in a data row of a column read,
    in row order: elsewhere nothing reads the missing value."""
    read = {column.index: column for column in columns.values()}
    return [
        _formula_without_value(name, r + 1, read[c])
        for r, c in sorted(uncached)
        if r > last_header and c in read
    ]


# The problems met on the way from a grid to a sheet; ``row`` is the Excel row shown.


def _unknown_column(name: str, row: int, letter: str, written: str) -> Problem:
    return Problem(
        name, row, written, None, WARNING,
        f"The column {letter} ({written!r}) is not one Rasad knows; its values "
        "were not read. Use a header of the template.",
        f"ستون {letter} («{written}») شناخته نیست و مقادیرش خوانده نشد. "
        "از سرستون‌های الگو استفاده کنید.",
        "unknown_column", None, letter,
    )  # fmt: skip


def _duplicate_column(
    name: str, row: int, first: Column, letter: str, written: str, spec: FieldSpec
) -> Problem:
    return Problem(
        name, row, written, None, ERROR,
        f"The columns {first.letter} and {letter} both hold {spec.name_en!r}; "
        "keep one of them.",
        f"ستون‌های {first.letter} و {letter} هر دو «{spec.name_fa}» هستند؛ "
        "یکی را نگه دارید.",
        "duplicate_column", first.field, letter,
    )  # fmt: skip


def _total_row(name: str, row: int) -> Problem:
    return Problem(
        name, row, None, None, WARNING,
        f"Row {row} looks like a total row and was skipped.",
        f"ردیف {row} ردیف جمع به نظر می‌رسد و کنار گذاشته شد.",
        "total_row",
    )  # fmt: skip


def _unnamed_column(name: str, row: int, c: int) -> Problem:
    letter = get_column_letter(c + 1)
    return Problem(
        name, row, None, None, WARNING,
        f"The column {letter} has values but no header; it was not read.",
        f"ستون {letter} مقدار دارد اما سرستون ندارد؛ خوانده نشد.",
        "unnamed_column", None, letter,
    )  # fmt: skip


def _formula_without_value(name: str, row: int, holder: Column) -> Problem:
    return Problem(
        name, row, holder.header, None, ERROR,
        f"The cell {holder.letter}{row} holds a formula but no stored result; Rasad "
        "never computes formulas. Open the file in Excel and save it, or type the value.",
        f"خانه {holder.letter}{row} فرمول دارد اما نتیجه ذخیره‌شده ندارد؛ رصد فرمول‌ها را "
        "محاسبه نمی‌کند. فایل را در اکسل باز و ذخیره کنید یا مقدار را تایپ کنید.",
        "formula_without_value", holder.field, holder.letter,
    )  # fmt: skip


def _is_total_value(value) -> bool:
    """Whether a row's first filled cell says "total" (جمع کل): a sum, not an enterprise."""
    return (
        isinstance(value, str)
        and len(value) < 40
        and not value.lstrip(_BLANK_EDGES)[:1].isdigit()  # an ID: the usual case
        and header_key(value) in _TOTAL_WORDS
    )


def _cell_matrix(grid: Grid, width: int) -> np.ndarray:
    """The grid as a rectangular object array, short rows padded with None."""
    if isinstance(grid, np.ndarray):
        return grid
    matrix = np.full((len(grid), width), None, dtype=object)
    for r, row in enumerate(grid):
        matrix[r, : len(row)] = row
    return matrix


def _is_instructions(name: str) -> bool:
    cleaned = normalize_text(name).casefold()
    return any(word in cleaned for word in _INSTRUCTION_SHEETS)


def _collect(workbook: Workbook, sheet: Sheet | None, name: str, grid: Grid) -> None:
    if sheet is not None:
        workbook.sheets.append(sheet)
        return
    if not any(not is_blank(v) for row in grid for v in row):
        return
    if name.startswith("_") or _is_instructions(name):
        return
    workbook.problems.append(
        Problem(
            name, None, None, None, WARNING,
            f"The sheet {name!r} has no recognised column headers (such as 'National ID'); "
            "it was not read.",
            f"برگه «{name}» سرستون شناخته‌شده‌ای (مانند «شناسه ملی») ندارد و خوانده نشد.",
            "no_header",
        )
    )  # fmt: skip
