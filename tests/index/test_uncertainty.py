"""Uncertainty analysis on ASEM against COINr 1.1.14's vignette (N = 100, its RankStats)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rasad.errors import RasadInputError
from rasad.index import build
from rasad.index.uncertainty import (
    Draw,
    UncertaintySpec,
    draws,
    replicate_methodology,
    uncertainty,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "coinr_asem"


@pytest.fixture(scope="module")
def result(asem, spec):
    methodology, data = asem
    return uncertainty(methodology, data, spec, runs=100, seed=1)


def test_matches_coinr_rank_stats(result):
    coinr = pd.read_csv(FIXTURES / "UA_N100_RankStats.csv").set_index("uCode")
    ours = result.stats.loc[coinr.index]
    assert list(result.stats.columns) == ["nominal", "mean", "median", "q05", "q95", "p_top"]
    assert (ours["nominal"].to_numpy() == coinr["Nominal"].to_numpy()).all()
    # different random streams: medians agree within a rank for most units and the
    # 90% intervals overlap for all (with seeds 1–11 the share within ±1 is 0.90–1.0)
    assert ((ours["median"] - coinr["Median"]).abs() <= 1).mean() >= 0.9
    overlap = (ours["q05"] <= coinr["Q95"]) & (coinr["Q5"] <= ours["q95"])
    assert overlap.all(), list(coinr.index[~overlap])


def test_result_shapes_and_invariants(result):
    stats, ranks = result.stats, result.ranks
    assert ranks.shape == (100, 51) and ranks.dtype.kind == "i"
    assert ((ranks >= 1) & (ranks <= 51)).all()
    assert stats.index.name == "uCode"
    assert (stats["q05"] <= stats["median"]).all() and (stats["median"] <= stats["q95"]).all()
    assert (stats["p_top"] == 1.0).all()  # 51 units, top 100
    np.testing.assert_allclose(stats["mean"], ranks.mean(axis=0))
    np.testing.assert_allclose(stats["q95"], np.quantile(ranks, 0.95, axis=0))
    # R's type 7 by hand for one unit
    column = np.sort(ranks[:, 0].astype(float))
    h = (100 - 1) * 0.05
    assert stats["q05"].iloc[0] == pytest.approx(
        column[int(h)] + (h - int(h)) * (column[int(h) + 1] - column[int(h)])
    )


def test_p_top_counts_ranks_within_k(asem, spec):
    methodology, data = asem
    small = uncertainty(methodology, data, spec, runs=10, seed=3, top_k=10)
    np.testing.assert_allclose(small.stats["p_top"], (small.ranks <= 10).mean(axis=0))
    assert 0 < small.stats["p_top"].sum() <= 10


def test_seeded_and_reproducible(asem, spec):
    methodology, data = asem
    first = uncertainty(methodology, data, spec, runs=8, seed=7)
    again = uncertainty(methodology, data, spec, runs=8, seed=7)
    other = uncertainty(methodology, data, spec, runs=8, seed=8)
    np.testing.assert_array_equal(first.ranks, again.ranks)
    pd.testing.assert_frame_equal(first.stats, again.stats)
    assert not np.array_equal(first.ranks, other.ranks)


def test_draws_follow_the_spec(asem, spec):
    methodology, _ = asem
    drawn = draws(methodology, spec, 200, seed=1)
    levels = methodology.levels
    noisy = {code for code, level in levels.items() if level in (2, 3)}
    for draw in drawn:
        assert set(draw.weight_factors) == noisy
        assert all(0.75 <= f <= 1.25 for f in draw.weight_factors.values())
        assert 1 <= draw.winmax <= 5
    assert {d.winmax for d in drawn} == {1, 2, 3, 4, 5}
    assert {d.aggregate.method for d in drawn} == {"arithmetic", "geometric"}
    assert {dict(d.normalise)["method"] for d in drawn} == {"minmax", "zscore"}


def test_replicate_methodology_applies_a_draw(asem):
    methodology, _ = asem
    draw = Draw(
        weight_factors={"Conn": 1.2, "LPI": 0.8},
        normalise=(("mean", 10.0), ("method", "zscore"), ("sd", 2.0)),
        aggregate=draws(methodology, UncertaintySpec.from_dict({"aggregate": ["geometric"]}), 1, 0)[
            0
        ].aggregate,
        winmax=2,
    )
    replicate = replicate_methodology(methodology, draw)
    assert replicate.node("Conn").weight == pytest.approx(1.2 * methodology.node("Conn").weight)
    assert replicate.indicators[0].weight == pytest.approx(0.8 * methodology.indicators[0].weight)
    assert replicate.normalise.method == "zscore" and replicate.normalise.sd == 2.0
    assert replicate.normalise.range == methodology.normalise.range  # not given: nominal
    assert replicate.aggregate.method == "geometric" and replicate.treat.winmax == 2
    assert (
        methodology.treat.winmax == 5 and methodology.aggregate.method == "arithmetic"
    )  # untouched


def test_zero_noise_and_nominal_choices_reproduce_the_nominal_ranks(asem):
    methodology, data = asem
    assert replicate_methodology(methodology, Draw()) is methodology
    spec = UncertaintySpec.from_dict(
        {
            "weights": {2: {"uniform": 0.0}, 3: {"uniform": 0.0}},
            "normalise": [{"method": "minmax", "range": [0, 100]}],
            "aggregate": ["arithmetic"],
            "winmax": [5, 5],
        }
    )
    result = uncertainty(methodology, data, spec, runs=3, seed=1)
    nominal = build(methodology, data, keep="final").rank
    assert (result.ranks == nominal.to_numpy().astype(int)).all()
    assert (result.stats["q05"] == result.stats["nominal"]).all()


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"weights": {2: {"uniform": 1.0}}}, "weights.2.uniform"),
        ({"weights": {2: {"uniform": -0.1}}}, "weights.2.uniform"),
        ({"weights": {2: {"dirichlet": 0}}}, "weights.2.dirichlet"),
        ({"weights": {2: {"gamma": 0.1}}}, "weights.2.gamma"),
        ({"impute": [{"method": "knn"}]}, "impute[0].method"),
        ({"impute": [{"by": 3}]}, "impute[0].by"),
        ({"impute": []}, "impute"),
        ({"drop": ["a", "a"]}, "drop"),
        ({"drop": "some"}, "drop"),
        ({"weights": {"two": {"uniform": 0.1}}}, "weights.two"),
        ({"normalise": [{"method": "softmax"}]}, "normalise[0].method"),
        ({"normalise": [{"method": "minmax", "range": [100, 1]}]}, "normalise[0].range"),
        ({"normalise": [{"method": "zscore", "sd": 0}]}, "normalise[0].sd"),
        ({"normalise": [{"colour": "red"}]}, "normalise[0].colour"),
        ({"aggregate": ["median"]}, "aggregate[0]"),
        ({"aggregate": ["generalised"]}, "aggregate[0]"),
        ({"winmax": [5, 1]}, "winmax"),
        ({"winmax": [1.5, 3]}, "winmax"),
        ({"runs": 10}, "runs"),
    ],
)
def test_bad_spec_is_refused_with_both_languages(spec, field):
    with pytest.raises(RasadInputError) as caught:
        UncertaintySpec.from_dict(spec)
    problems = getattr(caught.value, "problems", [caught.value])
    assert any(p.field == field for p in problems), [p.field for p in problems]
    assert all(p.message_en and p.message_fa and p.message_en != p.message_fa for p in problems)


def test_every_problem_is_reported_at_once():
    with pytest.raises(RasadInputError) as caught:
        UncertaintySpec.from_dict(
            {"weights": {2: {"uniform": 2}}, "aggregate": ["mode"], "winmax": [3, 1]}
        )
    assert {p.field for p in caught.value.problems} == {
        "weights.2.uniform",
        "aggregate[0]",
        "winmax",
    }


def test_choices_the_methodology_cannot_take_are_refused_before_any_replicate(asem, monkeypatch):
    methodology, data = asem
    with pytest.raises(RasadInputError, match="no level 7"):
        uncertainty(
            methodology,
            data,
            UncertaintySpec.from_dict({"weights": {7: {"uniform": 0.1}}}),
            runs=5,
            seed=1,
        )
    for runs in (0, -3, 2.5):
        with pytest.raises(RasadInputError, match="runs"):
            uncertainty(methodology, data, UncertaintySpec(), runs=runs, seed=1)

    def no_replicates(*args, **kwargs):
        raise AssertionError("a replicate ran")

    monkeypatch.setattr("rasad.index.replicates.Replicates.blocks", no_replicates)
    # min-max onto [0, 100] puts a 0 in every indicator: the geometric mean cannot take it
    with pytest.raises(RasadInputError, match="geometric") as caught:
        uncertainty(
            methodology,
            data,
            UncertaintySpec.from_dict({"aggregate": ["arithmetic", "geometric"]}),
            runs=5,
            seed=1,
        )
    assert caught.value.field == "aggregate" and caught.value.message_fa


def test_matches_coinr_rank_stats_with_a_thousand_runs(asem, spec):
    methodology, data = asem
    result = uncertainty(methodology, data, spec, runs=1000, seed=1)
    coinr = pd.read_csv(FIXTURES / "UA_N100_RankStats.csv").set_index("uCode")
    ours = result.stats.loc[coinr.index]
    assert ((ours["median"] - coinr["Median"]).abs() <= 1).mean() >= 0.9
    overlap = (ours["q05"] <= coinr["Q95"]) & (coinr["Q5"] <= ours["q95"])
    assert overlap.all(), list(coinr.index[~overlap])


def test_progress_can_be_a_function(asem, spec):
    methodology, data = asem
    seen = []
    uncertainty(
        methodology,
        data,
        spec,
        runs=40,
        seed=1,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (40, 40) and all(t == 40 for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) > 1


def test_percentile_ranks_meet_a_geometric_mean_as_in_coinr(asem):
    """Percentile ranks give each indicator's worst unit 0. COINr's ``a_gmean`` stops
    on a zero or negative value ("Negative or zero values found when applying geometric
    mean"), and so does the analysis, up front; the generalised mean with p = 0.5 takes
    zeros (what bench_uncertainty's 100,000-unit spec uses instead)."""
    methodology, data = asem
    normalise = [{"method": "minmax", "range": [1, 100]}, {"method": "percentile_rank"}]
    with pytest.raises(RasadInputError, match="geometric") as caught:
        uncertainty(
            methodology,
            data,
            UncertaintySpec.from_dict(
                {"normalise": normalise, "aggregate": ["arithmetic", "geometric"]}
            ),
            runs=20,
            seed=1,
        )
    assert caught.value.field == "aggregate" and "normalise[1]" in caught.value.message_en
    result = uncertainty(
        methodology,
        data,
        UncertaintySpec.from_dict(
            {
                "normalise": normalise,
                "aggregate": ["arithmetic", {"method": "generalised", "p": 0.5}],
            }
        ),
        runs=20,
        seed=1,
    )
    assert result.stats["median"].notna().all()
