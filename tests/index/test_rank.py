"""Competition ranks (ties share the best rank), overall and within groups, equal to
scipy's ``rankdata(method="min")`` on the negated scores."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rasad.index.rank import rank_min

scipy_stats = pytest.importorskip("scipy.stats")
NAN = np.nan


def test_ties_share_the_best_rank_and_nan_stays_unranked():
    np.testing.assert_array_equal(rank_min([3, 1, 3, NAN, 2]), [1, 4, 1, NAN, 3])
    np.testing.assert_array_equal(rank_min([3, 1, 3, NAN, 2], descending=False), [3, 1, 3, NAN, 2])


def test_within_groups_and_units_in_no_group():
    scores = [5, 1, 5, 2, NAN, 9, 7, 7]
    groups = [0, 0, 0, 1, 1, -1, 1, 1]
    np.testing.assert_array_equal(rank_min(scores, groups=groups), [1, 3, 1, 3, NAN, NAN, 1, 1])


def test_edge_cases():
    assert rank_min([]).shape == (0,)
    np.testing.assert_array_equal(rank_min([NAN, NAN]), [NAN, NAN])
    np.testing.assert_array_equal(rank_min([0.0, -0.0, np.inf, -np.inf]), [2, 2, 1, 4])
    np.testing.assert_array_equal(rank_min([1.0, 2.0], groups=[-1, -1]), [NAN, NAN])
    assert rank_min([4.0]).dtype == np.float64


@pytest.mark.parametrize("n_groups", [300, 70_000])  # 16-bit and 64-bit group codes
def test_many_groups(n_groups):
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 50, 300_000).astype(float)
    groups = rng.integers(0, n_groups, scores.size)
    ours = rank_min(scores, groups=groups)
    for g in rng.choice(n_groups, 100, replace=False):
        members = groups == g
        np.testing.assert_array_equal(
            ours[members], scipy_stats.rankdata(-scores[members], method="min")
        )


def test_bad_arguments():
    with pytest.raises(ValueError):
        rank_min(np.ones((2, 2)))
    with pytest.raises(ValueError):
        rank_min([1.0, 2.0], groups=[0.5, 1.0])
    with pytest.raises(ValueError):
        rank_min([1.0, 2.0], groups=[0])


def _expected(scores, groups=None):
    expected = np.full(scores.shape, NAN)
    if groups is None:
        groups = np.zeros(scores.shape, dtype=int)
    for g in np.unique(groups[groups >= 0]):
        members = (groups == g) & ~np.isnan(scores)
        if members.any():
            expected[members] = scipy_stats.rankdata(-scores[members], method="min")
    return expected


# Few distinct values so that ties are common; NaN and infinities among them.
tied_scores = arrays(
    np.float64,
    st.integers(0, 60),
    elements=st.sampled_from([0.0, -0.0, 1.5, -2.0, 3.25, 1e300, -np.inf, np.inf, NAN]),
)


@settings(max_examples=300, deadline=None)
@given(tied_scores)
def test_equals_scipy_rankdata_min(scores):
    np.testing.assert_array_equal(rank_min(scores), _expected(scores))


@settings(max_examples=300, deadline=None)
@given(
    tied_scores.flatmap(
        lambda s: st.tuples(st.just(s), arrays(np.int64, s.shape, elements=st.integers(-1, 4)))
    )
)
def test_equals_scipy_rankdata_min_within_each_group(data):
    scores, groups = data
    np.testing.assert_array_equal(rank_min(scores, groups=groups), _expected(scores, groups))


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, st.integers(0, 40), elements=st.floats(-1e6, 1e6)))
def test_ascending_is_descending_of_the_negated_scores(scores):
    np.testing.assert_array_equal(rank_min(scores, descending=False), rank_min(-scores))


def test_a_million_units_with_ties_equal_scipy():
    rng = np.random.default_rng(1)
    scores = np.round(rng.normal(50, 10, 1_000_000), 2)
    scores[rng.random(scores.size) < 0.01] = NAN
    groups = rng.integers(-1, 20, scores.size)
    np.testing.assert_array_equal(rank_min(scores), _expected(scores))
    np.testing.assert_array_equal(rank_min(scores, groups=groups), _expected(scores, groups))


@pytest.mark.parametrize("n", [7, 5_000, 300_000])
def test_scores_that_differ_only_in_their_last_bits_equal_scipy(n):
    # The sort keeps a score's high bits and packs its position into the low ones:
    # neighbours a few units in the last place apart, some tied, -0.0 beside 0.0,
    # must come out as scipy orders them.
    rng = np.random.default_rng(n)
    ulps = rng.integers(-40, 40, n) * 2.0**-52
    scores = rng.choice([1.0, -3.0, 0.0, -0.0, 1e-300], n) * (1 + ulps) + rng.choice(
        [0.0, 2.0**-1070], n
    )
    scores[rng.random(n) < 0.05] = NAN
    np.testing.assert_array_equal(rank_min(scores), _expected(scores))
    groups = rng.integers(-1, 3, n)
    np.testing.assert_array_equal(rank_min(scores, groups=groups), _expected(scores, groups))


def test_rank_then_breaks_ties_by_the_second_score():
    """Competition ranks by the first score, equal first scores ordered by the second,
    units equal on both sharing the best rank; a missing first score has no rank and a
    missing second score comes last among its equals. Against the definition, unit by
    unit, on small random cases full of ties."""
    from rasad.index.rank import rank_then

    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 40))
        first = rng.integers(0, 4, n).astype(float)
        second = rng.integers(0, 3, n).astype(float)
        first[rng.random(n) < 0.1] = np.nan
        second[rng.random(n) < 0.1] = np.nan
        tie_break = np.nan_to_num(second, nan=-np.inf)
        ranked = ~np.isnan(first)
        expected = np.full(n, np.nan)
        for i in np.flatnonzero(ranked):
            better = (first[ranked] > first[i]) | (
                (first[ranked] == first[i]) & (tie_break[ranked] > tie_break[i])
            )
            expected[i] = 1 + better.sum()
        np.testing.assert_array_equal(rank_then(first, second), expected)
