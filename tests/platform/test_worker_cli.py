"""``rasad worker`` yields the CPU to the web servers it shares a machine with: it lowers
its own priority (``--nice``, 10 by default) before taking any job, and its scheduling
group's when the group is its own."""

import os

import pytest

from rasad import cli
from rasad.cli import main


@pytest.fixture
def scheduler(monkeypatch, tmp_path):
    """os.nice, os.setsid and the autogroup file, recorded instead of applied."""
    seen = {"nice": [], "setsid": 0}
    monkeypatch.setattr(os, "nice", seen["nice"].append)

    def setsid():
        seen["setsid"] += 1

    monkeypatch.setattr(os, "setsid", setsid)
    monkeypatch.setattr(os, "getsid", lambda pid: os.getpid())  # a session of its own
    autogroup = tmp_path / "autogroup"
    monkeypatch.setattr(cli, "AUTOGROUP", autogroup)
    seen["autogroup"] = autogroup
    return seen


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("argv, lowered", [([], 10), (["--nice", "4"], 4), (["--nice", "0"], 0)])
def test_the_worker_runs_below_the_web_servers_priority(scheduler, argv, lowered):
    assert main(["worker", "--batch", "--quiet", *argv]) == 0  # nothing queued: it returns
    if lowered:
        assert scheduler["nice"] == [lowered] and scheduler["setsid"] == 1
        assert scheduler["autogroup"].read_text() == str(lowered)
    else:
        assert scheduler["nice"] == [] and not scheduler["autogroup"].exists()


def test_a_group_shared_with_others_is_left_alone(scheduler, monkeypatch):
    def refused():
        raise PermissionError  # it leads a process group: a shell's job

    monkeypatch.setattr(os, "setsid", refused)
    monkeypatch.setattr(os, "getsid", lambda pid: 1)  # the shell's session
    cli._yield_cpu(10)
    assert scheduler["nice"] == [10] and not scheduler["autogroup"].exists()
