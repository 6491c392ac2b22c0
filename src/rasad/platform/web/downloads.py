"""Downloads of the platform's tables (issue 17): one table, as XLSX or CSV, through
:mod:`rasad.workbook` and :mod:`rasad.export`.

- ``.xlsx``: the table, a dictionary sheet and an about sheet with the licence.
- ``.csv``: the table alone, the column codes as its one header row, UTF-8 with a BOM
  (Excel then reads the Persian). Its dictionary is a **companion download**,
  ``…-dictionary.csv``, linked beside it, rather than a zip of the two: a CSV that is the
  table and nothing else is what ``pandas.read_csv(url)``, R's ``read.csv`` and a
  spreadsheet open directly from the address, while a zip has to be saved and unpacked
  first; the dictionary CSV begins with the about lines, the licence among them.

Labels are translated here in both languages (:func:`rasad.platform.language.both`), so
that the dictionary gives the Persian and the English label whatever the reader's
language.
"""

from __future__ import annotations

import io

from django.http import Http404, HttpResponse

from rasad.export import write_csv
from rasad.platform.language import current
from rasad.workbook import About, Sheet, csv_frame, dictionary_frame, write_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("xlsx", "csv", "dictionary.csv")


def split_name(name: str, stem: str) -> str:
    """The format asked for by a download's file ``name`` (``stem.xlsx``, ``stem.csv`` or
    ``stem-dictionary.csv``); any other name is not found."""
    for fmt in FORMATS:
        if name == f"{stem}.{fmt}" or (fmt == "dictionary.csv" and name == f"{stem}-{fmt}"):
            return fmt
    raise Http404


def response(fmt: str, filename: str, sheet: Sheet, about: About) -> HttpResponse:
    """``sheet`` as ``fmt`` (:data:`FORMATS`), an attachment named ``filename`` plus the
    format's extension."""
    reader = current()
    buffer = io.BytesIO()
    if fmt == "xlsx":
        write_workbook(buffer, [sheet], language=reader, about=about)
        content_type, name = XLSX, f"{filename}.xlsx"
    else:
        if fmt == "csv":
            frame, name = csv_frame(sheet, reader), f"{filename}.csv"
        else:
            frame, name = dictionary_frame([sheet], about, reader), f"{filename}-dictionary.csv"
        text = io.StringIO()
        write_csv(frame, text, index=False)
        buffer.write(text.getvalue().encode("utf-8-sig"))
        content_type = "text/csv; charset=utf-8"
    out = HttpResponse(buffer.getvalue(), content_type=content_type)
    out["Content-Disposition"] = f'attachment; filename="{name}"'
    return out
