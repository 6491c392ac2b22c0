"""What every test shares: under CI (``CI`` or ``RASAD_CI`` set, as ``.ci/run`` does),
Hypothesis draws the same examples on every run and keeps no example database, so a CI
result depends on the code alone; on a developer's machine it keeps exploring."""

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
if os.environ.get("CI") or os.environ.get("RASAD_CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _cli_in_english(monkeypatch):
    """The ``rasad`` command speaks English here, as to a script that reads its lines
    (``RASAD_LANG=en``); tests/test_cli_lang.py tries both languages and the default."""
    monkeypatch.setenv("RASAD_LANG", "en")


class QueueWorker:
    """A django-tasks database worker in this process: ``run_queued()`` runs what is
    queued and returns; as a context manager it works the queue in a thread until the
    block ends (a browser test's live server queues jobs for it). The real worker is
    ``rasad worker``, a process of its own; this one runs in the test's process so that
    it sees the test database."""

    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self.worker = None
        self.thread = None

    def _make(self, batch: bool):
        from django_tasks_db.management.commands.db_worker import Worker

        return Worker(
            queue_names=["default"],
            interval=self.interval,
            batch=batch,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test-worker",
            excluded_queue_names=[],
        )

    def run_queued(self) -> None:
        self._make(batch=True).run()

    def run_queued_in_background(self):
        """Run what is queued now in a thread, while the caller goes on (a browser test
        watching the job's progress page); returns the thread. One pass over the queue,
        not a loop polling it: on SQLite each look takes the whole database for a moment."""
        import threading

        from django.db import connections

        def work():
            try:
                self.run_queued()
            finally:
                connections.close_all()

        thread = threading.Thread(target=work, name="test-queue-batch", daemon=True)
        thread.start()
        return thread

    def __enter__(self):
        import threading

        from django.db import connections

        self.worker = self._make(batch=False)

        def work():
            try:
                self.worker.run()
            finally:
                connections.close_all()  # this thread's connections

        self.thread = threading.Thread(target=work, name="test-queue-worker", daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.worker.running = False
        self.thread.join(timeout=60)


@pytest.fixture
def queue_worker():
    return QueueWorker()
