"""Two app servers and a worker sharing PostgreSQL (and Redis when ``RASAD_TEST_REDIS_URL``
names one), as a ministry deploys them (docs/deploy.md; issue 16): an edition started
through one server is watched through the other and computed by the worker; the worker
is killed mid-job and the job is reported failed with that reason within a minute,
never left running; a second worker then computes the edition run again.

Each process has its own ``RASAD_VAR_DIR``: no server reads another's disk.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.db import connection

from rasad.demo import generate
from rasad.platform.accounts.models import Role, User
from rasad.platform.demo_data import load_demo
from rasad.platform.rankings.models import EditionJob
from rasad.platform.returns.models import Period

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long enough password 42"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def shared_database():
    if connection.vendor != "postgresql":
        pytest.skip(
            "several processes share one database: PostgreSQL (the in-memory SQLite test "
            "database is this process's own); .ci/run runs this on PostgreSQL"
        )
    settings = connection.settings_dict
    return (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )


class Processes:
    def __init__(self, tmp_path: Path, database_url: str):
        self.tmp_path, self.started = tmp_path, []
        self.env = {
            **os.environ,
            "RASAD_DATABASE_URL": database_url,
            "RASAD_SECRET_KEY": "s" * 60,
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("RASAD_CI", None)
        if os.environ.get("RASAD_TEST_REDIS_URL"):
            self.env["RASAD_REDIS_URL"] = os.environ["RASAD_TEST_REDIS_URL"]

    def start(self, name: str, *arguments: str) -> subprocess.Popen:
        env = {**self.env, "RASAD_VAR_DIR": str(self.tmp_path / name)}
        log = open(self.tmp_path / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            [sys.executable, "-m", "rasad", *arguments],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.log = log
        self.started.append(process)
        return process

    def server(self, name: str) -> str:
        port = _free_port()
        self.start(name, "serve", "--port", str(port), "--workers", "1", "--no-warm")
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/accounts/login/", timeout=5).status_code == 200:
                    return url
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        raise AssertionError((self.tmp_path / f"{name}.log").read_text())

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
            process.log.close()


@pytest.fixture
def processes(tmp_path, shared_database):
    running = Processes(tmp_path, shared_database)
    yield running
    running.stop_all()


def _log_in(url: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{url}/accounts/login/")
    token = CSRF.search(page.text).group(1)
    answer = session.post(
        f"{url}/accounts/login/",
        data={"username": "analyst2", "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{url}/accounts/login/"},
    )
    assert answer.status_code == 200 and "/accounts/login/" not in answer.url, answer.text[:500]
    return session


def _start_edition(session: requests.Session, url: str, runs: int) -> int:
    form = session.get(f"{url}/analysis/editions/new/")
    token = CSRF.search(form.text).group(1)
    period = Period.objects.get(year=1403, quarter__isnull=True)
    methodology = re.search(
        r'<select name="methodology"[^>]*>.*?<option value="(\d+)"[^>]*selected', form.text, re.S
    ).group(1)
    spec = re.search(r'<textarea name="spec"[^>]*>\n?(.*?)</textarea>', form.text, re.S).group(1)
    import html

    answer = session.post(
        f"{url}/analysis/editions/new/",
        data={
            "csrfmiddlewaretoken": token,
            "period": period.pk,
            "methodology": methodology,
            "name_fa": "",
            "name_en": "",
            "spec": html.unescape(spec),
            "runs": runs,
            "seed": 1,
            "top_k": 100,
            "sensitivity_n": 0,
        },
        headers={"Referer": f"{url}/analysis/editions/new/"},
    )
    found = re.search(r"/analysis/jobs/(\d+)/", answer.url)
    assert found, answer.text[:2000]
    return int(found.group(1))


def _watch(session: requests.Session, url: str, job_id: int, until, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = session.get(f"{url}/analysis/jobs/{job_id}/status.json").json()
        if until(state):
            return state
        time.sleep(0.25)
    raise AssertionError(f"job {job_id} still {state} after {timeout} s")


def test_two_servers_and_a_worker_that_is_killed(processes):
    load_demo(generate(n_enterprises=200, seed=3))
    User.objects.create_user("analyst2", password=PASSWORD, role=Role.ANALYST)
    first, second = processes.server("server-a"), processes.server("server-b")
    through_a, through_b = _log_in(first), _log_in(second)

    # started through A, watched through B, computed by the worker
    worker = processes.start("worker-1", "worker", "--interval", "0.2")
    long_job = _start_edition(through_a, first, runs=20_000)
    running = _watch(
        through_b, second, long_job, lambda s: s["status"] == "running" and s["percent"] > 0, 120
    )
    assert running["status"] == "running"
    # the worker dies mid-job: the job is failed, with that reason, within a minute
    os.killpg(worker.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    failed = _watch(through_b, second, long_job, lambda s: s["status"] != "running", 60)
    assert time.monotonic() - killed_at <= 60
    assert failed["status"] == "failed", failed
    job = EditionJob.objects.get(pk=long_job)
    assert "stopped answering" in job.error_en and job.worker

    # another worker; the edition is run again at once and finishes, watched through B
    processes.start("worker-2", "worker", "--interval", "0.2")
    again = _start_edition(through_b, second, runs=200)
    done = _watch(through_a, first, again, lambda s: s["finished"], 120)
    assert done["status"] == "done", done
    assert EditionJob.objects.get(pk=again).worker != job.worker
