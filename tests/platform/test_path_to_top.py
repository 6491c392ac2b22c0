"""The path into the Top-100 on the scorecard page, its PDF and the API (issue 18): shown
to exactly who sees the scorecard, computed against the edition's own data (the what-if
rebuilt gives the rank it states), and for an unranked firm the engine's own reason."""

from __future__ import annotations

import pytest
from django.test import Client

from pdfs import pdf_text
from rasad.index import build
from rasad.index.whatif import what_if
from rasad.platform.accounts.models import Role, User
from rasad.platform.api.models import ApiToken
from rasad.platform.monitoring import choice, compute
from rasad.platform.public.scorecard import scorecard_data
from rasad.platform.rankings.league import edition_table
from rasad.platform.rankings.models import EditionResult
from rasad.platform.rankings.path import edition_path
from rasad.platform.registry.models import Enterprise
from rasad.platform.reports import scorecard
from rasad.platform.returns.models import Return


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, module_data, published_demo):
    compute.clear()
    with module_data(django_db_blocker):
        try:
            published = published_demo(400, 3, "pt-analyst")
            edition = published["edition"]
            ranked = EditionResult.objects.filter(edition=edition, rank__gt=100).order_by("rank")
            subject = ranked.select_related("enterprise").first().enterprise
            filed = Return.objects.filter(
                period=edition.period, current_version__isnull=False
            ).values("enterprise")
            unranked = (
                Enterprise.objects.filter(pk__in=filed)
                .exclude(edition_results__edition=edition)
                .order_by("national_id")
                .first()
            )
            other = Enterprise.objects.exclude(pk__in=[subject.pk, unranked.pk]).first()
            users = {
                "public": User.objects.create_user("pt-public", password="x", role=Role.PUBLIC),
                "own": User.objects.create_user(
                    "pt-own", password="x", role=Role.ENTERPRISE, enterprise=subject
                ),
                "unranked": User.objects.create_user(
                    "pt-unranked", password="x", role=Role.ENTERPRISE, enterprise=unranked
                ),
                "other": User.objects.create_user(
                    "pt-other", password="x", role=Role.ENTERPRISE, enterprise=other
                ),
                "analyst": published["analyst"],
            }
            tokens = {name: ApiToken.issue(user, name)[1] for name, user in users.items()}
            yield {
                "edition": edition,
                "subject": subject,
                "unranked": unranked,
                "users": users,
                "tokens": tokens,
            }
        finally:
            compute.clear()


def page(client, world, role, firm):
    client.force_login(world["users"][role])
    return client.get(f"/enterprises/{world[firm].national_id}/")


def api(world, role, firm, **params):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {world['tokens'][role]}"} if role else {}
    return Client(**headers).get(f"/api/enterprises/{world[firm].national_id}/path", params)


def test_the_what_if_is_the_edition_ranked_again(world, db):
    edition, subject = world["edition"], world["subject"]
    found = edition_path(edition, subject)
    assert found["status"] == "ranked"
    path = found["path"]
    result = EditionResult.objects.get(edition=edition, enterprise=subject)
    assert path["rank"] == result.rank > 100 and path["target_rank"] == edition.top_k
    methodology = edition.methodology.parsed()
    table = edition_table(edition, methodology)
    assert build(methodology, table).rank[subject.national_id] == result.rank
    assert path["suggestions"]
    changed = what_if(
        methodology,
        table,
        subject.national_id,
        {s["figure"]: s["suggested_figure"] for s in path["suggestions"]},
    )
    rebuilt = build(methodology, changed, keep="final").rank[subject.national_id]
    assert rebuilt == path["rank_after"]
    assert path["reachable"] == (rebuilt <= edition.top_k)
    for s in path["suggestions"]:
        assert s["direction"] * (s["suggested"] - s["bound"]) <= 0
        assert s["name_fa"] and s["figure_name_en"]


def test_the_owner_sees_the_path_on_the_scorecard(world, client, db):
    response = page(client, world, "own", "subject")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="path-to-top"' in html and 'id="path-suggestions"' in html
    path = edition_path(world["edition"], world["subject"])["path"]
    assert f'data-rank-after="{path["rank_after"]}"' in html
    for s in path["suggestions"]:
        assert f'data-indicator="{s["indicator"]}"' in html
    assert 'id="why-unranked"' not in html


@pytest.mark.parametrize("role", ["public", "other", "unranked"])
def test_no_one_else_sees_it(world, client, db, role):
    assert page(client, world, role, "subject").status_code == 404
    assert api(world, role, "subject").status_code == 404


def test_an_unranked_firm_reads_the_engines_reason(world, client, db):
    found = edition_path(world["edition"], world["unranked"])
    assert found["status"] == "unranked" and found["reasons"]
    html = page(client, world, "unranked", "unranked").content.decode()
    assert 'id="why-unranked"' in html and 'id="path-to-top"' not in html
    for reason in found["reasons"]:
        assert reason["fa"] in html  # the build's own words, not a generic guess
    if found["fixable"]:
        assert f"{found['reported']}" and found["reported"] < found["needed"]
    else:
        assert 'id="unranked-outside"' in html


def test_the_api_answers_the_owner_and_the_analyst(world, db):
    assert api(world, None, "subject").status_code == 401
    body = api(world, "own", "subject").json()
    assert body["status"] == "ranked" and body["path"]["suggestions"]
    assert body == api(world, "analyst", "subject").json()
    up = api(world, "own", "subject", places=10).json()["path"]
    assert up["target_rank"] == up["rank"] - 10 and up["places"] == 10
    if up["reachable"]:
        assert up["rank_after"] <= up["target_rank"]
    assert api(world, "unranked", "unranked").json()["status"] == "unranked"
    assert api(world, "own", "subject", edition=10**9).status_code == 404


def test_the_pdf_has_the_path(world, db):
    text = " ".join(pdf_text(scorecard.render(world["subject"].national_id, language="en")).split())
    assert "Path to a top-100 place" in text
    path = edition_path(world["edition"], world["subject"])["path"]
    assert ("Had the enterprise reported" in text) == path["reachable"]


def test_the_weakest_pillar_is_named_only_below_the_peers(world, db):
    results = EditionResult.objects.filter(edition=world["edition"]).order_by("rank")[:30]
    period = choice.by_default()
    for result in results.select_related("enterprise__isic"):
        shown = scorecard_data(result.enterprise, period)
        gaps = [r["gap"] for r in shown["by_gap"]]
        if min(gaps) >= 0:
            assert shown["weakest"] is None
        else:
            assert shown["weakest"]["gap"] == min(gaps) < 0
