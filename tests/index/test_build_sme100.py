"""The bundled SME-100 methodologies (version 2, the default, and version 1) on the demo
population: eligible firms ranked, every exclusion explained, pillar scores that mean
what they say, coverage beside every rank."""

from importlib.resources import files

import numpy as np
import pandas as pd
import pytest

from rasad.index import build, load


@pytest.fixture(scope="module")
def inputs(demo_table):
    return demo_table(3000, 1)


@pytest.fixture(scope="module", params=["sme100", "sme100-v1"])
def methodology(request):
    return load(files("rasad.methodologies") / f"{request.param}.yaml")


@pytest.fixture(scope="module")
def results(inputs, methodology):
    return build(methodology, inputs)


def test_only_small_and_medium_firms_with_enough_data_are_ranked(inputs, results):
    eligible = inputs["size_class"].isin(["small", "medium"])
    log = results.exclusions
    assert set(log.loc[log.step == "eligibility", "national_id"]) >= set(
        inputs.loc[~eligible, "national_id"]
    )
    assert set(results.score.index) <= set(inputs.loc[eligible, "national_id"])
    assert 1500 < len(results.score) <= eligible.sum()
    ranked = results.rank.dropna()
    assert ranked.min() == 1 and ranked.max() <= len(ranked)
    unranked = set(results.rank[results.rank.isna()].index)
    assert unranked <= set(log["national_id"])  # every missing rank is explained


def test_effective_weights_cover_the_index(methodology):
    weights = methodology.effective_weights()
    assert sum(weights[c] for c in methodology.indicator_codes) == pytest.approx(1.0)
    assert weights["finance"] == pytest.approx(1 / 7)
    assert weights["altman_z2"] == pytest.approx(1 / 21)  # a third of the finance pillar


def test_pillars_reflect_the_planted_structure(inputs, results):
    firms = inputs.set_index("national_id").loc[results.score.index]
    innovation = results.scores["innovation"]
    assert (
        innovation[firms["knowledge_based"] == 1].mean()
        > innovation[firms["knowledge_based"] == 0].mean() + 10
    )
    finance = results.scores["finance"]
    assert finance[firms["altman_z2"] < 1.1].mean() < finance[firms["altman_z2"] > 2.6].mean() - 10
    exports = results.scores["exports"]
    assert exports[firms["exports"] > 0].mean() > exports[firms["exports"] == 0].mean()


def test_ranks_within_sector_restart_at_one(results):
    within = results.ranks_within("sector")["SME100"]
    sectors = results.groups["sector"]
    firsts = within.groupby(sectors).min()
    assert (firsts == 1).all()
    assert np.array_equal(
        within.groupby(sectors).count().to_numpy(),
        results.score.groupby(sectors).count().to_numpy(),
    )


def test_keep_final_gives_the_same_results(inputs, methodology, results):
    # keep="final" lets every step work in one matrix: the same numbers must come out
    final = build(methodology, inputs, keep="final")
    assert list(final.datasets) == ["Normalised"]
    pd.testing.assert_frame_equal(final.datasets["Normalised"], results.datasets["Normalised"])
    for name in (
        "scores",
        "ranks",
        "treatment",
        "treated_points",
        "exclusions",
        "warnings",
        "coverage",
    ):
        pd.testing.assert_frame_equal(getattr(final, name), getattr(results, name))
    if methodology.treat.method == "winsorise":  # version 1
        assert not results.treated_points.empty and results.treatment["log_transformed"].any()
    else:  # version 2 uses only the order of values: nothing to treat
        assert results.treatment.empty and results.treated_points.empty


def test_coverage_stands_beside_every_rank(inputs, results):
    """Coverage counts the indicators a firm had a value for before imputation (the
    Denominated data set); ``missing`` names the others."""
    denominated = results.datasets["Denominated"]
    present = denominated.notna()
    coverage = results.coverage
    np.testing.assert_array_equal(coverage["reported"], present.sum(axis=1))
    np.testing.assert_allclose(coverage["coverage"], present.mean(axis=1))
    firm = coverage.index[(coverage["reported"] < 18).to_numpy().argmax()]
    assert coverage.at[firm, "missing"] == ",".join(present.columns[~present.loc[firm]])
    assert (coverage.loc[present.all(axis=1), "missing"] == "").all()
    table = results.table().set_index("national_id")
    assert list(table.columns[:4]) == ["score", "rank", "coverage", "missing"]
    pd.testing.assert_series_equal(table["coverage"], coverage["coverage"].reindex(table.index))
    assert coverage["coverage"].median() > 0.9
    rule = results.methodology.eligibility
    if rule.coverage_counts == "indicators":  # version 2: the rule counts what the rank shows
        assert coverage["coverage"].min() >= rule.min_data_coverage
        out = results.exclusions[results.exclusions.reason_en.str.startswith("has ")]
        assert len(out) and out.reason_en.str.contains("of the indicators, fewer than 66%").all()
    else:  # version 1 counts the reported sources: a ratio without its denominator still counts
        assert coverage["coverage"].min() < rule.min_data_coverage


def test_coverage_follows_the_units_screening_keeps():
    """ASEM without imputation and with COINr's 95% screening rule: eight countries are
    screened out, and each kept one's coverage still counts its own gaps."""
    from dataclasses import replace
    from pathlib import Path

    asem = load("asem")
    data = pd.read_csv(Path(__file__).parent.parent / "fixtures" / "coinr_asem" / "ASEM_iData.csv")
    screened = replace(
        asem,
        impute=replace(asem.impute, method="none", by=None),
        screen=replace(asem.screen, min_coverage=0.95),
    )
    results = build(screened, data)
    kept = results.scores.index
    denominated = results.datasets["Denominated"]
    assert len(kept) < len(denominated)
    np.testing.assert_array_equal(
        results.coverage["reported"], denominated.loc[kept].notna().sum(axis=1)
    )
    final = build(screened, data, keep="final")
    pd.testing.assert_frame_equal(final.coverage, results.coverage)
