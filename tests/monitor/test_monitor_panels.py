"""The proof on real panels: the bundled rules fire exactly on the firms and years the
data says, and nowhere else.

Michigan (Holzer et al. 1993): 157 plants × 1987–89, sales deflated with the US CPI-U
(113.6, 118.3, 124.0). UK (Arellano and Bond 1991): 140 firms, unbalanced 1976–84.
Each expectation is computed a second way with plain pandas (group-by and shift), and
some firms are checked by hand against the CSV lines quoted in the comments.
"""

import pandas as pd
import pytest

from rasad.monitor import Kpis, load_rules

RULES = load_rules()
# US CPI-U, annual averages, 1982-84 = 100 (BLS series CUUR0000SA0); see the fixtures' README
US_CPI = pd.Series({1987: 113.6, 1988: 118.3, 1989: 124.0})


def alerts_of(returns, **kpi_options):
    table = Kpis(**kpi_options).compute(returns)
    return RULES.evaluate(table)


def fired(alerts, rule):
    frame = alerts.frame
    return set(
        map(tuple, frame.loc[frame["rule"] == rule, ["national_id", "period"]].values.tolist())
    )


@pytest.fixture(scope="module")
def michigan_alerts(michigan):
    return alerts_of(michigan, prices=US_CPI, base_year=1987)


@pytest.fixture(scope="module")
def uk_alerts(uk):
    return alerts_of(uk, prices=pd.Series({y: 100.0 for y in range(1976, 1985)}), base_year=1976)


def test_michigan_hand_checked_firms(michigan_alerts):
    frame = michigan_alerts.frame.set_index(["national_id", "period", "rule"])
    # 1988,410495.0,25.0,110000.0 after 1987,410495.0,20.0,750000.0:
    # real growth (110000/118.3)/(750000/113.6) − 1 = −85.9%
    row = frame.loc[("410495", 1988, "real_sales_drop")]
    assert row["value"] == pytest.approx(110000 / 118.3 / (750000 / 113.6) - 1)
    assert row["evidence"]["sales"] == {1987: 750000.0, 1988: 110000.0}
    # 410653: sales 1,950,000 → 1,850,000 → 1,550,000. Nominal 1989 growth is −16.2%, not
    # an alert; in real terms 1550000/124.0 ÷ 1850000/118.3 − 1 = −20.07%, an alert.
    assert frame.loc[("410653", 1989, "real_sales_drop"), "value"] == pytest.approx(
        -0.200676, abs=1e-6
    )
    assert ("410653", 1988, "real_sales_drop") not in frame.index
    # ... and employ 14 → 13 → 12: down two periods running, since 1988
    row = frame.loc[("410653", 1989, "employment_decline")]
    assert (row["since"], row["streak"]) == (1988, 2)
    assert row["key"] == "employment_decline:410653:1988"
    assert row["evidence"]["employees"] == {1987: 14.0, 1988: 13.0, 1989: 12.0}
    # 410500: employ 200 → 155 → 80 and sales 23,741,000 → 19,659,000 (real −20.5%)
    assert ("410500", 1989, "employment_decline") in frame.index
    assert frame.loc[("410500", 1988, "real_sales_drop"), "value"] == pytest.approx(
        19659000 / 118.3 / (23741000 / 113.6) - 1
    )
    # 410032: employ 100 → 131 → 123, sales 47.0m → 43.0m → 49.0m (real −12.1%): nothing
    assert not any(key[0] == "410032" for key in frame.index)


def test_michigan_rules_fire_exactly_where_the_data_says(michigan, michigan_alerts):
    data = michigan.sort_values(["national_id", "year"]).copy()
    data["real"] = data["sales"] / data["year"].map(US_CPI)
    by_firm = data.groupby("national_id")
    real_growth = data["real"] / by_firm["real"].shift() - 1
    employment_down = data["employees"] < by_firm["employees"].shift()
    down_twice = employment_down & employment_down.groupby(data["national_id"]).shift(
        fill_value=False
    )
    keys = lambda mask: set(zip(data.loc[mask, "national_id"], data.loc[mask, "year"], strict=True))  # noqa: E731

    assert fired(michigan_alerts, "real_sales_drop") == keys(real_growth < -0.2)
    assert len(keys(real_growth < -0.2)) == 20
    assert fired(michigan_alerts, "employment_decline") == keys(down_twice)
    assert len(keys(down_twice)) == 19 and {year for _, year in keys(down_twice)} == {1989}
    # the largest year-on-year sales ratio is 18 and employment never moves ×200: no slip
    assert fired(michigan_alerts, "unit_slip") == set()
    # balanced panel: every plant filed every year
    assert fired(michigan_alerts, "return_missing") == set()
    # no capacity or balance-sheet figures: those rules cannot be judged, and never fire
    summary = michigan_alerts.summary().set_index("rule")
    for rule in ("low_capacity", "z2_distress"):
        assert summary.loc[rule, ["applies", "judged", "not_computable", "alerts"]].tolist() == [
            471,
            0,
            471,
            0,
        ]
    judged = int(real_growth.notna().sum())
    assert summary.loc["real_sales_drop", ["judged", "not_computable"]].tolist() == [
        judged,
        471 - judged,
    ]


def test_uk_hand_checked_firms(uk_alerts):
    frame = uk_alerts.frame.set_index(["national_id", "period", "rule"])
    # firm 1, 1977–1983: emp 5.041, 5.600, 5.015, 4.715, 4.093, 3.166, 2.936 (thousands)
    firm1 = frame.loc["1"].reset_index()
    declines = firm1[firm1["rule"] == "employment_decline"]
    assert declines[["period", "since", "streak"]].values.tolist() == [
        [1980, 1979, 2],
        [1981, 1979, 3],
        [1982, 1979, 4],
        [1983, 1979, 5],
    ]
    assert declines["key"].unique().tolist() == ["employment_decline:1:1979"]
    # its last return is 1983, the panel runs to 1984
    assert firm1.loc[firm1["rule"] == "return_missing", ["period", "since"]].values.tolist() == [
        [1984, 1984]
    ]
    # firm 140, 1976–1984: 1.541, 1.447, 1.425, 1.438, 1.401, 1.330, 1.192, 1.136, 1.093
    firm140 = frame.loc["140"].reset_index()
    assert firm140[["period", "since", "rule"]].values.tolist() == [
        [1978, 1977, "employment_decline"],
        [1981, 1980, "employment_decline"],
        [1982, 1980, "employment_decline"],
        [1983, 1980, "employment_decline"],
        [1984, 1980, "employment_decline"],
    ]
    # firm 2, 1977–1983: 71.319, 70.643, 70.918, 72.031, 73.689, 72.419, 68.518
    firm2 = frame.loc["2"].reset_index()
    assert firm2[["period", "since", "rule"]].values.tolist() == [
        [1983, 1982, "employment_decline"],
        [1984, 1984, "return_missing"],
    ]


def test_uk_rules_fire_exactly_where_the_data_says(uk, uk_alerts):
    data = uk.sort_values(["national_id", "year"])
    by_firm = data.groupby("national_id")
    down = data["employees"] < by_firm["employees"].shift()
    down_twice = down & down.groupby(data["national_id"]).shift(fill_value=False)
    expected = set(
        zip(data.loc[down_twice, "national_id"], data.loc[down_twice, "year"], strict=True)
    )
    assert fired(uk_alerts, "employment_decline") == expected
    assert len(expected) == 378
    # owed from each firm's first return to 1984; the panel has no gaps inside a firm's years
    span = by_firm["year"].agg(["min", "max"])
    owed = {
        (firm, year) for firm, (first, last) in span.iterrows() for year in range(last + 1, 1985)
    }
    assert fired(uk_alerts, "return_missing") == owed
    assert len(owed) == 62 * 2 + 39 + 4  # ended 1982 (1976–82), 1983 (1977–83 and 1976–83)
    since = (
        uk_alerts.frame.loc[uk_alerts.frame["rule"] == "return_missing"]
        .groupby("national_id")["since"]
        .unique()
    )
    assert all(len(s) == 1 and s[0] == span.loc[firm, "max"] + 1 for firm, s in since.items())
    # largest year-on-year employment ratio 2.24, smallest 0.37: no unit slip
    assert fired(uk_alerts, "unit_slip") == set()
    assert fired(uk_alerts, "real_sales_drop") == set() and fired(uk_alerts, "z2_distress") == set()


def test_a_planted_unit_slip_is_caught_and_the_false_drop_silenced(michigan):
    """410032 reports 1988 sales in dollars ×1000 by mistake (43,000,000,000): the slip
    fires in 1988 and when it comes back in 1989, and the 1989 'drop' of 99.9% is not
    reported as a real sales drop."""
    data = michigan.copy()
    slip = (data["national_id"] == "410032") & (data["year"] == 1988)
    data.loc[slip, "sales"] *= 1000
    alerts = alerts_of(data, prices=US_CPI, base_year=1987)
    slips = alerts.frame[alerts.frame["rule"] == "unit_slip"]
    assert slips[["national_id", "period", "kpi"]].values.tolist() == [
        ["410032", 1988, "sales"],
        ["410032", 1989, "sales"],
    ]
    assert [e["sales"]["factor"] for e in slips["evidence"]] == [1000.0, 0.001]
    assert ("410032", 1989) not in fired(alerts, "real_sales_drop")
    clean = alerts_of(michigan, prices=US_CPI, base_year=1987)
    assert fired(alerts, "real_sales_drop") == fired(clean, "real_sales_drop")
