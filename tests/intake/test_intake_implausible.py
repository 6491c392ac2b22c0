"""Implausible figures (issue 16): inside the catalogue's hard limits (``min``/``max``,
which refuse a value) but outside its plausible bounds. Not an error: a warning that
holds the commit back until a person confirms it, located like every problem."""

import math

import pytest
from intake_builders import ID_A, ID_B, write_csv

from rasad.errors import RasadInputError
from rasad.intake import validate_records
from rasad.intake.problems import IMPLAUSIBLE, WARNING
from rasad.intake.read import read_file
from rasad.intake.validate import validate_workbook


def _report(**figures):
    return validate_records([{"national_id": ID_A, "period": "1403", **figures}])


@pytest.mark.parametrize(
    ("figures", "field", "en", "fa"),
    [
        (
            {"employees": 1e30},
            "employees",
            "Employees of 1e+30 persons is implausible",
            "۱e+۳۰ نفر",
        ),
        ({"sales": 1e308}, "sales", "Sales of 1e+308 million rials is implausible", "۱e+۳۰۸"),
        (
            {"sales": "۲٬۰۰۰٬۰۰۰٬۰۰۰"},
            "sales",
            "more than 1,000,000,000 million rials",
            "۱٬۰۰۰٬۰۰۰٬۰۰۰",
        ),
        ({"ebit": -5e9}, "ebit", "less than -1,000,000,000", "کم از"),
        ({"export_countries": 250}, "export_countries", "more than 200", "۲۰۰"),
    ],
)
def test_an_implausible_figure_is_a_warning_that_needs_confirming(figures, field, en, fa):
    report = _report(**figures)
    [problem] = report.problems
    assert (problem.severity, problem.code, problem.field) == (WARNING, IMPLAUSIBLE, field)
    assert en in problem.message_en and fa in problem.message_fa
    assert "confirm" in problem.message_en and "تأیید" in problem.message_fa
    assert not report.blocking and report.needs_confirmation and report.implausible == [problem]
    assert problem.needs_confirmation and problem.label("en") == "needs confirming"
    with pytest.raises(RasadInputError) as refused:
        report.records_to_commit()
    assert (
        refused.value.field == "confirm_implausible" and "implausible" in refused.value.message_en
    )
    assert "نامحتمل" in refused.value.message_fa
    _enterprises, returns = report.records_to_commit(confirm_implausible=True)
    value = returns.iloc[0][field]
    expected = figures[field] if not isinstance(figures[field], str) else 2e9
    assert value == expected  # stored as sent, once confirmed


def test_at_the_bound_is_plausible_and_hard_limits_stay_errors():
    assert not _report(employees=1_000_000, sales=1e9, ebit=-1e9).problems
    refused = _report(employees=-1, capacity_utilisation=150, sales=2e9)
    assert refused.blocking
    assert sorted((p.field, p.code) for p in refused.problems) == [
        ("capacity_utilisation", "range"),
        ("employees", "range"),
        ("sales", IMPLAUSIBLE),
    ]
    assert not validate_records(
        [{"national_id": ID_A, "period": "1403", "employees": 12}]
    ).needs_confirmation


def test_other_warnings_need_no_confirmation():
    report = _report(exports=100, export_countries=0, sales=1000)  # exports without destinations
    assert report.warnings and not report.needs_confirmation
    assert len(report.records_to_commit()[1]) == 1


def test_money_is_judged_in_million_rials_after_the_units_are_applied(tmp_path):
    """10¹⁵ rials is 10⁹ million rials, the bound; twice that is past it. The sender who
    typed rials under a "rials" header is not flagged for the unit, only for the size."""
    rows = [
        ["شناسه ملی", "دوره", "فروش (ریال)"],
        [ID_A, "1403", "1000000000000000"],
        [ID_B, "1403", "2000000000000000"],
    ]
    report = validate_workbook(read_file(write_csv(tmp_path / "rials.csv", rows)))
    [problem] = report.implausible
    assert (problem.sheet, problem.row, problem.column, problem.column_letter) == (
        "rials",
        3,
        "فروش (ریال)",
        "C",
    )
    assert "Sales of 2,000,000,000 million rials" in problem.message_en


def test_the_report_names_file_row_and_column_in_both_languages(tmp_path):
    rows = [["شناسه ملی", "دوره", "تعداد شاغلان"], [ID_A, "1403", "12"], [ID_B, "1403", "۳۰۰۰۰۰۰"]]
    report = validate_workbook(read_file(write_csv(tmp_path / "odd.csv", rows)))
    english, persian = report.to_text("en"), report.to_text("fa")
    assert (
        "needs confirming: odd, row 3, تعداد شاغلان (C) [۳۰۰۰۰۰۰]: Employees of 3,000,000 persons"
        in english
    )
    assert "1 implausible figure(s) must be checked and confirmed" in english
    assert "نیازمند تأیید: odd، ردیف ۳، تعداد شاغلان (C)" in persian and "رقم نامحتمل" in persian
    from openpyxl import load_workbook

    sheet = load_workbook(report.to_excel(tmp_path / "en.xlsx", language="en"))["Report"]
    assert [c.value for c in sheet[2]][:6] == [
        "needs confirming",
        "odd",
        3,
        "تعداد شاغلان",
        "C",
        "۳۰۰۰۰۰۰",
    ]


def test_a_nan_or_blank_is_never_implausible():
    assert not _report(employees=math.nan, sales=None).needs_confirmation
