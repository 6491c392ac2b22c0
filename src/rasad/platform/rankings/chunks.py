"""An edition's Monte Carlo runs shared between workers.

A job with ``chunks`` > 1 splits its runs into that many parts
(:func:`rasad.index.uncertainty.chunk_ranges`), one :class:`ReplicateChunk` row each,
and queues a task per part after the first. Every worker, the job's own included, takes
the next part no one has taken (one conditional UPDATE decides who), computes it with
:func:`rasad.index.uncertainty.compute_chunk` and leaves its ranks and scores in the
storage all servers share. The job's worker then takes what is left, waits for the
parts others are computing (a part whose worker stopped answering goes back to the
pile), and merges them: its own parts are computed straight into the rows of one pair
of matrices and the others' read into theirs (:class:`~rasad.index.uncertainty.Merge`),
the same result as one worker's, bit for bit, for the same seed. With one worker
running, the job's worker simply computes every part itself.

A part goes through the storage as three raw ``.npy`` arrays written from its matrices
to a temporary file that the storage moves into place (:meth:`ChunkResult.write
<rasad.index.uncertainty.ChunkResult.write>`), and is read straight into the job's
matrices: at 100,000 enterprises a part of 500 runs is 400 MB, which an in-memory
``.npz`` archive copied twice on each side.
"""

from __future__ import annotations

import io
import os
import tempfile
import time

import pandas as pd
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils import timezone

from rasad.errors import RasadInputError
from rasad.platform.rankings.models import EditionJob, ReplicateChunk

WAIT_EVERY = 0.2  # seconds between looks at the parts other workers compute


def _lost_before():
    from rasad.platform.rankings.jobs import WORKER_LOST_AFTER

    return timezone.now() - WORKER_LOST_AFTER


def claim(job_id: int, worker: str, index: int | None = None) -> ReplicateChunk | None:
    """Take a part of job ``job_id`` (part ``index``, or any): one no one has, or one
    whose worker stopped answering. None when there is none to take."""
    takeable = ReplicateChunk.objects.filter(job_id=job_id).filter(
        Q(status=ReplicateChunk.Status.PENDING)
        | Q(status=ReplicateChunk.Status.RUNNING, heartbeat_at__lt=_lost_before())
    )
    if index is not None:
        takeable = takeable.filter(index=index)
    for chunk in takeable.order_by("index"):
        now = timezone.now()
        taken = ReplicateChunk.objects.filter(
            pk=chunk.pk, status=chunk.status, heartbeat_at=chunk.heartbeat_at
        ).update(status=ReplicateChunk.Status.RUNNING, worker=worker[:120], heartbeat_at=now)
        if taken:
            chunk.refresh_from_db()
            return chunk
    return None


def compute(
    chunk: ReplicateChunk,
    methodology,
    table,
    spec,
    runs: int,
    seed,
    progress=None,
    *,
    merge=None,
):
    """Compute ``chunk`` (the caller has claimed it) and mark it done. Its ranks and
    scores go to the shared storage for the job's worker to merge, or, in the job's
    worker, straight into the rows of its :class:`~rasad.index.uncertainty.Merge`."""
    from rasad.index.uncertainty import compute_chunk
    from rasad.platform.rankings.tasks import Heartbeat

    with Heartbeat(ReplicateChunk, chunk.pk):
        if merge is not None:
            merge.compute(chunk.start, chunk.stop, progress=progress)
        else:
            _store(
                chunk,
                compute_chunk(
                    methodology,
                    table,
                    spec,
                    runs,
                    seed,
                    chunk.start,
                    chunk.stop,
                    progress=progress,
                ),
            )
    ReplicateChunk.objects.filter(pk=chunk.pk).update(
        status=ReplicateChunk.Status.DONE, result=chunk.result.name, heartbeat_at=timezone.now()
    )


class _WrittenFile(File):
    """A file written on this disk, which a file-system storage moves into place
    instead of copying (it asks for ``temporary_file_path``, as for an upload)."""

    def temporary_file_path(self) -> str:
        return self.name


def _store(chunk: ReplicateChunk, result) -> None:
    """Put the part's ranks and scores in the shared storage: written once, straight
    from its matrices, to a temporary file, which the storage then takes (a rename on
    the same disk)."""
    with tempfile.NamedTemporaryFile(
        prefix="rasad-part-", suffix=".npy", dir=settings.FILE_UPLOAD_TEMP_DIR, delete=False
    ) as written:
        result.write(written)
    try:
        with open(written.name, "rb") as file:
            chunk.result.save(
                f"job-{chunk.job_id}-part-{chunk.index}.npy", _WrittenFile(file), save=False
            )
    finally:
        if os.path.exists(written.name):
            os.unlink(written.name)


def _read(chunk: ReplicateChunk, merge) -> None:
    """Read a part another worker stored (:func:`_store`) into the merge's rows."""
    with chunk.result.open("rb") as stored:
        # the operating-system file under Django's File objects, when there is one: its
        # bytes are then read straight into the matrices
        file = stored
        while isinstance(file, File) and file.file is not None:
            file = file.file
        merge.read(file)


def fail(chunk: ReplicateChunk, error: RasadInputError) -> None:
    ReplicateChunk.objects.filter(pk=chunk.pk).update(
        status=ReplicateChunk.Status.FAILED, error_en=error.message_en, error_fa=error.message_fa
    )


def _share_out(job: EditionJob, ranges, methodology, table: pd.DataFrame) -> str:
    """Make a part row of each range, leave the table for the other workers in the
    shared storage (its name is returned) and queue a task per part after the first."""
    from rasad.index import data_hash
    from rasad.platform.rankings.tasks import compute_replicate_chunk

    ReplicateChunk.objects.filter(job=job).delete()
    ReplicateChunk.objects.bulk_create(
        ReplicateChunk(job=job, index=i, start=start, stop=stop)
        for i, (start, stop) in enumerate(ranges)
    )
    # the table the job ranks, for the other workers: reading it back is much faster
    # than gathering it from the returns again
    buffer = io.BytesIO()
    table.to_parquet(buffer)
    table_file = default_storage.save(
        f"replicate-chunks/job-{job.pk}-table.parquet", ContentFile(buffer.getvalue())
    )
    EditionJob.objects.filter(pk=job.pk).update(
        params={**job.params, "data_sha256": data_hash(methodology, table), "table": table_file}
    )
    for index in range(1, len(ranges)):
        compute_replicate_chunk.enqueue(job.pk, index)
    return table_file


def _compute_all(job: EditionJob, worker: str, merge, args: tuple, runs: int, progress):
    """Take and compute parts until every part is done (by this worker or others); the
    parts' rows and the indexes of those computed here. ``args``: what :func:`compute`
    takes before ``progress``."""
    done, mine = 0, set()
    while True:
        chunk = claim(job.pk, worker)
        if chunk is not None:
            compute(
                chunk,
                *args,
                merge=merge,
                progress=None
                if progress is None
                else lambda d, _t, before=done: progress(before + d, runs),
            )
            mine.add(chunk.index)
        states = list(ReplicateChunk.objects.filter(job=job).order_by("index"))
        failed = [c for c in states if c.status == ReplicateChunk.Status.FAILED]
        if failed:
            raise RasadInputError(failed[0].error_en, failed[0].error_fa, field="runs")
        done = sum(c.stop - c.start for c in states if c.status == ReplicateChunk.Status.DONE)
        if progress is not None:
            progress(done, runs)
        if all(c.status == ReplicateChunk.Status.DONE for c in states):
            return states, mine
        if chunk is None:
            time.sleep(WAIT_EVERY)


def runner(job: EditionJob, parts: int, worker: str):
    """An ``uncertainty(methodology, table, spec, runs, seed=, top_k=, progress=)`` that
    shares the runs of ``job`` out in ``parts`` parts (see the module)."""
    from rasad.index.uncertainty import Merge, chunk_ranges

    def uncertainty(methodology, table, spec, runs, *, seed=None, top_k=100, progress=None):
        table_file = _share_out(job, chunk_ranges(runs, parts), methodology, table)
        # set up while the other workers start: the replicates once, the matrices the
        # parts are computed and read into
        merge = Merge(methodology, table, spec, runs, seed, top_k)
        states, mine = _compute_all(
            job, worker, merge, (methodology, table, spec, runs, seed), runs, progress
        )
        for chunk in states:
            if chunk.index not in mine:
                _read(chunk, merge)
        merged = merge.result()
        for chunk in states:
            if chunk.result:
                chunk.result.delete(save=False)
        default_storage.delete(table_file)
        ReplicateChunk.objects.filter(job=job).delete()
        return merged

    return uncertainty


def compute_queued(job_id: int, index: int, worker: str) -> str:
    """What a worker does with a queued part: take it if no one has and the job still
    runs, and compute it on the returns the job ranks (refused if they changed since)."""
    from rasad.index import data_hash
    from rasad.index.methodology import loads
    from rasad.index.uncertainty import loads_spec
    from rasad.platform.rankings.services import edition_data

    job = (
        EditionJob.objects.select_related("edition__methodology", "edition__period")
        .filter(pk=job_id)
        .first()
    )
    if job is None or job.status != EditionJob.Status.RUNNING:
        return "skipped"
    chunk = claim(job_id, worker, index)
    if chunk is None:
        return "taken"
    edition, params = job.edition, job.params
    methodology = loads(
        edition.methodology.text, source=f"methodology {edition.methodology.version}"
    )
    spec = loads_spec(params["spec"], source="uncertainty spec", methodology=methodology)
    try:
        with default_storage.open(params["table"], "rb") as stored:
            table = pd.read_parquet(io.BytesIO(stored.read()))
    except (KeyError, FileNotFoundError):  # merged and cleaned up meanwhile
        table = edition_data(edition.period)[0]
    if data_hash(methodology, table) != params.get("data_sha256"):
        fail(
            chunk,
            RasadInputError(
                "The returns changed while the edition was computed; run the edition again.",
                "اظهارنامه‌ها در میانهٔ محاسبهٔ ویرایش تغییر کردند؛ ویرایش را دوباره اجرا کنید.",
                field="returns",
            ),
        )
        return "failed"
    compute(chunk, methodology, table, spec, params["runs"], params.get("seed", 1))
    return "done"
