"""The cluster pages (issue 8, item 5): the list, a cluster's profile, a province's
specialisation and the map.

One demo population (with a published edition) serves every test, written once inside
a transaction rolled back at the end. The pages are checked against ``rasad.clusters``
run on the same data, read independently from the database frames.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from django.test import Client

from rasad.clusters import cluster_profiles, cluster_stars, firm_figures, location_quotients
from rasad.demo import generate
from rasad.iran.text import format_number
from rasad.platform.accounts.models import Role, User
from rasad.platform.clusters_web import compute
from rasad.platform.demo_data import load_demo
from rasad.platform.frames import clusters_frames, current_returns, enterprises_frame
from rasad.platform.rankings.models import Edition, EditionResult, Methodology
from rasad.platform.rankings.services import compute_edition, publish_edition
from rasad.platform.registry.models import Enterprise
from rasad.platform.returns.models import Period

ROLES = ("anonymous", "public", "enterprise", "estate_manager", "analyst", "admin")
MAP = Path(compute.__file__).parent / "static" / "clusters_web" / "provinces.json"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, module_data):
    from importlib.resources import files

    compute.clear()
    with module_data(django_db_blocker):
        try:
            load_demo(generate(n_enterprises=1500, seed=7))
            analyst = User.objects.create_user("c-analyst", password="x", role=Role.ANALYST)
            users = {
                "anonymous": None,
                "public": User.objects.create_user("c-public", password="x", role=Role.PUBLIC),
                "enterprise": User.objects.create_user(
                    "c-enterprise",
                    password="x",
                    role=Role.ENTERPRISE,
                    enterprise=Enterprise.objects.order_by("national_id").first(),
                ),
                "estate_manager": User.objects.create_user(
                    "c-estate", password="x", role=Role.ESTATE_MANAGER
                ),
                "analyst": analyst,
                "admin": User.objects.create_user(
                    "c-admin", password="x", role=Role.PUBLIC, is_superuser=True, is_staff=True
                ),
            }
            methodology = Methodology.objects.create(
                text=(files("rasad.methodologies") / "sme100.yaml").read_text(encoding="utf-8"),
                name_fa="رتبه‌بندی",
                name_en="SME-100",
                version="1403.1",
            )
            year = max(Period.objects.filter(quarter__isnull=True).values_list("year", flat=True))
            edition = Edition.objects.create(
                name_fa="۱۰۰ برتر",
                name_en="Top 100",
                methodology=methodology,
                period=Period.objects.get(year=year, quarter__isnull=True),
            )
            compute_edition(edition)
            edition = publish_edition(edition, analyst)
            # the core on the same data, read independently of the app's cache
            returns, _ = current_returns()
            returns = (
                returns[returns["quarter"].isna()].drop(columns="quarter").reset_index(drop=True)
            )
            enterprises = enterprises_frame()
            clusters, members = clusters_frames()
            scores = pd.DataFrame(
                list(
                    EditionResult.objects.filter(edition=edition, score__isnull=False).values_list(
                        "enterprise__national_id", "score", "rank"
                    )
                ),
                columns=["national_id", "score", "rank"],
            ).astype({"rank": float})
            firms = firm_figures(enterprises, returns)
            stars = cluster_stars(
                location_quotients(firms, measure="employees", level="division", region="province"),
                min_enterprises=10,
            )
            profiles = cluster_profiles(
                enterprises, returns, members, clusters=clusters, scores=scores
            )
            yield {
                "users": users,
                "stars": stars,
                "profiles": profiles,
                "clusters": clusters,
                "firms": firms,
                "returns": returns,
            }
        finally:
            compute.clear()


def login(client, world, role):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    return client


def urls(world) -> list[str]:
    codes = list(world["clusters"]["code"])
    return [
        "/clusters/",
        "/clusters/?map=krugman",
        "/clusters/?map=stars&sort=lq",
        "/clusters/?sort=employment",
        f"/clusters/{codes[0]}/",
        f"/clusters/{codes[-1]}/",
        "/clusters/provinces/21/",
        "/clusters/provinces/0/",
    ]


@pytest.mark.parametrize("role", ROLES)
def test_pages_open_for_everyone(world, client, db, role):
    client = login(client, world, role)
    for url in urls(world):
        assert client.get(url).status_code == 200, (role, url)
    assert client.get("/clusters/NOPE/").status_code == 404
    assert client.get("/clusters/provinces/31/").status_code == 404
    assert client.get("/clusters/?sort=x").status_code == 400


def test_the_list_is_the_cores_stars_and_lq(world, client, db):
    response = client.get("/clusters/")
    rows = response.context["rows"]
    stars = (
        world["stars"]
        .assign(division=world["stars"]["division"].astype(str))
        .set_index(["province_code", "division"])
    )
    identified = stars[stars["stars"] >= compute.MIN_STARS]
    listed = {(r["province_code"], r["division"]) for r in rows}
    assert set(identified.index) <= listed  # every identified cell is on the list
    assert set(world["clusters"]["code"]) == {r["code"] for r in rows if r["code"]}
    for r in rows:
        cell = stars.loc[(r["province_code"], r["division"])]
        assert r["stars"] == int(cell["stars"])
        assert r["lq"] == pytest.approx(float(cell["lq"]), nan_ok=True)
        assert r["enterprises"] == int(cell["enterprises"])
        if r["employment"] is not None:
            assert r["employment"] == pytest.approx(float(cell["value"]))
        assert r["status"] == (
            "identified_only"
            if not r["code"]
            else "matched"
            if cell["stars"] >= compute.MIN_STARS
            else "designated_only"
        )
    assert {r["status"] for r in rows} == {"matched", "designated_only", "identified_only"}
    assert [r["stars"] for r in rows] == sorted((r["stars"] for r in rows), reverse=True)
    # filters and sorts
    province, division = rows[0]["province_code"], rows[0]["division"]
    chosen = client.get(f"/clusters/?province={province}&sector={division}&sort=lq").context["rows"]
    assert chosen and all(
        r["province_code"] == province and r["division"] == division for r in chosen
    )
    by_lq = client.get("/clusters/?sort=lq").context["rows"]
    assert [r["lq"] or 0 for r in by_lq] == sorted((r["lq"] or 0 for r in by_lq), reverse=True)


def test_a_profile_is_the_cores_summary(world, client, db):
    summary = world["profiles"].summary.set_index("cluster_code")
    checked = 0
    for code in world["clusters"]["code"]:
        response = client.get(f"/clusters/{code}/", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        s = summary.loc[code]
        totals = [value for _, value, _ in response.context["totals"]]
        assert totals[0] == int(s["enterprises"])
        if s["enterprises"] >= 3:
            checked += 1
            for value, key in zip(
                totals[1:], ("employees", "sales", "exports", "exporters"), strict=True
            ):
                assert value == pytest.approx(float(s[key])), (code, key)
            assert response.context["summary"]["mean_score"] == pytest.approx(
                float(s["mean_score"]), nan_ok=True
            )
        else:
            assert totals[1:] == [None] * 4
    assert checked


def test_no_single_enterprises_sales_appear(world, client, db):
    firms = world["firms"]
    returns = world["returns"]
    figures = set(returns["sales"].dropna()) | set(firms["sales"].dropna())
    figures = {f for f in figures if f >= 1000}
    texts = {
        format_number(float(f), decimals=0, persian_digits=p)
        for f in figures
        for p in (True, False)
    }
    pages = (
        urls(world)
        + [f"/clusters/{c}/" for c in world["clusters"]["code"]]
        + [f"/clusters/provinces/{p}/" for p in range(31)]
    )
    for url in set(pages):
        for language in ("fa", "en"):
            html = Client().get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
            html = re.sub(r' d="[^"]*"', "", html)  # the map's outlines are coordinates
            numbers = set(re.findall(r"[0-9۰-۹][0-9۰-۹,٬]*", html))
            assert not numbers & texts, (url, language, sorted(numbers & texts)[:3])


def test_the_province_page_and_the_map(world, client, db):
    response = client.get("/clusters/provinces/21/")
    rows = response.context["rows"]
    cells = world["stars"][(world["stars"]["province_code"] == 21) & (world["stars"]["value"] > 0)]
    assert [r["lq"] for r in rows] == pytest.approx(sorted(cells["lq"], reverse=True)[: len(rows)])
    assert response.context["krugman"] is not None and 0 <= response.context["krugman"] <= 2
    outlines = json.loads(MAP.read_text())
    assert sorted(int(c) for c in outlines["provinces"]) == list(range(31))
    html = client.get("/clusters/?map=krugman").content.decode()
    assert len(re.findall(r'<path d="M', html)) == 31
    assert "https://" not in html.split('id="province-map"')[1].split("</section>")[0]
    shapes = client.get("/clusters/?map=krugman").context["map"]["shapes"]
    assert sum(1 for s in shapes if s["value"] is not None and not math.isnan(s["value"])) >= 20


def test_the_analysis_is_cached_per_data_state(world, db):
    first = compute.analysis()
    assert compute.analysis() is first
    compute.clear()
    again = compute.analysis()
    assert again is not first and again.stars.equals(first.stars)


def test_a_profile_shows_its_members_needs(world, client, db):
    """The needs table of a cluster is the core's needs matrix row for its members."""
    from rasad.monitor import Monitor
    from rasad.platform.frames import clusters_frames, enterprises_frame
    from rasad.platform.monitoring import compute as monitoring

    returns = world["returns"]
    period = int(returns["year"].max())
    clusters, members = clusters_frames()
    result = Monitor().run(returns, enterprises_frame(), as_of=monitoring.as_of(), period=period)
    matrix = result.needs.matrix("cluster", members=members).set_index("cluster_code")
    code = matrix.loc[
        matrix.index.isin(clusters["code"]), "enterprises"
    ].idxmax()  # the largest cluster
    page = client.get(f"/clusters/{code}/").content.decode()
    shown = [int(n) for n in re.findall(r'data-programme-enterprises="(\d+)"', page)]
    assert shown == [
        int(matrix.loc[code, f"{p.code}_enterprises"]) for p in result.needs.mapping.programmes
    ]
    assert sum(shown) > 0


def test_a_map_of_a_few_counts_has_one_legend_entry_per_count():
    from rasad.platform.clusters_web.maps import PALETTE, province_map

    drawn = province_map({0: 0.0, 1: 1.0, 2: 2.0, 3: 2.0, 4: None}, "clusters")
    assert [(entry["low"], entry["high"]) for entry in drawn["legend"]] == [
        (0, None),
        (1, None),
        (2, None),
    ]
    fill = {shape["code"]: shape["fill"] for shape in drawn["shapes"]}
    assert (
        fill[0] == PALETTE[0]
        and fill[2] == fill[3] == PALETTE[-1]
        and fill[1] not in (fill[0], fill[2])
    )
    assert fill[4] == "#eeeeee"
    shares = province_map({0: 0.1, 1: 0.7}, "Krugman", decimals=2)["legend"]
    assert (
        len(shares) == len(PALETTE)
        and shares[0]["low"] == 0.1
        and shares[-1]["high"] == pytest.approx(0.7)
    )


def _in(client, language: str):
    client.cookies["django_language"] = language
    return client


def _pc(share: float) -> str:
    """A share as the English page writes it (the ``percent:1`` filter)."""
    return format_number(100 * share, decimals=1, persian_digits=False)


def _carried_by_hand(world, max_age: int) -> pd.DataFrame:
    """Employment per province × division cell and the part carried forward, from each
    firm's latest non-blank figure of year − max_age … year: plain pandas on the returns."""
    returns, firms = world["returns"], world["firms"]
    year = int(returns["year"].max())
    window = returns[(returns["year"] <= year) & (returns["year"] >= year - max_age)].dropna(
        subset=["employees"]
    )
    latest = window.sort_values("year").groupby("national_id")[["year", "employees"]].last()
    cells = firms[["national_id", "province_code", "isic_class"]].merge(
        latest, left_on="national_id", right_index=True
    )
    cells["division"] = cells["isic_class"].astype(str).str.zfill(4).str[:2]
    cells["carried"] = cells["employees"].where(cells["year"] < year, 0.0)
    return cells.groupby(["province_code", "division"])[["employees", "carried"]].sum()


def test_the_list_shows_the_share_of_each_cell_carried_forward(world, client, db):
    by_hand = _carried_by_hand(world, 1)
    response = _in(client, "en").get("/clusters/")
    html = response.content.decode()
    shown = 0
    for r in response.context["rows"]:
        key = (r["province_code"], r["division"])
        if r["enterprises"] < 3 or key not in by_hand.index or not by_hand.loc[key, "employees"]:
            assert r["carried_share"] is None
            continue
        employees, carried = by_hand.loc[key]
        assert r["employment"] == employees
        assert r["carried_share"] == pytest.approx(carried / employees)
        shown += carried > 0
        cell = f'data-carried="{r["carried_share"]}">{_pc(r["carried_share"])}%</td>'
        assert cell in html
    assert shown  # some listed cells do carry last year's figures
    # 1 of the 1,500 firms' latest employment is from 1401, older than the limit
    assert "Only returns of 1402 or later are carried" in html
    assert "Enterprises left out because their latest figure is older than 1402: 1." in html
    fa = _in(client, "fa").get("/clusters/").content.decode()
    row = next(r for r in response.context["rows"] if r["carried_share"])
    assert f"{format_number(100 * row['carried_share'], decimals=1, persian_digits=True)}٪" in fa


def test_the_age_limit_is_the_platform_setting(world, client, db):
    from django.test import override_settings

    default = {
        (r["province_code"], r["division"]): r for r in client.get("/clusters/").context["rows"]
    }
    try:
        with override_settings(RASAD_CARRY_FORWARD_YEARS=0):
            response = _in(client, "en").get("/clusters/")
            strict = _carried_by_hand(world, 0)
            for r in response.context["rows"]:
                assert r["carried_share"] in (None, 0.0)
                if r["employment"] is not None:
                    assert (
                        r["employment"]
                        == strict.loc[(r["province_code"], r["division"]), "employees"]
                    )
            assert "Only the returns for 1403 are counted" in response.content.decode()
        with override_settings(RASAD_CARRY_FORWARD_YEARS=2):
            rows = client.get("/clusters/").context["rows"]
            assert compute.analysis().firms.attrs["too_old"]["employees"]["firms"] == 0
            loose = _carried_by_hand(world, 2)
            changed = [
                r
                for r in rows
                if r["employment"] is not None
                and r["employment"] != default[(r["province_code"], r["division"])]["employment"]
            ]
            # the one firm whose figure is from 1401 (42 employees) counts again, in one cell
            for r in changed:
                key = (r["province_code"], r["division"])
                assert (
                    r["employment"] - default[key]["employment"]
                    == 42
                    == loose.loc[key, "employees"]
                    - _carried_by_hand(world, 1).loc[key, "employees"]
                )
            assert len(changed) == 1
    finally:
        compute.clear()
    assert compute.analysis().firms.attrs["max_age"] == 1


def test_a_profile_and_a_province_show_the_carried_share(world, client, db):
    summary = world["profiles"].summary.set_index("cluster_code")
    stars = world["stars"]
    checked = 0
    for code in world["clusters"]["code"]:
        response = _in(client, "en").get(f"/clusters/{code}/")
        html = response.content.decode()
        if summary.loc[code, "enterprises"] < 3:
            assert 'id="cluster-carried"' not in html
            continue
        share = float(summary.loc[code, "employees_carried_share"])
        assert f'data-carried="{share}"' in html
        assert (
            f"{_pc(share)}% of this employment is carried forward from returns "
            "of 1402 or later, for members without a figure for 1403." in html
        )
        info = world["clusters"].set_index("code").loc[code]
        cell = stars[
            (stars["province_code"] == info["province_code"])
            & (stars["division"].astype(str) == str(info["division"]))
        ].iloc[0]
        assert response.context["cell_carried_share"] == pytest.approx(float(cell["carried_share"]))
        checked += 1
    assert checked
    rows = client.get("/clusters/provinces/21/").context["rows"]
    cells = stars[stars["province_code"] == 21].set_index("division")
    for r in rows:
        expected = cells.loc[r["division"], "carried_share"] if r["enterprises"] >= 3 else None
        assert r["carried_share"] == (
            pytest.approx(float(expected)) if expected is not None else None
        )


def test_the_cluster_table_downloads_whole_with_its_dictionary(world, client, db):
    import io

    from openpyxl import load_workbook

    from rasad.platform.clusters_web import compute, presenters

    rows = presenters.list_rows(compute.analysis())
    page = client.get("/clusters/").content.decode()
    assert "/clusters/data/clusters.xlsx" in page and "/clusters/data/clusters.csv" in page
    book = load_workbook(io.BytesIO(client.get("/clusters/data/clusters.xlsx").content))
    sheet = book.worksheets[0]
    assert sheet.sheet_view.rightToLeft and sheet.max_row == len(rows) + 1
    assert sheet.auto_filter.ref == f"A1:L{len(rows) + 1}"
    stars = 6  # the seventh column
    assert all(type(r[stars]) is int for r in sheet.iter_rows(min_row=2, values_only=True))
    csv = pd.read_csv(
        io.BytesIO(client.get("/clusters/data/clusters.csv").content), encoding="utf-8-sig"
    )
    assert len(csv) == len(rows) and list(csv.columns[:4]) == [
        "code",
        "name",
        "province_code",
        "province",
    ]
    dictionary = client.get("/clusters/data/clusters-dictionary.csv").content.decode("utf-8-sig")
    assert "CC BY 4.0" in dictionary and "carried_share" in dictionary
