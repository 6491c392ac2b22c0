"""The scorecard's monitoring section (issue 7, item 5): an enterprise's alerts, its
percentiles among peers and its ranked needs, for the latest period with returns.

The page is checked against the pure core run on the same data, read independently
from the database frames; the figures are confidential, so the public and another
enterprise still get 404.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from rasad.demo import generate
from rasad.monitor import Monitor
from rasad.platform.accounts.models import Role, User
from rasad.platform.demo_data import load_demo
from rasad.platform.frames import current_returns, enterprises_frame
from rasad.platform.monitoring import compute
from rasad.platform.monitoring.models import AlertState
from rasad.platform.registry.models import Enterprise

ALERT = re.compile(r'class="alert-row" data-key="([^"]+)"')
GAP = re.compile(r'<tr data-indicator="([^"]+)" data-percentile="([^"]+)"')
NEED = re.compile(r'<li data-programme="([^"]+)" data-rank="(\d+)" data-severity="([^"]+)">')


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, module_data):
    compute.clear()
    with module_data(django_db_blocker):
        try:
            load_demo(generate(n_enterprises=200, seed=11))
            returns, _ = current_returns()
            returns = (
                returns[returns["quarter"].isna()].drop(columns="quarter").reset_index(drop=True)
            )
            period = int(returns["year"].max())
            core = Monitor().run(returns, enterprises_frame(), as_of=compute.as_of(), period=period)
            alerted = core.alerts.for_period(period)
            needy = core.needs.table()
            # an enterprise with alerts and needs, and another one
            nid = next(
                n for n in sorted(set(alerted["national_id"])) if n in set(needy["national_id"])
            )
            subject = Enterprise.objects.get(national_id=nid)
            other = Enterprise.objects.exclude(pk=subject.pk).order_by("national_id").first()
            users = {
                "own": User.objects.create_user(
                    "s-own", password="x", role=Role.ENTERPRISE, enterprise=subject
                ),
                "other": User.objects.create_user(
                    "s-other", password="x", role=Role.ENTERPRISE, enterprise=other
                ),
                "public": User.objects.create_user("s-public", password="x", role=Role.PUBLIC),
                "analyst": User.objects.create_user("s-analyst", password="x", role=Role.ANALYST),
            }
            yield {"users": users, "subject": subject, "core": core, "period": period}
        finally:
            compute.clear()


def page(client, world, role: str, language: str = "fa"):
    client.force_login(world["users"][role])
    client.cookies["django_language"] = language
    return client.get(f"/enterprises/{world['subject'].national_id}/")


@pytest.fixture
def url(world):
    return f"/enterprises/{world['subject'].national_id}/"


def test_the_alerts_are_the_cores(world, client, db):
    core = world["core"].alerts.for_period(world["period"])
    expected = core[core["national_id"] == world["subject"].national_id]
    assert len(expected)
    key = expected["key"].iloc[0]
    AlertState.objects.create(
        key=key, status=AlertState.Status.ACKNOWLEDGED, comment="seen", by=world["users"]["analyst"]
    )
    for role in ("own", "analyst"):
        response = page(client, world, role)
        assert response.status_code == 200
        html = response.content.decode()
        assert sorted(ALERT.findall(html)) == sorted(expected["key"])
        shown = {a["key"]: a for a in response.context["monitoring"]["alerts"]}
        assert shown[key]["status"] == AlertState.Status.ACKNOWLEDGED
        for alert in expected.to_dict("records"):
            assert shown[alert["key"]]["since"] == alert["since"]
            assert shown[alert["key"]]["severity"] == str(alert["severity"])
            assert alert["name_fa"] in html
    english = page(client, world, "own", "en").content.decode()
    for name in expected["name_en"]:
        assert name in english


def test_the_percentiles_are_peer_gaps(world, client, db):
    frame = world["core"].gaps.frame()
    frame = frame[
        (frame["national_id"] == world["subject"].national_id) & frame["percentile"].notna()
    ]
    assert len(frame)
    response = page(client, world, "own")
    shown = {code: float(p) for code, p in GAP.findall(response.content.decode())}
    expected = {str(r.indicator): float(r.percentile) for r in frame.itertuples()}
    assert shown.keys() == expected.keys()
    for code, value in expected.items():
        assert np.isclose(shown[code], value), code
    rows = {g["code"]: g for g in response.context["monitoring"]["gaps"]}
    for r in frame.itertuples():
        assert rows[str(r.indicator)]["level"] == r.peer_level
        assert rows[str(r.indicator)]["fallback"] == r.fallback
        assert rows[str(r.indicator)]["peers"] == r.peers


def test_the_needs_are_the_cores_ranked_needs(world, client, db):
    table = world["core"].needs.explained()
    table = table[table["national_id"] == world["subject"].national_id].sort_values("rank")
    assert len(table)
    response = page(client, world, "own")
    html = response.content.decode()
    assert NEED.findall(html) == [
        (str(p), str(r), str(s))
        for p, r, s in zip(table["programme"], table["rank"], table["severity"], strict=True)
    ]
    standing = world["core"].needs.standing(world["subject"].national_id)
    assert ('id="priority-tier"' in html) == standing["priority"] == bool(table["priority"].iloc[0])
    assert [n["evidence"] for n in response.context["monitoring"]["needs"]] == list(
        table["evidence_fa"]
    )
    english = page(client, world, "own", "en").context["monitoring"]["needs"]
    assert [n["evidence"] for n in english] == list(table["evidence_en"])


def test_a_non_filer_shows_no_data_and_blank_figures_show_unknown(world, client, db):
    """An enterprise that filed nothing for the period has no needs list but "no data";
    one that left a programme's figures blank has it named as unknown, not as no need."""
    needs = world["core"].needs
    client.force_login(world["users"]["analyst"])
    client.cookies["django_language"] = "en"
    absent = needs.no_data()["national_id"].iloc[0]
    html = client.get(f"/enterprises/{absent}/").content.decode()
    assert (
        'id="needs-no-data"' in html
        and 'id="scorecard-needs"' not in html
        and 'id="no-needs"' not in html
    )
    unknown = needs.unknowns()
    nid = unknown["national_id"].iloc[0]
    names = unknown.loc[unknown["national_id"] == nid, "name_en"].tolist()
    response = client.get(f"/enterprises/{nid}/")
    assert response.context["monitoring"]["unknown"] == ", ".join(names)
    assert 'id="needs-unknown"' in response.content.decode()


@pytest.mark.parametrize("role", ["public", "other"])
def test_outside_the_scope_it_is_not_found(world, client, db, role, url):
    client.force_login(world["users"][role])
    response = client.get(url)
    assert response.status_code == 404
    assert b"scorecard-alerts" not in response.content


def test_anonymous_is_sent_to_log_in(world, client, db, url):
    response = client.get(url)
    assert response.status_code == 302


def test_one_enterprises_slices_equal_the_whole_runs(world):
    """The scorecard reads one enterprise's alerts, peer gaps and needs through the run's
    index of units (``unit=``), not by filtering the whole run: the same rows, in the
    same order, for every enterprise (and none for an unknown one)."""
    core, period = world["core"], world["period"]
    gaps, needs, alerts = core.gaps.frame(), core.needs.explained(), core.alerts.for_period(period)
    for nid in [*sorted(set(core.gaps.keys["national_id"])), "00000000000"]:
        for whole, one in (
            (gaps, core.gaps.frame(unit=nid)),
            (needs, core.needs.explained(unit=nid)),
            (alerts, core.alerts.of(nid, period)),
            (core.alerts.frame, core.alerts.of(nid)),
        ):
            expected = whole[whole["national_id"] == nid].reset_index(drop=True)
            assert list(one.columns) == list(expected.columns)
            assert len(one) == len(expected), nid
            if len(expected):  # (an empty slice may type its text columns differently)
                pd.testing.assert_frame_equal(one, expected)
