"""``rasad worker`` yields the CPU to the web servers it shares a machine with: it lowers
its own priority (``--nice``, 10 by default) before taking any job."""

import pytest

from rasad.cli import main


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "argv, lowered", [([], [10]), (["--nice", "4"], [4]), (["--nice", "0"], [])]
)
def test_the_worker_runs_below_the_web_servers_priority(monkeypatch, argv, lowered):
    calls = []
    monkeypatch.setattr("os.nice", calls.append)
    assert main(["worker", "--batch", "--quiet", *argv]) == 0  # nothing queued: it returns
    assert calls == lowered
