"""The settings of the state several app servers share (docs/deploy.md): the cache in
Redis with ``RASAD_REDIS_URL``, uploads in an S3-compatible store with
``RASAD_S3_BUCKET``, and nothing changed without them. No S3 server is at hand: the
storage is built and asked for a signed link, which needs no network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from rasad.platform.shared_state import caches, default_storage

S3 = {
    "RASAD_S3_BUCKET": "rasad-uploads",
    "RASAD_S3_ENDPOINT_URL": "https://s3.example.ir",
    "RASAD_S3_ACCESS_KEY": "AKEXAMPLE",
    "RASAD_S3_SECRET_KEY": "secret-example",
    "RASAD_S3_REGION": "tehran-1",
}


def test_without_the_variables_cache_and_uploads_stay_on_this_servers_disk(tmp_path):
    assert caches({}, tmp_path) == {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": tmp_path / "cache",
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }
    assert caches({"RASAD_REDIS_URL": " "}, tmp_path)["default"]["BACKEND"].endswith(
        "FileBasedCache"
    )
    assert default_storage({}) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_redis_url_makes_the_cache_djangos_redis_cache(tmp_path):
    built = caches({"RASAD_REDIS_URL": "redis://10.0.0.5:6379/2"}, tmp_path)
    assert built == {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://10.0.0.5:6379/2",
            "KEY_PREFIX": "rasad",
            "OPTIONS": {"socket_connect_timeout": 5, "socket_timeout": 5},
        }
    }
    assert (
        caches({"RASAD_REDIS_URL": "rediss://cache.example.ir:6380/0"}, tmp_path)["default"][
            "LOCATION"
        ]
        == "rediss://cache.example.ir:6380/0"
    )
    with pytest.raises(ImproperlyConfigured, match="RASAD_REDIS_URL must start with"):
        caches({"RASAD_REDIS_URL": "localhost:6379"}, tmp_path)


def test_s3_variables_build_the_s3_storage():
    assert default_storage(S3) == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "rasad-uploads",
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            "endpoint_url": "https://s3.example.ir",
            "addressing_style": "path",
            "access_key": "AKEXAMPLE",
            "secret_key": "secret-example",
            "region_name": "tehran-1",
        },
    }
    # the bucket alone: boto3 finds the credentials, region and endpoint (Amazon's) itself
    assert default_storage({"RASAD_S3_BUCKET": "b"})["OPTIONS"] == {
        "bucket_name": "b",
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
    }


@pytest.mark.parametrize(
    "environ, message",
    [
        (
            {"RASAD_S3_ENDPOINT_URL": "https://s3.example.ir"},
            "RASAD_S3_ENDPOINT_URL set without RASAD_S3_BUCKET",
        ),
        (
            {"RASAD_S3_ACCESS_KEY": "a", "RASAD_S3_SECRET_KEY": "s"},
            "RASAD_S3_ACCESS_KEY, RASAD_S3_SECRET_KEY set",
        ),
        (
            {"RASAD_S3_BUCKET": "b", "RASAD_S3_ACCESS_KEY": "a"},
            "Set both RASAD_S3_ACCESS_KEY and RASAD_S3_SECRET_KEY",
        ),
    ],
)
def test_a_half_done_s3_configuration_is_refused(environ, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        default_storage(environ)


def test_the_s3_storage_accepts_the_options_and_signs_private_links():
    pytest.importorskip(
        "storages.backends.s3",
        reason="django-storages[s3] is not installed: pip install -e '.[dev]'",
    )
    from django.utils.module_loading import import_string

    built = default_storage(S3)
    storage = import_string(built["BACKEND"])(**built["OPTIONS"])
    assert (storage.bucket_name, storage.endpoint_url, storage.region_name) == (
        "rasad-uploads",
        "https://s3.example.ir",
        "tehran-1",
    )
    assert (storage.access_key, storage.default_acl, storage.file_overwrite) == (
        "AKEXAMPLE",
        "private",
        False,
    )
    link = storage.url("returns/1403/01/abc-returns.csv")
    # path-style, on the ministry's endpoint, signed (a private object): built locally
    assert link.startswith("https://s3.example.ir/rasad-uploads/returns/1403/01/abc-returns.csv?")
    assert "X-Amz-Signature=" in link and "X-Amz-Credential=AKEXAMPLE" in link


def test_the_settings_module_reads_the_variables(tmp_path):
    """settings.py itself, loaded afresh in another process with the variables set."""
    src = Path(__file__).resolve().parents[2] / "src"
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("RASAD_S3_", "RASAD_REDIS_"))
    }
    script = (
        "import json; from django.conf import settings; "
        "print(json.dumps([settings.CACHES, settings.STORAGES, settings.SESSION_ENGINE], "
        "default=str))"
    )

    def loaded(**variables):
        result = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={
                **environ,
                **variables,
                "RASAD_VAR_DIR": str(tmp_path),
                "PYTHONPATH": str(src),
                "DJANGO_SETTINGS_MODULE": "rasad.platform.settings",
            },
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    cache, storages, sessions = loaded(RASAD_REDIS_URL="redis://127.0.0.1:6379/3", **S3)
    assert cache["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["default"]["LOCATION"] == "redis://127.0.0.1:6379/3"
    assert storages["default"] == default_storage(S3)
    assert (
        storages["staticfiles"]["BACKEND"]
        == "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    assert sessions == "django.contrib.sessions.backends.cached_db"

    cache, storages, sessions = loaded()
    assert cache["default"]["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert cache["default"]["LOCATION"] == str(tmp_path / "cache")
    assert storages["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_several_servers_without_a_shared_secret_key_fail_the_deploy_check(
    settings, monkeypatch, tmp_path
):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    from rasad.platform.shared_state import check_shared_secret_key

    monkeypatch.delenv("RASAD_SECRET_KEY", raising=False)
    assert check_shared_secret_key() == []  # one server: its generated key is fine
    settings.CACHES = caches({"RASAD_REDIS_URL": "redis://127.0.0.1:6379/15"}, tmp_path)
    [warning] = check_shared_secret_key()
    assert warning.id == "rasad.W001" and "RASAD_SECRET_KEY" in warning.hint
    with pytest.raises(SystemCheckError, match="rasad.W001"):
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "security")
    monkeypatch.setenv("RASAD_SECRET_KEY", "k" * 60)
    assert check_shared_secret_key() == []
    settings.CACHES = caches({}, tmp_path)
    settings.STORAGES = {**settings.STORAGES, "default": default_storage(S3)}
    monkeypatch.delenv("RASAD_SECRET_KEY")
    assert [w.id for w in check_shared_secret_key()] == ["rasad.W001"]
