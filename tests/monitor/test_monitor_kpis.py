"""KPIs on small hand-made panels whose every value is worked out by hand."""

import datetime

import numpy as np
import pandas as pd
import pytest

from rasad.errors import RasadInputError
from rasad.iran import deflator, jalali_to_gregorian
from rasad.monitor import KPIS, Deadline, Kpis


def returns(**columns):
    frame = pd.DataFrame(columns)
    frame.insert(0, "national_id", frame.pop("national_id"))
    return frame


def test_growth_nominal_and_real_use_the_bundled_deflator():
    cpi = deflator()
    table = Kpis().compute(
        returns(
            national_id=["a", "a", "a"],
            year=[1400, 1401, 1402],
            sales=[1000.0, 1400.0, 1400.0],
            employees=[10.0, 12.0, 9.0],
        )
    )
    frame = table.frame().set_index("year")
    assert np.isnan(frame.loc[1400, "sales_growth"])  # no previous period: not computable
    assert frame.loc[1401, "sales_growth"] == pytest.approx(0.4)
    real_1401 = 1400 * cpi[1400] / cpi[1401]
    assert frame.loc[1401, "sales_real"] == pytest.approx(real_1401)
    assert frame.loc[1401, "sales_growth_real"] == pytest.approx(real_1401 / 1000 - 1)
    assert frame.loc[1402, "sales_growth_real"] == pytest.approx(cpi[1401] / cpi[1402] - 1)
    assert frame.loc[1402, "employment_growth"] == pytest.approx(9 / 12 - 1)


def test_other_price_index_and_base_year():
    prices = pd.Series({1987: 113.6, 1988: 118.3})
    table = Kpis(prices=prices, base_year=1987).compute(
        returns(national_id=["x", "x"], year=[1987, 1988], sales=[100.0, 110.0])
    )
    frame = table.frame().set_index("year")
    assert frame.loc[1988, "sales_real"] == pytest.approx(110 * 113.6 / 118.3)
    assert frame.loc[1988, "sales_growth_real"] == pytest.approx(1.1 * 113.6 / 118.3 - 1)


def test_ratios_margins_liquidity_leverage_and_status():
    table = Kpis().compute(
        returns(
            national_id=["a"],
            year=[1402],
            sales=[1000.0],
            intermediate_inputs=[600.0],
            employees=[8.0],
            exports=[250.0],
            ebit=[120.0],
            net_profit=[80.0],
            total_assets=[2000.0],
            current_assets=[900.0],
            current_liabilities=[600.0],
            total_liabilities=[1200.0],
            equity=[800.0],
            retained_earnings=[300.0],
            credit_requested=[100.0],
            credit_received=[40.0],
            iso9001=[1.0],
            iso14001=[0.0],
            standard_mark=[1.0],
            technologies_adopted=[4.0],
            knowledge_based=[1.0],
            rd_expenditure=[20.0],
            new_product_sales_share=[12.5],
            defect_rate=[2.0],
            training_hours=[64.0],
            graduate_employees=[2.0],
            capacity_utilisation=[71.0],
        )
    )
    row = table.frame().iloc[0]
    cpi = deflator()
    assert row["value_added"] == 400
    assert row["labour_productivity"] == pytest.approx(400 * cpi[1400] / cpi[1402] / 8)
    assert row["export_share"] == 0.25
    assert row["ebit_margin"] == pytest.approx(0.12)
    assert row["net_margin"] == pytest.approx(0.08)
    assert row["return_on_assets"] == pytest.approx(0.06)
    assert row["current_ratio"] == pytest.approx(1.5)
    assert row["working_capital_ratio"] == pytest.approx(0.15)
    assert row["debt_ratio"] == pytest.approx(0.6)
    # 6.56·0.15 + 3.26·0.15 + 6.72·0.06 + 1.05·(800/1200)
    assert row["altman_z2"] == pytest.approx(0.984 + 0.489 + 0.4032 + 0.7)
    assert row["z2_zone"] == "grey"
    assert row["credit_access"] == pytest.approx(0.4)
    assert row["certifications"] == 2
    assert row["technology_adoption"] == 4 and row["knowledge_based"] == 1
    assert row["rd_intensity"] == pytest.approx(0.02)
    assert row["new_product_share"] == 12.5 and row["defect_rate"] == 2
    assert row["training_intensity"] == 8 and row["graduate_share"] == 0.25
    assert row["capacity_utilisation"] == 71


def test_zero_or_missing_denominators_are_not_computable_and_counted():
    table = Kpis().compute(
        returns(
            national_id=["a", "a", "b", "b", "c"],
            year=[1401, 1402, 1401, 1402, 1402],
            sales=[0.0, 500.0, 100.0, np.nan, 100.0],
            exports=[0.0, 10.0, 5.0, 5.0, 7.0],
            employees=[5.0, 0.0, 4.0, 4.0, np.nan],
            training_hours=[10.0, 10.0, 10.0, 10.0, 10.0],
        )
    )
    frame = table.frame().set_index(["national_id", "year"])
    assert np.isnan(frame.loc[("a", 1401), "export_share"])  # sales 0
    assert np.isnan(frame.loc[("a", 1402), "sales_growth"])  # previous sales 0
    assert np.isnan(frame.loc[("a", 1402), "training_intensity"])  # no employees
    assert np.isnan(frame.loc[("b", 1402), "export_share"])  # sales missing
    coverage = table.coverage().set_index("kpi")
    assert coverage.loc["export_share"].tolist()[2:] == [
        5,
        3,
        1,
        1,
    ]  # returns, computed, missing, zero
    assert coverage.loc["sales_growth"].tolist()[2:] == [5, 0, 4, 1]
    assert coverage.loc["training_intensity"].tolist()[2:] == [5, 3, 1, 1]
    assert coverage.loc["altman_z2"].tolist()[2:] == [5, 0, 5, 0]
    assert set(coverage.columns) >= {"name_fa", "name_en"}
    assert (
        coverage["computed"] + coverage["missing_input"] + coverage["zero_or_negative_base"]
        == coverage["returns"]
    ).all()


def test_growth_is_never_computed_across_a_missing_year():
    table = Kpis().compute(
        returns(national_id=["a", "a"], year=[1400, 1402], employees=[10.0, 5.0])
    )
    frame = table.frame().set_index("year")
    assert np.isnan(frame.loc[1402, "employment_growth"])
    assert table.periods.tolist() == [1400, 1401, 1402]


def test_cagr_over_the_span():
    table = Kpis(cagr_span=2).compute(
        returns(national_id=["a"] * 3, year=[1400, 1401, 1402], employees=[100.0, 90.0, 121.0])
    )
    frame = table.frame().set_index("year")
    assert frame.loc[1402, "employment_cagr"] == pytest.approx(0.1)
    assert np.isnan(frame.loc[1401, "employment_cagr"])


def test_blank_equity_is_the_balance_sheet_identity():
    table = Kpis().compute(
        returns(
            national_id=["a"],
            year=[1402],
            current_assets=[400.0],
            current_liabilities=[300.0],
            retained_earnings=[200.0],
            ebit=[100.0],
            equity=[np.nan],
            total_assets=[1000.0],
            total_liabilities=[600.0],
        )
    )
    assert table.frame().iloc[0]["altman_z2"] == pytest.approx(2.68)  # equity 1000 − 600


@pytest.mark.parametrize(
    ("z2_inputs", "zone"),
    [
        # (WC, RE, EBIT, equity, TA, TL) chosen so Z'' lands on a zone boundary or beside it
        ((0.0, 0.0, 0.0, 2200.0, 1000.0, 2100.0), "grey"),  # Z'' = 1.05 · 2200/2100 = 1.1 exactly
        ((0.0, 0.0, 0.0, 1000.0, 1000.0, 1000.0), "distress"),  # 1.05
        ((0.0, 0.0, 0.0, 2600.0, 1000.0, 1050.0), "grey"),  # 1.05 · 2600/1050 = 2.6 exactly
        ((0.0, 0.0, 0.0, 2700.0, 1000.0, 1050.0), "safe"),  # 2.7
    ],
)
def test_z2_zones_and_their_boundaries(z2_inputs, zone):
    wc, re, ebit, equity, ta, tl = z2_inputs
    table = Kpis().compute(
        returns(
            national_id=["a"],
            year=[1402],
            current_assets=[wc + 100.0],
            current_liabilities=[100.0],
            retained_earnings=[re],
            ebit=[ebit],
            equity=[equity],
            total_assets=[ta],
            total_liabilities=[tl],
        )
    )
    assert table.frame().iloc[0]["z2_zone"] == zone


def test_days_late_against_the_jalali_deadline():
    due = jalali_to_gregorian(1403, 4, 31)
    assert due == datetime.date(2024, 7, 21)  # 1 Farvardin 1403 = 20 March 2024, + 123 days
    table = Kpis().compute(
        returns(
            national_id=["a", "b"],
            year=[1402, 1402],
            submitted_on=pd.to_datetime(["2024-07-25", "2024-06-01"]),
        )
    )
    assert table.frame().set_index("national_id")["days_late"].tolist() == [4, -50]
    assert Deadline(month=6, day=30, calendar="gregorian").date(1988) == datetime.date(1989, 6, 30)
    assert Deadline(month=12, day=30).date(1402) == datetime.date(
        2025, 3, 20
    )  # 30 Esfand 1403, a leap year


def test_registry_gives_groups_and_owed_returns():
    enterprises = pd.DataFrame(
        {
            "national_id": ["a", "b", "c"],
            "isic_class": ["1312", "2392", "0111"],
            "province_code": [29, 29, 23],
            "estate_code": ["E001", "", "E002"],
            "founding_year": [1390, 1401, 1390],
        }
    )
    table = Kpis().compute(
        returns(national_id=["a", "a", "b"], year=[1400, 1401, 1401], employees=[60.0, 5.0, 20.0]),
        enterprises,
    )
    assert table.units.tolist() == ["a", "b", "c"]
    assert table.start.tolist() == [0, 1, 0]  # b founded 1401; c owes from the first period
    frame = table.frame().set_index(["national_id", "year"])
    assert frame.loc[("a", 1400), "division"] == "13" and frame.loc[("a", 1400), "section"] == "C"
    assert frame.loc[("a", 1400), "size_class"] == "medium"
    assert frame.loc[("a", 1401), "size_class"] == "micro"  # the band follows each year's employees
    assert pd.isna(frame.loc[("b", 1401), "estate_code"])


def test_every_kpi_has_both_names_and_a_frame_column():
    table = Kpis().compute(returns(national_id=["a"], year=[1402], sales=[1.0]))
    frame = table.frame()
    for code, spec in KPIS.items():
        assert code in frame.columns
        assert spec.name_fa and spec.name_en and spec.direction in (-1, 0, 1)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: Kpis(cagr_span=0), "cagr_span"),
        (lambda: Kpis(prices=pd.Series({1987: -1.0})), "prices"),
        (lambda: Kpis(prices=pd.Series({1987: 100.0}), base_year=1990), "year"),
        (lambda: Kpis(size_thresholds=(50, 10, 150)), "size_thresholds"),
        (lambda: Kpis(unit=""), "unit"),
        (lambda: Deadline(month=13), "deadline"),
        (lambda: Deadline(month=12, day=31, calendar="jalali"), None),  # 31 Esfand does not exist
        (lambda: Kpis().compute(returns(national_id=["a", "a"], year=[1401, 1401])), "national_id"),
        (lambda: Kpis().compute(returns(national_id=["a"], year=[1401.5])), "year"),
        (lambda: Kpis().compute(returns(national_id=["a"], year=[1380], sales=[1.0])), "year"),
        (lambda: Kpis().compute(returns(national_id=["a"], year=[1401], sales=["many"])), "sales"),
        (lambda: Kpis().compute(pd.DataFrame({"year": [1401]})), "national_id"),
        (
            lambda: Kpis().compute(
                returns(national_id=["a"], year=[1401]),
                pd.DataFrame({"national_id": ["a"], "isic_class": ["0499"]}),
            ),
            "isic_class",
        ),
    ],
)
def test_bad_input_is_refused_in_both_languages(call, field):
    with pytest.raises(RasadInputError) as error:
        call()
    assert error.value.message_en and error.value.message_fa
    assert error.value.message_en != error.value.message_fa
    if field is not None:
        assert error.value.field == field
