"""An edition's Monte Carlo runs shared between workers (issue 16, item 2): the parts are
computed by whichever worker takes them, a part whose worker is lost goes back to the
pile, and the stored edition is the same, bit for bit, as one worker's for the seed."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from rasad.demo import generate
from rasad.platform.demo_data import load_demo
from rasad.platform.rankings import chunks, jobs
from rasad.platform.rankings.bundled import bundled_methodology, bundled_spec
from rasad.platform.rankings.models import Edition, EditionJob, EditionResult, ReplicateChunk
from rasad.platform.returns.models import Period

RUNS, SEED = 60, 5
FIELDS = ("enterprise_id", "score", "rank", *EditionResult.INTERVAL_FIELDS)


@pytest.fixture(scope="module")
def population():
    return generate(n_enterprises=150, seed=9)


def _edition(name: str) -> Edition:
    return Edition.objects.create(
        name_fa=name,
        name_en=name,
        methodology=bundled_methodology(),
        period=Period.objects.get(year=1403, quarter__isnull=True),
    )


def _results(edition: Edition) -> list[tuple]:
    return list(
        EditionResult.objects.filter(edition=edition).order_by("enterprise_id").values_list(*FIELDS)
    )


@pytest.mark.django_db(transaction=True)
def test_parts_computed_by_two_workers_give_one_workers_edition(
    population, queue_worker, monkeypatch
):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(
            "two workers writing at once: PostgreSQL (the in-memory SQLite test database locks "
            "whole tables between threads); .ci/run runs this on PostgreSQL"
        )
    load_demo(population)
    taken_by = {}
    claim = chunks.claim

    def only_the_first_for_the_job(job_id, worker, index=None):
        # the job's worker takes part 0 only, so that the other worker computes the rest
        # and they pass through the shared storage, as between two machines
        chunk = claim(job_id, worker, 0 if worker == "job-worker" else index)
        if chunk is not None:
            taken_by[chunk.index] = worker
        return chunk

    monkeypatch.setattr(chunks, "claim", only_the_first_for_the_job)
    alone = _edition("one worker")
    assert (
        jobs.run_job(
            jobs.start_compute(
                alone, spec_text=bundled_spec(), runs=RUNS, seed=SEED, sensitivity_n=0, chunks=1
            ).pk
        ).status
        == "done"
    )
    shared = _edition("three parts")
    job = jobs.start_compute(
        shared, spec_text=bundled_spec(), runs=RUNS, seed=SEED, sensitivity_n=0, chunks=3
    )
    with queue_worker:  # a second worker, taking the parts the job queues
        finished = jobs.run_job(job.pk, worker="job-worker")
    assert finished.status == EditionJob.Status.DONE, finished.error_en
    assert taken_by[0] == "job-worker" and "job-worker" not in (taken_by[1], taken_by[2]), taken_by
    assert _results(shared) == _results(alone)
    assert not ReplicateChunk.objects.filter(job=job).exists()  # merged and cleaned up


@pytest.mark.django_db
def test_a_part_whose_worker_is_lost_is_taken_again(population):
    load_demo(population)
    job = jobs.start_compute(
        _edition("lost part"), spec_text=bundled_spec(), runs=RUNS, seed=SEED, chunks=2
    )
    EditionJob.objects.filter(pk=job.pk).update(status=EditionJob.Status.RUNNING)
    lost = timezone.now() - jobs.WORKER_LOST_AFTER - datetime.timedelta(seconds=1)
    alive = ReplicateChunk.objects.create(
        job=job,
        index=0,
        start=0,
        stop=30,
        status="running",
        worker="w1",
        heartbeat_at=timezone.now(),
    )
    gone = ReplicateChunk.objects.create(
        job=job, index=1, start=30, stop=60, status="running", worker="w2", heartbeat_at=lost
    )
    taken = chunks.claim(job.pk, "w3")
    assert taken.pk == gone.pk and taken.worker == "w3" and taken.status == "running"
    assert chunks.claim(job.pk, "w4") is None  # w1 is alive; w3 has just taken the other
    alive.refresh_from_db()
    assert alive.worker == "w1"


@pytest.mark.django_db
def test_a_queued_part_of_a_job_that_no_longer_runs_is_skipped(population):
    load_demo(population)
    job = jobs.start_compute(
        _edition("stopped"), spec_text=bundled_spec(), runs=RUNS, seed=SEED, chunks=2
    )
    ReplicateChunk.objects.create(job=job, index=1, start=30, stop=60)
    assert (
        chunks.compute_queued(job.pk, 1, "w1") == "skipped"
    )  # the job is still queued, not running
    EditionJob.objects.filter(pk=job.pk).update(status=EditionJob.Status.FAILED)
    assert chunks.compute_queued(job.pk, 1, "w1") == "skipped"
    assert ReplicateChunk.objects.get(job=job, index=1).status == "pending"
