"""Serving reports' PDFs (issue 17): from the shared storage while the data hold, anew
once they change; a slow report by a worker while its page refreshes itself; nothing
for whom may not read it. The report kind here is this module itself."""

import datetime
import sys

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from rasad.cli import main
from rasad.platform.accounts.models import Role, User
from rasad.platform.rankings.jobs import WORKER_LOST_AFTER
from rasad.platform.reports import delivery
from rasad.platform.reports.models import RenderedReport

INLINE = True
STATE = {"version": "v1", "renders": 0, "fail": False}
SECRET = "secret"  # a key only analysts may read


def version(key):
    return None if key == "missing" else f"{key}-{STATE['version']}"


def visible_to(user, key):
    return key != SECRET or (user.is_authenticated and user.role == Role.ANALYST)


def filename(key, language):
    return f"sample-{key}-{language}.pdf"


def render(key, *, language):
    if STATE["fail"]:
        raise ValueError("boom")
    STATE["renders"] += 1
    return f"%PDF-1.7 {key} {language} {STATE['version']} #{STATE['renders']}".encode()


@pytest.fixture(autouse=True)
def sample_kind(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setitem(delivery.KINDS, "sample", __name__)
    monkeypatch.setattr(sys.modules[__name__], "INLINE", True)
    STATE.update(version="v1", renders=0, fail=False)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_a_quick_report_is_rendered_once_per_state_of_the_data(client):
    response = client.get("/reports/sample/1403.pdf?lang=en")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="sample-1403-en.pdf"' in response["Content-Disposition"]
    assert body(response) == b"%PDF-1.7 1403 en v1 #1"
    assert body(client.get("/reports/sample/1403.pdf?lang=en")) == b"%PDF-1.7 1403 en v1 #1"
    first = RenderedReport.objects.get()
    assert default_storage.exists(first.file) and first.seconds is not None

    STATE["version"] = "v2"  # the data changed: rendered anew, the old file removed
    assert body(client.get("/reports/sample/1403.pdf?lang=en")) == b"%PDF-1.7 1403 en v2 #2"
    assert not default_storage.exists(first.file)
    assert list(RenderedReport.objects.values_list("version", flat=True)) == ["1403-v2"]
    # each language is its own file
    assert body(client.get("/reports/sample/1403.pdf?lang=fa")) == b"%PDF-1.7 1403 fa v2 #3"


@pytest.mark.django_db(transaction=True)
def test_a_slow_report_is_rendered_by_a_worker_while_its_page_waits(
    client, settings, monkeypatch, queue_worker
):
    settings.RASAD_JOBS_INLINE = False
    monkeypatch.setattr(sys.modules[__name__], "INLINE", False)
    response = client.get("/reports/sample/1403.pdf?lang=fa")
    assert response.status_code == 302
    assert response["Location"] == "/reports/sample/1403/?lang=fa"
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="queued"' in page and 'http-equiv="refresh" content="2"' in page
    assert STATE["renders"] == 0  # nothing rendered in the request

    queue_worker.run_queued()
    page = client.get("/reports/sample/1403/?lang=fa").content.decode()
    assert 'data-status="done"' in page
    assert 'content="0;url=/reports/sample/1403.pdf?lang=fa"' in page
    assert body(client.get("/reports/sample/1403.pdf?lang=fa")) == b"%PDF-1.7 1403 fa v1 #1"


@pytest.mark.django_db
def test_what_one_may_not_read_does_not_exist(client):
    assert client.get(f"/reports/sample/{SECRET}.pdf").status_code == 404
    assert client.get(f"/reports/sample/{SECRET}/").status_code == 404
    assert client.get("/reports/sample/missing.pdf").status_code == 404
    assert client.get("/reports/nothing/1403.pdf").status_code == 404
    client.force_login(User.objects.create(username="a", role=Role.ANALYST))
    assert client.get(f"/reports/sample/{SECRET}.pdf").status_code == 200
    assert not RenderedReport.objects.filter(key="missing").exists()


@pytest.mark.django_db
def test_a_failed_rendering_says_why_and_can_be_asked_again(client):
    STATE["fail"] = True
    response = client.get("/reports/sample/1403.pdf?lang=en", follow=True)
    page = response.content.decode()
    assert 'data-status="failed"' in page and "ValueError" in page
    STATE["fail"] = False
    # a failure stays until asked again from the page
    assert client.get("/reports/sample/1403.pdf?lang=en").status_code == 302
    client.post("/reports/sample/1403/?lang=en")
    assert body(client.get("/reports/sample/1403.pdf?lang=en")) == b"%PDF-1.7 1403 en v1 #1"


@pytest.mark.django_db
def test_a_report_whose_worker_is_lost_is_marked_failed(client, settings, monkeypatch):
    settings.RASAD_JOBS_INLINE = False
    monkeypatch.setattr(sys.modules[__name__], "INLINE", False)
    client.get("/reports/sample/1403.pdf")
    long_ago = timezone.now() - WORKER_LOST_AFTER - datetime.timedelta(seconds=1)
    RenderedReport.objects.update(status="running", worker="host-c:9", heartbeat_at=long_ago)
    assert delivery.reap_lost_reports() == 1
    report = RenderedReport.objects.get()
    assert report.status == "failed" and "host-c:9" in report.error_en
    assert "Ask for it again" in report.error_en and "دوباره" in report.error_fa


@pytest.mark.django_db
def test_the_command_line_writes_the_pdf(tmp_path, capsys):
    out = tmp_path / "r.pdf"
    assert main(["report", "sample", "1403", "--out", str(out), "--lang", "en"]) == 0
    assert out.read_bytes() == b"%PDF-1.7 1403 en v1 #1"
    assert main(["report", "sample", "missing", "--out", str(out)]) == 2
    assert main(["report", "nothing", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "There is no sample report of 'missing'" in err and "no report kind 'nothing'" in err
