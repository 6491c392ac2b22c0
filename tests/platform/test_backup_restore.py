"""Backup and a tested restore (docs/deploy.md, "Backup and restore"): ``pg_dump -Fc``
of a database holding a published edition, ``pg_restore`` into a fresh database, then
Rasad pointed at the restored database (another process, as a restored server starts)
finds the published edition bit for bit: its stored results, its hashes, and a
recomputation from the restored returns that gives every score, rank and interval again.

PostgreSQL only: ``pg_dump`` is PostgreSQL's. The data must be committed for ``pg_dump``
to see it, so the test runs outside pytest-django's per-test transaction
(``transaction=True``: its tables are emptied afterwards)."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from rasad.platform.rankings.models import Edition, EditionResult
from rasad.platform.rankings.results import RESULT_COLUMNS

SRC = Path(__file__).resolve().parents[2] / "src"
IN_CI = bool(os.environ.get("CI") or os.environ.get("RASAD_CI"))
N_ENTERPRISES, DEMO_SEED, RUNS, SEED = 150, 11, 40, 3

pytestmark = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="pg_dump/pg_restore back up PostgreSQL; the embedded SQLite is backed up by copying "
    "its file (run with RASAD_DATABASE_URL=postgres://… to test the restore)",
)

# What the restored server reports, as JSON: the published edition as stored, the hashes
# recomputed from what it stores, and a new edition computed from the restored returns
# with the published one's settings.
RESTORED = """
import json, sys
import django
django.setup()
from rasad.index import data_hash
from rasad.platform.rankings.models import Edition, EditionResult, content_hash
from rasad.platform.rankings.results import RESULT_COLUMNS
from rasad.platform.rankings.services import compute_edition, frozen_edition_data

def results(edition):
    return [list(row) for row in EditionResult.objects.filter(edition=edition)
            .order_by("enterprise_id").values_list(*RESULT_COLUMNS[1:])]

published = Edition.objects.get(pk=int(sys.argv[1]))
again = Edition.objects.create(name_fa="بازسازی", name_en="recomputed", period=published.period,
                               methodology=published.methodology)
compute_edition(again, spec_text=published.uncertainty_spec, runs=published.runs,
                seed=published.seed, top_k=published.top_k)
print(json.dumps({
    "edition": Edition.objects.filter(pk=published.pk).values(*Edition.FROZEN_FIELDS).get(),
    "versions": sorted(published.return_versions.values_list("pk", flat=True)),
    "results": results(published),
    "methodology_sha256": content_hash(published.methodology.text),
    "frozen_data_sha256": data_hash(published.methodology.parsed(), frozen_edition_data(published)),
    "recomputed": {"data_sha256": again.data_sha256, "crossing_top": again.crossing_top,
                   "results": results(again)},
}, default=str))
"""


def _binary(name: str) -> str:
    """``name`` on the PATH, else the newest server's own (Debian keeps them apart)."""
    found = shutil.which(name) or next(
        iter(
            sorted(
                glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                key=lambda p: int(p.split("/")[4]),
                reverse=True,
            )
        ),
        None,
    )
    if found is None:
        reason = f"{name} is missing: apt-get install postgresql-client"
        if IN_CI:
            pytest.fail(f"{reason} — under CI the restore test must run, not skip.", pytrace=False)
        pytest.skip(reason)
    return found


def _as_json(value):
    """Through JSON as the restored server's report comes (floats keep every bit: JSON
    writes the shortest text that reads back as the same double)."""
    return json.loads(json.dumps(value, default=str))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_restored_dump_reproduces_the_published_edition_bit_for_bit(tmp_path, settings):
    import psycopg

    from rasad.demo import generate
    from rasad.platform.accounts.models import Role, User
    from rasad.platform.demo_data import load_demo
    from rasad.platform.rankings.bundled import bundled_methodology, bundled_spec
    from rasad.platform.rankings.services import compute_edition, publish_edition
    from rasad.platform.returns.models import Period

    pg_dump, pg_restore = _binary("pg_dump"), _binary("pg_restore")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo(generate(n_enterprises=N_ENTERPRISES, seed=DEMO_SEED))
    analyst = User.objects.create(username="backup-analyst", role=Role.ANALYST)
    period = Period.objects.filter(quarter__isnull=True).order_by("-year").first()
    edition = Edition.objects.create(
        name_fa="پشتیبان", name_en="backup", period=period, methodology=bundled_methodology(analyst)
    )
    compute_edition(edition, spec_text=bundled_spec(), runs=RUNS, seed=SEED)
    edition = publish_edition(edition, analyst)
    assert (
        edition.runs == RUNS
        and EditionResult.objects.filter(edition=edition, rank_q95__isnull=False).exists()
    )
    original = _as_json(
        {
            "edition": Edition.objects.filter(pk=edition.pk).values(*Edition.FROZEN_FIELDS).get(),
            "versions": sorted(edition.return_versions.values_list("pk", flat=True)),
            "results": [
                list(row)
                for row in EditionResult.objects.filter(edition=edition)
                .order_by("enterprise_id")
                .values_list(*RESULT_COLUMNS[1:])
            ],
        }
    )

    db = connection.settings_dict
    server = {
        "host": db["HOST"] or "127.0.0.1",
        "port": str(db["PORT"] or 5432),
        "user": db["USER"] or "postgres",
    }
    environ = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
    connect = ["-h", server["host"], "-p", server["port"], "-U", server["user"]]
    dump = tmp_path / "rasad.dump"
    # the backup, as docs/deploy.md has it
    subprocess.run(
        [pg_dump, *connect, "-Fc", "-f", str(dump), db["NAME"]],
        env=environ,
        check=True,
        timeout=300,
    )

    restored = f"{db['NAME']}_restored_{os.getpid()}"
    maintenance = psycopg.connect(
        host=server["host"],
        port=server["port"],
        user=server["user"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    try:
        maintenance.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
        maintenance.execute(f'CREATE DATABASE "{restored}" TEMPLATE template0')
        subprocess.run(
            [pg_restore, *connect, "--no-owner", "--exit-on-error", "-d", restored, str(dump)],
            env=environ,
            check=True,
            timeout=300,
        )
        password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
        url = (
            f"postgres://{quote(server['user'], safe='')}{password}@{server['host']}:"
            f"{server['port']}/{restored}"
        )
        report = subprocess.run(
            [sys.executable, "-c", RESTORED, str(edition.pk)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith("RASAD_")},
                "RASAD_DATABASE_URL": url,
                "RASAD_VAR_DIR": str(tmp_path / "restored-server"),
                "PYTHONPATH": str(SRC),
                "DJANGO_SETTINGS_MODULE": "rasad.platform.settings",
            },
        )
    finally:
        maintenance.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
        maintenance.close()
    assert report.returncode == 0, report.stderr
    seen = json.loads(report.stdout)

    # the restored edition is the one published: every frozen field, the return
    # versions it read and every result row, to the last bit of every float
    assert seen["edition"] == original["edition"]
    assert seen["versions"] == original["versions"]
    assert seen["results"] == original["results"] and len(seen["results"]) > 100
    # its hashes hold for what the restored database stores
    assert seen["methodology_sha256"] == edition.methodology_sha256
    assert seen["frozen_data_sha256"] == edition.data_sha256
    # and computing it again from the restored returns, with the published settings,
    # gives the same data hash, every score and rank, every interval and P(top)
    recomputed = seen["recomputed"]
    assert recomputed["data_sha256"] == edition.data_sha256
    assert recomputed["crossing_top"] == edition.crossing_top
    assert recomputed["results"] == original["results"]
