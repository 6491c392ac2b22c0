"""Ordinary files are checked a column at a time: no cell of theirs meets a careful parser.

Every fast path hands what it cannot settle to a careful parser that gives the same
answers, so comparing answers (tests/intake/test_intake_vectorised.py) cannot tell a fast
path that works from one that always falls back. Here
:func:`rasad.intake.validation.fallbacks.watch` tells which cells took the careful way:
none on the files people send (the demo population's returns as a CSV and as an xlsx,
the template filled as senders fill it, the LibreOffice fixtures), and on a file with
one odd cell, that cell alone, with the same problem as ever.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from intake_builders import write_xlsx, wrong_check_digit

from rasad.demo import generate
from rasad.intake import default_fields, dry_run, validate, validate_records
from rasad.intake.validation import fallbacks
from rasad.intake.validation.cells import ASK_PARSER, Bad
from rasad.intake.validation.choices import boolean, not_yes_or_no
from rasad.intake.validation.fallbacks import Fallback
from rasad.intake.validation.numbers import numbers_at_once, plain_numbers
from rasad.intake.validation.sheet import FastPaths
from rasad.iran.text import parse_number, to_latin_digits, to_persian_digits

FIXTURES = Path(__file__).parents[1] / "fixtures"
REGISTRY = ["national_id", "name_fa", "name_en", "isic_class", "province_code", "estate_code",
            "founding_year"]  # fmt: skip


@pytest.fixture(scope="module")
def population():
    return generate(n_enterprises=40, seed=3)


def _returns(population) -> tuple[pd.DataFrame, pd.DataFrame]:
    returns = population.returns.drop(columns=["submitted_on"]).rename(columns={"year": "period"})
    return population.enterprises[REGISTRY], returns


def _rows(frame: pd.DataFrame) -> list[list]:
    cells = frame.astype(object).where(frame.notna(), None)
    return [list(frame.columns), *cells.to_numpy().tolist()]


def _demo_csv(population, path: Path, change=None) -> Path:
    """The registry and the returns side by side, as benchmarks/bench_import.py sends
    them; ``change(frame)`` spoils it first."""
    registry, returns = _returns(population)
    combined = registry.merge(returns, on="national_id").astype(object)
    if change is not None:
        change(combined)
    combined.to_csv(path, index=False)
    return path


def _checked(path: Path, population):
    with fallbacks.watch() as seen:
        report = dry_run(path, estates=population.estates)
    return report, seen


def test_the_demo_returns_as_a_csv_take_every_fast_path(tmp_path, population):
    report, seen = _checked(_demo_csv(population, tmp_path / "returns.csv"), population)
    assert not report.problems and len(report.returns) == len(population.returns)
    assert seen == []


def test_the_demo_returns_as_an_xlsx_take_every_fast_path(tmp_path, population):
    registry, returns = _returns(population)
    path = write_xlsx(
        tmp_path / "returns.xlsx", {"Enterprises": _rows(registry), "Returns": _rows(returns)}
    )
    report, seen = _checked(path, population)
    assert not report.problems and len(report.enterprises) == len(registry)
    assert seen == []


def test_the_template_filled_as_senders_fill_it_takes_every_fast_path(tmp_path):
    """Persian digits in IDs, years and figures, thousands separators ("۱۲٬۵۰۰"): the
    xlsx the LibreOffice fixtures were saved from, and the CSV LibreOffice made of it."""
    spec = importlib.util.spec_from_file_location("make", FIXTURES / "libreoffice" / "make.py")
    assert spec is not None and spec.loader is not None
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    for path in (make.filled(tmp_path / "filled.xlsx"), FIXTURES / "libreoffice/returns_utf8.csv"):
        with fallbacks.watch() as seen:
            report = dry_run(path)
        assert not report.blocking and len(report.returns) == 3
        assert seen == []


def test_a_web_form_of_typed_figures_takes_every_fast_path(population):
    registry, returns = _returns(population)
    record = {**registry.iloc[0].to_dict(), **returns.iloc[0].to_dict()}
    record["sales"] = "۱۲٬۵۰۰٫۵"
    with fallbacks.watch() as seen:
        report = validate_records([record], estates=population.estates)
    assert not report.blocking and report.returns["sales"].tolist() == [12500.5]
    assert seen == []


def _spoil(column: str, value):
    """Put ``value`` (or ``value(cell)``) in the cell of ``column`` at Excel row 9."""

    def change(frame: pd.DataFrame) -> None:
        frame.loc[7, column] = value(frame.loc[7, column]) if callable(value) else value

    return change


NOT_A_NUMBER = (
    "'12abc' is not a number: use digits, an optional sign, ٬ or , between thousands and ٫ or "
    ". before decimals.",
    "«12abc» عدد نیست: فقط رقم، علامت منفی، جداکننده هزارگان (٬ یا ,) و ممیز (٫ یا .) مجاز است.",
)
BADLY_GROUPED = (
    "'1٬2' is not a number: thousands separators must separate groups of three digits.",
    "«1٬2» عدد نیست: جداکننده هزارگان باید ارقام را سه‌تا سه‌تا جدا کند.",
)
EXCEL_ERROR = (
    "The cell shows the Excel error #N/A: fix the formula or type the value.",
    "خانه خطای اکسل #N/A را نشان می‌دهد: فرمول را درست کنید یا مقدار را تایپ کنید.",
)
CHECK_DIGIT = (
    "'{id}' is not a valid legal-entity national ID: its check digit (the last one) does not "
    "match, so a digit is probably mistyped.",
    "«{id}» شناسه ملی معتبر نیست: رقم کنترل (رقم آخر) با بقیه نمی‌خواند؛ احتمالاً رقمی "
    "اشتباه وارد شده است.",
)
DIFFERENT = (
    "The enterprise {id} is listed again with different details ({en}) than in returns, row 7; "
    "keep one row.",
    "بنگاه {id_fa} دوباره با مشخصات متفاوت ({fa}) نسبت به برگه «returns»، ردیف ۷ آمده است؛ "
    "یک ردیف را نگه دارید.",
)
NAMES = {"name_fa": ("Name (Persian)", "نام بنگاه"), "name_en": ("Name (English)", "نام لاتین")}


def _said(column: str, code: str, messages: tuple[str, str]):
    return [(9, column, code, *messages)]


@pytest.mark.parametrize(
    ("column", "value", "careful", "expected"),
    [
        ("sales", "12abc", [("sales", fallbacks.NUMBER)], _said("sales", "type", NOT_A_NUMBER)),
        ("employees", "1٬2", [("employees", fallbacks.NUMBER)],
         _said("employees", "type", BADLY_GROUPED)),
        ("national_id", wrong_check_digit, [("national_id", fallbacks.NATIONAL_ID)],
         _said("national_id", "check_digit", CHECK_DIGIT)),
        # The refused name leaves its row's name blank where it was given: the enterprise
        # disagrees with its other rows, which are then compared one by one.
        ("name_en", "#N/A",
         [("name_en", fallbacks.TEXT), ("national_id", fallbacks.REPEATED_ENTERPRISE)],
         _said("name_en", "duplicate", DIFFERENT) + _said("name_en", "excel_error", EXCEL_ERROR)),
        ("name_fa", "نامی دیگر", [("national_id", fallbacks.REPEATED_ENTERPRISE)],
         _said("name_fa", "duplicate", DIFFERENT)),
    ],
)  # fmt: skip
def test_one_odd_cell_alone_takes_the_careful_path(
    tmp_path, population, column, value, careful, expected
):
    """Only the odd cell meets a careful parser (and, where its enterprise's details then
    differ, only that enterprise's rows are compared one by one), with the problems the
    check has always reported."""
    path = _demo_csv(population, tmp_path / "returns.csv", _spoil(column, value))
    report, seen = _checked(path, population)
    frame = pd.read_csv(path, dtype=str)
    national_id = frame.loc[7, "national_id"]
    same = tuple(int(i) + 2 for i in np.flatnonzero(frame["national_id"] == national_id))
    rows = {fallbacks.REPEATED_ENTERPRISE: same}
    assert seen == [Fallback("returns", field, rows.get(reason, (9,)), reason)
                    for field, reason in careful]  # fmt: skip
    shown = {
        "id": national_id, "id_fa": to_persian_digits(national_id),
        "en": NAMES.get(column, ("",))[0], "fa": NAMES.get(column, ("", ""))[1],
    }  # fmt: skip
    assert [(p.row, p.field, p.code, p.message_en, p.message_fa) for p in report.problems] == [
        (*located, en.format(**shown), fa.format(**shown)) for *located, en, fa in expected
    ]


def _settle_nothing(values: list) -> list:
    return [ASK_PARSER] * len(values)


def _no_plain_numbers(cells: list[str]) -> tuple[np.ndarray, np.ndarray]:
    return np.full(len(cells), np.nan), np.zeros(len(cells), dtype=bool)


def _compare_every_repeat(allf, values, given, registry_only, keep) -> np.ndarray:
    return np.flatnonzero(allf["national_id"].notna().to_numpy())


def test_forcing_the_careful_paths_is_seen(tmp_path, population, monkeypatch):
    """tests/intake/test_intake_vectorised.py forces the careful paths by replacing the
    column-at-once parsers that rasad.intake.validate looks up: then every cell of every
    column with a fast path falls back, and the report is the same."""
    path = _demo_csv(population, tmp_path / "returns.csv")  # its yes/no written "1.0"
    monkeypatch.setattr(
        validate,
        "FAST_PATHS",
        FastPaths(
            numbers=_no_plain_numbers,
            texts=_settle_nothing,
            national_ids=_settle_nothing,
            repeats=_compare_every_repeat,
        ),
    )
    report, seen = _checked(path, population)
    assert not report.problems and len(report.returns) == len(population.returns)
    every_row = tuple(range(2, len(population.returns) + 2))
    fell_back = {(f.field, f.reason): f.rows for f in seen}
    assert fell_back[("national_id", fallbacks.NATIONAL_ID)] == every_row
    assert fell_back[("national_id", fallbacks.REPEATED_ENTERPRISE)] == every_row
    assert fell_back[("name_fa", fallbacks.TEXT)] == every_row
    sold = pd.read_csv(path, usecols=["sales"])["sales"].notna().to_numpy()
    assert fell_back[("sales", fallbacks.NUMBER)] == tuple(np.array(every_row)[sold].tolist())


_FIGURE = st.one_of(
    st.text(alphabet="0123456789۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩.-,٬٫ ()%\u200c", min_size=1, max_size=12),
    st.integers(min_value=0, max_value=10**9).map(lambda n: f"{n:,}"),
    st.integers(min_value=0, max_value=10**9).map(lambda n: f"{n:,}".replace(",", "٬")),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False),
    st.none(),
    st.booleans(),
)


_WELL_GROUPED = re.compile(r"-?[0-9]{1,3}(?:(?:,[0-9]{3})*|(?:٬[0-9]{3})*)(?:[.٫][0-9]+)?")


@settings(max_examples=400, deadline=None)
@given(st.lists(_FIGURE, max_size=12))
def test_figures_read_at_once_are_exactly_what_the_careful_parser_reads(cells):
    values, careful = numbers_at_once(cells, plain_numbers)
    left = set(careful.tolist())
    for i, cell in enumerate(cells):
        if cell is None:
            assert np.isnan(values[i]) and i not in left
        elif isinstance(cell, bool):
            assert i in left  # a yes/no is no quantity
        elif i not in left:
            assert np.float64(parse_number(cell)).tobytes() == np.float64(values[i]).tobytes()
        else:
            assert isinstance(cell, str)
            assert not _WELL_GROUPED.fullmatch(to_latin_digits(cell))


_YES_NO = st.one_of(
    _FIGURE,
    st.sampled_from(["1.0", "۱٫۰", "0.00", "1,0", "1e0", " 1 ", "بله", "خیر", "yes", "No", "-"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_YES_NO, max_size=12))
def test_a_yes_no_read_at_once_is_what_the_careful_parser_reads(cells):
    """The column-at-once reader and :func:`boolean` follow one rule: a yes/no word, or a
    number that is 1 or 0 however it is written; anything else is refused in the same
    words."""
    values, careful = numbers_at_once(cells, plain_numbers)
    for i, cell in enumerate(cells):
        if cell is None or i in careful:
            continue  # blank, or read by boolean() itself
        try:
            expected = np.float64(boolean(cell)).tobytes()
        except Bad as bad:
            expected = bad.message_en
        read = values[i]
        got = read.tobytes() if read in (0.0, 1.0) else not_yes_or_no(cell).message_en
        assert got == expected


@pytest.mark.parametrize(
    ("typed", "read"),
    [("1.0", 1.0), ("۱٫۰", 1.0), ("۱", 1.0), ("بله", 1.0), ("0.00", 0.0), ("خیر", 0.0)],
)
def test_a_typed_yes_no_is_read_one_way(population, typed, read):
    registry, returns = _returns(population)
    field = next(f.code for f in default_fields().indicators if f.kind == "boolean")
    record = {**registry.iloc[0].to_dict(), **returns.iloc[0].to_dict(), field: typed}
    with fallbacks.watch():
        report = validate_records([record], estates=population.estates)
    assert not report.blocking and report.returns[field].tolist() == [read]


def test_a_yes_no_that_is_neither_is_refused_in_both_languages(population):
    registry, returns = _returns(population)
    field = next(f.code for f in default_fields().indicators if f.kind == "boolean")
    record = {**registry.iloc[0].to_dict(), **returns.iloc[0].to_dict(), field: "۲"}
    report = validate_records([record], estates=population.estates)
    assert [(p.field, p.message_en, p.message_fa) for p in report.problems] == [
        (
            field,
            "'۲' is not yes or no: write 1 (yes) or 0 (no).",
            "«۲» بله یا خیر نیست: ۱ (بله) یا ۰ (خیر) بنویسید.",
        )
    ]
