"""Benchmark: computing, storing and publishing a 100,000-enterprise edition with 1,000
uncertainty replicates (issue 6), phase by phase, on PostgreSQL and SQLite.

Run:  .venv/bin/python benchmarks/bench_edition.py [--enterprises 100000] [--runs 1000]
      [--pg postgres://postgres@127.0.0.1:5432/bench_edition] [--sqlite PATH] [--sensitivity-n 64]

Each database is prepared once and reused: the demo population of ``--enterprises`` firms
(five years of returns) is loaded by the project's own loader,
:func:`rasad.platform.demo_data.load_demo`, when the database does not hold exactly that
many enterprises. The PostgreSQL database is created if missing; the SQLite file lives
under ``RASAD_VAR_DIR`` (``./var`` by default). Editions of earlier runs are emptied
first, so every run starts from the same tables.

One edition of the latest year is then computed the way the analysts' page does it: a
job (:func:`~rasad.platform.rankings.jobs.start_compute`,
:func:`~rasad.platform.rankings.jobs.run_job`) that runs
:func:`~rasad.platform.rankings.services.compute_edition` with the bundled
SME-100 methodology and uncertainty spec, then the job's sensitivity analysis, then
:func:`~rasad.platform.rankings.services.publish_edition`. The functions each phase calls,
and the connection's commit, are wrapped with timers (the code itself is not changed).
Peers in the same run: the engine's ``build`` and ``uncertainty`` on the same table are
the floor of any edition (the phases ``build`` and ``uncertainty`` below), and one ORM
``EditionResult.objects.create`` per enterprise, timed on a sample and scaled (rolled back).
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/bench_edition"
NAIVE_SAMPLE = 2000


def _timed(owner, name: str, label, times: dict) -> None:
    """Replace ``owner.name`` by a wrapper adding its wall time to ``times[label]``
    (``label`` may be a function of the call count, for a function called twice)."""
    function = getattr(owner, name)
    calls = [0]

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        calls[0] += 1
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            key = label(calls[0]) if callable(label) else label
            times[key] += time.perf_counter() - start

    setattr(owner, name, wrapper)


def prepare(enterprises: int) -> None:
    """Migrate; load the demo population unless exactly ``enterprises`` firms are there;
    empty the editions of earlier runs."""
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection

    from rasad.demo import generate
    from rasad.platform.demo_data import load_demo
    from rasad.platform.rankings.models import Edition, EditionJob, EditionResult, ReplicateChunk
    from rasad.platform.registry.models import Enterprise
    from rasad.platform.returns.models import Return

    call_command("migrate", verbosity=0)
    found = Enterprise.objects.count()
    if found != enterprises or not Return.objects.exists():
        if found:
            call_command("flush", interactive=False, verbosity=0)
            call_command("migrate", verbosity=0)
        start = time.perf_counter()
        population = generate(n_enterprises=enterprises, seed=1)
        load_demo(population)
        print(f"  loaded the demo population in {time.perf_counter() - start:.0f} s")
    tables = [
        ReplicateChunk._meta.db_table,
        EditionResult._meta.db_table,
        Edition.return_versions.through._meta.db_table,
        EditionJob._meta.db_table,
        Edition._meta.db_table,
    ]
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables))
    print(f"  {Enterprise.objects.count():,} enterprises, {Return.objects.count():,} returns")


def naive_peer(edition, rows: int) -> float:
    """Seconds per row of one ``EditionResult.objects.create`` per enterprise (rolled back)."""
    from django.db import transaction

    from rasad.platform.rankings.models import EditionResult

    sample = list(
        edition.results.values(
            "enterprise_id",
            "score",
            "rank",
            "node_scores",
            "size_class",
            *EditionResult.INTERVAL_FIELDS,
        )[:rows]
    )
    with transaction.atomic():
        draft = type(edition).objects.create(
            name_fa="peer", period=edition.period, methodology=edition.methodology
        )
        start = time.perf_counter()
        for row in sample:
            EditionResult.objects.create(edition=draft, **row)
        per_row = (time.perf_counter() - start) / len(sample)
        transaction.set_rollback(True)
    return per_row


def run(label: str, runs: int, sensitivity_n: int) -> None:
    from django.db import connection

    import rasad.index.sensitivity
    import rasad.index.uncertainty
    from rasad.platform.accounts.models import Role, User
    from rasad.platform.rankings import jobs, services
    from rasad.platform.rankings.bundled import bundled_methodology, bundled_spec
    from rasad.platform.rankings.models import Edition, EditionJob
    from rasad.platform.returns.models import Period

    times: dict[str, float] = defaultdict(float)
    _timed(
        services,
        "edition_data",
        lambda n: "load data" if n == 1 else "sensitivity: reload data",
        times,
    )
    _timed(services, "data_hash", "data hash", times)
    _timed(services, "build", "build", times)
    _timed(rasad.index.uncertainty, "uncertainty", "uncertainty", times)
    _timed(services, "result_rows", "result rows", times)
    _timed(services, "store_results", "store results", times)
    _timed(services, "store_versions", "store frozen versions", times)
    _timed(rasad.index.sensitivity, "sensitivity", "sensitivity: engine", times)
    _timed(jobs, "_sensitivity", "sensitivity", times)
    _timed(services, "compute_edition", "compute_edition", times)
    # the second commit of the run is compute_edition's (start_compute's is the first,
    # publish_edition's the third): PostgreSQL checks the new rows' foreign keys then
    _timed(connection, "commit", lambda n: "commit" if n == 2 else "other commits", times)

    analyst, _ = User.objects.get_or_create(
        username="bench-analyst", defaults={"role": Role.ANALYST}
    )
    period = (
        Period.objects.filter(quarter__isnull=True, returns__isnull=False).order_by("-year").first()
    )
    edition = Edition.objects.create(
        name_fa=f"سنجش {period.code}",
        name_en=f"bench {period.code}",
        period=period,
        methodology=bundled_methodology(analyst),
        created_by=analyst,
    )
    start = time.perf_counter()
    job = jobs.start_compute(
        edition,
        analyst,
        spec_text=bundled_spec(),
        runs=runs,
        seed=1,
        top_k=100,
        sensitivity_n=sensitivity_n,
    )
    job = jobs.run_job(job.pk)
    computed = time.perf_counter()
    assert job.status == EditionJob.Status.DONE, job.error_en
    services.publish_edition(edition, analyst)
    end = time.perf_counter()
    times["publish"] = end - computed
    total = end - start
    edition.refresh_from_db()
    ranked = edition.results.filter(rank__isnull=False).count()
    print(
        f"  edition {period.code}: {edition.results.count():,} enterprises, {ranked:,} ranked, "
        f"{runs:,} runs, {edition.return_versions.count():,} frozen return versions, "
        f"sensitivity N = {sensitivity_n}"
    )
    inner = (
        "load data",
        "data hash",
        "build",
        "uncertainty",
        "result rows",
        "store results",
        "store frozen versions",
        "commit",
    )
    times["the rest"] = times["compute_edition"] - sum(times[k] for k in inner)
    times["sensitivity: the rest"] = (
        times["sensitivity"] - times["sensitivity: reload data"] - times["sensitivity: engine"]
    )
    for key in (*inner, "the rest", "compute_edition", "publish"):
        print(f"  {key:<32} {times[key]:7.2f} s")
    print(
        f"  {'compute_edition + publish':<32} {times['compute_edition'] + times['publish']:7.2f} s"
    )
    for key in (
        "sensitivity: reload data",
        "sensitivity: engine",
        "sensitivity: the rest",
        "sensitivity",
    ):
        print(f"  {key:<32} {times[key]:7.2f} s")
    print(f"  {'job + publish, end to end':<32} {total:7.2f} s")
    floor = times["build"] + times["uncertainty"]
    print(
        f"  peer: the engine alone (build + uncertainty on the same table) {floor:.2f} s; "
        "compute_edition + publish / engine = "
        f"{(times['compute_edition'] + times['publish']) / floor:.2f}×"
    )
    sample = min(NAIVE_SAMPLE, ranked)
    per_row = naive_peer(edition, sample)
    print(
        f"  peer: EditionResult.objects.create per row, {sample:,} rolled back: "
        f"{per_row * 1e3:.2f} ms a row, {per_row * ranked:.0f} s for {ranked:,} rows "
        f"(store results above: {times['store results']:.2f} s)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--enterprises", type=int, default=100_000, help="demo firms (default 100,000)"
    )
    parser.add_argument(
        "--runs", type=int, default=1000, help="Monte Carlo replicates (default 1,000)"
    )
    parser.add_argument(
        "--sensitivity-n",
        type=int,
        default=64,
        help="the job's Sobol sample (default 64, the analysts' page default; 0 for none)",
    )
    parser.add_argument(
        "--pg", default=DEFAULT_PG, help="PostgreSQL database, created if missing ('' to skip)"
    )
    parser.add_argument(
        "--sqlite",
        default=None,
        help="SQLite file (default $RASAD_VAR_DIR/bench_edition.sqlite3; '' to skip)",
    )
    parser.add_argument(
        "--worker", help=argparse.SUPPRESS
    )  # label: run one database in this process
    args = parser.parse_args()
    if args.worker:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rasad.platform.settings")
        import django

        django.setup()
        print(f"{args.worker}:", flush=True)
        prepare(args.enterprises)
        run(args.worker, args.runs, args.sensitivity_n)
        return
    import pandas as pd

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} logical CPUs, "
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}; "
        f"load average {os.getloadavg()[0]:.2f} at start"
    )
    databases = []
    if args.pg:
        import psycopg

        server, _, name = args.pg.rpartition("/")
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                admin.execute(f'CREATE DATABASE "{name}"')
            print("PostgreSQL", admin.execute("SHOW server_version").fetchone()[0])
        databases.append(("PostgreSQL", args.pg))
    var = Path(os.environ.get("RASAD_VAR_DIR", Path.cwd() / "var")).resolve()
    sqlite = Path(args.sqlite) if args.sqlite else var / "bench_edition.sqlite3"
    if args.sqlite != "":
        sqlite.parent.mkdir(parents=True, exist_ok=True)
        databases.append(("SQLite", f"sqlite:///{sqlite.resolve()}"))
    for label, url in databases:
        environment = dict(os.environ, RASAD_DATABASE_URL=url, RASAD_VAR_DIR=str(var))
        command = [
            sys.executable,
            __file__,
            "--worker",
            label,
            "--enterprises",
            str(args.enterprises),
            "--runs",
            str(args.runs),
            "--sensitivity-n",
            str(args.sensitivity_n),
        ]
        subprocess.run(command, env=environment, check=True)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    sys.exit(main())
