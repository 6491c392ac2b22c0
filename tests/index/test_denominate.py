"""Denomination: COINr's x / (denominator / scale), zero denominators left missing and reported."""

import numpy as np
import pytest

from rasad.index._stats import ColumnInputError
from rasad.index.denominate import denominate

nan = np.nan


def test_divides_denominated_columns_and_leaves_the_others():
    X = np.array([[10.0, 3.0], [20.0, 4.0], [nan, 5.0]])
    D = np.array([[2.0, nan], [5.0, nan], [4.0, nan]])
    result = denominate(X, D)
    np.testing.assert_array_equal(result.values, [[5.0, 3.0], [4.0, 4.0], [nan, 5.0]])
    assert result.zero_denominators == []


def test_scale_factor_multiplies_as_coinr_divides_the_denominator_by_it():
    X = np.array([[3.0], [7.0]])
    D = np.array([[1500.0], [2000.0]])
    result = denominate(X, D, scale=[1000.0])
    np.testing.assert_array_equal(result.values[:, 0], [3.0 / 1.5, 7.0 / 2.0])
    # NaN scale means "no factor"
    np.testing.assert_array_equal(denominate(X, D, scale=[nan]).values, X / D)


def test_zero_denominator_gives_missing_and_is_reported_where_a_value_was_lost():
    X = np.array([[1.0, 2.0], [nan, 3.0], [4.0, 0.0], [5.0, 6.0]])
    D = np.array([[0.0, 1.0], [0.0, 2.0], [2.0, 0.0], [nan, 3.0]])
    result = denominate(X, D)
    np.testing.assert_array_equal(result.values, [[nan, 2.0], [nan, 1.5], [2.0, nan], [nan, 2.0]])
    # (1, 0) had no value to lose; (3, 0) has a missing denominator, not a zero one
    assert result.zero_denominators == [(0, 0), (2, 1)]


def test_input_untouched_and_memory_order_kept():
    X = np.asfortranarray(np.arange(12.0).reshape(6, 2) + 1)
    D = np.asfortranarray(np.full((6, 2), 2.0))
    before = X.copy()
    result = denominate(X, D)
    assert result.values.flags.f_contiguous
    np.testing.assert_array_equal(X, before)
    np.testing.assert_array_equal(result.values, before / 2)


@pytest.mark.parametrize("where", ["data", "denominators"])
def test_infinity_is_refused_naming_the_column_and_row(where):
    X = np.ones((3, 2))
    D = np.full((3, 2), 2.0)
    (X if where == "data" else D)[2, 1] = np.inf
    with pytest.raises(ColumnInputError) as caught:
        denominate(X, D)
    assert caught.value.column == 1 and caught.value.row == 2
    assert "infinite" in caught.value.message_en and caught.value.message_fa


def test_shapes_must_agree():
    with pytest.raises(ValueError, match="shape"):
        denominate(np.ones((3, 2)), np.ones((3, 1)))
    with pytest.raises(ValueError, match="scale"):
        denominate(np.ones((3, 2)), np.ones((3, 2)), scale=[1.0])
    with pytest.raises(ValueError, match="non-zero"):
        denominate(np.ones((3, 1)), np.ones((3, 1)), scale=[0.0])
