"""The demo population (docs/demo-population.md): its planted distress cases raise
alerts, its healthy leaders do not.

The generator does not publish which firms it made distressed, but the document
states how: from the onset year on, liabilities are 0.9–1.4 × total assets, current
assets 25–45% of assets and 85–100% of liabilities short-term. Ordinary firms'
leverage is Beta(12, 12) (mean 0.5, sd 0.1) plus small noise, so that signature singles
the planted cases out from the raw returns, without using any KPI or rule of the
monitor. "Healthy leaders" are not planted as such; here they are the firms whose raw
returns show health every year of the window (all five returns filed on time, real
sales up, headcount never down, capacity utilisation ≥ 60%, liabilities ≤ 60% of
assets, positive EBIT).
"""

import pandas as pd
import pytest

from rasad.iran import deflator, jalali_to_gregorian
from rasad.monitor import Monitor

AS_OF = "2025-08-01"  # after the deadline of 1403's returns (31 Tir 1404 = 22 July 2025)


@pytest.fixture(scope="module")
def run(demo):
    return Monitor().run(demo.returns, demo.enterprises, as_of=AS_OF)


@pytest.fixture(scope="module")
def planted(demo):
    r = demo.returns
    signature = (
        (r["total_liabilities"] >= 0.9 * r["total_assets"])
        & (r["current_assets"] <= 0.45 * r["total_assets"])
        & (r["current_liabilities"] >= 0.85 * r["total_liabilities"])
    )
    return r.loc[signature, ["national_id", "year"]]


@pytest.fixture(scope="module")
def leaders(demo):
    r = demo.returns.sort_values(["national_id", "year"]).copy()
    r["real"] = r["sales"] / r["year"].map(deflator())
    by_firm = r.groupby("national_id")
    deadline = {y: pd.Timestamp(jalali_to_gregorian(y + 1, 4, 31)) for y in range(1399, 1404)}
    first = r["year"] == 1399
    r["healthy"] = (
        (r["submitted_on"] <= r["year"].map(deadline))
        & (first | (r["real"] > by_firm["real"].shift()))
        & (first | (r["employees"] >= by_firm["employees"].shift()))
        & (r["capacity_utilisation"] >= 60)
        & (r["total_liabilities"] <= 0.6 * r["total_assets"])
        & (r["ebit"] > 0)
    )
    years = by_firm["year"].agg(["min", "size"])
    healthy = (
        r.groupby("national_id")["healthy"].all() & (years["min"] == 1399) & (years["size"] == 5)
    )
    return healthy[healthy].index


def test_the_planted_cases_are_about_the_documented_share(demo, planted):
    firms = planted["national_id"].nunique()
    assert 0.015 * len(demo.enterprises) < firms < 0.035 * len(demo.enterprises)  # 2.5% planted
    assert firms == 74 and len(planted) == 185  # seed 1, 3000 firms


def test_every_planted_case_raises_a_high_severity_alert(run, planted):
    frame = run.alerts.frame
    high = frame[frame["severity"] >= "high"]
    assert set(planted["national_id"]) <= set(high["national_id"])


def test_z2_distress_fires_in_every_planted_year_where_z2_can_be_computed(demo, run, planted):
    z2 = run.kpis.frame(["altman_z2"]).set_index(["national_id", "year"])["altman_z2"]
    keys = list(zip(planted["national_id"], planted["year"], strict=True))
    computable = [k for k in keys if pd.notna(z2.loc[k])]
    assert len(computable) == 172  # the other 13 left a Z'' input blank
    frame = run.alerts.frame
    fired = set(
        zip(
            *(frame.loc[frame["rule"] == "z2_distress", c] for c in ("national_id", "period")),
            strict=True,
        )
    )
    assert set(computable) <= fired
    assert max(z2.loc[k] for k in computable) < 0  # deep in the distress zone, not near 1.1


def test_planted_years_alert_in_the_same_year(demo, run, planted):
    frame = run.alerts.frame
    alerted = set(zip(frame["national_id"], frame["period"], strict=True))
    silent = [
        k for k in zip(planted["national_id"], planted["year"], strict=True) if k not in alerted
    ]
    # the one exception left retained earnings (so Z'') and capacity utilisation blank,
    # and its real sales fell less than 20%: nothing to judge an alert on
    assert silent == [("10732444681", 1401)]
    row = demo.returns.set_index(["national_id", "year"]).loc[silent[0]]
    assert pd.isna(row["retained_earnings"]) and pd.isna(row["capacity_utilisation"])


def test_planted_cases_alert_far_more_than_others(demo, run, planted):
    frame = run.alerts.frame
    high = set(frame.loc[frame["severity"] >= "high", "national_id"])
    others = set(demo.enterprises["national_id"]) - set(planted["national_id"])
    assert len(high & others) / len(others) < 0.25


def test_healthy_leaders_raise_no_alert(run, leaders):
    assert len(leaders) == 24  # seed 1, 3000 firms
    frame = run.alerts.frame
    assert frame[frame["national_id"].isin(leaders)].empty


def test_fast_growers_with_complete_on_time_returns_raise_no_decline_or_missing_alert(
    demo, run, planted
):
    r = demo.returns.copy()
    r["real"] = r["sales"] / r["year"].map(deflator())
    deadline = {y: pd.Timestamp(jalali_to_gregorian(y + 1, 4, 31)) for y in range(1399, 1404)}
    r["on_time"] = r["submitted_on"] <= r["year"].map(deadline)
    firms = (
        r.sort_values("year")
        .groupby("national_id")
        .agg(
            n=("year", "size"),
            on_time=("on_time", "all"),
            first=("real", "first"),
            last=("real", "last"),
        )
    )
    eligible = firms[
        (firms["n"] == 5) & firms["on_time"] & ~firms.index.isin(planted["national_id"])
    ]
    growth = eligible["last"] / eligible["first"]
    top = growth[growth >= growth.quantile(0.9)].index
    assert len(top) > 100
    frame = run.alerts.frame
    rules = set(frame.loc[frame["national_id"].isin(top), "rule"])
    assert not rules & {"real_sales_drop", "employment_decline", "return_missing", "unit_slip"}
