"""The default period: filing coverage by year and the latest period that has enough
(rasad.monitor.filing), on hand-computed cases."""

import datetime

import pandas as pd
import pytest

from rasad.errors import RasadInputError
from rasad.monitor import PeriodPolicy, filing_coverage

# A founded 1390, B blank, C founded 1404, D founded 1400.
ENTERPRISES = pd.DataFrame(
    {"national_id": ["A", "B", "C", "D"], "founding_year": [1390, None, 1404, 1400]}
)
# 1403: A and B filed (C did not exist yet: 3 expected); 1404: only A (4 expected).
RETURNS = pd.DataFrame({"national_id": ["A", "B", "A"], "year": [1403, 1403, 1404]})


def test_coverage_counts_the_enterprises_expected_each_year():
    coverage = filing_coverage(ENTERPRISES, RETURNS, {1404: datetime.date(2025, 7, 22)})
    assert coverage[["year", "expected", "filed"]].values.tolist() == [[1403, 3, 2], [1404, 4, 1]]
    assert coverage["coverage"].tolist() == pytest.approx([2 / 3, 1 / 4])
    assert coverage["deadline"].tolist() == [None, datetime.date(2025, 7, 22)]


def test_a_firm_that_filed_before_its_founding_year_counts_as_expected():
    returns = pd.concat([RETURNS, pd.DataFrame({"national_id": ["C"], "year": [1403]})])
    row = filing_coverage(ENTERPRISES, returns).iloc[0]
    assert (row["expected"], row["filed"]) == (4, 3)


def test_the_latest_period_with_enough_returns_is_chosen_and_says_why():
    choice = PeriodPolicy().choose(filing_coverage(ENTERPRISES, RETURNS), datetime.date(2025, 5, 1))
    assert (choice.year, choice.rule) == (1403, "coverage")
    assert [row["year"] for row in choice.passed_over] == [1404]
    assert choice.explain("en") == (
        "1403 is shown: 2 of 3 enterprises (67%) have filed. "
        "1404 is not yet: 1 of 4 (25%) have filed."
    )
    assert choice.explain("fa") == (
        "دورهٔ ۱۴۰۳ نشان داده می‌شود: ۲ از ۳ بنگاه (۶۷٪) اظهارنامه داده‌اند. "
        "دورهٔ ۱۴۰۴ هنوز کم‌پوشش است: ۱ از ۴ (۲۵٪)."
    )


def test_after_its_deadline_a_period_needs_less():
    coverage = filing_coverage(ENTERPRISES, RETURNS, {1404: datetime.date(2025, 7, 22)})
    before = PeriodPolicy().choose(
        coverage, datetime.date(2025, 7, 22)
    )  # the deadline day itself: not passed
    after = PeriodPolicy().choose(coverage, datetime.date(2025, 7, 23))
    assert (before.year, before.rule) == (1403, "coverage")
    assert (after.year, after.rule, after.passed_over) == (1404, "deadline", ())
    assert (
        after.explain("en")
        == "1404 is shown: its deadline has passed and 1 of 4 enterprises (25%) filed."
    )
    # a stricter rule after the deadline keeps 1403
    assert (
        PeriodPolicy(min_coverage_after_deadline=0.3)
        .choose(coverage, datetime.date(2026, 1, 1))
        .year
        == 1403
    )


def test_when_no_period_qualifies_the_best_covered_is_shown_and_said_so():
    choice = PeriodPolicy(min_coverage=0.9).choose(
        filing_coverage(ENTERPRISES, RETURNS), datetime.date(2025, 5, 1)
    )
    assert (choice.year, choice.rule) == (1403, "best")
    assert choice.explain("en").startswith(
        "1403 is shown: no period reaches 90% coverage, and this one has the "
        "most: 2 of 3 enterprises (67%)."
    )


def test_no_returns_no_period():
    choice = PeriodPolicy().choose(filing_coverage(ENTERPRISES, RETURNS.iloc[0:0]))
    assert choice.year is None and choice.explain("en") == "No returns have been filed yet."


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("min_coverage", 1.5),
        ("min_coverage", -0.1),
        ("min_coverage_after_deadline", "half"),
        ("min_coverage", True),
    ],
)
def test_thresholds_are_shares(field, value):
    with pytest.raises(RasadInputError) as error:
        PeriodPolicy(**{field: value})
    assert error.value.field == field and "بین ۰ و ۱" in error.value.message_fa
