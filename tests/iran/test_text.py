from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rasad.errors import RasadInputError
from rasad.iran.text import (
    format_number,
    normalize_text,
    parse_number,
    persian_numbers,
    search_key,
    to_latin_digits,
    to_persian_digits,
)

ZWNJ = "\u200c"


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("علي  كريمي", "علی کریمی"),
        ("  كرمان\t\n", "کرمان"),
        ("مصطفى", "مصطفی"),  # alef maksura
        ("سـلامـــت", "سلامت"),  # tatweel
        ("کِتابٌ", "کتاب"),  # harakat
        ("مدرسة", "مدرسه"),
        ("خانۀ ما", "خانه ما"),
        ("خانهٔ ما", "خانه ما"),
        ("ﻋﻠﻲ ﻛﺮﻳﻤﻲ", "علی کریمی"),  # presentation forms, as copied from a PDF
        (f"می{ZWNJ}{ZWNJ}{ZWNJ}روم", f"می{ZWNJ}روم"),
        (f"کتاب {ZWNJ}ها", "کتاب ها"),
        (f"کتاب{ZWNJ} ها", "کتاب ها"),
        (f"{ZWNJ}تهران{ZWNJ}", "تهران"),
        ("\u200fتهران\u200e", "تهران"),
        ("\ufeffشرکت\u200bصنعتی", "شرکتصنعتی"),
        ("ن\u200dو", "نو"),
        ("\u202bفارس\u202c", "فارس"),
        ("a\u00a0\u00a0b", "a b"),
        ("۱۲3٤ ريال", "۱۲3٤ ریال"),  # digits are left alone
        ("", ""),
    ],
)
def test_normalize_text(dirty, clean):
    assert normalize_text(dirty) == clean


def test_normalize_text_keeps_a_meaningful_zwnj():
    assert normalize_text(f"شهرک{ZWNJ}های صنعتی") == f"شهرک{ZWNJ}های صنعتی"


@given(st.text())
def test_normalize_text_is_idempotent(s):
    once = normalize_text(s)
    assert normalize_text(once) == once
    assert "  " not in once and ZWNJ * 2 not in once
    assert not once.startswith((" ", ZWNJ)) and not once.endswith((" ", ZWNJ))
    assert not set(once) & set("يكـ\u200b\u200d\u200e\u200f\ufeff")


def test_digit_conversion():
    assert to_latin_digits("۰۱۲۳۴۵۶۷۸۹ ٠١٢٣٤٥٦٧٨٩") == "0123456789 0123456789"
    assert to_persian_digits("0123456789 ٠١٢٣٤٥٦٧٨٩") == "۰۱۲۳۴۵۶۷۸۹ ۰۱۲۳۴۵۶۷۸۹"
    assert to_latin_digits("شرکت ۱۲") == "شرکت 12"


@given(st.text())
def test_digit_round_trip(s):
    assert to_latin_digits(to_persian_digits(s)) == to_latin_digits(s)
    assert to_persian_digits(to_latin_digits(s)) == to_persian_digits(s)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("۱۲٬۳۴۵٫۶", 12345.6),
        ("١٢,٣٤٥", 12345.0),
        ("(1,200)", -1200.0),
        ("(۱٬۲۰۰)", -1200.0),
        ("-5", -5.0),
        ("−5.25", -5.25),
        ("+7", 7.0),
        ("- 7", -7.0),
        ("1234567", 1234567.0),
        ("1,234,567.5", 1234567.5),
        ("0.5", 0.5),
        ("٫۵", 0.5),
        ("007", 7.0),
        (f" {ZWNJ}۴۲\u200f ", 42.0),
        ("\u00a012٬000\u00a0", 12000.0),
    ],
)
def test_parse_number(text, value):
    assert parse_number(text) == pytest.approx(value, rel=0, abs=1e-9)


@pytest.mark.parametrize("value", [12, 12.5, -3, np.int64(4), np.float32(0.5), Decimal("2.25")])
def test_parse_number_passes_numbers_through(value):
    result = parse_number(value)
    assert isinstance(result, float) and result == float(value)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "1,2,3",
        "12,34",
        "1234,567",
        "1,234٬567",
        "۱۲،۳۴۵",
        "12%",
        "۱۲٪",
        "12 345",
        "1.2.3",
        "1.234,5",
        "1.2E+07",
        "inf",
        "nan",
        "12 ریال",
        "(-5)",
        "--5",
        "5-",
        "5.",
        "1403/07",
        "١٢a",
        "१२",  # Devanagari digits are not ours to read
        True,
        None,
    ],
)
def test_parse_number_rejects(text):
    with pytest.raises(RasadInputError) as caught:
        parse_number(text, field="sales")
    error = caught.value
    assert error.field == "sales" and error.value == text
    assert "not a number" in error.message_en and "sales" in error.message_en
    assert "عدد نیست" in error.message_fa and f"«{text}»" in error.message_fa


def test_parse_number_explains_bad_grouping():
    with pytest.raises(RasadInputError, match="groups of three digits"):
        parse_number("1,2,3")


@pytest.mark.parametrize(
    ("x", "kwargs", "text"),
    [
        (1234567.891, {"decimals": 2}, "۱٬۲۳۴٬۵۶۷٫۸۹"),
        (1234567.891, {"decimals": 2, "persian_digits": False}, "1,234,567.89"),
        (-1200, {}, "-۱٬۲۰۰"),
        (999.5, {}, "۱٬۰۰۰"),
        (-0.001, {}, "۰"),
        (-0.001, {"decimals": 2}, "۰٫۰۰"),
        (12, {"persian_digits": False}, "12"),
        (np.float64(0.25), {"decimals": 1, "persian_digits": False}, "0.2"),
    ],
)
def test_format_number(x, kwargs, text):
    assert format_number(x, **kwargs) == text


@pytest.mark.parametrize("x", [float("nan"), float("inf")])
def test_format_number_refuses_missing_values(x):
    with pytest.raises(ValueError):
        format_number(x)


@given(
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
    st.integers(min_value=0, max_value=3),
    st.booleans(),
)
def test_format_parse_round_trip(x, decimals, persian):
    text = format_number(x, decimals=decimals, persian_digits=persian)
    assert parse_number(text) == pytest.approx(round(x, decimals), abs=10**-decimals)


def test_search_key_reads_space_zwnj_arabic_letters_and_digits_alike():
    keys = {
        search_key(s)
        for s in ("ریخته‌گری ۲", "ریخته گری 2", "ريخته  گري ٢", " ریخته\u200c\u200cگری 2 ")
    }
    assert keys == {"ریخته گری 2"}
    assert search_key("كاشي") == search_key("کاشی") == "کاشی"
    assert search_key("\u200c") == ""


def test_persian_numbers_in_persian_prose_but_not_in_quotes_or_codes():
    text = (
        "ردیف 3 از 1,200 ردیف؛ «1403» در IR-07، UTF-8، 1403-Q2، E050، a_2020.csv، "
        "indicators[0].code و 1.04E+10"
    )
    assert persian_numbers(text) == (
        "ردیف ۳ از ۱٬۲۰۰ ردیف؛ «1403» در IR-07، UTF-8، 1403-Q2، E050، a_2020.csv، "
        "indicators[0].code و 1.04E+10"
    )


def test_every_persian_message_of_an_input_error_has_persian_numbers():
    error = RasadInputError("row 3 of 12", "ردیف 3 از 12")
    assert error.message_fa == "ردیف ۳ از ۱۲" and error.message_en == "row 3 of 12"
