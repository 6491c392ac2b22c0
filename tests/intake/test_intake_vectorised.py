"""The column-at-once paths of reading and checking say exactly what the cell-by-cell
paths say.

A national upload is read and checked a column at a time (pandas' CSV parser, plain
numbers read in bulk, distinct values parsed once, enterprises repeated in agreement
merged at once). Each of these has a careful path it falls back to, the one that
was once the only path; here the careful paths are forced and must give the same
problems (sheet, row, column, value, both messages) and the same records on nasty
files.
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from intake_builders import ESTATES, ID_A, ID_B, ID_C, write_csv, write_xlsx, wrong_check_digit

from rasad.errors import RasadInputError
from rasad.intake import read as reading
from rasad.intake import validate
from rasad.intake.read import read_bytes, read_file
from rasad.intake.validate import validate_workbook
from rasad.intake.validation import cells, codes, numbers, text
from rasad.intake.validation.sheet import FastPaths
from rasad.iran.text import parse_number, to_latin_digits

HEADER = ["شناسه ملی", "نام بنگاه", "استان", "شهرک", "کد ISIC", "دوره", "فروش", "صادرات",
          "تعداد کارکنان", "دانش‌بنیان", "ظرفیت مورد استفاده"]  # fmt: skip

NASTY_ROWS = [
    [ID_A, "شركت يك", "تهران", "E050", "1010", "1402", "۱۲۰۰", "٣٠٠", "12", "1", "55.5"],
    [ID_A, "شرکت یک", "تهران", "E050", "1010", "1403", "1,250", "(12)", "12.5", "بله", "120"],
    [ID_A, "شرکت دیگر", "تهران", "E050", "1010", "1401", "5.", ".5", "-", "۲", "50%"],
    [
        ID_B,
        "بنگاه\u200cدو",
        "",
        "شهرک صنعتی مأمونیه",
        "1010",
        "1403",
        "#N/A",
        "1e5",
        "7",
        "خیر",
        "٤٠٫٥",
    ],
    [ID_B, "بنگاه دو", "یزد", "E001", "1010", "1402", "1.2.3", "--4", "۷", "0", "40"],
    ["۱۰۳۸۰۲۸۴۷۹۰", "شرکت یک", "", "", "", "1400", "-0", "0", "\u200c", "", "0.0"],
    [wrong_check_digit(ID_C), "سه", "مرکزی", "E001", "101", "1403", "10", "20", "3", "yes", "1"],
    [ID_C, "سه", "مرکزی", "E001", "1010", "1399", " 12 ", "", "", "x", "-1"],
    [ID_C + " ", "سه", "مرکزی", "E001", "1010", "1398", "12٬500", "1٬2", "4", "1", "abc"],
    ["", "بی‌شناسه", "تهران", "", "1010", "1403", "1", "1", "1", "1", "1"],
    # implausible: sales of 2×10⁹ million rials typed with separators, 2,000,000 employees as a
    # plain number
    [ID_B, "بنگاه دو", "یزد", "E001", "1010", "1401", "۲٬۰۰۰٬۰۰۰٬۰۰۰", "", "2000000", "0", "40"],
]


def _careful(monkeypatch):
    """Force every careful path: the csv module, cell-by-cell numbers and parsers, the
    row-by-row merge of repeated enterprises."""
    monkeypatch.setattr(reading, "_fast_csv_cells", lambda text, delimiter: None)
    settle_nothing = lambda values: [cells.ASK_PARSER] * len(values)  # noqa: E731
    monkeypatch.setattr(
        validate,
        "FAST_PATHS",
        FastPaths(
            numbers=lambda cells: (np.full(len(cells), np.nan), np.zeros(len(cells), dtype=bool)),
            texts=settle_nothing,
            national_ids=settle_nothing,
            repeats=lambda allf, values, given, registry_only, keep: np.flatnonzero(
                allf["national_id"].notna().to_numpy()
            ),
        ),
    )


def _said(report):
    return (
        [
            (p.sheet, p.row, p.column, p.value, p.severity, p.code, p.message_en, p.message_fa)
            for p in report.problems
        ],
        report.parsed_enterprises,
        report.parsed_returns,
    )


def _same_reports(fast, careful):
    problems, enterprises, returns = _said(fast)
    expected_problems, expected_enterprises, expected_returns = _said(careful)
    assert problems == expected_problems
    assert enterprises.equals(expected_enterprises)
    assert returns.equals(expected_returns)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_fast_and_careful_paths_report_the_same_problems(tmp_path, monkeypatch, kind):
    rows = [HEADER, *NASTY_ROWS]
    path = (
        write_csv(tmp_path / "nasty.csv", rows)
        if kind == "csv"
        else write_xlsx(tmp_path / "nasty.xlsx", {"Returns": rows})
    )
    fast = validate_workbook(read_file(path), estates=ESTATES, known_enterprises=[ID_B])
    assert fast.blocking and len(fast.problems) > 20  # the file is as nasty as meant
    assert [(p.row, p.field) for p in fast.implausible] == [(12, "sales"), (12, "employees")]
    with monkeypatch.context() as patched:
        _careful(patched)
        careful = validate_workbook(read_file(path), estates=ESTATES, known_enterprises=[ID_B])
    _same_reports(fast, careful)


def test_repeated_enterprises_merge_the_same_at_once_or_row_by_row(tmp_path, monkeypatch):
    """Agreeing repeats, a detail stated only on a later row, a province that only the
    estate gives, and a later row contradicting an earlier one."""
    header = ["شناسه ملی", "نام بنگاه", "نام لاتین", "استان", "شهرک", "کد ISIC", "دوره", "فروش"]
    returns = [
        header,
        [ID_A, "یک", "", "", "E050", "1010", "1401", "1"],
        [ID_A, "یک", "One", "", "E050", "1010", "1402", "2"],
        [ID_A, "یک", "", "تهران", "", "1010", "1403", "3"],
        [ID_A, "یکم", "", "", "", "1010", "1404", "3"],
        [ID_B, "دو", "", "", "E001", "1010", "1401", "1"],
        [ID_B, "دو", "", "یزد", "", "1010", "1402", "2"],
        [ID_B, "دو", "", "یزد", "E001", "1010", "1400", "2"],
        [ID_C, "سه", "Three", "یزد", "E072", "1010", "1401", "1"],
        [ID_C, "سه", "Three", "یزد", "E072", "1010", "1402", "1"],
    ]
    registry = [
        header[:6],
        [ID_C, "سه", "Three", "یزد", "E072", "1010"],
        [ID_C, "سه", "", "", "E072", "1010"],
    ]
    path = write_xlsx(tmp_path / "repeats.xlsx", {"Registry": registry, "Returns": returns})
    fast = validate_workbook(read_file(path), estates=ESTATES)
    with monkeypatch.context() as patched:
        _careful(patched)
        careful = validate_workbook(read_file(path), estates=ESTATES)
    _same_reports(fast, careful)
    assert {p.code for p in fast.problems} >= {"duplicate", "estate_province"}


# --- the parts, on any input ---------------------------------------------------------

_CELL = st.text(
    alphabet="0123456789۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩.-,٬٫ e()%\u200c\n\0ab", min_size=1, max_size=8
)
_PLAIN = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


@settings(max_examples=300, deadline=None)
@given(st.lists(_CELL, max_size=12))
def test_plain_numbers_are_exactly_what_the_careful_parser_reads(cells):
    values, plain = numbers.plain_numbers(cells)
    for cell, value, is_plain in zip(cells, values, plain, strict=True):
        if is_plain:
            assert _PLAIN.fullmatch(to_latin_digits(cell))
            assert np.float64(parse_number(cell)).tobytes() == np.float64(value).tobytes()
        elif "\n" not in "".join(cells) and "\0" not in "".join(cells):
            assert not _PLAIN.fullmatch(to_latin_digits(cell))


_IDS = st.one_of(
    st.sampled_from(
        [ID_A, ID_B, ID_C, wrong_check_digit(ID_A), "10300000001", "۱۰۳۸۰۲۸۴۷۹۰", f" {ID_A}"]
    ),
    st.text(alphabet="0123456789", min_size=11, max_size=11),
    st.integers(min_value=10**10, max_value=10**11 - 1),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_IDS, max_size=10, unique_by=lambda v: (type(v), v)))
def test_national_ids_checked_at_once_match_the_one_by_one_check(values):
    for value, settled in zip(values, codes.valid_national_ids(values), strict=True):
        if settled is cells.ASK_PARSER:
            continue
        assert settled == codes.national_id(value)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet="ابيكی ک\u200c\u200e\ufeb0 \t\n۱a#/N!", max_size=10),
            st.sampled_from(["#N/A", " #REF! "]),
        ),
        max_size=10,
        unique=True,
    )
)
def test_texts_normalised_together_match_one_by_one(values):
    for value, settled in zip(values, text.texts(values), strict=True):
        if settled is cells.ASK_PARSER:
            with pytest.raises(cells.Bad):
                text.text(value)
            continue
        assert settled == text.text(value)


def test_distinct_values_keep_types_apart():
    codes, uniques = cells.distinct([1, 1.0, True, "1", None, 1, float("nan"), [1]])
    assert [uniques[k] if k >= 0 else None for k in codes.tolist()][:4] == [1, 1.0, True, "1"]
    assert [type(uniques[k]) for k in codes[:4].tolist()] == [int, float, bool, str]
    assert codes[4] == -1 and codes[6] == -1 and codes[0] == codes[5]


_CSV = st.text(alphabet='a1 ,;|"\n\r\t\u200c', max_size=40)


@settings(max_examples=500, deadline=None)
@given(_CSV, st.sampled_from([",", ";", "\t", "|", " "]))
@example(
    ';"\r";', ";"
)  # a quoted line break makes a record wider than its lines: its last, empty cell is dropped
def test_pandas_reads_a_csv_as_the_csv_module_does(text, delimiter):
    """Wherever the C reader answers, its records are the csv module's, padded with
    empty cells or short of trailing empty ones (either reads as blank, like a missing
    cell); a non-empty cell is never lost (the reader falls back to the csv module)."""
    cells = reading._fast_csv_cells(text, delimiter)
    if cells is None:
        return
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    assert len(cells) == len(records)
    for row, record in zip(cells.tolist(), records, strict=True):
        assert row[: len(record)] == record[: len(row)]
        assert all(cell == "" for cell in row[len(record) :])
        assert all(cell == "" for cell in record[len(row) :])


def test_unreadable_csv_still_falls_back_to_the_csv_module():
    assert reading._fast_csv_cells('a,"b\n', ",") is None  # an unterminated quote
    assert (
        reading._fast_csv_cells('a,b\n1,"\n",2,"\n",3\n', ",") is None
    )  # a record wider than any line
    assert reading._fast_csv_cells('a;"\r";b', ";") is None  # wider by one non-empty cell
    workbook = read_bytes(f'شناسه ملی,دوره,فروش\n{ID_A},1402,"12\n"\n'.encode(), "x.csv")
    assert workbook.sheets[0].values["sales"] == ["12\n"]


def test_a_nul_in_a_figure_is_not_read_as_a_number():
    with pytest.raises(RasadInputError):
        parse_number("12\0")
    values, plain = numbers.plain_numbers(["12\0", "13"])
    assert not plain.any()
