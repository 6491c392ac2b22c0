"""The upload page: a dry run shown as a page (and as Excel), then a commit of the same
bytes without sending them again; roles and scopes as in DESIGN §5."""

import hashlib
import io
import re

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from rasad.platform.accounts.models import Role, User
from rasad.platform.registry.models import Enterprise, IndustrialEstate, Province
from rasad.platform.returns.models import Return, ReturnVersion, SourceFile

NEW_A, NEW_B = "14007650912", "10320894878"  # valid check digits; not registered by the fixtures
OWN = "10380284790"  # the `enterprise` fixture (estate T01, Yazd)


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    """Uploads and stored files go to a scratch directory, never the checkout's var/."""
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "var" / "media"
    return tmp_path / "var"


def pending_dir(var_dir):
    """Where uploads wait for their commit with the default storage (MEDIA_ROOT)."""
    return var_dir / "media" / "uploads" / "pending"


def csv_bytes(*rows) -> bytes:
    header = [
        "شناسه ملی",
        "نام بنگاه",
        "کد آیسیک",
        "استان",
        "شهرک صنعتی",
        "دوره",
        "تعداد شاغلان",
        "فروش (میلیون ریال)",
    ]
    lines = [header, *rows]
    return "\n".join(",".join(f'"{v}"' for v in row) for row in lines).encode("utf-8-sig")


def clean_file() -> bytes:
    """Two new firms of estate T01 and their 1403 returns, typed in Persian digits."""
    return csv_bytes(
        [NEW_A, "نساجی الف", "1311", "یزد", "T01", "1403", "12", "1200"],
        [NEW_B, "ریسندگی ب", "1311", "یزد", "T01", "۱۴۰۳", "۳۰", "۲٬۵۰۰"],
    )


def bad_file() -> bytes:
    """The second data row (Excel row 3) has a national ID whose check digit is wrong."""
    return csv_bytes(
        [NEW_A, "نساجی الف", "1311", "یزد", "T01", "1403", "12", "1200"],
        ["14007650913", "ریسندگی ب", "1311", "یزد", "T01", "1403", "30", "2500"],
    )


def upload(client, data: bytes, name: str = "returns.csv", **extra):
    return client.post("/import/", {"file": SimpleUploadedFile(name, data)}, **extra)


def make_user(role, *, enterprise=None, estates=(), username=None):
    user = User.objects.create(username=username or f"u-{role}", role=role, enterprise=enterprise)
    user.estates.set(estates)
    return user


def english(client):
    client.cookies["django_language"] = "en"
    return client


def problem_rows(page: str) -> list[list[str]]:
    body = re.search(
        r'<table class="problems" id="problems">.*?<tbody>(.*?)</tbody>', page, re.S
    ).group(1)
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [re.sub(r"<[^>]+>", " ", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows.append([" ".join(c.split()) for c in cells])
    return rows


# --- who may use the page ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 302),
        ("public", 403),
        ("enterprise", 403),
        ("loose_enterprise", 403),
        ("estate_manager", 200),
        ("analyst", 200),
        ("admin", 200),
    ],
)
def test_who_may_open_the_upload_page(client, enterprise, estate, role, status):
    if role == "enterprise":
        client.force_login(make_user(Role.ENTERPRISE, enterprise=enterprise))
    elif role == "loose_enterprise":
        client.force_login(make_user(Role.ENTERPRISE))
    elif role == "estate_manager":
        client.force_login(make_user(Role.ESTATE_MANAGER, estates=[estate]))
    elif role != "anonymous":
        client.force_login(make_user(role))
    for url in ("/import/", "/import/template.csv"):
        response = client.get(url)
        assert response.status_code == status, url
        if status == 302:
            assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_public_and_anonymous_cannot_upload_or_commit(client, estate, var_dir):
    sha = hashlib.sha256(clean_file()).hexdigest()
    assert upload(client, clean_file()).status_code == 302  # to the login page
    assert client.post(f"/import/{sha}/commit/").status_code == 302
    client.force_login(make_user(Role.PUBLIC))
    assert upload(client, clean_file()).status_code == 403
    assert client.post(f"/import/{sha}/commit/").status_code == 403
    assert not (var_dir / "media").exists()
    assert not Enterprise.objects.exists()


# --- dry run -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_report_page_locates_a_planted_error_and_stores_nothing(client, estate, var_dir):
    client.force_login(make_user(Role.ANALYST))
    response = upload(english(client), bad_file(), "bad.csv", follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    rows = problem_rows(page)
    errors = [r for r in rows if "error" in r[4]]
    assert len(errors) == 1
    sheet, row, column, value, severity, message = errors[0]
    assert (row, column, value) == ("3", "A شناسه ملی", "14007650913")
    assert "check digit" in message
    assert 'id="commit-form"' not in page  # nothing to commit while an error blocks
    assert "nothing of it was stored" in page
    assert (
        not Enterprise.objects.exists()
        and not Return.objects.exists()
        and not SourceFile.objects.exists()
    )
    # the bytes wait outside the web root, keyed by their hash
    sha = hashlib.sha256(bad_file()).hexdigest()
    assert response.redirect_chain[-1][0] == f"/import/{sha}/"
    assert next(pending_dir(var_dir).rglob(sha)).read_bytes() == bad_file()


@pytest.mark.django_db
def test_report_page_is_persian_by_default(client, estate):
    client.force_login(make_user(Role.ANALYST))
    page = upload(client, bad_file(), follow=True).content.decode()
    assert 'dir="rtl"' in page
    row = next(r for r in problem_rows(page) if "خطا" in r[4])
    assert row[1] == "۳" and row[2] == "A شناسه ملی"
    assert "رقم کنترل" in row[5]


@pytest.mark.django_db
def test_report_as_excel(client, estate):
    client.force_login(make_user(Role.ANALYST))
    upload(client, bad_file(), "bad.csv")
    sha = hashlib.sha256(bad_file()).hexdigest()
    response = client.get(f"/import/{sha}/report.xlsx")
    assert response.status_code == 200
    assert "bad-report.xlsx" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    rows = pd.read_excel(io.BytesIO(content), sheet_name="گزارش")  # one header row
    first = rows.iloc[0]
    assert [first["نوع"], first["ردیف"], first["حرف ستون"]] == ["خطا", 3, "A"]


@pytest.mark.django_db
def test_unreadable_file_is_explained_in_both_languages(client, estate):
    client.force_login(make_user(Role.ANALYST))
    response = upload(client, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "scan.pdf", follow=True)
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="upload-error"' in page and "scan.pdf" in page
    persian = re.search(r'id="upload-error">(.*?)</div>', page, re.S).group(1)
    assert re.search("[\u0600-\u06ff]", persian)
    english_page = english(client).get(response.redirect_chain[-1][0]).content.decode()
    message = re.search(r'id="upload-error">(.*?)</div>', english_page, re.S).group(1)
    assert "scan.pdf" in message and not re.search(
        "[\u0600-\u06ff]", message.replace("scan.pdf", "")
    )
    assert not SourceFile.objects.exists()


@pytest.mark.django_db
def test_files_over_the_size_limit_are_refused(client, estate, settings, var_dir):
    settings.RASAD_UPLOAD_MAX_BYTES = 100
    client.force_login(make_user(Role.ANALYST))
    response = upload(english(client), clean_file())
    assert response.status_code == 413
    assert "larger than the limit" in response.content.decode()
    pending = pending_dir(var_dir)
    assert not pending.exists() or not any(pending.rglob("*"))


@pytest.mark.django_db
def test_no_file_chosen(client, estate):
    client.force_login(make_user(Role.ANALYST))
    response = english(client).post("/import/", {})
    assert response.status_code == 400 and "Choose a file" in response.content.decode()


@pytest.mark.django_db
def test_upload_and_commit_need_the_csrf_token(estate):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(make_user(Role.ANALYST))
    assert (
        browser.post("/import/", {"file": SimpleUploadedFile("r.csv", clean_file())}).status_code
        == 403
    )
    page = browser.get("/import/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(
        "/import/",
        {"csrfmiddlewaretoken": token, "file": SimpleUploadedFile("r.csv", clean_file())},
    )
    assert response.status_code == 302
    sha = hashlib.sha256(clean_file()).hexdigest()
    assert browser.post(f"/import/{sha}/commit/").status_code == 403
    assert browser.post(f"/import/{sha}/commit/", {"csrfmiddlewaretoken": token}).status_code == 200
    assert Enterprise.objects.count() == 2


@pytest.mark.django_db
def test_old_uploads_are_cleared(client, estate, var_dir):
    import os
    import time

    client.force_login(make_user(Role.ANALYST))
    upload(client, bad_file())
    old = next(pending_dir(var_dir).rglob(hashlib.sha256(bad_file()).hexdigest()))
    stale = old.parent / ("f" * 64)
    stale.write_bytes(b"left by another session two days ago")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(stale, (two_days_ago, two_days_ago))
    upload(client, clean_file())
    assert old.exists() and not stale.exists()


# --- commit --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_clean_file_commits_without_a_second_upload_then_changes_nothing(client, estate):
    analyst = make_user(Role.ANALYST)
    client.force_login(analyst)
    english(client)
    page = upload(client, clean_file(), follow=True).content.decode()
    assert "ready to import" in page and 'id="commit-form"' in page
    assert not Enterprise.objects.exists()
    sha = hashlib.sha256(clean_file()).hexdigest()

    page = client.post(f"/import/{sha}/commit/").content.decode()
    assert "2 enterprise(s) registered; 2 new return(s)" in page
    assert 'id="commit-form"' not in page
    b = Return.objects.get(enterprise__national_id=NEW_B)
    assert b.current_version.values() == {"employees": 30.0, "sales": 2500.0}
    assert b.current_version.created_by == analyst
    assert b.current_version.source == ReturnVersion.Source.FILE
    assert b.current_version.source_file.sha256 == sha

    # the same bytes again, committed from the page or uploaded anew: nothing changes
    assert "nothing changed" in client.post(f"/import/{sha}/commit/").content.decode()
    page = upload(client, clean_file(), follow=True).content.decode()
    assert 'id="imported-before"' in page
    assert "nothing changed" in client.post(f"/import/{sha}/commit/").content.decode()
    assert ReturnVersion.objects.count() == 2 and SourceFile.objects.count() == 1


@pytest.mark.django_db
def test_commit_names_a_hash_of_this_users_session_never_a_path(client, estate):
    client.force_login(make_user(Role.ANALYST))
    upload(client, clean_file())
    sha = hashlib.sha256(clean_file()).hexdigest()
    other = client.__class__()
    other.force_login(make_user(Role.ANALYST, username="another-analyst"))
    assert other.post(f"/import/{sha}/commit/").status_code == 404
    assert other.get(f"/import/{sha}/").status_code == 404
    assert client.post("/import/" + "0" * 64 + "/commit/").status_code == 404
    assert client.post("/import/..%2F..%2Fsecret_key/commit/").status_code == 404
    assert client.get(f"/import/{sha}/commit/").status_code == 405
    assert not Enterprise.objects.exists()


@pytest.mark.django_db
def test_bytes_changed_on_disk_are_not_committed(client, estate, var_dir):
    client.force_login(make_user(Role.ANALYST))
    upload(client, clean_file())
    sha = hashlib.sha256(clean_file()).hexdigest()
    stored = next(pending_dir(var_dir).rglob(sha))
    stored.write_bytes(bad_file())
    assert client.post(f"/import/{sha}/commit/").status_code == 404
    assert not Enterprise.objects.exists()


@pytest.mark.django_db
def test_uploads_go_through_the_storage_api_only(
    client, estate, settings, var_dir, monkeypatch, django_capture_on_commit_callbacks
):
    """With a storage that has no local paths (as an S3 bucket has none), the upload, its
    report, a second browser of the same session (another app server) and the commit all
    work, and nothing is written to this server's disk: every read and write of an
    uploaded file goes through Django's storage API (docs/deploy.md)."""
    import sys

    from django.core.files.storage import InMemoryStorage, default_storage

    own_path = InMemoryStorage.path

    def no_path(self, name):  # the storage uses paths within itself; nobody else may
        if sys._getframe(1).f_code.co_filename != sys.modules[InMemoryStorage.__module__].__file__:
            raise NotImplementedError("an S3-like storage has no local path")
        return own_path(self, name)

    monkeypatch.setattr(InMemoryStorage, "path", no_path)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    analyst = make_user(Role.ANALYST)
    client.force_login(analyst)
    assert upload(client, clean_file()).status_code == 302
    sha = hashlib.sha256(clean_file()).hexdigest()
    with default_storage.open(f"uploads/pending/{analyst.pk}/{sha}") as waiting:
        assert waiting.read() == clean_file()

    other_server = client.__class__()
    other_server.cookies = client.cookies
    assert "ready to import" in english(other_server).get(f"/import/{sha}/").content.decode()
    with django_capture_on_commit_callbacks(
        execute=True
    ):  # the file's bytes are stored when the import commits
        assert other_server.post(f"/import/{sha}/commit/").status_code == 200
    stored = SourceFile.objects.get(sha256=sha)
    with stored.content.open("rb") as content:
        assert content.read() == clean_file()
    assert stored.content.name.startswith("returns/") and default_storage.exists(
        stored.content.name
    )
    assert Enterprise.objects.count() == 2
    assert not var_dir.exists() or not any(path.is_file() for path in var_dir.rglob("*"))


# --- scope ---------------------------------------------------------------------------------


@pytest.fixture
def other_estate(db):
    tehran = Province.objects.get(name_en="Tehran")
    return IndustrialEstate.objects.create(code="T02", name_fa="شهرک عباس‌آباد", province=tehran)


@pytest.mark.django_db
def test_estate_manager_imports_only_for_their_estates(client, estate, other_estate):
    manager = make_user(Role.ESTATE_MANAGER, estates=[other_estate])
    client.force_login(manager)
    page = upload(english(client), clean_file(), follow=True).content.decode()
    assert 'id="commit-form"' not in page
    sha = hashlib.sha256(clean_file()).hexdigest()
    assert "nothing of it was stored" in client.post(f"/import/{sha}/commit/").content.decode()
    assert not Enterprise.objects.exists()

    manager.estates.set([estate])
    assert "2 enterprise(s) registered" in client.post(f"/import/{sha}/commit/").content.decode()


@pytest.mark.django_db
def test_an_enterprise_sends_returns_by_form_not_by_file(client, enterprise, estate):
    """DESIGN §5: file imports are for estate managers, analysts and administrators."""
    client.force_login(make_user(Role.ENTERPRISE, enterprise=enterprise))
    own = csv_bytes([OWN, "", "", "", "", "1403", "25", "۹۰۰"])
    assert upload(client, own).status_code == 403
    from rasad.errors import RasadInputError
    from rasad.platform.returns.checking import check_upload

    with pytest.raises(RasadInputError, match="return form"):
        check_upload(
            own, "own.csv", user=make_user(Role.ENTERPRISE, enterprise=enterprise, username="e2")
        )
    assert not Return.objects.exists()


# --- templates -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_templates_carry_the_databases_estates_and_periods(client, estate, period):
    client.force_login(make_user(Role.ESTATE_MANAGER, estates=[estate]))
    response = client.get("/import/template.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    lists = book["_lists"]
    cells = {str(c.value) for row in lists.iter_rows() for c in row if c.value is not None}
    assert any("T01" in c for c in cells) and "1403" in cells

    response = client.get("/import/template.csv")
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf") and "شناسه ملی".encode() in content
    assert client.get("/import/template.ods").status_code == 404


@pytest.mark.django_db
def test_pages_load_nothing_from_the_internet(client, estate):
    client.force_login(make_user(Role.ANALYST))
    for page in (
        client.get("/import/").content.decode(),
        upload(client, bad_file(), follow=True).content.decode(),
    ):
        assert not re.search(r'(src|href)="(https?:)?//', page)
