"""The JSON API (issue 6 item 7): real numbers, and every route against every role.

One demo population, one published edition (with rank intervals) and one draft are
built once for the module inside a transaction that is rolled back at the end; each
test runs in its own savepoint, so the returns a test submits vanish after it.
"""

import hashlib
import json
import math
import re
from importlib.resources import files
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client, override_settings

from rasad.demo import generate
from rasad.index import data_hash
from rasad.index.league import league_tables
from rasad.index.methodology import loads
from rasad.platform.accounts.models import Role, User
from rasad.platform.api.models import ApiToken, hash_secret
from rasad.platform.api.schemas import ErrorOut
from rasad.platform.demo_data import DEMO_USERS, load_demo
from rasad.platform.rankings.models import Edition, EditionResult, Methodology
from rasad.platform.rankings.services import (
    compute_edition,
    edition_data,
    frozen_edition_data,
    publish_edition,
)
from rasad.platform.registry.models import Enterprise, Sector
from rasad.platform.returns.models import Indicator, Period, Return, ReturnVersion

N = 300
YEAR = 1403
RUNS = 20
SPEC = """\
weights:
  1: {uniform: 0.25}
normalise:
  - {method: percentile_rank}
  - {method: percentile, within: null}
"""
SME100 = (files("rasad.methodologies") / "sme100.yaml").read_text(encoding="utf-8")
ROLES = ("anonymous", "public", "enterprise", "estate", "analyst", "admin")
ROLE_OF = {
    "public": Role.PUBLIC,
    "enterprise": Role.ENTERPRISE,
    "estate": Role.ESTATE_MANAGER,
    "analyst": Role.ANALYST,
    "admin": Role.ADMIN,
}
# reported figures that are confidential (money, DESIGN §5): never outside their scope
SECRET_CODES = (
    "sales",
    "exports",
    "total_assets",
    "total_liabilities",
    "equity",
    "net_profit",
    "ebit",
    "current_assets",
    "current_liabilities",
    "retained_earnings",
    "credit_received",
    "credit_requested",
    "rd_expenditure",
    "intermediate_inputs",
    "wages",
)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    population = generate(n_enterprises=N, seed=7)
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
    ):
        load_demo(population)
        period = Period.objects.get(year=YEAR, quarter__isnull=True)
        users = {
            name: User.objects.get(username=DEMO_USERS[role]) for name, role in ROLE_OF.items()
        }
        methodology = Methodology.objects.create(
            text=SME100, name_fa="رتبه‌بندی", name_en="SME-100", version="1403.1"
        )
        published = Edition.objects.create(
            name_fa="۱۰۰ برتر ۱۴۰۳",
            name_en="Top 100 of 1403",
            period=period,
            methodology=methodology,
        )
        published = publish_edition(
            compute_edition(published, spec_text=SPEC, runs=RUNS, seed=3, top_k=50),
            users["analyst"],
        )
        draft = compute_edition(
            Edition.objects.create(
                name_fa="پیش‌نویس", name_en="Draft", period=period, methodology=methodology
            )
        )
        tokens = {name: ApiToken.issue(user, f"{name} client")[1] for name, user in users.items()}

        estate = users["estate"].estates.get()
        ranked = EditionResult.objects.filter(edition=published)
        # the enterprise user speaks for a ranked firm outside the estate manager's estate
        own = (
            ranked.exclude(enterprise__estate=estate)
            .filter(rank__isnull=False)
            .order_by("rank")
            .last()
            .enterprise
        )
        users["enterprise"].enterprise = own
        users["enterprise"].save()
        in_estate = (
            ranked.filter(enterprise__estate=estate)
            .exclude(enterprise=own)
            .select_related("enterprise")
        )
        outside = (
            ranked.exclude(enterprise__estate=estate)
            .exclude(enterprise=own)
            .filter(rank__isnull=False)
        )
        # registered in the estate, no returns: in no edition, so only its scope may look it up
        unlisted = Enterprise.objects.create(
            national_id="10380284790",
            name_fa="بنگاه تازه",
            name_en="Newcomer",
            isic=own.isic,
            province=estate.province,
            estate=estate,
        )
        # run PostgreSQL's deferred foreign-key checks now, once, rather than again after every test
        connection.check_constraints()
        yield SimpleNamespace(
            period=period,
            users=users,
            tokens=tokens,
            methodology=methodology,
            published=published,
            draft=draft,
            own=own,
            estate=estate,
            in_estate=in_estate.first().enterprise,
            outside=outside.select_related("enterprise").first().enterprise,
            unlisted=unlisted,
        )
        transaction.set_rollback(True)


def client_for(world, role: str, **kwargs) -> Client:
    if role == "anonymous":
        return Client(**kwargs)
    return Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens[role]}", **kwargs)


def get(world, role, url, **params):
    return client_for(world, role).get(url, params)


def all_items(world, role, url, **params):
    items, offset = [], 0
    while True:
        body = get(world, role, url, limit=500, offset=offset, **params).json()
        items += body["items"]
        offset += 500
        if offset >= body["count"]:
            assert len(items) == body["count"]
            return items


def numbers_in(value) -> set[float]:
    if isinstance(value, bool) or value is None:
        return set()
    if isinstance(value, int | float):
        return {float(value)}
    if isinstance(value, dict):
        return set().union(*(numbers_in(v) for v in value.values()), set())
    if isinstance(value, list):
        return set().union(*(numbers_in(v) for v in value), set())
    return set()


def scope_ids(world, role) -> set[str]:
    """Whose confidential figures ``role`` may see."""
    if role in ("analyst", "admin"):
        return set(Enterprise.objects.values_list("national_id", flat=True))
    if role == "enterprise":
        return {world.own.national_id}
    if role == "estate":
        return set(
            Enterprise.objects.filter(estate=world.estate).values_list("national_id", flat=True)
        )
    return set()


def secrets_outside(world, role) -> set[float]:
    """Distinctive confidential figures of the enterprises outside ``role``'s scope."""
    mine = scope_ids(world, role)
    values = [
        value
        for figures in ReturnVersion.objects.exclude(
            return_record__enterprise__national_id__in=mine
        ).values_list("figures", flat=True)
        for code, value in figures.items()
        if code in SECRET_CODES
    ]
    return {float(v) for v in values if abs(v) >= 1000 and not float(v).is_integer()}


# --- the role matrix ----------------------------------------------------------------------

OK_ALL = dict.fromkeys(ROLES, 200)
DRAFTS = {**dict.fromkeys(ROLES, 404), "analyst": 200, "admin": 200}
RETURNS_OWN = {
    "anonymous": 401,
    "public": 403,
    "enterprise": 200,
    "estate": 404,
    "analyst": 200,
    "admin": 200,
}
RETURNS_ESTATE = {
    "anonymous": 401,
    "public": 403,
    "enterprise": 404,
    "estate": 200,
    "analyst": 200,
    "admin": 200,
}
RETURNS_OUTSIDE = {
    "anonymous": 401,
    "public": 403,
    "enterprise": 404,
    "estate": 404,
    "analyst": 200,
    "admin": 200,
}
# the path into the top list: as confidential as the scorecard, which the public never sees
PATH_OWN = {**RETURNS_OWN, "public": 404}
PATH_ESTATE = {**RETURNS_ESTATE, "public": 404}
PATH_OUTSIDE = {**RETURNS_OUTSIDE, "public": 404}
UNLISTED = {
    "anonymous": 404,
    "public": 404,
    "enterprise": 404,
    "estate": 200,
    "analyst": 200,
    "admin": 200,
}

GET_ROUTES = {
    "indicators": ("/api/indicators", OK_ALL),
    "methodologies": ("/api/methodologies", OK_ALL),
    "methodology": ("/api/methodologies/{methodology}", OK_ALL),
    "editions": ("/api/editions", OK_ALL),
    "edition": ("/api/editions/{published}", OK_ALL),
    "draft": ("/api/editions/{draft}", DRAFTS),
    "results": ("/api/editions/{published}/results", OK_ALL),
    "draft results": ("/api/editions/{draft}/results", DRAFTS),
    "league": ("/api/editions/{published}/league", OK_ALL),
    "draft league": ("/api/editions/{draft}/league", DRAFTS),
    "enterprises": ("/api/enterprises", OK_ALL),
    "enterprise": ("/api/enterprises/{outside}", OK_ALL),
    "unlisted enterprise": ("/api/enterprises/{unlisted}", UNLISTED),
    "own returns": ("/api/enterprises/{own}/returns", RETURNS_OWN),
    "estate returns": ("/api/enterprises/{in_estate}/returns", RETURNS_ESTATE),
    "other returns": ("/api/enterprises/{outside}/returns", RETURNS_OUTSIDE),
    "own path": ("/api/enterprises/{own}/path", PATH_OWN),
    "estate path": ("/api/enterprises/{in_estate}/path", PATH_ESTATE),
    "other path": ("/api/enterprises/{outside}/path", PATH_OUTSIDE),
}
POST_ROUTES = {
    "submit own": ("{own}", RETURNS_OWN),
    "submit in estate": ("{in_estate}", RETURNS_ESTATE),
    "submit outside": ("{outside}", RETURNS_OUTSIDE),
}


def url_of(world, template: str) -> str:
    return template.format(
        methodology=world.methodology.pk,
        published=world.published.pk,
        draft=world.draft.pk,
        own=world.own.national_id,
        in_estate=world.in_estate.national_id,
        outside=world.outside.national_id,
        unlisted=world.unlisted.national_id,
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", GET_ROUTES)
def test_every_route_against_every_role(world, db, route, role):
    template, expected = GET_ROUTES[route]
    response = get(world, role, url_of(world, template))
    assert response.status_code == expected[role], response.content[:300]
    body = response.json()
    if response.status_code != 200:
        assert body["message_en"] and body["message_fa"] and body["code"]
        return
    leaked = numbers_in(body) & secrets_outside(world, role)
    assert not leaked, f"{role} sees confidential figures of others on {route}"
    text = response.content.decode()
    if role in ("anonymous", "public") and route not in ("indicators", "methodology"):
        for code in set(SECRET_CODES) - {"exports"}:  # not even the names of the figures
            # (the catalogue aside; "exports" is also the name of a pillar)
            assert f'"{code}"' not in text


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", POST_ROUTES)
def test_submitting_against_every_role(world, db, route, role):
    template, expected = POST_ROUTES[route]
    firm = Enterprise.objects.get(national_id=url_of(world, template))
    before = ReturnVersion.objects.count()
    current = Return.objects.get(enterprise=firm, period=world.period).current_version.values()
    values = {**current, "sales": current["sales"] + 1}
    response = client_for(world, role).post(
        f"/api/enterprises/{firm.national_id}/returns/{YEAR}",
        {"values": values},
        content_type="application/json",
    )
    assert response.status_code == expected[role], response.content[:300]
    if response.status_code == 200:
        assert response.json()["changed"] is True
        assert ReturnVersion.objects.count() == before + 1
        assert (
            Return.objects.get(enterprise=firm, period=world.period).current_version.values()
            == values
        )
    else:
        assert ReturnVersion.objects.count() == before
        body = response.json()
        assert body["message_en"] and body["message_fa"]


@pytest.mark.parametrize("role", ROLES)
def test_league_values_only_within_scope(world, db, role):
    rows = all_items(world, role, f"/api/editions/{world.published.pk}/league", top=1000)
    assert rows
    mine = scope_ids(world, role)
    shown = {r["national_id"] for r in rows if r["value"] is not None}
    assert shown <= mine
    if role in ("analyst", "admin"):
        assert all(r["value"] is not None for r in rows)
    elif role in ("enterprise", "estate"):
        assert shown and shown == mine & {r["national_id"] for r in rows}
    else:
        assert shown == set()
    assert all(r["name_fa"] and r["rank"] >= 1 for r in rows)  # ranks and names for everyone


@pytest.mark.parametrize("role", ROLES)
def test_enterprises_listed_and_detailed_by_scope(world, db, role):
    items = all_items(world, role, "/api/enterprises")
    listed = {i["national_id"] for i in items}
    published = set(
        EditionResult.objects.filter(edition=world.published).values_list(
            "enterprise__national_id", flat=True
        )
    )
    mine = scope_ids(world, role)
    assert listed == published | mine
    assert {i["national_id"] for i in items if i["confidential"]} == mine
    detail = get(world, role, f"/api/enterprises/{world.outside.national_id}").json()
    assert (detail["details"] is not None) == (role in ("analyst", "admin"))
    assert [r["edition_id"] for r in detail["rankings"]] == (
        [world.draft.pk, world.published.pk]
        if role in ("analyst", "admin")
        else [world.published.pk]
    )
    stored = EditionResult.objects.get(edition=world.published, enterprise=world.outside)
    published = next(r for r in detail["rankings"] if r["edition_id"] == world.published.pk)
    assert (published["rank"], published["score"], published["p_top"]) == (
        stored.rank,
        stored.score,
        stored.p_top,
    )
    own = get(world, role, f"/api/enterprises/{world.own.national_id}").json()
    assert (own["details"] is not None) == (role in ("enterprise", "analyst", "admin"))


def test_editions_list_shows_drafts_to_analysts_only(world, db):
    for role in ROLES:
        ids = {e["id"] for e in get(world, role, "/api/editions").json()["items"]}
        expected = (
            {world.published.pk, world.draft.pk}
            if role in ("analyst", "admin")
            else {world.published.pk}
        )
        assert ids == expected, role
    assert get(world, "analyst", "/api/editions", status="draft").json()["count"] == 1
    assert get(world, "public", "/api/editions", status="draft").json()["count"] == 0


# --- real numbers ---------------------------------------------------------------------------


def test_results_are_the_stored_rows(world, db):
    items = all_items(world, "anonymous", f"/api/editions/{world.published.pk}/results")
    stored = {
        r.enterprise.national_id: r
        for r in EditionResult.objects.filter(edition=world.published).select_related(
            "enterprise__province", "enterprise__estate", "enterprise__isic"
        )
    }
    assert len(items) == len(stored) > 200
    ranks = [i["rank"] for i in items]
    ranked = [r for r in ranks if r is not None]
    assert ranked == sorted(ranked) and ranks[: len(ranked)] == ranked  # rank order, unranked last
    for item in items:
        row = stored[item["national_id"]]
        assert item["rank"] == row.rank and item["score"] == row.score
        assert item["size_class"] == row.size_class
        assert item["node_scores"] == row.node_scores
        for name in EditionResult.INTERVAL_FIELDS:
            assert item[name] == getattr(row, name), name
        firm = row.enterprise
        assert (item["name_fa"], item["name_en"]) == (firm.name_fa, firm.name_en)
        assert item["province"]["code"] == firm.province.code
        assert item["estate"] == (
            None
            if firm.estate is None
            else {
                "code": firm.estate.code,
                "name_fa": firm.estate.name_fa,
                "name_en": firm.estate.name_en,
            }
        )
        assert item["sector"]["code"] == firm.isic.code[:2]
        assert item["sector"]["title_en"] == Sector.objects.get(code=firm.isic.code[:2]).title_en
    with_intervals = [i for i in items if i["rank"] is not None]
    assert all(i["rank_q05"] is not None and 0 <= i["p_top"] <= 1 for i in with_intervals)
    assert set(items[0]["node_scores"]) == {
        "growth",
        "productivity",
        "exports",
        "innovation",
        "standards",
        "finance",
        "skills",
    }


def test_results_filters_and_paging(world, db):
    url = f"/api/editions/{world.published.pk}/results"
    rows = EditionResult.objects.filter(edition=world.published)
    firm = world.outside
    cases = [
        ({"province": str(firm.province.code)}, rows.filter(enterprise__province=firm.province)),
        ({"province": firm.province.iso}, rows.filter(enterprise__province=firm.province)),
        (
            {"sector": firm.isic.code[:2]},
            rows.filter(enterprise__isic__code__startswith=firm.isic.code[:2]),
        ),
        (
            {"sector": firm.isic.section.lower()},
            rows.filter(enterprise__isic__section=firm.isic.section),
        ),
        ({"size_class": "medium"}, rows.filter(size_class="medium")),
        ({"q": firm.name_fa[:6]}, rows.filter(enterprise__name_fa__icontains=firm.name_fa[:6])),
        (
            {"q": firm.national_id[:6]},
            rows.filter(enterprise__national_id__startswith=firm.national_id[:6]),
        ),
    ]
    for params, expected in cases:
        body = get(world, "anonymous", url, limit=500, **params).json()
        assert body["count"] == expected.count() > 0, params
        assert {i["national_id"] for i in body["items"]} == set(
            expected.values_list("enterprise__national_id", flat=True)
        ), params
    persian = get(
        world,
        "anonymous",
        url,
        province=str(firm.province.code).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")),
    ).json()
    assert persian["count"] == rows.filter(enterprise__province=firm.province).count()
    first = get(world, "anonymous", url, limit=10).json()
    second = get(world, "anonymous", url, limit=10, offset=10).json()
    assert len(first["items"]) == len(second["items"]) == 10 and first["count"] == rows.count()
    assert [i["rank"] for i in first["items"]] + [i["rank"] for i in second["items"]] == list(
        range(1, 21)
    )


def league_reference(world, by="size_class", top=100):
    methodology = loads(world.methodology.text)
    table, _ = edition_data(world.period)
    return league_tables(methodology, table, by=by, top=top)


@pytest.mark.parametrize("by", ["size_class", "sector", "none"])
def test_league_ranks_are_league_tables_on_the_edition_data(world, db, by):
    expected = league_reference(world, by=None if by == "none" else by, top=20)
    items = all_items(world, "analyst", f"/api/editions/{world.published.pk}/league", by=by, top=20)
    band = "band" if by == "none" else by
    assert len(items) == len(expected)
    expected = expected.sort_values(
        [band, "indicator", "rank", "national_id"], kind="stable"
    )  # ties by ID
    got = [(i["band"], i["indicator"], i["rank"], i["national_id"], i["value"]) for i in items]
    want = [
        (None if by == "none" else str(b), ind, int(r), n, float(v))
        for b, ind, r, n, v in expected[
            [band, "indicator", "rank", "national_id", "value"]
        ].itertuples(index=False)
    ]
    assert got == want
    public = all_items(
        world, "anonymous", f"/api/editions/{world.published.pk}/league", by=by, top=20
    )
    assert [(i["rank"], i["national_id"]) for i in public] == [(w[2], w[3]) for w in want]
    names = {e.national_id: e.name_fa for e in Enterprise.objects.all()}
    assert all(i["name_fa"] == names[i["national_id"]] for i in public)
    if by == "size_class":
        assert {i["band_name_fa"] for i in public} == {"کوچک", "متوسط"}


def test_league_one_indicator_and_band(world, db):
    expected = league_reference(world)
    expected = expected[
        (expected["indicator"] == "export_share") & (expected["size_class"] == "small")
    ]
    expected = expected.sort_values(["rank", "national_id"], kind="stable")
    body = get(
        world,
        "analyst",
        f"/api/editions/{world.published.pk}/league",
        indicator="export_share",
        band="small",
        limit=500,
    ).json()
    assert body["count"] == len(expected) > 0
    assert [i["value"] for i in body["items"]] == expected["value"].tolist()
    assert {(i["indicator_name_en"], i["direction"]) for i in body["items"]} == {
        ("Export share of sales", 1)
    }
    refused = get(world, "analyst", f"/api/editions/{world.published.pk}/league", indicator="sales")
    assert refused.status_code == 422 and refused.json()["problems"][0]["field"] == "indicator"


def test_a_correction_never_moves_a_published_league_table(world, db):
    url = f"/api/editions/{world.published.pk}/league"
    before = all_items(world, "analyst", url, top=30)
    leader = EditionResult.objects.get(edition=world.published, rank=1).enterprise
    current = Return.objects.get(enterprise=leader, period=world.period).current_version.values()
    corrected = {**current, "exports": 0.0, "sales": current["sales"] * 3}
    response = client_for(world, "analyst").post(
        f"/api/enterprises/{leader.national_id}/returns/{YEAR}",
        {"values": corrected},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["changed"]
    methodology = loads(world.methodology.text)
    table, _ = edition_data(world.period)
    assert data_hash(methodology, table) != world.published.data_sha256  # the current data moved…
    assert (
        data_hash(methodology, frozen_edition_data(world.published)) == world.published.data_sha256
    )
    from django.core.cache import cache

    cache.clear()
    assert all_items(world, "analyst", url, top=30) == before  # …the edition's league did not


def test_an_edition_whose_data_cannot_be_rebuilt_shows_no_league(world, db, client):
    """When the registry changed under an edition (here a firm moved to another sector),
    neither its current nor its frozen data give the hash it recorded: the API answers 409
    ``data_changed`` in both languages, the page and the download 409 with the message,
    rather than publish a table the edition never ranked."""
    from django.core.cache import cache

    leader = EditionResult.objects.get(edition=world.published, rank=1).enterprise
    leader.isic = Sector.objects.filter(level=Sector.Level.CLASS).exclude(pk=leader.isic_id).first()
    leader.save()
    cache.clear()
    url = f"/api/editions/{world.published.pk}/league"
    refused = get(world, "analyst", url)
    body = refused.json()
    assert refused.status_code == 409 and body["code"] == "data_changed"
    assert body["message_en"].startswith("The data this edition ranked can no longer be rebuilt")
    assert body["message_fa"] != body["message_en"] and "ویرایش" in body["message_fa"]
    page = client.get(f"/editions/{world.published.pk}/league/")
    assert page.status_code == 409 and body["message_fa"] in page.content.decode()
    download = client.get(f"/editions/{world.published.pk}/data/league.csv")
    assert download.status_code == 409 and download.content.decode() == body["message_fa"]


def test_an_edition_not_computed_has_no_league(world, db):
    fresh = Edition.objects.create(
        name_fa="تازه", name_en="Fresh", period=world.period, methodology=world.methodology
    )
    refused = get(world, "analyst", f"/api/editions/{fresh.pk}/league")
    assert refused.status_code == 409 and refused.json()["code"] == "not_computed"
    assert refused.json()["message_en"] == "This edition has not been computed yet."


def test_an_edition_names_its_pillars(world, db):
    body = get(world, "anonymous", f"/api/editions/{world.published.pk}").json()
    assert body["status"] == "published" and body["has_intervals"] and body["runs"] == RUNS
    assert body["data_sha256"] == world.published.data_sha256
    assert body["methodology"]["sha256"] == world.methodology.sha256
    assert body["results_count"] == EditionResult.objects.filter(edition=world.published).count()
    assert (
        body["ranked_count"]
        == EditionResult.objects.filter(edition=world.published, rank__isnull=False).count()
    )
    pillars = {p["code"]: p for p in body["pillars"]}
    assert set(pillars) == {
        "SME100",
        "growth",
        "productivity",
        "exports",
        "innovation",
        "standards",
        "finance",
        "skills",
    }
    assert pillars["exports"]["name_fa"] == "صادرات‌محوری"
    assert pillars["exports"]["children"] == ["export_share", "export_markets"]


def test_catalogue_and_methodologies(world, db):
    indicators = all_items(world, "anonymous", "/api/indicators")
    assert [i["code"] for i in indicators] == sorted(
        Indicator.objects.values_list("code", flat=True)
    )
    sales = next(i for i in indicators if i["code"] == "sales")
    stored = Indicator.objects.get(code="sales")
    assert (sales["name_fa"], sales["name_en"], sales["unit"]) == (
        stored.name_fa,
        stored.name_en,
        stored.unit,
    )
    listed = get(world, "anonymous", "/api/methodologies").json()
    assert [m["id"] for m in listed["items"]] == [world.methodology.pk]
    body = get(world, "anonymous", f"/api/methodologies/{world.methodology.pk}").json()
    assert body["text"] == SME100
    assert body["sha256"] == hashlib.sha256(SME100.encode()).hexdigest()
    assert len(body["indicators"]) == 18 and body["nodes"][0]["code"] == "SME100"
    assert get(world, "anonymous", "/api/methodologies/999999").status_code == 404


# --- returns --------------------------------------------------------------------------------


def test_returns_show_current_values_and_every_version(world, db):
    firm = world.own
    record = Return.objects.get(enterprise=firm, period=world.period)
    first = record.current_version.values()
    changed = {**first, "employees": first["employees"] + 3}
    client = client_for(world, "enterprise")
    url = f"/api/enterprises/{firm.national_id}/returns"
    assert (
        client.post(
            f"{url}/{YEAR}", {"values": changed, "note": "سهو"}, content_type="application/json"
        ).json()["version"]
        == 2
    )
    body = client.get(url).json()
    assert body["count"] == Return.objects.filter(enterprise=firm).count()
    latest = next(r for r in body["items"] if r["period"]["code"] == str(YEAR))
    assert latest["current_version"]["values"] == changed
    assert (
        latest["current_version"]["source"] == "api" and latest["current_version"]["note"] == "سهو"
    )
    assert latest["current_version"]["created_by"] == world.users["enterprise"].username
    assert [v["number"] for v in latest["versions"]] == [2, 1]
    assert latest["versions"][1]["values"] == first and latest["versions"][1]["source"] == "demo"
    only = client.get(url, {"period": "۱۴۰۳"}).json()
    assert [r["period"]["code"] for r in only["items"]] == [str(YEAR)]


def test_submitting_reads_persian_figures_and_refuses_bad_ones(world, db):
    firm = world.own
    url = f"/api/enterprises/{firm.national_id}/returns/{YEAR}"
    client = client_for(world, "enterprise")
    current = Return.objects.get(enterprise=firm, period=world.period).current_version.values()
    typed = {**current, "sales": "۱۲٬۵۰۰", "employees": "۴۲"}
    response = client.post(url, {"values": typed}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["changed"] is True
    stored = Return.objects.get(enterprise=firm, period=world.period).current_version
    assert stored.values()["sales"] == 12500.0 and stored.values()["employees"] == 42.0
    assert stored.source == ReturnVersion.Source.API
    assert stored.created_by == world.users["enterprise"]
    again = client.post(url, {"values": typed}, content_type="application/json").json()
    assert again == {**again, "changed": False, "version": stored.number}

    versions = ReturnVersion.objects.count()
    refused = client.post(
        url,
        {"values": {**typed, "employees": "چهل", "no_such_figure": 1}},
        content_type="application/json",
    )
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "invalid_return" and body["message_fa"] and body["message_en"]
    fields = {p["field"] for p in body["problems"]}
    assert "no_such_figure" in fields
    assert all(p["message_en"] and p["message_fa"] for p in body["problems"])
    refused = client.post(
        url, {"values": {**typed, "employees": "چهل"}}, content_type="application/json"
    )
    assert refused.status_code == 422
    assert {p["field"] for p in refused.json()["problems"]} == {"employees"}
    assert ReturnVersion.objects.count() == versions
    future = client.post(
        f"/api/enterprises/{firm.national_id}/returns/1499",
        {"values": typed},
        content_type="application/json",
    )
    assert future.status_code == 422 and future.json()["code"] == "invalid_period"
    empty = client.post(url, {"values": {}}, content_type="application/json")
    assert empty.status_code == 422
    assert ReturnVersion.objects.count() == versions


# --- authentication -------------------------------------------------------------------------


def test_tokens_store_only_a_hash_and_can_be_revoked(world, db):
    out, err = StringIO(), StringIO()
    call_command(
        "create_api_token", world.users["estate"].username, "--name", "ERP", stdout=out, stderr=err
    )
    secret = out.getvalue().strip()
    token = ApiToken.objects.get(name="ERP")
    assert token.key_hash == hash_secret(secret) == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert secret.startswith(token.prefix) and token.last_used_at is None
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get(f"/api/enterprises/{world.in_estate.national_id}/returns").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    token.revoked = True
    token.save()
    refused = client.get("/api/indicators")  # a bad token is refused even on a public route
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    assert refused.json()["code"] == "invalid_token" and refused.json()["message_fa"]
    for header in ("Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer "):
        assert Client(HTTP_AUTHORIZATION=header).get("/api/indicators").status_code == 401
    with pytest.raises(Exception, match="No user"):
        call_command("create_api_token", "nobody", "--name", "x", stdout=out, stderr=err)


def test_an_inactive_users_token_is_refused(world, db):
    user = world.users["analyst"]
    user.is_active = False
    user.save()
    assert get(world, "analyst", "/api/editions").status_code == 401


def test_the_browser_session_needs_csrf_to_write(world, db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["enterprise"])
    firm = world.own
    assert client.get(f"/api/enterprises/{firm.national_id}/returns").status_code == 200
    assert client.get(f"/api/editions/{world.draft.pk}").status_code == 404
    values = Return.objects.get(enterprise=firm, period=world.period).current_version.values()
    url = f"/api/enterprises/{firm.national_id}/returns/{YEAR}"
    refused = client.post(url, {"values": values}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    client.get("/api/docs")  # any page that sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        url, {"values": values}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 200 and accepted.json()["changed"] is False
    analyst = Client(enforce_csrf_checks=True)
    analyst.force_login(world.users["analyst"])
    assert analyst.get(f"/api/editions/{world.draft.pk}").status_code == 200


# --- docs and errors -------------------------------------------------------------------------


def test_docs_are_served_without_internet(world, db):
    page = Client().get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert urls and all(u.startswith("/static/") for u in urls), urls
    assert "cdn" not in html.lower() and "http://" not in html and "https://" not in html
    for url in urls:
        assert Client().get(url).status_code == 200, url
    schema = Client().get("/api/openapi.json").json()
    assert set(schema["paths"]) == {
        "/api/indicators",
        "/api/methodologies",
        "/api/methodologies/{methodology_id}",
        "/api/editions",
        "/api/editions/{edition_id}",
        "/api/editions/{edition_id}/results",
        "/api/editions/{edition_id}/league",
        "/api/enterprises",
        "/api/enterprises/{national_id}",
        "/api/enterprises/{national_id}/returns",
        "/api/enterprises/{national_id}/returns/{period}",
        "/api/enterprises/{national_id}/path",
        "/api/periods",
    }
    assert {} in schema["paths"]["/api/indicators"]["get"]["security"]  # anonymous allowed
    assert {} not in schema["paths"]["/api/enterprises/{national_id}/returns"]["get"]["security"]
    assert set(schema["components"]["securitySchemes"]) == {"BearerToken", "Session"}


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/editions?colour=red", 400, "unknown_parameter"),
        ("/api/editions?limit=100000", 422, "invalid_request"),
        ("/api/editions?limit=-1", 422, "invalid_request"),
        ("/api/editions/99999999999999999999999", 422, "invalid_request"),
        ("/api/editions/9223372036854775807", 404, "not_found"),
        ("/api/editions/abc", 422, "invalid_request"),
        ("/api/enterprises?q=" + "x" * 500, 422, "invalid_request"),
        ("/api/enterprises?province=Tehran", 422, "invalid_request"),
        ("/api/enterprises/123", 404, "not_found"),
        ("/api/enterprises/12345678901", 404, "not_found"),
        ("/api/editions/{published}/results?size_class=huge", 422, "invalid_request"),
        ("/api/editions/{published}/league?by=colour", 422, "invalid_request"),
        ("/api/editions/{published}/league?top=0", 422, "invalid_request"),
        ("/api/no/such/route", 404, "not_found"),
        ("/api/editions/", 404, "not_found"),
        # a NUL character was a 500 on PostgreSQL, which can neither store nor compare it:
        # refused before any route (rasad.platform.web.middleware.RejectNulMiddleware)
        ("/api/enterprises?q=a%00b", 400, "bad_request"),
        ("/api/editions/{published}/results?q=%00", 400, "bad_request"),
        ("/api/editions?%00=1", 400, "bad_request"),
    ],
)
def test_bad_requests_answer_in_both_languages(world, db, url, status, code):
    response = Client().get(url_of(world, url))
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert body["code"] == code
    assert body["message_en"] and body["message_fa"] and body["detail"] == body["message_fa"]
    assert re.search("[\u0600-\u06ff]", body["message_fa"])
    ErrorOut.model_validate(body)  # the documented error shape
    for item in body.get("problems") or []:
        assert item["message_en"] and re.search("[\u0600-\u06ff]", item["message_fa"])


def test_a_body_that_is_not_json_is_a_400(world, db):
    url = f"/api/enterprises/{world.own.national_id}/returns/{YEAR}"
    client = client_for(world, "enterprise")
    response = client.post(url, "{values: oops", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "bad_request"
    response = client.post(
        url, {"values": ["not", "a", "mapping"]}, content_type="application/json"
    )
    assert response.status_code == 422 and response.json()["problems"][0]["field"].startswith(
        "payload"
    )
    # a boolean is not a figure (it was read as 1 and stored)
    response = client.post(url, {"values": {"sales": True}}, content_type="application/json")
    assert response.status_code == 422
    assert {p["field"] for p in response.json()["problems"]} == {
        "payload.values.sales.float",
        "payload.values.sales.str",
    }


def test_administrators_list_tokens_in_persian(world, db):
    client = Client()
    client.force_login(world.users["admin"])
    page = client.get("/admin/api/apitoken/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "توکن‌های API" in html and "enterprise client" in html
    assert (
        hash_secret(world.tokens["enterprise"]) not in html
        and world.tokens["enterprise"] not in html
    )
    assert (
        client.get("/admin/api/apitoken/add/").status_code == 403
    )  # made by the command, secret shown once


def test_detail_follows_the_chosen_language(world, db):
    client = Client()
    client.cookies["django_language"] = "en"
    body = client.get("/api/editions/999999").json()
    assert body["detail"] == body["message_en"] == "No such edition."
    assert body["message_fa"] != body["message_en"]


def test_persian_is_sent_as_persian(world, db):
    response = Client().get(f"/api/editions/{world.published.pk}")
    assert "۱۰۰ برتر ۱۴۰۳" in response.content.decode("utf-8")


def test_no_nan_reaches_the_json(world, db):
    for url in (
        f"/api/editions/{world.published.pk}/results",
        f"/api/editions/{world.draft.pk}/league",
    ):
        text = get(world, "admin", url, limit=500).content.decode()
        assert "NaN" not in text and "Infinity" not in text
        assert all(math.isfinite(n) for n in numbers_in(json.loads(text)))


def test_a_method_a_route_does_not_serve_is_a_bilingual_405(world, db):
    """ninja answered these in plain text; the API's errors are JSON in both languages."""
    for method, url, allowed in (
        ("put", "/api/indicators", "GET"),
        ("delete", f"/api/editions/{world.published.pk}", "GET"),
        ("get", f"/api/enterprises/{world.own.national_id}/returns/{YEAR}", "POST"),
        ("patch", f"/api/enterprises/{world.own.national_id}/returns", "GET"),
    ):
        response = getattr(client_for(world, "analyst"), method)(url)
        assert response.status_code == 405 and response["Allow"] == allowed, (method, url)
        body = response.json()
        assert body["code"] == "method_not_allowed" and body["detail"] == body["message_fa"]
        assert method.upper() in body["message_en"] and re.search(
            "[\u0600-\u06ff]", body["message_fa"]
        )
        ErrorOut.model_validate(body)


def test_figures_that_are_not_finite_numbers_are_refused(world, db):
    """Python's JSON reads NaN, Infinity and 1e999 as floats; they used to be stored as
    "not reported", silently emptying the return."""
    url = f"/api/enterprises/{world.own.national_id}/returns/{YEAR}"
    client = client_for(world, "enterprise")
    versions = ReturnVersion.objects.count()
    for figure in ("NaN", "Infinity", "-Infinity", "1e999"):
        response = client.post(
            url,
            '{"values": {"employees": 12, "sales": ' + figure + "}}",
            content_type="application/json",
        )
        assert response.status_code == 422, (figure, response.content[:300])
        body = response.json()
        assert body["code"] == "invalid_return"
        assert [(p["field"], p["message_en"]) for p in body["problems"]] == [
            ("sales", "Not a finite number.")
        ]
        assert re.search("[\u0600-\u06ff]", body["problems"][0]["message_fa"])
    assert ReturnVersion.objects.count() == versions


def test_a_note_with_a_nul_character_is_refused(world, db):
    """It was a 500 on PostgreSQL, which cannot store a NUL character."""
    firm = world.own
    values = Return.objects.get(enterprise=firm, period=world.period).current_version.values()
    versions = ReturnVersion.objects.count()
    response = client_for(world, "enterprise").post(
        f"/api/enterprises/{firm.national_id}/returns/{YEAR}",
        {"values": values, "note": "a\x00b"},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["problems"][0]["field"] == "payload.note"
    assert ReturnVersion.objects.count() == versions


def test_each_route_documents_the_errors_it_gives(world, db):
    """Each route documents the error statuses it may answer with, each with the error
    body (Schemathesis checks the answers against them), and only those."""
    paths = Client().get("/api/openapi.json").json()["paths"]
    common = {"200", "400", "401", "422", "429"}
    expected = {
        ("/api/indicators", "get"): common,
        ("/api/methodologies", "get"): common,
        ("/api/methodologies/{methodology_id}", "get"): common | {"404"},
        ("/api/editions", "get"): common,
        ("/api/editions/{edition_id}", "get"): common | {"404"},
        ("/api/editions/{edition_id}/results", "get"): common | {"404"},
        ("/api/editions/{edition_id}/league", "get"): common | {"404", "409"},
        ("/api/enterprises", "get"): common,
        ("/api/enterprises/{national_id}", "get"): common | {"404"},
        ("/api/enterprises/{national_id}/returns", "get"): common | {"403", "404"},
        ("/api/enterprises/{national_id}/returns/{period}", "post"): common | {"403", "404"},
        ("/api/enterprises/{national_id}/path", "get"): common | {"404", "409"},
        ("/api/periods", "get"): common | {"404"},
    }
    assert {(path, method) for path, item in paths.items() for method in item} == set(expected)
    for (path, method), statuses in expected.items():
        responses = paths[path][method]["responses"]
        assert set(responses) == statuses, path
        for status in statuses - {"200"}:
            assert responses[status]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorOut"
            }, (path, status)
