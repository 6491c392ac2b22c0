"""The upload page: a file is checked (dry run) and its report shown; the same bytes are
then committed without being sent again. A large file is checked and imported by a
worker process (:mod:`rasad.platform.returns.import_jobs`): its report page shows the
job's progress, refreshing itself, until the report is ready.

The uploaded bytes wait in the storage of uploaded files
(:mod:`rasad.platform.returns.uploads`), listed in the user's session, so a commit names
a hash, never a path: a hash that is not in the user's session, or bytes that no longer
hash to it, are a 404. Checking and committing are :mod:`rasad.platform.returns.checking`
and :mod:`rasad.platform.returns.importing` (the same code as ``rasad import``), within
the user's scope.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from rasad.errors import RasadInputError
from rasad.intake import write_template
from rasad.iran.text import format_number
from rasad.platform.language import current
from rasad.platform.registry.models import IndustrialEstate
from rasad.platform.returns import import_jobs, uploads
from rasad.platform.returns.checking import check_upload
from rasad.platform.returns.importing import commit_upload
from rasad.platform.returns.models import ImportJob, Period, SourceFile
from rasad.platform.web.access import may_import, requires

DEFAULT_UPLOAD_MAX_BYTES = 50 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload_limit() -> int:
    """Largest accepted upload in bytes: ``settings.RASAD_UPLOAD_MAX_BYTES`` (50 MB by default)."""
    return int(getattr(settings, "RASAD_UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES))


def _megabytes(size: int) -> str:
    return format_number(
        size / 1024 / 1024,
        decimals=0 if size % (1024 * 1024) == 0 else 1,
        persian_digits=current() == "fa",
    )


class LimitedUpload(FileUploadHandler):
    """Stops reading a file as soon as it passes the limit, so a huge upload is never
    spooled to disk; the view then says the file is too large."""

    def __init__(self, request, limit: int):
        super().__init__(request)
        self.limit = limit

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.request.rasad_upload_too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


def _display_name(name: str) -> str:
    """The sender's file name, for messages and the stored copy: no directories, no
    control characters."""
    name = os.path.basename(str(name).replace("\\", "/"))
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip() or "upload"
    return name[-200:]


def _entry(request, sha: str) -> dict:
    """What this user's session knows of their upload ``sha`` (its name and size), or 404."""
    entry = uploads.entry(request.session, request.user.pk, sha)
    if entry is None:
        raise Http404
    return entry


def _load(request, sha: str) -> tuple[bytes, str]:
    """The bytes this user uploaded under ``sha`` and their file name, or 404."""
    found = uploads.load(request.session, request.user.pk, sha)
    if found is None:
        raise Http404
    return found


def _upload_page(request, *, error: str | None = None, name: str | None = None, status: int = 200):
    return render(
        request,
        "web/import_upload.html",
        {
            "error": error,
            "file_name": name,
            "limit": _megabytes(upload_limit()),
        },
        status=status,
    )


@csrf_exempt
@requires(may_import)
def upload(request):
    """GET: the upload form. POST: keep the file and show its report (redirect)."""
    if request.method == "POST":
        # Before anything reads the body: the size limit applies while it streams in.
        request.upload_handlers.insert(0, LimitedUpload(request, upload_limit()))
    return _upload(request)


@csrf_protect
def _upload(request):
    if request.method != "POST":
        return _upload_page(request)
    upload = request.FILES.get("file")
    if getattr(request, "rasad_upload_too_large", False) or (
        upload is not None and upload.size > upload_limit()
    ):
        return _upload_page(
            request,
            status=413,
            error=_(
                "The file is larger than the limit of %(limit)s MB. Split it into smaller files, "
                "or ask the administrator to raise the limit."
            )
            % {"limit": _megabytes(upload_limit())},
        )
    if upload is None:
        return _upload_page(request, status=400, error=_("Choose a file to upload."))
    name = _display_name(upload.name)
    sha = uploads.keep(request.session, request.user.pk, upload.read(), name)
    if import_jobs.in_worker(upload.size):
        import_jobs.start(request.user, sha, name, upload.size)
    return redirect("import_report", sha=sha)


def _report_page(request, record: dict, *, sha: str, name: str):
    """The report of a dry run or an import (an :func:`import_jobs.outcome_record`)."""
    language = current()
    problems = [
        {**p, "message": p["message_fa"] if language == "fa" else p["message_en"]}
        for p in record["problems"]
    ]
    earlier = SourceFile.objects.filter(sha256=sha).select_related("uploaded_by").first()
    return render(
        request,
        "web/import_report.html",
        {
            **record,
            "sha": sha,
            "file_name": name,
            "problems": problems,
            "problems_cut": record["problems_total"] > len(problems),
            "summary": record["summary"][language],
            "earlier": earlier,
        },
        status=422 if record["unconfirmed"] else 200,
    )


IMPORT_STAGES = {
    "checking": gettext_lazy("checking every row of the file"),
    "importing": gettext_lazy("storing the returns"),
    "report": gettext_lazy("writing the report"),
}


def _job_page(request, job: ImportJob):
    """A worker's job on the upload, until it ends: the page refreshes itself."""
    language = current()
    persian = language == "fa"
    return render(
        request,
        "web/import_job.html",
        {
            "job": job,
            "sha": job.sha256,
            "file_name": job.name,
            "size": _megabytes(job.size),
            "stage": str(IMPORT_STAGES.get(job.stage, ""))
            if job.status == job.Status.RUNNING
            else "",
            "percent_text": format_number(job.percent, decimals=0, persian_digits=persian)
            + ("٪" if persian else "%"),
            "error": job.error(language) if job.status == job.Status.FAILED else "",
            "refresh_seconds": 2,
        },
    )


def _dry_run(request, sha: str):
    """The dry run of the kept upload ``sha``: (outcome, file name, None), or the upload
    page explaining why the file cannot be read as the third item."""
    data, name = _load(request, sha)
    try:
        return check_upload(data, name, user=request.user), name, None
    except RasadInputError as error:
        return (
            None,
            name,
            _upload_page(request, error=error.message(current()), name=name, status=422),
        )


@requires(may_import)
def report(request, sha: str):
    """The dry run of an uploaded file: counts, every problem located, commit if clean.
    A large file's: the progress of the worker's job, then the report it left."""
    entry = _entry(request, sha)
    if import_jobs.in_worker(entry["size"]):
        job = import_jobs.latest(request.user, sha) or import_jobs.start(
            request.user, sha, entry["name"], entry["size"]
        )
        if job.status == ImportJob.Status.DONE:
            return _report_page(request, job.result, sha=sha, name=job.name)
        return _job_page(request, job)
    outcome, name, refused = _dry_run(request, sha)
    if refused is not None:
        return refused
    return _report_page(request, import_jobs.outcome_record(outcome), sha=sha, name=name)


@requires(may_import)
@require_POST
def check_again(request, sha: str):
    """Check a large upload once more (after its worker was lost, say)."""
    entry = _entry(request, sha)
    job = import_jobs.latest(request.user, sha)
    if job is None or not job.is_active:
        import_jobs.start(request.user, sha, entry["name"], entry["size"])
    return redirect("import_report", sha=sha)


@requires(may_import)
def report_excel(request, sha: str):
    """The same report as an Excel workbook (a Persian and an English sheet); a large
    file's as its worker wrote it."""
    entry = _entry(request, sha)
    if import_jobs.in_worker(entry["size"]):
        job = import_jobs.latest(request.user, sha)
        if job is None or job.status != ImportJob.Status.DONE or not job.report_file:
            return redirect("import_report", sha=sha)
        content = import_jobs.stored_report(job, current())
        if content is None:
            raise Http404
        return _attachment(content, XLSX, f"{Path(job.name).stem}-report.xlsx")
    outcome, name, refused = _dry_run(request, sha)
    if refused is not None:
        return refused
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.xlsx"
        outcome.report.to_excel(path, language=current())
        content = path.read_bytes()
    return _attachment(content, XLSX, f"{Path(name).stem}-report.xlsx")


@requires(may_import)
@require_POST
def commit(request, sha: str):
    """Import the uploaded bytes: checked again, then all or nothing. Implausible figures
    are stored only when the form's "confirm implausible figures" box was ticked. A
    large file is imported by a worker; the report page follows its job."""
    confirmed = request.POST.get("confirm_implausible") == "1"
    entry = _entry(request, sha)
    if import_jobs.in_worker(entry["size"]):
        job = import_jobs.latest(request.user, sha)
        if job is None or not job.is_active:
            import_jobs.start(
                request.user,
                sha,
                entry["name"],
                entry["size"],
                kind=ImportJob.Kind.COMMIT,
                confirm=confirmed,
            )
        return redirect("import_report", sha=sha)
    data, name = _load(request, sha)
    try:
        outcome = commit_upload(data, name, user=request.user, confirm_implausible=confirmed)
    except RasadInputError as error:
        return _upload_page(request, error=error.message(current()), name=name, status=422)
    record = import_jobs.outcome_record(outcome, attempted_commit=True)
    return _report_page(request, record, sha=sha, name=name)


@requires(may_import)
def template(request, fmt: str):
    """The intake template with this database's estates and latest five periods."""
    if fmt not in ("xlsx", "csv"):
        raise Http404
    estates = pd.DataFrame(
        IndustrialEstate.objects.values_list("code", "name_fa", "name_en", "province__code"),
        columns=["code", "name_fa", "name_en", "province_code"],
    )
    periods = [p.code for p in Period.objects.order_by("year", "quarter")][-5:]
    with tempfile.TemporaryDirectory() as folder:
        path = write_template(
            Path(folder) / f"rasad-template.{fmt}", estates=estates, periods=periods, format=fmt
        )
        content = path.read_bytes()
    kind = XLSX if fmt == "xlsx" else "text/csv; charset=utf-8"
    return _attachment(content, kind, f"rasad-template.{fmt}")


def _attachment(content: bytes, content_type: str, filename: str) -> FileResponse:
    return FileResponse(
        io.BytesIO(content), as_attachment=True, filename=filename, content_type=content_type
    )
