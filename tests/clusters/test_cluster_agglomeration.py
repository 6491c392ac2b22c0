"""Ellison–Glaeser against the published reference case, hand-computed cases and random
placement; Herfindahl and Krugman by hand."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rasad.clusters import FLAG_LABELS, ellison_glaeser, herfindahl, krugman

FIXTURES = Path(__file__).parent.parent / "fixtures" / "clusters"


def _plants(regions, sizes, sector="X"):
    return pd.DataFrame({"region": regions, "industry": sector, "employees": sizes})


def test_published_reference_case():
    # Farhauer & Kröll (2014), REAT's ellison.a example: γ = 0.05990628.
    plants = pd.read_csv(FIXTURES / "eg_reference_plants.csv").assign(industry="X")
    totals = pd.read_csv(FIXTURES / "eg_reference_regions.csv").set_index("region")["employees"]
    table = ellison_glaeser(
        plants, level="industry", region="region", region_totals=totals, draws=0
    )
    row = table.iloc[0]
    assert row["gamma"] == pytest.approx(0.0599062841165389, abs=1e-12)
    assert round(row["gamma"], 8) == 0.05990628
    # The parts: x = (Graz 0.1, Linz 0.4, Wien 0.5), Σx² = 0.42; the sector's 70,000
    # employees: Graz 25,000, Linz 32,000, Wien 13,000.
    s = np.array([25000, 32000, 13000]) / 70000
    g = ((s - [0.1, 0.4, 0.5]) ** 2).sum()
    h = ((plants["employees"] / 70000) ** 2).sum()
    assert row["G"] == pytest.approx(g) and row["herfindahl"] == pytest.approx(h)
    assert table.attrs["sum_x2"] == pytest.approx(0.42)
    assert row["plants"] == 10 and row["value"] == 70000 and row["flag"] == "not_tested"


def test_hand_computed_cases():
    # Two regions of equal size (x = ½, ½; Σx² = ½), taken from the plants themselves.
    # Sector S: two plants of 10, both in region A → s = (1, 0): G = ¼ + ¼ = ½, H = ½,
    #   γ = (½ − ½·½) / (½·½) = 1.
    # Sector T: two plants of 10, one in each region → s = (½, ½): G = 0,
    #   γ = (0 − ¼) / ¼ = −1.
    # Sector U: four plants of 5, three in B and one in A → s = (¼, ¾): G = ⅛, H = ¼,
    #   γ = (⅛ − ½·¼) / (½·¾) = 0.
    # Sector V: one plant → H = 1, γ undefined.
    firms = pd.concat(
        [
            _plants(["A", "A"], [10, 10], "S"),
            _plants(["A", "B"], [10, 10], "T"),
            _plants(["B", "B", "B", "A"], [5, 5, 5, 5], "U"),
            _plants(["B"], [10], "V"),  # and it balances the regions: A 20+10+5, B 10+15+10
        ],
        ignore_index=True,
    ).rename(columns={"industry": "sector"})
    table = ellison_glaeser(firms, level="sector", region="region", draws=0).set_index("sector")
    assert table.attrs["sum_x2"] == pytest.approx(0.5)
    assert table.loc["S", "gamma"] == pytest.approx(1.0)
    assert table.loc["T", "gamma"] == pytest.approx(-1.0)
    assert table.loc["U", "gamma"] == pytest.approx(0.0, abs=1e-15)
    assert table.loc["U", "herfindahl"] == pytest.approx(0.25)
    assert np.isnan(table.loc["V", "gamma"]) and table.loc["V", "flag"] == "undefined"

    # Three regions of given sizes x = (0.5, 0.3, 0.2): Σx² = 0.25 + 0.09 + 0.04 = 0.38.
    # Plants 60, 30, 10 one per region → s = (0.6, 0.3, 0.1): G = 0.01 + 0 + 0.01 = 0.02,
    # H = 0.36 + 0.09 + 0.01 = 0.46, γ = (0.02 − 0.62·0.46) / (0.62·0.54) = −0.2652/0.3348.
    three = _plants(["P", "Q", "R"], [60, 30, 10])
    table = ellison_glaeser(
        three,
        level="industry",
        region="region",
        region_totals={
            "P": 50,
            "Q": 30,
            "R": 20,
        },
        draws=0,
    )
    assert table["gamma"].iloc[0] == pytest.approx(-0.2652 / 0.3348)
    assert table["region_herfindahl"].iloc[0] == pytest.approx(0.46)


def test_gamma_is_zero_in_expectation_under_random_placement():
    # 2,000 sectors of 30 plants with log-normal sizes, each plant thrown at one of five
    # regions with probability x_r (fixed, given as region totals), independently of
    # rasad's own sampler. EG show E[γ] = 0 exactly under this placement, so the mean of
    # the 2,000 γ must be within a few standard errors of 0: 4 SE puts the chance of a
    # false failure at 6e-5 (and the seed fixes it anyway).
    rng = np.random.default_rng(2024)
    x = np.array([0.35, 0.25, 0.2, 0.15, 0.05])
    n_sectors, per_sector = 2000, 30
    firms = pd.DataFrame(
        {
            "industry": np.repeat(np.arange(n_sectors), per_sector),
            "region": rng.choice(5, n_sectors * per_sector, p=x),
            "employees": np.round(rng.lognormal(3, 1, n_sectors * per_sector)) + 1,
        }
    )
    table = ellison_glaeser(
        firms, level="industry", region="region", region_totals=dict(enumerate(x * 1e6)), draws=0
    )
    gamma = table["gamma"].to_numpy()
    standard_error = gamma.std(ddof=1) / np.sqrt(n_sectors)
    assert abs(gamma.mean()) < 4 * standard_error
    assert standard_error < 0.01  # the test has power: γ of one agglomerated sector is ~0.05


def test_simulated_null_is_centred_and_calibrated():
    # The same random placement, now judged by rasad's own simulated band: the null mean
    # of each sector is ~0 (within 4 SE of its draws), and about 10% of sectors fall
    # outside the 5%–95% band (5% above, 5% below).
    rng = np.random.default_rng(7)
    x = np.array([0.5, 0.3, 0.15, 0.05])
    n_sectors, per_sector, draws = 300, 25, 400
    firms = pd.DataFrame(
        {
            "industry": np.repeat(np.arange(n_sectors), per_sector),
            "region": rng.choice(4, n_sectors * per_sector, p=x),
            "employees": np.round(rng.lognormal(2.5, 1, n_sectors * per_sector)) + 1,
        }
    )
    table = ellison_glaeser(
        firms,
        level="industry",
        region="region",
        region_totals=dict(enumerate(x)),
        draws=draws,
        seed=3,
    )
    null_se = table["null_sd"] / np.sqrt(draws)
    # per sector the mean of 400 draws; pooled over 300 sectors the grand mean's SE is
    # √(Σ SE²)/300
    pooled_se = np.sqrt((null_se**2).sum()) / n_sectors
    assert abs(table["null_mean"].mean()) < 4 * pooled_se
    outside = (table["flag"] != "random").mean()
    # Binomial(300, 0.1): sd = √(300·0.1·0.9)/300 = 0.0173; 4 sd either side.
    assert 0.1 - 4 * 0.0173 < outside < 0.1 + 4 * 0.0173
    assert set(table["flag"]) <= {"random", "agglomerated", "dispersed"}


def test_reference_case_band_and_reproducibility():
    plants = pd.read_csv(FIXTURES / "eg_reference_plants.csv").assign(industry="X")
    totals = pd.read_csv(FIXTURES / "eg_reference_regions.csv").set_index("region")["employees"]
    kwargs = dict(level="industry", region="region", region_totals=totals, draws=20000, seed=11)
    first = ellison_glaeser(plants, **kwargs)
    again = ellison_glaeser(plants, **kwargs)
    pd.testing.assert_frame_equal(first, again)
    row = first.iloc[0]
    # Ten plants, H = 0.245: random placement gives γ anywhere from about −0.3 to +0.57,
    # so the published γ = 0.06 is well inside the band: not evidence of agglomeration.
    assert row["null_low"] < row["gamma"] < row["null_high"] and row["flag"] == "random"
    assert abs(row["null_mean"]) < 4 * row["null_sd"] / np.sqrt(20000)
    assert 0.2 < row["p_value"] < 0.4
    assert set(FLAG_LABELS) >= set(first["flag"])
    assert all(label["fa"] and label["en"] for label in FLAG_LABELS.values())


def test_herfindahl_by_hand():
    assert herfindahl([1, 1, 1, 1]) == pytest.approx(0.25)
    assert herfindahl([3, 1]) == pytest.approx(0.75**2 + 0.25**2)  # 0.625
    assert herfindahl([5, 0, np.nan]) == 1.0
    by_group = herfindahl([1, 1, 3, 1, 2], groups=["a", "a", "b", "b", "c"])
    assert by_group.to_dict() == pytest.approx({"a": 0.5, "b": 0.625, "c": 1.0})


def test_krugman_by_hand():
    # Yazd: textiles 40, tiles 60 (shares 0.4, 0.6); East Azerbaijan: 20, 180 (0.1, 0.9).
    firms = pd.DataFrame(
        {
            "isic_class": ["1312", "1312", "2392", "1312", "2392"],
            "province_code": [21, 21, 21, 3, 3],
            "employees": [30.0, 10.0, 60.0, 20.0, 180.0],
        }
    )
    # Against the rest of the country (the other province): |0.4 − 0.1| + |0.6 − 0.9| = 0.6
    rest = krugman(firms).set_index("province_code")
    assert rest["krugman"].to_dict() == pytest.approx({3: 0.6, 21: 0.6})
    assert rest.loc[21, "top_sector"] in {"13", "23"} and abs(
        rest.loc[21, "top_gap"]
    ) == pytest.approx(0.3)
    # Against the nation (0.2, 0.8): Yazd |0.2| + |−0.2| = 0.4; East Azerbaijan 0.1 + 0.1 = 0.2
    nation = krugman(firms, reference="nation").set_index("province_code")
    assert nation["krugman"].to_dict() == pytest.approx({3: 0.2, 21: 0.4})
    assert nation.loc[21, "value"] == 100 and nation.loc[21, "sectors"] == 2
    # Nothing in common: the maximum, 2.
    apart = krugman(firms.iloc[[0, 4]])
    assert apart["krugman"].tolist() == pytest.approx([2.0, 2.0])
