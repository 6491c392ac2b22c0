"""The template: sheets, headers with units, drop-down lists, and a filled copy that reads back."""

import csv
import re

import openpyxl
import pytest
from intake_builders import ESTATES, ID_A, ID_B, TEHRAN

from rasad.errors import RasadInputError
from rasad.intake import default_fields, dry_run, write_template
from rasad.intake.template import SHEET_ENTERPRISES, SHEET_INSTRUCTIONS, SHEET_LISTS, SHEET_RETURNS
from rasad.iran.geo import isic


@pytest.fixture
def template(tmp_path):
    return write_template(
        tmp_path / "returns.xlsx", estates=ESTATES, periods=["1402", "۱۴۰۳", "1403-Q1"]
    )


def _validations(sheet):
    return {
        str(dv.sqref): (dv.type, dv.formula1, dv.formula2)
        for dv in sheet.data_validations.dataValidation
    }


def test_sheets_directions_and_hidden_lists(template):
    book = openpyxl.load_workbook(template)
    assert book.sheetnames == [SHEET_INSTRUCTIONS, SHEET_ENTERPRISES, SHEET_RETURNS, SHEET_LISTS]
    assert [book[n].sheet_state for n in book.sheetnames] == [
        "visible",
        "visible",
        "visible",
        "hidden",
    ]
    assert all(book[n].sheet_view.rightToLeft for n in book.sheetnames)
    # the filter sits on the English header row, under the Persian one: both stay headings
    for name in (SHEET_ENTERPRISES, SHEET_RETURNS):
        sheet = book[name]
        last = openpyxl.utils.get_column_letter(sheet.max_column)
        assert re.fullmatch(rf"A2:{last}\d+", sheet.auto_filter.ref)
    lists = book[SHEET_LISTS]
    provinces = [c.value for c in lists["A"][1:] if c.value]
    assert len(provinces) == 31 and "تهران" in provinces
    estates = [c.value for c in lists["B"][1:] if c.value]
    assert estates == [
        "E050 — شهرک صنعتی عباس‌آباد",
        "E001 — شهرک صنعتی مأمونیه",
        "E072 — شهرک صنعتی اردکان",
    ]
    classes = [c.value for c in lists["C"][1:] if c.value]
    assert len(classes) == (isic()["level"] == "class").sum() == 419
    assert "1311 — Preparation and spinning of textile fibres" in classes
    assert [c.value for c in lists["D"][1:] if c.value] == ["1402", "1403", "1403-Q1"]


def test_headers_in_both_languages_with_units(template):
    book = openpyxl.load_workbook(template)
    returns = book[SHEET_RETURNS]
    fa = [c.value for c in returns[1]]
    en = [c.value for c in returns[2]]
    fields = default_fields()
    assert fa[:4] == [
        "شناسه ملی",
        "دوره (سال یا فصل شمسی)",
        "تعداد شاغلان (نفر)",
        "فروش (میلیون ریال)",
    ]
    assert en[:4] == [
        "National ID",
        "Period (Jalali year or quarter)",
        "Employees (persons)",
        "Sales (million rials)",
    ]
    assert len(fa) == 2 + len(fields.indicators)
    assert (
        [fields.match(h) for h in fa]
        == [fields.match(h) for h in en]
        == ["national_id", "period", *fields.indicator_codes]
    )
    registry = book[SHEET_ENTERPRISES]
    assert [c.value for c in registry[2]] == [
        "National ID", "Name (Persian)", "Name (English)", "ISIC class (4 digits)", "Province",
        "Industrial estate", "Founding year (Jalali)",
    ]  # fmt: skip
    assert registry["A1"].comment is not None and "11" in registry["A1"].comment.text


def test_drop_down_lists_point_at_the_hidden_sheet(template):
    book = openpyxl.load_workbook(template)
    registry = _validations(book[SHEET_ENTERPRISES])
    assert registry["E3:E1002"] == ("list", "'_lists'!$A$2:$A$32", None)  # provinces
    assert registry["F3:F1002"] == ("list", "'_lists'!$B$2:$B$4", None)  # estates
    assert registry["D3:D1002"] == ("list", "'_lists'!$C$2:$C$420", None)  # ISIC classes
    returns = _validations(book[SHEET_RETURNS])
    assert returns["B3:B1002"] == ("list", "'_lists'!$D$2:$D$4", None)  # periods
    fields = default_fields()
    column = {
        code: openpyxl.utils.get_column_letter(i + 3)
        for i, code in enumerate(fields.indicator_codes)
    }
    assert returns[f"{column['capacity_utilisation']}3:{column['capacity_utilisation']}1002"] == (
        "decimal",
        "0.0",
        "100.0",
    )
    assert returns[f"{column['iso9001']}3:{column['iso9001']}1002"] == (
        "list",
        "'_lists'!$E$2:$E$3",
        None,
    )


def test_filled_template_reads_back_without_problems(template, tmp_path):
    book = openpyxl.load_workbook(template)
    book[SHEET_ENTERPRISES].append(
        [
            ID_A,
            "فولاد نمونه",
            "Sample Steel",
            "2410 — Manufacture of basic iron and steel",
            "تهران",
            "E050 — شهرک صنعتی عباس‌آباد",
            1385,
        ]
    )
    returns = book[SHEET_RETURNS]
    returns.append([ID_A, "1403", 40, 90_000, 10_000])
    returns.append([ID_B, "1403-Q1", 12, 3_000, 0])
    iso = 2 + default_fields().indicator_codes.index("iso9001")
    returns.cell(row=3, column=iso + 1, value="بله")
    filled = tmp_path / "filled.xlsx"
    book.save(filled)
    report = dry_run(filled, estates=ESTATES)
    assert report.problems == (), report.to_text("en")
    assert report.enterprises[["isic_class", "province_code", "estate_code"]].values.tolist() == [
        ["2410", TEHRAN, "E050"]
    ]
    assert report.returns[["national_id", "period", "sales", "iso9001"]].values.tolist()[0] == [
        ID_A,
        "1403",
        90_000.0,
        1.0,
    ]
    assert report.returns["period"].tolist() == ["1403", "1403-Q1"]


def test_csv_template_has_one_bilingual_header_row_and_reads_back(tmp_path):
    path = write_template(tmp_path / "returns.csv", format="csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # so Excel opens the Persian correctly
    (header,) = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert header[0] == "شناسه ملی / National ID"
    assert header[9] == "فروش (میلیون ریال) / Sales (million rials)"
    fields = default_fields()
    assert [fields.match(h) for h in header] == [
        "national_id", "name_fa", "name_en", "isic_class", "province", "estate", "founding_year",
        "period", *fields.indicator_codes,
    ]  # fmt: skip
    with path.open("a", encoding="utf-8", newline="") as handle:
        row = [ID_A, "الف", "", "1311", "یزد", "", "1380", "1403", "10", "2500"]
        csv.writer(handle).writerow(row + [""] * (len(header) - len(row)))
    report = dry_run(path)
    assert report.problems == (), report.to_text("en")
    assert report.returns["sales"].tolist() == [2500.0]
    assert report.enterprises["province_code"].tolist() == [21]


def test_template_arguments_are_checked(tmp_path):
    with pytest.raises(RasadInputError, match="format"):
        write_template(tmp_path / "x.ods", format="ods")
    with pytest.raises(RasadInputError, match="month"):
        write_template(tmp_path / "x.xlsx", periods=["1403/07"])
    with pytest.raises(RasadInputError, match="rows"):
        write_template(tmp_path / "x.xlsx", rows=0)


def test_default_periods_are_the_last_five_jalali_years(tmp_path):
    import jdatetime

    book = openpyxl.load_workbook(write_template(tmp_path / "d.xlsx"))
    this_year = jdatetime.date.today().year
    periods = [c.value for c in book[SHEET_LISTS]["D"][1:] if c.value]
    assert periods == [str(y) for y in range(this_year - 4, this_year + 1)]
    assert [c.value for c in book[SHEET_LISTS]["B"][1:] if c.value] == []  # no estates given
    assert "F3:F1002" not in _validations(book[SHEET_ENTERPRISES])


def test_the_instruction_rows_have_heights_for_their_wrapped_text(template):
    """LibreOffice draws wrapped lines over each other in a row with no height."""
    guide = openpyxl.load_workbook(template)[SHEET_INSTRUCTIONS]
    for row in range(2, 11):
        assert guide.row_dimensions[row].height and guide.row_dimensions[row].height >= 15
        assert guide.cell(row=row, column=1).alignment.wrap_text
    assert guide.sheet_properties.pageSetUpPr.fitToPage
