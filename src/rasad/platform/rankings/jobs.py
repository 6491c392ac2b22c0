"""Computing an edition in the background, with progress a page can show.

A job is a row (:class:`~rasad.platform.rankings.models.EditionJob`): the view creates it
with :func:`start_compute` and hands it to :func:`launch`, which puts it on the task
queue (:mod:`rasad.platform.rankings.tasks`: the django-tasks database backend) once the
request's transaction has committed. A worker process (``rasad worker``) takes it and
runs :func:`run_job`, never a thread of the web server; the progress page, on any app
server, reads the job's row. :func:`run_job` is an ordinary function: tests, the CLI
and the demo loader call it directly and get the finished job back.

A job ranks the edition with :func:`~rasad.platform.rankings.services.compute_edition`
(ranking and, with a spec, the uncertainty analysis), then runs the sensitivity analysis
(:func:`rasad.index.sensitivity.sensitivity`) of the same spec on the same data with a
small Sobol sample and keeps its table on the job. Each step's progress is written to
the job row, at most a few times a second. A job that fails keeps its error in both
languages. While a worker runs a job it writes a heartbeat every
:data:`HEARTBEAT_EVERY`; a running job whose heartbeat is older than
:data:`WORKER_LOST_AFTER` lost its worker (killed, crashed, its machine gone) and is
marked failed, saying so, the next time anyone looks at it (a page, ``rasad edition
status``, a worker starting), so that it can be run again at once.
"""

from __future__ import annotations

import datetime
import logging
import math
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from rasad.errors import RasadInputError
from rasad.iran.text import format_number, to_persian_digits
from rasad.platform.rankings.models import Edition, EditionJob

logger = logging.getLogger(__name__)

# how much of the bar each stage fills (normalised over the stages a job has)
STAGE_WEIGHTS = {"data": 5, "ranking": 5, "uncertainty": 55, "storing": 5, "sensitivity": 30}
HEARTBEAT_EVERY = 5  # seconds between a worker's "still alive" writes while it runs a job
WORKER_LOST_AFTER = datetime.timedelta(seconds=30)
WRITE_EVERY = 0.25  # seconds between progress writes within a stage
DEFAULT_SENSITIVITY_N = 64
SENSITIVITY_CHOICES = (0, 16, 32, 64, 128, 256)


# what each stage is called, on the progress page and in the command line's bar
STAGE_LABELS = {
    "": gettext_lazy("Waiting for a background worker to take it (rasad worker)"),
    "data": gettext_lazy("Reading the returns"),
    "ranking": gettext_lazy("Ranking"),
    "uncertainty": gettext_lazy("Uncertainty analysis (Monte Carlo runs)"),
    "storing": gettext_lazy("Storing the results"),
    "sensitivity": gettext_lazy("Sensitivity analysis (Sobol indices)"),
}


def stages_of(params: dict) -> list[str]:
    stages = ["data", "ranking"]
    if params.get("spec"):
        stages.append("uncertainty")
    stages.append("storing")
    if params.get("spec") and params.get("sensitivity_n"):
        stages.append("sensitivity")
    return stages


def overall_percent(params: dict, stage: str, done: int, total: int) -> float:
    """0–100 over the whole job: the stages before ``stage`` full, ``stage`` by done/total."""
    stages = stages_of(params)
    if stage not in stages:
        return 0.0
    weights = [STAGE_WEIGHTS[s] for s in stages]
    before = sum(weights[: stages.index(stage)])
    fraction = min(max(done / total, 0.0), 1.0) if total else 0.0
    return round(100 * (before + weights[stages.index(stage)] * fraction) / sum(weights), 1)


class _Reporter:
    """``progress(stage, done, total)`` that writes to the job row, throttled, and tells
    ``echo`` (a terminal's progress bar) every time."""

    def __init__(self, job: EditionJob, echo=None):
        self.job = job
        self.echo = echo
        self.last_stage = None
        self.last_write = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.echo is not None:
            self.echo(stage, done, total)
        now = time.monotonic()
        finished_stage = total and done >= total
        if stage == self.last_stage and not finished_stage and now - self.last_write < WRITE_EVERY:
            return
        self.last_stage, self.last_write = stage, now
        EditionJob.objects.filter(pk=self.job.pk).update(
            stage=stage,
            done=int(done),
            total=int(total),
            percent=overall_percent(self.job.params, stage, done, total),
            updated_at=timezone.now(),
        )


def _refuse(en: str, fa: str, edition: Edition) -> RasadInputError:
    return RasadInputError(en, fa, field="edition", value=edition.pk)


def mark_if_stale(job: EditionJob) -> EditionJob:
    """A running job whose worker has not been heard of for :data:`WORKER_LOST_AFTER`
    lost it: mark it failed, saying when its worker was last alive, instead of showing
    it running forever. A queued job waits for a worker, however long."""
    if job.status != EditionJob.Status.RUNNING:
        return job
    alive = job.heartbeat_at or job.updated_at or job.started_at or job.created_at
    if timezone.now() - alive < WORKER_LOST_AFTER:
        return job
    EditionJob.objects.filter(
        pk=job.pk, status=EditionJob.Status.RUNNING, heartbeat_at=job.heartbeat_at
    ).update(status=EditionJob.Status.FAILED, finished_at=timezone.now(), **_lost(job, alive))
    job.refresh_from_db()
    return job


def _lost(job: EditionJob, alive) -> dict:
    worker = job.worker or "?"
    at = timezone.localtime(alive).strftime("%Y-%m-%d %H:%M:%S")
    return {
        "error_en": f"The worker computing this job ({worker}) stopped answering at {at} "
        "(it was killed, crashed "
        "or its machine stopped) before the job finished. Run the edition again.",
        "error_fa": "کارگزار پس‌زمینه‌ای که این کار را محاسبه می‌کرد "
        f"({worker}) از {to_persian_digits(at)} دیگر پاسخ "
        "نداد (متوقف شد، از کار افتاد یا ماشینش خاموش شد) و کار به پایان نرسید. "
        "ویرایش را دوباره اجرا "
        "کنید.",
    }


def reap_lost_jobs() -> int:
    """Mark failed every running job whose worker is lost (what a worker does when it
    starts); the number marked."""
    lost = 0
    for job in EditionJob.objects.filter(status=EditionJob.Status.RUNNING):
        lost += mark_if_stale(job).status == EditionJob.Status.FAILED
    return lost


def start_compute(
    edition: Edition,
    user=None,
    *,
    spec_text: str = "",
    runs: int = 1000,
    seed: int = 1,
    top_k: int = 100,
    sensitivity_n: int = DEFAULT_SENSITIVITY_N,
    allow_thin: bool = False,
    chunks: int | None = None,
) -> EditionJob:
    """Queue a computation of a draft ``edition``; refused for a published edition and
    while another job of the same edition is queued or running. ``allow_thin``: compute
    it even when too few of the enterprises expected have filed (:mod:`.thin`).
    ``chunks``: into how many parts its Monte Carlo runs are split for the workers to
    share (:mod:`.chunks`; default ``settings.RASAD_REPLICATE_CHUNKS``)."""
    chunks = int(chunks if chunks is not None else getattr(settings, "RASAD_REPLICATE_CHUNKS", 1))
    if chunks < 1:
        raise _refuse(
            f"The runs are split into at least 1 part, not {chunks}.",
            f"اجراها دست‌کم به ۱ بخش تقسیم می‌شوند، نه {to_persian_digits(str(chunks))}.",
            edition,
        )
    with transaction.atomic():
        locked = Edition.objects.select_for_update().get(pk=edition.pk)
        if locked.is_published:
            raise _refuse(
                "This edition is published and frozen; create a new edition to rank again.",
                "این ویرایش منتشر شده و تغییرناپذیر است؛ "
                "برای رتبه‌بندی دوباره ویرایش تازه‌ای بسازید.",
                locked,
            )
        for active in locked.jobs.filter(status__in=EditionJob.ACTIVE):
            if mark_if_stale(active).is_active:
                raise _refuse(
                    "This edition is already being computed; wait for that job to finish.",
                    "این ویرایش هم‌اکنون در حال محاسبه است؛ تا پایان آن کار صبر کنید.",
                    locked,
                )
        return EditionJob.objects.create(
            edition=locked,
            created_by=user if getattr(user, "pk", None) else None,
            params={
                "spec": spec_text or "",
                "runs": int(runs),
                "seed": int(seed),
                "top_k": int(top_k),
                "sensitivity_n": int(sensitivity_n) if spec_text else 0,
                "allow_thin": bool(allow_thin),
                "chunks": chunks,
            },
        )


def launch(job: EditionJob) -> None:
    """Put ``job`` on the task queue once the current transaction commits; run it inline
    (before returning) when ``settings.RASAD_JOBS_INLINE`` is true (tests)."""
    if getattr(settings, "RASAD_JOBS_INLINE", False):
        run_job(job.pk)
        return
    from rasad.platform.rankings.tasks import compute_edition_job

    transaction.on_commit(lambda: compute_edition_job.enqueue(job.pk))


def run_job(job_id: int, worker: str = "", progress=None) -> EditionJob:
    """Run a queued job to its end, synchronously, and return it (done or failed; when a
    thin edition's firms left nothing to rank, its ``unranked`` is the engine's reason).
    ``worker`` names the process running it; ``progress(stage, done, total)``, if given,
    is told of its progress as the job row is. A job that is no longer queued (another
    worker took it) is returned as it is."""
    now = timezone.now()
    if not EditionJob.objects.filter(pk=job_id, status=EditionJob.Status.QUEUED).update(
        status=EditionJob.Status.RUNNING,
        started_at=now,
        updated_at=now,
        heartbeat_at=now,
        worker=worker[:120],
    ):
        return EditionJob.objects.get(pk=job_id)
    job = EditionJob.objects.select_related("edition").get(pk=job_id)
    unranked = None
    try:
        unranked = _run(job, worker, _Reporter(job, progress))
    except RasadInputError as error:
        _fail(job_id, error.message_en, error.message_fa)
    except Exception as error:
        logger.exception("edition job %s failed", job_id)
        kind = type(error).__name__
        _fail(
            job_id,
            f"The computation stopped on an unexpected error ({kind}); "
            "the server log has the details.",
            f"محاسبه با خطایی پیش‌بینی‌نشده ({kind}) متوقف شد؛ جزئیات در گزارش کارساز است.",
        )
    finished = EditionJob.objects.get(pk=job_id)
    finished.unranked = unranked  # a thin edition no one could be ranked in: why (for the caller)
    return finished


def _run(job: EditionJob, worker: str, report: _Reporter) -> RasadInputError | None:
    """Compute the job's edition, then its sensitivity analysis, and mark the job done;
    why no one could be ranked (a thin edition's few firms), or None."""
    from rasad.platform.rankings.services import compute_edition

    params = job.params
    shared = None
    if params.get("chunks", 1) > 1 and params.get("spec"):
        from rasad.platform.rankings.chunks import runner

        shared = runner(job, params["chunks"], worker or "inline")
    edition = compute_edition(
        job.edition,
        spec_text=params.get("spec") or None,
        runs=params.get("runs", 1000),
        seed=params.get("seed", 1),
        top_k=params.get("top_k", 100),
        allow_thin=params.get("allow_thin", False),
        progress=report,
        uncertainty_runner=shared,
    )
    table = None
    unranked = getattr(edition, "unranked", None)
    if "sensitivity" in stages_of(params) and unranked is None:
        table = _sensitivity(edition, params, report)
    _done(job.pk, edition, unranked, table)
    return unranked


def _done(job_id: int, edition: Edition, unranked, table: list[dict] | None) -> None:
    ranked = format_number(edition.ranked_count, persian_digits=False)
    coverage = edition.coverage_figures()
    why_en = f" No enterprise could be ranked: {unranked.message_en}" if unranked else ""
    why_fa = f" هیچ بنگاهی رتبه نگرفت: {unranked.message_fa}" if unranked else ""
    EditionJob.objects.filter(pk=job_id).update(
        status=EditionJob.Status.DONE,
        stage="",
        done=0,
        total=0,
        percent=100.0,
        sensitivity=table,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
        message_en=f"Done: {ranked} enterprises ranked. {coverage.figures('en')}{why_en}"[:300],
        message_fa=f"پایان: {to_persian_digits(ranked).replace(',', '٬')} بنگاه رتبه گرفتند. "
        f"{coverage.figures('fa')}{why_fa}"[:300],
    )


def _fail(job_id: int, en: str, fa: str) -> None:
    EditionJob.objects.filter(pk=job_id).update(
        status=EditionJob.Status.FAILED,
        error_en=en,
        error_fa=fa,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


def _sensitivity(edition: Edition, params: dict, report) -> list[dict] | None:
    """Sobol indices of the spec's inputs on the mean absolute rank shift, on the data
    the edition was just computed from (refused if a correction arrived in between);
    none when the spec has fewer than two inputs, which a sensitivity analysis needs."""
    from rasad.index import data_hash
    from rasad.index.methodology import loads
    from rasad.index.sensitivity import sensitivity, sobol_inputs
    from rasad.index.uncertainty import loads_spec
    from rasad.platform.rankings.services import edition_data

    methodology = loads(
        edition.methodology.text, source=f"methodology {edition.methodology.version}"
    )
    spec = loads_spec(params["spec"], source="uncertainty spec", methodology=methodology)
    if len(sobol_inputs(spec)) < 2:  # one input explains everything: nothing to compare
        return None
    n = int(params["sensitivity_n"])
    report("sensitivity", 0, 1)
    table, _versions = edition_data(edition.period)
    if data_hash(methodology, table) != edition.data_sha256:
        raise RasadInputError(
            "The returns changed while the edition was computed; the ranking is stored, "
            "but run the edition again for a sensitivity analysis of the same data.",
            "اظهارنامه‌ها در میانهٔ محاسبه تغییر کردند؛ رتبه‌بندی ذخیره شد، اما برای تحلیل حساسیت "
            "بر همان داده‌ها ویرایش را دوباره اجرا کنید.",
            field="edition",
            value=edition.pk,
        )
    frame = sensitivity(
        methodology,
        table,
        spec,
        n,
        seed=params.get("seed", 1),
        progress=lambda done, total: report("sensitivity", done, total),
    )
    return [
        {
            key: (None if isinstance(value, float) and math.isnan(value) else value)
            for key, value in row.items()
        }
        for row in frame.astype({c: float for c in frame.columns if c != "input"}).to_dict(
            "records"
        )
    ]
