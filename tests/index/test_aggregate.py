"""Aggregation: hand-computed cases for every method, COINr's ASEM aggregation, the
means' properties, and the blocked code equal to a plain per-unit reference."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rasad.errors import RasadInputError
from rasad.index import aggregate as aggregate_module
from rasad.index.aggregate import METHODS, RefusedValue, aggregate
from rasad.index.rank import rank_min

FIXTURES = Path(__file__).parent.parent / "fixtures" / "coinr_asem"
NAN = np.nan

# Unit 0 complete; unit 1 lacks child 0; unit 2 has a zero.
X3 = np.array([[1.0, 2.0, 4.0], [NAN, 3.0, 3.0], [5.0, NAN, 0.0]])
W3 = np.array([1.0, 1.0, 2.0])


def _params(method):
    return {"p": 2.0} if method == "generalised" else None


# --- hand-computed cases -----------------------------------------------------------


def test_arithmetic_renormalises_the_weights_over_present_children():
    result = aggregate(X3, W3, "arithmetic")
    # (1 + 2 + 2·4) / 4;  (3 + 2·3) / 3;  (5 + 2·0) / 3
    np.testing.assert_allclose(result.values, [11 / 4, 3.0, 5 / 3], rtol=1e-15)
    assert not result.excluded_mask.any()


def test_geometric_and_harmonic_by_hand():
    X = X3[:2]
    geometric = aggregate(X, W3, "geometric").values
    np.testing.assert_allclose(geometric, [(1 * 2 * 4**2) ** (1 / 4), 3.0], rtol=1e-14)
    harmonic = aggregate(X, W3, "harmonic").values
    np.testing.assert_allclose(harmonic, [4 / (1 + 1 / 2 + 2 / 4), 3.0], rtol=1e-14)


def test_generalised_mean_by_hand_and_its_special_exponents():
    X = X3[:2]
    quadratic = aggregate(X, W3, "generalised", params={"p": 2}).values
    np.testing.assert_allclose(quadratic, [np.sqrt((1 + 4 + 2 * 16) / 4), 3.0], rtol=1e-14)
    cubic_root = aggregate(X, W3, "generalised", params={"p": -0.5}).values
    np.testing.assert_allclose(cubic_root[0], ((1 + 2**-0.5 + 2 * 4**-0.5) / 4) ** -2, rtol=1e-14)
    for p, same_as in ((1, "arithmetic"), (0, "geometric"), (-1, "harmonic")):
        np.testing.assert_array_equal(
            aggregate(X, W3, "generalised", params={"p": p}).values,
            aggregate(X, W3, same_as).values,
        )


def test_borda_by_hand():
    # shares 1/4, 1/4, 1/2. Child 0: unit 2 beats unit 0 → 1/4. Child 1: unit 1 beats
    # unit 0 → 1/4. Child 2 (all three): 0 beats 1 and 2 → 2·1/2; 1 beats 2 → 1/2.
    result = aggregate(X3, W3, "borda")
    np.testing.assert_allclose(result.values, [1.0, 0.75, 0.25], rtol=1e-15)


def test_borda_counts_ties_as_half():
    X = np.array([[1.0, 5.0], [1.0, 3.0], [0.0, 3.0]])
    # Child 0: units 0, 1 tie (½ each) and beat 2. Child 1: unit 0 beats both; 1, 2 tie.
    np.testing.assert_allclose(
        aggregate(X, [1, 1], "borda").values, [(1.5 + 2) / 2, (1.5 + 0.5) / 2, (0 + 0.5) / 2]
    )


def test_copeland_by_hand():
    # Pairs decided by the children both units have, weighing 1, 1, 2: 0 vs 1 on
    # children 1, 2: 1 wins child 1 (1), 0 wins child 2 (2) → 0 outranks 1. 0 vs 2 on
    # children 0, 2: 2 wins child 0 (1), 0 wins child 2 (2) → 0. 1 vs 2 on child 2: 1.
    result = aggregate(X3, W3, "copeland")
    np.testing.assert_array_equal(result.values, [2.0, 0.0, -2.0])


def test_copeland_counts_majorities_where_borda_counts_places():
    # A beats each other unit on two children of three, so Copeland puts it first; B is
    # second or first everywhere, so Borda puts it first.
    X = np.array([[3.0, 0.0, 3.0], [2.0, 3.0, 2.0], [1.0, 2.0, 1.0], [0.0, 1.0, 0.0]])
    np.testing.assert_array_equal(
        aggregate(X, [1, 1, 1], "copeland").values, [3.0, 1.0, -1.0, -3.0]
    )
    np.testing.assert_allclose(
        aggregate(X, [1, 1, 1], "borda").values, [6 / 3, 7 / 3, 4 / 3, 1 / 3]
    )


def test_copeland_balanced_pairs_count_zero_whatever_the_weights_arithmetic():
    # 0.1 + 0.2 is not 0.3 in floating point; the pair still balances
    X = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(aggregate(X, [0.1, 0.2, 0.3], "copeland").values, [0.0, 0.0])
    np.testing.assert_array_equal(aggregate(X, [0.1, 0.2, 0.31], "copeland").values, [-1.0, 1.0])


def test_topsis_minmax_by_hand():
    X = np.array([[0.0, 10.0], [5.0, 0.0], [10.0, 5.0]])
    # min-max → [[0, 1], [.5, 0], [1, .5]], × ½; ideal (½, ½), anti-ideal (0, 0).
    d_best = np.array([0.5, np.hypot(0.25, 0.5), 0.25])
    d_worst = np.array([0.5, 0.25, np.hypot(0.5, 0.25)])
    result = aggregate(X, [1, 1], "topsis", params={"normalisation": "minmax"})
    np.testing.assert_allclose(result.values, d_worst / (d_best + d_worst), rtol=1e-14)


def test_topsis_vector_by_hand():
    X = np.array([[3.0, 4.0], [4.0, 3.0], [0.0, 0.0]])
    # Column norms 5 and 5; v = ½·x/5; ideal (0.4, 0.4), anti-ideal (0, 0).
    v = 0.5 * X / 5
    d_best = np.hypot(v[:, 0] - 0.4, v[:, 1] - 0.4)
    d_worst = np.hypot(v[:, 0], v[:, 1])
    np.testing.assert_allclose(
        aggregate(X, [1, 1], "topsis").values, d_worst / (d_best + d_worst), rtol=1e-14
    )


def test_topsis_manhattan_distance():
    X = np.array([[0.0, 10.0], [5.0, 0.0], [10.0, 5.0]])
    result = aggregate(X, [1, 1], "topsis", params={"normalisation": "minmax", "distance": 1})
    d_best = np.array([0.5, 0.75, 0.25])
    np.testing.assert_allclose(result.values, 1 - d_best, rtol=1e-14)  # d⁺ + d⁻ = 1 here


def test_topsis_gives_one_half_when_nothing_separates_the_units():
    result = aggregate(np.array([[2.0, NAN], [2.0, 7.0]]), [1, 1], "topsis")
    np.testing.assert_array_equal(result.values, [0.5, 0.5])


# --- coverage and missing values ---------------------------------------------------


def test_min_coverage_counts_children_like_coinr_dat_thresh():
    X = np.array([[1.0, NAN, NAN], [1.0, 2.0, NAN], [1.0, 2.0, 3.0]])
    for method in METHODS:
        result = aggregate(X, [1, 1, 1], method, min_coverage=0.5, params=_params(method))
        np.testing.assert_array_equal(result.excluded_mask, [True, False, False])
        assert np.isnan(result.values[0]) and not np.isnan(result.values[1:]).any()


def test_coverage_exactly_at_the_threshold_is_kept():
    # COINr drops a row when sum(!is.na(x))/length(x) < dat_thresh: 7/10 is not < 0.7.
    X = np.ones((1, 10))
    X[0, :3] = NAN
    assert not aggregate(X, np.ones(10), "arithmetic", min_coverage=0.7).excluded_mask[0]
    assert aggregate(X, np.ones(10), "arithmetic", min_coverage=0.71).excluded_mask[0]


def test_a_unit_with_nothing_to_aggregate_is_flagged_not_silently_nan():
    X = np.array([[NAN, NAN], [1.0, NAN], [2.0, 3.0]])
    for method in METHODS:
        result = aggregate(X, [1, 1], method, params=_params(method))
        assert result.excluded_mask.tolist() == [True, False, False], method
        assert np.isnan(result.values[0]) and np.isfinite(result.values[1:]).all(), method


def test_a_unit_whose_present_children_all_weigh_zero_is_flagged():
    result = aggregate(np.array([[1.0, NAN], [1.0, 2.0]]), [0, 1], "arithmetic")
    assert result.excluded_mask.tolist() == [True, False]
    assert result.values[1] == 2.0


# --- values a mean cannot take ---------------------------------------------------


@pytest.mark.parametrize(
    "method, params, bad",
    [
        ("geometric", None, 0.0),
        ("geometric", None, -1.0),
        ("harmonic", None, 0.0),
        ("harmonic", None, -2.0),
        ("generalised", {"p": -2}, 0.0),
        ("generalised", {"p": 0.5}, -1.0),
    ],
)
def test_refused_values_name_the_first_unit_and_its_column(method, params, bad):
    X = np.full((10_000, 3), 5.0)
    X[7000, 1] = bad
    X[9000, 0] = bad
    X[7000, 0] = NAN
    with pytest.raises(RefusedValue) as caught:
        aggregate(X, [1, 1, 1], method, params=params)
    error = caught.value
    assert isinstance(error, RasadInputError)
    assert (error.row, error.column, error.value) == (7000, 1, bad)
    assert "unit 7000" in error.message_en and "۷۰۰۰" in error.message_fa  # Persian digits in fa


@pytest.mark.parametrize(
    "method, params", [("geometric", {}), ("harmonic", {}), ("generalised", {"p": 3})]
)
def test_refused_values_can_exclude_their_units_instead(method, params):
    X = np.array([[1.0, 2.0], [-1.0, 2.0], [NAN, 4.0], [3.0, 3.0]])
    result = aggregate(X, [1, 1], method, params={**params, "nonpositive": "exclude"})
    assert result.excluded_mask.tolist() == [False, True, False, False]
    assert np.isnan(result.values[1])
    np.testing.assert_allclose(result.values[2:], [4.0, 3.0])


def test_zero_is_fine_for_a_positive_power_and_negatives_for_the_arithmetic_mean():
    assert aggregate(np.array([[0.0, 4.0]]), [1, 1], "generalised", params={"p": 2}).values[
        0
    ] == np.sqrt(8)
    assert aggregate(np.array([[-3.0, 1.0]]), [1, 1], "arithmetic").values[0] == -1.0


def test_the_arithmetic_mean_takes_a_negative_weight_as_coinrs_a_amean():
    # a_amean: w / sum(w) over the present children, then sum(w·x), loadings as they are
    X = np.array([[10.0, 20.0, 30.0], [10.0, NAN, 30.0], [NAN, 20.0, NAN]])
    w = np.array([0.65, -0.74, 0.15])
    result = aggregate(X, w, "arithmetic")
    np.testing.assert_allclose(
        result.values[:2], [(6.5 - 14.8 + 4.5) / 0.06, (6.5 + 4.5) / 0.8], rtol=1e-12
    )
    assert result.excluded_mask.tolist() == [False, False, True]  # its only weight is negative


@pytest.mark.parametrize("method", METHODS)
def test_infinite_values_are_refused(method):
    X = np.ones((5, 2))
    X[3, 1] = np.inf
    with pytest.raises(RefusedValue) as caught:
        aggregate(X, [1, 1], method, params=_params(method))
    assert (caught.value.row, caught.value.column) == (3, 1)


@pytest.mark.parametrize(
    "weights, method, params, field",
    [
        ([1, 1], "arithmetic", None, "weights"),
        ([1, -3, 1], "arithmetic", None, "weights"),
        ([1, -1, 1], "geometric", None, "weights"),
        ([1, -1, 1], "copeland", None, "weights"),
        ([0, 0, 0], "arithmetic", None, "weights"),
        ([1, np.nan, 1], "arithmetic", None, "weights"),
        ([1, 1, 1], "median", None, "method"),
        ([1, 1, 1], "generalised", None, "p"),
        ([1, 1, 1], "generalised", {"p": "2"}, "p"),
        ([1, 1, 1], "arithmetic", {"p": 2}, "p"),
        ([1, 1, 1], "geometric", {"nonpositive": "ignore"}, "nonpositive"),
        ([1, 1, 1], "topsis", {"normalisation": "sum"}, "normalisation"),
        ([1, 1, 1], "topsis", {"distance": 0.5}, "distance"),
    ],
)
def test_bad_arguments_name_their_field(weights, method, params, field):
    with pytest.raises(RasadInputError) as caught:
        aggregate(np.ones((2, 3)), weights, method, params=params)
    assert caught.value.field == field
    assert caught.value.message_fa


def test_min_coverage_outside_zero_one_is_refused():
    with pytest.raises(RasadInputError) as caught:
        aggregate(np.ones((2, 3)), [1, 1, 1], "arithmetic", min_coverage=1.5)
    assert caught.value.field == "min_coverage"


# --- COINr's ASEM aggregation -------------------------------------------------------


def _coinr(name):
    return pd.read_csv(FIXTURES / f"{name}.csv").set_index("uCode")


def test_coinr_asem_aggregation_level_by_level():
    """Pillars from indicators, sub-indexes from pillars, the Index from sub-indexes:
    COINr 1.1.14's weighted arithmetic means (iMeta's Weight, Parent, Level) to 1e-9."""
    meta = pd.read_csv(FIXTURES / "ASEM_iMeta.csv")
    meta = meta[meta["Level"].notna()]
    expected = _coinr("dset_Aggregated")
    data = _coinr("dset_Normalised")
    for level in sorted(meta["Level"].unique())[:-1]:
        members = meta[meta["Level"] == level]
        for parent, children in members.groupby("Parent", sort=False):
            X = np.asfortranarray(data[children["iCode"]].to_numpy())
            result = aggregate(X, children["Weight"].to_numpy(), "arithmetic")
            assert not result.excluded_mask.any()
            data[parent] = result.values
            np.testing.assert_allclose(result.values, expected[parent], rtol=0, atol=1e-9)
    scores = _coinr("index_scores_ranks")
    np.testing.assert_allclose(data.loc[scores.index, "Index"], scores["Index"], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(
        rank_min(data.loc[scores.index, "Index"].to_numpy()), scores["Rank"]
    )
    ranks = _coinr("results_aggs_ranks")
    for code in ranks.columns:
        np.testing.assert_array_equal(
            rank_min(data.loc[ranks.index, code].to_numpy()), ranks[code], err_msg=code
        )


def _coinr_levels(methods, weights=None):
    """ASEM's Normalised data aggregated level by level with ``methods[level − 1]``
    from level ``level`` up, and iMeta's weights unless ``weights`` (code → weight)."""
    meta = pd.read_csv(FIXTURES / "ASEM_iMeta.csv")
    meta = meta[meta["Level"].notna()]
    weight = dict(zip(meta["iCode"], meta["Weight"], strict=True)) | (weights or {})
    data = _coinr("dset_Normalised")
    for level, method in zip(sorted(meta["Level"].unique())[:-1], methods, strict=True):
        for parent, children in meta[meta["Level"] == level].groupby("Parent", sort=False):
            codes = list(children["iCode"])
            X = np.asfortranarray(data[codes].to_numpy())
            data[parent] = aggregate(X, [weight[c] for c in codes], method).values
    return data


PILLARS = ("Physical", "ConEcFin", "Political", "Instit", "P2P", "Environ", "Social", "SusEcFin")


@pytest.mark.parametrize(
    "name, methods, copeland",
    [
        ("copeland_top", ("arithmetic", "arithmetic", "copeland"), ("Index",)),
        (
            "copeland_all_levels",
            ("copeland", "copeland", "copeland"),
            (*PILLARS, "Conn", "Sust", "Index"),
        ),
        ("copeland_unequal", ("arithmetic", "copeland", "arithmetic"), ("Conn", "Sust")),
    ],
)
def test_coinr_asem_copeland(name, methods, copeland):
    """COINr 1.1.14's a_copeland at the levels ``methods`` says (make_issue14.R): the
    Copeland scores exactly, the means to 1e-9. ``copeland_unequal`` weighs each
    sub-index's pillars 1, 2, 3…"""
    weights = None
    if name == "copeland_unequal":
        weights = (
            pd.read_csv(FIXTURES / "copeland_unequal_weights.csv")
            .set_index("iCode")["Weight"]
            .to_dict()
        )
    ours = _coinr_levels(methods, weights)
    expected = _coinr(name)
    for code in expected.columns:
        if code in copeland:
            np.testing.assert_array_equal(
                ours.loc[expected.index, code], expected[code], err_msg=code
            )
        else:
            np.testing.assert_allclose(
                ours.loc[expected.index, code], expected[code], rtol=0, atol=1e-9, err_msg=code
            )


def test_coinr_asem_index_by_copeland_from_its_sub_indexes():
    """The Index from COINr's own Conn and Sust scores by Copeland is COINr's a_copeland
    of them; with two equal weights Borda ranks them alike (it is the same majority)."""
    aggregated = _coinr("dset_Aggregated")
    expected = _coinr("copeland_top").loc[aggregated.index, "Index"]
    X = np.asfortranarray(aggregated[["Conn", "Sust"]].to_numpy())
    np.testing.assert_array_equal(aggregate(X, [1, 1], "copeland").values, expected)
    np.testing.assert_array_equal(
        rank_min(aggregate(X, [1, 1], "borda").values), rank_min(expected.to_numpy())
    )


def test_borda_is_not_coinrs_copeland_on_asem():
    """With 5 to 9 children of equal weight, ASEM's pillars ranked by a Borda count and
    by COINr's Copeland differ: the two are different methods, not two scalings."""
    borda = _coinr_levels(("borda", "arithmetic", "arithmetic"))
    copeland = _coinr("copeland_all_levels")
    differ = [
        code
        for code in PILLARS
        if (
            rank_min(borda.loc[copeland.index, code].to_numpy())
            != rank_min(copeland[code].to_numpy())
        ).any()
    ]
    assert len(differ) >= 4, differ


# --- the blocked code against a plain reference --------------------------------------


def _reference_mean(row, w, method, p=None):
    present = ~np.isnan(row)
    x, v = row[present], w[present] / w[present].sum()
    if method == "arithmetic":
        return np.sum(v * x)
    if method == "geometric":
        return np.exp(np.sum(v * np.log(x)))
    if method == "harmonic":
        return 1 / np.sum(v / x)
    return np.sum(v * x**p) ** (1 / p)


def _reference_borda(X, w):
    """The row sums of the weighted outranking matrix with every pair computed, a child
    missing for either unit counting for neither."""
    w = w / w.sum()
    n = len(X)
    scores = np.zeros(n)
    for i in range(n):
        for j in range(n):
            if i != j:
                scores[i] += w[X[i] > X[j]].sum() + w[X[i] == X[j]].sum() / 2
    return scores


def _reference_copeland(X, w):
    """Copeland with every pair decided on the children both units have: +1 where the
    children i wins weigh more than those j wins, −1 where less."""
    n = len(X)
    scores = np.zeros(n)
    for i in range(n):
        for j in range(n):
            margin = w[X[i] > X[j]].sum() - w[X[i] < X[j]].sum()
            scores[i] += 0.0 if abs(margin) < 1e-12 else np.sign(margin)
    return scores


def _coinr_outranking(X, w):
    """COINr's outrankMatrix as written (complete data): upper triangle computed,
    lower triangle 1 − upper, zero diagonal."""
    w = w / w.sum()
    n = len(X)
    orm = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            orm[i, j] = w[X[i] > X[j]].sum() + w[X[i] == X[j]].sum() / 2
            orm[j, i] = 1 - orm[i, j]
    return orm


def _reference_topsis(X, w, normalisation="vector", distance=2):
    if normalisation == "vector":
        N = X / np.sqrt(np.nansum(X**2, axis=0))
    else:
        N = (X - np.nanmin(X, axis=0)) / (np.nanmax(X, axis=0) - np.nanmin(X, axis=0))
    V = N * (w / w.sum())
    best, worst = np.nanmax(V, axis=0), np.nanmin(V, axis=0)
    d_best = np.nansum(np.abs(V - best) ** distance, axis=1) ** (1 / distance)
    d_worst = np.nansum(np.abs(V - worst) ** distance, axis=1) ** (1 / distance)
    return d_worst / (d_best + d_worst)


def _sample(n, k, seed, missing=0.1):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.5, 100, (n, k))
    X[rng.random((n, k)) < missing] = NAN
    X[rng.random(n) < 0.01] = NAN  # some units with nothing at all
    return X, rng.uniform(0.1, 3, k)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize(
    "method, p",
    [
        ("arithmetic", None),
        ("geometric", None),
        ("harmonic", None),
        ("generalised", 2.5),
        ("generalised", -0.7),
    ],
)
def test_means_over_many_blocks_equal_the_reference(order, method, p):
    n = 3 * aggregate_module._BLOCK + 17
    X, w = _sample(n, 7, seed=1)
    X[: aggregate_module._BLOCK] = np.nan_to_num(
        X[: aggregate_module._BLOCK], nan=1.0
    )  # one clean block
    result = aggregate(
        np.asarray(X, order=order),
        w,
        method,
        min_coverage=0.4,
        params={"p": p} if p is not None else None,
    )
    count = (~np.isnan(X)).sum(axis=1)
    expected_out = (count == 0) | (count / 7 < 0.4)
    np.testing.assert_array_equal(result.excluded_mask, expected_out)
    expected = [_reference_mean(X[i], w, method, p) for i in np.flatnonzero(~expected_out)]
    np.testing.assert_allclose(result.values[~expected_out], expected, rtol=1e-12)
    assert np.isnan(result.values[expected_out]).all()


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize(
    "normalisation, distance", [("vector", 2), ("minmax", 2), ("vector", 1), ("minmax", 3)]
)
def test_topsis_over_many_blocks_equals_the_reference(order, normalisation, distance):
    n = 2 * aggregate_module._BLOCK + 5
    X, w = _sample(n, 6, seed=2)
    result = aggregate(
        np.asarray(X, order=order),
        w,
        "topsis",
        min_coverage=0.5,
        params={"normalisation": normalisation, "distance": distance},
    )
    count = (~np.isnan(X)).sum(axis=1)
    keep = count / 6 >= 0.5
    np.testing.assert_array_equal(result.excluded_mask, ~keep)
    expected = _reference_topsis(X[keep], w, normalisation, distance)
    np.testing.assert_allclose(result.values[keep], expected, rtol=0, atol=1e-13)


def test_borda_equals_the_pairwise_row_sum_with_ties_and_gaps():
    rng = np.random.default_rng(3)
    X = rng.integers(0, 5, (60, 4)).astype(float)
    w = np.array([1.0, 2.0, 0.5, 1.5])
    np.testing.assert_allclose(
        aggregate(X, w, "borda").values, _coinr_outranking(X, w).sum(axis=1), rtol=1e-13
    )
    X[rng.random(X.shape) < 0.15] = NAN
    X[5] = NAN
    result = aggregate(X, w, "borda")
    keep = ~np.isnan(X).all(axis=1)
    np.testing.assert_allclose(result.values[keep], _reference_borda(X[keep], w), rtol=1e-13)
    assert result.excluded_mask.tolist() == (~keep).tolist()


@pytest.mark.parametrize(
    "weights",
    [[1, 1, 1, 1], [1, 2, 3, 4], [0.5, 1.5, 1, 2], [100, 50, 1, 1], [0.31, 1.7, 0.2, 2.9]],
)
def test_copeland_equals_coinrs_majority_of_the_outranking_matrix(weights):
    # whole weights (int8 and int16 margins: 152 > 127), whole ratios, and fractions
    rng = np.random.default_rng(4)
    X = rng.integers(0, 4, (70, 4)).astype(float)
    w = np.array(weights, dtype=float)
    expected = np.sign(_coinr_outranking(X, w) - 0.5)
    np.fill_diagonal(expected, 0)
    np.testing.assert_array_equal(aggregate(X, w, "copeland").values, expected.sum(axis=1))


def test_copeland_with_gaps_decides_each_pair_on_the_children_both_units_have():
    rng = np.random.default_rng(6)
    X = rng.integers(0, 4, (50, 5)).astype(float)
    X[rng.random(X.shape) < 0.2] = NAN
    X[7] = NAN
    w = np.array([1.0, 2.0, 0.5, 1.5, 1.0])
    result = aggregate(X, w, "copeland")
    keep = ~np.isnan(X).all(axis=1)
    np.testing.assert_array_equal(result.values[keep], _reference_copeland(X[keep], w))
    assert result.excluded_mask.tolist() == (~keep).tolist()
    reversed_rows = aggregate(X[::-1], w, "copeland").values[::-1]  # COINr's own rule would differ
    np.testing.assert_array_equal(reversed_rows, result.values)


def test_copeland_over_many_blocks_equals_one_block(monkeypatch):
    rng = np.random.default_rng(8)
    X = rng.integers(0, 6, (301, 3)).astype(float)
    X[rng.random(X.shape) < 0.1] = NAN
    for w in ([1.0, 1.0, 2.0], [0.3, 0.45, 1.0]):
        whole = aggregate(X, w, "copeland").values
        monkeypatch.setattr(aggregate_module, "COPELAND_BLOCK_CELLS", 7 * 301)
        np.testing.assert_array_equal(aggregate(X, w, "copeland").values, whole)
        monkeypatch.undo()


def test_copeland_refuses_more_units_than_its_limit_counting_only_those_taking_part(monkeypatch):
    monkeypatch.setattr(aggregate_module, "COPELAND_MAX_UNITS", 4)
    X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 3.0], [0.0, 1.0], [5.0, NAN]])
    assert not np.isnan(aggregate(X, [1, 1], "copeland", min_coverage=1.0).values[:4]).any()
    with pytest.raises(RasadInputError) as caught:
        aggregate(X, [1, 1], "copeland")
    assert caught.value.field == "units" and caught.value.value == 5
    assert "borda" in caught.value.message_en and "کوپلند" in caught.value.message_fa
    assert aggregate(X, [1, 1], "borda").values.shape == (5,)


@pytest.mark.parametrize("method", ["borda", "copeland", "topsis"])
def test_units_below_coverage_take_no_part_in_the_comparisons(method):
    X = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 2.0], [2.0, 3.0, 1.0], [99.0, NAN, NAN]])
    with_outsider = aggregate(X, [1, 2, 3], method, min_coverage=0.5)
    without = aggregate(X[:3], [1, 2, 3], method)
    assert with_outsider.excluded_mask.tolist() == [False, False, False, True]
    np.testing.assert_array_equal(with_outsider.values[:3], without.values)


# --- properties ---------------------------------------------------------------------

finite_positive = st.floats(0.01, 1e4, allow_nan=False)
positive_or_missing = st.one_of(finite_positive, st.just(NAN))


@st.composite
def children(draw, values=positive_or_missing):
    n = draw(st.integers(1, 12))
    k = draw(st.integers(1, 6))
    X = draw(arrays(np.float64, (n, k), elements=values))
    w = draw(arrays(np.float64, k, elements=st.floats(0.05, 10)))
    return X, w


@settings(max_examples=150, deadline=None)
@given(
    children(),
    st.floats(0.01, 1e3),
    st.sampled_from(
        [
            ("arithmetic", None),
            ("geometric", None),
            ("harmonic", None),
            ("generalised", {"p": 3.0}),
            ("borda", None),
            ("copeland", None),
            ("topsis", None),
            ("topsis", {"normalisation": "minmax"}),
        ]
    ),
)
def test_scaling_all_weights_changes_nothing(data, factor, method_params):
    X, w = data
    method, params = method_params
    first = aggregate(X, w, method, params=params)
    second = aggregate(X, w * factor, method, params=params)
    np.testing.assert_array_equal(first.excluded_mask, second.excluded_mask)
    np.testing.assert_allclose(first.values, second.values, rtol=1e-12, atol=1e-12)


@settings(max_examples=150, deadline=None)
@given(children())
def test_harmonic_le_geometric_le_arithmetic(data):
    X, w = data
    arithmetic = aggregate(X, w, "arithmetic").values
    geometric = aggregate(X, w, "geometric").values
    harmonic = aggregate(X, w, "harmonic").values
    ok = ~np.isnan(arithmetic)
    assert (geometric[ok] <= arithmetic[ok] * (1 + 1e-12)).all()
    assert (harmonic[ok] <= geometric[ok] * (1 + 1e-12)).all()


@settings(max_examples=100, deadline=None)
@given(children(values=st.one_of(st.floats(-1e4, 1e4), st.just(NAN))))
def test_generalised_mean_with_p_one_is_the_arithmetic_mean(data):
    X, w = data
    np.testing.assert_array_equal(
        aggregate(X, w, "generalised", params={"p": 1}).values, aggregate(X, w, "arithmetic").values
    )
    near = aggregate(np.abs(X) + 1, w, "generalised", params={"p": 1 + 1e-9}).values
    np.testing.assert_allclose(near, aggregate(np.abs(X) + 1, w, "arithmetic").values, rtol=1e-7)


@settings(max_examples=100, deadline=None)
@given(children(), st.randoms(use_true_random=False))
def test_units_and_children_in_any_order_give_the_same_scores(data, random):
    X, w = data
    rows = list(range(X.shape[0]))
    cols = list(range(X.shape[1]))
    random.shuffle(rows)
    random.shuffle(cols)
    for method in METHODS:
        before = aggregate(X, w, method, params=_params(method)).values
        after = aggregate(X[np.ix_(rows, cols)], w[cols], method, params=_params(method)).values
        np.testing.assert_allclose(after, before[rows], rtol=1e-12, atol=1e-12, err_msg=method)


@pytest.mark.parametrize("method", METHODS)
def test_scores_written_into_out_are_the_scores(method):
    # the engine hands each node a column of its scores matrix
    rng = np.random.default_rng(5)
    X = rng.uniform(1, 100, (300, 4))
    X[rng.random(X.shape) < 0.1] = np.nan
    w = np.array([1.0, 2.0, 1.0, 0.5])
    params = {"p": 2.0} if method == "generalised" else None
    scores = np.full((300, 3), -1.0, order="F")
    result = aggregate(X, w, method, min_coverage=0.5, params=params, out=scores[:, 1])
    expected = aggregate(X, w, method, min_coverage=0.5, params=params)
    assert np.shares_memory(result.values, scores[:, 1])
    np.testing.assert_array_equal(scores[:, 1], expected.values)
    np.testing.assert_array_equal(result.excluded_mask, expected.excluded_mask)
    assert (scores[:, [0, 2]] == -1.0).all()
