from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import transaction

from rasad.platform.registry.models import Enterprise, IndustrialEstate, Province, Sector
from rasad.platform.returns.models import Period

VALID_IDS = ["10380284790", "14007650912", "10320894878"]  # real IDs (reference README)


@pytest.fixture
def yazd(db):
    return Province.objects.get(name_en="Yazd")


@pytest.fixture
def estate(yazd):
    return IndustrialEstate.objects.create(code="T01", name_fa="شهرک صنعتی یزد", name_en="Yazd", province=yazd)


@pytest.fixture
def enterprise(yazd, estate):
    return Enterprise.objects.create(
        national_id=VALID_IDS[0], name_fa="نساجی نمونه یزد", name_en="Sample Yazd Textiles",
        isic=Sector.objects.get(code="1311"), province=yazd, estate=estate, founding_year=1385,
    )


@pytest.fixture
def period(db):
    return Period.objects.create(year=1403)


@pytest.fixture(scope="session")
def module_data():
    """``with module_data(django_db_blocker):`` around a module-scoped fixture's setup."""
    return _module_data


@contextmanager
def _module_data(django_db_blocker):
    """Data a whole test module shares (a demo population, editions, users): written
    once inside a transaction that is rolled back when the module is done, with a fast
    password hasher meanwhile. The body runs with database access unblocked."""
    hashers = settings.PASSWORD_HASHERS
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    try:
        with django_db_blocker.unblock():
            yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
        settings.PASSWORD_HASHERS = hashers
