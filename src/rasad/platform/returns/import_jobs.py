"""Large uploads checked and imported by a worker process, not by the request.

A dry run reads and checks the whole file: for a file of a million rows that is
minutes of CPU and gigabytes of memory, which no web server should spend while it
serves pages (and which a proxy's timeout would cut short). A file larger than
:func:`inline_limit` is therefore checked, and later imported, by an
:class:`~rasad.platform.returns.models.ImportJob` that ``rasad worker`` runs from the
task queue; the upload page shows the job until it ends, then the report it left on
the job's row and the Excel report it wrote to the storage every server shares. A
small file is checked in the request, as before: the person waits less than the queue
would take to answer.

The report a page shows is an :func:`outcome_record`, the same for both paths, so a
large file's report reads exactly like a small one's.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from rasad.errors import RasadInputError
from rasad.intake.problems import shown_value
from rasad.platform.background import claim, fail, fail_if_worker_lost, reap
from rasad.platform.returns import uploads
from rasad.platform.returns.checking import ImportOutcome, check_upload
from rasad.platform.returns.importing import commit_upload
from rasad.platform.returns.models import ImportJob

logger = logging.getLogger(__name__)

DEFAULT_INLINE_MAX_BYTES = 1024 * 1024
PROBLEMS_SHOWN = 1000  # rows of the report table; the Excel report has them all
WRITE_EVERY = 0.25  # seconds between progress writes


def inline_limit() -> int:
    """Largest upload checked within the request, in bytes
    (``settings.RASAD_IMPORT_INLINE_MAX_BYTES``, 1 MB by default: a second or two of
    checking for an xlsx file, whose compressed rows are the slowest to read; see the
    import figures in BENCHMARKS.md)."""
    return int(getattr(settings, "RASAD_IMPORT_INLINE_MAX_BYTES", DEFAULT_INLINE_MAX_BYTES))


def in_worker(size: int) -> bool:
    return size > inline_limit()


def report_name(user_id: int, sha: str) -> str:
    """The Excel report a worker wrote for an upload, beside the upload."""
    return f"{uploads.pending_name(user_id, sha)}.report.xlsx"


def outcome_record(outcome: ImportOutcome, *, attempted_commit: bool = False) -> dict:
    """What the report page shows of an outcome, in both languages, as JSON: the counts,
    the first :data:`PROBLEMS_SHOWN` problems located, and whether it was committed (or,
    after an attempt, held back for unconfirmed implausible figures)."""
    report = outcome.report
    return {
        "counts": report.counts,
        "blocking": report.blocking,
        "warnings": len(report.warnings),
        "implausible": len(report.implausible),
        "committed": outcome.committed,
        "unconfirmed": attempted_commit and outcome.awaits_confirmation,
        "summary": {"fa": outcome.summary("fa"), "en": outcome.summary("en")},
        "problems_total": len(report.problems),
        "problems": [
            {
                "sheet": p.sheet,
                "row": p.row,
                "column": p.column or "",
                "letter": p.column_letter or "",
                "value": shown_value(p.value),
                "error": p.blocking,
                "confirm": p.needs_confirmation,
                "message_fa": p.message("fa"),
                "message_en": p.message("en"),
            }
            for p in report.problems[:PROBLEMS_SHOWN]
        ],
    }


def start(
    user, sha: str, name: str, size: int, *, kind=ImportJob.Kind.CHECK, confirm=False
) -> ImportJob:
    """Queue the dry run (or the import) of ``user``'s upload ``sha``."""
    job = ImportJob.objects.create(
        user=user, sha256=sha, name=name[:255], size=size, kind=kind, confirm_implausible=confirm
    )
    if getattr(settings, "RASAD_JOBS_INLINE", False):
        return run(job.pk)
    from rasad.platform.returns.tasks import run_import_job

    transaction.on_commit(lambda: run_import_job.enqueue(job.pk))
    return job


def latest(user, sha: str) -> ImportJob | None:
    """The newest job of ``user``'s upload ``sha`` (a lost worker's marked failed)."""
    job = ImportJob.objects.filter(user=user, sha256=sha).first()
    return mark_if_stale(job) if job is not None else None


def mark_if_stale(job: ImportJob) -> ImportJob:
    """A running job whose worker stopped answering is marked failed, saying so, so that
    the file can be checked again at once."""
    return fail_if_worker_lost(
        job,
        what_en="handling this file",
        what_fa="این فایل را پردازش می‌کرد",
        redo_en="Nothing of the file was stored. Check the file again.",
        redo_fa="چیزی از فایل ثبت نشد. فایل را دوباره بررسی کنید.",
    )


def reap_lost_jobs() -> int:
    """Mark failed every running import job whose worker is lost; the number marked."""
    return reap(ImportJob, mark_if_stale)


class _Progress:
    """``progress(done, total)`` of the rows an import writes, to the job row, throttled."""

    def __init__(self, job_id: int):
        self.job_id, self.last = job_id, 0.0

    def __call__(self, done: int, total: int) -> None:
        now = timezone.now().timestamp()
        if done < total and now - self.last < WRITE_EVERY:
            return
        self.last = now
        percent = round(100 * done / total, 1) if total else 0.0
        ImportJob.objects.filter(pk=self.job_id).update(stage="importing", percent=percent)


def _stage(job_id: int, stage: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(stage=stage)


def _read_upload(job: ImportJob) -> bytes:
    data = uploads.read(job.user_id, job.sha256)
    if data is None:
        raise RasadInputError(
            f"The uploaded file {job.name} is no longer kept "
            "(an upload waits a day for its import): "
            "upload it again.",
            f"فایل بارگذاری‌شدهٔ {job.name} دیگر نگه داشته نمی‌شود "
            "(هر بارگذاری یک روز منتظر ورود می‌ماند): "
            "آن را دوباره بارگذاری کنید.",
            field="file",
            value=job.name,
        )
    return data


def in_language(report_file: str, language: str) -> str:
    """The stored report in ``language``: the worker writes one per language of the site
    (it has no reader to ask), the Persian one under ``report_file``."""
    return report_file if language == "fa" else report_file.replace(".xlsx", f".{language}.xlsx")


def stored_report(job: ImportJob, language: str) -> bytes | None:
    """The Excel report the worker wrote for ``job``, in ``language``; None if gone."""
    try:
        with default_storage.open(in_language(job.report_file, language), "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _write_report(job: ImportJob, outcome: ImportOutcome) -> str:
    name = report_name(job.user_id, job.sha256)
    with tempfile.TemporaryDirectory() as folder:
        for language, _label in settings.LANGUAGES:
            path = outcome.report.to_excel(Path(folder) / f"{language}.xlsx", language=language)
            default_storage.delete(in_language(name, language))
            saved = default_storage.save(
                in_language(name, language), ContentFile(path.read_bytes())
            )
            name = saved if language == "fa" else name
    return name


def run(job_id: int, worker: str = "") -> ImportJob:
    """Run a queued import job to its end and return it, done (with its report) or
    failed (with the reason in both languages). A job no longer queued is returned as
    it is."""
    if not claim(ImportJob, job_id, worker):
        return ImportJob.objects.get(pk=job_id)
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    try:
        data = _read_upload(job)
        if job.kind == ImportJob.Kind.COMMIT:
            _stage(job_id, "checking")
            outcome = commit_upload(
                data,
                job.name,
                user=job.user,
                progress=_Progress(job_id),
                confirm_implausible=job.confirm_implausible,
            )
        else:
            _stage(job_id, "checking")
            outcome = check_upload(data, job.name, user=job.user)
        _stage(job_id, "report")
        report_file = _write_report(job, outcome)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.DONE,
            stage="",
            percent=100.0,
            result=outcome_record(outcome, attempted_commit=job.kind == ImportJob.Kind.COMMIT),
            report_file=report_file,
            finished_at=timezone.now(),
        )
    except RasadInputError as error:
        fail(ImportJob, job_id, error.message_en, error.message_fa)
    except Exception as error:
        logger.exception("import job %s failed", job_id)
        kind = type(error).__name__
        fail(
            ImportJob,
            job_id,
            f"The file's processing stopped on an unexpected error ({kind}); "
            "nothing of it was stored. "
            "The server log has the details.",
            f"پردازش فایل با خطایی پیش‌بینی‌نشده ({kind}) متوقف شد و چیزی از آن ثبت نشد؛ "
            "جزئیات در گزارش "
            "کارساز است.",
        )
    return ImportJob.objects.get(pk=job_id)
