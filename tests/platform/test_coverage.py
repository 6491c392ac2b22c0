"""Coverage beside every rank (issue 14): the share of the methodology's indicators each
enterprise reported and which it left blank are stored with its result, equal to the
engine's, and shown with its rank on the pages and in the API; an edition stored before
coverage was recorded shows "—" and null, never a guess.

One demo population and two published editions of its latest year serve the module: one
computed now, and one whose rows are stored as an edition computed before this change
was (no coverage, no composite).
"""

from __future__ import annotations

import html
import re

import pytest

from rasad.demo import generate
from rasad.index import build
from rasad.index.inputs import sme_inputs
from rasad.iran.text import to_persian_digits
from rasad.platform.accounts.models import Role, User
from rasad.platform.rankings.bundled import bundled_methodology
from rasad.platform.rankings.models import Edition, EditionResult
from rasad.platform.rankings.services import compute_edition, publish_edition

N, SEED = 300, 7


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, module_data, published_demo):
    with module_data(django_db_blocker):
        made = published_demo(N, SEED, "cov-analyst")
        edition, period, analyst = made["edition"], made["period"], made["analyst"]
        population = generate(n_enterprises=N, seed=SEED)
        engine = build(
            edition.methodology.parsed(),
            sme_inputs(population.returns, population.enterprises, period.year),
            keep="final",
        )
        # an edition as one computed before coverage was recorded: its rows hold none
        legacy = Edition.objects.create(
            name_fa="پیشین",
            name_en="Before coverage",
            period=period,
            methodology=bundled_methodology(analyst),
        )
        compute_edition(legacy, seed=1)
        EditionResult.objects.filter(edition=legacy).update(
            coverage=None, missing=None, composite=None
        )
        legacy = publish_edition(legacy, analyst)
        results = EditionResult.objects.filter(edition=edition).select_related("enterprise")
        # a ranked enterprise that left an indicator blank, and its own user
        gappy = next(r for r in results.filter(rank__isnull=False).order_by("rank") if r.missing)
        owner = User.objects.create_user(
            "cov-owner", password="x", role=Role.ENTERPRISE, enterprise=gappy.enterprise
        )
        yield {
            "edition": edition,
            "legacy": legacy,
            "engine": engine,
            "analyst": analyst,
            "gappy": gappy,
            "owner": owner,
            "method": edition.methodology.parsed(),
        }


def test_stored_coverage_is_the_engines(world, db):
    coverage = world["engine"].coverage
    rows = {
        r.enterprise.national_id: r
        for r in EditionResult.objects.filter(edition=world["edition"]).select_related("enterprise")
    }
    assert sorted(rows) == sorted(coverage.index)
    codes = world["method"].indicator_codes
    for national_id, expected in coverage.iterrows():
        row = rows[national_id]
        assert row.coverage == expected["coverage"]
        assert row.missing == (expected["missing"].split(",") if expected["missing"] else [])
        assert len(codes) - len(row.missing) == expected["reported"]
    # the demo leaves real gaps, in several indicators, and some firms report everything
    assert 0 < sum(1 for r in rows.values() if r.missing) < len(rows)
    assert len({code for r in rows.values() for code in r.missing}) >= 3
    composite = world["engine"].composite
    assert composite is not None
    for national_id, row in rows.items():
        expected = composite[national_id]
        assert (row.composite is None) if expected != expected else row.composite == expected


def test_a_legacy_edition_holds_no_coverage(world, db):
    rows = EditionResult.objects.filter(edition=world["legacy"])
    assert rows.exists() and not rows.filter(coverage__isnull=False).exists()
    assert not rows.filter(missing__isnull=False).exists()


# --- pages -----------------------------------------------------------------------------


def _row(page: str, national_id: str) -> str:
    """The table row of one enterprise on a page."""
    found = re.search(rf'<tr data-national-id="{national_id}"[^>]*>(.*?)</tr>', page, re.S)
    assert found, f"no row of {national_id}"
    return found.group(1)


def _shown(fragment: str) -> tuple[int, int, list[str]]:
    """The coverage an element of rankings/_coverage.html says: reported, of how many, codes
    left blank."""
    found = re.search(
        r'class="coverage[^"]*" data-reported="(\d+)" data-indicators="(\d+)" '
        r'data-missing="([^"]*)"',
        fragment,
    )
    assert found, fragment
    return int(found.group(1)), int(found.group(2)), [c for c in found.group(3).split(",") if c]


def _english(client):
    client.cookies["django_language"] = "en"
    return client


def _expected(world, result):
    method = world["method"]
    blank = [i for i in method.indicators if i.code in result.missing]
    return len(method.indicators) - len(blank), len(method.indicators), blank


def test_the_top100_shows_coverage_beside_each_rank(world, client, db):
    edition, gappy = world["edition"], world["gappy"]
    reported, total, blank = _expected(world, gappy)
    assert 0 < len(blank) and total == 18
    national_id = gappy.enterprise.national_id
    # Persian (the default): digits, names and what the methodology did, in Persian
    page = client.get(f"/editions/{edition.pk}/?scope=all&q={national_id}").content.decode()
    row = _row(page, national_id)
    assert _shown(row) == (reported, total, [i.code for i in blank])
    assert f"{to_persian_digits(str(reported))} از {to_persian_digits(str(total))}" in row
    for indicator in blank:
        assert html.escape(indicator.name.fa) in row
    assert "پایین‌تر از همهٔ رقم‌های گزارش‌شده" in row
    # English
    page = (
        _english(client).get(f"/editions/{edition.pk}/?scope=all&q={national_id}").content.decode()
    )
    row = _row(page, national_id)
    assert f"{reported} of {total}" in row
    for indicator in blank:
        assert html.escape(indicator.name.en) in row
    assert "A blank is scored below every figure reported in its sector." in row
    # every row of the top list, all on one page, against the stored results
    page = client.get(f"/editions/{edition.pk}/").content.decode()
    stored = {
        r.enterprise.national_id: r
        for r in EditionResult.objects.filter(
            edition=edition, rank__lte=edition.top_k
        ).select_related("enterprise")
    }
    rows = re.findall(r'<tr data-national-id="(\d+)"', page)
    assert len(rows) == len(stored) == edition.top_k
    for national_id in rows:
        assert _shown(_row(page, national_id)) == _expected_codes(world, stored[national_id])


def test_the_methodology_page_says_what_a_blank_gets_as_the_rankings_do(world, client, db):
    page = _english(client).get(f"/editions/{world['edition'].pk}/methodology/").content.decode()
    step = re.search(r'<li data-step="impute">(.*?)</li>', page, re.S).group(1)
    assert "A blank is scored below every figure reported in its sector." in step


def _expected_codes(world, result):
    reported, total, blank = _expected(world, result)
    return reported, total, [i.code for i in blank]


def test_the_scorecard_tells_the_owner_what_was_left_blank(world, client, db):
    gappy = world["gappy"]
    client.force_login(world["owner"])
    page = (
        _english(client)
        .get(f"/enterprises/{gappy.enterprise.national_id}/?edition={world['edition'].pk}")
        .content.decode()
    )
    reported, total, blank = _expected(world, gappy)
    section = re.search(r'<section class="card" id="coverage"(.*?)</section>', page, re.S).group(0)
    assert f'data-reported="{reported}" data-indicators="{total}"' in section
    assert re.findall(r'<li data-code="([a-z0-9_]+)">', section) == [i.code for i in blank]
    for indicator in blank:
        assert f'<li data-code="{indicator.code}">{html.escape(indicator.name.en)}</li>' in section
    assert (
        "Reporting it can only help" if len(blank) == 1 else "Reporting them can only help"
    ) in section
    assert f'<span class="value" id="reported">{reported} of {total}</span>' in page
    # the history lists the edition without coverage with a dash
    history = re.search(
        r'<tr data-edition="{}"[^>]*>(.*?)</tr>'.format(world["legacy"].pk), page, re.S
    ).group(1)
    assert '<span class="coverage unknown"' in history and ">—</span>" in history


def test_the_scorecard_speaks_persian(world, client, db):
    gappy = world["gappy"]
    client.force_login(world["owner"])
    page = client.get(
        f"/enterprises/{gappy.enterprise.national_id}/?edition={world['edition'].pk}"
    ).content.decode()
    reported, total, blank = _expected(world, gappy)
    section = re.search(r'<section class="card" id="coverage"(.*?)</section>', page, re.S).group(0)
    assert (
        f"بنگاه {to_persian_digits(str(reported))} شاخص از {to_persian_digits(str(total))} شاخص"
        in section
    )
    for indicator in blank:
        assert f'<li data-code="{indicator.code}">{html.escape(indicator.name.fa)}</li>' in section
    assert "فقط به سود بنگاه است" in section


def test_the_estates_page_and_its_workbook_show_coverage(world, client, db):
    from io import BytesIO

    from openpyxl import load_workbook

    edition, gappy = world["edition"], world["gappy"]
    national_id = gappy.enterprise.national_id
    reported, total, blank = _expected(world, gappy)
    client.force_login(world["analyst"])  # every estate
    page = _english(client).get(f"/estates/?edition={edition.pk}&q={national_id}").content.decode()
    row = _row(page, national_id)
    assert _shown(row) == (reported, total, [i.code for i in blank])
    for indicator in blank:
        assert html.escape(indicator.name.en) in row
    # sorted by coverage, the least covered first
    page = client.get(f"/estates/?edition={edition.pk}&sort=coverage&dir=asc").content.decode()
    shown = [_shown(_row(page, n))[0] for n in re.findall(r'<tr data-national-id="(\d+)"', page)]
    assert shown == sorted(shown) and shown[0] < total
    book = load_workbook(
        BytesIO(client.get(f"/estates/export.xlsx?edition={edition.pk}&q={national_id}").content)
    )
    header, values = [[c.value for c in r] for r in book.active.iter_rows(max_row=2)]
    cells = dict(zip(header, values, strict=True))
    assert cells[f"Indicators reported (of {total})"] == reported
    assert cells["Indicators left blank"] == ", ".join(i.name.en for i in blank)


def test_an_edition_without_coverage_shows_a_dash(world, client, db):
    legacy, gappy = world["legacy"], world["gappy"]
    national_id = gappy.enterprise.national_id
    page = client.get(f"/editions/{legacy.pk}/?scope=all&q={national_id}").content.decode()
    row = _row(page, national_id)
    assert '<td class="reported"><span class="coverage unknown" title="' in row
    assert "data-reported" not in row
    client.force_login(world["owner"])
    page = client.get(f"/enterprises/{national_id}/?edition={legacy.pk}").content.decode()
    assert 'id="coverage-unknown"' in page and '<span class="value" id="reported">—</span>' in page
    assert 'id="blank-indicators"' not in page


def test_the_league_tables_and_the_review_show_coverage(world, client, db):
    edition = world["edition"]
    page = client.get(
        f"/editions/{edition.pk}/league/?indicator=export_share&band=small"
    ).content.decode()
    stored = {
        r.enterprise.national_id: r
        for r in EditionResult.objects.filter(edition=edition).select_related("enterprise")
    }
    rows = re.findall(r'<tr data-national-id="(\d+)"', page)
    assert rows
    for national_id in rows:
        assert _shown(_row(page, national_id)) == _expected_codes(world, stored[national_id])
    client.force_login(world["analyst"])
    page = _english(client).get(f"/analysis/editions/{edition.pk}/").content.decode()
    ranked = [r for r in stored.values() if r.rank is not None]
    complete = sum(1 for r in ranked if not r.missing)
    assert f"{complete} of the {len(ranked)} ranked enterprises reported every indicator." in page
    counts = dict(
        re.findall(r'<tr data-code="([a-z0-9_]+)"><td>.*?</td><td class="n">(\d+)</td>', page)
    )
    assert counts == {
        code: str(n)
        for code in world["method"].indicator_codes
        if (n := sum(code in r.missing for r in ranked))
    }


# --- API -------------------------------------------------------------------------------


def test_the_api_returns_coverage_with_every_rank(world, client, db):
    edition, legacy, gappy = world["edition"], world["legacy"], world["gappy"]
    national_id = gappy.enterprise.national_id
    reported, total, blank = _expected(world, gappy)
    codes = [i.code for i in blank]
    item = client.get(f"/api/editions/{edition.pk}/results?q={national_id}").json()["items"][0]
    assert (item["coverage"], item["reported"], item["indicators"], item["missing"]) == (
        gappy.coverage,
        reported,
        total,
        codes,
    )
    assert item["coverage"] == pytest.approx(reported / total)
    assert item["composite"] == gappy.composite
    items = client.get(f"/api/editions/{edition.pk}/results?limit=500").json()["items"]
    engine = world["engine"].coverage
    for item in items:
        expected = engine.loc[item["national_id"]]
        assert item["coverage"] == expected["coverage"] and item["reported"] == expected["reported"]
        assert item["missing"] == ([c for c in expected["missing"].split(",") if c])
    old = client.get(f"/api/editions/{legacy.pk}/results?q={national_id}").json()["items"][0]
    assert (
        old["coverage"],
        old["reported"],
        old["indicators"],
        old["missing"],
        old["composite"],
    ) == (None, None, total, None, None)
    detail = client.get(f"/api/editions/{edition.pk}").json()
    assert detail["indicators"] == total
    assert detail["blank_rule_en"] == "A blank is scored below every figure reported in its sector."
    assert detail["blank_rule_fa"].startswith("هر شاخص خالی")
    rankings = {
        r["edition_id"]: r for r in client.get(f"/api/enterprises/{national_id}").json()["rankings"]
    }
    assert (rankings[edition.pk]["reported"], rankings[edition.pk]["missing"]) == (reported, codes)
    assert rankings[legacy.pk]["coverage"] is None and rankings[legacy.pk]["indicators"] == total
    league = client.get(
        f"/api/editions/{edition.pk}/league?indicator=export_share&limit=500"
    ).json()["items"]
    assert league
    for row in league:
        expected = engine.loc[row["national_id"]]
        assert (row["coverage"], row["reported"], row["indicators"]) == (
            expected["coverage"],
            expected["reported"],
            total,
        )
        assert row["missing"] == [c for c in expected["missing"].split(",") if c]
        assert "export_share" not in row["missing"]  # ranked on it: it reported it


def test_the_schema_documents_coverage(client, db):
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    for name in ("ResultOut", "LeagueRowOut", "EnterpriseRankingOut"):
        fields = schemas[name]["properties"]
        assert {"coverage", "reported", "indicators", "missing"} <= fields.keys()
        assert "before any imputation" in fields["coverage"]["description"]
    assert "blank_rule_en" in schemas["EditionDetailOut"]["properties"]
