"""Location quotients on small regions worked by hand, and the firm figures behind them."""

import io

import numpy as np
import pandas as pd
import pytest

from rasad.clusters import (
    cluster_stars,
    compare_clusters,
    ellison_glaeser,
    firm_figures,
    location_quotients,
)

# Two provinces, two sectors. Yazd (21): textiles (1312) 30 + 10, tiles (2392) 60 → 100.
# East Azerbaijan (3): textiles 20, tiles 180 → 200. Nation: textiles 60, tiles 240, all 300.
FIRMS = pd.DataFrame(
    {
        "national_id": ["a1", "a2", "a3", "b1", "b2"],
        "isic_class": ["1312", "1312", "2392", "1312", "2392"],
        "province_code": [21, 21, 21, 3, 3],
        "estate_code": ["E1", "E1", None, "E2", ""],
        "employees": [30.0, 10.0, 60.0, 20.0, 180.0],
        "sales": [100.0, 50.0, 300.0, 50.0, 500.0],
    }
)


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
    firms = pd.concat(
        [
            FIRMS,
            pd.DataFrame(
                {
                    "national_id": ["c1", "c2"],
                    "isic_class": ["2392", "2392"],
                    "province_code": [0, 0],
                    "estate_code": [None, None],
                    "employees": [np.nan, 50.0],
                    "sales": [1.0, 1.0],
                }
            ),
        ],
        ignore_index=True,
    )
    lq = location_quotients(firms)
    markazi_textiles = lq[(lq["province_code"] == 0) & (lq["division"] == "13")].iloc[0]
    assert markazi_textiles["enterprises"] == 0 and markazi_textiles["lq"] == 0.0
    markazi_tiles = lq[(lq["province_code"] == 0) & (lq["division"] == "23")].iloc[0]
    assert markazi_tiles["enterprises"] == 2 and markazi_tiles["reporting"] == 1
    # Markazi tiles: (50/50) / (290/350)
    assert markazi_tiles["lq"] == pytest.approx(1 / (290 / 350))


def test_firm_figures_carry_the_latest_reported_value_forward():
    enterprises = pd.DataFrame(
        {"national_id": ["a", "b", "c"], "isic_class": ["1312"] * 3, "province_code": [21, 21, 3]}
    )
    returns = pd.DataFrame(
        {
            "national_id": ["a", "a", "b", "b", "c"],
            "year": [1402, 1403, 1402, 1403, 1401],
            "employees": [10.0, 12.0, 20.0, np.nan, 5.0],
            "sales": [1.0, 2.0, 3.0, 4.0, 5.0],
            "exports": [0.0, 0.0, 1.0, 1.0, np.nan],
        }
    )
    # With no age limit: a: 1403's 12; b: blank in 1403, so 1402's 20; c: only 1401's 5.
    unlimited = firm_figures(enterprises, returns, max_age=None)
    assert unlimited.attrs["year"] == 1403
    assert unlimited["employees"].tolist() == [12.0, 20.0, 5.0]
    assert unlimited["sales"].tolist() == [2.0, 4.0, 5.0]
    assert unlimited["employees_age"].tolist() == [0, 1, 2]
    assert np.isnan(unlimited["exports"].iloc[2])
    # The default age limit is one year: c's 1401 figure is two years old in 1403 and is
    # not carried (before the limit existed this test expected 5 here).
    figures = firm_figures(enterprises, returns)
    assert figures.attrs["max_age"] == 1
    assert figures["employees"].tolist()[:2] == [12.0, 20.0] and np.isnan(
        figures["employees"].iloc[2]
    )
    assert figures["employees_age"].tolist() == [0, 1, pd.NA]
    assert figures.attrs["too_old"]["employees"] == {"firms": 1, "value": 5.0}
    assert figures.attrs["too_old"]["exports"] == {"firms": 0, "value": 0.0}  # c never had exports
    strict = firm_figures(enterprises, returns, carry_forward=False)
    assert strict["employees"].tolist()[0] == 12.0 and np.isnan(strict["employees"].iloc[1])
    assert np.isnan(strict["employees"].iloc[2])
    assert strict.attrs["max_age"] == 0
    as_of = firm_figures(enterprises, returns, year=1402)
    assert as_of["employees"].tolist() == [10.0, 20.0, 5.0]
    assert as_of["employees_age"].tolist() == [0, 0, 1]


# One firm (d) whose last figure is two years old; b and c carry last year's.
# Yazd (21) textiles: a 12 (1403), b 20 (1402, 1403 blank), c 8 (1402, no 1403 return);
# East Azerbaijan (3) textiles: e 15 (1403), d 5 (1401, stopped filing).
AGED_FIRMS = pd.DataFrame(
    {
        "national_id": ["a", "b", "c", "d", "e"],
        "isic_class": ["1312"] * 5,
        "province_code": [21, 21, 21, 3, 3],
    }
)
AGED_RETURNS = pd.DataFrame(
    {
        "national_id": ["a", "a", "b", "b", "c", "d", "e", "e"],
        "year": [1402, 1403, 1402, 1403, 1402, 1401, 1402, 1403],
        "employees": [10.0, 12.0, 20.0, np.nan, 8.0, 5.0, 14.0, 15.0],
        "sales": [1.0] * 8,
        "exports": [0.0] * 8,
    }
)


@pytest.mark.parametrize(("max_age", "kept"), [(0, False), (1, False), (2, True), (None, True)])
def test_a_figure_two_years_old_is_kept_only_at_max_age_two(max_age, kept):
    figures = firm_figures(AGED_FIRMS, AGED_RETURNS, max_age=max_age).set_index("national_id")
    assert bool(figures.loc["d", "employees"] == 5.0) == kept
    assert bool(np.isnan(figures.loc["d", "employees"])) == (not kept)
    # b and c (one year old) are carried unless max_age is 0; a and e are 1403's own
    assert figures.loc[["a", "e"], "employees"].tolist() == [12.0, 15.0]
    assert bool(np.isnan(figures.loc["b", "employees"])) == (max_age == 0)


def test_the_carried_share_of_a_cell_by_hand():
    lq = location_quotients(firm_figures(AGED_FIRMS, AGED_RETURNS))  # max_age 1
    # Yazd textiles: 12 + 20 + 8 = 40, of which b's 20 and c's 8 are carried: 28/40
    assert _cell(lq, 21, "13", "value") == 40
    assert _cell(lq, 21, "13", "carried_firms") == 2
    assert _cell(lq, 21, "13", "carried") == 28
    assert _cell(lq, 21, "13", "carried_share") == pytest.approx(0.7)
    # East Azerbaijan textiles: d's 1401 figure is too old, so e's 15 alone, none carried
    assert _cell(lq, 3, "13", "value") == 15 and _cell(lq, 3, "13", "carried_share") == 0
    assert _cell(lq, 3, "13", "enterprises") == 2 and _cell(lq, 3, "13", "reporting") == 1
    lq2 = location_quotients(firm_figures(AGED_FIRMS, AGED_RETURNS, max_age=2))
    # now d's 5 counts and is carried: 5 / (15 + 5) = 0.25
    assert _cell(lq2, 3, "13", "value") == 20
    assert _cell(lq2, 3, "13", "carried_share") == pytest.approx(0.25)
    assert _cell(lq2, 21, "13", "carried_share") == pytest.approx(0.7)
    # only this year's returns: nothing carried; firm counts are never "carried"
    lq0 = location_quotients(firm_figures(AGED_FIRMS, AGED_RETURNS, max_age=0))
    assert _cell(lq0, 21, "13", "value") == 12 and _cell(lq0, 21, "13", "carried_share") == 0
    counts = location_quotients(firm_figures(AGED_FIRMS, AGED_RETURNS), measure="enterprises")
    assert counts["carried_share"].tolist() == [0.0, 0.0]


def test_the_carried_share_is_unknown_for_firms_not_made_by_firm_figures():
    lq = location_quotients(FIRMS)
    assert lq["carried_share"].isna().all() and lq["carried"].isna().all()


def test_province_codes_read_as_floats_after_a_csv_with_blanks():
    firms = FIRMS.assign(province_code=FIRMS["province_code"].astype(float))
    assert location_quotients(firms).equals(location_quotients(FIRMS))


def test_stars_comparison_and_agglomeration_carry_the_share_through():
    firms = firm_figures(AGED_FIRMS, AGED_RETURNS)
    stars = cluster_stars(location_quotients(firms), min_enterprises=1)
    assert _cell(stars, 21, "13", "carried_share") == pytest.approx(0.7)
    designated = pd.DataFrame({"code": ["K"], "province_code": [21], "division": ["13"]})
    table = compare_clusters(stars, designated, min_stars=1)
    assert table.loc[table["code"] == "K", "carried_share"].iloc[0] == pytest.approx(0.7)
    # the stars table read back from a CSV still finds its region and sector columns
    assert len(
        compare_clusters(
            pd.read_csv(io.StringIO(stars.to_csv(index=False)), dtype={"division": str}),
            designated,
            min_stars=1,
        )
    ) == len(table)
    # textiles nationally: 40 in Yazd + 15 in East Azerbaijan, of which 28 carried
    eg = ellison_glaeser(firms, draws=0)
    assert eg["value"].iloc[0] == 55 and eg["carried_share"].iloc[0] == pytest.approx(28 / 55)
    assert np.isnan(ellison_glaeser(FIRMS, draws=0)["carried_share"]).all()
