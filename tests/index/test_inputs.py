"""The SME-100 input table: real growth, Altman Z'', credit access, reference groups."""

import numpy as np
import pandas as pd
import pytest

from rasad.errors import RasadInputError
from rasad.index.inputs import altman_z2, sme_inputs

PRICES = pd.Series({1402: 100.0, 1403: 140.0})


def _returns():
    return pd.DataFrame(
        [
            # unit, year, sales, employees, intermediate_inputs, current_assets,
            # current_liabilities, retained_earnings, ebit, equity, total_assets,
            # total_liabilities, credit_requested, credit_received, iso9001, iso14001,
            # standard_mark
            ("A", 1402, 1000.0, 40, 600, 500, 250, 100, 80, 400, 1000, 600, 0, 0, 1, 0, 1),
            ("A", 1403, 1540.0, 44, 900, 700, 300, 150, 120, 500, 1300, 800, 200, 100, 1, 1, 1),
            ("B", 1403, 500.0, 12, 450, 100, 300, -200, -50, -100, 400, 500, 100, 0, 0, 0, np.nan),
        ],
        columns=[
            "national_id",
            "year",
            "sales",
            "employees",
            "intermediate_inputs",
            "current_assets",
            "current_liabilities",
            "retained_earnings",
            "ebit",
            "equity",
            "total_assets",
            "total_liabilities",
            "credit_requested",
            "credit_received",
            "iso9001",
            "iso14001",
            "standard_mark",
        ],
    )


REGISTRY = pd.DataFrame(
    {
        "national_id": ["A", "B"],
        "isic_class": ["1311", "2392"],
        "province_code": [21, 21],
        "estate_code": ["E1", None],
    }
)


def test_hand_computed_inputs():
    table = sme_inputs(_returns(), REGISTRY, 1403, prices=PRICES).set_index("national_id")
    a, b = table.loc["A"], table.loc["B"]
    assert a["sales_growth_real"] == pytest.approx(1540 / 1.4 / 1000 - 1)  # 10% real growth
    assert a["employment_growth"] == pytest.approx(0.1)
    assert a["value_added"] == 640
    z = 6.56 * 400 / 1300 + 3.26 * 150 / 1300 + 6.72 * 120 / 1300 + 1.05 * 500 / 800
    assert a["altman_z2"] == pytest.approx(z)
    assert a["credit_access"] == 0.5 and a["certifications"] == 3
    assert (a["sector"], a["size_class"], a["province"], a["estate"]) == ("13", "small", 21, "E1")
    assert np.isnan(b["sales_growth_real"])  # no return for 1402
    assert b["altman_z2"] < 1.1  # distress zone
    assert b["credit_access"] == 0 and b["size_class"] == "small"
    assert np.isnan(
        b["certifications"]
    )  # the national mark left blank: the count is unknown, not 0


def test_altman_z2_with_no_assets_is_missing():
    assert np.isnan(altman_z2(2.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0))


def test_blank_equity_is_assets_minus_liabilities_in_ranking_and_monitoring():
    """One definition of Z'': a blank book equity is TA − TL in the ranking's input table
    and in monitoring's KPI, so both give the same score (here 6.56·0.2 + 3.26·0.1 +
    6.72·0.05 + 1.05·(400/600) = 2.674)."""
    from rasad.monitor import Kpis

    figures = dict(
        current_assets=[500.0],
        current_liabilities=[300.0],
        retained_earnings=[100.0],
        ebit=[50.0],
        equity=[np.nan],
        total_assets=[1000.0],
        total_liabilities=[600.0],
        iso9001=[1.0],
        iso14001=[np.nan],
        standard_mark=[0.0],
    )
    returns = pd.DataFrame(
        {"national_id": ["A"], "year": [1403], "sales": [900.0], "employees": [20.0], **figures}
    )
    ranked = sme_inputs(returns, REGISTRY, 1403, prices=PRICES).iloc[0]
    monitored = Kpis().compute(returns).frame().iloc[0]
    expected = 6.56 * 0.2 + 3.26 * 0.1 + 6.72 * 0.05 + 1.05 * 400 / 600
    assert ranked["altman_z2"] == pytest.approx(expected) == monitored["altman_z2"]
    # a blank certificate is unknown in both, never counted as "not held"
    assert np.isnan(ranked["certifications"]) and np.isnan(monitored["certifications"])


def test_returns_of_unknown_enterprises_are_refused():
    registry = REGISTRY[REGISTRY.national_id == "A"]
    with pytest.raises(RasadInputError) as caught:
        sme_inputs(_returns(), registry, 1403, prices=PRICES)
    assert "not in the registry: B" in caught.value.message_en


def test_a_year_without_returns_or_prices_is_refused():
    with pytest.raises(RasadInputError):
        sme_inputs(_returns(), REGISTRY, 1399, prices=PRICES)
    with pytest.raises(RasadInputError) as caught:
        sme_inputs(_returns(), REGISTRY, 1402, prices=PRICES)
    assert "1401" in caught.value.message_en


@pytest.mark.parametrize("year", [1403, 1402])
def test_two_returns_for_one_firm_and_year_are_refused_in_either_year(year):
    """The year before feeds growth: two returns there failed inside pandas ("cannot
    reindex on an axis with duplicate labels") instead of naming the firm."""
    returns = _returns()
    twice = pd.concat([returns, returns[(returns.national_id == "A") & (returns.year == year)]])
    with pytest.raises(RasadInputError) as caught:
        sme_inputs(twice, REGISTRY, 1403, prices=PRICES)
    assert caught.value.message_en == f"More than one return for year {year} for: A."
    assert caught.value.field == "national_id"


def test_every_derived_column_names_what_it_is_made_from():
    from rasad.index.inputs import DERIVED, DERIVED_FROM

    assert tuple(DERIVED_FROM) == DERIVED


def test_the_figures_a_methodology_reads_are_all_its_data_hash_depends_on():
    """Drop any reported figure outside ``reported_figures`` from the returns and the
    methodology's data hash stays the same: what the admin's guard of published editions
    relies on (an indicator outside it may be deleted). Some inside it change the hash on
    any data (equity need not: the demo's is always assets − liabilities, which Z'' uses
    when it is blank)."""
    from rasad.demo import generate
    from rasad.index import data_hash
    from rasad.index.inputs import reported_figures
    from rasad.index.methodology import bundled, load
    from rasad.methodologies import load_catalogue

    methodology = load(bundled("sme100"))
    population = generate(n_enterprises=60, seed=3)
    returns, registry = population.returns, population.enterprises
    year = int(returns["year"].max())
    reference = data_hash(methodology, sme_inputs(returns, registry, year))
    read = reported_figures(methodology)
    for code in (spec.code for spec in load_catalogue()):
        if code not in returns.columns:
            continue
        try:
            changed = (
                data_hash(methodology, sme_inputs(returns.drop(columns=code), registry, year))
                != reference
            )
        except RasadInputError:  # sales and employees: the table cannot be made without them
            changed = True
        if code not in read:
            assert not changed, code
        elif code in ("sales", "employees", "total_assets", "exports", "rd_expenditure"):
            assert changed, code
