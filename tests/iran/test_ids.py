import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rasad.errors import RasadInputError
from rasad.iran.ids import (
    is_valid_legal_id,
    is_valid_personal_code,
    legal_id_check_digit,
    make_legal_id,
    make_legal_ids,
    personal_code_check_digit,
    validate_legal_id,
    validate_personal_code,
)

# Real examples quoted in the reference README, verified against three implementations.
VALID_LEGAL = ["10380284790", "14007650912", "10320894878"]
INVALID_LEGAL = ["11053639140", "10380285692"]
VALID_PERSONAL = ["0499370899", "0790419904", "0084575948"]
INVALID_PERSONAL = ["0684159415", "1111111111"]


@pytest.mark.parametrize(
    ("first10", "check"), [("1038028479", 0), ("1400765091", 2), ("1032089487", 8)]
)
def test_legal_id_check_digit(first10, check):
    assert legal_id_check_digit(first10) == check


def test_legal_id_check_digit_of_the_invalid_examples():
    # Their last digits (0 and 2) are not what the algorithm gives.
    assert legal_id_check_digit("1105363914") == 8
    assert legal_id_check_digit("1038028569") == 4


@pytest.mark.parametrize("nid", VALID_LEGAL)
def test_valid_legal_ids(nid):
    assert is_valid_legal_id(nid)
    assert validate_legal_id(nid) == nid
    assert make_legal_id(nid[:10]) == nid


@pytest.mark.parametrize("nid", INVALID_LEGAL + ["00000000000", "12300000005", "1038028479", ""])
def test_invalid_legal_ids(nid):
    assert not is_valid_legal_id(nid)
    with pytest.raises(RasadInputError):
        validate_legal_id(nid)


def test_validate_legal_id_normalises_digits_and_spacing():
    assert validate_legal_id(" ۱۰۳۸۰۲۸۴۷۹۰\u200c") == "10380284790"
    assert validate_legal_id("١٤٠٠٧٦٥٠٩١٢") == "14007650912"
    assert validate_legal_id(10320894878) == "10320894878"
    assert validate_legal_id(10320894878.0) == "10320894878"  # as read from Excel


@pytest.mark.parametrize(
    ("value", "en", "fa"),
    [
        ("1038028479", "has 11 digits, this one has 10", "۱۱ رقم دارد، این یکی ۱۰ رقم دارد"),
        ("1038028479-0", "only digits", "فقط از رقم"),
        ("10380285692", "check digit", "رقم کنترل"),
        ("12300000005", "digits 4 to 9", "چهارم تا نهم"),
        (None, "only digits", "فقط از رقم"),
    ],
)
def test_validate_legal_id_says_what_is_wrong(value, en, fa):
    with pytest.raises(RasadInputError) as caught:
        validate_legal_id(value, field="national_id")
    error = caught.value
    assert en in error.message_en and fa in error.message_fa
    assert error.field == "national_id" and error.value == value
    assert "national_id" in error.message_en and f"«{value}»" in error.message_fa


def test_legal_id_check_digit_needs_ten_digits():
    with pytest.raises(RasadInputError):
        legal_id_check_digit("123")


def test_make_legal_id_refuses_an_impossible_prefix():
    with pytest.raises(RasadInputError, match="digits 4 to 9"):
        make_legal_id("1230000000")


ten_digits = st.text(alphabet="0123456789", min_size=10, max_size=10)


@given(ten_digits)
def test_make_legal_id_is_always_valid(first10):
    if int(first10[3:9]) == 0:
        with pytest.raises(RasadInputError):
            make_legal_id(first10)
        return
    nid = make_legal_id(first10)
    assert nid[:10] == first10 and is_valid_legal_id(nid)
    wrong_last = nid[:10] + str((int(nid[10]) + 1) % 10)
    assert not is_valid_legal_id(wrong_last)


def test_make_legal_ids_matches_make_legal_id():
    rng = np.random.default_rng(1403)
    prefixes = rng.integers(0, 10**10, 20_000)
    prefixes = prefixes[(prefixes // 10) % 10**6 != 0]
    expected = [make_legal_id(f"{p:010d}") for p in prefixes]
    ids = make_legal_ids(prefixes)
    assert ids.dtype == np.dtype("U11")
    assert ids.tolist() == expected
    as_text = np.array([f"{p:010d}" for p in prefixes])
    assert make_legal_ids(as_text).tolist() == expected
    assert make_legal_ids(pd.Series(as_text[:50], dtype=object)).tolist() == expected[:50]
    assert all(is_valid_legal_id(nid) for nid in ids[:2000])


def test_make_legal_ids_reads_persian_digits_and_empty_input():
    assert make_legal_ids(["۱۰۳۸۰۲۸۴۷۹", "1400765091"]).tolist() == ["10380284790", "14007650912"]
    assert make_legal_ids(np.array([], dtype=np.int64)).shape == (0,)


@pytest.mark.parametrize(
    "bad",
    [np.array([-1]), np.array([10**10]), ["123"], ["12345678901"], ["103802847x"], [1.5]],
)
def test_make_legal_ids_rejects_bad_prefixes(bad):
    with pytest.raises(RasadInputError):
        make_legal_ids(bad)


def test_make_legal_ids_rejects_impossible_prefixes():
    with pytest.raises(RasadInputError, match="digits 4 to 9"):
        make_legal_ids(np.array([1038028479, 1230000000]))


def test_make_legal_ids_is_fast():
    prefixes = np.random.default_rng(0).integers(10**9, 10**10, 1_000_000)
    prefixes[(prefixes // 10) % 10**6 == 0] += 10
    make_legal_ids(prefixes[:1000])
    start = time.perf_counter()
    ids = make_legal_ids(prefixes)
    elapsed = time.perf_counter() - start
    assert len(ids) == 1_000_000
    assert elapsed < 1.0, f"1e6 IDs took {elapsed:.2f} s"


@pytest.mark.parametrize("code", VALID_PERSONAL)
def test_valid_personal_codes(code):
    assert is_valid_personal_code(code)
    assert validate_personal_code(code) == code
    assert personal_code_check_digit(code[:9]) == int(code[9])


@pytest.mark.parametrize("code", INVALID_PERSONAL + ["0000000000", "123", "04993708990", ""])
def test_invalid_personal_codes(code):
    assert not is_valid_personal_code(code)
    with pytest.raises(RasadInputError):
        validate_personal_code(code)


def test_personal_code_left_pads_lost_zeros():
    assert validate_personal_code("499370899") == "0499370899"
    assert validate_personal_code("84575948") == "0084575948"
    assert validate_personal_code(84575948) == "0084575948"
    assert validate_personal_code("۰۷۹۰۴۱۹۹۰۴") == "0790419904"
    assert not is_valid_personal_code("4575948")


def test_personal_code_errors_are_bilingual():
    with pytest.raises(RasadInputError) as caught:
        validate_personal_code("1111111111", field="owner_code")
    assert "repeat one digit" in caught.value.message_en
    assert "کد ملی" in caught.value.message_fa
    with pytest.raises(RasadInputError) as caught:
        validate_personal_code("0684159415")
    assert "check digit" in caught.value.message_en and "رقم کنترل" in caught.value.message_fa
