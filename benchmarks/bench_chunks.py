"""Benchmark: an edition's Monte Carlo runs computed by one worker, then split over two
(issue 16, item 2), on PostgreSQL, in the same run.

Run:  .venv/bin/python benchmarks/bench_chunks.py [--enterprises 100000] [--runs 1000]

1. Builds the database ``bench_chunks`` on 127.0.0.1:5432 (trust auth, user postgres)
   with the demo population of ``--enterprises`` firms, or reuses it when its marker
   (a comment on the database) says it is complete.
2. Queues the edition of 1403 with the bundled uncertainty spec, ``--runs`` runs and no
   sensitivity analysis, with the runs in one part, and times it from queueing to done
   with one ``rasad worker`` process; then the same with the runs in two parts and two
   worker processes (the job's worker takes a part, the other the second).
3. Checks that both editions stored the same results, and prints both times, their
   ratio and the machine; the same table goes to ``var/bench_chunks/result-<time>.txt``.

The workers run in their own process groups and are stopped on exit.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "bench_chunks"  # --database changes it
URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"


def _use(database: str) -> None:
    global DATABASE, URL
    DATABASE, URL = database, f"postgres://postgres@127.0.0.1:5432/{database}"


def _psql(sql: str, database: str = "postgres") -> str:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-tAc", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def _setup(enterprises: int) -> None:
    marker = f"rasad bench_chunks {enterprises}"
    exists = _psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'") == "1"
    if (
        exists
        and _psql(
            f"SELECT shobj_description(oid, 'pg_database') FROM pg_database "
            f"WHERE datname = '{DATABASE}'"
        )
        == marker
    ):
        return
    if exists:
        _psql(f"DROP DATABASE {DATABASE}")
    _psql(f"CREATE DATABASE {DATABASE}")
    env = {**os.environ, "RASAD_DATABASE_URL": URL}
    subprocess.run(
        [sys.executable, "-m", "rasad", "manage", "migrate", "--noinput", "-v0"],
        env=env,
        check=True,
    )
    subprocess.run(
        [sys.executable, "-m", "rasad", "demo", "load", "--enterprises", str(enterprises)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    _psql(f"COMMENT ON DATABASE {DATABASE} IS '{marker}'")


def _worker(env: dict, name: str) -> subprocess.Popen:
    log = open(ROOT / "var" / "bench_chunks" / f"{name}.log", "w")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", "rasad", "worker", "--interval", "0.2", "--quiet"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(processes) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)


def _timed(env: dict, runs: int, parts: int, workers: int) -> tuple[float, int]:
    """Seconds from queueing the edition to its job's end, and the edition's id."""
    import re

    started = [_worker(env, f"worker-{parts}-{i}") for i in range(workers)]
    try:
        began = time.perf_counter()
        queued = subprocess.run(
            [
                sys.executable,
                "-m",
                "rasad",
                "edition",
                "compute",
                "--period",
                "1403",
                "--spec",
                "sme100-uncertainty",
                "--runs",
                str(runs),
                "--chunks",
                str(parts),
                "--background",
                "--name-en",
                f"bench {parts} part(s)",
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        edition, job = map(int, re.search(r"Edition (\d+) queued as job (\d+)", queued).groups())
        while True:
            status = subprocess.run(
                [sys.executable, "-m", "rasad", "edition", "status", str(job)],
                env=env,
                capture_output=True,
                text=True,
            )
            if status.returncode in (0, 1):
                break
            time.sleep(0.5)
        if status.returncode != 0:
            raise SystemExit(status.stdout)
        return time.perf_counter() - began, edition
    finally:
        _stop(started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument(
        "--database", default=DATABASE, help="PostgreSQL database to build or reuse"
    )
    args = parser.parse_args()
    _use(args.database)
    (ROOT / "var" / "bench_chunks").mkdir(parents=True, exist_ok=True)
    _setup(args.enterprises)
    env = {**os.environ, "RASAD_DATABASE_URL": URL, "RASAD_LANG": "en"}  # the messages parsed
    one, first = _timed(env, args.runs, parts=1, workers=1)
    two, second = _timed(env, args.runs, parts=2, workers=2)
    same = _psql(
        "SELECT count(*) FROM (SELECT enterprise_id, score, rank, rank_q05, rank_median, rank_q95, "
        f"p_top FROM rankings_editionresult WHERE edition_id = {first} "
        "EXCEPT SELECT enterprise_id, score, rank, rank_q05, rank_median, rank_q95, p_top "
        f"FROM rankings_editionresult WHERE edition_id = {second}) AS d",
        DATABASE,
    )
    lines = [
        f"bench_chunks {datetime.datetime.now():%Y-%m-%d %H:%M}  {platform.machine()} "
        f"{os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        f"{args.enterprises:,} enterprises x {args.runs:,} runs "
        "(bundled SME-100 spec, no sensitivity analysis)",
        f"one worker, one part : {one:7.1f} s",
        f"two workers, two parts: {two:7.1f} s   ratio two/one = {two / one:.2f}",
        f"results differing between the two editions: {same} rows",
    ]
    print("\n".join(lines))
    (
        ROOT / "var" / "bench_chunks" / f"result-{datetime.datetime.now():%Y%m%d-%H%M%S}.txt"
    ).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
