import datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rasad.errors import RasadInputError
from rasad.iran.periods import (
    MONTH_NAMES_EN,
    MONTH_NAMES_FA,
    Period,
    fiscal_year_bounds,
    format_jalali_date,
    gregorian_to_jalali,
    is_leap_year,
    jalali_to_gregorian,
)

D = datetime.date


def test_nowruz_dates():
    assert jalali_to_gregorian(1403, 1, 1) == D(2024, 3, 20)
    assert jalali_to_gregorian(1404, 1, 1) == D(2025, 3, 21)
    assert jalali_to_gregorian(1402, 1, 1) == D(2023, 3, 21)
    assert gregorian_to_jalali(D(2024, 3, 20)) == (1403, 1, 1)
    assert gregorian_to_jalali(datetime.datetime(2025, 3, 21, 23, 59)) == (1404, 1, 1)


def test_leap_years():
    assert is_leap_year(1403)
    assert not is_leap_year(1402)
    assert not is_leap_year(1404)
    assert [y for y in range(1395, 1410) if is_leap_year(y)] == [1395, 1399, 1403, 1408]


def test_esfand_30():
    assert jalali_to_gregorian(1403, 12, 30) == D(2025, 3, 20)
    with pytest.raises(RasadInputError) as caught:
        jalali_to_gregorian(1402, 12, 30)
    assert "1402-12-30" in caught.value.message_en
    assert "۱۴۰۲/۱۲/۳۰" in caught.value.message_fa


def test_fiscal_year_bounds():
    assert fiscal_year_bounds(1403) == (D(2024, 3, 20), D(2025, 3, 20))  # 366 days
    assert fiscal_year_bounds(1402) == (D(2023, 3, 21), D(2024, 3, 19))  # 365 days


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        (Period(1403), D(2024, 3, 20), D(2025, 3, 20)),
        (Period(1403, quarter=1), D(2024, 3, 20), D(2024, 6, 20)),  # 1403-01-01 .. 1403-03-31
        (Period(1403, quarter=2), D(2024, 6, 21), D(2024, 9, 21)),  # 1403-04-01 .. 1403-06-31
        (Period(1403, quarter=3), D(2024, 9, 22), D(2024, 12, 20)),  # 1403-07-01 .. 1403-09-30
        (Period(1403, quarter=4), D(2024, 12, 21), D(2025, 3, 20)),  # .. 1403-12-30 (leap)
        (Period(1402, quarter=4), D(2023, 12, 22), D(2024, 3, 19)),  # .. 1402-12-29
        (Period(1403, month=7), D(2024, 9, 22), D(2024, 10, 21)),
        (Period(1403, month=12), D(2025, 2, 19), D(2025, 3, 20)),
    ],
)
def test_period_bounds(period, start, end):
    assert period.start_date() == start
    assert period.end_date() == end
    assert (period.end_date() + datetime.timedelta(days=1)) == period.next().start_date()


def test_quarter_two_in_jalali_terms():
    q2 = Period(1403, quarter=2)
    assert gregorian_to_jalali(q2.start_date()) == (1403, 4, 1)
    assert gregorian_to_jalali(q2.end_date()) == (1403, 6, 31)


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("1403", Period(1403)),
        ("۱۴۰۳", Period(1403)),
        ("١٤٠٣", Period(1403)),
        ("سال ۱۴۰۳", Period(1403)),
        ("  1403 ", Period(1403)),
        ("1403-Q2", Period(1403, quarter=2)),
        ("1403Q2", Period(1403, quarter=2)),
        ("1403 q2", Period(1403, quarter=2)),
        ("۱۴۰۳-ف۲", Period(1403, quarter=2)),
        ("۱۴۰۳ - فصل ۲", Period(1403, quarter=2)),
        ("1403/07", Period(1403, month=7)),
        ("1403-07", Period(1403, month=7)),
        ("۱۴۰۳/۷", Period(1403, month=7)),
        (1403, Period(1403)),
        (np.int64(1403), Period(1403)),
    ],
)
def test_parse(text, period):
    assert Period.parse(text) == period


@pytest.mark.parametrize(
    ("text", "en", "fa"),
    [
        ("2024", "Gregorian", "میلادی"),
        ("1299", "between 1300 and 1500", "میان ۱۳۰۰ و ۱۵۰۰"),
        ("1501", "between 1300 and 1500", "میان ۱۳۰۰ و ۱۵۰۰"),
        ("1403-Q5", "Quarter 5", "فصل ۵"),
        ("1403-Q0", "Quarter 0", "فصل ۰"),
        ("1403/13", "Month 13", "ماه ۱۳"),
        ("1403/00", "Month 0", "ماه ۰"),
        ("03", "not a period", "دوره نیست"),
        ("1403-Q2-1", "not a period", "دوره نیست"),
        ("abc", "not a period", "دوره نیست"),
        ("", "not a period", "دوره نیست"),
        (None, "not a period", "دوره نیست"),
    ],
)
def test_parse_rejects(text, en, fa):
    with pytest.raises(RasadInputError) as caught:
        Period.parse(text)
    error = caught.value
    assert en in error.message_en and fa in error.message_fa
    assert repr(text) in error.message_en and f"«{text}»" in error.message_fa


@pytest.mark.parametrize(
    "kwargs",
    [
        {"year": 1403, "quarter": 1, "month": 1},
        {"year": "1403"},
        {"year": True},
        {"year": 1403, "quarter": 1.0},
    ],
)
def test_constructor_rejects(kwargs):
    with pytest.raises(RasadInputError):
        Period(**kwargs)


def test_constructor_stores_plain_ints():
    period = Period(np.int64(1403), quarter=np.int8(2))
    assert type(period.year) is int and type(period.quarter) is int
    assert period == Period(1403, 2)
    assert hash(period) == hash(Period(1403, 2))


@pytest.mark.parametrize(
    ("period", "code", "fa", "en"),
    [
        (Period(1403), "1403", "۱۴۰۳", "1403"),
        (Period(1403, quarter=2), "1403-Q2", "۱۴۰۳ - فصل ۲", "1403-Q2"),
        (Period(1403, month=7), "1403-07", "۱۴۰۳/۰۷", "1403/07"),
    ],
)
def test_code_and_labels(period, code, fa, en):
    assert period.code == code and str(period) == code
    assert period.label() == fa and period.label("fa") == fa
    assert period.label("en") == en


def test_previous_and_next():
    assert Period(1403).previous() == Period(1402)
    assert Period(1403, quarter=1).previous() == Period(1402, quarter=4)
    assert Period(1403, quarter=3).previous() == Period(1403, quarter=2)
    assert Period(1403, month=1).previous() == Period(1402, month=12)
    assert Period(1403, month=12).next() == Period(1404, month=1)
    assert Period(1403, quarter=4).next() == Period(1404, quarter=1)
    with pytest.raises(RasadInputError):
        Period(1300).previous()


def test_granularity_and_ordering():
    assert Period(1403).granularity == "year"
    assert Period(1403, quarter=1).granularity == "quarter"
    assert Period(1403, month=1).granularity == "month"
    quarters = [Period(1403, quarter=2), Period(1402, quarter=4), Period(1403, quarter=1)]
    assert [p.code for p in sorted(quarters)] == ["1402-Q4", "1403-Q1", "1403-Q2"]


def test_containing():
    day = D(2024, 9, 22)  # 1403-07-01
    assert Period.containing(day) == Period(1403)
    assert Period.containing(day, "quarter") == Period(1403, quarter=3)
    assert Period.containing(day, "month") == Period(1403, month=7)
    assert Period.containing(D(2024, 3, 19), "month") == Period(1402, month=12)
    with pytest.raises(ValueError):
        Period.containing(day, "week")


periods = st.one_of(
    st.builds(Period, st.integers(1300, 1500)),
    st.builds(Period, st.integers(1300, 1500), quarter=st.integers(1, 4)),
    st.builds(Period, st.integers(1300, 1500), month=st.integers(1, 12)),
)


@given(periods)
def test_parse_reads_its_own_codes_and_labels(period):
    assert Period.parse(period.code) == period
    assert Period.parse(period.label("fa")) == period
    assert Period.parse(period.label("en")) == period


@given(periods)
def test_periods_tile_the_calendar(period):
    start, end = period.start_date(), period.end_date()
    assert start <= end
    days = (end - start).days + 1
    expected = {"year": (365, 366), "quarter": (89, 90, 93), "month": (29, 30, 31)}
    assert days in expected[period.granularity]
    assert Period.containing(start, period.granularity) == period
    assert Period.containing(end, period.granularity) == period


def test_format_jalali_date():
    assert format_jalali_date(D(2024, 3, 20)) == "۱۴۰۳/۰۱/۰۱"
    assert format_jalali_date(D(2024, 3, 20), "en") == "1403-01-01"
    assert format_jalali_date(datetime.datetime(2025, 3, 20, 12, 0), "en") == "1403-12-30"


def test_month_names():
    assert len(MONTH_NAMES_FA) == len(MONTH_NAMES_EN) == 12
    assert (
        MONTH_NAMES_FA[0] == "فروردین"
        and MONTH_NAMES_FA[6] == "مهر"
        and MONTH_NAMES_FA[11] == "اسفند"
    )
    assert MONTH_NAMES_EN[0] == "Farvardin" and MONTH_NAMES_EN[11] == "Esfand"
