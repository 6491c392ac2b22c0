"""Reading files as they arrive: encodings, layouts, formulas, and files that are not
spreadsheets."""

import io
import re
import zipfile
from pathlib import Path

import pytest
from intake_builders import (
    ID_A,
    ID_B,
    REGISTRY_HEADER,
    RETURN_HEADER,
    set_cached_values,
    write_csv,
    write_xlsx,
)

from rasad.errors import RasadInputError
from rasad.intake import ReadLimits, dry_run, read_bytes, read_file
from rasad.intake.read import decode_text

ZWNJ = "\u200c"


# --- encodings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom", "expected"),
    [("utf-8", False, "utf-8"), ("utf-8", True, "utf-8-sig"), ("cp1256", False, "cp1256")],
)
def test_csv_encodings_are_detected_and_text_normalised(tmp_path, encoding, bom, expected):
    # Windows-1256 has no Persian ی, so old Iranian files carry Arabic ي and ك.
    rows = [
        ["شناسه ملي", "نام بنگاه", "کد فعاليت", "استان"],
        [ID_A, "شركت صنايع كاشي", "2392", "يزد"],
    ]
    path = write_csv(tmp_path / "r.csv", rows, encoding=encoding, bom=bom)
    workbook = read_file(path)
    assert workbook.encoding == expected
    sheet = workbook.sheets[0]
    assert set(sheet.columns) == {"national_id", "name_fa", "isic_class", "province"}
    report = dry_run(path)
    assert not report.blocking, report.to_text("en")
    enterprise = report.enterprises.iloc[0]
    assert enterprise["name_fa"] == "شرکت صنایع کاشی"  # Persian ی and ک
    assert enterprise["province_code"] == 21  # Yazd
    assert enterprise["isic_class"] == "2392"


def test_utf16_csv_from_excel_unicode_text(tmp_path):
    text = "شناسه ملی\tدوره\tتعداد شاغلان\r\n" + f"{ID_A}\t1403\t12\r\n"
    path = tmp_path / "unicode.txt"
    path.write_bytes(text.encode("utf-16"))
    report = dry_run(path)
    assert report.returns["employees"].tolist() == [12.0]


def test_bom_in_front_of_the_first_header_does_not_hide_it(tmp_path):
    path = write_csv(
        tmp_path / "bom.csv", [RETURN_HEADER, [ID_A, "1403", "5", "100", "0"]], bom=True
    )
    sheet = read_file(path).sheets[0]
    assert sheet.columns["national_id"].letter == "A"
    assert sheet.columns["national_id"].header == "شناسه ملی"


def test_semicolon_and_sep_hint_line(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text(f"sep=;\nشناسه ملی;دوره;فروش\n{ID_A};1403;1,250.5\n", encoding="utf-8")
    report = dry_run(path)
    assert report.returns["sales"].tolist() == [1250.5]
    # Excel hides the sep= line, so the data row is row 2 as Excel shows it.
    path.write_text(f"sep=;\nشناسه ملی;دوره;فروش\n{ID_A};1403;abc\n", encoding="utf-8")
    (problem,) = dry_run(path).errors
    assert (problem.row, problem.column_letter, problem.value) == (2, "C", "abc")


def test_binary_garbage_with_a_csv_name_is_refused(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(RasadInputError) as caught:
        read_file(path)
    assert "data.csv" in caught.value.message_en and "data.csv" in caught.value.message_fa
    assert "binary" in caught.value.message_en


def test_decode_text_rejects_control_characters():
    with pytest.raises(RasadInputError):
        decode_text(b"a,b\x01\x02\x03\x04\x05\x06\x07\x08" * 50, "x.csv")


# --- not a spreadsheet -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "web page"),
        (b"", "empty"),
    ],
)
def test_not_a_spreadsheet_names_the_file_in_both_languages(tmp_path, content, reason):
    path = tmp_path / "returns-1403.xlsx"
    path.write_bytes(content)
    with pytest.raises(RasadInputError) as caught:
        read_file(path)
    error = caught.value
    assert "returns-1403.xlsx" in error.message_en
    assert "«returns-1403.xlsx»" in error.message_fa
    assert reason in error.message_en
    assert error.field == "file"


def test_truncated_xlsx_is_a_clear_error(tmp_path):
    full = write_xlsx(tmp_path / "full.xlsx", {"r": [RETURN_HEADER, [ID_A, "1403", 5, 10, 0]]})
    data = full.read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(RasadInputError) as caught:
        read_file(cut)
    assert "cut.xlsx" in caught.value.message_en
    assert "truncated" in caught.value.message_en
    assert "ناقص" in caught.value.message_fa


def test_zip_that_is_not_a_workbook(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(RasadInputError, match="not an Excel workbook"):
        read_bytes(buffer.getvalue(), "photos.zip")


def test_zip_bomb_is_refused_before_unpacking(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (30 * 2**20))
    assert len(buffer.getvalue()) < 100_000  # 30 MB of zeros compress to ~30 kB
    with pytest.raises(RasadInputError, match="zip bomb"):
        read_bytes(buffer.getvalue(), "bomb.xlsx")


def test_file_size_limit(tmp_path):
    path = write_csv(tmp_path / "big.csv", [RETURN_HEADER] + [[ID_A, "1403", 1, 1, 0]] * 100)
    with pytest.raises(RasadInputError, match="MB"):
        read_file(path, limits=ReadLimits(max_file_bytes=1000))


def test_read_limits_are_validated():
    with pytest.raises(ValueError, match="header_rows"):
        ReadLimits(header_rows=0)


# --- layout -------------------------------------------------------------------------------------


def test_empty_rows_and_columns_are_skipped_and_rows_keep_excel_numbers(tmp_path):
    rows = [
        None,  # row 1 empty: a spacer above the header
        ["شناسه ملی", None, "دوره", None, "فروش (میلیون ریال)"],  # row 2, empty columns B and D
        None,
        [ID_A, None, "1403", None, 100],  # row 4
        None,
        None,
        [ID_B, None, "1403", None, "صد"],  # row 7: not a number
    ]
    path = write_xlsx(tmp_path / "gaps.xlsx", {"داده": [r or [] for r in rows]})
    sheet = read_file(path).sheets[0]
    assert sheet.header_rows == (2,)
    assert sheet.rows.tolist() == [4, 7]
    assert {code: c.letter for code, c in sheet.columns.items()} == {
        "national_id": "A", "period": "C", "sales": "E",
    }  # fmt: skip
    report = dry_run(path)
    (error,) = report.errors
    assert (error.sheet, error.row, error.column, error.column_letter, error.value) == (
        "داده", 7, "فروش (میلیون ریال)", "E", "صد",
    )  # fmt: skip
    assert error.code == "type"
    assert report.warnings == []  # empty columns are not worth a warning
    assert report.blocking and report.returns.empty and report.enterprises.empty


def test_merged_header_cells_and_a_unit_stated_above_the_headers(tmp_path):
    # Row 1: "شناسه ملی" merged down over A1:A2; "ارقام به ریال" (figures in rials) merged
    # across C1:D1 above the two money columns; row 2: the real headers.
    rows = [
        ["شناسه ملی", "دوره", "ارقام به ریال", None],
        [None, None, "فروش", "ارزش صادرات"],
        [ID_A, "۱۴۰۳", "12,500,000,000", 2_500_000_000],
    ]
    path = write_xlsx(
        tmp_path / "merged.xlsx", {"Sheet1": rows}, merges={"Sheet1": ["A1:A2", "B1:B2", "C1:D1"]}
    )
    sheet = read_file(path).sheets[0]
    assert sheet.header_rows == (1, 2)
    assert sheet.columns["national_id"].header == "شناسه ملی"
    assert sheet.columns["sales"].unit.code == "rials"
    assert sheet.columns["exports"].unit.code == "rials"
    report = dry_run(path)
    assert not report.blocking, report.to_text("en")
    row = report.returns.iloc[0]
    assert (row["period"], row["sales"], row["exports"]) == ("1403", 12_500.0, 2_500.0)


def test_vertically_merged_data_cells_belong_to_every_row_they_span(tmp_path):
    rows = [
        ["شناسه ملی", "نام بنگاه", "کد فعالیت", "استان"],
        [ID_A, "الف", "1311", "یزد"],
        [ID_B, "ب", "1311", None],
    ]
    path = write_xlsx(tmp_path / "m.xlsx", {"s": rows}, merges={"s": ["D2:D3"]})
    report = dry_run(path)
    assert report.enterprises["province_code"].tolist() == [21, 21]


def test_formulas_use_the_stored_value_and_are_never_evaluated(tmp_path):
    rows = [
        RETURN_HEADER,
        [ID_A, "1403", 10, "=2*3", "=D2/2"],
    ]
    path = write_xlsx(tmp_path / "f.xlsx", {"s": rows})
    # Excel stored 7000 and 350 when it last saved, not what the formulas give now (6, 3):
    # the stored values are the figures the sender saw and checked.
    set_cached_values(
        path,
        {
            b"<f>2*3</f><v />": b"<f>2*3</f><v>7000</v>",
            b"<f>D2/2</f><v />": b"<f>D2/2</f><v>350</v>",
        },
    )
    report = dry_run(path)
    assert not report.blocking, report.to_text("en")
    assert report.returns[["sales", "exports"]].iloc[0].tolist() == [7000.0, 350.0]


def test_formula_without_a_stored_value_is_an_error_not_a_blank(tmp_path):
    rows = [RETURN_HEADER, [ID_A, "1403", 10, "=2*3", 0]]
    path = write_xlsx(tmp_path / "f.xlsx", {"s": rows})  # openpyxl stores no result
    report = dry_run(path)
    (error,) = report.errors
    assert (error.row, error.column_letter, error.code) == (2, "D", "formula_without_value")
    assert "formula" in error.message_en and "فرمول" in error.message_fa
    assert report.returns.empty and report.parsed_returns["exports"].tolist() == [0.0]


def test_excel_error_values_are_reported(tmp_path):
    path = write_xlsx(tmp_path / "e.xlsx", {"s": [RETURN_HEADER, [ID_A, "1403", 1, "=1/0", 0]]})
    # Excel stores an error result as a cell of type "e".
    set_cached_values(
        path, {b'<c r="D2"><f>1/0</f><v /></c>': b'<c r="D2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'}
    )
    report = dry_run(path)
    (error,) = report.errors
    assert (error.row, error.column_letter, error.code) == (2, "D", "excel_error")
    assert report.blocking and report.returns.empty


def test_hidden_and_instruction_sheets_are_not_data(tmp_path):
    path = write_xlsx(
        tmp_path / "h.xlsx",
        {
            "راهنما": [["شناسه ملی", "دوره"], ["یادداشت", "توضیح"]],
            "_lists": [["شناسه ملی", "دوره"], ["x", "y"]],
            "داده": [RETURN_HEADER, [ID_A, "1403", 1, 2, 0]],
        },
        hidden=("_lists",),
    )
    workbook = read_file(path)
    assert [s.name for s in workbook.sheets] == ["داده"]
    assert workbook.problems == []


def test_sheet_without_headers_is_a_warning_and_no_data_at_all_is_an_error(tmp_path):
    path = write_xlsx(tmp_path / "n.xlsx", {"یادداشت‌ها": [["سلام"], ["دنیا"]]})
    report = dry_run(path)
    codes = sorted((p.severity, p.code) for p in report.problems)
    assert codes == [("error", "no_data"), ("warning", "no_header")]
    assert report.blocking


def test_unknown_and_duplicate_columns(tmp_path):
    rows = [
        ["شناسه ملی", "دوره", "فروش", "رنگ محصول", "Sales"],
        [ID_A, "1403", 10, "آبی", 20],
    ]
    report = dry_run(write_xlsx(tmp_path / "u.xlsx", {"s": rows}))
    by_code = {p.code: p for p in report.problems}
    assert by_code["unknown_column"].column_letter == "D"
    assert by_code["unknown_column"].severity == "warning"
    assert by_code["duplicate_column"].column_letter == "E"
    assert by_code["duplicate_column"].severity == "error"
    assert report.parsed_returns["sales"].tolist() == [10.0]  # the first column is kept


def test_total_row_at_the_bottom_is_skipped_with_a_warning(tmp_path):
    rows = [
        RETURN_HEADER,
        [ID_A, "1403", 5, 10, 0],
        [ID_B, "1403", 7, 20, 0],
        ["جمع کل", None, 12, 30, 0],
    ]
    report = dry_run(write_xlsx(tmp_path / "t.xlsx", {"s": rows}))
    assert not report.blocking
    (warning,) = report.warnings
    assert (warning.code, warning.row) == ("total_row", 4)
    assert report.returns["sales"].tolist() == [10.0, 20.0]


def test_two_header_rows_persian_and_english(tmp_path):
    rows = [
        ["شناسه ملی", "دوره", "فروش (میلیون ریال)"],
        ["National ID", "Period", "Sales (million rials)"],
        [ID_A, "1403-Q2", 10],
    ]
    sheet = read_file(write_xlsx(tmp_path / "two.xlsx", {"s": rows})).sheets[0]
    assert sheet.header_rows == (1, 2)
    assert sheet.rows.tolist() == [3]


def test_registry_sheet_with_zwnj_and_arabic_letters_in_headers(tmp_path):
    header = [f"شناسه{ZWNJ}ي ملي", "نام بنگاه", "كد فعاليت", "استان", "شهرك صنعتي", "سال تاسيس"]
    path = write_xlsx(
        tmp_path / "z.xlsx", {"s": [header, [ID_A, "کاشی", "2392", "یزد", None, 1380]]}
    )
    sheet = read_file(path).sheets[0]
    assert list(sheet.columns) == [
        "national_id",
        "name_fa",
        "isic_class",
        "province",
        "estate",
        "founding_year",
    ]
    assert sheet.columns["national_id"].header == f"شناسه{ZWNJ}ي ملي"  # as written


def test_registry_header_constant_is_recognised():
    from rasad.intake.fields import default_fields

    fields = default_fields()
    assert [fields.match(h) for h in REGISTRY_HEADER] == [
        "national_id", "name_fa", "isic_class", "province", "estate", "founding_year",
    ]  # fmt: skip


# --- files saved by LibreOffice (tests/fixtures/libreoffice/README.md) -----------------

LIBREOFFICE = Path(__file__).parents[1] / "fixtures" / "libreoffice"


def test_libreoffice_utf8_csv_of_the_returns_sheet_reads_clean():
    report = dry_run(LIBREOFFICE / "returns_utf8.csv")
    assert not report.problems and len(report.returns) == 3


def test_libreoffice_windows1256_csv_is_one_message_naming_the_encoding():
    """ی and the Persian digits are not in Windows-1256: LibreOffice wrote "?" for them,
    and each ID, period and figure used to be its own "not a number" error."""
    with pytest.raises(RasadInputError) as caught:
        dry_run(LIBREOFFICE / "returns_windows1256.csv")
    error = caught.value
    assert "Windows-1256" in error.message_en and "UTF-8" in error.message_en
    assert "Windows-1256" in error.message_fa and "UTF-8" in error.message_fa
    assert not re.search("[0-9]", error.message_fa.replace("1256", "").replace("UTF-8", ""))


def test_a_windows1256_csv_without_lost_characters_is_still_read():
    data = "شناسه ملي,دوره,فروش\n10380284790,1403,12\n".encode("cp1256")  # Arabic ي
    workbook = read_bytes(data, "returns.csv")
    assert workbook.encoding == "cp1256" and len(workbook.sheets[0]) == 1


def test_libreoffice_scientific_ids_are_one_message_for_the_column():
    report = dry_run(LIBREOFFICE / "enterprises_scientific_ids.csv")
    (problem,) = report.problems
    assert problem.code == "scientific_id" and problem.column == "شناسه ملی"
    assert "Text" in problem.message_en and "۳" in problem.message_fa
    assert "«متن»" in problem.message_fa


def test_libreoffice_default_csv_save_of_the_template_is_only_the_instructions():
    with pytest.raises(RasadInputError) as caught:
        dry_run(LIBREOFFICE / "default_save_instructions_only.csv")
    assert "instructions" in caught.value.message_en and ".xlsx" in caught.value.message_en
    assert "راهنما" in caught.value.message_fa
