import os
import uuid
from contextlib import contextmanager
from types import SimpleNamespace

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
    return IndustrialEstate.objects.create(
        code="T01", name_fa="شهرک صنعتی یزد", name_en="Yazd", province=yazd
    )


@pytest.fixture
def enterprise(yazd, estate):
    return Enterprise.objects.create(
        national_id=VALID_IDS[0],
        name_fa="نساجی نمونه یزد",
        name_en="Sample Yazd Textiles",
        isic=Sector.objects.get(code="1311"),
        province=yazd,
        estate=estate,
        founding_year=1385,
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


@pytest.fixture(scope="session")
def published_demo():
    """``published_demo(n_enterprises, seed, analyst)`` inside a module-scoped fixture's
    ``module_data``: see :func:`_published_demo`."""
    return _published_demo


def _published_demo(n_enterprises: int, seed: int, analyst: str) -> dict:
    """A demo population with an analyst and the bundled methodology's edition of its
    latest year computed and published: ``{"analyst", "edition", "period"}``. Call it
    inside ``module_data``."""
    from rasad.demo import generate
    from rasad.platform.accounts.models import Role, User
    from rasad.platform.demo_data import load_demo
    from rasad.platform.rankings.bundled import bundled_methodology
    from rasad.platform.rankings.models import Edition
    from rasad.platform.rankings.services import compute_edition, publish_edition

    load_demo(generate(n_enterprises=n_enterprises, seed=seed))
    user = User.objects.create_user(analyst, password="x", role=Role.ANALYST)
    period = Period.objects.filter(quarter__isnull=True).order_by("-year").first()
    edition = Edition.objects.create(
        name_fa="آزمون", name_en="test", period=period, methodology=bundled_methodology(user)
    )
    compute_edition(edition, seed=1)
    return {"analyst": user, "edition": publish_edition(edition, user), "period": period}


# --- Redis (docs/deploy.md): the cache and sessions several app servers share ---------------

REDIS_URL = os.environ.get("RASAD_REDIS_URL") or "redis://127.0.0.1:6379/15"
IN_CI = bool(os.environ.get("CI") or os.environ.get("RASAD_CI"))


@pytest.fixture
def redis_cache(settings, tmp_path):
    """The cache as ``RASAD_REDIS_URL`` configures it (``redis://127.0.0.1:6379/15`` unless
    set), under a key prefix of this test's own, whose keys are removed afterwards (other
    runs may share the database, so it is never flushed). Yields ``url``, ``prefix`` and
    ``client``, a redis-py client of that database. Without a reachable Redis the test is
    skipped, saying why, except under CI (``CI`` or ``RASAD_CI``), where it fails."""
    import redis

    from rasad.platform.shared_state import caches

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        reason = f"no Redis at {REDIS_URL} ({error}); start one, or set RASAD_REDIS_URL"
        if IN_CI:
            pytest.fail(f"{reason} — under CI the Redis tests must run, not skip.", pytrace=False)
        pytest.skip(reason)
    prefix = f"rasad-test-{uuid.uuid4().hex[:12]}"
    built = caches({"RASAD_REDIS_URL": REDIS_URL}, tmp_path)
    built["default"]["KEY_PREFIX"] = prefix
    settings.CACHES = built
    try:
        yield SimpleNamespace(url=REDIS_URL, prefix=prefix, client=client)
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
