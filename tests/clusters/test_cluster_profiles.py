"""Cluster profiles on a handful of firms worked by hand."""

import numpy as np
import pandas as pd
import pytest

from rasad.clusters import cluster_profiles
from rasad.iran import deflator

ENTERPRISES = pd.DataFrame(
    {
        "national_id": ["a", "b", "c", "d", "e"],
        "name_fa": ["الف", "ب", "پ", "ت", "ث"],
        "name_en": ["A", "B", "C", "D", "E"],
    }
)
# a and b report in 1402; a, c and d in 1403 (b skipped it; d is new); c also in 1402.
RETURNS = pd.DataFrame(
    {
        "national_id": ["a", "a", "b", "c", "c", "d", "e"],
        "year": [1402, 1403, 1402, 1402, 1403, 1403, 1403],
        "employees": [10.0, 12.0, 20.0, 5.0, 5.0, 8.0, 100.0],
        "sales": [100.0, 150.0, 200.0, 40.0, 60.0, 80.0, 1000.0],
        "exports": [0.0, 30.0, 50.0, 0.0, 0.0, 8.0, 0.0],
    }
)
MEMBERS = pd.DataFrame(
    {"cluster_code": ["K1", "K1", "K1", "K2"], "national_id": ["a", "b", "d", "c"]}
)
SCORES = pd.DataFrame(
    {
        "national_id": ["a", "b", "c", "d", "e"],
        "score": [70.0, 50.0, 60.0, np.nan, 40.0],
        "rank": [1, 3, 2, np.nan, 4],
    }
)
CLUSTERS = pd.DataFrame(
    {"code": ["K1", "K2"], "name_fa": ["خوشه یک", "خوشه دو"], "name_en": ["One", "Two"]}
)


def _profiles(**kwargs):
    kwargs.setdefault("real", False)
    return cluster_profiles(ENTERPRISES, RETURNS, MEMBERS, **kwargs)


def test_summary_by_hand():
    profiles = _profiles(scores=SCORES, clusters=CLUSTERS, rank_cutoff=2)
    summary = profiles.summary.set_index("cluster_code")
    assert profiles.year == 1403
    # K1 in 1403: a 12/150/30, b carried from 1402 20/200/50, d 8/80/8
    k1 = summary.loc["K1"]
    assert (k1["enterprises"], k1["employees"], k1["sales"], k1["exports"]) == (3, 40, 430, 88)
    assert k1["exporters"] == 3 and k1["export_share"] == pytest.approx(88 / 430)
    assert k1["name_en"] == "One" and k1["name_fa"] == "خوشه یک"
    # Scores: a 70, b 50 (d has none) → mean 60; ranks 1 and 3
    assert k1["scored"] == 2 and k1["mean_score"] == pytest.approx(60)
    assert (k1["best_rank"], k1["median_rank"], k1["worst_rank"]) == (1, 2, 3)
    assert k1["in_top_2"] == 1
    k2 = summary.loc["K2"]
    assert (k2["enterprises"], k2["employees"], k2["sales"], k2["exports"], k2["exporters"]) == (
        1,
        5,
        60,
        0,
        0,
    )


def test_growth_counts_matched_firms_only():
    profiles = _profiles()
    trend = profiles.trend.set_index(["cluster_code", "year"])
    # K1 1402: a and b report (30 employees, sales 300); 1403: a and d (20, 230).
    assert trend.loc[("K1", 1402), "reporting"] == 2 and trend.loc[("K1", 1402), "employees"] == 30
    assert trend.loc[("K1", 1403), "sales"] == 230
    # Growth 1402→1403 on firms in both years (a only): employees 12/10 − 1 = 0.2,
    # sales 150/100 − 1 = 0.5; exports from 0 have no growth rate (NaN), not +∞.
    assert trend.loc[("K1", 1403), "employees_growth"] == pytest.approx(0.2)
    assert trend.loc[("K1", 1403), "sales_growth"] == pytest.approx(0.5)
    assert np.isnan(trend.loc[("K1", 1403), "exports_growth"])
    assert np.isnan(trend.loc[("K1", 1402), "sales_growth"])  # no 1401
    summary = profiles.summary.set_index("cluster_code")
    assert summary.loc["K2", "sales_growth"] == pytest.approx(0.5)  # 60/40 − 1
    assert summary.loc["K2", "employees_growth"] == pytest.approx(0.0)
    assert summary.loc["K1", "sales_growth_annual"] == pytest.approx(0.5)


def test_real_growth_deflates_money():
    profiles = cluster_profiles(ENTERPRISES, RETURNS, MEMBERS)
    cpi = deflator()
    expected = (60 / cpi[1403]) / (40 / cpi[1402]) - 1
    summary = profiles.summary.set_index("cluster_code")
    assert summary.loc["K2", "sales_growth"] == pytest.approx(expected)
    assert expected < 0.5  # inflation ate part of the nominal 50%
    assert summary.loc["K2", "employees_growth"] == pytest.approx(0.0)  # headcount untouched


def test_top_members():
    by_score = _profiles(scores=SCORES, top=2).top
    assert by_score["national_id"].tolist() == ["a", "b", "c"]
    assert by_score["position"].tolist() == [1, 2, 1]
    assert by_score["name_fa"].tolist() == ["الف", "ب", "پ"]
    by_sales = _profiles(top=5).top  # no scores: by sales (b 200, a 150, d 80)
    assert by_sales.loc[by_sales["cluster_code"] == "K1", "national_id"].tolist() == ["b", "a", "d"]


@pytest.mark.parametrize("form", ["long", "wide"])
def test_needs_matrix(form):
    long = pd.DataFrame(
        {
            "national_id": ["a", "b", "c", "d", "e"],
            "need": ["finance", "finance", "exports", "technology", "finance"],
        }
    )
    needs = long if form == "long" else pd.crosstab(long["national_id"], long["need"]).astype(bool)
    table = _profiles(needs=needs).needs.set_index(["cluster_code", "need"])
    # K1: a and b need finance (12 + 20 employees, 2 of 3 members); d technology (8).
    assert table.loc[("K1", "finance"), "enterprises"] == 2
    assert table.loc[("K1", "finance"), "employees"] == 32
    assert table.loc[("K1", "finance"), "share_of_members"] == pytest.approx(2 / 3)
    assert table.loc[("K1", "technology"), "employees"] == 8
    assert table.loc[("K2", "exports"), "share_of_members"] == 1.0
    assert len(table) == 3  # e is in no cluster


def test_one_profile():
    one = _profiles(scores=SCORES).profile("K2")
    assert one["summary"]["enterprises"] == 1
    assert one["top"]["national_id"].tolist() == ["c"]
    assert one["trend"]["year"].tolist() == [1402, 1403]


def test_carried_shares_and_the_age_limit():
    # K1 in 1403: b's 20 employees, 200 sales and 50 exports come from 1402 (carried);
    # a's 12/150/30 and d's 8/80/8 are 1403's own.
    summary = _profiles().summary.set_index("cluster_code")
    assert summary.loc["K1", "employees_carried_share"] == pytest.approx(20 / 40)
    assert summary.loc["K1", "sales_carried_share"] == pytest.approx(200 / 430)
    assert summary.loc["K1", "exports_carried_share"] == pytest.approx(50 / 88)
    assert summary.loc["K2", "employees_carried_share"] == 0  # c filed for 1403
    assert np.isnan(summary.loc["K2", "exports_carried_share"])  # a total of 0 exports
    # Only this year's returns: b drops out of K1's totals and nothing is carried.
    strict = _profiles(max_age=0).summary.set_index("cluster_code")
    assert strict.loc["K1", "employees"] == 20 and strict.loc["K1", "employees_carried_share"] == 0
    # b's figure is one year old in 1403 but three years old in 1405: left out then
    later = cluster_profiles(ENTERPRISES, RETURNS, MEMBERS, year=1405, real=False, max_age=2)
    assert (
        later.summary.set_index("cluster_code").loc["K1", "employees"] == 20
    )  # a 12 + d 8, both from 1403
