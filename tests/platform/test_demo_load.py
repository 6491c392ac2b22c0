"""The demo population, loaded into the database, is what `make run` shows."""

import pytest
from django.core.management import call_command
from django.http import HttpRequest  # authenticate() needs one: axes refuses logins without it

from rasad.demo import generate
from rasad.platform.accounts.models import Role, User
from rasad.platform.demo_data import DEMO_PASSWORD, DEMO_USERS, database_is_empty, load_demo
from rasad.platform.registry.models import Cluster, Enterprise, IndustrialEstate
from rasad.platform.returns.models import Period, Return, ReturnVersion

N = 300


@pytest.fixture(scope="module")
def population():
    return generate(n_enterprises=N, seed=7)


@pytest.fixture
def loaded(db, population):
    return load_demo(population)


def test_load_demo_stores_every_frame(loaded, population):
    assert not database_is_empty()
    assert Enterprise.objects.count() == N == loaded["enterprises"]
    assert IndustrialEstate.objects.count() == len(population.estates)
    assert Return.objects.count() == len(population.returns) == ReturnVersion.objects.count()
    codes = [
        c for c in population.returns.columns if c not in ("national_id", "year", "submitted_on")
    ]
    assert sum(len(v.figures) for v in ReturnVersion.objects.all()) == int(
        population.returns[codes].notna().sum().sum()
    )
    assert Cluster.objects.count() == len(population.clusters)
    assert sorted(Period.objects.values_list("year", flat=True)) == sorted(
        population.returns["year"].unique()
    )
    assert not Return.objects.filter(current_version__isnull=True).exists()


def test_loaded_values_equal_the_generated_ones(loaded, population):
    row = population.returns.iloc[17]
    version = Return.objects.get(
        enterprise__national_id=row["national_id"], period__year=row["year"]
    ).current_version
    stored = version.values()
    for code, value in stored.items():
        assert value == pytest.approx(row[code], rel=1e-12)
    assert version.source == ReturnVersion.Source.DEMO


def test_some_returns_are_late(loaded):
    late = sum(
        1
        for r in Return.objects.select_related("period", "current_version")
        if r.current_version.created_at.date() > r.period.deadline
    )
    assert 0 < late < Return.objects.count() / 2


def test_one_demo_login_per_role(loaded, client):
    assert {u.role for u in User.objects.filter(username__in=DEMO_USERS.values())} == set(
        Role.values
    )
    enterprise_user = User.objects.get(username=DEMO_USERS[Role.ENTERPRISE])
    assert enterprise_user.enterprise is not None
    manager = User.objects.get(username=DEMO_USERS[Role.ESTATE_MANAGER])
    assert Enterprise.objects.confidential_to(manager).count() > 0
    assert client.login(
        request=HttpRequest(), username=DEMO_USERS[Role.ANALYST], password=DEMO_PASSWORD
    )


def test_loading_is_all_or_nothing(db, population, monkeypatch):
    from rasad.platform import demo_data

    def explode(_population):
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo_data, "_create_demo_users", explode)
    with pytest.raises(RuntimeError):
        load_demo(population)
    assert database_is_empty() and not Return.objects.exists()


def test_cli_loads_only_into_an_empty_database(db, capsys):
    from rasad.cli import main

    assert main(["demo", "load", "--enterprises", "120", "--seed", "3", "--if-empty"]) == 0
    assert Enterprise.objects.count() == 120
    assert main(["demo", "load", "--if-empty"]) == 0
    assert Enterprise.objects.count() == 120
    out = capsys.readouterr().out
    assert "already holds enterprises" in out and "demo-analyst" in out


def test_no_missing_migrations(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
