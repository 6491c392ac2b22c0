"""The alerts inbox and the needs matrix (issue 7, item 5).

One demo population serves every test: it is written once inside a transaction that is
rolled back at the end, and each test runs in its own savepoint on top. The pages are
checked against the pure core run on the same data, read independently from the
database frames.
"""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.db.models import Count
from django.test import Client
from django.utils.html import escape

from rasad.demo import generate
from rasad.monitor import Monitor
from rasad.monitor.evidence import evidence_lines
from rasad.platform.accounts.models import Role, User
from rasad.platform.demo_data import load_demo
from rasad.platform.frames import current_returns, enterprises_frame
from rasad.platform.monitoring import compute
from rasad.platform.monitoring.models import AlertState
from rasad.platform.monitoring.presenters import shown_figure
from rasad.platform.registry.models import Enterprise, IndustrialEstate

ROLES = ("anonymous", "public", "enterprise", "estate_manager", "analyst", "admin")
LOGIN = 302
EXPECTED = {  # anonymous, public, enterprise, estate manager, analyst, admin
    "/monitoring/alerts/": (LOGIN, 403, 403, 200, 200, 200),
    "/monitoring/needs/": (LOGIN, 403, 403, 200, 200, 200),
    "/monitoring/needs/?by=estate": (LOGIN, 403, 403, 200, 200, 200),
    "/monitoring/needs/?by=cluster": (LOGIN, 403, 403, 200, 200, 200),
    "/monitoring/needs/?by=sector": (LOGIN, 403, 403, 200, 200, 200),
    "/monitoring/needs/export.xlsx": (LOGIN, 403, 403, 200, 200, 200),
}
KEY = re.compile(r'class="alert-row" data-key="([^"]+)"')


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, module_data):
    compute.clear()
    with module_data(django_db_blocker):
        try:
            load_demo(generate(n_enterprises=300, seed=7))
            estate = (
                IndustrialEstate.objects.annotate(n=Count("enterprises"))
                .order_by("-n", "code")
                .first()
            )
            own = Enterprise.objects.exclude(estate=estate).order_by("national_id").first()
            users = {
                "anonymous": None,
                "public": User.objects.create_user("m-public", password="x", role=Role.PUBLIC),
                "enterprise": User.objects.create_user(
                    "m-enterprise", password="x", role=Role.ENTERPRISE, enterprise=own
                ),
                "estate_manager": User.objects.create_user(
                    "m-estate", password="x", role=Role.ESTATE_MANAGER
                ),
                "analyst": User.objects.create_user("m-analyst", password="x", role=Role.ANALYST),
                "admin": User.objects.create_user(
                    "m-admin", password="x", role=Role.PUBLIC, is_superuser=True, is_staff=True
                ),
            }
            users["estate_manager"].estates.set([estate])
            in_estate = set(estate.enterprises.values_list("national_id", flat=True))
            # the core, on the same data, read independently of the app's cache
            returns, _ = current_returns()
            returns = (
                returns[returns["quarter"].isna()].drop(columns="quarter").reset_index(drop=True)
            )
            enterprises = enterprises_frame()
            periods = sorted(int(y) for y in returns["year"].unique())
            core = {
                p: Monitor().run(returns, enterprises, as_of=compute.as_of(), period=p)
                for p in (periods[-1], periods[-2])
            }
            yield {
                "users": users,
                "estate": estate,
                "in_estate": in_estate,
                "core": core,
                "periods": periods,
            }
        finally:
            compute.clear()


def login(client, world, role):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    return client


def inbox_keys(client, query: str = "") -> list[str]:
    """The alert keys of every page of the inbox."""
    keys, page = [], 1
    while True:
        response = client.get(f"/monitoring/alerts/?{query}&page={page}")
        assert response.status_code == 200
        keys += KEY.findall(response.content.decode())
        if not response.context["page"].has_next():
            return keys
        page += 1


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(world, client, db, role):
    client = login(client, world, role)
    for url, expected in EXPECTED.items():
        response = client.get(url)
        assert response.status_code == expected[ROLES.index(role)], (role, url)
        if response.status_code == LOGIN:
            assert response["Location"].startswith("/accounts/login/")
    response = client.post("/monitoring/alerts/", {"key": "x", "action": "close"})
    assert response.status_code == {"anonymous": LOGIN, "public": 403, "enterprise": 403}.get(
        role, 404
    )


def test_the_inbox_is_the_cores_alerts_for_the_period(world, client, db):
    client = login(client, world, "analyst")
    for period, run in world["core"].items():
        expected = run.alerts.for_period(period)
        assert len(expected) > 0
        keys = inbox_keys(client, f"period={period}")
        assert sorted(keys) == sorted(expected["key"]), period
        assert len(keys) == len(set(keys))
    latest = world["periods"][-1]
    assert sorted(inbox_keys(client)) == sorted(
        world["core"][latest].alerts.for_period(latest)["key"]
    )


def test_a_row_shows_the_enterprise_rule_severity_since_and_evidence(world, client, db):
    client = login(client, world, "analyst")
    period = world["periods"][-1]
    alerts = world["core"][period].alerts.for_period(period)
    alert = (
        alerts[alerts["rule"] == "z2_distress"].iloc[0]
        if (alerts["rule"] == "z2_distress").any()
        else alerts.iloc[0]
    )
    response = client.get(f"/monitoring/alerts/?rule={alert['rule']}&severity={alert['severity']}")
    rows = {row["key"]: row for row in response.context["rows"]}
    while alert["key"] not in rows and response.context["page"].has_next():
        response = client.get(
            f"/monitoring/alerts/?rule={alert['rule']}&severity={alert['severity']}"
            f"&page={response.context['page'].next_page_number()}"
        )
        rows = {row["key"]: row for row in response.context["rows"]}
    row = rows[alert["key"]]
    html = response.content.decode()
    name_fa = Enterprise.objects.get(national_id=alert["national_id"]).name_fa
    assert escape(name_fa) in html and escape(alert["name_fa"]) in html  # Persian first
    assert row["since"] == alert["since"] and str(row["severity"]) == str(alert["severity"])
    assert row["evidence_lines"] == evidence_lines(alert["evidence"], "fa", shown_figure)
    assert not any(line["name"] in alert["evidence"] for line in row["evidence_lines"])  # words
    assert "۱" in html or "۴" in html  # Persian digits
    client.cookies["django_language"] = "en"
    english = client.get(
        f"/monitoring/alerts/?rule={alert['rule']}&severity={alert['severity']}"
        f"&page={response.context['page'].number}"
    )
    assert english.status_code == 200
    assert escape(alert["name_en"]) in english.content.decode()


def test_filters(world, client, db):
    client = login(client, world, "analyst")
    period = world["periods"][-1]
    alerts = world["core"][period].alerts.for_period(period)
    for severity in ("high", "medium"):
        expected = alerts[alerts["severity"].astype(str) == severity]["key"]
        assert sorted(inbox_keys(client, f"severity={severity}")) == sorted(expected)
    rule = alerts["rule"].iloc[0]
    assert sorted(inbox_keys(client, f"rule={rule}")) == sorted(
        alerts[alerts["rule"] == rule]["key"]
    )
    assert client.get("/monitoring/alerts/?severity=nonsense").status_code == 400
    assert client.get("/monitoring/alerts/?rule=nonsense").status_code == 400
    assert client.get("/monitoring/alerts/?period=1200").status_code == 404


def test_an_estate_manager_never_sees_another_estates_alert(world, client, db):
    client = login(client, world, "estate_manager")
    for period, run in world["core"].items():
        alerts = run.alerts.for_period(period)
        theirs = alerts[alerts["national_id"].isin(world["in_estate"])]
        assert 0 < len(theirs) < len(alerts)
        keys = inbox_keys(client, f"period={period}")
        assert sorted(keys) == sorted(theirs["key"])
        html = client.get(f"/monitoring/alerts/?period={period}").content.decode()
        for nid in set(alerts["national_id"]) - world["in_estate"]:
            assert nid not in html
    # nor can act on one
    outside = world["core"][world["periods"][-1]].alerts.frame
    outside = outside[~outside["national_id"].isin(world["in_estate"])].iloc[0]
    response = client.post(
        "/monitoring/alerts/", {"key": outside["key"], "action": "close", "comment": "x"}
    )
    assert response.status_code == 404
    assert not AlertState.objects.filter(key=outside["key"]).exists()


def test_acknowledge_and_close_are_stored_with_user_and_comment_and_shown(world, db):
    client = login(Client(enforce_csrf_checks=True), world, "estate_manager")
    manager = world["users"]["estate_manager"]
    period = world["periods"][-1]
    alerts = world["core"][period].alerts.for_period(period)
    key = alerts[alerts["national_id"].isin(world["in_estate"])]["key"].iloc[0]
    assert (
        client.post("/monitoring/alerts/", {"key": key, "action": "acknowledge"}).status_code == 403
    )  # no CSRF
    page = client.get("/monitoring/alerts/")
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/monitoring/alerts/",
        {
            "key": key,
            "action": "acknowledge",
            "comment": "بررسی می‌شود",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    state = AlertState.objects.get(key=key)
    assert (state.status, state.comment, state.by) == ("acknowledged", "بررسی می‌شود", manager)
    assert state.at is not None
    html = client.get("/monitoring/alerts/?status=acknowledged").content.decode()
    assert KEY.findall(html) == [key] and "بررسی می‌شود" in html and manager.username in html
    client.post(
        "/monitoring/alerts/",
        {"key": key, "action": "close", "comment": "وام گرفت", "csrfmiddlewaretoken": token},
    )
    state.refresh_from_db()
    assert (state.status, state.comment, state.by) == ("closed", "وام گرفت", manager)
    assert AlertState.objects.filter(key=key).count() == 1
    # the decision survives recomputation: the same key, the same state
    compute.clear()
    analyst = login(Client(), world, "analyst")
    assert inbox_keys(analyst, "status=closed") == [key]
    assert key not in inbox_keys(analyst, "status=open")
    bad = client.post(
        "/monitoring/alerts/", {"key": key, "action": "explode", "csrfmiddlewaretoken": token}
    )
    assert bad.status_code == 400


def _matrix_totals(response) -> dict[str, float]:
    programmes = response.context["programmes"]
    return {
        p["code"]: (
            sum(r["cells"][i][0] for r in response.context["rows"]),
            sum(r["cells"][i][1] for r in response.context["rows"]),
        )
        for i, p in enumerate(programmes)
    }


@pytest.mark.parametrize("by", ("province", "estate", "sector"))
def test_the_needs_matrix_totals_equal_the_cores(world, client, db, by):
    client = login(client, world, "analyst")
    period = world["periods"][-1]
    needs = world["core"][period].needs
    response = client.get(f"/monitoring/needs/?by={by}")
    assert response.status_code == 200
    totals = _matrix_totals(response)
    employees = needs.employees()
    assert totals
    for code, (firms, staff) in totals.items():
        assert firms == needs.needed(code).sum(), code
        assert staff == pytest.approx(employees[needs.needed(code)].sum()), code
    assert sum(r["enterprises"] for r in response.context["rows"]) == len(needs.gaps.keys)
    core = needs.matrix(by)
    assert len(response.context["rows"]) == len(core)


@pytest.mark.parametrize("by", ("province", "cluster"))
def test_the_needs_page_shows_the_tier_the_non_filers_and_the_unknowns(world, client, db, by):
    client = login(client, world, "analyst")
    needs = world["core"][world["periods"][-1]].needs
    response = client.get(f"/monitoring/needs/?by={by}")
    context = response.context
    assert context["tier"] == needs.priority.sum() > 0
    assert context["filers"] == len(needs.gaps.keys)
    assert context["no_data"] == len(needs.no_data()) > 0
    assert sum(r["no_data"] for r in context["rows"]) == len(needs.no_data())
    assert sum(r["priority_enterprises"] for r in context["rows"]) == needs.priority.sum()
    summary = needs.summary().set_index("programme")
    for i, p in enumerate(context["programmes"]):
        assert (
            sum(r["cells"][i][2] for r in context["rows"])
            == needs.unknown(p["code"]).sum()
            == p["unknown"]
        )
        assert {code: n for code, _, n in p["severities"]} == summary.loc[
            p["code"], ["critical", "high", "medium", "low"]
        ].to_dict()
    html = response.content.decode()
    assert 'id="needs-tier"' in html and 'class="n no-data"' in html
    english = client.get(f"/monitoring/needs/?by={by}", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200


def test_the_estate_managers_tier_and_non_filers_are_their_estates(world, client, db):
    client = login(client, world, "estate_manager")
    needs = world["core"][world["periods"][-1]].needs
    ours = needs.gaps.keys["national_id"].isin(world["in_estate"]).to_numpy()
    context = client.get("/monitoring/needs/?by=province").context
    assert context["tier"] == (needs.priority & ours).sum()
    absent = needs.no_data()
    assert context["no_data"] == absent["national_id"].isin(world["in_estate"]).sum()
    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/monitoring/needs/export.xlsx").content), read_only=True
    )
    listed = {str(row[0]) for row in book["بدون اظهارنامه"].iter_rows(min_row=2, values_only=True)}
    assert listed == set(absent["national_id"]) & world["in_estate"]
    unknown = {str(row[0]) for row in book["نامعلوم"].iter_rows(min_row=2, values_only=True)}
    assert unknown <= world["in_estate"]


def test_the_estate_managers_needs_are_their_estates(world, client, db):
    client = login(client, world, "estate_manager")
    period = world["periods"][-1]
    needs = world["core"][period].needs
    ours = needs.gaps.keys["national_id"].isin(world["in_estate"]).to_numpy()
    response = client.get("/monitoring/needs/?by=province")
    assert sum(r["enterprises"] for r in response.context["rows"]) == ours.sum()
    for code, (firms, _) in _matrix_totals(response).items():
        assert firms == (needs.needed(code) & ours).sum()
    estate_rows = client.get("/monitoring/needs/?by=estate").context["rows"]
    assert [r["key"] for r in estate_rows] == [world["estate"].code]


def test_needs_excel(world, client, db):
    client = login(client, world, "analyst")
    response = client.get("/monitoring/needs/export.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    assert "بنگاه‌ها" in book.sheetnames and "نیازها به تفکیک استان" in book.sheetnames
    needs = world["core"][world["periods"][-1]].needs
    listed = [str(row[0]) for row in book["بدون اظهارنامه"].iter_rows(min_row=2, values_only=True)]
    assert sorted(listed) == sorted(needs.no_data()["national_id"])
    header = next(book["بنگاه‌ها"].iter_rows(max_row=1, values_only=True))
    assert "شدت نیاز" in header and "ردهٔ اولویت" in header
    full = openpyxl.load_workbook(io.BytesIO(response.content))  # views need a full load
    assert all(sheet.sheet_view.rightToLeft for sheet in full.worksheets)
    manager = login(Client(), world, "estate_manager")
    book = openpyxl.load_workbook(
        io.BytesIO(manager.get("/monitoring/needs/export.xlsx").content), read_only=True
    )
    ids = {str(row[0]) for row in book["بنگاه‌ها"].iter_rows(min_row=2, values_only=True)}
    assert ids and ids <= world["in_estate"]
