"""A large upload is checked and imported by a worker process, not by the request: the
page shows the job until it ends, then the same report a small file gets in the request
(issue 16). Here every file counts as large (``RASAD_IMPORT_INLINE_MAX_BYTES = 0``) and
the worker is django-tasks' database worker run in this process."""

import datetime
import hashlib
import io

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook
from test_formula_injection import STORED, assert_names_are_text, formula_file
from test_import_web import (
    NEW_B,
    bad_file,
    clean_file,
    english,
    make_user,
    problem_rows,
    upload,
)

from rasad.platform.accounts.models import Role
from rasad.platform.rankings.jobs import WORKER_LOST_AFTER
from rasad.platform.rankings.tasks import worker_name
from rasad.platform.returns import import_jobs, uploads
from rasad.platform.returns.models import ImportJob, Return, SourceFile


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "var" / "media"
    return tmp_path / "var"


@pytest.fixture
def large(settings):
    """Every upload is large: checked and imported by the worker."""
    settings.RASAD_JOBS_INLINE = False
    settings.RASAD_IMPORT_INLINE_MAX_BYTES = 0


def no_dry_run_in_the_request(monkeypatch):
    """The web views must not read the file: the names they hold fail if called."""
    from rasad.platform.web import import_views

    def refuse(*args, **kwargs):
        raise AssertionError("a large file was checked inside the request")

    monkeypatch.setattr(import_views, "check_upload", refuse)
    monkeypatch.setattr(import_views, "commit_upload", refuse)


def report_rows(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]  # in the reader's language
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


@pytest.mark.django_db(transaction=True)
def test_a_large_files_dry_run_is_a_workers_job_and_reads_like_a_small_ones(
    client, estate, settings, large, queue_worker, monkeypatch
):
    client.force_login(make_user(Role.ANALYST))
    english(client)
    no_dry_run_in_the_request(monkeypatch)
    sha = hashlib.sha256(bad_file()).hexdigest()

    response = upload(client, bad_file(), "bad.csv", follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/import/{sha}/"
    assert 'id="import-job"' in page and 'data-status="queued"' in page
    assert "waiting for a worker" in page and 'http-equiv="refresh"' in page
    job = ImportJob.objects.get()
    assert (job.kind, job.status, job.size, job.name) == (
        "check",
        "queued",
        len(bad_file()),
        "bad.csv",
    )
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "rasad.platform.returns.tasks.run_import_job"
    assert queued.args_kwargs["args"] == [job.pk]
    # the Excel report is not there before the worker wrote it: back to the page
    assert client.get(f"/import/{sha}/report.xlsx")["Location"] == f"/import/{sha}/"

    queue_worker.run_queued()
    job.refresh_from_db()
    assert job.status == "done" and job.worker == worker_name()  # the worker took it
    assert job.result["counts"]["errors"] == 1 and job.report_file
    worker_page = client.get(f"/import/{sha}/").content.decode()
    assert 'http-equiv="refresh"' not in worker_page
    worker_excel = b"".join(client.get(f"/import/{sha}/report.xlsx").streaming_content)
    assert not Return.objects.exists() and not SourceFile.objects.exists()

    # the same file checked in the request: the same table, the same Excel report
    monkeypatch.undo()
    settings.RASAD_IMPORT_INLINE_MAX_BYTES = 10**9
    inline_page = client.get(f"/import/{sha}/").content.decode()
    assert problem_rows(worker_page) == problem_rows(inline_page)
    assert problem_rows(worker_page)[0][1:3] == ["3", "A شناسه ملی"]
    inline_excel = b"".join(client.get(f"/import/{sha}/report.xlsx").streaming_content)
    assert report_rows(worker_excel) == report_rows(inline_excel)


@pytest.mark.django_db(transaction=True)
def test_a_large_file_is_imported_by_the_worker(client, estate, large, queue_worker, monkeypatch):
    analyst = make_user(Role.ANALYST)
    client.force_login(analyst)
    english(client)
    no_dry_run_in_the_request(monkeypatch)
    sha = hashlib.sha256(clean_file()).hexdigest()
    upload(client, clean_file())
    queue_worker.run_queued()
    page = client.get(f"/import/{sha}/").content.decode()
    assert "ready to import" in page and 'id="commit-form"' in page

    response = client.post(f"/import/{sha}/commit/", follow=True)
    page = response.content.decode()
    assert "Importing the file" in page and not Return.objects.exists()
    assert ImportJob.objects.first().kind == "commit"
    queue_worker.run_queued()
    page = client.get(f"/import/{sha}/").content.decode()
    assert "Import done" in page
    assert "2 enterprise(s) registered; 2 new return(s)" in page
    version = Return.objects.get(enterprise__national_id=NEW_B).current_version
    assert version.values() == {"employees": 30.0, "sales": 2500.0}
    assert version.created_by == analyst and version.source_file.sha256 == sha


@pytest.mark.django_db
def test_a_job_whose_worker_is_lost_says_so_and_the_file_can_be_checked_again(
    client, estate, large
):
    client.force_login(make_user(Role.ANALYST))
    sha = hashlib.sha256(bad_file()).hexdigest()
    upload(client, bad_file(), "bad.csv")
    long_ago = timezone.now() - WORKER_LOST_AFTER - datetime.timedelta(seconds=1)
    ImportJob.objects.update(status="running", worker="host-b:77", heartbeat_at=long_ago)

    page = client.get(f"/import/{sha}/").content.decode()  # Persian by default
    assert 'data-status="failed"' in page and "host-b:77" in page
    assert "دیگر پاسخ نداد" in page and 'id="check-again"' in page
    assert 'http-equiv="refresh"' not in page
    job = ImportJob.objects.get()
    assert "stopped answering" in job.error_en and job.finished_at is not None

    client.post(f"/import/{sha}/check/")
    again = ImportJob.objects.first()
    assert again.pk != job.pk and again.status == "queued"
    assert import_jobs.run(again.pk).status == "done"
    assert again.__class__.objects.get(pk=again.pk).result["counts"]["errors"] == 1


@pytest.mark.django_db
def test_the_worker_refuses_an_upload_that_is_gone_in_both_languages(client, estate, large):
    from django.core.files.storage import default_storage

    user = make_user(Role.ANALYST)
    client.force_login(user)
    sha = hashlib.sha256(clean_file()).hexdigest()
    upload(client, clean_file(), "gone.csv")
    default_storage.delete(uploads.pending_name(user.pk, sha))
    job = import_jobs.run(ImportJob.objects.get().pk)
    assert job.status == "failed"
    assert "gone.csv" in job.error_en and "upload it again" in job.error_en
    assert "gone.csv" in job.error_fa and "دوباره بارگذاری" in job.error_fa
    assert not Return.objects.exists()


@pytest.mark.django_db
def test_small_files_are_still_checked_in_the_request(client, estate, settings):
    settings.RASAD_JOBS_INLINE = False
    client.force_login(make_user(Role.ANALYST))
    page = upload(english(client), bad_file(), follow=True).content.decode()
    assert 'id="problems"' in page and not ImportJob.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_workers_report_of_the_formula_file_has_no_formula(client, estate, large, queue_worker):
    """Names typed as formulas reach the worker's Excel report as text."""
    client.force_login(make_user(Role.ANALYST))
    data = formula_file()
    upload(client, data, "formulas.csv")
    queue_worker.run_queued()
    sha = hashlib.sha256(data).hexdigest()
    response = client.get(f"/import/{sha}/report.xlsx")
    assert response.status_code == 200
    assert_names_are_text(b"".join(response.streaming_content), STORED)
