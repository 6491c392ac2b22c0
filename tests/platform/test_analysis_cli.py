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
    pd.testing.assert_frame_equal(
        mine[codes], theirs[codes], check_dtype=False, check_index_type=False
    )
    assert (pd.to_datetime(mine["submitted_on"]) == pd.to_datetime(theirs["submitted_on"])).all()
    registry = enterprises_frame().set_index("national_id").sort_index()
    demo = population.enterprises.set_index("national_id").sort_index()
    assert (registry["isic_class"].astype(str) == demo["isic_class"].astype(str)).all()
    assert (registry["province_code"] == demo["province_code"]).all()


def test_alerts_from_the_database_equal_the_core_on_the_demo(loaded, population, tmp_path, capsys):
    out = tmp_path / "alerts.csv"
    assert main(["monitor", "alerts", "--period", "1403", "--out", str(out)]) == 0
    mine = pd.read_csv(out, dtype={"national_id": str})
    expected = (
        load_rules()
        .evaluate(Kpis().compute(population.returns, population.enterprises))
        .for_period(1403)
    )
    assert len(mine) == len(expected) > 0
    assert sorted(mine["key"]) == sorted(expected["key"])
    out = capsys.readouterr().out
    assert f"{len(expected):,} alerts for 1403" in out
    table = Kpis().compute(population.returns, population.enterprises).coverage().set_index("kpi")
    missing = int(table.loc["rd_intensity", "missing_input"])
    assert missing > 0 and f"{missing:,} missing input" in out  # said, not silently skipped


def test_location_quotients_and_stars_from_the_database(loaded, population, tmp_path):
    assert (
        main(["clusters", "stars", "--min-enterprises", "3", "--out", str(tmp_path / "stars.csv")])
        == 0
    )
    mine = pd.read_csv(tmp_path / "stars.csv")
    firms = firm_figures(population.enterprises, population.returns)
    expected = cluster_stars(location_quotients(firms), min_enterprises=3).reset_index()
    assert mine["stars"].sum() == expected["stars"].sum() > 0
    pd.testing.assert_series_equal(mine["lq"], expected["lq"], check_names=False)


def test_needs_workbook(loaded, population, tmp_path, capsys):
    out = tmp_path / "needs.xlsx"
    assert (
        main(
            [
                "monitor",
                "needs",
                "--period",
                "1403",
                "--by",
                "province",
                "sector",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    sheets = pd.read_excel(out, sheet_name=None)
    assert list(sheets) == [
        "جمع کل",
        "خلاصه به تفکیک برنامه",
        "نیازها به تفکیک استان",
        "نیازها به تفکیک بخش",
        "بنگاه‌ها",
        "نامعلوم",
        "بدون اظهارنامه",
        "راهنمای ستون‌ها",
        "درباره",
    ]
    # the same needs as the core on the demo's own frames (the database's deadlines are the rule's)
    needs = Monitor().run(population.returns, population.enterprises, period=1403).needs
    totals = needs.totals().iloc[0]
    missing = needs.no_data()
    assert len(missing) > 0 and sorted(sheets["بدون اظهارنامه"]["شناسه ملی"].astype(str)) == sorted(
        missing["national_id"]
    )
    by_province = sheets["نیازها به تفکیک استان"]
    assert by_province["بدون اظهارنامه (بی‌داده)"].sum() == len(missing)
    assert by_province["بنگاه‌های ردهٔ اولویت"].sum() == totals["priority"]
    printed = capsys.readouterr().out
    assert (
        f"{int(totals['filers']):,} enterprises filed for 1403; {len(missing):,} owed a return and "
        "filed none" in printed
    )
    assert (
        f"priority tier: {int(totals['priority']):,} ({totals['priority_share']:.1%} of those that "
        "filed)" in printed
    )
    finance = needs.summary().set_index("programme").loc["finance"]
    assert (
        f"{'finance':<14} {finance['enterprises']:>7,} {finance['critical']:>8,} "
        f"{finance['high']:>7,} "
        f"{finance['medium']:>7,} {finance['low']:>7,} {finance['priority']:>8,} "
        f"{finance['unknown']:>8,}"
    ) in printed


def test_a_period_without_returns_is_refused(loaded, capsys):
    assert main(["monitor", "alerts", "--period", "1390"]) == 2
    assert "1399–1403" in capsys.readouterr().err


def _by_hand(returns: pd.DataFrame, year: int, max_age: int) -> tuple[float, float]:
    """All employment and the part carried forward, from each firm's latest non-blank
    figure of year − max_age … year: plain pandas, not the core."""
    window = returns[(returns["year"] <= year) & (returns["year"] >= year - max_age)].dropna(
        subset=["employees"]
    )
    latest = window.sort_values("year").groupby("national_id").last()
    return float(latest["employees"].sum()), float(
        latest.loc[latest["year"] < year, "employees"].sum()
    )


@pytest.fixture(scope="module")
def demo_dir(population, tmp_path_factory):
    directory = tmp_path_factory.mktemp("demo")
    population.to_csv(directory)
    return directory


@pytest.mark.parametrize("max_age", [None, 0, 1, 3])
def test_clusters_lq_max_age_and_the_carried_column(
    population, demo_dir, tmp_path, capsys, max_age
):
    out = tmp_path / "lq.csv"
    option = [] if max_age is None else ["--max-age", str(max_age)]
    assert main(["clusters", "lq", "--data", str(demo_dir), *option, "--out", str(out)]) == 0
    table = pd.read_csv(out)
    total, carried = _by_hand(population.returns, 1403, 1 if max_age is None else max_age)
    assert table["value"].sum() == total and table["carried"].sum() == carried
    if max_age == 0:
        assert carried == 0 and (table["carried_share"].fillna(0) == 0).all()
    else:  # 15 of the 400 firms skipped 1403 and carry their 1402 headcount: 461 employees
        assert (total, carried) == (15587, 461)
    cells = table[table["value"] > 0]
    assert (cells["carried_share"] == cells["carried"] / cells["value"]).all()
    said = capsys.readouterr().out
    if max_age == 0:
        assert (
            "only the returns for 1403 counted, nothing carried forward; 15 firm(s) whose latest "
            "figure is "
            "older left out (461)" in said
        )
    else:
        assert (
            f"{carried / total:.1%} of employees ({carried:,.0f} of {total:,.0f}) carried forward"
            in said
        )
        age = 1 if max_age is None else max_age
        assert f"at most {age} year{'s' if age != 1 else ''} before 1403" in said


def test_stars_and_eg_write_the_carried_share(population, demo_dir, tmp_path, capsys):
    assert (
        main(["clusters", "stars", "--data", str(demo_dir), "--out", str(tmp_path / "s.csv")]) == 0
    )
    stars = pd.read_csv(tmp_path / "s.csv")
    assert "carried_share" in stars.columns and stars["carried"].sum() == 461
    assert (
        main(
            [
                "clusters",
                "eg",
                "--data",
                str(demo_dir),
                "--draws",
                "0",
                "--out",
                str(tmp_path / "eg.csv"),
            ]
        )
        == 0
    )
    eg = pd.read_csv(tmp_path / "eg.csv")
    assert (eg["carried_share"] * eg["value"]).sum() == pytest.approx(461)


def test_a_negative_max_age_is_refused(demo_dir, tmp_path, capsys):
    assert (
        main(
            [
                "clusters",
                "lq",
                "--data",
                str(demo_dir),
                "--max-age",
                "-1",
                "--out",
                str(tmp_path / "x.csv"),
            ]
        )
        == 2
    )
    said = capsys.readouterr().err
    assert "--max-age -1" in said and "خطا" in said
    assert not (tmp_path / "x.csv").exists()


def test_on_the_database_the_cli_follows_the_platform_setting(loaded, population, tmp_path):
    from django.test import override_settings

    with override_settings(RASAD_CARRY_FORWARD_YEARS=0):
        assert main(["clusters", "lq", "--out", str(tmp_path / "lq0.csv")]) == 0
        assert main(["clusters", "lq", "--max-age", "1", "--out", str(tmp_path / "lq1.csv")]) == 0
    assert (
        pd.read_csv(tmp_path / "lq0.csv")["value"].sum()
        == _by_hand(population.returns, 1403, 0)[0]
        == 15126
    )
    assert (
        pd.read_csv(tmp_path / "lq1.csv")["value"].sum() == 15587
    )  # the option wins over the setting
