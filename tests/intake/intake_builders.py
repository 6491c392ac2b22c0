"""Build the nasty files the intake tests read: every file is made by the test itself."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from openpyxl import Workbook

from rasad.iran.ids import make_legal_id

ID_A = make_legal_id("1038028479")  # 10380284790, a real-looking valid ID
ID_B = make_legal_id("1010123456")
ID_C = make_legal_id("1020304050")

ESTATES = [
    ("E050", "شهرک صنعتی عباس‌آباد", "تهران"),
    ("E001", "شهرک صنعتی مأمونیه", "مرکزی"),
    ("E072", "شهرک صنعتی اردکان", "یزد"),
]
TEHRAN, MARKAZI, YAZD = 23, 0, 21


def wrong_check_digit(national_id: str) -> str:
    return national_id[:10] + str((int(national_id[10]) + 1) % 10)


def write_xlsx(
    path: Path,
    sheets: dict[str, list[list]],
    *,
    merges: dict[str, list[str]] | None = None,
    hidden: tuple[str, ...] = (),
) -> Path:
    """A workbook with one sheet per entry; rows are written from row 1, ``None`` = empty."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(row=r, column=c, value=value)
        for ref in (merges or {}).get(name, []):
            sheet.merge_cells(ref)
        if name in hidden:
            sheet.sheet_state = "hidden"
    book.save(path)
    return path


def set_cached_values(path: Path, replacements: dict[bytes, bytes]) -> Path:
    """Give formulas the stored results Excel would have saved (openpyxl writes none)."""
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                for old, new in replacements.items():
                    data = data.replace(old, new)
            target.writestr(info, data)
    path.write_bytes(out.getvalue())
    return path


def write_csv(path: Path, rows: list[list], *, encoding="utf-8", bom=False, delimiter=",") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    data = buffer.getvalue().encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


RETURN_HEADER = [
    "شناسه ملی",
    "دوره",
    "تعداد شاغلان",
    "فروش (میلیون ریال)",
    "ارزش صادرات (میلیون ریال)",
]
REGISTRY_HEADER = ["شناسه ملی", "نام بنگاه", "کد فعالیت", "استان", "شهرک صنعتی", "سال تأسیس"]
