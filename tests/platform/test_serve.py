"""``rasad serve`` as a user starts it: gunicorn's workers answer pages and static files
from a fresh database, and the shared caches are warmed before they fork."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

RASAD = Path(sys.executable).with_name("rasad")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, deadline: float) -> tuple[int, str]:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return answer.status, answer.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.slow
def test_serve_answers_with_two_workers(tmp_path):
    env = {**os.environ, "RASAD_VAR_DIR": str(tmp_path)}
    env.pop("RASAD_DATABASE_URL", None)  # its own SQLite file: the server is another process
    env.pop("RASAD_DEBUG", None)
    subprocess.run([str(RASAD), "manage", "migrate", "--noinput", "-v", "0"], env=env, check=True)
    port = _free_port()
    server = subprocess.Popen(
        [str(RASAD), "serve", "--port", str(port), "--workers", "2", "--threads", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        status, css = _get(f"http://127.0.0.1:{port}/static/rasad/rasad.css", deadline)
        assert status == 200 and ".filters" in css
        status, page = _get(f"http://127.0.0.1:{port}/top100/", deadline)
        assert status == 200 and 'dir="rtl"' in page
        # the page names its icon, so browsers do not ask for a /favicon.ico there is not
        icon = page.split('<link rel="icon" type="image/svg+xml" href="', 1)[1].split('"', 1)[0]
        status, svg = _get(f"http://127.0.0.1:{port}{icon}", deadline)
        assert status == 200 and svg.startswith("<svg")
    finally:
        os.killpg(server.pid, 15)
        output = server.communicate(timeout=30)[0]
    assert "warmed nothing (no data yet)" in output
    assert "with 2 worker(s) × 2 threads" in output
    assert output.count("Booting worker") == 2
