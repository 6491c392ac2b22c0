"""Sessions shared through Redis (``RASAD_REDIS_URL``, docs/deploy.md): a login made on
one app server is valid on every other. Needs a Redis (``redis://127.0.0.1:6379/15``
unless ``RASAD_REDIS_URL`` names another); without one these tests skip, except under CI
(the ``redis_cache`` fixture)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from rasad.platform.accounts.models import Role, User

SRC = Path(__file__).resolve().parents[2] / "src"

# Another process, as another app server starts: the settings read RASAD_REDIS_URL; its
# database is an empty SQLite file (no session table), so a session it finds can only
# have come from Redis.
READ_SESSION = """
import json, os, sys
from django.conf import settings
settings.CACHES["default"]["KEY_PREFIX"] = os.environ["TEST_KEY_PREFIX"]  # the test's own keys
import django
django.setup()
from importlib import import_module
store = import_module(settings.SESSION_ENGINE).SessionStore(sys.argv[1])
print(json.dumps({"engine": settings.SESSION_ENGINE, "cache": settings.CACHES["default"]["BACKEND"],
                  "session": store.load()}))
"""


def _analyst() -> User:
    return User.objects.create(username="redis-analyst", role=Role.ANALYST)


@pytest.mark.django_db
def test_a_session_made_on_one_server_is_valid_on_another(redis_cache, tmp_path):
    redis, prefix = redis_cache.client, redis_cache.prefix
    analyst = _analyst()
    first = Client()
    first.force_login(analyst)  # a session written by the session engine, as a login writes it
    key = first.cookies[settings.SESSION_COOKIE_NAME].value
    assert redis.exists(f"{prefix}:1:django.contrib.sessions.cached_db{key}")

    # the database's copy gone: a second browser with the cookie is still signed in,
    # from Redis alone
    Session.objects.all().delete()
    second = Client()
    second.cookies[settings.SESSION_COOKIE_NAME] = key
    response = second.get("/import/")
    assert response.status_code == 200 and response.wsgi_request.user == analyst

    # and another process, as another app server, reads the same session from Redis
    environ = {name: value for name, value in os.environ.items() if not name.startswith("RASAD_")}
    result = subprocess.run(
        [sys.executable, "-c", READ_SESSION, key],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            **environ,
            "RASAD_REDIS_URL": redis_cache.url,
            "RASAD_VAR_DIR": str(tmp_path / "other-server"),
            "TEST_KEY_PREFIX": prefix,
            "PYTHONPATH": str(SRC),
            "DJANGO_SETTINGS_MODULE": "rasad.platform.settings",
        },
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert seen["engine"] == "django.contrib.sessions.backends.cached_db"
    assert seen["session"]["_auth_user_id"] == str(analyst.pk)


@pytest.mark.django_db
def test_a_logout_on_one_server_ends_the_session_on_every_server(redis_cache):
    redis, prefix = redis_cache.client, redis_cache.prefix
    first = Client()
    first.force_login(_analyst())
    key = first.cookies[settings.SESSION_COOKIE_NAME].value
    second = Client()
    second.cookies[settings.SESSION_COOKIE_NAME] = key
    assert second.get("/import/").status_code == 200
    first.logout()
    assert not redis.exists(f"{prefix}:1:django.contrib.sessions.cached_db{key}")
    assert second.get("/import/").status_code == 302  # to the login page
