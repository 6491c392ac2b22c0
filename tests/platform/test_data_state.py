"""The data state (issue 6, page speed): one row whose token database triggers change
with every write to the registry, the periods, the catalogue or the returns, whoever
writes (the ORM, a bulk writer, raw SQL), and with nothing else. The caches of the
monitoring run, the cluster analysis, the Top-100 rows and an import's dry run are
keyed on it, so what it misses a page would show stale."""

from __future__ import annotations

import pandas as pd
import pytest
from django.core.cache import cache
from django.db import connection

from rasad.platform.accounts.models import User
from rasad.platform.monitoring import compute
from rasad.platform.monitoring.models import AlertState
from rasad.platform.rankings.models import Edition
from rasad.platform.registry.models import (
    ClusterMembership,
    Enterprise,
    IndustrialEstate,
    Province,
    Sector,
)
from rasad.platform.returns.models import Indicator, Period, Return, ReturnVersion
from rasad.platform.returns.services import record_return
from rasad.platform.returns.state import data_state


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, module_data, published_demo):
    compute.clear()
    with module_data(django_db_blocker):
        try:
            yield published_demo(150, 29, "s-analyst")
        finally:
            compute.clear()


def _raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


WRITES = {
    "enterprise renamed (ORM save)": lambda w: _save(
        Enterprise.objects.order_by("pk").first(), name_fa="نام تازه"
    ),
    "founding years corrected (queryset update)": lambda w: Enterprise.objects.filter(
        pk__lte=5
    ).update(founding_year=1390),
    "estate renamed": lambda w: IndustrialEstate.objects.order_by("pk").update(name_en="Renamed"),
    "province renamed": lambda w: Province.objects.filter(pk=Province.objects.first().pk).update(
        name_en="X"
    ),
    "sector renamed": lambda w: Sector.objects.filter(pk=Sector.objects.first().pk).update(
        title_en="X"
    ),
    "cluster member removed": lambda w: ClusterMembership.objects.order_by("pk").first().delete(),
    "period deadline moved": lambda w: Period.objects.filter(pk=w["period"].pk).update(
        deadline=None
    ),
    "indicator renamed": lambda w: Indicator.objects.filter(code="sales").update(
        name_en="Turnover"
    ),
    "return corrected (form writer)": lambda w: _correct(w),
    "version written by raw SQL": lambda w: _raw(
        f"UPDATE {ReturnVersion._meta.db_table} SET note = 'raw' WHERE id = (SELECT MIN(id) FROM "
        f"{ReturnVersion._meta.db_table})"
    ),
    "return deleted by raw SQL": lambda w: _raw(
        f"DELETE FROM {Return._meta.db_table} "
        f"WHERE id = (SELECT MAX(id) FROM {Return._meta.db_table})"
    ),
}


def _save(instance, **fields):
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.save()


def _correct(world):
    record = (
        Return.objects.filter(period=world["period"], current_version__isnull=False)
        .select_related("enterprise", "current_version")
        .order_by("pk")
        .first()
    )
    values = record.current_version.values()
    values["sales"] = 2 * (values.get("sales") or 100.0)
    record_return(record.enterprise, world["period"], values, user=world["analyst"])


@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_to_the_watched_tables_changes_the_state(world, db, write):
    if write.endswith("by raw SQL") and connection.vendor == "sqlite":
        pytest.skip(
            "on SQLite the returns and versions have no triggers "
            "(they doubled an import's commit): "
            "their writers change the state themselves; PostgreSQL runs this case"
        )
    before = data_state()
    assert len(before) == 32
    WRITES[write](world)
    after = data_state()
    assert len(after) == 32 and after != before


def test_reads_and_writes_elsewhere_leave_it(world, db):
    before = data_state()
    list(Enterprise.objects.all()[:50])
    compute.run_for(compute.population().periods[-1])
    AlertState.objects.create(key="r1:x:1400", status=AlertState.Status.ACKNOWLEDGED)
    Edition.objects.filter(pk=world["edition"].pk).update(name_en="seen")
    User.objects.create_user("s-other", password="x")
    assert data_state() == before


def test_a_rename_shows_on_the_next_cached_top100(world, client, db):
    """The Top-100's rows are cached per edition, but they show the registry's names:
    the data state in their key makes a rename show on the very next view."""
    cache.clear()
    first = world["edition"].results.filter(rank=1).select_related("enterprise").get().enterprise
    client.cookies["django_language"] = "en"
    assert first.name_en in client.get("/top100/").content.decode()
    Enterprise.objects.filter(pk=first.pk).update(name_en="Renamed Works Ltd")
    page = client.get("/top100/").content.decode()
    assert "Renamed Works Ltd" in page and first.name_en not in page


def test_the_monitoring_run_follows_a_registry_change(world, db):
    """An enterprise moved out of its estate is counted elsewhere in the needs matrix:
    the shared population is read again on the next request, as after a new return
    (before the data state, only a new return or enterprise was noticed)."""
    people = compute.population()
    assert compute.population() is people  # nothing changed: the same population
    firm = Enterprise.objects.filter(estate__isnull=False).order_by("pk").first()
    Enterprise.objects.filter(pk=firm.pk).update(estate=None)
    again = compute.population()
    assert again is not people
    estates = again.enterprises.set_index("national_id")["estate_code"]
    assert pd.isna(estates.loc[firm.national_id])
    assert (
        people.enterprises.set_index("national_id")["estate_code"].loc[firm.national_id]
        == firm.estate.code
    )


def test_reference_data_is_read_once_per_state(world, db):
    """``per_state`` reads the periods once while nothing is written, and again at once
    after a write to a watched table (a period's deadline moved)."""
    from django.test.utils import CaptureQueriesContext

    from rasad.platform.returns.state import per_state

    def periods():
        return {p.pk: p.deadline for p in Period.objects.all()}

    first = per_state("test periods", periods)
    with CaptureQueriesContext(connection) as queries:
        assert per_state("test periods", periods) is first
    assert [q["sql"] for q in queries.captured_queries] == [
        "SELECT token FROM returns_datastate WHERE id = 1"
    ]
    Period.objects.filter(pk=world["period"].pk).update(deadline=None)
    again = per_state("test periods", periods)
    assert again is not first and again[world["period"].pk] is None


def test_sending_the_same_figures_again_leaves_it(world, db):
    """A return sent again unchanged writes nothing, so no cache is thrown away (at
    100,000 enterprises the monitoring run takes most of a minute to rebuild)."""
    record = (
        Return.objects.filter(period=world["period"], current_version__isnull=False)
        .select_related("enterprise", "current_version")
        .order_by("-pk")
        .first()
    )
    before = data_state()
    outcome = record_return(
        record.enterprise, world["period"], record.current_version.values(), user=world["analyst"]
    )
    assert not outcome.changed and data_state() == before
