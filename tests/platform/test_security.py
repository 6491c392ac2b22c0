"""Issue 16's hardening: NUL in a request answers 400, a Content-Security-Policy with no
inline script, passwords, database health checks, and HTTPS that `check --deploy`
finds nothing to say about."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from rasad.platform.accounts.models import Role, User
from rasad.platform.demo_data import DEMO_PASSWORD

SRC = Path(__file__).resolve().parents[2] / "src"


def make_user(role, *, estates=(), username=None):
    user = User.objects.create(username=username or f"u-{role}", role=role)
    user.estates.set(estates)
    return user


# --- NUL -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/returns/?q=%00",
        "/estates/?q=%00",
        "/estates/?q=a%00b&page=1",
        "/top100/?%00=1",
        "/returns/?q=ok&q=%00",
        "/enterprises/%00/",
    ],
)
def test_nul_in_the_address_is_a_bad_request(client, estate, url):
    client.force_login(make_user(Role.ESTATE_MANAGER, estates=[estate]))
    response = client.get(url)
    assert response.status_code == 400
    page = response.content.decode()
    assert "این درخواست مفهوم نیست" in page and 'dir="rtl"' in page  # Persian by default
    client.cookies["django_language"] = "en"
    page = client.get(url).content.decode()
    assert "This request is not understood" in page


@pytest.mark.django_db
def test_the_same_pages_without_nul_still_answer(client, estate):
    client.force_login(make_user(Role.ESTATE_MANAGER, estates=[estate]))
    assert client.get("/returns/?q=abc").status_code == 200
    assert client.get("/estates/?q=abc").status_code == 200


@pytest.mark.django_db
def test_nul_in_a_form_field_is_a_bad_request(client, estate):
    assert (
        client.post("/accounts/login/", {"username": "a\x00b", "password": "x"}).status_code == 400
    )
    client.force_login(make_user(Role.ESTATE_MANAGER, estates=[estate]))
    assert client.post("/i18n/setlang/", {"language": "en\x00"}).status_code == 400


@pytest.mark.django_db
def test_nul_under_the_api_answers_in_the_apis_json(client):
    response = client.get("/api/enterprises?q=%00")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "bad_request" and body["message_en"] == "The request is not valid."
    assert body["message_fa"] == "درخواست معتبر نیست."
    assert body["detail"] == body["message_fa"]


# --- Content-Security-Policy ---------------------------------------------------------------


@pytest.mark.django_db
def test_every_page_carries_a_policy_without_inline_script(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe" not in directives["script-src"] and "unsafe-eval" not in policy
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert client.get("/api/docs").has_header("Content-Security-Policy")


TEMPLATES = sorted((SRC / "rasad").rglob("templates/**/*.html"))


def test_templates_have_no_inline_script_or_event_handler():
    assert TEMPLATES
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert not re.search(r"\son[a-z]+\s*=", text), path
        assert "javascript:" not in text, path


# --- passwords and connections -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["1234567890123", "84629175302", "Short-1", "password123"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.django_db
def test_the_demo_password_is_allowed():
    validate_password(DEMO_PASSWORD, User(username="demo-analyst"))
    assert len(DEMO_PASSWORD) >= 10


def test_idle_connections_are_checked_before_use():
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


# --- HTTPS -------------------------------------------------------------------------------------


def _production_env(tmp_path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("RASAD_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        RASAD_HTTPS="1",
        RASAD_SECRET_KEY=secrets.token_urlsafe(50),
        RASAD_VAR_DIR=str(tmp_path / "var"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
    )
    return env


def test_check_deploy_reports_nothing_with_https(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "rasad", "manage", "check", "--deploy"],
        cwd=tmp_path,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout and "WARNING" not in done.stderr + done.stdout


def test_https_redirects_and_sends_hsts(tmp_path):
    script = """
import django, os
os.environ["DJANGO_SETTINGS_MODULE"] = "rasad.platform.settings"
django.setup()
from django.test import Client
client = Client()
plain = client.get("/static/rasad/rasad.css")
print(plain.status_code, plain["Location"])
secure = client.get("/static/rasad/rasad.css", HTTP_X_FORWARDED_PROTO="https")
print(secure.status_code, secure["Strict-Transport-Security"])
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    redirect, served = done.stdout.splitlines()
    assert redirect == "301 https://testserver/static/rasad/rasad.css"
    assert served == "200 max-age=31536000"
