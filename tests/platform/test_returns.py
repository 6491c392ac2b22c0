"""Returns are versioned: a correction adds a version, the earlier one stays."""

import pytest
from django.db import IntegrityError, transaction

from rasad.platform.returns.models import Period, Return, ReturnVersion
from rasad.platform.returns.services import InvalidReturn, record_return


@pytest.mark.django_db
def test_a_correction_keeps_the_earlier_version(enterprise, period, django_user_model):
    analyst = django_user_model.objects.create(username="a", role="analyst")
    first = record_return(
        enterprise, period, {"employees": 42, "sales": 120_000.0, "exports": None}
    )
    assert first.changed and first.version.number == 1
    assert first.version.values() == {"employees": 42.0, "sales": 120_000.0}

    again = record_return(enterprise, period, {"employees": 42, "sales": 120_000.0})
    assert not again.changed and again.version == first.version
    assert ReturnVersion.objects.count() == 1

    fixed = record_return(
        enterprise,
        period,
        {"employees": 42, "sales": 125_500.0},
        user=analyst,
        source=ReturnVersion.Source.FILE,
        note="unit slip corrected",
    )
    assert fixed.changed and fixed.version.number == 2
    assert fixed.version.created_by == analyst and fixed.version.source == "file"
    record = Return.objects.get()
    assert record.current_version == fixed.version
    assert [v.values()["sales"] for v in record.versions.order_by("number")] == [
        120_000.0,
        125_500.0,
    ]
    assert sum(len(v.figures) for v in ReturnVersion.objects.all()) == 4


@pytest.mark.django_db
def test_invalid_values_are_refused_and_nothing_is_saved(enterprise, period):
    with pytest.raises(InvalidReturn) as caught:
        record_return(
            enterprise, period, {"employees": -3, "capacity_utilisation": 130, "profit_x": 1}
        )
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
    assert (quarter.start_date.isoformat(), quarter.end_date.isoformat()) == (
        "2024-06-21",
        "2024-09-21",
    )


@pytest.mark.django_db
def test_many_returns_at_once_follow_the_same_rules(enterprise, period, yazd):
    import math

    import pandas as pd

    from rasad.platform.registry.models import Enterprise, Sector
    from rasad.platform.returns.services import record_returns

    other = Enterprise.objects.create(
        national_id="14007650912",
        name_fa="دیگری",
        isic=Sector.objects.get(code="1311"),
        province=yazd,
    )
    earlier = Period.objects.create(year=1402)
    rows = pd.DataFrame(
        {
            "enterprise_id": [enterprise.pk, enterprise.pk, other.pk],
            "period_id": [earlier.pk, period.pk, period.pk],
            "employees": [40.0, 42.0, 7.0],
            "sales": [100_000.0, 120_000.0, math.nan],
        }
    )
    first = record_returns(rows, note="first file")
    assert (first.created, first.changed, first.unchanged) == (3, 0, 0)
    record = Return.objects.get(enterprise=other, period=period)
    assert record.current_version.values() == {"employees": 7.0}  # NaN: not reported
    assert record.current_version.source == "file" and record.current_version.note == "first file"

    again = record_returns(rows)
    assert (again.created, again.changed, again.unchanged) == (0, 0, 3)
    assert (
        ReturnVersion.objects.count() == 3
        and sum(len(v.figures) for v in ReturnVersion.objects.all()) == 5
    )

    corrected = rows.copy()
    corrected.loc[1, "sales"] = 125_500.0  # a correction
    corrected.loc[2, "sales"] = 900.0  # a figure added
    outcome = record_returns(corrected)
    assert (outcome.created, outcome.changed, outcome.unchanged) == (0, 2, 1)
    mine = Return.objects.get(enterprise=enterprise, period=period)
    assert [v.values()["sales"] for v in mine.versions.order_by("number")] == [120_000.0, 125_500.0]
    assert mine.current_version.number == 2
    assert record_return(enterprise, period, {"employees": 42, "sales": 125_500.0}).changed is False

    dropped = corrected.copy()
    dropped.loc[0, "sales"] = math.nan  # a figure withdrawn is a change too
    assert record_returns(dropped).changed == 1


@pytest.mark.django_db
def test_many_returns_with_a_bad_value_write_nothing(enterprise, period):
    import pandas as pd

    from rasad.platform.returns.services import record_returns

    rows = pd.DataFrame(
        {"enterprise_id": [enterprise.pk], "period_id": [period.pk], "employees": [-1.0]}
    )
    with pytest.raises(InvalidReturn) as caught:
        record_returns(rows)
    assert (
        caught.value.problems[0].field == "employees"
        and "row 1" in caught.value.problems[0].message_en
    )
    assert not Return.objects.exists()


@pytest.mark.django_db
def test_ids_taken_for_a_bulk_write_leave_room_for_the_next_writer(enterprise, period, yazd):
    """record_returns takes its ids before writing (a return is written already pointing
    at its version); the database's own numbering carries on after them."""
    import pandas as pd

    from rasad.platform.registry.models import Enterprise, Sector
    from rasad.platform.returns.services import record_returns

    other = Enterprise.objects.create(
        national_id="14007650912",
        name_fa="دیگری",
        isic=Sector.objects.get(code="1311"),
        province=yazd,
    )
    rows = pd.DataFrame(
        {
            "enterprise_id": [enterprise.pk, other.pk],
            "period_id": [period.pk, period.pk],
            "employees": [4.0, 5.0],
        }
    )
    record_returns(rows)
    for record in Return.objects.select_related("current_version"):
        assert (
            record.current_version.return_record_id == record.pk
            and record.current_version.number == 1
        )
    later = Period.objects.create(year=1402)
    outcome = record_return(
        enterprise, later, {"employees": 3}
    )  # the ORM numbers after the bulk ids
    assert outcome.version.pk > max(
        ReturnVersion.objects.exclude(pk=outcome.version.pk).values_list("pk", flat=True)
    )
    assert outcome.version.return_record.pk > max(
        Return.objects.exclude(pk=outcome.version.return_record.pk).values_list("pk", flat=True)
    )
    record_returns(rows.assign(employees=[4.0, 6.0]))
    changed = Return.objects.get(enterprise=other, period=period)
    assert [v.values() for v in changed.versions.order_by("number")] == [
        {"employees": 5.0},
        {"employees": 6.0},
    ]
    assert changed.current_version.number == 2


@pytest.mark.django_db
def test_a_bulk_write_naming_what_does_not_exist_writes_nothing(enterprise, period):
    """The database does not check the references of returns (a file's commit would
    spend most of its time on it); record_returns checks them first, and Django still
    protects an enterprise with returns from deletion."""
    import pandas as pd
    from django.db.models import ProtectedError

    from rasad.platform.returns.services import record_returns

    rows = pd.DataFrame(
        {
            "enterprise_id": [enterprise.pk, enterprise.pk + 1000],
            "period_id": [period.pk, period.pk],
            "employees": [4.0, 5.0],
        }
    )
    with pytest.raises(ValueError, match="no enterprise"):
        record_returns(rows)
    with pytest.raises(ValueError, match="no period"):
        record_returns(rows.head(1).assign(period_id=period.pk + 1000))
    assert not Return.objects.exists() and not ReturnVersion.objects.exists()
    record_returns(rows.head(1))
    with pytest.raises(ProtectedError):
        enterprise.delete()
