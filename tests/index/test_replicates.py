"""The block-at-a-time replicates against one full build per replicate, and the choices
added for them: Dirichlet weights, imputation alternatives, indicators left out."""

from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rasad.index.uncertainty as uncertainty_module
from rasad.errors import RasadInputError
from rasad.index import build, load
from rasad.index.replicates import Replicates
from rasad.index.uncertainty import (
    Draw,
    UncertaintySpec,
    draw_plan,
    replicate_methodology,
    uncertainty,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "coinr_asem"


@pytest.fixture(scope="module")
def demo1500(demo_table):
    return demo_table(1500, 3)


@pytest.fixture(scope="module")
def sme100(demo1500):
    """SME-100 version 1: min-max within sector, group-median imputation, winsorising."""
    return load(files("rasad.methodologies") / "sme100-v1.yaml"), demo1500


@pytest.fixture(scope="module")
def sme100_v2(demo1500):
    """SME-100 version 2: percentiles within sector, blanks lowest, the index rescaled."""
    return load(files("rasad.methodologies") / "sme100.yaml"), demo1500


def both_ways(replicates: Replicates, plan, block_bytes=None, reference="build"):
    """The plan's ranks and scores block by block, and run by run: one full build per
    run (``reference="build"``), or the engine's own aggregation of each run's
    normalised matrix (``"tree"``, the reference when leaving an indicator out would
    change who a full build finds eligible)."""
    shape = (plan.runs, len(replicates.units))
    fast = (np.zeros(shape, dtype=np.int32), np.full(shape, np.nan))
    slow = (np.zeros(shape, dtype=np.int32), np.full(shape, np.nan))
    options = {} if block_bytes is None else {"block_bytes": block_bytes}
    for block in replicates.blocks(plan, **options):
        fast[0][block.runs], fast[1][block.runs] = block.ranks, block.scores
    for r in range(plan.runs):
        if reference == "tree":
            block = replicates._aggregate_one(replicates._stage(plan.draw(r)), plan, r)
            slow[0][r], slow[1][r] = block.ranks[0], block.scores[0]
            continue
        results = build(
            replicate_methodology(replicates.methodology, plan.draw(r)),
            replicates.data,
            keep="final",
        )
        slow[0][r] = results.rank.reindex(replicates.units).fillna(0).to_numpy().astype(int)
        slow[1][r] = results.score.reindex(replicates.units).to_numpy()
    return fast, slow


def assert_same(fast, slow):
    np.testing.assert_array_equal(np.isnan(fast[1]), np.isnan(slow[1]))
    np.testing.assert_allclose(fast[1], slow[1], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(fast[0], slow[0])


def test_blocks_equal_full_builds_on_asem(asem, vignette):
    methodology, data = asem
    spec = UncertaintySpec.from_dict(vignette | {"drop": "all"})
    replicates = Replicates(methodology, data, spec)
    plan = draw_plan(methodology, spec, 60, seed=5)
    assert set(plan.drop) > {-1, 0}
    # small blocks: many blocks per stage, each stage's cached transforms reused
    assert_same(*both_ways(replicates, plan, block_bytes=51 * 8 * 20 * 3))


def test_blocks_equal_full_builds_on_sme100(sme100):
    """Within-sector normalisation with its small-group fallback, group-median
    imputation, missing values and aggregate min_coverage 0.5, units excluded."""
    methodology, data = sme100
    spec = UncertaintySpec.from_dict(
        {
            "weights": {1: {"dirichlet": 20}, 2: {"uniform": 0.3}},
            "impute": [
                {"method": "none"},
                {"method": "group_median", "by": "sector"},
                {"method": "mean"},
            ],
            "normalise": [{"method": "minmax", "range": [1, 100]}, {"method": "percentile_rank"}],
            "aggregate": [
                "arithmetic",
                {"method": "generalised", "p": 2},
                {"method": "generalised", "p": 0.5},
            ],
            "winmax": [10, 40],
            "drop": ["rd_intensity", "current_ratio", "export_markets"],
        }
    )
    replicates = Replicates(methodology, data, spec)
    plan = draw_plan(methodology, spec, 40, seed=2)
    fast, slow = both_ways(replicates, plan, reference="tree")
    assert_same(fast, slow)
    assert set(plan.impute) == {0, 1, 2} and set(plan.aggregate) == {0, 1, 2}
    kept = plan.drop < 0  # and without an indicator left out, a full build agrees too
    fast, slow = both_ways(replicates, plan.rows(np.flatnonzero(kept)))
    assert_same(fast, slow)


def test_a_left_out_indicator_keeps_the_population(asem):
    """Screening by coverage: without an indicator some units would pass a 95% rule
    they fail with all of them. A replicate ranks the units the same choices with every
    indicator would: the analysis compares one population under other constructions."""
    methodology, data = asem
    from dataclasses import replace

    screened = replace(
        methodology,
        screen=replace(methodology.screen, min_coverage=0.95),
        impute=replace(methodology.impute, method="none", by=None),
    )
    spec = UncertaintySpec.from_dict(
        {"drop": ["Tariff", "Gas", "NEET"], "weights": {2: {"uniform": 0.2}}}
    )
    replicates = Replicates(screened, data, spec)
    plan = draw_plan(screened, spec, 30, seed=1)
    fast, slow = both_ways(replicates, plan, reference="tree")
    assert_same(fast, slow)
    ranked = (fast[0] > 0).sum(axis=1)
    assert (ranked == replicates.nominal_rank.notna().sum()).all()
    assert ranked[0] == 43
    wider = build(replicate_methodology(screened, Draw(drop="Tariff")), data, keep="final")
    assert wider.rank.notna().sum() == 44  # a full build without Tariff would rank one unit more


def test_topsis_runs_are_built_one_by_one(asem):
    methodology, data = asem
    spec = UncertaintySpec.from_dict(
        {"aggregate": ["arithmetic", "topsis"], "weights": {2: {"uniform": 0.2}}}
    )
    replicates = Replicates(methodology, data, spec)
    plan = draw_plan(methodology, spec, 12, seed=1)
    assert set(plan.aggregate) == {0, 1}
    topsis = [block for block in replicates.blocks(plan) if plan.aggregate[block.runs[0]] == 1]
    assert all(len(block.runs) == 1 for block in topsis)
    assert_same(*both_ways(replicates, plan))


def test_dirichlet_shares_keep_the_total_and_centre_on_the_nominal(asem):
    methodology, _ = asem
    concentration = 30.0
    spec = UncertaintySpec.from_dict({"weights": {2: {"dirichlet": concentration}}})
    plan = draw_plan(methodology, spec, 20000, seed=11)
    weight_of = {n.code: n.weight for n in methodology.nodes}
    for parent in methodology.nodes:
        siblings = [c for c in parent.children if methodology.levels[c] == 2]
        if len(siblings) < 2:
            continue
        nominal = np.array([weight_of[c] for c in siblings])
        s = nominal / nominal.sum()
        columns = [plan.weight_codes.index(c) for c in siblings]
        weights = plan.weight_factors[:, columns] * nominal
        np.testing.assert_allclose(weights.sum(axis=1), nominal.sum())  # shares still add up
        shares = weights / nominal.sum()
        np.testing.assert_allclose(shares.mean(axis=0), s, atol=0.003)
        np.testing.assert_allclose(shares.var(axis=0), s * (1 - s) / (concentration + 1), rtol=0.05)


def test_a_left_out_indicator_leaves_the_tree(asem):
    methodology, data = asem
    replicate = replicate_methodology(methodology, Draw(drop="Flights"))
    assert "Flights" not in replicate.indicator_codes
    parent = next(n for n in methodology.nodes if "Flights" in n.children)
    assert replicate.node(parent.code).children == tuple(
        c for c in parent.children if c != "Flights"
    )
    plan = draw_plan(methodology, UncertaintySpec.from_dict({"drop": "all"}), 4000, seed=1)
    counts = np.bincount(plan.drop + 1)
    assert len(counts) == len(methodology.indicators) + 1  # nothing left out, or one of the 49
    assert counts.min() > 40 and counts.max() < 130  # uniform: 4000 / 50 = 80 each


def test_drop_all_skips_an_only_child_and_a_listed_only_child_is_refused(asem):
    methodology, data = asem
    from dataclasses import replace

    # make 'LPI' the only child of a new pillar
    nodes = list(methodology.nodes)
    parent = next(n for n in nodes if "LPI" in n.children)
    nodes[nodes.index(parent)] = replace(
        parent, children=tuple(c for c in parent.children if c != "LPI") + ("Solo",)
    )
    solo = replace(parent, code="Solo", children=("LPI",))
    lonely = replace(methodology, nodes=(*nodes, solo))
    assert "LPI" not in UncertaintySpec.from_dict({"drop": "all"}).drop_codes(lonely)
    with pytest.raises(RasadInputError) as caught:
        UncertaintySpec.from_dict({"drop": ["LPI", "Nope"]}).check(lonely)
    assert {p.field for p in caught.value.problems} == {"drop[0]", "drop[1]"}


def test_imputation_alternatives_change_the_replicates(sme100):
    methodology, data = sme100
    spec = UncertaintySpec.from_dict(
        {"impute": [{"method": "none"}, {"method": "group_median", "by": "sector"}]}
    )
    replicates = Replicates(methodology, data, spec)
    plan = draw_plan(methodology, spec, 20, seed=4)
    assert set(plan.impute) == {0, 1}
    ranks = {}
    for block in replicates.blocks(plan):
        for run, row in zip(block.runs, block.ranks, strict=True):
            ranks[int(plan.impute[run])] = row
    nominal = replicates.nominal_rank.fillna(0).to_numpy().astype(int)
    np.testing.assert_array_equal(ranks[1], nominal)  # group_median is the nominal choice
    assert (ranks[0] != nominal).any()
    with pytest.raises(RasadInputError, match="impute"):
        UncertaintySpec.from_dict({"impute": [{"method": "group_mean", "by": "colour"}]}).check(
            methodology
        )


def test_score_statistics(asem, spec):
    methodology, data = asem
    result = uncertainty(methodology, data, spec, runs=50, seed=3)
    nominal = build(methodology, data, keep="final").score
    np.testing.assert_allclose(result.score_stats["score"], nominal)
    np.testing.assert_allclose(
        result.score_stats["mean"], result.scores.astype(float).mean(axis=0), rtol=1e-6
    )
    np.testing.assert_allclose(
        result.score_stats["q95"], np.quantile(result.scores.astype(float), 0.95, axis=0), rtol=1e-6
    )
    table = result.table()
    assert list(table.columns) == [
        "uCode",
        "nominal",
        "mean",
        "median",
        "q05",
        "q95",
        "p_top",
        "score",
        "score_mean",
        "score_q05",
        "score_median",
        "score_q95",
    ]


def test_large_results_live_in_a_temporary_file_with_the_same_statistics(asem, spec, monkeypatch):
    methodology, data = asem
    in_memory = uncertainty(methodology, data, spec, runs=30, seed=9)
    monkeypatch.setattr(uncertainty_module, "IN_MEMORY_BYTES", 1000)
    monkeypatch.setattr(uncertainty_module, "STATS_UNITS", 7)
    mapped = uncertainty(methodology, data, spec, runs=30, seed=9)
    assert isinstance(mapped.ranks, np.memmap) and not isinstance(in_memory.ranks, np.memmap)
    np.testing.assert_array_equal(np.asarray(mapped.ranks), in_memory.ranks)
    pd.testing.assert_frame_equal(mapped.stats, in_memory.stats)
    pd.testing.assert_frame_equal(mapped.score_stats, in_memory.score_stats)


def test_ranks_within_groups_are_refused_in_methodologies_and_specs(sme100):
    methodology, _ = sme100
    with pytest.raises(RasadInputError) as caught:
        UncertaintySpec.from_dict({"normalise": [{"method": "rank"}]}).check(methodology)
    assert caught.value.problems[0].field == "normalise[0]"
    assert "percentile_rank" in caught.value.problems[0].message_en
    UncertaintySpec.from_dict({"normalise": [{"method": "rank", "within": None}]}).check(
        methodology
    )  # pooled: fine
    text = (files("rasad.methodologies") / "sme100-v1.yaml").read_text(encoding="utf-8")
    from rasad.index.methodology import MethodologyError, loads

    with pytest.raises(MethodologyError) as located:
        loads(
            text.replace(
                "normalise: {method: minmax, range: [0, 100], within: sector",
                "normalise: {method: rank, within: sector",
            )
        )
    assert [p.path for p in located.value.problems] == ["steps.normalise.method"]


def test_the_bundled_sme100_spec_runs_on_the_demo_population(sme100_v2):
    from rasad.index.uncertainty import load_spec

    methodology, data = sme100_v2
    spec = load_spec("sme100-uncertainty", methodology=methodology)
    result = uncertainty(methodology, data, spec, runs=200, seed=1, top_k=100)
    stats = result.stats.sort_values("nominal")
    # the nominal leaders stay near the top of about 1,100 ranked firms: their median
    # ranks within the top 60, in the top 100 in three runs of four at least, most always
    assert (stats["median"].head(10) <= 60).all()
    assert (stats["p_top"].head(10) >= 0.75).all() and (stats["p_top"].head(10) == 1).sum() >= 6
    assert (stats["q05"] <= stats["nominal"]).mean() > 0.9 and (
        stats["nominal"] <= stats["q95"]
    ).mean() > 0.9


def test_blocks_equal_full_builds_with_the_index_rescaled_within_sector(sme100_v2):
    """Version 2 rescales the index to a percentile within sector after aggregation and
    breaks equal percentiles by the composite: the block engine must do the same, run by
    run, for every normalisation and aggregation alternative of its spec."""
    from rasad.index.uncertainty import load_spec

    methodology, data = sme100_v2
    spec = load_spec("sme100-uncertainty", methodology=methodology)
    replicates = Replicates(methodology, data, spec)
    plan = draw_plan(methodology, spec, 24, seed=6)
    assert set(plan.normalise) == {0, 1} and set(plan.aggregate) == {0, 1}
    fast, slow = both_ways(replicates, plan, reference="tree")
    assert_same(fast, slow)
    kept = plan.drop < 0
    assert_same(*both_ways(replicates, plan.rows(np.flatnonzero(kept))))


def test_weights_per_level_or_node_in_blocks_and_one_by_one(asem):
    """Equal weights for one level and one node take the block path, PCA weights for a
    level the run-by-run one: both equal a full build per run."""
    from dataclasses import replace

    from rasad.index.methodology import WeightsSpec

    methodology, data = asem
    equal = replace(
        methodology,
        weights=WeightsSpec(levels={1: "equal"}),
        nodes=tuple(
            replace(n, weights="equal") if n.code == "Sust" else n for n in methodology.nodes
        ),
    )
    spec = UncertaintySpec.from_dict(
        {
            "weights": {2: {"uniform": 0.3}, 3: {"uniform": 0.3}},
            "aggregate": ["arithmetic", "geometric"],
        }
    )
    with pytest.raises(
        RasadInputError
    ) as caught:  # Sust's pillars are weighted equally: noise cannot move them
        Replicates(equal, data, spec)
    assert (
        caught.value.problems[0].field == "weights.2"
        and "equal" in caught.value.problems[0].message_en
    )
    spec = UncertaintySpec.from_dict(
        {
            "weights": {3: {"uniform": 0.3}},
            "aggregate": ["arithmetic", "geometric"],
            "normalise": [{"method": "minmax", "range": [1, 100]}],
        }
    )
    for variant, one_by_one in (
        (equal, False),
        (replace(methodology, weights=WeightsSpec(levels={2: "pca"})), True),
    ):
        replicates = Replicates(variant, data, spec)
        plan = draw_plan(variant, spec, 8, seed=4)
        assert all(len(block.runs) == 1 for block in replicates.blocks(plan)) == one_by_one
        assert_same(*both_ways(replicates, plan))


def test_kept_negative_loadings_refuse_aggregations_other_than_the_arithmetic_mean(asem):
    from dataclasses import replace

    from rasad.index.methodology import WeightsSpec

    methodology, data = asem
    kept = replace(methodology, weights=WeightsSpec(levels={2: "pca"}, negative="keep"))
    spec = UncertaintySpec.from_dict({"aggregate": ["arithmetic", "borda", "copeland"]})
    with pytest.raises(RasadInputError) as caught:
        Replicates(kept, data, spec)
    assert [p.field for p in caught.value.problems] == ["aggregate[1]", "aggregate[2]"]
    assert "keep" in caught.value.problems[0].message_en and caught.value.problems[1].message_fa
    Replicates(
        replace(kept, weights=WeightsSpec(levels={2: "pca"})), data, spec
    )  # zeroed loadings: any method


def test_borda_and_copeland_runs_equal_full_builds(asem):
    methodology, data = asem
    spec = UncertaintySpec.from_dict(
        {"aggregate": ["borda", "copeland"], "weights": {2: {"uniform": 0.2}}}
    )
    replicates = Replicates(methodology, data, spec)
    plan = draw_plan(methodology, spec, 6, seed=2)
    assert set(plan.aggregate) == {0, 1}
    assert_same(*both_ways(replicates, plan))
