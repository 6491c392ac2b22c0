"""Research panels kept apart from the national returns, and the default period chosen
by filing coverage (issue 15): a panel imported beside the demo changes no national
figure and can be monitored on its own; the first returns of a new year do not move
any default period to it."""

from pathlib import Path

import pandas as pd
import pytest
from django.test import Client

from rasad.cli import main
from rasad.demo import generate
from rasad.platform.accounts.models import Role, User
from rasad.platform.demo_data import load_demo
from rasad.platform.monitoring import compute
from rasad.platform.registry.models import Dataset, Enterprise
from rasad.platform.returns.models import Return
from rasad.platform.returns.services import get_period, record_return

PANELS = Path(__file__).parents[1] / "fixtures" / "firm_panels"
UK = [
    "import",
    str(PANELS / "emplUK_1976_1984.csv"),
    "--mapping",
    "uk_emplUK",
    "--constant",
    "isic_class=2599",
    "--constant",
    "province=Tehran",
    "--lang",
    "en",
    "--no-progress",
]


@pytest.fixture
def demo(db):
    compute.clear()
    load_demo(generate(n_enterprises=300, seed=5))
    User.objects.create_user("admin", password="x", role=Role.ADMIN, is_superuser=True)
    yield
    compute.clear()


def _lq(tmp_path, name, *extra) -> pd.DataFrame:
    out = tmp_path / name
    assert main(["clusters", "lq", "--year", "1403", "--out", str(out), *extra]) == 0
    return pd.read_csv(out)


def test_a_panel_beside_the_national_returns_changes_no_national_figure(demo, tmp_path, capsys):
    before = _lq(tmp_path, "before.csv")
    assert main(["monitor", "alerts", "--period", "1403", "--out", str(tmp_path / "a0.csv")]) == 0
    assert main(UK) == 0
    panel = Dataset.objects.get(code="uk-empl-1976-1984")
    firms = Enterprise.objects.filter(dataset=panel)
    assert firms.count() == 140 and Enterprise.objects.filter(dataset__isnull=True).count() == 300
    assert sorted(int(c) for c in firms.values_list("source_code", flat=True)) == list(
        range(1, 141)
    )
    assert panel.prices is None and panel.name_en.startswith("UK companies")
    # the national alerts and location quotients are what they were
    assert main(["monitor", "alerts", "--period", "1403", "--out", str(tmp_path / "a1.csv")]) == 0
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "a0.csv"), pd.read_csv(tmp_path / "a1.csv")
    )
    after = _lq(tmp_path, "after.csv")
    pd.testing.assert_frame_equal(before, after)
    assert after["value"].sum() == before["value"].sum()
    # the panel on its own: its years, its firms, no Iranian price index asked for
    capsys.readouterr()
    assert (
        main(
            [
                "monitor",
                "alerts",
                "--dataset",
                panel.code,
                "--period",
                "1360",
                "--out",
                str(tmp_path / "uk.csv"),
            ]
        )
        == 0
    )
    alerts = pd.read_csv(tmp_path / "uk.csv", dtype={"national_id": str})
    assert len(alerts) and set(alerts["national_id"]) <= set(
        firms.values_list("national_id", flat=True)
    )
    assert "alerts for 1360" in capsys.readouterr().out
    assert (
        main(
            [
                "clusters",
                "lq",
                "--dataset",
                panel.code,
                "--year",
                "1360",
                "--out",
                str(tmp_path / "p.csv"),
            ]
        )
        == 0
    )
    uk = pd.read_csv(tmp_path / "p.csv")
    source = pd.read_csv(PANELS / "emplUK_1976_1984.csv")
    # 1360 is 1981: every firm's 1981 headcount (thousands → persons), the 1980 one carried for
    # the others
    assert uk["value"].sum() == pytest.approx(
        1000 * source.loc[source["year"] == 1981, "emp"].sum()
        + 1000
        * source[
            (source["year"] == 1980)
            & ~source["firm"].isin(source.loc[source["year"] == 1981, "firm"])
        ]["emp"].sum()
    )


def test_an_unknown_dataset_is_named_in_the_error(demo, tmp_path, capsys):
    assert main(["monitor", "alerts", "--dataset", "nope", "--out", str(tmp_path / "x.csv")]) != 0
    err = capsys.readouterr().err
    assert "nope" in err and "national" in err and "مجموعه‌داده" in err


def test_a_panel_cannot_take_over_firms_of_another(demo, capsys):
    assert main(UK) == 0
    capsys.readouterr()
    assert main([*UK, "--dataset", "other-panel"]) != 0
    err = capsys.readouterr().err
    assert "uk-empl-1976-1984" in err and "other-panel" in err
    assert not Dataset.objects.filter(code="other-panel").exists()


def test_a_price_file_deflates_a_panel(demo, tmp_path):
    prices = tmp_path / "cpi.csv"
    prices.write_text(
        "year,index,calendar\n1987,100,gregorian\n1988,110,gregorian\n1989,121,gregorian\n"
    )
    assert (
        main(
            [
                "import",
                str(PANELS / "jtrain_michigan_1987_1989.csv"),
                "--mapping",
                "michigan_jtrain",
                "--constant",
                "isic_class=2599",
                "--constant",
                "province=Tehran",
                "--prices",
                str(prices),
                "--no-progress",
            ]
        )
        == 0
    )
    panel = Dataset.objects.get(code="michigan-jtrain-1987-1989")
    assert panel.prices == {"1366": 100.0, "1367": 110.0, "1368": 121.0} and panel.currency == "USD"
    result = compute.run_for(1368, dataset=panel)
    table = result.kpis.frame(["sales_real"], period=1368).set_index("national_id")
    firm = Enterprise.objects.filter(dataset=panel).order_by("national_id").first()
    sales = Return.objects.get(enterprise=firm, period__year=1368).current_version.figures.get(
        "sales"
    )
    if sales is not None:  # base year is the index's latest: 1368 money is already in its prices
        assert table.loc[firm.national_id, "sales_real"] == pytest.approx(sales)
    early = Return.objects.filter(enterprise__dataset=panel, period__year=1366).select_related(
        "current_version"
    )
    record = next(r for r in early if r.current_version.figures.get("sales"))
    real = (
        compute.run_for(1366, dataset=panel)
        .kpis.frame(["sales_real"], period=1366)
        .set_index("national_id")
    )
    assert real.loc[record.enterprise.national_id, "sales_real"] == pytest.approx(
        record.current_version.figures["sales"] * 121 / 100
    )


def test_text_firm_codes_keep_their_ids_when_imported_again(demo, capsys):
    us = [
        "import",
        str(PANELS / "instinnovation_us_1991_1999.csv"),
        "--mapping",
        "us_innovation",
        "--constant",
        "isic_class=2599",
        "--constant",
        "province=Tehran",
        "--lang",
        "en",
        "--no-progress",
    ]
    assert main(us) == 0
    ids = dict(
        Enterprise.objects.filter(dataset__code="us-innovation-1991-1999").values_list(
            "source_code", "national_id"
        )
    )
    assert len(ids) == 803 and "3COM CORP" in ids
    capsys.readouterr()
    assert main(us) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert (
        dict(
            Enterprise.objects.filter(dataset__code="us-innovation-1991-1999").values_list(
                "source_code", "national_id"
            )
        )
        == ids
    )


@pytest.fixture
def early_1404(demo):
    """Two of the 300 enterprises have filed for 1404."""
    analyst = User.objects.create_user("analyst", password="x", role=Role.ANALYST)
    period = get_period("1404")
    for enterprise in Enterprise.objects.order_by("national_id")[:2]:
        record_return(enterprise, period, {"employees": 12.0, "sales": 1000.0}, user=analyst)
    return analyst


def test_two_returns_of_a_new_year_do_not_move_the_defaults(early_1404, tmp_path, capsys):
    assert main(["monitor", "alerts", "--out", str(tmp_path / "a.csv")]) == 0
    out = capsys.readouterr()
    assert "alerts for 1403" in out.out
    filed = Return.objects.filter(period__year=1403, period__quarter__isnull=True).count()
    assert f"1403 is shown: {filed:,} of 300 enterprises" in out.err
    assert "1404 is not yet: 2 of 300 (0.67%) have filed." in out.err
    assert set(pd.read_csv(tmp_path / "a.csv")["period"]) == {1403}
    client = Client()
    client.force_login(early_1404)
    for url in ("/monitoring/alerts/", "/monitoring/needs/"):
        page = client.get(url)
        assert page.status_code == 200 and page.context["choice"].period == 1403, url
        assert "1403 is shown" in page.content.decode() or "۱۴۰۳ نشان داده" in page.content.decode()
    # the reader can still choose 1404, and then no reason is given
    page = client.get("/monitoring/alerts/?period=1404")
    assert page.context["choice"].period == 1404 and 'id="period-why"' not in page.content.decode()
    national_id = Return.objects.filter(period__year=1404).values_list(
        "enterprise__national_id", flat=True
    )[0]
    page = client.get(f"/enterprises/{national_id}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["choice"].period == 1403
    assert (
        page.context["monitoring"]["period"] == 1403
        and page.context["figures"]["period"].year == 1403
    )
    page = client.get(f"/enterprises/{national_id}/?period=1404")
    assert (
        page.context["monitoring"]["period"] == 1404
        and page.context["figures"]["period"].year == 1404
    )
    api = client.get("/api/periods").json()
    assert (
        api["dataset"] == "national"
        and api["default"]["year"] == 1403
        and api["default"]["rule"] == "coverage"
    )
    assert [
        (p["year"], p["filed"], p["expected"]) for p in api["periods"] if p["year"] == 1404
    ] == [(1404, 2, 300)]


def test_only_analysts_pick_a_panel(early_1404):
    assert main(UK) == 0
    analyst = Client()
    analyst.force_login(early_1404)
    page = analyst.get("/monitoring/alerts/?dataset=uk-empl-1976-1984")
    assert page.status_code == 200 and page.context["choice"].dataset == "uk-empl-1976-1984"
    assert page.context["choice"].period == 1362 and 'id="nominal-note"' in page.content.decode()
    assert analyst.get("/monitoring/alerts/?dataset=no-such").status_code == 404
    assert 'id="dataset-choice"' in analyst.get("/monitoring/needs/").content.decode()
    manager = User.objects.create_user("manager", password="x", role=Role.ESTATE_MANAGER)
    other = Client()
    other.force_login(manager)
    assert other.get("/monitoring/alerts/").status_code == 200
    assert 'id="dataset-choice"' not in other.get("/monitoring/alerts/").content.decode()
    assert other.get("/monitoring/alerts/?dataset=uk-empl-1976-1984").status_code == 404


def test_the_api_lists_national_firms_unless_a_panel_is_named(early_1404):
    assert main(UK) == 0
    client = Client()
    client.force_login(early_1404)
    national = client.get("/api/enterprises").json()
    panel = client.get("/api/enterprises?dataset=uk-empl-1976-1984").json()
    assert national["count"] == 300 and panel["count"] == 140
    assert all(e["national_id"].startswith("9901") for e in panel["items"])
    refused = client.get("/api/enterprises?dataset=no-such")
    assert refused.status_code == 422 and "no-such" in refused.content.decode()
    periods = client.get("/api/periods?dataset=uk-empl-1976-1984").json()
    assert periods["default"]["year"] == 1362 and "1362" in periods["default"]["reason_en"]
    assert client.get("/api/periods?dataset=no-such").status_code == 404
