"""Benchmark: the Top-100, a filtered ranking and enterprise scorecards under 20
concurrent clients (issue 6), on PostgreSQL with 100,000 enterprises × 5 yearly periods.

Run:  .venv/bin/python benchmarks/bench_pages.py [--duration 60s] [--users 20] [--threads 8]
      [--with-job [--job-runs 1000] [--job-sensitivity 64]]

1. Builds the database ``bench_pages`` on 127.0.0.1:5432 (trust auth, user postgres)
   with the demo population (``rasad.demo.generate`` loaded by ``load_demo``, whose
   returns go through ``record_returns``, COPY on PostgreSQL) and its computed and
   published demo edition — or reuses it when the marker written after a complete
   build (a comment on the database) and the row counts say it is intact.
2. Serves the platform with ``rasad serve`` (gunicorn, DEBUG off) on a free loopback
   port, opens each page once to warm it (the first scorecard builds the shared
   monitoring run), times each page with one client alone, opens one session of the
   demo analyst per client through the login form, then
3. runs locust headless in a second process (``benchmarks/locustfile_pages.py``): 20
   clients in a closed loop, each with its session, spreading their requests evenly
   over the Top-100, a filtered ranking, scorecards of a random sample of ranked
   enterprises (in Persian, the default), and the peers measured under the same load:
   a static file and the cheapest Django view (the edition's methodology file).
4. Prints p50/p95/p99 and requests/s per page with the machine, and writes the same
   table to ``var/bench_pages/result-<time>.txt``.

With ``--with-job`` the load runs while an edition is computed in a ``rasad worker``
process beside the server (issue 16: "p95 ≤ 300 ms with jobs in the worker"): the
worker is started, a new draft edition of the published edition's year is queued with
the bundled uncertainty spec (``--job-runs``, ``--job-sensitivity``), the load starts
once the job is past gathering its data, and a job ends only to be queued again, so
one is running throughout; the report says which jobs ran and for how long.

The server (and the worker) run in their own process groups and are killed on exit,
error or Ctrl+C.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import http.cookiejar
import json
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SERVER = "postgres://postgres@127.0.0.1:5432"
LOCUSTFILE = Path(__file__).with_name("locustfile_pages.py")
# the order of the table (locust's request names, set in the locustfile)
PAGES = ["Top-100", "Top-100 filtered", "scorecard", "peer: static file", "peer: methodology file"]


def marker(enterprises: int, seed: int, runs: int) -> str:
    return (
        f"rasad bench_pages: {enterprises} enterprises, seed {seed}, edition runs {runs}, complete"
    )


# --- the database -------------------------------------------------------------------------


def database_state(name: str) -> tuple[bool, str | None]:
    """Whether the database exists, and its comment (the marker of a complete build)."""
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
    return row is not None, (row[0] if row else None)


def counts(name: str) -> tuple[int, int, int]:
    """Enterprises, yearly returns with a current version, results of the published edition."""
    import psycopg

    with psycopg.connect(f"{SERVER}/{name}") as db:
        enterprises = db.execute("SELECT count(*) FROM registry_enterprise").fetchone()[0]
        returns = db.execute(
            "SELECT count(*) FROM returns_return r JOIN returns_period p ON p.id = r.period_id "
            "WHERE p.quarter IS NULL AND r.current_version_id IS NOT NULL"
        ).fetchone()[0]
        results = db.execute(
            "SELECT count(*) FROM rankings_editionresult r JOIN rankings_edition e "
            "ON e.id = r.edition_id WHERE e.status = 'published'"
        ).fetchone()[0]
    return enterprises, returns, results


def recreate(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def prepare_database(args) -> str:
    """Reuse the database when intact, otherwise build it; return what was done."""
    label = marker(args.enterprises, args.seed, args.runs)
    exists, comment = database_state(args.database)
    reuse = False
    if exists and comment == label and not args.rebuild:
        enterprises, returns, results = counts(args.database)
        reuse = enterprises == args.enterprises and returns > 0 and results > 0
    if not reuse:
        recreate(args.database)
    setup_django(args)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # a reused database gets any new migration too
    if reuse:
        return "reused (marker and row counts intact)"
    return build(args, label)


def setup_django(args) -> None:
    os.environ["RASAD_DATABASE_URL"] = f"{SERVER}/{args.database}"
    os.environ["RASAD_VAR_DIR"] = str(args.var)
    os.environ.pop("RASAD_DEBUG", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rasad.platform.settings")
    import django

    django.setup()


def build(args, label: str) -> str:
    from django.db import connection

    from rasad.demo import generate
    from rasad.platform.demo_data import load_demo, publish_demo_edition

    started = time.perf_counter()
    population = generate(n_enterprises=args.enterprises, seed=args.seed)
    generated = time.perf_counter()
    loaded_counts = load_demo(population)
    loaded = time.perf_counter()
    print(
        f"build: generated in {generated - started:.0f} s, "
        f"loaded {loaded_counts} in {loaded - generated:.0f} s",
        flush=True,
    )
    job = publish_demo_edition(runs=args.runs)
    if job is None or job.status != "done":
        raise SystemExit(
            f"the demo edition was not computed: {getattr(job, 'error_en', 'nothing to compute')}"
        )
    computed = time.perf_counter()
    with connection.cursor() as cursor:
        # what autovacuum would do on a settled database: statistics for the planner and
        # the visibility map for index-only scans
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(f'COMMENT ON DATABASE "{args.database}" IS %s', [label])
    return (
        f"built: generate {generated - started:.0f} s, load {loaded - generated:.0f} s, "
        f"compute and publish ({args.runs} runs) {computed - loaded:.0f} s"
    )


def plan(args) -> dict:
    """What the clients ask for: a random sample of ranked enterprises and of filters."""
    from rasad.platform.accounts.models import Role
    from rasad.platform.demo_data import DEMO_PASSWORD, DEMO_USERS
    from rasad.platform.public import data
    from rasad.platform.registry.models import Province

    edition = data.latest_edition()
    rng = random.Random(args.seed)
    ids = list(
        edition.results.filter(rank__isnull=False).values_list("enterprise__national_id", flat=True)
    )
    summary = data.summary(edition)
    provinces = list(
        Province.objects.filter(pk__in=summary["provinces"]).values_list("code", flat=True)
    )
    filters = [
        {
            "scope": "all",
            "province": rng.choice(provinces),
            "sector": rng.choice(summary["divisions"]),
            "size": rng.choice(summary["bands"]),
        }
        for _ in range(50)
    ]
    return {
        "username": DEMO_USERS[Role.ANALYST],
        "password": DEMO_PASSWORD,
        "national_ids": rng.sample(ids, min(args.sample, len(ids))),
        "filters": filters,
        "static": "/static/rasad/rasad.css",
        "methodology": f"/editions/{edition.pk}/methodology.yaml",
        "ranked": len(ids),
        "year": edition.period.year,
    }


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(args):
    """``rasad serve`` in its own process group, killed (the whole group) on leaving."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "RASAD_DEBUG"}
    log = open(args.var / "server.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [
            str(VENV_BIN / "rasad"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600  # the caches are warmed before the workers start
        while True:
            if server.poll() is not None:
                raise SystemExit(
                    f"the server stopped (exit {server.returncode}); see {args.var / 'server.log'}"
                )
            try:
                urllib.request.urlopen(base + "/static/rasad/rasad.css", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not answer within 600 s") from None
                time.sleep(0.3)
        yield base, server.pid
    finally:
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(server.pid, sig)
                server.wait(wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        log.close()


def login(base: str, work: dict):
    """An opener with a session of the demo analyst (Django's login form, CSRF token)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/accounts/login/", timeout=60).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(
        {"username": work["username"], "password": work["password"], "csrfmiddlewaretoken": token}
    ).encode()
    opener.open(urllib.request.Request(base + "/accounts/login/", data=body), timeout=60).read()
    if not any(c.name == "sessionid" for c in jar):
        raise SystemExit("the login failed")
    return opener


def session(opener) -> str:
    """The session id an opener logged in with."""
    jar = next(
        h.cookiejar for h in opener.handlers if isinstance(h, urllib.request.HTTPCookieProcessor)
    )
    return next(c.value for c in jar if c.name == "sessionid")


def urls(work: dict, rng: random.Random) -> dict[str, str]:
    """One URL of each page, as the clients choose them."""
    return {
        "Top-100": "/top100/",
        "Top-100 filtered": "/top100/?" + urllib.parse.urlencode(rng.choice(work["filters"])),
        "scorecard": f"/enterprises/{rng.choice(work['national_ids'])}/",
        "peer: static file": work["static"],
        "peer: methodology file": work["methodology"],
    }


def warm(base: str, work: dict) -> dict[str, float]:
    """Open each page once (timed): the first scorecard of a data state builds the
    shared monitoring run, which every later scorecard reuses."""
    opener = login(base, work)
    seconds = {}
    for name, path in (
        ("Top-100", "/top100/"),
        ("Top-100 filtered", "/top100/?" + urllib.parse.urlencode(work["filters"][0])),
        ("scorecard", f"/enterprises/{work['national_ids'][0]}/"),
        ("scorecard (again)", f"/enterprises/{work['national_ids'][1]}/"),
    ):
        start = time.perf_counter()
        opener.open(base + path, timeout=600).read()
        seconds[name] = time.perf_counter() - start
    return seconds


def alone(base: str, work: dict, repeats: int) -> dict[str, float]:
    """The median time of each page with one client and nothing else asked of the
    server: its service time, which 20 clients in a closed loop queue behind."""
    opener = login(base, work)
    rng = random.Random(2)
    times: dict[str, list[float]] = {name: [] for name in PAGES}
    for _ in range(repeats):
        for name, path in urls(work, rng).items():
            start = time.perf_counter()
            opener.open(base + path, timeout=600).read()
            times[name].append(time.perf_counter() - start)
    return {name: 1000 * statistics.median(values) for name, values in times.items()}


def run_locust(args, base: str, plan_file: Path, prefix: Path) -> None:
    env = {**os.environ, "BENCH_PAGES_PLAN": str(plan_file)}
    command = [
        args.locust,
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "-u",
        str(args.users),
        "-r",
        str(args.users),
        "-t",
        args.duration,
        "--csv",
        str(prefix),
        "--host",
        base,
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    subprocess.run(command, env=env, check=False, cwd=ROOT)


# --- an edition computed in a worker during the load (--with-job) -------------------------------


class EditionJobs:
    """``--with-job``: a ``rasad worker`` process (its own process group) and, for as
    long as the load lasts, always one edition job in it: a new draft edition of the
    latest published edition's year with the bundled uncertainty spec, ``--job-runs``
    runs and a sensitivity analysis of ``--job-sensitivity`` (what the compute page
    queues), queued again as soon as the last one ends. ``jobs`` holds each job's
    queueing, end and status."""

    def __init__(self, args, year: int):
        self.args, self.year = args, year
        self.jobs: list[dict] = []
        self.stopped = threading.Event()
        self.thread = None
        self.worker = None

    def _rasad(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(VENV_BIN / "rasad"), *arguments],
            check=check,
            capture_output=True,
            text=True,
        )

    def _loop(self) -> None:
        while not self.stopped.is_set():
            queued_at = time.monotonic()
            out = self._rasad(
                "edition",
                "compute",
                "--period",
                str(self.year),
                "--spec",
                "sme100-uncertainty",
                "--runs",
                str(self.args.job_runs),
                "--sensitivity",
                str(self.args.job_sensitivity),
                "--background",
                "--name-en",
                "bench_pages job",
            ).stdout
            job = int(re.search(r"queued as job (\d+)", out).group(1))
            record = {"job": job, "queued": queued_at, "ended": None, "status": "running"}
            self.jobs.append(record)
            while True:
                status = self._rasad("edition", "status", str(job), check=False)
                if status.returncode in (0, 1):
                    record["ended"] = time.monotonic()
                    record["status"] = "done" if status.returncode == 0 else "failed"
                    break
                if self.stopped.wait(1.0):
                    return

    def __enter__(self) -> EditionJobs:
        log = open(self.args.var / "worker.log", "w")  # noqa: SIM115 (closed with the worker)
        self.worker = subprocess.Popen(
            [str(VENV_BIN / "rasad"), "worker", "--interval", "0.5", "--quiet"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.worker.log = log
        self.thread = threading.Thread(target=self._loop, name="bench-edition-jobs", daemon=True)
        self.thread.start()
        self.started = time.monotonic()
        return self

    def wait_running(self, timeout: float = 300) -> None:
        """Until the first job has left its data stage (the worker is computing)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.jobs:
                state = self._rasad("edition", "status", str(self.jobs[0]["job"]), check=False)
                if re.search(r"(ranking|uncertainty|storing|sensitivity)", state.stdout):
                    return
            time.sleep(0.5)
        raise SystemExit("the edition job did not start computing within 300 s")

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join(30)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.worker.pid, sig)
                self.worker.wait(30)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        self.worker.log.close()

    def summary(self, load_began: float, load_ended: float) -> str:
        parts = []
        for job in self.jobs:
            ended = job["ended"]
            span = f"{ended - job['queued']:.0f} s" if ended else "still running at the end"
            parts.append(
                f"job {job['job']} queued at {job['queued'] - load_began:+.0f} s of the load: "
                f"{job['status']}, {span}"
            )
        busy = sum(
            min(job["ended"] or load_ended, load_ended) - max(job["queued"], load_began)
            for job in self.jobs
            if (job["ended"] or load_ended) > load_began
        )
        return (
            f"edition jobs in a rasad worker ({self.args.job_runs} runs, sensitivity N = "
            f"{self.args.job_sensitivity}): "
            + "; ".join(parts)
            + f"; a job was queued or running for {busy:.0f} of the "
            f"{load_ended - load_began:.0f} s of load"
        )


# --- the report --------------------------------------------------------------------------------


def machine() -> list[str]:
    import psycopg

    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    with psycopg.connect(f"{SERVER}/postgres") as db:
        version = db.execute("SHOW server_version").fetchone()[0]
    load = os.getloadavg()
    return [
        f"machine: {os.cpu_count()} logical CPUs, {model}, {platform.machine()}, "
        f"python {platform.python_version()}, PostgreSQL {version}",
        f"load average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
    ]


def table(prefix: Path) -> tuple[list[str], dict]:
    with open(f"{prefix}_stats.csv", newline="") as handle:
        stats = {row["Name"]: row for row in csv.DictReader(handle)}
    lines = [
        f"{'page':<24} {'requests':>9} {'failed':>7} {'req/s':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    ]
    figures = {}
    for name in PAGES:
        row = stats.get(name)
        if row is None:
            lines.append(f"{name:<24} no request completed within the run")
            continue
        figures[name] = {k: float(row[k]) for k in ("Requests/s", "50%", "95%", "99%")}
        lines.append(
            f"{name:<24} {int(row['Request Count']):>9,} {int(row['Failure Count']):>7,} "
            f"{float(row['Requests/s']):>7.1f} {row['50%']:>7} {row['95%']:>7} {row['99%']:>7}"
        )
    total = sum(f["Requests/s"] for f in figures.values())
    lines.append(f"{'all five pages':<24} {'':>9} {'':>7} {total:>7.1f}")
    return lines, figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="bench_pages")
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--runs", type=int, default=200, help="Monte Carlo runs of the edition (default 200)"
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="build the database again even when intact"
    )
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", default="60s", help="locust's run time, e.g. 60s or 2m")
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1),
        help="gunicorn worker processes (rasad serve's default: two per core)",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per worker (rasad serve's default: 1)"
    )
    parser.add_argument(
        "--sample", type=int, default=2000, help="ranked enterprises whose scorecards are opened"
    )
    parser.add_argument(
        "--alone", type=int, default=20, help="requests per page with one client, before the load"
    )
    parser.add_argument(
        "--locust",
        default=str(VENV_BIN / "locust"),
        help="the locust command (default: the virtual environment's; locust may live in another)",
    )
    parser.add_argument(
        "--with-job",
        action="store_true",
        help="during the load, an edition computation always running in a rasad worker process",
    )
    parser.add_argument(
        "--job-runs", type=int, default=1000, help="with --with-job: the job's Monte Carlo runs"
    )
    parser.add_argument(
        "--job-sensitivity",
        type=int,
        default=64,
        help="with --with-job: the job's Sobol sample (the compute page's default, 64)",
    )
    args = parser.parse_args()
    args.var = ROOT / "var" / "bench_pages"
    args.var.mkdir(parents=True, exist_ok=True)
    # SIGTERM (and SIGHUP) leave through the finally blocks too, killing the server
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))

    head = machine()
    print("\n".join(head), flush=True)
    database = prepare_database(args)
    print(f"database {args.database}: {database}", flush=True)
    work = plan(args)
    from django.core.cache import cache

    # the server's shared page cache starts empty: no page rendered by an earlier run is served
    cache.clear()
    plan_file = args.var / "plan.json"
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    prefix = args.var / f"locust-{stamp}"
    with serving(args) as (base, pid):
        print(
            f"serving {base} (rasad serve, gunicorn, {args.workers} workers × "
            f"{args.threads} threads, DEBUG off, pid {pid})",
            flush=True,
        )
        warmed = warm(base, work)
        print(
            "warm-up (one request each, s): "
            + ", ".join(f"{k} {v:.2f}" for k, v in warmed.items()),
            flush=True,
        )
        work["sessions"] = [session(login(base, work)) for _ in range(args.users)]
        plan_file.write_text(json.dumps(work))
        service = alone(base, work, args.alone)
        print(
            "one client alone, median ms: " + ", ".join(f"{k} {v:.0f}" for k, v in service.items()),
            flush=True,
        )
        jobs_line = None
        if args.with_job:
            with EditionJobs(args, work["year"]) as jobs:
                jobs.wait_running()
                print("an edition job is computing in a rasad worker; the load starts", flush=True)
                load_began = time.monotonic()
                run_locust(args, base, plan_file, prefix)
                jobs_line = jobs.summary(load_began, time.monotonic())
        else:
            run_locust(args, base, plan_file, prefix)
    lines, figures = table(prefix)
    peer = figures.get("peer: static file", {}).get("95%")
    ratios = [
        f"{name} p95 / static-file peer p95 = {figures[name]['95%'] / peer:.1f}×"
        for name in PAGES[:3]
        if name in figures and peer
    ]
    report = [
        *head,
        f"database: {args.database}, {args.enterprises:,} enterprises × 5 yearly periods, "
        f"{work['ranked']:,} ranked; {database}",
        f"load: locust, {args.users} clients in a closed loop (no wait), {args.duration}, each "
        f"with its own session of {work['username']} (logged in before); gunicorn {args.workers} "
        f"workers × {args.threads} threads; scorecards of {len(work['national_ids']):,} "
        "random ranked enterprises; "
        "filters scope=all + province + sector + size band",
        "warm-up: " + ", ".join(f"{k} {v:.2f} s" for k, v in warmed.items()),
        f"one client alone ({args.alone} requests each), median: "
        + ", ".join(f"{k} {v:.0f} ms" for k, v in service.items()),
        *([jobs_line] if jobs_line else []),
        "",
        *lines,
        "",
        *ratios,
    ]
    text = "\n".join(report)
    print("\n" + text)
    (args.var / f"result-{stamp}.txt").write_text(text + "\n")
    print(f"\nwritten: {args.var / f'result-{stamp}.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
