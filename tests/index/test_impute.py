"""Imputation: COINr's i_mean, i_median, i_mean_grp, i_median_grp, column by column."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rasad.index._stats import SAMPLED_MEDIAN_ROWS, ColumnInputError, median
from rasad.index.impute import impute

nan = np.nan
GROUPS = np.array([0, 0, 0, 1, 1, -1])
X = np.array(
    [
        # col0     col1  col2  col3  col4
        [1.0, nan, 1.0, nan, nan],
        [nan, nan, 2.0, 1.0, 1.0],
        [5.0, nan, 3.0, 2.0, 2.0],
        [2.0, 4.0, 4.0, 3.0, 3.0],
        [nan, 6.0, 5.0, 4.0, 10.0],
        [nan, 7.0, 6.0, 5.0, nan],
    ]
)


def test_mean():
    result = impute(X, "mean")
    np.testing.assert_allclose(result.values[[1, 4, 5], 0], 8 / 3)
    np.testing.assert_allclose(result.values[:3, 1], 17 / 3)
    np.testing.assert_allclose(result.values[[0, 5], 4], 4.0)
    np.testing.assert_array_equal(result.imputed_mask, np.isnan(X))


def test_median_odd_and_even_counts():
    result = impute(X, "median")
    assert (result.values[[1, 4, 5], 0] == 2.0).all()  # of 1, 5, 2
    assert (result.values[:3, 1] == 6.0).all()  # of 4, 6, 7
    assert (result.values[[0, 5], 4] == 2.5).all()  # of 1, 2, 3, 10: R averages the middle two


def test_group_mean_leaves_empty_groups_and_groupless_units_missing():
    result = impute(X, "group_mean", groups=GROUPS)
    np.testing.assert_array_equal(result.values[:, 0], [1, 3, 5, 2, 2, nan])
    np.testing.assert_array_equal(
        result.values[:, 1], [nan, nan, nan, 4, 6, 7]
    )  # group 0 has nothing
    np.testing.assert_array_equal(result.values[:, 3], [1.5, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(result.values[:, 4], [1.5, 1, 2, 3, 10, nan])
    expected_mask = np.isnan(X) & ~np.isnan(result.values)
    np.testing.assert_array_equal(result.imputed_mask, expected_mask)
    assert result.imputed_mask.sum() == 4


def test_group_median():
    result = impute(X, "group_median", groups=GROUPS)
    np.testing.assert_array_equal(result.values[:, 0], [1, 3, 5, 2, 2, nan])
    np.testing.assert_array_equal(result.values[:, 3], [1.5, 1, 2, 3, 4, 5])
    Y = np.array([[nan], [1.0], [2.0], [9.0], [nan], [0.0], [100.0]])
    result = impute(Y, "group_median", groups=np.array([0, 0, 0, 0, 1, 1, 1]))
    np.testing.assert_array_equal(result.values[:, 0], [2, 1, 2, 9, 50, 0, 100])


def test_none_and_nothing_missing_return_the_input_itself():
    for method, data in (("none", X), ("mean", X[:, [2]])):
        result = impute(data, method)
        assert result.values is data and not result.imputed_mask.any()


def test_input_untouched_and_memory_order_kept():
    F = np.asfortranarray(X)
    result = impute(F, "group_median", groups=GROUPS)
    assert result.values.flags.f_contiguous
    np.testing.assert_array_equal(F, X)


def test_a_column_with_no_values_is_refused_naming_it():
    Y = X.copy()
    Y[:, 3] = nan
    with pytest.raises(ColumnInputError) as caught:
        impute(Y, "mean")
    assert caught.value.column == 3 and "no values" in caught.value.message_en


def test_infinity_is_refused():
    Y = X.copy()
    Y[2, 4] = -np.inf
    with pytest.raises(ColumnInputError) as caught:
        impute(Y, "group_mean", groups=GROUPS)
    assert (caught.value.column, caught.value.row) == (4, 2)


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown"):
        impute(X, "knn")
    with pytest.raises(ValueError, match="group codes"):
        impute(X, "group_mean")
    with pytest.raises(ValueError, match="groups"):
        impute(X, "group_mean", groups=GROUPS[:3])


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_group_methods_equal_pandas_groupby(data):
    n = data.draw(st.integers(1, 60))
    values = data.draw(
        arrays(
            np.float64,
            (n, 3),
            elements=st.one_of(st.just(nan), st.integers(-5, 5).map(float), st.floats(-1e6, 1e6)),
        )
    )
    values[0, np.isnan(values).all(axis=0)] = 1.0  # a column with no values is refused
    groups = data.draw(arrays(np.int64, n, elements=st.integers(-1, 4)))
    frame = pd.DataFrame(values)
    keys = pd.Series(groups).where(groups >= 0)
    for method, how in (("group_mean", "mean"), ("group_median", "median")):
        # pandas cannot transform when no unit has a group; then nothing is filled
        expected = (
            frame.fillna(frame.groupby(keys).transform(how)).to_numpy()
            if keys.notna().any()
            else values
        )
        ours = impute(np.asfortranarray(values), method, groups=groups)
        np.testing.assert_allclose(ours.values, expected, rtol=1e-12, atol=1e-9, equal_nan=True)


@pytest.mark.parametrize("rows", [7, 60, 1000])
def test_small_matrices_group_medians_give_the_column_paths_bits(rows, monkeypatch):
    """Below PARALLEL_ROWS the group medians of every column come from one sort per
    group; the values filled in are those of the column-by-column partial sorts."""
    rng = np.random.default_rng(rows)
    data = rng.lognormal(0, 2, (rows, 5))
    data[rng.random(data.shape) < 0.2] = np.nan
    data[:, 3] = np.nan
    data[0, 3] = 1.5
    groups = rng.integers(-1, 4, rows)
    fast = impute(np.asfortranarray(data), "group_median", groups=groups)
    monkeypatch.setattr("rasad.index.impute.PARALLEL_ROWS", 0)
    slow = impute(np.asfortranarray(data), "group_median", groups=groups)
    np.testing.assert_array_equal(fast.values, slow.values)
    for a, b in zip(fast.imputed_rows, slow.imputed_rows, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shape", ["even", "unequal", "negative_zero", "empty_group"])
@pytest.mark.parametrize("overwrite", [False, True])
def test_small_matrices_group_medians_by_any_sort_give_the_column_paths_bits(
    shape, overwrite, monkeypatch
):
    """Groups of similar sizes are sorted in one padded block, very unequal ones (or
    data with a negative zero) group by group; both fill what the column path fills."""
    rng = np.random.default_rng(len(shape))
    rows = 400
    data = np.round(rng.normal(0, 2, (rows, 6)), 1)  # ties, zeros of both signs
    data[rng.random(data.shape) < 0.25] = np.nan
    data[:, 4] = np.nan
    data[:3, 4] = [0.5, 1.5, 2.5]
    groups = rng.integers(-1, 5, rows)
    if shape == "unequal":
        groups = np.where(rng.random(rows) < 0.9, 0, groups)
    if shape == "negative_zero":
        data[np.abs(data) < 0.3] = -0.0
    else:
        data[data == 0] = 0.0
    if shape == "empty_group":
        groups[groups == 2] = 3
    fast_in = np.asfortranarray(data)
    fast = impute(fast_in, "group_median", groups=groups, overwrite_input=overwrite)
    assert (fast.values is fast_in) == overwrite
    monkeypatch.setattr("rasad.index.impute.PARALLEL_ROWS", 0)
    slow = impute(np.asfortranarray(data), "group_median", groups=groups)
    np.testing.assert_array_equal(fast.values, slow.values)
    np.testing.assert_array_equal(np.signbit(fast.values), np.signbit(slow.values))
    for ours, theirs in [
        (fast.imputed_rows, slow.imputed_rows),
        (fast.missing_rows, slow.missing_rows),
    ]:
        assert len(ours) == len(theirs) == data.shape[1]
        for a, b in zip(ours, theirs, strict=True):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)


def partial_sort_median(values: np.ndarray, present: int) -> float:
    """R's median by one partial sort of every value, as ``median`` always did."""
    values = values.copy()
    high = present // 2
    values.partition(high)
    if present % 2:
        return float(values[high])
    return float((values[:high].max() + values[high]) / 2)


@pytest.mark.parametrize(
    "shape", ["lognormal", "normal", "sorted", "ties", "constant", "two_values", "around_zero"]
)
def test_a_long_vectors_median_by_a_sample_is_the_partial_sorts(shape):
    # the values narrowed down by a sample, found again by the sort when the sample
    # misses the middle or the bracket holds a zero: the same bits, signed zeros too
    rng = np.random.default_rng(len(shape))
    for trial in range(60):
        n = int(rng.integers(SAMPLED_MEDIAN_ROWS, 40_000))
        x = {
            "lognormal": rng.lognormal(0, 2, n),
            "normal": rng.normal(5, 1, n),
            "sorted": np.sort(rng.normal(5, 1, n)),
            "ties": np.round(rng.lognormal(1, 1, n), 1),
            "constant": np.full(n, 3.0),
            "two_values": np.where(rng.random(n) < 0.5, 1.0, 2.0),
            "around_zero": np.round(rng.normal(0, 1, n), 1) * rng.choice([-1.0, 1.0], n),
        }[shape]
        x[rng.random(n) < rng.uniform(0, 0.5)] = np.nan
        if trial % 2:
            x = np.concatenate([x[~np.isnan(x)], x[np.isnan(x)]])  # missing values last
        present = int(np.count_nonzero(~np.isnan(x)))
        ours, theirs = median(x.copy(), present), partial_sort_median(x, present)
        assert ours == theirs and np.signbit(ours) == np.signbit(theirs)
