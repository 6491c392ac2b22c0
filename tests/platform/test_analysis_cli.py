"""``rasad monitor`` and ``rasad clusters`` read the database as the demo's own frames:
the same alerts, location quotients and stars either way."""

import pandas as pd
import pytest

from rasad.cli import main
from rasad.clusters import cluster_stars, firm_figures, location_quotients
from rasad.demo import generate
from rasad.monitor import Kpis, Monitor, load_rules
from rasad.platform.demo_data import load_demo
from rasad.platform.frames import current_returns, enterprises_frame


@pytest.fixture(scope="module")
def population():
    return generate(n_enterprises=400, seed=11)


@pytest.fixture
def loaded(db, population):
    return load_demo(population)


def test_the_database_frames_are_the_demo_frames(loaded, population):
    returns, versions = current_returns()
    assert len(returns) == len(population.returns) == len(versions)
    mine = returns.set_index(["national_id", "year"]).sort_index()
    theirs = population.returns.set_index(["national_id", "year"]).sort_index()
    codes = [c for c in theirs.columns if c != "submitted_on"]
    pd.testing.assert_frame_equal(mine[codes], theirs[codes], check_dtype=False, check_index_type=False)
    assert (pd.to_datetime(mine["submitted_on"]) == pd.to_datetime(theirs["submitted_on"])).all()
    registry = enterprises_frame().set_index("national_id").sort_index()
    demo = population.enterprises.set_index("national_id").sort_index()
    assert (registry["isic_class"].astype(str) == demo["isic_class"].astype(str)).all()
    assert (registry["province_code"] == demo["province_code"]).all()


def test_alerts_from_the_database_equal_the_core_on_the_demo(loaded, population, tmp_path, capsys):
    out = tmp_path / "alerts.csv"
    assert main(["monitor", "alerts", "--period", "1403", "--out", str(out)]) == 0
    mine = pd.read_csv(out, dtype={"national_id": str})
    expected = load_rules().evaluate(Kpis().compute(population.returns, population.enterprises)).for_period(1403)
    assert len(mine) == len(expected) > 0
    assert sorted(mine["key"]) == sorted(expected["key"])
    out = capsys.readouterr().out
    assert f"{len(expected):,} alerts for 1403" in out
    table = Kpis().compute(population.returns, population.enterprises).coverage().set_index("kpi")
    missing = int(table.loc["rd_intensity", "missing_input"])
    assert missing > 0 and f"{missing:,} missing input" in out  # said, not silently skipped


def test_location_quotients_and_stars_from_the_database(loaded, population, tmp_path):
    assert main(["clusters", "stars", "--min-enterprises", "3", "--out", str(tmp_path / "stars.csv")]) == 0
    mine = pd.read_csv(tmp_path / "stars.csv")
    firms = firm_figures(population.enterprises, population.returns)
    expected = cluster_stars(location_quotients(firms), min_enterprises=3).reset_index()
    assert mine["stars"].sum() == expected["stars"].sum() > 0
    pd.testing.assert_series_equal(mine["lq"], expected["lq"], check_names=False)


def test_needs_workbook(loaded, population, tmp_path, capsys):
    out = tmp_path / "needs.xlsx"
    assert main(["monitor", "needs", "--period", "1403", "--by", "province", "sector", "--out", str(out)]) == 0
    sheets = pd.read_excel(out, sheet_name=None, header=1)
    assert list(sheets) == ["summary", "needs by province", "needs by sector", "enterprises", "unknown", "no data"]
    # the same needs as the core on the demo's own frames (the database's deadlines are the rule's)
    needs = Monitor().run(population.returns, population.enterprises, period=1403).needs
    totals = needs.totals().iloc[0]
    missing = needs.no_data()
    assert len(missing) > 0 and sorted(sheets["no data"]["National ID"].astype(str)) == sorted(missing["national_id"])
    assert sheets["needs by province"]["No return (no data)"].sum() == len(missing)
    assert sheets["needs by province"]["Enterprises in the priority tier"].sum() == totals["priority"]
    printed = capsys.readouterr().out
    assert (f"{int(totals['filers']):,} enterprises filed for 1403; {len(missing):,} owed a return and filed none"
            in printed)
    assert f"priority tier: {int(totals['priority']):,} ({totals['priority_share']:.1%} of those that filed)" in printed
    finance = needs.summary().set_index("programme").loc["finance"]
    assert (f"{'finance':<14} {finance['enterprises']:>7,} {finance['critical']:>8,} {finance['high']:>7,} "
            f"{finance['medium']:>7,} {finance['low']:>7,} {finance['priority']:>8,} {finance['unknown']:>8,}") in printed


def test_a_period_without_returns_is_refused(loaded, capsys):
    assert main(["monitor", "alerts", "--period", "1390"]) == 2
    assert "1399–1403" in capsys.readouterr().err
