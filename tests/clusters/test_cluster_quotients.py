"""Location quotients on small regions worked by hand, and the firm figures behind them."""

import numpy as np
import pandas as pd
import pytest

from rasad.clusters import firm_figures, location_quotients

# Two provinces, two sectors. Yazd (21): textiles (1312) 30 + 10, tiles (2392) 60 → 100.
# East Azerbaijan (3): textiles 20, tiles 180 → 200. Nation: textiles 60, tiles 240, all 300.
FIRMS = pd.DataFrame({
    "national_id": ["a1", "a2", "a3", "b1", "b2"],
    "isic_class": ["1312", "1312", "2392", "1312", "2392"],
    "province_code": [21, 21, 21, 3, 3],
    "estate_code": ["E1", "E1", None, "E2", ""],
    "employees": [30.0, 10.0, 60.0, 20.0, 180.0],
    "sales": [100.0, 50.0, 300.0, 50.0, 500.0],
})


def _cell(table, region, sector, column="lq", region_col="province_code", sector_col="division"):
    row = table[(table[region_col] == region) & (table[sector_col] == sector)]
    assert len(row) == 1
    return row[column].iloc[0]


def test_employment_lq_by_hand():
    lq = location_quotients(FIRMS)
    assert list(lq["province_code"]) == [3, 3, 21, 21]
    assert list(lq["division"]) == ["13", "23", "13", "23"]
    # Yazd textiles: (40/100) / (60/300) = 0.4 / 0.2 = 2.0
    assert _cell(lq, 21, "13") == pytest.approx(2.0)
    # Yazd tiles: (60/100) / (240/300) = 0.6 / 0.8 = 0.75
    assert _cell(lq, 21, "23") == pytest.approx(0.75)
    # East Azerbaijan textiles: (20/200) / 0.2 = 0.5; tiles (180/200) / 0.8 = 1.125
    assert _cell(lq, 3, "13") == pytest.approx(0.5)
    assert _cell(lq, 3, "23") == pytest.approx(1.125)
    yazd_textiles = lq.iloc[2]
    assert yazd_textiles["enterprises"] == 2 and yazd_textiles["value"] == 40
    assert yazd_textiles["region_total"] == 100 and yazd_textiles["sector_total"] == 60
    assert yazd_textiles["national_total"] == 300
    assert yazd_textiles["share_of_region"] == pytest.approx(0.4)
    assert yazd_textiles["share_of_sector"] == pytest.approx(40 / 60)


def test_other_measures():
    # Enterprises: Yazd has 2 of its 3 firms in textiles, the nation 3 of 5:
    # (2/3) / (3/5) = 10/9.
    lq = location_quotients(FIRMS, measure="enterprises")
    assert _cell(lq, 21, "13") == pytest.approx(10 / 9)
    assert (lq["measure"] == "enterprises").all()
    # Sales: Yazd textiles 150 of 450; nation textiles 200 of 1000: (150/450)/(0.2) = 5/3.
    lq = location_quotients(FIRMS, measure="sales")
    assert _cell(lq, 21, "13") == pytest.approx(5 / 3)


def test_quotients_average_to_one_weighted_by_region_share():
    # Σ_r (e_r/e) · LQ_ir = Σ_r e_ir/e_i = 1 for every sector: the quotients of a sector
    # are a weighted average of 1.
    lq = location_quotients(FIRMS)
    weighted = (lq["region_total"] / lq["national_total"] * lq["lq"]).groupby(lq["division"]).sum()
    assert weighted.to_numpy() == pytest.approx([1.0, 1.0])


def test_group_section_and_class_levels():
    firms = FIRMS.assign(isic_class=["1311", "1312", "2392", "1392", "2391"])
    by_group = location_quotients(firms, level="group")
    assert sorted(by_group["group"].unique()) == ["131", "139", "239"]
    # Group 131 is only in Yazd: (40/100) / (40/300) = 3.0
    assert _cell(by_group, 21, "131", sector_col="group") == pytest.approx(3.0)
    by_section = location_quotients(firms, level="section")
    assert set(by_section["section"]) == {"C"}
    assert by_section["lq"].to_numpy() == pytest.approx([1.0, 1.0])
    by_class = location_quotients(firms, level="class")
    assert len(by_class) == 2 * 5


def test_estates_compare_with_the_whole_economy():
    # Firms outside any estate (None, "") count nationally but form no row.
    lq = location_quotients(FIRMS, region="estate")
    assert sorted(lq["estate_code"].unique()) == ["E1", "E2"]
    # E1: textiles 40 of 40 → (40/40) / (60/300) = 5.0; E2: 20 of 20 → 5.0 too
    assert _cell(lq, "E1", "13", region_col="estate_code") == pytest.approx(5.0)
    assert lq["national_total"].iloc[0] == 300


def test_province_names_and_iso_codes_are_read():
    firms = FIRMS.assign(province_code=["یزد", "Yazd", "IR-21", "آذربایجان شرقی", 3])
    assert location_quotients(firms).equals(location_quotients(FIRMS))


def test_a_province_with_no_sector_gets_zero_rows_and_missing_values_are_not_counted():
    firms = pd.concat([FIRMS, pd.DataFrame({
        "national_id": ["c1", "c2"], "isic_class": ["2392", "2392"], "province_code": [0, 0],
        "estate_code": [None, None], "employees": [np.nan, 50.0], "sales": [1.0, 1.0]})],
        ignore_index=True)
    lq = location_quotients(firms)
    markazi_textiles = lq[(lq["province_code"] == 0) & (lq["division"] == "13")].iloc[0]
    assert markazi_textiles["enterprises"] == 0 and markazi_textiles["lq"] == 0.0
    markazi_tiles = lq[(lq["province_code"] == 0) & (lq["division"] == "23")].iloc[0]
    assert markazi_tiles["enterprises"] == 2 and markazi_tiles["reporting"] == 1
    # Markazi tiles: (50/50) / (290/350)
    assert markazi_tiles["lq"] == pytest.approx(1 / (290 / 350))


def test_firm_figures_carry_the_latest_reported_value_forward():
    enterprises = pd.DataFrame({"national_id": ["a", "b", "c"], "isic_class": ["1312"] * 3,
                                "province_code": [21, 21, 3]})
    returns = pd.DataFrame({
        "national_id": ["a", "a", "b", "b", "c"],
        "year": [1402, 1403, 1402, 1403, 1401],
        "employees": [10.0, 12.0, 20.0, np.nan, 5.0],
        "sales": [1.0, 2.0, 3.0, 4.0, 5.0],
        "exports": [0.0, 0.0, 1.0, 1.0, np.nan],
    })
    figures = firm_figures(enterprises, returns)
    assert figures.attrs["year"] == 1403
    # a: 1403's 12; b: blank in 1403, so 1402's 20; c: only 1401's 5
    assert figures["employees"].tolist() == [12.0, 20.0, 5.0]
    assert figures["sales"].tolist() == [2.0, 4.0, 5.0]
    assert np.isnan(figures["exports"].iloc[2])
    strict = firm_figures(enterprises, returns, carry_forward=False)
    assert strict["employees"].tolist()[0] == 12.0 and np.isnan(strict["employees"].iloc[1])
    assert np.isnan(strict["employees"].iloc[2])
    as_of = firm_figures(enterprises, returns, year=1402)
    assert as_of["employees"].tolist() == [10.0, 20.0, 5.0]


def test_province_codes_read_as_floats_after_a_csv_with_blanks():
    firms = FIRMS.assign(province_code=FIRMS["province_code"].astype(float))
    assert location_quotients(firms).equals(location_quotients(FIRMS))
