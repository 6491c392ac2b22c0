"""Screening by data availability, as COINr's Screen(unit_screen = "byNA")."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rasad.errors import RasadInputError
from rasad.index.screen import screen

nan = np.nan
X = np.array(
    [
        [1.0, 2.0, 3.0],
        [1.0, nan, 3.0],
        [nan, nan, 3.0],
        [nan, nan, nan],
    ]
)
IDS = np.array(["a", "b", "c", "d"], dtype=object)


def test_coverage_is_coinrs_one_minus_missing_share():
    result = screen(X, 0.5)
    np.testing.assert_array_equal(result.coverage, [1.0, 1 - 1 / 3, 1 - 2 / 3, 0.0])
    np.testing.assert_array_equal(result.keep_mask, [True, True, False, False])


def test_a_unit_exactly_at_the_threshold_stays():
    # COINr drops only units strictly below; 1 - 1/3 is one ulp above 2/3 and must be kept
    # at COINr's default threshold 2/3, as COINr keeps it
    assert 1 - 1 / 3 != 2 / 3
    np.testing.assert_array_equal(screen(X, 2 / 3).keep_mask, [True, True, False, False])
    np.testing.assert_array_equal(screen(X, 1.0).keep_mask, [True, False, False, False])
    assert screen(X, 0.0).keep_mask.all()


def test_forced_inclusion_and_exclusion_exclusion_wins():
    result = screen(X, 0.5, include=["c", "d"], exclude=["a", "d"], unit_ids=IDS)
    np.testing.assert_array_equal(result.keep_mask, [False, True, True, False])


def test_unknown_forced_ids_are_refused_by_name():
    with pytest.raises(RasadInputError) as caught:
        screen(X, 0.5, include=["c", "zz"], unit_ids=IDS)
    assert caught.value.field == "include" and caught.value.value == ["zz"]
    with pytest.raises(RasadInputError, match="exclude"):
        screen(X, 0.5, exclude=["yy"], unit_ids=IDS)
    with pytest.raises(ValueError, match="ids"):
        screen(X, 0.5, include=["a"])


@pytest.mark.parametrize("threshold", [-0.1, 1.5])
def test_threshold_outside_zero_one_is_refused(threshold):
    with pytest.raises(RasadInputError) as caught:
        screen(X, threshold)
    assert caught.value.field == "threshold"


@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 30), st.integers(1, 8)),
        elements=st.sampled_from([nan, 0.0, 1.5, -2.0]),
    ),
    st.floats(0, 1),
)
def test_layout_does_not_matter_and_keep_means_coverage_at_least_threshold(data, threshold):
    c = screen(np.ascontiguousarray(data), threshold)
    f = screen(np.asfortranarray(data), threshold)
    np.testing.assert_array_equal(c.coverage, f.coverage)
    np.testing.assert_array_equal(c.keep_mask, c.coverage >= threshold)
    np.testing.assert_array_equal(c.keep_mask, f.keep_mask)
