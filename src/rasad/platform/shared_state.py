"""Where the state that every app server must see lives: the cache (and the sessions
read through it) and the uploaded files (docs/deploy.md).

One server, as ``make run`` starts it, keeps both on its own disk: a file cache under
``var/cache`` and the uploads under ``var/media``. Several app servers share them
instead:

- ``RASAD_REDIS_URL`` (``redis://host:6379/0``, ``rediss://`` for TLS) puts the cache in
  Redis, through Django's own ``RedisCache``. The sessions are read through that cache
  (``cached_db``: the database stays their record), so a login made on one server is
  valid on all of them.
- ``RASAD_S3_BUCKET`` (with ``RASAD_S3_ENDPOINT_URL``, ``RASAD_S3_ACCESS_KEY``,
  ``RASAD_S3_SECRET_KEY``, ``RASAD_S3_REGION``) puts the uploads in an S3-compatible
  store through django-storages (the optional extra ``rasad[s3]``, imported only when
  configured). Without it they stay under ``MEDIA_ROOT``, which several servers may
  share as a network folder.

What each process computes for itself from the database (the parsed methodologies, the
monitoring run, :func:`rasad.platform.returns.state.per_state`) is not shared state:
it is keyed on the database's data state, so every server recomputes the same thing
from the shared database and none serves another's stale copy.

The functions take the environment as a mapping, so the settings they build can be
tested without reloading the settings module.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
S3_VARIABLES = (
    "RASAD_S3_BUCKET",
    "RASAD_S3_ENDPOINT_URL",
    "RASAD_S3_ACCESS_KEY",
    "RASAD_S3_SECRET_KEY",
    "RASAD_S3_REGION",
)
# A cache that does not answer within this many seconds fails the request instead of
# holding a worker of the server indefinitely.
REDIS_TIMEOUT_SECONDS = 5


def caches(environ: Mapping[str, str], var_dir: Path) -> dict:
    """``CACHES``: Redis when ``RASAD_REDIS_URL`` is set, else files under ``var_dir``."""
    url = environ.get("RASAD_REDIS_URL", "").strip()
    if not url:
        # One cache for every worker of one server (files under var/): a ranking page
        # rendered by one worker is served by all of them. With a cache per process,
        # each of the four workers rendered every filtered Top-100 itself (about a sixth
        # of the server's time under load, see BENCHMARKS.md).
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": var_dir / "cache",
                "OPTIONS": {"MAX_ENTRIES": 20_000},
            }
        }
    if not url.startswith(REDIS_SCHEMES):
        raise ImproperlyConfigured(
            f"RASAD_REDIS_URL must start with one of {', '.join(REDIS_SCHEMES)}, not "
            f"{url.split(':', 1)[0]!r}."
        )
    if importlib.util.find_spec("redis") is None:
        raise ImproperlyConfigured(
            "RASAD_REDIS_URL is set but the redis package is missing: pip install 'redis>=5'."
        )
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            # another application may share the Redis server; give Rasad a database of its
            # own all the same (the /N of the URL): clearing the cache empties that database
            "KEY_PREFIX": "rasad",
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            },
        }
    }


def default_storage(environ: Mapping[str, str]) -> dict:
    """``STORAGES["default"]``, where uploaded files are kept: an S3-compatible bucket
    when ``RASAD_S3_BUCKET`` is set, else the folder ``MEDIA_ROOT``."""
    given = {name: environ.get(name, "").strip() for name in S3_VARIABLES}
    bucket = given["RASAD_S3_BUCKET"]
    if not bucket:
        stray = [name for name, value in given.items() if value]
        if stray:
            # a half-done configuration would keep each server's uploads on its own disk
            raise ImproperlyConfigured(
                f"{', '.join(stray)} set without RASAD_S3_BUCKET: name the bucket too, "
                "or unset them to keep uploads under RASAD_VAR_DIR/media."
            )
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if bool(given["RASAD_S3_ACCESS_KEY"]) != bool(given["RASAD_S3_SECRET_KEY"]):
        raise ImproperlyConfigured(
            "Set both RASAD_S3_ACCESS_KEY and RASAD_S3_SECRET_KEY, or neither "
            "(then boto3 finds the credentials itself: its environment variables, "
            "its configuration files or the machine's role)."
        )
    if importlib.util.find_spec("storages") is None or importlib.util.find_spec("boto3") is None:
        raise ImproperlyConfigured(
            "RASAD_S3_BUCKET is set but django-storages is missing: "
            "pip install 'rasad[s3]' (django-storages[s3])."
        )
    options = {
        "bucket_name": bucket,
        # the files are confidential returns: private objects, reached only through
        # links signed for an hour; a name taken is never overwritten (as on disk)
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
    }
    if given["RASAD_S3_ENDPOINT_URL"]:
        # an on-premises store (MinIO, Ceph): path-style addresses need no wildcard DNS
        options["endpoint_url"] = given["RASAD_S3_ENDPOINT_URL"]
        options["addressing_style"] = "path"
    if given["RASAD_S3_ACCESS_KEY"]:
        options["access_key"] = given["RASAD_S3_ACCESS_KEY"]
        options["secret_key"] = given["RASAD_S3_SECRET_KEY"]
    if given["RASAD_S3_REGION"]:
        options["region_name"] = given["RASAD_S3_REGION"]
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


def check_shared_secret_key(app_configs=None, **kwargs) -> list:
    """A deploy check (``rasad manage check --deploy``): with the cache in Redis or the
    uploads in a bucket, Rasad runs on several servers, and a secret key generated into
    each one's ``var/`` would differ from server to server: a login made on one would
    not hold on another. The key must then come from ``RASAD_SECRET_KEY``."""
    from django.conf import settings
    from django.core.checks import Warning

    several = settings.CACHES["default"]["BACKEND"].endswith("RedisCache") or settings.STORAGES[
        "default"
    ]["BACKEND"].startswith("storages.")
    if not several or os.environ.get("RASAD_SECRET_KEY"):
        return []
    return [
        Warning(
            "RASAD_REDIS_URL or RASAD_S3_BUCKET is set (several app servers) but RASAD_SECRET_KEY "
            "is not: "
            "each server uses the key generated into its own var/secret_key.",
            hint="Set the same RASAD_SECRET_KEY on every app server and worker (docs/deploy.md).",
            id="rasad.W001",
        )
    ]
