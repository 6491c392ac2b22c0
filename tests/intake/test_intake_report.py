"""The dry-run report as a frame, an Excel workbook, plain text and a rich table."""

import openpyxl
import pytest
from intake_builders import ID_A, ID_B, RETURN_HEADER, write_xlsx, wrong_check_digit
from rich.console import Console

from rasad.intake import Problem, dry_run


@pytest.fixture
def report(tmp_path):
    rows = [
        RETURN_HEADER,
        [wrong_check_digit(ID_A), "1403", 5, 100, 0],
        [ID_B, "1403", 6, 120, 500],
    ]
    return dry_run(write_xlsx(tmp_path / "r.xlsx", {"اظهارنامه": rows}))


def test_problems_frame(report):
    frame = report.to_frame()
    assert list(frame.columns) == [
        "sheet", "row", "column", "column_letter", "field", "value", "severity", "code",
        "message_en", "message_fa",
    ]  # fmt: skip
    assert frame[["row", "column_letter", "code"]].values.tolist() == [
        [2, "A", "check_digit"],
        [3, "E", "consistency"],
    ]
    assert frame["severity"].tolist() == ["error", "error"]
    assert report.counts == {
        "rows_read": 2,
        "errors": 2,
        "warnings": 0,
        "enterprises": 0,
        "returns": 2,
    }


def test_report_workbook_has_a_right_to_left_persian_sheet(report, tmp_path):
    path = report.to_excel(tmp_path / "report.xlsx")
    book = openpyxl.load_workbook(path)
    # no data preview while anything blocks
    assert book.sheetnames == ["گزارش", "راهنمای ستون‌ها", "درباره"]
    fa = book["گزارش"]
    assert all(sheet.sheet_view.rightToLeft for sheet in book.worksheets)
    assert [c.value for c in fa[1]] == ["نوع", "برگه", "ردیف", "ستون", "حرف ستون", "مقدار", "توضیح"]
    first = [c.value for c in fa[2]]
    assert first[:6] == ["خطا", "اظهارنامه", 2, "شناسه ملی", "A", wrong_check_digit(ID_A)]
    assert "رقم کنترل" in first[6]
    assert fa["A2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert fa.auto_filter.ref == f"A1:G{1 + len(report.problems)}" and fa.freeze_panes == "A2"
    # the message wraps beside its row, which is as tall as it needs (LibreOffice draws
    # wrapped lines over each other without a height); a page is as wide as the table
    assert fa["G2"].alignment.wrap_text and fa.print_title_rows == "$1:$1"
    assert fa.page_setup.fitToWidth == 1 and fa.sheet_properties.pageSetUpPr.fitToPage
    about = dict(book["درباره"].iter_rows(min_row=2, values_only=True))
    assert "هیچ چیز وارد نمی‌شود" in about["خلاصه"]
    english = openpyxl.load_workbook(report.to_excel(tmp_path / "en.xlsx", language="en"))
    en = english["Report"]
    assert not en.sheet_view.rightToLeft
    assert [c.value for c in en[3]][:5] == [
        "error",
        "اظهارنامه",
        3,
        "ارزش صادرات (میلیون ریال)",
        "E",
    ]


def test_clean_report_workbook_previews_what_would_be_imported(tmp_path):
    report = dry_run(
        write_xlsx(tmp_path / "ok.xlsx", {"s": [RETURN_HEADER, [ID_A, "1403", 5, 100, 0]]})
    )
    book = openpyxl.load_workbook(report.to_excel(tmp_path / "ok-report.xlsx", language="en"))
    assert book.sheetnames == ["Report", "Returns", "Dictionary", "About"]
    preview = book["Returns"]
    assert [c.value for c in preview[1]][:3] == ["National ID", "Period", "Fiscal year"]
    assert [c.value for c in preview[2]][:3] == [ID_A, "1403", 1403]
    assert preview.max_row == 2  # one header row, one return


def test_text_in_both_languages(report):
    english = report.to_text("en")
    assert english.splitlines()[0] == (
        "'r.xlsx': 2 rows read; 2 error(s), 0 warning(s); 0 enterprise(s) and 2 return(s). "
        "Nothing will be imported until the errors are fixed."
    )
    assert f"- error: اظهارنامه, row 2, شناسه ملی (A) [{wrong_check_digit(ID_A)}]:" in english
    persian = report.to_text("fa")
    assert persian.splitlines()[0].startswith("«r.xlsx»: ۲ ردیف خوانده شد؛ ۲ خطا")
    assert "- خطا: اظهارنامه، ردیف ۲، شناسه ملی (A)" in persian
    limited = report.to_text("en", limit=1).splitlines()
    assert limited[-1] == "… and 1 more"


def test_rich_rendering(report):
    console = Console(record=True, width=200)
    console.print(report.to_rich("en"))
    text = console.export_text()
    assert "2 error(s)" in text
    assert "check_digit" not in text  # the reader sees messages, not codes
    assert "check digit" in text and "exceed Sales" in text


def test_problem_records_are_validated():
    with pytest.raises(ValueError, match="severity"):
        Problem("s", 1, None, None, "fatal", "x", "y", "code")
    with pytest.raises(ValueError, match="row"):
        Problem("s", 0, None, None, "error", "x", "y", "code")
    with pytest.raises(ValueError, match="both"):
        Problem("s", 1, None, None, "error", "x", "", "code")
