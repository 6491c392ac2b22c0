"""The published rankings, scorecards and dashboards (issue 6, items 1–4 and 8).

One demo population and two published editions (1402, then 1403) serve every test of
the module: they are written once inside a transaction that is rolled back at the end,
and each test runs in its own savepoint on top. A distinctive sales figure is planted in
one enterprise's 1403 return; the role matrix checks that it appears only where DESIGN
§5 allows confidential figures, and that every page answers each role as it should.
"""

from __future__ import annotations

import io
import re
from importlib.resources import files

import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count

from rasad.demo import generate
from rasad.index.methodology import loads
from rasad.iran.text import to_latin_digits, to_persian_digits
from rasad.platform.accounts.models import Role, User
from rasad.platform.demo_data import load_demo
from rasad.platform.public import data, estates
from rasad.platform.public import peers as public_peers
from rasad.platform.rankings.bundled import bundled_spec
from rasad.platform.rankings.models import Edition, EditionResult, Methodology
from rasad.platform.rankings.services import compute_edition, publish_edition
from rasad.platform.registry.models import Enterprise, IndustrialEstate
from rasad.platform.returns.models import Period, Return
from rasad.platform.returns.services import record_return

SME100 = (files("rasad.methodologies") / "sme100.yaml").read_text(encoding="utf-8")
RUNS = 30
PLANTED_SALES = 987_654.0  # million rials: a figure that appears nowhere else
PLANTED = ("987,654", "987654", "۹۸۷٬۶۵۴", "۹۸۷۶۵۴", "۹۸۷,۶۵۴")
ROLES = ("anonymous", "public", "enterprise", "estate_manager", "analyst", "admin")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, module_data):
    with module_data(django_db_blocker):
        load_demo(generate(n_enterprises=300, seed=7))
        analyst = User.objects.create_user("t-analyst", password="x", role=Role.ANALYST)
        admin = User.objects.create_user(
            "t-admin", password="x", role=Role.PUBLIC, is_superuser=True, is_staff=True
        )
        public = User.objects.create_user("t-public", password="x", role=Role.PUBLIC)
        # the enterprise user's firm (E1) and an estate (of another firm, E2) without E1
        in_estates = Enterprise.objects.filter(estate__isnull=False)
        returns_1403 = Return.objects.filter(period__year=1403, current_version__isnull=False)
        # a small or medium firm (ranked), with a return the year before too (movement)
        both_years = returns_1403.filter(enterprise__returns__period__year=1402)
        own = next(
            firm
            for firm in in_estates.filter(pk__in=both_years.values("enterprise_id")).order_by(
                "national_id"
            )
            if 10
            <= (firm.returns.get(period__year=1403).current_version.values().get("employees") or 0)
            <= 150
        )
        estate = (
            IndustrialEstate.objects.exclude(pk=own.estate_id)
            .annotate(n=Count("enterprises"))
            .order_by("-n", "code")
            .first()
        )
        other = (
            estate.enterprises.filter(pk__in=returns_1403.values("enterprise_id"))
            .order_by("national_id")
            .first()
        )
        enterprise_user = User.objects.create_user(
            "t-enterprise", password="x", role=Role.ENTERPRISE, enterprise=own
        )
        manager = User.objects.create_user("t-estate", password="x", role=Role.ESTATE_MANAGER)
        manager.estates.set([estate])
        # plant a distinctive confidential figure in E1's 1403 return
        period_1403 = Period.objects.get(year=1403, quarter__isnull=True)
        record = Return.objects.get(enterprise=own, period=period_1403)
        values = record.current_version.values()
        values["sales"] = PLANTED_SALES
        values["exports"] = min(values.get("exports") or 0.0, PLANTED_SALES)
        record_return(own, period_1403, values, user=analyst, note="planted for the role matrix")

        methodology = Methodology.objects.create(
            text=SME100, name_fa="رتبه‌بندی", name_en="SME-100", version="1403.1"
        )
        editions = {}
        for year in (1402, 1403):
            edition = Edition.objects.create(
                name_fa=f"۱۰۰ برتر {to_persian_digits(str(year))}",
                name_en=f"Top 100 {year}",
                period=Period.objects.get(year=year, quarter__isnull=True),
                methodology=methodology,
            )
            compute_edition(edition, spec_text=bundled_spec(), runs=RUNS, seed=3, top_k=100)
            editions[year] = publish_edition(edition, analyst)
        assert EditionResult.objects.get(edition=editions[1403], enterprise=own).rank is not None
        draft = Edition.objects.create(
            name_fa="پیش‌نویس", name_en="Draft", period=period_1403, methodology=methodology
        )
        users = {
            "anonymous": None,
            "public": public,
            "enterprise": enterprise_user,
            "estate_manager": manager,
            "analyst": analyst,
            "admin": admin,
        }
        yield {
            "users": users,
            "own": own,
            "other": other,
            "estate": estate,
            "latest": editions[1403],
            "previous": editions[1402],
            "draft": draft,
        }


def client_for(client, world, role):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    return client


def pages(world) -> dict[str, str]:
    latest, own, other = world["latest"], world["own"], world["other"]
    return {
        "home": "/",
        "top100": "/top100/",
        "editions": "/editions/",
        "edition": f"/editions/{latest.pk}/",
        "edition_all": f"/editions/{latest.pk}/?scope=all&page=2",
        "previous": f"/editions/{world['previous'].pk}/",
        "league": f"/editions/{latest.pk}/league/",
        "league_other": f"/editions/{latest.pk}/league/?indicator=export_share&band=medium",
        "methodology": f"/editions/{latest.pk}/methodology/",
        "methodology_file": f"/editions/{latest.pk}/methodology.yaml",
        "top100_xlsx": f"/editions/{latest.pk}/data/top100.xlsx",
        "top100_csv": f"/editions/{latest.pk}/data/top100.csv",
        "top100_dictionary": f"/editions/{latest.pk}/data/top100-dictionary.csv",
        "league_xlsx": f"/editions/{latest.pk}/data/league.xlsx",
        "league_csv": f"/editions/{latest.pk}/data/league.csv",
        "draft_top100": f"/editions/{world['draft'].pk}/data/top100.csv",
        "draft": f"/editions/{world['draft'].pk}/",
        "scorecard_own": f"/enterprises/{own.national_id}/",
        "scorecard_other": f"/enterprises/{other.national_id}/",
        "estates": "/estates/",
        "estates_excel": "/estates/export.xlsx",
        "dashboard": "/dashboard/",
    }


PUBLIC_PAGES = (
    "home",
    "top100",
    "editions",
    "edition",
    "edition_all",
    "previous",
    "league",
    "league_other",
    "methodology",
    "methodology_file",
    "top100_xlsx",
    "top100_csv",
    "top100_dictionary",
    "league_xlsx",
    "league_csv",
)
LOGIN = 302
EXPECTED = {
    # page: status for anonymous, public, enterprise (E1), estate manager (E2's estate), analyst,
    # admin
    **{page: (200,) * 6 for page in PUBLIC_PAGES},
    "draft": (404,) * 6,
    "scorecard_own": (LOGIN, 404, 200, 404, 200, 200),
    "scorecard_other": (LOGIN, 404, 404, 200, 200, 200),
    "estates": (LOGIN, 403, 403, 200, 200, 200),
    "estates_excel": (LOGIN, 403, 403, 200, 200, 200),
    "draft_top100": (404,) * 6,  # a draft's data is no download
    "dashboard": (LOGIN, 403, 403, 403, 200, 200),
}
# which pages may show E1's planted sales figure, per role
SHOWS_PLANTED = {
    ("scorecard_own", "enterprise"),
    ("scorecard_own", "analyst"),
    ("scorecard_own", "admin"),
}


def body(response) -> str:
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.content))
        return "\n".join(
            str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
        )
    return response.content.decode()


# --- the role matrix ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix_status_codes_and_confidential_figures(world, client, db, role):
    client = client_for(client, world, role)
    index = ROLES.index(role)
    for name, url in pages(world).items():
        response = client.get(url)
        assert response.status_code == EXPECTED[name][index], (role, name, url)
        if response.status_code == LOGIN:
            assert response["Location"].startswith("/accounts/login/")
            continue
        text = body(response)
        planted = [p for p in PLANTED if p in text]
        if (name, role) in SHOWS_PLANTED:
            assert planted, (role, name)  # the test can see the figure where it belongs…
        else:
            assert not planted, (role, name, planted)  # …and nowhere else


def test_the_planted_figure_is_where_the_scorecard_says(world, client, db):
    client = client_for(client, world, "enterprise")
    page = client.get(pages(world)["scorecard_own"]).content.decode()
    assert 'data-code="sales">۹۸۷٬۶۵۴<' in page


@pytest.mark.parametrize("role", ("public", "enterprise", "estate_manager"))
def test_guessed_scorecards_of_other_scopes_are_not_found(world, client, db, role):
    client = client_for(client, world, role)
    user = world["users"][role]
    visible = set(Enterprise.objects.confidential_to(user).values_list("national_id", flat=True))
    outside = Enterprise.objects.exclude(national_id__in=visible).order_by("?")[:15]
    for firm in outside:
        assert client.get(f"/enterprises/{firm.national_id}/").status_code == 404
        # Persian digits reach the same enterprise, and are refused the same way
        assert client.get(f"/enterprises/{to_persian_digits(firm.national_id)}/").status_code == 404


def test_an_enterprise_reaches_its_scorecard_in_persian_digits_too(world, client, db):
    client = client_for(client, world, "enterprise")
    own = world["own"]
    assert client.get(f"/enterprises/{to_persian_digits(own.national_id)}/").status_code == 200
    response = client.get("/enterprises/")
    assert (
        response.status_code == 302 and response["Location"] == f"/enterprises/{own.national_id}/"
    )


def test_the_navigation_offers_each_role_its_pages(world, client, db):
    expected = {
        "anonymous": set(),
        "public": set(),
        "enterprise": {"/enterprises/"},
        "estate_manager": {"/estates/"},
        "analyst": {"/estates/", "/dashboard/"},
        "admin": {"/estates/", "/dashboard/"},
    }
    for role in ROLES:
        client.logout()
        page = client_for(client, world, role).get("/top100/").content.decode()
        nav = page[page.index("<nav ") : page.index("</nav>")]  # the header's, labelled
        offered = {link for link in ("/estates/", "/dashboard/") if f'href="{link}"' in nav}
        if f'href="/enterprises/{world["own"].national_id}/"' in nav:
            offered.add("/enterprises/")
        assert offered == expected[role], role
        assert 'href="/top100/"' in nav


# --- the Top-100 -------------------------------------------------------------------------

ROW = re.compile(r'<tr data-national-id="(\d{11})" data-rank="(\d+)"[^>]*>(.*?)</tr>', re.S)


def latin_number(text: str) -> float:
    return float(to_latin_digits(text).replace("٬", "").replace("٫", ".").replace(",", "").strip())


def rows_of(client, url) -> list[tuple[str, int, float]]:
    """Every row of every page: national ID, rank, score as shown."""
    out, page_number = [], 1
    while True:
        separator = "&" if "?" in url else "?"
        response = client.get(f"{url}{separator}page={page_number}")
        assert response.status_code == 200, url
        page = response.content.decode()
        for national_id, rank, cells in ROW.findall(page):
            score = re.search(r'<td class="n score">([^<]*)</td>', cells).group(1)
            out.append((national_id, int(rank), latin_number(score)))
        if 'rel="next"' not in page:
            return out
        page_number += 1


def test_top100_rows_are_the_stored_results(world, client, db):
    latest = world["latest"]
    shown = rows_of(client, "/top100/")
    stored = list(
        EditionResult.objects.filter(edition=latest, rank__lte=latest.top_k)
        .order_by("rank", "enterprise__national_id")
        .values_list("enterprise__national_id", "rank", "score")
    )
    assert len(shown) == len(stored) >= 100
    for (nid, rank, score), (s_nid, s_rank, s_score) in zip(shown, stored, strict=True):
        assert (nid, rank) == (s_nid, s_rank)
        assert score == round(s_score, 1)
    # the full ranking is everyone ranked, in order
    everyone = rows_of(client, f"/editions/{latest.pk}/?scope=all")
    assert [r[0] for r in everyone] == list(
        EditionResult.objects.filter(edition=latest, rank__isnull=False)
        .order_by("rank", "enterprise__national_id")
        .values_list("enterprise__national_id", flat=True)
    )


def test_top100_shows_intervals_p_top_and_movement(world, client, db):
    latest, previous = world["latest"], world["previous"]
    page = client.get("/top100/").content.decode()
    first = (
        EditionResult.objects.filter(edition=latest)
        .select_related("enterprise")
        .order_by("rank")
        .first()
    )
    row = dict((nid, cells) for nid, _rank, cells in ROW.findall(page))[
        first.enterprise.national_id
    ]
    low, high = (
        to_persian_digits(f"{first.rank_q05:.0f}"),
        to_persian_digits(f"{first.rank_q95:.0f}"),
    )
    assert f'<span class="ival-text">{low}–{high}</span>' in row
    assert f"{to_persian_digits(str(round(100 * first.p_top)))}٪" in row
    before = dict(
        EditionResult.objects.filter(edition=previous, rank__isnull=False).values_list(
            "enterprise__national_id", "rank"
        )
    )
    for nid, rank, cells in ROW.findall(page):
        if nid not in before:
            assert '<span class="move new">' in cells
        elif before[nid] > int(rank):
            assert f"↑ {to_persian_digits(str(before[nid] - int(rank)))}<" in cells
        elif before[nid] < int(rank):
            assert f"↓ {to_persian_digits(str(int(rank) - before[nid]))}<" in cells
        else:
            assert '<span class="move same">' in cells
    # the earlier edition has no previous one: no movement column at all
    assert "move-cell" not in client.get(f"/editions/{previous.pk}/").content.decode()


def test_the_previous_edition_found_among_the_listed_ones_is_the_queried_one(world, db):
    """The Top-100 finds the previous edition among the published editions it lists,
    without a query: the same edition as the query, for every published edition,
    including a late re-run of an old year (never "previous" to a later year) and two
    editions of one year (the one published first is the earlier)."""
    import datetime

    latest = world["latest"]
    methodology = latest.methodology
    later = latest.published_at + datetime.timedelta(days=30)
    for year, published_at in ((1402, later), (1403, later + datetime.timedelta(days=1))):
        Edition.objects.create(
            name_fa=f"بازنگری {year}",
            name_en=f"re-run {year}",
            methodology=methodology,
            period=Period.objects.get(year=year, quarter__isnull=True),
            status=Edition.Status.PUBLISHED,
            published_at=published_at,
        )
    menu = list(data.newest_first(data.published()))
    assert len(menu) == 4

    def queried(edition):  # the rule as a query: earlier year, or same year published before
        from django.db.models import Q

        earlier = Q(period__year__lt=edition.period.year) | Q(
            period__year=edition.period.year, published_at__lt=edition.published_at
        )
        return data.newest_first(data.published().exclude(pk=edition.pk).filter(earlier)).first()

    found = {e.pk: data.previous_edition(e, menu) for e in menu}
    assert (
        found == {e.pk: queried(e) for e in menu} == {e.pk: data.previous_edition(e) for e in menu}
    )
    assert [found[e.pk] is None for e in menu].count(True) == 1
    newest = menu[0]
    assert newest.period.year == 1403 and found[newest.pk] == latest  # same year, published earlier


def expected_rows(edition, keep) -> list[str]:
    rows = (
        EditionResult.objects.filter(edition=edition, rank__isnull=False)
        .select_related("enterprise__province", "enterprise__isic")
        .order_by("rank", "enterprise__national_id")
    )
    return [r.enterprise.national_id for r in rows if keep(r)]


def test_filters_return_exactly_the_matching_rows(world, client, db):
    latest = world["latest"]
    top = EditionResult.objects.filter(edition=latest, rank__lte=latest.top_k).select_related(
        "enterprise__province", "enterprise__isic"
    )
    province = max(
        {r.enterprise.province.code for r in top},
        key=lambda code: sum(r.enterprise.province.code == code for r in top),
    )
    division = max(
        {r.enterprise.isic.code[:2] for r in top},
        key=lambda code: sum(r.enterprise.isic.code[:2] == code for r in top),
    )
    in_top = lambda r: r.rank <= latest.top_k  # noqa: E731
    cases = [
        (f"?province={province}", lambda r: in_top(r) and r.enterprise.province.code == province),
        (f"?sector={division}", lambda r: in_top(r) and r.enterprise.isic.code[:2] == division),
        ("?size=medium", lambda r: in_top(r) and r.size_class == "medium"),
        (
            f"?scope=all&size=small&province={province}",
            lambda r: r.size_class == "small" and r.enterprise.province.code == province,
        ),
        (
            f"?scope=all&sector={division}&size=medium",
            lambda r: r.enterprise.isic.code[:2] == division and r.size_class == "medium",
        ),
    ]
    for query, keep in cases:
        shown = [nid for nid, _rank, _score in rows_of(client, f"/editions/{latest.pk}/{query}")]
        expected = expected_rows(latest, keep)
        assert shown == expected, query
        assert expected, query  # a filter that matches nothing proves little


def test_search_by_name_and_by_national_id(world, client, db):
    latest = world["latest"]
    target = (
        EditionResult.objects.filter(edition=latest, rank=7)
        .select_related("enterprise")
        .first()
        .enterprise
    )
    word = max(target.name_fa.split(), key=len)
    shown = [nid for nid, _r, _s in rows_of(client, f"/editions/{latest.pk}/?scope=all&q={word}")]
    expected = expected_rows(
        latest, lambda r: word in r.enterprise.name_fa or word in r.enterprise.name_en
    )
    assert target.national_id in shown and shown == expected
    prefix = to_persian_digits(target.national_id[:8])
    shown = [nid for nid, _r, _s in rows_of(client, f"/editions/{latest.pk}/?scope=all&q={prefix}")]
    assert shown == expected_rows(
        latest, lambda r: r.enterprise.national_id.startswith(target.national_id[:8])
    )


@pytest.mark.parametrize(
    "query",
    [
        "?province=99",
        "?sector=ab",
        "?size=huge",
        "?scope=everything",
        "?q=" + "x" * 101,
        "?province=" + "1" * 300,
    ],
)
def test_unknown_filters_are_refused_in_the_readers_language(world, client, db, query):
    response = client.get(f"/editions/{world['latest'].pk}/{query}")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="bad-filters"' in page and 'lang="fa"' in page and "Traceback" not in page


@pytest.mark.parametrize(
    "url, status",
    [
        ("/editions/99999999999999999999999/", 404),
        ("/editions/0/league/", 404),
        ("/dashboard/?edition=99999999999999999999", 404),
        ("/dashboard/?edition=²", 400),
        ("/dashboard/?edition=abc", 400),
        ("/estates/?edition=99999999999999999999", 404),
        ("/estates/?edition=x", 400),
        ("/estates/?q=" + "x" * 300, 400),
    ],
)
def test_bad_ids_and_parameters_are_answered_not_crashed(world, client, db, url, status):
    response = client_for(client, world, "analyst").get(url)
    assert response.status_code == status


def test_pages_are_read_only(world, client, db):
    client = client_for(client, world, "analyst")
    for url in ("/top100/", f"/editions/{world['latest'].pk}/league/", "/estates/", "/dashboard/"):
        assert client.post(url).status_code in (403, 405)


def test_pagination_pages_through_the_full_ranking(world, client, db):
    latest = world["latest"]
    ranked = EditionResult.objects.filter(edition=latest, rank__isnull=False).count()
    shown = rows_of(client, f"/editions/{latest.pk}/?scope=all")
    assert len(shown) == ranked and len({r[0] for r in shown}) == ranked
    assert client.get(f"/editions/{latest.pk}/?page=9999").status_code == 200  # the last page


# --- league tables ---------------------------------------------------------------------------


LEAGUE_ROW = re.compile(
    r'<tr data-national-id="(\d{11})"><td class="n"><strong>([^<]+)</strong>(.*?)</tr>', re.S
)


@pytest.mark.parametrize("role", ROLES)
def test_league_values_only_for_the_readers_scope(world, client, db, role):
    from rasad.platform.rankings.league import edition_league

    client = client_for(client, world, role)
    latest = world["latest"]
    _method, table = edition_league(latest, by="size_class", top=latest.top_k)
    user = world["users"][role] or AnonymousUser()
    scope = set(Enterprise.objects.confidential_to(user).values_list("national_id", flat=True))
    for indicator, band in (("labour_productivity", "small"), ("export_share", "medium")):
        page = client.get(
            f"/editions/{latest.pk}/league/?indicator={indicator}&band={band}"
        ).content.decode()
        rows = LEAGUE_ROW.findall(page)
        expected = table[(table["indicator"] == indicator) & (table["size_class"] == band)]
        assert [(nid, int(latin_number(rank))) for nid, rank, _ in rows] == list(
            zip(expected["national_id"], expected["rank"].astype(int), strict=True)
        )
        for nid, _rank, cells in rows:
            assert ('<span class="value">' in cells) == (nid in scope), (role, nid)
        if role in ("analyst", "admin"):
            value = float(expected["value"].iloc[0])
            shown = re.search(r'<span class="value">([^<]+)</span>', rows[0][2]).group(1)
            shown_value = latin_number(shown.rstrip("٪%"))
            expected_value = 100 * value if indicator == "export_share" else value
            decimals = 1 if indicator == "export_share" else 2 if abs(value) < 100 else 0
            assert shown_value == pytest.approx(expected_value, abs=0.5 * 10**-decimals + 1e-9)


def test_league_refuses_unknown_indicators(world, client, db):
    assert client.get(f"/editions/{world['latest'].pk}/league/?indicator=nope").status_code == 400
    assert client.get(f"/editions/{world['latest'].pk}/league/?band=giant").status_code == 400


# --- methodology -----------------------------------------------------------------------------


def test_methodology_page_is_the_stored_methodology(world, client, db):
    latest = world["latest"]
    method = loads(latest.methodology.text)
    page = client.get(f"/editions/{latest.pk}/methodology/").content.decode()
    listed = re.findall(
        r'data-indicator="([^"]+)" data-weight="([^"]+)" data-effective="([^"]+)"', page
    )
    effective = method.effective_weights()
    assert [code for code, _, _ in listed] == [
        c for n in method.root.children for c in method.node(n).children
    ]
    assert sorted(code for code, _, _ in listed) == sorted(method.indicator_codes)
    weights = {i.code: i.weight for i in method.indicators}
    for code, weight, eff in listed:
        assert float(weight) == weights[code] and float(eff) == effective[code]
    assert f'<span class="hash" id="sha256">{latest.methodology_sha256}</span>' in page
    assert 'id="verified"' in page
    for pillar in method.root.children:
        assert f'data-pillar="{pillar}"' in page and method.node(pillar).name.fa in page
    for step in ("impute", "screen", "treat", "normalise", "weights", "aggregate", "rescale"):
        assert f'data-step="{step}"' in page
    # version 2 in words: percentiles, small sectors together, the index as a standing
    client.cookies["django_language"] = "en"
    english = client.get(f"/editions/{latest.pk}/methodology/").content.decode()
    for words in (
        "percentiles within the reference group",
        "are compared together, as one group",
        "Standing within the group",
        "scored below every figure reported in its sector",
    ):
        assert words in english
    assert "compared with everyone" not in english
    assert "صدک درون گروه مرجع" in page and "با هم، در یک گروه، سنجیده می‌شوند" in page
    raw = client.get(f"/editions/{latest.pk}/methodology.yaml")
    assert raw.content.decode() == latest.methodology.text


# --- scorecard -------------------------------------------------------------------------------


def test_peer_quartiles_are_numpys_on_the_same_results(world, client, db):
    latest = world["latest"]
    # the enterprise with the largest ISIC division × size band group
    results = list(
        EditionResult.objects.filter(edition=latest, rank__isnull=False).select_related(
            "enterprise__isic"
        )
    )
    groups = {}
    for r in results:
        groups.setdefault((r.enterprise.isic.code[:2], r.size_class), []).append(r)
    members = max(groups.values(), key=len)
    assert len(members) >= public_peers.MIN_PEERS
    target = members[0]
    method = loads(latest.methodology.text)
    pillars = list(method.root.children)
    page = (
        client_for(client, world, "analyst")
        .get(f"/enterprises/{target.enterprise.national_id}/")
        .content.decode()
    )
    assert f'data-peer-level="sector_size" data-peers="{len(members)}"' in page
    for code in pillars:
        values = np.array(
            [m.node_scores[code] for m in members if m.node_scores.get(code) is not None]
        )
        q25, q50, q75 = np.percentile(values, [25, 50, 75])
        row = re.search(rf'<tr data-pillar="{code}">(.*?)</tr>', page, re.S).group(1)
        median = re.search(r'class="n peer-median">([^<]+)<', row).group(1)
        quartiles = re.search(r'class="n peer-quartiles">([^<]+)<', row).group(1)
        assert latin_number(median) == round(q50, 1)
        low, high = (latin_number(x) for x in quartiles.split("–"))
        assert (low, high) == (round(q25, 1), round(q75, 1))
        # and exactly, unrounded, in the data layer
        stats = public_peers.peers(latest, target, pillars).stats[code]
        assert (stats["q25"], stats["median"], stats["q75"]) == (q25, q50, q75)


def test_scorecard_shows_history_strengths_and_returns(world, client, db):
    own = world["own"]
    page = (
        client_for(client, world, "enterprise")
        .get(f"/enterprises/{own.national_id}/")
        .content.decode()
    )
    for edition in (world["latest"], world["previous"]):
        result = EditionResult.objects.filter(edition=edition, enterprise=own).first()
        if result is not None and result.rank:
            assert f'data-edition="{edition.pk}"' in page
            assert to_persian_digits(str(result.rank)) in page
    assert 'id="strongest"' in page and 'id="weakest"' in page
    for period in Period.objects.all():
        assert f'data-period="{period.code}"' in page
    assert f'href="/returns/{own.national_id}/1403/"' in page


def test_strongest_and_weakest_are_the_largest_gaps_to_the_peer_median(world, client, db):
    latest, own = world["latest"], world["own"]
    result = EditionResult.objects.select_related("enterprise__isic").get(
        edition=latest, enterprise=own
    )
    method = loads(latest.methodology.text)
    peers = public_peers.peers(latest, result, list(method.root.children))
    gaps = {
        c: result.node_scores[c] - peers.stats[c]["median"]
        for c in method.root.children
        if result.node_scores.get(c) is not None
    }
    page = (
        client_for(client, world, "enterprise")
        .get(f"/enterprises/{own.national_id}/")
        .content.decode()
    )
    strongest = re.search(r'id="strongest">.*?<p class="big">([^<]+)</p>', page, re.S).group(1)
    weakest = re.search(r'id="weakest">.*?<p class="big">([^<]+)</p>', page, re.S).group(1)
    assert strongest == method.node(max(gaps, key=gaps.get)).name.fa
    assert weakest == method.node(min(gaps, key=gaps.get)).name.fa


# --- estate dashboard -------------------------------------------------------------------------


DASH_ROW = re.compile(r'<tr data-national-id="(\d{11})">')


def dashboard_ids(client, query="") -> list[str]:
    out, number = [], 1
    while True:
        page = client.get(f"/estates/?{query}&page={number}").content.decode()
        out += DASH_ROW.findall(page)
        if 'rel="next"' not in page:
            return out
        number += 1


def test_estate_manager_sees_exactly_their_estates(world, client, db):
    client = client_for(client, world, "estate_manager")
    estate = world["estate"]
    shown = dashboard_ids(client)
    assert sorted(shown) == sorted(estate.enterprises.values_list("national_id", flat=True))
    other = IndustrialEstate.objects.exclude(pk=estate.pk).filter(enterprises__isnull=False).first()
    assert client.get(f"/estates/?estate={other.code}").status_code == 404
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get("/estates/export.xlsx").content))
    ids = [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert sorted(ids) == sorted(shown)
    assert client.get(f"/estates/export.xlsx?estate={other.code}").status_code == 404


def test_analysts_see_every_estate_and_filter_one(world, client, db):
    client = client_for(client, world, "analyst")
    assert len(dashboard_ids(client)) == Enterprise.objects.filter(estate__isnull=False).count()
    estate = world["estate"]
    assert sorted(dashboard_ids(client, f"estate={estate.code}")) == sorted(
        estate.enterprises.values_list("national_id", flat=True)
    )


def test_estate_dashboard_sorts_and_counts_missing_returns(world, client, db):
    client = client_for(client, world, "analyst")
    latest = world["latest"]
    scores = dict(
        EditionResult.objects.filter(edition=latest).values_list("enterprise__national_id", "score")
    )
    ids = dashboard_ids(client, "sort=score&dir=desc")
    ranked = [scores[i] for i in ids if scores.get(i) is not None]
    assert ranked == sorted(ranked, reverse=True)
    assert all(scores.get(i) is None for i in ids[len(ranked) :])  # unranked last
    # missing returns: the due yearly periods (since founding) without a current version
    due = estates.due_periods()
    firm = Enterprise.objects.filter(estate__isnull=False).order_by("national_id").first()
    applicable = [p for p in due if not firm.founding_year or firm.founding_year <= p.year]
    sent = Return.objects.filter(
        enterprise=firm, period__in=applicable, current_version__isnull=False
    ).count()
    annotated = estates.with_edition_and_returns(
        Enterprise.objects.filter(pk=firm.pk), latest, [], due
    ).get()
    assert annotated.missing == len(applicable) - sent
    assert client.get("/estates/?sort=nonsense").status_code == 400
    assert client.get("/estates/?dir=sideways").status_code == 400


def test_estate_dashboard_pillars_are_the_stored_pillar_scores(world, client, db):
    latest = world["latest"]
    codes = list(loads(latest.methodology.text).root.children)
    firms = estates.with_edition_and_returns(
        Enterprise.objects.filter(estate__isnull=False), latest, codes, estates.due_periods()
    )
    stored = dict(
        EditionResult.objects.filter(edition=latest).values_list("enterprise_id", "node_scores")
    )
    checked = 0
    for firm in firms:
        for code in codes:
            expected = (stored.get(firm.pk) or {}).get(code)
            shown = getattr(firm, f"pillar_{code}")
            assert (shown is None) if expected is None else shown == pytest.approx(expected), (
                firm.pk,
                code,
            )
            checked += expected is not None
    assert checked > 100
    by_id = dict(
        EditionResult.objects.filter(edition=latest).values_list(
            "enterprise__national_id", "node_scores"
        )
    )
    ids = dashboard_ids(client_for(client, world, "analyst"), "sort=pillar_growth&dir=desc")
    values = [(by_id.get(i) or {}).get("growth") for i in ids]
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse=True) and values[: len(present)] == present


# --- national dashboard -----------------------------------------------------------------------


def test_national_dashboard_counts_equal_the_results(world, client, db):
    latest = world["latest"]
    page = client_for(client, world, "analyst").get("/dashboard/").content.decode()
    counts = (
        EditionResult.objects.filter(edition=latest, rank__isnull=False)
        .values("enterprise__province_id", "enterprise__province__name_fa")
        .annotate(n=Count("id"))
    )
    section = page[page.index('id="by-province"') : page.index('id="by-sector"')]
    for row in counts:
        match = re.search(
            rf'<tr data-key="{row["enterprise__province_id"]}"><td class="nowrap">[^<]*</td>'
            r'<td class="n">([^<]+)</td>',
            section,
        )
        assert match and latin_number(match.group(1)) == row["n"]
    for edition in (world["previous"], latest):
        assert f'<tr data-edition="{edition.pk}">' in page
    assert "<polyline" in page  # two editions: a trend chart


# --- home, language, no internet ---------------------------------------------------------------


def test_home_shows_the_latest_edition(world, client, db):
    page = client.get("/").content.decode()
    latest = world["latest"]
    assert 'id="latest-edition"' in page and latest.name_fa in page
    first = (
        EditionResult.objects.filter(edition=latest, rank=1).select_related("enterprise").first()
    )
    assert first.enterprise.name_fa in page


def test_pages_switch_to_english(world, client, db):
    client = client_for(client, world, "analyst")
    client.cookies["django_language"] = "en"
    for name, url in pages(world).items():
        if name in ("methodology_file", "estates_excel", "draft") or "/data/" in url:
            continue
        page = client.get(url).content.decode()
        assert '<html lang="en" dir="ltr">' in page, name
        assert not re.search(
            "[۰-۹]",
            re.sub(r"<[^>]+>", "", page.split("<main>")[1])
            .replace(world["latest"].name_fa, "")
            .replace(world["previous"].name_fa, ""),
        ), name


def test_persian_pages_have_no_untranslated_headings(world, client, db):
    client = client_for(client, world, "analyst")
    for name in ("edition", "league", "methodology", "scorecard_own", "estates", "dashboard"):
        page = client.get(pages(world)[name]).content.decode()
        for heading in re.findall(r"<h[12][^>]*>(.*?)</h[12]>", page, re.S):
            text = re.sub(r"<[^>]+>", "", heading)
            assert not re.search(r"\b(the|of|and|by|Top|Scores|Pillar)\b", text), (name, text)


def test_pages_load_nothing_from_the_internet(world, client, db):
    client = client_for(client, world, "admin")
    for name, url in pages(world).items():
        if name in ("methodology_file", "estates_excel", "draft") or "/data/" in url:
            continue
        page = client.get(url).content.decode()
        assert not re.search(r'(src|href)="(https?:)?//', page), name
    assert client.get("/static/public/public.css").status_code == 200
