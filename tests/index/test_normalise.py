"""Normalisation: COINr's n_* functions after multiplying by the direction, optionally
within reference groups."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rasad.index._stats import ColumnInputError
from rasad.index.normalise import METHODS, normalise

nan = np.nan
X = np.array([[1.0, 10.0], [2.0, 20.0], [4.0, 20.0], [nan, 40.0]])
DIRS = np.array([1.0, -1.0])


def norm(method, data=X, directions=DIRS, **kwargs):
    return normalise(np.asfortranarray(data), method, directions, **kwargs)


def test_minmax():
    result = norm("minmax")
    np.testing.assert_allclose(result.values[:, 0], [0, 100 / 3, 100, nan])
    np.testing.assert_allclose(result.values[:, 1], [100, 200 / 3, 200 / 3, 0])  # (40 - x) / 30
    np.testing.assert_allclose(
        norm("minmax", params={"range": (1, 10)}).values[:, 0], [1, 4, 10, nan]
    )
    assert result.warnings == []


def test_zscore_uses_the_sample_standard_deviation():
    sd = np.sqrt((16 + 1 + 25) / 9 / 2)  # 1, 2, 4: mean 7/3, squared deviations 16/9, 1/9, 25/9
    np.testing.assert_allclose(
        norm("zscore").values[:, 0], [-4 / 3 / sd, -1 / 3 / sd, 5 / 3 / sd, nan]
    )
    shifted = norm("zscore", params={"mean": 10, "sd": 2}).values
    np.testing.assert_allclose(shifted[:3, 0], 10 + 2 * np.array([-4 / 3, -1 / 3, 5 / 3]) / sd)
    # direction -1: -10, -20, -20, -40 have mean -22.5
    column = -X[:, 1]
    np.testing.assert_allclose(
        norm("zscore").values[:, 1], (column + 22.5) / np.std(column, ddof=1)
    )


def test_goalposts_capped_and_flipped_by_direction():
    posts = np.array([[0.0, 5.0], [0.0, 50.0]])
    result = norm("goalposts", params={"goalposts": posts, "scale": 100})
    np.testing.assert_allclose(result.values[:, 0], [20, 40, 80, nan])
    np.testing.assert_allclose(result.values[:, 1], [80, 60, 60, 20])  # (50 - x) / 50
    tight = np.array([[2.0, 3.0], [15.0, 30.0]])
    capped = norm("goalposts", params={"goalposts": tight, "scale": 1})
    np.testing.assert_allclose(capped.values, [[0, 1], [0, 2 / 3], [1, 2 / 3], [nan, 0]])
    uncapped = norm("goalposts", params={"goalposts": tight, "scale": 1, "trunc": False})
    np.testing.assert_allclose(
        uncapped.values, [[-1, 4 / 3], [0, 2 / 3], [2, 2 / 3], [nan, -2 / 3]]
    )


def test_rank_and_percentile_rank_ties_take_the_minimum():
    np.testing.assert_array_equal(norm("rank").values, [[1, 4], [2, 2], [3, 2], [nan, 1]])
    np.testing.assert_allclose(
        norm("percentile_rank").values, [[0, 1], [0.5, 1 / 3], [1, 1 / 3], [nan, 0]]
    )


def test_distance_to_max():
    np.testing.assert_allclose(
        norm("distance_to_max").values, [[0, 1], [1 / 3, 2 / 3], [1, 2 / 3], [nan, 0]]
    )


def test_distance_to_target_flips_the_target_with_the_direction():
    targets = np.array([3.0, 15.0])
    result = norm("distance_to_target", params={"targets": targets})
    # (x - 1) / (3 - 1); direction -1: (40 - x) / (40 - 15)
    np.testing.assert_allclose(result.values, [[0, 1.2], [0.5, 0.8], [1.5, 0.8], [nan, 0]])
    capped = norm("distance_to_target", params={"targets": targets, "cap_max": True})
    np.testing.assert_allclose(capped.values, [[0, 1], [0.5, 0.8], [1, 0.8], [nan, 0]])


def test_fraction_of_max_as_coinr_even_when_the_direction_makes_the_maximum_negative():
    result = norm("fraction_of_max")
    np.testing.assert_allclose(result.values, [[0.25, 1], [0.5, 2], [1, 2], [nan, 4]])
    (warning,) = result.warnings
    assert (warning.column, warning.group, warning.reason, warning.units) == (
        1,
        None,
        "negative_max",
        4,
    )


@pytest.mark.parametrize(
    ("method", "reason"),
    [
        ("minmax", "zero_range"),
        ("distance_to_max", "zero_range"),
        ("zscore", "zero_sd"),
    ],
)
def test_a_constant_column_is_left_missing_with_a_warning(method, reason):
    data = np.array([[3.0, 1.0], [3.0, 2.0], [nan, 3.0]])
    result = norm(method, data=data, directions=[1, 1])
    assert np.isnan(result.values[:, 0]).all() and not np.isnan(result.values[:, 1]).any()
    (warning,) = result.warnings
    assert (warning.column, warning.reason, warning.units) == (0, reason, 2)
    assert "column 0" in warning.message_en and "ستون 0" in warning.message_fa


def test_undefined_cases_of_the_other_methods_warn():
    single = np.array([[nan], [5.0], [nan]])
    assert norm("percentile_rank", data=single, directions=[1]).warnings[0].reason == "single_value"
    assert norm("zscore", data=single, directions=[1]).warnings[0].reason == "single_value"
    at_worst = norm("distance_to_target", data=X[:, :1], directions=[1], params={"targets": [1.0]})
    assert at_worst.warnings[0].reason == "target_at_worst" and np.isnan(at_worst.values).all()
    beyond = norm("distance_to_target", data=X[:, :1], directions=[1], params={"targets": [0.0]})
    assert beyond.warnings[0].reason == "target_beyond_worst"
    np.testing.assert_allclose(beyond.values[:, 0], [0, -1, -3, nan])
    zero = norm("fraction_of_max", data=np.array([[-1.0], [0.0]]), directions=[1])
    assert zero.warnings[0].reason == "zero_max" and np.isnan(zero.values).all()


def test_within_groups_each_group_has_its_own_reference():
    data = np.array([[1.0], [3.0], [10.0], [20.0], [30.0], [7.0], [5.0]])
    groups = np.array([0, 0, 1, 1, 1, -1, 0])
    result = norm("minmax", data=data, directions=[1], groups=groups)
    np.testing.assert_allclose(result.values[:, 0], [0, 50, 0, 50, 100, nan, 100])
    (warning,) = result.warnings
    assert (warning.column, warning.group, warning.reason, warning.units) == (
        None,
        None,
        "no_group",
        1,
    )
    flat = norm("minmax", data=data[[2, 3]], directions=[1], groups=np.array([0, 1]))
    assert [(w.group, w.reason) for w in flat.warnings] == [(0, "zero_range"), (1, "zero_range")]
    ranks = norm("rank", data=data, directions=[-1], groups=groups)
    np.testing.assert_array_equal(ranks.values[:, 0], [3, 2, 3, 2, 1, nan, 1])


def test_input_untouched_and_memory_order_kept():
    F = np.asfortranarray(X)
    result = normalise(F, "minmax", DIRS)
    assert result.values.flags.f_contiguous
    np.testing.assert_array_equal(F, X)
    assert normalise(np.ascontiguousarray(X), "minmax", DIRS).values.flags.c_contiguous


def test_bad_input():
    with pytest.raises(ColumnInputError) as caught:
        norm("minmax", data=np.array([[1.0, nan], [2.0, nan]]))
    assert caught.value.column == 1
    with pytest.raises(ColumnInputError) as caught:
        norm("rank", data=np.array([[1.0, 2.0], [np.inf, 3.0]]))
    assert (caught.value.column, caught.value.row) == (0, 1)
    with pytest.raises(ColumnInputError) as caught:
        norm("goalposts", params={"goalposts": [[0, 5], [9, 9]]})
    assert caught.value.column == 1
    with pytest.raises(ColumnInputError) as caught:
        norm("distance_to_target", params={"targets": [1.0, nan]})
    assert caught.value.column == 1
    with pytest.raises(ValueError, match="goalposts"):
        norm("goalposts")
    with pytest.raises(ValueError, match="targets"):
        norm("distance_to_target")
    with pytest.raises(ValueError, match="unknown normalisation parameters"):
        norm("minmax", params={"ranges": (0, 1)})
    with pytest.raises(ValueError, match="directions"):
        norm("minmax", directions=[1, 0])
    with pytest.raises(ValueError, match="unknown normalisation method"):
        norm("softmax")


integers = st.integers(-50, 50).map(float)
matrices = arrays(
    np.float64,
    st.tuples(st.integers(2, 25), st.integers(1, 3)),
    elements=st.one_of(st.just(nan), integers),
)


def _with_values(data):
    data[0, np.isnan(data).all(axis=0)] = 0.0
    return data


@settings(max_examples=80, deadline=None)
@given(matrices, st.sampled_from(["rank", "percentile_rank"]), st.booleans())
def test_ranks_are_invariant_under_strictly_increasing_transforms(data, method, grouped):
    data = _with_values(data)
    groups = np.arange(len(data)) % 3 if grouped else None
    directions = np.ones(data.shape[1])
    transformed = data**3 + 7 * data  # strictly increasing, exact on these integers
    np.testing.assert_array_equal(
        norm(method, data, directions, groups=groups).values,
        norm(method, transformed, directions, groups=groups).values,
    )


@settings(max_examples=80, deadline=None)
@given(
    matrices, st.sampled_from(["minmax", "zscore", "rank", "percentile_rank", "distance_to_max"])
)
def test_flipping_a_direction_reverses_that_columns_order(data, method):
    data = _with_values(data)
    up = norm(method, data, np.ones(data.shape[1])).values
    flipped = np.ones(data.shape[1])
    flipped[0] = -1
    down = norm(method, data, flipped).values
    np.testing.assert_array_equal(up[:, 1:], down[:, 1:])
    a, b = up[:, 0], down[:, 0]
    present = ~np.isnan(a) & ~np.isnan(b)
    a, b = a[present], b[present]
    np.testing.assert_array_equal(
        np.sign(a[:, None] - a[None, :]), -np.sign(b[:, None] - b[None, :])
    )


@settings(max_examples=80, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(2, 25), st.integers(1, 3)),
        elements=st.one_of(st.just(nan), st.floats(-1e9, 1e9)),
    ),
    st.floats(-1e3, 1e3),
    st.floats(1e-3, 1e3),
    st.booleans(),
)
def test_minmax_stays_within_its_range(data, low, width, grouped):
    data = _with_values(data)
    groups = np.arange(len(data)) % 2 if grouped else None
    result = norm(
        "minmax", data, np.ones(data.shape[1]), params={"range": (low, low + width)}, groups=groups
    )
    present = result.values[~np.isnan(result.values)]
    assert (present >= low).all() and (present <= low + width).all()


@settings(max_examples=60, deadline=None)
@given(matrices, st.sampled_from([m for m in METHODS if m != "goalposts"]), st.data())
def test_within_groups_equals_normalising_each_group_alone(data, method, draw):
    data = _with_values(data)
    groups = draw.draw(arrays(np.int64, len(data), elements=st.integers(-1, 3)))
    directions = draw.draw(arrays(np.float64, data.shape[1], elements=st.sampled_from([-1.0, 1.0])))
    params = {"targets": np.full(data.shape[1], 60.0)} if method == "distance_to_target" else None
    together = norm(method, data, directions, params=params, groups=groups).values
    assert np.isnan(together[groups == -1]).all()
    for g in range(4):
        rows = groups == g
        for j in range(data.shape[1]):
            part = data[rows][:, [j]]
            if np.isnan(part).all():
                assert np.isnan(together[rows, j]).all()
                continue
            alone = norm(
                method,
                part,
                directions[[j]],
                params=None if params is None else {"targets": params["targets"][[j]]},
            ).values
            np.testing.assert_allclose(together[rows, j], alone[:, 0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("method", "grouped"), [("minmax", False), ("minmax", True), ("zscore", False)]
)
@pytest.mark.parametrize("rows", [1, 2, 51, 1000])
def test_small_matrices_whole_give_the_column_paths_bits(method, grouped, rows, monkeypatch):
    """Below PARALLEL_ROWS min-max (within groups too) and z-scores without groups are
    computed for every column at once; the scores and warnings are those of the
    column-by-column path."""
    rng = np.random.default_rng(rows)
    data = rng.lognormal(0, 2, (rows, 6)) * rng.normal(size=6) * 1e3
    data[:, 2] = 7.0  # zero range, zero sd
    if method == "minmax" and rows > 2:
        data[rng.random(rows) < 0.1, 4] = nan
    directions = np.array([1.0, -1.0, 1.0, -1.0, -1.0, 1.0])
    params = {"range": (1, 100), "mean": 10, "sd": 2}
    groups = rng.integers(-1, 5, rows) if grouped else None
    if grouped and rows > 2:
        groups[:2] = 5  # a group of two...
        data[:2, 0] = 3.0  # ...whose range is zero in one column
    whole = norm(method, data, directions, params=params, groups=groups)
    overwritten = np.array(data, order="F", copy=True)
    norm(method, overwritten, directions, params=params, groups=groups, overwrite_input=True)
    monkeypatch.setattr("rasad.index.normalise.PARALLEL_ROWS", 0)
    by_column = norm(method, data, directions, params=params, groups=groups)
    np.testing.assert_array_equal(whole.values, by_column.values)
    np.testing.assert_array_equal(overwritten, by_column.values)
    assert whole.warnings == by_column.warnings
