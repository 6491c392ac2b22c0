"""Implausible figures (issue 16): inside the catalogue's hard limits, outside its
plausible bounds. Every door stores one only once a person confirms it (the upload
page's and the return form's box, ``--confirm-implausible``, ``confirm_implausible`` in
the API), and monitoring flags the returns that hold one."""

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from rasad.cli import main
from rasad.demo import generate
from rasad.platform.accounts.models import Role, User
from rasad.platform.api.models import ApiToken
from rasad.platform.demo_data import load_demo
from rasad.platform.monitoring import compute
from rasad.platform.registry.models import Enterprise
from rasad.platform.returns.models import Period, Return, ReturnDraft, ReturnVersion


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, module_data):
    compute.clear()
    with module_data(django_db_blocker):
        load_demo(generate(n_enterprises=60, seed=4))
        analyst = User.objects.create_user("i-analyst", password="x", role=Role.ANALYST)
        period = Period.objects.filter(quarter__isnull=True).order_by("-year").first()
        firm = Enterprise.objects.filter(returns__period=period).order_by("national_id").first()
        _token, secret = ApiToken.issue(analyst, "tests")
        yield SimpleNamespace(analyst=analyst, period=period, firm=firm, secret=secret)
    compute.clear()


@pytest.fixture
def files(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "var" / "media"


def _versions(world) -> int:
    return ReturnVersion.objects.filter(
        return_record__enterprise=world.firm, return_record__period=world.period
    ).count()


def _current(world) -> dict:
    return Return.objects.get(enterprise=world.firm, period=world.period).current_version.values()


# --- the API ---------------------------------------------------------------------------------


def _submit(world, values, **extra):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {world.secret}")
    return client.post(
        f"/api/enterprises/{world.firm.national_id}/returns/{world.period.year}",
        {"values": values, **extra},
        content_type="application/json",
    )


@pytest.mark.parametrize(
    ("values", "field", "shown"),
    [
        ({"employees": 1e30, "sales": 1200}, "employees", "1e+30"),
        ({"employees": 12, "sales": 1e308}, "sales", "1e+308"),
        ({"employees": 12, "sales": "۲٬۰۰۰٬۰۰۰٬۰۰۰"}, "sales", "2,000,000,000"),
    ],
)
def test_the_api_refuses_an_implausible_figure_unless_confirmed(world, db, values, field, shown):
    before = _versions(world)
    refused = _submit(world, values)
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "implausible_figures" and "confirm_implausible" in body["message_en"]
    [problem] = body["problems"]
    assert (
        problem["field"] == field
        and problem["code"] == "implausible"
        and problem["severity"] == "warning"
    )
    assert (
        shown in problem["message_en"]
        and "implausible" in problem["message_en"]
        and problem["message_fa"]
    )
    assert _versions(world) == before

    stored = _submit(world, values, confirm_implausible=True)
    assert stored.status_code == 200, stored.json()
    assert [w["code"] for w in stored.json()["warnings"]] == ["implausible"]
    assert _versions(world) == before + 1 and _current(world)[field] > 1e9 - 1


def test_the_apis_hard_limits_stay_errors(world, db):
    refused = _submit(
        world, {"capacity_utilisation": 150, "employees": 1e30}, confirm_implausible=True
    )
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_return"
    assert (
        _submit(world, {"employees": 12}, confirm_implausible="yes").status_code == 422
    )  # a boolean or nothing


def test_monitoring_flags_a_return_holding_a_confirmed_implausible_figure(world, db):
    assert (
        _submit(world, {"employees": 1e30, "sales": 1200}, confirm_implausible=True).status_code
        == 200
    )
    frame = compute.run_for(world.period.year).alerts.frame
    mine = frame[
        (frame["rule"] == "implausible_figure") & (frame["national_id"] == world.firm.national_id)
    ]
    assert mine[["period", "kpi"]].values.tolist() == [[world.period.year, "employees"]]
    assert mine["evidence"].iloc[0]["employees"]["plausible_max"] == 1_000_000
    client = Client()
    client.force_login(world.analyst)
    client.cookies["django_language"] = "en"
    page = client.get(
        f"/monitoring/alerts/?rule=implausible_figure&period={world.period.year}"
    ).content.decode()
    assert "An implausible figure in the return" in page and world.firm.name_en in page


# --- the return form -------------------------------------------------------------------------


def _form(world, action, confirm=False, **values):
    client = Client()
    client.force_login(world.analyst)
    client.cookies["django_language"] = "en"
    data = {"action": action, **values}
    if confirm:
        data["confirm_implausible"] = "1"
    return client.post(f"/returns/{world.firm.national_id}/{world.period.code}/", data)


def test_the_return_form_asks_to_confirm_an_implausible_figure(world, db):
    before = _versions(world)
    held = _form(world, "submit", employees="2,000,000", sales="1200")
    page = held.content.decode()
    assert (
        held.status_code == 422
        and 'id="unconfirmed"' in page
        and 'name="confirm_implausible"' in page
    )
    assert "1 figure is implausible" in page and "more than 1,000,000 persons" in page
    assert _versions(world) == before

    stored = _form(world, "submit", confirm=True, employees="2,000,000", sales="1200")
    assert stored.status_code == 302 and _versions(world) == before + 1
    assert _current(world)["employees"] == 2_000_000


def test_a_draft_with_an_implausible_figure_is_saved_without_confirming(world, db):
    saved = _form(world, "draft", employees="2,000,000")
    assert saved.status_code == 200 and 'name="confirm_implausible"' in saved.content.decode()
    assert (
        ReturnDraft.objects.get(enterprise=world.firm, period=world.period).values["employees"]
        == "2,000,000"
    )


# --- files: the upload page and the command line ---------------------------------------------


def _csv(world, employees="2000000") -> bytes:
    rows = [
        ["شناسه ملی", "دوره", "تعداد شاغلان"],
        [world.firm.national_id, str(world.period.year), employees],
    ]
    return "\n".join(",".join(f'"{v}"' for v in row) for row in rows).encode("utf-8-sig")


def test_the_upload_page_commits_implausible_figures_only_with_the_box_ticked(world, db, files):
    client = Client()
    client.force_login(world.analyst)
    client.cookies["django_language"] = "en"
    report_url = client.post("/import/", {"file": SimpleUploadedFile("odd.csv", _csv(world))})[
        "Location"
    ]
    report = client.get(report_url).content.decode()
    assert 'id="confirm-implausible"' in report and "needs confirming" in report
    assert "1 of its figures are implausible" in report and "more than 1,000,000 persons" in report
    before = _versions(world)
    held = client.post(report_url + "commit/")
    assert (
        held.status_code == 422
        and 'id="unconfirmed"' in held.content.decode()
        and _versions(world) == before
    )
    done = client.post(report_url + "commit/", {"confirm_implausible": "1"})
    assert done.status_code == 200 and "Import done" in done.content.decode()
    assert _versions(world) == before + 1 and _current(world)["employees"] == 2_000_000


def test_the_command_line_needs_confirm_implausible(
    world, db, files, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("COLUMNS", "250")  # the report's table unwrapped
    path = tmp_path / "odd.csv"
    path.write_bytes(_csv(world))
    before = _versions(world)
    args = ["import", str(path), "--as", "i-analyst", "--lang", "en", "--no-progress"]
    assert main([*args, "--dry-run"]) == 1
    assert main(args) == 1
    out = capsys.readouterr().out
    assert (
        "--confirm-implausible" in out and "needs confirming" in out and "تعداد شاغلان (C)" in out
    )
    assert "Employees of 2,000,000 persons is implausible" in out
    assert _versions(world) == before
    assert main([*args, "--confirm-implausible"]) == 0
    assert _versions(world) == before + 1 and _current(world)["employees"] == 2_000_000
