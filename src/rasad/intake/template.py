"""The template enterprises and estate managers fill in: Excel or CSV.

A template that states the unit of every column, offers drop-down lists for
provinces, estates, ISIC classes and periods, and explains itself in Persian and
English prevents most of the mistakes the validator would otherwise have to report.
Its headers are exactly the names the reader recognises, so a filled template always
reads back without a header problem.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

import jdatetime
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from rasad.errors import RasadInputError
from rasad.export import csv_row, excel_book
from rasad.iran.geo import isic, provinces
from rasad.iran.periods import Period
from rasad.methodologies import IndicatorSpec
from rasad.workbook import row_height

from .fields import NATIONAL_ID, REGISTRY_FIELDS, FieldSpec, FieldTable
from .reference import Estates

FORMATS = ("xlsx", "csv")
SHEET_INSTRUCTIONS = "راهنما Instructions"
SHEET_ENTERPRISES = "بنگاه‌ها Enterprises"
SHEET_RETURNS = "اظهارنامه‌ها Returns"
SHEET_LISTS = "_lists"
YES_NO = ("بله", "خیر")

INSTRUCTIONS: tuple[tuple[str, str], ...] = (
    (
        "این کارپوشه مشخصات بنگاه‌ها و اظهارنامه‌های دوره‌ای آن‌ها را به رصد می‌فرستد.",
        "This workbook sends enterprises' details and their periodic returns to Rasad.",
    ),
    (
        f"برگه «{SHEET_ENTERPRISES}»: یک ردیف برای هر بنگاه (فقط بنگاه‌های تازه یا مشخصات "
        "تغییرکرده).",
        f"Sheet '{SHEET_ENTERPRISES}': one row per enterprise (only new ones or changed details).",
    ),
    (
        f"برگه «{SHEET_RETURNS}»: یک ردیف برای هر بنگاه در هر دوره (سال مالی یا فصل).",
        f"Sheet '{SHEET_RETURNS}': one row per enterprise and period (fiscal year or quarter).",
    ),
    (
        "شناسه ملی ۱۱ رقمی شخص حقوقی را کامل بنویسید؛ رقم آخر رقم کنترل است و بررسی می‌شود.",
        "Write the full 11-digit national ID of the legal entity; its last digit is a check "
        "digit and is verified.",
    ),
    (
        "ارقام ریالی به میلیون ریال است. برای واحد دیگر آن را در سرستون بنویسید، مانند «فروش "
        "(ریال)»، یا ستونی با عنوان «واحد» بیفزایید (ریال، هزار ریال، میلیون ریال، تومان، …).",
        "Money is in million rials. To use another unit, state it in the header, e.g. 'Sales "
        "(rials)', or add a column 'Unit' (rials, thousand rials, million rials, tomans, …).",
    ),
    (
        "رقم فارسی یا لاتین هر دو پذیرفته است؛ جداکننده هزارگان ٬ یا , و ممیز ٫ یا . است.",
        "Persian or Latin digits are both accepted; thousands separators ٬ or , and decimal "
        "point ٫ or .",
    ),
    (
        "دوره را به تقویم شمسی بنویسید: سال مالی مانند ۱۴۰۳ یا فصل مانند ۱۴۰۳-ف۲ (1403-Q2).",
        "Write periods in the Jalali calendar: a fiscal year such as 1403 or a quarter such as "
        "1403-Q2.",
    ),
    (
        "استان، شهرک صنعتی، کد ISIC و دوره را از فهرست کشویی انتخاب کنید. ستون شاخص‌هایی را که "
        "ندارید خالی بگذارید؛ سرستون‌ها را تغییر ندهید.",
        "Choose province, industrial estate, ISIC class and period from the drop-down lists. "
        "Leave the columns of figures you do not have empty; do not change the headers.",
    ),
    (
        "فایل را با پسوند .xlsx یا به‌صورت CSV UTF-8 ذخیره کنید. پیش از ثبت، گزارشی از همه "
        "ایرادها با شماره برگه، ردیف و ستون می‌بینید و تا خطایی باشد چیزی ثبت نمی‌شود.",
        "Save the file as .xlsx or CSV UTF-8. Before anything is stored you get a report of "
        "every problem with its sheet, row and column, and nothing is stored while an error "
        "remains.",
    ),
)


def _periods(periods: Iterable) -> list[Period]:
    chosen = []
    for value in periods:
        period = Period.parse(value)
        if period.month is not None:
            raise RasadInputError(
                f"{value!r} is a month; template periods are years or quarters.",
                f"«{value}» یک ماه است؛ دوره‌های الگو سال یا فصل‌اند.",
                field="periods",
                value=value,
            )
        chosen.append(period)
    if not chosen:
        this_year = jdatetime.date.today().year
        chosen = [Period(y) for y in range(this_year - 4, this_year + 1)]
    return sorted(set(chosen), key=lambda p: (p.year, p.quarter or 0))


def _columns(fields: FieldTable) -> tuple[list[FieldSpec], list[FieldSpec]]:
    registry = list(REGISTRY_FIELDS)
    returns = [NATIONAL_ID, fields["period"], *fields.indicators]
    return registry, returns


def write_template(
    path: str | Path,
    *,
    estates=(),
    periods: Iterable = (),
    format: str = "xlsx",
    catalogue: Sequence[IndicatorSpec] | None = None,
    rows: int = 1000,
) -> Path:
    """Write the intake template to ``path`` and return the path.

    ``estates``: the estates offered in the drop-down (anything
    :meth:`Estates.from_data` takes; none → no estate list); ``periods``: the periods
    offered (Jalali years or quarters; none → the last five Jalali years);
    ``format``: ``"xlsx"`` (three sheets with drop-downs) or ``"csv"`` (one UTF-8
    file, one header row "Persian (unit) / English (unit)", registry and return
    columns side by side: repeat the enterprise's details on each of its rows or leave
    them empty for registered enterprises); ``rows``: how many rows get drop-downs.
    """
    if format not in FORMATS:
        raise RasadInputError(
            f"format must be one of {FORMATS}, not {format!r}.",
            f"قالب باید یکی از {FORMATS} باشد، نه «{format}».",
            field="format",
            value=format,
        )
    if isinstance(rows, bool) or not isinstance(rows, int) or not 1 <= rows <= 1_048_574:
        raise RasadInputError(
            f"rows must be a whole number between 1 and 1048574, not {rows!r}.",
            f"rows باید عددی صحیح میان ۱ و ۱۰۴۸۵۷۴ باشد، نه «{rows}».",
            field="rows",
            value=rows,
        )
    fields = FieldTable.from_catalogue(catalogue)
    estate_table = Estates.from_data(estates if estates is not None else ())
    chosen_periods = _periods(periods)
    path = Path(path)
    if format == "csv":
        return _write_csv(path, fields)
    return _write_xlsx(path, fields, estate_table, chosen_periods, rows)


def _write_csv(path: Path, fields: FieldTable) -> Path:
    registry, returns = _columns(fields)
    columns = registry + [f for f in returns if f is not NATIONAL_ID]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerow(
            csv_row(f"{f.header('fa')} / {f.header('en')}" for f in columns)
        )
    return path


_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")


def _list_column(sheet, column: int, title: str, values: Sequence[str]) -> str | None:
    sheet.cell(row=1, column=column, value=title)
    for r, value in enumerate(values, start=2):
        sheet.cell(row=r, column=column, value=value)
    if not values:
        return None
    letter = get_column_letter(column)
    return f"'{SHEET_LISTS}'!${letter}$2:${letter}${len(values) + 1}"


def _validation(kind: str, formula1: str, formula2: str | None = None, operator=None, **text):
    dv = DataValidation(
        type=kind,
        formula1=formula1,
        formula2=formula2,
        operator=operator,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",  # Persian digits typed as text and English names stay possible
        **text,
    )
    return dv


def _data_sheet(book, title: str, columns: list[FieldSpec], rows: int, validations: dict):
    sheet = book.create_sheet(title)
    sheet.sheet_view.rightToLeft = True
    for c, field in enumerate(columns, start=1):
        for r, language in ((1, "fa"), (2, "en")):
            cell = sheet.cell(row=r, column=c, value=field.header(language))
            cell.font = Font(bold=True)
            cell.fill = _REQUIRED_FILL if field.required else _HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        if field.description_fa or field.description_en:
            note = f"{field.description_fa}\n\n{field.description_en}"
            sheet.cell(row=1, column=c).comment = Comment(note, "Rasad", width=320, height=160)
        letter = get_column_letter(c)
        sheet.column_dimensions[letter].width = 24 if field.kind != "text" else 30
        number_format = {
            "national_id": "@", "period": "@", "money": "#,##0.##", "percent": "0.0",
            "isic": "@",
        }.get(field.kind)  # fmt: skip
        if number_format:
            # A column style, not 1000 styled cells: rows appended later still start at row 3.
            sheet.column_dimensions[letter].number_format = number_format
        validation = validations.get(field.code)
        if validation is None and field.indicator is not None:
            validation = _indicator_validation(field.indicator)
        if validation is not None:
            sheet.add_data_validation(validation)
            validation.add(f"{letter}3:{letter}{rows + 2}")
    sheet.row_dimensions[1].height = 36
    sheet.row_dimensions[2].height = 30
    sheet.freeze_panes = "B3"
    # The filter's buttons sit on the second header row, so that the two rows of headings
    # (Persian over English, which the importer reads back) stay out of the data filtered.
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{rows + 2}"
    return sheet


def _indicator_validation(spec: IndicatorSpec):
    if spec.kind == "boolean":
        return None  # filled by the yes/no list
    low, high = spec.min_value, spec.max_value
    kind = "whole" if spec.unit == "count" else "decimal"
    text = dict(
        errorTitle="مقدار / Value",
        error=f"{spec.name_fa}: عدد معتبر بنویسید. / {spec.name_en}: write a valid number.",
    )
    if low is not None and high is not None:
        return _validation(kind, str(low), str(high), "between", **text)
    if low is not None:
        return _validation(kind, str(low), None, "greaterThanOrEqual", **text)
    return None


def _write_xlsx(
    path: Path, fields: FieldTable, estates: Estates, periods: list[Period], rows: int
) -> Path:
    book = Workbook()
    registry, returns = _columns(fields)
    _write_guide(book.active, registry, returns)
    lists = book.create_sheet(SHEET_LISTS)
    refs = _write_lists(lists, estates, periods)
    registry_validations, return_validations = _choices(refs, fields)
    _data_sheet(book, SHEET_ENTERPRISES, registry, rows, registry_validations)
    _data_sheet(book, SHEET_RETURNS, returns, rows, return_validations)
    book.move_sheet(lists, offset=len(book.sheetnames) - 1 - book.index(lists))
    excel_book(book)  # an estate named "=…" is listed as text
    book.save(path)
    return path


def _write_guide(guide, registry: list[FieldSpec], returns: list[FieldSpec]) -> None:
    """The instructions sheet: the instructions, then every column of the two data sheets
    with its unit, whether it is required and its description."""
    guide.title = SHEET_INSTRUCTIONS
    guide.sheet_view.rightToLeft = True
    guide.append(["راهنمای تکمیل", "How to fill in"])
    for cell in guide[1]:
        cell.font = Font(bold=True, size=13)
    for fa, en in INSTRUCTIONS:
        guide.append([fa, en])
    guide.append([])
    heading = [
        "برگه / Sheet",
        "ستون",
        "Column",
        "واحد / Unit",
        "لازم / Required",
        "توضیح",
        "Description",
    ]
    guide.append(heading)
    for cell in guide[guide.max_row]:
        cell.font = Font(bold=True)
    for sheet_title, columns in ((SHEET_ENTERPRISES, registry), (SHEET_RETURNS, returns)):
        for field in columns:
            unit = f"{field.unit_fa} / {field.unit_en}" if field.unit_fa else ""
            guide.append(
                [
                    sheet_title, field.name_fa, field.name_en, unit,
                    "بله / yes" if field.required else "",
                    field.description_fa, field.description_en,
                ]
            )  # fmt: skip
    _lay_out_guide(guide)


def _lay_out_guide(guide) -> None:
    widths = (60, 60, 30, 22, 14, 70, 70)
    for column, width in zip("ABCDEFG", widths, strict=True):
        guide.column_dimensions[column].width = width
    for row in guide.iter_rows(min_row=2, max_col=len(widths)):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        # a wrapped row's height is set: LibreOffice draws the lines over each other otherwise
        guide.row_dimensions[row[0].row].height = row_height([c.value for c in row], widths)
    guide.page_setup.orientation = "landscape"
    guide.page_setup.fitToWidth, guide.page_setup.fitToHeight = 1, 0
    guide.sheet_properties.pageSetUpPr.fitToPage = True


def _write_lists(lists, estates: Estates, periods: list[Period]) -> dict[str, str | None]:
    """The hidden sheet the drop-downs read, one list per column; the reference to each
    list (None: an empty list, which gets no drop-down)."""
    refs = {
        "province": _list_column(lists, 1, "استان / Province", list(provinces()["name_fa"])),
        "estate": _list_column(lists, 2, "شهرک / Estate", estates.choices()),
        "isic_class": _list_column(lists, 3, "ISIC", _isic_classes()),
        "period": _list_column(lists, 4, "دوره / Period", [p.code for p in periods]),
        "yes_no": _list_column(lists, 5, "بله/خیر / Yes/No", list(YES_NO)),
    }
    lists.sheet_state = "hidden"
    lists.sheet_view.rightToLeft = True
    return refs


def _isic_classes() -> list[str]:
    classes = isic()
    classes = classes[classes["level"] == "class"]
    return [
        f"{code} — {title}"
        for code, title in zip(classes["code"], classes["title_en"], strict=True)
    ]


def _choice(ref: str | None, what_fa: str, what_en: str):
    if ref is None:
        return None
    return _validation(
        "list", ref, errorTitle=f"{what_fa} / {what_en}",
        error=f"از فهرست انتخاب کنید. / Choose from the list ({what_en}).",
    )  # fmt: skip


def _choices(refs: dict[str, str | None], fields: FieldTable) -> tuple[dict, dict]:
    """The validations of the enterprises' and the returns' columns that are not an
    indicator's own range: the drop-downs, and the founding year up to this year."""
    this_year = jdatetime.date.today().year
    registry_validations = {
        "province": _choice(refs["province"], "استان", "province"),
        "estate": _choice(refs["estate"], "شهرک", "estate"),
        "isic_class": _choice(refs["isic_class"], "کد ISIC", "ISIC class"),
        "founding_year": _validation(
            "whole", "1250", str(this_year), "between", errorTitle="سال / Year",
            error="سال شمسی بنویسید، مانند ۱۳۸۵. / Write a Jalali year, e.g. 1385.",
        ),
    }  # fmt: skip
    return_validations = {"period": _choice(refs["period"], "دوره", "period")}
    for field in fields.indicators:
        if field.kind == "boolean":
            return_validations[field.code] = _choice(refs["yes_no"], "بله/خیر", "yes/no")
    return registry_validations, return_validations
