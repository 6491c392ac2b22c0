"""Trends and movers (issue 18, item 2): an enterprise's rank and score over the editions
and its main figures year on year on its scorecard, and the movers since the previous
edition on the public Top-100.

A small demo population with two published editions, 1402 then 1403 (a top list of 10,
so that entries and exits are many): the expected ranks, movers, entries, exits and
constant-price figures are computed here from the stored rows and the price index's
table, not read back from the code under test.
"""

from __future__ import annotations

import re

import pytest

from rasad.demo import generate
from rasad.iran.text import to_persian_digits
from rasad.platform.accounts.models import Role, User
from rasad.platform.demo_data import load_demo
from rasad.platform.public import charts
from rasad.platform.rankings.bundled import bundled_methodology, bundled_spec
from rasad.platform.rankings.models import Edition, EditionResult
from rasad.platform.rankings.services import compute_edition, publish_edition
from rasad.platform.registry.models import Enterprise
from rasad.platform.returns.models import Period, Return

TOP = 10
CPI = {1402: 206.1, 1403: 273.1}  # src/rasad/iran/data/deflator.csv


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, module_data):
    with module_data(django_db_blocker):
        load_demo(generate(n_enterprises=150, seed=11))
        analyst = User.objects.create_user("trends-analyst", password="x", role=Role.ANALYST)
        public = User.objects.create_user("trends-public", password="x", role=Role.PUBLIC)
        editions = {}
        for year in (1402, 1403):
            edition = Edition.objects.create(
                name_fa=f"ویرایش {to_persian_digits(str(year))}",
                name_en=f"Edition {year}",
                period=Period.objects.get(year=year, quarter__isnull=True),
                methodology=bundled_methodology(analyst),
            )
            spec = {"spec_text": bundled_spec(), "runs": 20} if year == 1403 else {}
            compute_edition(edition, seed=3, top_k=TOP, **spec)
            editions[year] = publish_edition(edition, analyst)
        ranks = {
            year: dict(
                EditionResult.objects.filter(edition=e, rank__isnull=False).values_list(
                    "enterprise__national_id", "rank"
                )
            )
            for year, e in editions.items()
        }
        both = sorted(ranks[1402].keys() & ranks[1403].keys())
        firm = Enterprise.objects.get(
            national_id=max(both, key=lambda nid: (ranks[1402][nid] - ranks[1403][nid], nid))
        )
        owner = User.objects.create_user(
            "trends-owner", password="x", role=Role.ENTERPRISE, enterprise=firm
        )
        yield {
            "analyst": analyst,
            "public": public,
            "owner": owner,
            "firm": firm,
            "editions": editions,
            "ranks": ranks,
            "both": both,
        }


def movers_section(page: str) -> str:
    found = re.search(r'<section class="card" id="movers".*?</section>', page, re.S)
    assert found, "no movers section"
    return found.group(0)


def table_of(section: str, kind: str) -> list[tuple[str, list[str]]]:
    """(national ID, cells as text) of the rows of one movers table."""
    block = re.search(rf'data-movers="{kind}">(.*?)</table>', section, re.S)
    if block is None:
        return []
    rows = re.findall(r'<tr data-nid="(\d+)">(.*?)</tr>', block.group(1), re.S)
    return [
        (
            nid,
            [
                re.sub(r"<[^>]+>", "", c).strip()
                for c in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
            ],
        )
        for nid, cells in rows
    ]


def test_movers_are_the_rank_differences_since_the_previous_edition(world, client, db):
    before, now = world["ranks"][1402], world["ranks"][1403]
    page = client.get("/top100/").content.decode()  # anonymous: movers are public
    section = movers_section(page)
    assert f'data-previous="{world["editions"][1402].pk}"' in section
    rises = table_of(section, "up")
    # the largest rise, computed here: previous rank minus rank (ties by the current rank)
    shifts = {nid: before[nid] - now[nid] for nid in world["both"]}
    best = max(shifts.values())
    assert best > 0
    expected = min((nid for nid, s in shifts.items() if s == best), key=now.get)
    nid, cells = rises[0]
    assert nid == expected
    assert cells == [
        Enterprise.objects.get(national_id=nid).name_fa,
        to_persian_digits(f"{before[nid]:,}").replace(",", "٬"),
        to_persian_digits(f"{now[nid]:,}").replace(",", "٬"),
        "↑ " + to_persian_digits(f"{best:,}").replace(",", "٬"),
    ]
    assert [n for n, _ in rises] == sorted(
        (n for n, s in shifts.items() if s > 0), key=lambda n: (-shifts[n], now[n])
    )[:10]
    falls = table_of(section, "down")
    worst = min(shifts.values())
    assert shifts[falls[0][0]] == worst and falls[0][1][-1].startswith("↓ ")
    # entries: in the top 10 now, not before (outside it or unranked); exits: the reverse
    entries = [n for n, _ in table_of(section, "entries")]
    assert entries == sorted(
        (n for n, r in now.items() if r <= TOP and before.get(n, TOP + 1) > TOP), key=now.get
    )
    exits = [n for n, _ in table_of(section, "exits")]
    assert exits == sorted(
        (n for n, r in before.items() if r <= TOP and now.get(n, TOP + 1) > TOP), key=before.get
    )
    assert entries and exits
    # the first edition has nothing to compare with: no movers at all
    first = client.get(f"/editions/{world['editions'][1402].pk}/").content.decode()
    assert 'id="movers"' not in first


def test_movers_read_in_english_with_latin_digits(world, client, db):
    client.cookies["django_language"] = "en"
    section = movers_section(client.get("/top100/").content.decode())
    nid, cells = table_of(section, "up")[0]
    assert cells[0] == Enterprise.objects.get(national_id=nid).name_en
    assert cells[2] == f"{world['ranks'][1403][nid]:,}"


def test_the_scorecard_draws_rank_and_score_over_the_editions(world, client, db):
    firm, editions = world["firm"], world["editions"]
    client.force_login(world["owner"])
    response = client.get(f"/enterprises/{firm.national_id}/")
    page = response.content.decode()
    results = [
        EditionResult.objects.get(edition=editions[y], enterprise=firm) for y in (1402, 1403)
    ]
    # the history table: newest first, with the stored ranks
    rows = re.findall(r'<tr data-edition="(\d+)".*?<strong>(.*?)</strong>', page, re.S)
    assert rows == [
        (str(r.edition_id), to_persian_digits(f"{r.rank:,}").replace(",", "٬"))
        for r in reversed(results)
    ]
    # the charts: oldest first; rank upside down (the better rank higher up), band where known
    trend = response.context["rank_trend"]
    rank, score = trend["rank"]["series"][0], trend["score"]["series"][0]
    assert rank["values"] == [r.rank for r in results]
    assert score["values"] == [r.score for r in results]
    assert rank["band"] == [None, (results[1].rank_q05, results[1].rank_q95)]
    assert len(rank["bands"]) == 1 and trend["bands"]
    up = results[1].rank < results[0].rank
    assert (float(rank["points"][1]["cy"]) < float(rank["points"][0]["cy"])) == up
    # labels in Persian digits: the years under the charts, the ranks and scores beside them
    chart = re.search(r'<div id="rank-trend".*?</ul>', page, re.S).group(0)
    assert "۱۴۰۲" in chart and "۱۴۰۳" in chart and "1402" not in chart
    ticks = re.findall(r'<span class="y"[^>]*>(.*?)</span>', chart)
    assert ticks and all(re.fullmatch(r"[۰-۹٬]+", t) for t in ticks)


def test_the_main_figures_year_on_year_in_constant_prices_too(world, client, db):
    firm = world["firm"]
    client.force_login(world["analyst"])
    response = client.get(f"/enterprises/{firm.national_id}/")
    history = response.context["figure_history"]
    sent = {
        r.period.year: r.current_version.values()
        for r in Return.objects.filter(
            enterprise=firm, period__quarter__isnull=True, current_version__isnull=False
        ).select_related("period", "current_version")
    }
    years = sorted(sent)
    assert [p.year for p in history["periods"]] == years and history["base_year"] == years[-1]
    rows = {row["indicator"].code: row for row in history["rows"]}
    assert rows["employees"]["values"] == [sent[y].get("employees") for y in years]
    assert rows["employees"]["real"] is None  # persons are not deflated
    sales = rows["sales"]
    assert sales["values"] == [sent[y].get("sales") for y in years]
    # in the prices of the latest year: the latest as reported, 1402 times 273.1 / 206.1
    assert sales["real"][-1] == pytest.approx(sent[years[-1]]["sales"])
    assert sales["real"][years.index(1402)] == pytest.approx(
        sent[1402]["sales"] * CPI[1403] / CPI[1402]
    )
    page = response.content.decode()
    table = re.search(r'<table id="figure-table">.*?</table>', page, re.S).group(0)
    assert to_persian_digits(f"{sent[1403]['sales']:,.0f}").replace(",", "٬") in table
    assert len(response.context["figure_trends"]["figures"]) == len(history["rows"])


def test_one_edition_only_degrades_to_the_table(world, client, db):
    before, now = world["ranks"][1402], world["ranks"][1403]
    only_once = sorted(now.keys() - before.keys())[0]
    client.force_login(world["analyst"])
    response = client.get(f"/enterprises/{only_once}/")
    page = response.content.decode()
    assert "rank_trend" not in response.context
    assert 'id="rank-trend-one"' in page and 'id="rank-trend"' not in page
    assert page.count('<tr data-edition="') == 1


def test_the_public_sees_movers_but_no_scorecard_trends(world, client, db):
    firm = world["firm"]
    sales = Return.objects.get(enterprise=firm, period__year=1403).current_version.values()["sales"]
    shown = to_persian_digits(f"{sales:,.0f}").replace(",", "٬")
    page = client.get("/top100/").content.decode()
    assert firm.national_id in movers_section(page) and shown not in page
    # the scorecard (with its trends) is not the public's: login, then "no such enterprise"
    assert client.get(f"/enterprises/{firm.national_id}/").status_code == 302
    client.force_login(world["public"])
    response = client.get(f"/enterprises/{firm.national_id}/")
    assert response.status_code == 404 and shown not in response.content.decode()
    # another enterprise's owner does not see this one's either
    other = Enterprise.objects.exclude(pk=firm.pk).order_by("national_id").first()
    client.force_login(world["owner"])
    assert client.get(f"/enterprises/{other.national_id}/").status_code == 404
    client.force_login(world["owner"])
    own = client.get(f"/enterprises/{firm.national_id}/").content.decode()
    assert 'id="figure-trends"' in own and shown in own


def test_lines_invert_the_axis_and_shade_bands_by_hand():
    chart = charts.lines(
        [{"name": "rank", "color": "#000", "values": [10, None, 2], "band": [(6, 14), None, None]}],
        x_labels=["a", "b", "c"],
        low=0,
        high=20,
        width=100,
        height=60,
        pad=10,
        invert=True,
        step=10,
    )
    s = chart["series"][0]
    # x: 10, 50, 90; y (inverted): 10 + 40 * v / 20, so 0 on top
    assert s["segments"] == ["10.0,30.0", "90.0,14.0"]
    assert s["bands"] == ["10.0,38.0 10.0,22.0"]
    assert [t["value"] for t in chart["y_ticks"]] == [0, 10, 20]
    assert [t["y"] for t in chart["y_ticks"]] == ["10.00", "30.00", "50.00"]
