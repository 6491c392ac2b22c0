"""Every check, located at the exact sheet, row and column, and nothing committable when
anything blocks."""

import datetime
import re

import pandas as pd
import pytest
from intake_builders import (
    ESTATES,
    ID_A,
    ID_B,
    ID_C,
    MARKAZI,
    REGISTRY_HEADER,
    RETURN_HEADER,
    TEHRAN,
    YAZD,
    write_csv,
    write_xlsx,
    wrong_check_digit,
)

from rasad.errors import RasadInputError
from rasad.intake import Estates, UnitSlipRule, dry_run, validate_frames, validate_records

ZWNJ = "\u200c"


def located(problem):
    return (problem.sheet, problem.row, problem.column, problem.column_letter, problem.code)


def only_error(report):
    assert len(report.errors) == 1, report.to_text("en")
    return report.errors[0]


def assert_nothing_committable(report):
    assert report.blocking
    assert report.enterprises.empty and report.returns.empty
    with pytest.raises(RasadInputError) as caught:
        report.records_to_commit()
    assert "nothing can be imported" in caught.value.message_en
    assert "هیچ چیز" in caught.value.message_fa


# --- national IDs -------------------------------------------------------------------------


def test_invalid_check_digit_is_located_and_blocks_the_whole_file(tmp_path):
    bad = wrong_check_digit(ID_B)
    rows = [
        RETURN_HEADER,
        [ID_A, "1403", 5, 100, 0],
        [bad, "1403", 6, 120, 0],
        [ID_C, "1403", 7, 90, 0],
    ]
    report = dry_run(write_xlsx(tmp_path / "ids.xlsx", {"اظهارنامه": rows}))
    error = only_error(report)
    assert located(error) == ("اظهارنامه", 3, "شناسه ملی", "A", "check_digit")
    assert error.value == bad
    assert error.field == "national_id"
    assert "check digit" in error.message_en and "رقم کنترل" in error.message_fa
    assert report.counts["returns"] == 3  # parsed, but ...
    assert_nothing_committable(report)  # ... one bad row holds back all three


def test_national_id_in_persian_and_arabic_indic_digits_and_as_excel_number(tmp_path):
    persian = ID_A.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    arabic = ID_B.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    rows = [
        RETURN_HEADER,
        [persian, "۱۴۰۳", f"\u200f۱۲{ZWNJ}", "۱٬۲۵۰٫۵", "۰"],  # with stray RLM and ZWNJ
        [arabic, "١٤٠٣", "٧", "٢,٠٠٠", "٥٠٠"],
        [int(ID_C), 1403, 3, 10, 0],
    ]
    report = dry_run(write_xlsx(tmp_path / "digits.xlsx", {"s": rows}))
    assert not report.blocking, report.to_text("en")
    returns = report.returns
    assert returns["national_id"].tolist() == [ID_A, ID_B, ID_C]
    assert returns["period"].tolist() == ["1403"] * 3
    assert returns["employees"].tolist() == [12.0, 7.0, 3.0]
    assert returns["sales"].tolist() == [1250.5, 2000.0, 10.0]
    assert returns["exports"].tolist() == [0.0, 500.0, 0.0]


def test_short_id_and_letters_in_id(tmp_path):
    rows = [RETURN_HEADER, ["1038028", "1403", 1, 1, 0], ["10380a84790", "1403", 1, 1, 0]]
    report = dry_run(write_xlsx(tmp_path / "s.xlsx", {"s": rows}))
    assert [(p.row, p.code) for p in report.errors] == [(2, "national_id"), (3, "national_id")]
    assert "11 digits" in report.errors[0].message_en
    assert "only digits" in report.errors[1].message_en


# --- required fields, types -------------------------------------------------------------------


def test_every_problem_is_collected_not_just_the_first(tmp_path):
    rows = [
        REGISTRY_HEADER,
        [ID_A, None, "1311", "تهران", None, 1385],  # row 2: name missing
        [None, "ب", "13", "Atlantis", None, "سال"],  # row 3: id missing, division, province, year
    ]
    report = dry_run(write_xlsx(tmp_path / "r.xlsx", {"بنگاه‌ها": rows}), estates=ESTATES)
    got = sorted((p.row, p.column_letter, p.code) for p in report.errors)
    assert got == [
        (2, "B", "required"),
        (3, "A", "required"),
        (3, "C", "isic"),
        (3, "D", "province"),
        (3, "F", "year"),
    ]
    isic_error = next(p for p in report.errors if p.code == "isic")
    assert "division" in isic_error.message_en and "4-digit class" in isic_error.message_en
    assert_nothing_committable(report)


def test_wrong_types_in_figures(tmp_path):
    rows = [
        [
            "شناسه ملی",
            "دوره",
            "فروش",
            "تعداد شاغلان",
            "گواهینامه ایزو ۹۰۰۱",
            "تعداد کشورهای مقصد صادرات",
        ],
        [ID_A, "1403", "1.2E+07", datetime.datetime(2024, 5, 1), "شاید", 2.5],
        [ID_B, "1403", "۱۲،۳۴۵", "-3", "بله", 2],
    ]
    report = dry_run(write_xlsx(tmp_path / "t.xlsx", {"s": rows}))
    got = sorted((p.row, p.column_letter, p.code) for p in report.errors)
    assert got == [
        (2, "C", "type"),  # exponent: Excel rounded the figure
        (2, "D", "type"),  # a date
        (2, "E", "type"),  # not yes/no
        (2, "F", "whole_number"),  # a count of countries
        (3, "C", "type"),  # Arabic comma: perhaps two numbers
        (3, "D", "range"),  # employees below zero
    ]
    assert report.parsed_returns.loc[1, "iso9001"] == 1.0  # "بله" is yes
    assert_nothing_committable(report)


def test_period_forms(tmp_path):
    rows = [
        ["شناسه ملی", "دوره", "فروش"],
        [ID_A, "۱۴۰۳-ف۲", 1],
        [ID_B, "1403/12/29", 1],  # a Jalali date: the fiscal year it falls in
        [ID_C, datetime.datetime(2024, 6, 1), 1],  # an Excel date: 1403-03-12
        [make := ID_A, "2024", 1],
        [make, "1403/07", 1],
    ]
    report = dry_run(write_xlsx(tmp_path / "p.xlsx", {"s": rows}))
    assert report.parsed_returns["period"].tolist()[:3] == ["1403-Q2", "1403", "1403"]
    assert [(p.row, p.code) for p in report.errors] == [(5, "period"), (6, "period")]
    assert "Gregorian" in report.errors[0].message_en
    assert "month" in report.errors[1].message_en


def test_missing_period_column_is_a_sheet_error(tmp_path):
    rows = [["شناسه ملی", "فروش"], [ID_A, 10]]
    report = dry_run(write_xlsx(tmp_path / "np.xlsx", {"s": rows}))
    error = only_error(report)
    assert (error.sheet, error.row, error.code) == ("s", 1, "missing_column")


def test_year_and_quarter_columns_make_a_quarterly_period(tmp_path):
    rows = [["شناسه ملی", "سال مالی", "فصل", "فروش"], [ID_A, 1403, 2, 10], [ID_B, "۱۴۰۲", None, 5]]
    report = dry_run(write_xlsx(tmp_path / "yq.xlsx", {"s": rows}))
    assert report.returns["period"].tolist() == ["1403-Q2", "1402"]
    assert report.returns["quarter"].tolist() == [2, pd.NA]


# --- ranges and consistency ---------------------------------------------------------------------


def test_catalogue_ranges_and_shares_above_100_percent(tmp_path):
    rows = [
        [
            "شناسه ملی",
            "دوره",
            "درصد بهره‌برداری از ظرفیت",
            "سهم محصولات جدید از فروش",
            "تعداد فناوری‌های به‌کارگرفته",
        ],
        [ID_A, "1403", "85٪", 120, 11],
    ]
    report = dry_run(write_xlsx(tmp_path / "r.xlsx", {"s": rows}))
    got = [(p.column_letter, p.code) for p in report.errors]
    assert got == [("D", "range"), ("E", "range")]
    assert "cannot exceed 100%" in report.errors[0].message_en
    assert "۱۰۰ درصد" in report.errors[0].message_fa
    assert report.parsed_returns.loc[0, "capacity_utilisation"] == 85.0  # "85٪" is read


def test_parts_may_not_exceed_their_whole(tmp_path):
    rows = [
        [
            "شناسه ملی",
            "دوره",
            "فروش",
            "ارزش صادرات",
            "تعداد شاغلان",
            "شاغلان دارای تحصیلات دانشگاهی",
        ],
        [ID_A, "1403", 100, 150, 10, 12],
        [ID_B, "1403", 100, 100, 10, 10],
    ]
    report = dry_run(write_xlsx(tmp_path / "c.xlsx", {"s": rows}))
    got = [(p.row, p.column_letter, p.code, p.value) for p in report.errors]
    assert got == [(2, "D", "consistency", "150"), (2, "F", "consistency", "12")]
    assert "Exports (150) exceed Sales (100)" in report.errors[0].message_en
    assert_nothing_committable(report)


def test_equity_identity_and_export_countries_are_warnings(tmp_path):
    rows = [
        [
            "شناسه ملی",
            "دوره",
            "جمع دارایی‌ها",
            "جمع بدهی‌ها",
            "حقوق مالکانه",
            "ارزش صادرات",
            "تعداد کشورهای مقصد صادرات",
            "فروش",
        ],
        [ID_A, "1403", 1000, 400, 500, 10, 0, 100],
    ]
    report = dry_run(write_xlsx(tmp_path / "w.xlsx", {"s": rows}))
    assert not report.blocking
    assert sorted((p.column_letter, p.code) for p in report.warnings) == [
        ("E", "consistency"), ("G", "consistency"),
    ]  # fmt: skip


# --- estates and provinces ----------------------------------------------------------------------


def test_unknown_estate_and_estate_in_another_province(tmp_path):
    rows = [
        REGISTRY_HEADER,
        [ID_A, "الف", "1311", "تهران", "E050", 1385],  # fine
        [ID_B, "ب", "1311", "تهران", "شهرک صنعتی نامعلوم", 1390],  # unknown estate
        [ID_C, "ج", "1311", "تهران", "E072 — شهرک صنعتی اردکان", 1390],  # estate is in Yazd
    ]
    report = dry_run(write_xlsx(tmp_path / "e.xlsx", {"بنگاه‌ها": rows}), estates=ESTATES)
    got = [located(p) for p in report.errors]
    assert got == [
        ("بنگاه‌ها", 3, "شهرک صنعتی", "E", "estate"),
        ("بنگاه‌ها", 4, "شهرک صنعتی", "E", "estate_province"),
    ]
    assert report.errors[0].value == "شهرک صنعتی نامعلوم"
    assert "Yazd" in report.errors[1].message_en and "Tehran" in report.errors[1].message_en
    assert "یزد" in report.errors[1].message_fa
    assert_nothing_committable(report)


def test_estate_by_name_with_arabic_letters_and_zwnj_and_province_inferred(tmp_path):
    rows = [REGISTRY_HEADER, [ID_A, "الف", "1311", None, "شهرك صنعتي عباس آباد", None]]
    report = dry_run(write_xlsx(tmp_path / "e.xlsx", {"s": rows}), estates=ESTATES)
    assert not report.blocking, report.to_text("en")
    enterprise = report.enterprises.iloc[0]
    assert (enterprise["estate_code"], enterprise["province_code"]) == ("E050", TEHRAN)


def test_estates_table_from_a_frame_and_its_validation():
    frame = pd.DataFrame(
        {
            "code": ["E1", "E2"],
            "name_fa": ["یک", "دو"],
            "name_en": ["One", "Two"],
            "province_code": [MARKAZI, YAZD],
        }
    )
    estates = Estates.from_data(frame)
    assert estates.find("two")["code"] == "E2"
    assert estates.find("E1")["province_code"] == MARKAZI
    assert estates.find("سه") is None
    with pytest.raises(RasadInputError, match="unique"):
        Estates.from_data([("E1", "a", "تهران"), ("E1", "b", "تهران")])
    with pytest.raises(RasadInputError, match="province"):
        Estates.from_data([("E1", "a", "Atlantis")])


def test_no_estate_list_means_the_estate_is_kept_unchecked(tmp_path):
    rows = [REGISTRY_HEADER, [ID_A, "الف", "1311", "تهران", "E999", 1385]]
    report = dry_run(write_xlsx(tmp_path / "e.xlsx", {"s": rows}))  # estates=None
    assert not report.blocking
    assert report.enterprises["estate_code"].tolist() == ["E999"]
    empty_list = dry_run(write_xlsx(tmp_path / "e2.xlsx", {"s": rows}), estates=())
    assert only_error(empty_list).code == "estate"


# --- duplicates -------------------------------------------------------------------------------


def test_duplicate_ids_in_the_registry_sheet(tmp_path):
    rows = [
        REGISTRY_HEADER,
        [ID_A, "الف", "1311", "تهران", None, 1385],
        [ID_B, "ب", "1311", "تهران", None, 1385],
        [ID_A, "الف", "1311", "تهران", None, 1385],
    ]
    report = dry_run(write_xlsx(tmp_path / "d.xlsx", {"بنگاه‌ها": rows}))
    error = only_error(report)
    assert located(error) == ("بنگاه‌ها", 4, "شناسه ملی", "A", "duplicate")
    assert "row 2" in error.message_en and "ردیف ۲" in error.message_fa
    assert_nothing_committable(report)


def test_duplicate_return_for_the_same_period_even_across_sheets(tmp_path):
    report = dry_run(
        write_xlsx(
            tmp_path / "d.xlsx",
            {
                "بهار": [RETURN_HEADER, [ID_A, "1403", 5, 10, 0]],
                "تابستان": [RETURN_HEADER, [ID_B, "1403", 1, 1, 0], [ID_A, "۱۴۰۳", 5, 11, 0]],
            },
        )
    )
    error = only_error(report)
    assert located(error) == ("تابستان", 3, "شناسه ملی", "A", "duplicate")
    assert "بهار" in error.message_en
    assert_nothing_committable(report)


def test_combined_sheet_repeats_the_enterprise_beside_each_return(tmp_path):
    header = ["شناسه ملی", "نام بنگاه", "کد فعالیت", "استان", "دوره", "فروش"]
    rows = [
        header,
        [ID_A, "الف", "1311", "یزد", "1402", 10],
        [ID_A, "الف", "1311", "یزد", "1403", 12],
        [ID_B, None, None, None, "1403", 3],
    ]
    report = dry_run(write_xlsx(tmp_path / "c.xlsx", {"s": rows}), known_enterprises=[ID_B])
    assert not report.blocking, report.to_text("en")
    assert report.enterprises["national_id"].tolist() == [ID_A]  # ID_B is already registered
    assert report.returns[["national_id", "period", "sales"]].values.tolist() == [
        [ID_A, "1402", 10.0], [ID_A, "1403", 12.0], [ID_B, "1403", 3.0],
    ]  # fmt: skip
    rows[2][3] = "تهران"  # the same enterprise with another province
    conflict = dry_run(write_xlsx(tmp_path / "c2.xlsx", {"s": rows}))
    error = only_error(conflict)
    assert (error.row, error.column_letter, error.code) == (3, "D", "duplicate")


def test_return_for_an_unregistered_enterprise(tmp_path):
    rows = [RETURN_HEADER, [ID_A, "1403", 1, 1, 0], [ID_B, "1403", 1, 1, 0]]
    report = dry_run(write_xlsx(tmp_path / "k.xlsx", {"s": rows}), known_enterprises={int(ID_A)})
    error = only_error(report)
    assert (error.row, error.code, error.value) == (3, "unknown_enterprise", ID_B)
    assert_nothing_committable(report)


# --- units --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "typed", "million_rials"),
    [
        ("فروش (ریال)", "12,345,000,000", 12_345.0),
        ("فروش (هزار ریال)", "۱۲٬۳۴۵٬۰۰۰", 12_345.0),
        ("فروش (میلیون ریال)", "12345", 12_345.0),
        ("فروش (میلیارد ریال)", "12.345", 12_345.0),
        ("فروش (تومان)", "1,234,500,000", 12_345.0),
        ("Sales (thousand rials)", "12345000", 12_345.0),
        ("فروش به میلیون‌تومان", "1234.5", 12_345.0),
    ],
)
def test_units_in_the_header_convert_exactly_to_million_rials(
    tmp_path, header, typed, million_rials
):
    path = write_csv(tmp_path / "u.csv", [["شناسه ملی", "دوره", header], [ID_A, "1403", typed]])
    report = dry_run(path)
    assert not report.blocking, report.to_text("en")
    assert report.returns["sales"].tolist() == [million_rials]


def test_unit_column_per_row(tmp_path):
    rows = [
        ["شناسه ملی", "دوره", "واحد", "فروش", "تعداد شاغلان"],
        [ID_A, "1403", "ریال", 5_000_000_000, 10],
        [ID_B, "1403", "هزار ریال", 5_000_000, 10],
        [ID_C, "1403", None, 5_000, 10],
        [ID_A, "1402", "دلار", 5, 10],
    ]
    report = dry_run(write_xlsx(tmp_path / "uc.xlsx", {"s": rows}))
    assert report.parsed_returns["sales"].tolist()[:3] == [5000.0, 5000.0, 5000.0]
    assert report.parsed_returns["employees"].tolist()[:3] == [10.0, 10.0, 10.0]  # never converted
    error = only_error(report)
    assert (error.row, error.column_letter, error.code, error.value) == (5, "C", "unit", "دلار")


def test_unit_column_contradicting_the_header(tmp_path):
    rows = [["شناسه ملی", "دوره", "واحد", "فروش (ریال)"], [ID_A, "1403", "میلیون ریال", 5]]
    error = only_error(dry_run(write_xlsx(tmp_path / "x.xlsx", {"s": rows})))
    assert (error.row, error.column_letter, error.code) == (2, "C", "unit")


# --- unit slips -----------------------------------------------------------------------------------


def test_unit_slip_against_the_previous_return_is_a_warning(tmp_path):
    previous = pd.DataFrame(
        {
            "national_id": [ID_A, ID_A, ID_B],
            "year": [1401, 1402, 1402],
            "sales": [9_000.0, 11_000.0, 800.0],
            "exports": [0.0, 0.0, 10.0],
        }
    )
    rows = [
        RETURN_HEADER,
        [ID_A, "1403", 12, 14_300_000, 0],  # typed in thousand rials: 1300 × 11,000
        [ID_B, "1403", 8, 1_040, 12],  # 30% growth: fine
        [ID_C, "1403", 8, 5_000_000, 0],  # no history: nothing to compare
    ]
    report = dry_run(write_xlsx(tmp_path / "slip.xlsx", {"s": rows}), previous=previous)
    assert not report.blocking
    (warning,) = report.warnings
    assert located(warning) == ("s", 2, "فروش (میلیون ریال)", "D", "unit_slip")
    assert warning.value == "14300000"
    assert "1,000 times more than in 1402 (11,000)" in warning.message_en
    assert "میلیون ریال" in warning.message_fa
    assert report.returns["sales"].tolist() == [
        14_300_000.0,
        1_040.0,
        5_000_000.0,
    ]  # warnings may be accepted


def test_unit_slip_downwards_and_within_the_file(tmp_path):
    rows = [RETURN_HEADER, [ID_A, "1402", 10, 52_000, 0], [ID_A, "1403", 10, 60, 0]]
    report = dry_run(write_xlsx(tmp_path / "s.xlsx", {"s": rows}))
    (warning,) = report.warnings
    assert (warning.row, warning.code) == (3, "unit_slip")
    assert "less" in warning.message_en and "billion rials" in warning.message_en


def test_unit_slip_ignores_the_stored_return_of_the_same_period():
    previous = pd.DataFrame({"national_id": [ID_A], "period": ["1403"], "sales": [12.0]})
    report = validate_records(
        [{"national_id": ID_A, "period": "1403", "sales": 12_000}], previous=previous
    )
    assert report.warnings == []


def test_unit_slip_rule_parameters():
    rule = UnitSlipRule(tolerance=2)
    assert rule.exponent(
        pd.Series([1000.0, 3000.0, 1e6, 1e-3, 1.3, 200.0]).to_numpy()
    ).tolist() == [3, 0, 6, -3, 0, 0]
    with pytest.raises(ValueError, match="tolerance"):
        UnitSlipRule(tolerance=1)


# --- other doors --------------------------------------------------------------------------------


def test_validate_records_for_web_forms_uses_field_codes():
    report = validate_records(
        [{"national_id": "۱۰۳۸۰۲۸۴۷۹۰", "period": "۱۴۰۳", "sales": "۱۲٬۵۰۰", "exports": "۱۳٬۰۰۰"}]
    )
    error = only_error(report)
    assert (error.sheet, error.row, error.field, error.code) == (
        "form",
        1,
        "exports",
        "consistency",
    )


def test_validate_frames_numbers_rows_as_excel_would():
    returns = pd.DataFrame(
        {
            "national_id": [ID_A, wrong_check_digit(ID_B)],
            "period": ["1403", "1403"],
            "sales": [1.0, 2.0],
        }
    )
    error = only_error(validate_frames(returns=returns))
    assert (error.sheet, error.row, error.field, error.code) == (
        "returns",
        3,
        "national_id",
        "check_digit",
    )


def test_clean_file_gives_canonical_frames(tmp_path):
    registry = [REGISTRY_HEADER, [ID_A, f"کاشی{ZWNJ}های یزد", "2392", "یزد", "E072", "۱۳۸۰"]]
    returns = [RETURN_HEADER, [ID_A, "1403", 25, "4,500", "1,200"]]
    report = dry_run(
        write_xlsx(tmp_path / "ok.xlsx", {"بنگاه‌ها": registry, "اظهارنامه‌ها": returns}),
        estates=ESTATES,
    )
    assert report.problems == ()
    assert report.counts == {
        "rows_read": 2,
        "errors": 0,
        "warnings": 0,
        "enterprises": 1,
        "returns": 1,
    }
    enterprises, returns_frame = report.records_to_commit()
    assert enterprises.to_dict("records") == [
        {"national_id": ID_A, "name_fa": f"کاشی{ZWNJ}های یزد", "name_en": None,
         "isic_class": "2392", "province_code": YAZD, "estate_code": "E072", "founding_year": 1380},
    ]  # fmt: skip
    assert str(enterprises["province_code"].dtype) == "Int64"
    row = returns_frame.iloc[0]
    assert (row["national_id"], row["period"], row["year"]) == (ID_A, "1403", 1403)
    assert (row["employees"], row["sales"], row["exports"]) == (25.0, 4500.0, 1200.0)
    assert pd.isna(row["net_profit"])
    assert list(returns_frame.columns[:4]) == ["national_id", "period", "year", "quarter"]


def test_combined_sheet_fills_details_given_on_a_later_row(tmp_path):
    header = ["شناسه ملی", "نام بنگاه", "کد فعالیت", "استان", "شهرک صنعتی", "دوره", "فروش"]
    rows = [
        header,
        [ID_A, "الف", "1311", "یزد", None, "1402", 1],
        [ID_A, "الف", "1311", "یزد", "E072", "1403", 2],
    ]
    report = dry_run(write_xlsx(tmp_path / "f.xlsx", {"s": rows}), estates=ESTATES)
    assert report.problems == ()
    assert report.enterprises[["national_id", "estate_code", "province_code"]].values.tolist() == [
        [ID_A, "E072", YAZD]
    ]


def test_persian_messages_have_persian_digits_and_field_names(tmp_path):
    """Issue 18: row numbers, years and IDs in Latin digits, and raw keys such as
    'isic_class, province_code', inside Persian messages."""
    rows = [
        "شناسه ملی,نام بنگاه,کد آیسیک,استان,دوره,سال تأسیس",
        "10380284790,الف,1311,یزد,1403,2010",
        "10380284790,الف,1512,تهران,1403,1100",
        "جمع کل,,,,,",
    ]
    path = tmp_path / "f.csv"
    path.write_text("\n".join(rows), encoding="utf-8")
    report = dry_run(path)
    assert {p.code for p in report.problems} >= {"year", "range", "duplicate", "total_row"}
    for problem in report.problems:
        prose = re.sub("«[^»]*»", "", problem.message_fa)
        assert not re.search("[0-9]", prose), problem.message_fa
        assert "isic_class" not in problem.message_fa and "province_code" not in prose
    assert not re.search("[0-9]", re.sub("«[^»]*»", "", report.to_text("fa")))
