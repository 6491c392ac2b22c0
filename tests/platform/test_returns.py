"""Returns are versioned: a correction adds a version, the earlier one stays."""

import pytest
from django.db import IntegrityError, transaction

from rasad.platform.returns.models import Observation, Period, Return, ReturnVersion
from rasad.platform.returns.services import InvalidReturn, record_return


@pytest.mark.django_db
def test_a_correction_keeps_the_earlier_version(enterprise, period, django_user_model):
    analyst = django_user_model.objects.create(username="a", role="analyst")
    first = record_return(enterprise, period, {"employees": 42, "sales": 120_000.0, "exports": None})
    assert first.changed and first.version.number == 1
    assert first.version.values() == {"employees": 42.0, "sales": 120_000.0}

    again = record_return(enterprise, period, {"employees": 42, "sales": 120_000.0})
    assert not again.changed and again.version == first.version
    assert ReturnVersion.objects.count() == 1

    fixed = record_return(
        enterprise, period, {"employees": 42, "sales": 125_500.0},
        user=analyst, source=ReturnVersion.Source.FILE, note="unit slip corrected",
    )
    assert fixed.changed and fixed.version.number == 2
    assert fixed.version.created_by == analyst and fixed.version.source == "file"
    record = Return.objects.get()
    assert record.current_version == fixed.version
    assert [v.values()["sales"] for v in record.versions.order_by("number")] == [120_000.0, 125_500.0]
    assert Observation.objects.count() == 4


@pytest.mark.django_db
def test_invalid_values_are_refused_and_nothing_is_saved(enterprise, period):
    with pytest.raises(InvalidReturn) as caught:
        record_return(enterprise, period, {"employees": -3, "capacity_utilisation": 130, "profit_x": 1})
    problems = {p.field: p for p in caught.value.problems}
    assert set(problems) == {"employees", "capacity_utilisation", "profit_x"}
    assert "outside the valid range" in problems["employees"].message_en
    assert "بیرون از بازهٔ مجاز" in problems["capacity_utilisation"].message_fa
    assert "Unknown indicator 'profit_x'" in problems["profit_x"].message_en
    assert not Return.objects.exists() and not ReturnVersion.objects.exists()


@pytest.mark.django_db
def test_one_return_per_enterprise_and_period(enterprise, period):
    Return.objects.create(enterprise=enterprise, period=period)
    with pytest.raises(IntegrityError), transaction.atomic():
        Return.objects.create(enterprise=enterprise, period=period)


@pytest.mark.django_db
def test_periods_are_unique_per_year_and_quarter():
    Period.objects.create(year=1403)
    Period.objects.create(year=1403, quarter=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Period.objects.create(year=1403)
    with pytest.raises(IntegrityError), transaction.atomic():
        Period.objects.create(year=1403, quarter=2)


@pytest.mark.django_db
def test_period_dates_are_jalali_fiscal_years():
    year = Period.objects.create(year=1403)
    assert (year.start_date.isoformat(), year.end_date.isoformat()) == ("2024-03-20", "2025-03-20")
    assert year.code == "1403"
    quarter = Period.objects.create(year=1403, quarter=2)
    assert (quarter.start_date.isoformat(), quarter.end_date.isoformat()) == ("2024-06-21", "2024-09-21")
