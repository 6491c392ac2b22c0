"""Outlier treatment by COINr's rule: winsorise one step at a time while
|skew| >= 2 and kurtosis >= 3.5, then log_CT on the original values."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rasad.index._stats import (
    ColumnInputError,
    central_sums,
    column_central_sums,
    column_skew_kurt,
    skew_kurt,
    skew_kurt_of_sums,
)
from rasad.index.treat import treat

nan = np.nan
COINR_EXAMPLE = np.array([*range(1, 11), 30.0, 100.0])  # R/treat.R's example for Treat()


def column(values) -> np.ndarray:
    return np.asarray(values, dtype=float)[:, None]


def test_skew_and_kurtosis_are_the_type_2_sample_estimators():
    # e1071 type 2 (Excel's SKEW and KURT); scipy's bias-corrected estimators agree
    skew, kurt = skew_kurt(COINR_EXAMPLE)
    assert skew == pytest.approx(3.0632410342394993, rel=1e-13)
    assert kurt == pytest.approx(9.741390834569144, rel=1e-13)
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    data = rng.lognormal(size=(40, 3))
    s, k = column_skew_kurt(data)
    np.testing.assert_allclose(s, stats.skew(data, bias=False), rtol=1e-12)
    np.testing.assert_allclose(k, stats.kurtosis(data, bias=False), rtol=1e-12)


def test_skew_and_kurtosis_undefined_like_r():
    assert np.isnan(skew_kurt(np.array([1.0, 2.0]))).all()  # fewer than 3 values
    skew, kurt = skew_kurt(np.array([1.0, 2.0, 4.0]))  # kurtosis needs 4
    assert np.isfinite(skew) and np.isnan(kurt)
    assert np.isnan(skew_kurt(np.full(5, 3.0))).all()  # 0/0
    s, k = column_skew_kurt(np.array([[1.0, nan], [2.0, 1.0], [nan, 1.0], [7.0, 1.0], [3.0, 2.0]]))
    assert s[0] == skew_kurt(np.array([1.0, 2.0, 7.0, 3.0]))[0]
    assert s[1] == skew_kurt(np.array([1.0, 1.0, 1.0, 2.0]))[0]


def numpy_skew_kurt_of_sums(n, m2, s3, s4):
    """COINr's formulas in numpy's float64 scalars, as ``skew_kurt_of_sums`` first had them."""
    with np.errstate(all="ignore"):
        skew = np.sqrt(n) * s3 / m2**1.5 * np.sqrt(n * (n - 1)) / (n - 2)
        if n < 4:
            return float(skew), nan
        r = n * s4 / m2**2
        return float(skew), float(((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3)))


@pytest.mark.parametrize("scale", [1e-200, 1e-76, 1e-30, 1e-3, 1.0, 7e4, 1e30, 1e76, 1e200])
def test_skew_kurt_of_sums_in_python_floats_gives_numpys_bits(scale):
    # Python's floats where the sums allow them, numpy's scalars elsewhere (overflow,
    # underflow, all values equal): the same bits either way, the thresholds' decisions too
    rng = np.random.default_rng(int(np.log10(scale)) + 300)
    with np.errstate(all="ignore"):
        for n in (3, 4, 5, 17, 1000, 10**6):
            for _ in range(300):
                v = rng.lognormal(0, rng.uniform(0.05, 2.5), 40) * scale * rng.choice([-1, 1])
                sums = central_sums(v)[1:]
                np.testing.assert_array_equal(
                    skew_kurt_of_sums(n, *sums), numpy_skew_kurt_of_sums(n, *sums)
                )
            for sums in [(0.0, 0.0, 0.0), (1e-151, 0.0, 1e-302), (1e151, 1e226, 1e302)]:
                sums = tuple(map(np.float64, sums))
                np.testing.assert_array_equal(
                    skew_kurt_of_sums(n, *sums), numpy_skew_kurt_of_sums(n, *sums)
                )


def test_coinr_example_one_step_is_enough():
    result = treat(column(COINR_EXAMPLE), winmax=2)
    np.testing.assert_array_equal(result.values[:, 0], [*range(1, 11), 30, 30])
    (d,) = result.details
    assert (d.outcome, d.passed_before, d.n_winsorised, d.passed_after) == (
        "winsorised",
        False,
        1,
        True,
    )
    assert (d.skew_after, d.kurt_after) == skew_kurt(result.values[:, 0])
    assert np.flatnonzero(result.winsorised_high[:, 0]).tolist() == [11]
    assert not result.winsorised_low.any() and not result.log_transformed.any()


def test_points_pinned_earlier_count_again_with_the_next_extreme():
    # step 1: 200 -> 50; step 2: both 50s -> 20. COINr's nwin is 2: the points at the top.
    x = [*range(1, 21), 50.0, 200.0]
    result = treat(column(x), winmax=5)
    np.testing.assert_array_equal(result.values[:, 0], [*range(1, 21), 20, 20])
    assert result.details[0].n_winsorised == 2
    assert np.flatnonzero(result.winsorised_high[:, 0]).tolist() == [20, 21]


def test_tied_extremes_move_together_even_beyond_winmax():
    x = [*range(1, 21), 100.0, 100.0]
    result = treat(column(x), winmax=1)
    np.testing.assert_array_equal(result.values[:, 0], [*range(1, 21), 20, 20])
    assert result.details[0].n_winsorised == 2 > 1
    assert result.winsorised_high[:, 0].sum() == 2


def test_negative_skew_winsorises_the_low_end():
    result = treat(column(-COINR_EXAMPLE))
    np.testing.assert_array_equal(result.values[:, 0], -np.array([*range(1, 11), 30, 30]))
    assert np.flatnonzero(result.winsorised_low[:, 0]).tolist() == [11]
    assert not result.winsorised_high.any()


def test_zero_skew_winsorises_the_top_as_coinr():
    # only reachable with skew_thresh = 0: COINr's test is skew >= 0 for the high end
    x = [-100.0, *[0.0] * 20, 100.0]
    assert skew_kurt(np.array(x))[0] == 0.0
    result = treat(column(x), winmax=1, skew_thresh=0, fallback="none")
    np.testing.assert_array_equal(result.values[:, 0], [-100.0, *[0.0] * 21])
    assert result.winsorised_high[-1, 0] and result.details[0].outcome == "winsorised_failing"


def test_log_fallback_applies_to_the_original_values():
    z = np.exp(np.arange(20.0))
    result = treat(column(z), winmax=1)
    (d,) = result.details
    assert (
        d.outcome == "log"
        and d.fallback_used
        and d.n_winsorised == 1
        and d.passed_winsorised is False
    )
    expected = np.log(z - z.min() + 0.01 * (z.max() - z.min()))
    np.testing.assert_array_equal(result.values[:, 0], expected)
    assert (d.skew_after, d.kurt_after) == skew_kurt(expected) and d.passed_after is True
    assert result.log_transformed.tolist() == [True]
    # the returned values are not winsorised ones, so no point is marked
    assert not result.winsorised_high.any() and not result.winsorised_low.any()


def test_without_fallback_the_winsorised_values_stay():
    z = np.exp(np.arange(20.0))
    result = treat(column(z), winmax=1, fallback="none")
    assert result.details[0].outcome == "winsorised_failing"
    np.testing.assert_array_equal(result.values[:, 0], [*z[:19], z[18]])
    assert not result.log_transformed.any() and result.winsorised_high[19, 0]


def test_statistics_that_cannot_be_computed_leave_the_column_untreated():
    X = np.array([[5.0, 1.0, 1.0], [5.0, 2.0, 2.0], [5.0, nan, 9.0], [5.0, nan, nan]])
    result = treat(X)
    assert [d.outcome for d in result.details] == ["undefined", "undefined", "passed"]
    assert result.details[0].passed_before is None
    assert result.values is X


def test_missing_values_stay_missing_and_are_left_out():
    x = np.array([nan, *COINR_EXAMPLE[:6], nan, *COINR_EXAMPLE[6:]])
    result = treat(column(x))
    assert np.isnan(result.values[[0, 7], 0]).all()
    np.testing.assert_array_equal(
        result.values[~np.isnan(x), 0], treat(column(COINR_EXAMPLE)).values[:, 0]
    )
    assert result.winsorised_high[13, 0]


def test_none_returns_the_input_and_no_log():
    X = column(COINR_EXAMPLE)
    result = treat(X, "none")
    assert result.values is X and result.details == [] and not result.winsorised_high.any()


def test_bad_input():
    with pytest.raises(ColumnInputError) as caught:
        treat(np.array([[1.0, nan], [2.0, nan], [3.0, nan], [4.0, nan]]))
    assert caught.value.column == 1
    with pytest.raises(ColumnInputError) as caught:
        treat(column([1.0, 2.0, np.inf, 3.0]))
    assert (caught.value.column, caught.value.row) == (0, 2)
    for kwargs in ({"method": "boxcox"}, {"fallback": "sqrt"}, {"winmax": -1}, {"winmax": 2.5}):
        with pytest.raises(ValueError):
            treat(column(COINR_EXAMPLE), **kwargs)


heavy_tailed = arrays(
    np.float64,
    st.tuples(st.integers(4, 40), st.integers(1, 4)),
    elements=st.one_of(
        st.just(nan),
        st.integers(-3, 3).map(float),
        st.floats(-1e4, 1e4),
        st.sampled_from([1e3, -1e3]),
    ),
)


@settings(max_examples=150, deadline=None)
@given(heavy_tailed, st.integers(0, 6))
def test_every_column_is_kept_winsorised_or_logged_as_logged(data, winmax):
    data[0, np.isnan(data).all(axis=0)] = 0.0
    result = treat(np.asfortranarray(data), winmax=winmax)
    same_in_c = treat(np.ascontiguousarray(data), winmax=winmax)
    np.testing.assert_array_equal(result.values, same_in_c.values)
    np.testing.assert_array_equal(result.winsorised_high, same_in_c.winsorised_high)
    for d in result.details:
        x, y = data[:, d.column], result.values[:, d.column]
        high, low = result.winsorised_high[:, d.column], result.winsorised_low[:, d.column]
        present = ~np.isnan(x)
        np.testing.assert_array_equal(np.isnan(y), ~present)
        if d.outcome in ("passed", "undefined"):
            np.testing.assert_array_equal(y, x)
        elif d.outcome == "log":
            lo, hi = np.nanmin(x), np.nanmax(x)
            np.testing.assert_array_equal(y, np.log(x - lo + 0.01 * (hi - lo)))
            assert d.n_winsorised >= winmax
        else:
            assert d.n_winsorised == high.sum() + low.sum()
            assert (d.outcome == "winsorised") == bool(d.passed_after)
            np.testing.assert_array_equal(y[~high & ~low], x[~high & ~low])
            assert (y[high] == np.nanmax(y)).all() and (y[low] == np.nanmin(y)).all()
            assert (x[high] >= np.nanmax(y)).all() and (x[low] <= np.nanmin(y)).all()
        assert not (high | low).any() or d.outcome.startswith("winsorised")


def plain_treat_column(
    x: np.ndarray, winmax: int, skew_thresh=2.0, kurt_thresh=3.5, fallback="log"
):
    """COINr's loop the plain way, as this module first did it: the statistics
    recomputed over the whole column after every step. Returns the values, the outcome,
    the number winsorised, the winsorised rows at each end and the statistics."""

    def passes(skew, kurt):
        low_skew = None if np.isnan(skew) else bool(abs(skew) < skew_thresh)
        low_kurt = None if np.isnan(kurt) else bool(kurt < kurt_thresh)
        return (
            True
            if low_skew or low_kurt
            else False
            if low_skew is False and low_kurt is False
            else None
        )

    none = []
    rows = np.flatnonzero(~np.isnan(x))
    v = x[rows].copy()
    stats = [skew_kurt(v)]
    passed = passes(*stats[0])
    if passed is None:
        return x, "undefined", 0, none, none, stats
    if passed:
        return x, "passed", 0, none, none, stats
    top = bottom = np.empty(0, dtype=np.intp)
    while not passed and top.size + bottom.size < winmax:
        if stats[-1][0] >= 0:
            top = np.flatnonzero(v == v.max())
            v[top] = -np.inf
            v[top] = v.max()
        else:
            bottom = np.flatnonzero(v == v.min())
            v[bottom] = np.inf
            v[bottom] = v.min()
        stats.append(skew_kurt(v))
        passed = passes(*stats[-1])
        if passed is None:
            return x, "undefined", 0, none, none, stats
    count = top.size + bottom.size
    if passed or fallback == "none":
        y = x.copy()
        y[rows] = v
        return (
            y,
            "winsorised" if passed else "winsorised_failing",
            count,
            sorted(rows[bottom]),
            sorted(rows[top]),
            stats,
        )
    y = np.log(x - np.nanmin(x) + 0.01 * (np.nanmax(x) - np.nanmin(x)))
    stats.append(skew_kurt(y[rows]))
    if passes(*stats[-1]) is None:
        return x, "undefined", 0, none, none, stats
    return y, "log", count, none, none, stats


def assert_treated_as_plain(x: np.ndarray, winmax: int, **rule):
    result = treat(column(x), winmax=winmax, **rule)
    y, outcome, count, low, high, stats = plain_treat_column(x, winmax, **rule)
    (d,) = result.details
    np.testing.assert_array_equal(result.values[:, 0], y)
    assert (d.outcome, d.n_winsorised) == (outcome, count)
    assert np.flatnonzero(result.winsorised_low[:, 0]).tolist() == low
    assert np.flatnonzero(result.winsorised_high[:, 0]).tolist() == high
    # the statistics reported are bitwise those of the plain recomputation
    np.testing.assert_array_equal((d.skew_before, d.kurt_before), stats[0])
    if outcome in ("winsorised", "winsorised_failing", "log"):
        np.testing.assert_array_equal(
            (d.skew_winsorised, d.kurt_winsorised), stats[-2 if outcome == "log" else -1]
        )
        np.testing.assert_array_equal((d.skew_after, d.kurt_after), stats[-1])


@settings(max_examples=300, deadline=None)
@given(
    heavy_tailed,
    st.integers(0, 8),
    st.sampled_from([0.0, 0.5, 2.0]),
    st.sampled_from(["log", "none"]),
)
def test_the_loop_moves_the_points_the_plain_recomputation_moves(
    data, winmax, skew_thresh, fallback
):
    # small columns full of ties and of values at both ends: every branch of the steps
    data[0, np.isnan(data).all(axis=0)] = 0.0
    for j in range(data.shape[1]):
        assert_treated_as_plain(data[:, j], winmax, skew_thresh=skew_thresh, fallback=fallback)


@pytest.mark.parametrize("seed", range(6))
def test_large_columns_are_treated_as_by_the_plain_recomputation(seed):
    rng = np.random.default_rng(seed)
    n = 20_000
    x = [
        rng.lognormal(0, 1.5, n),
        -rng.lognormal(0, 1, n),  # one end, then the other
        np.round(rng.lognormal(0, 1, n), 1),  # ties at the extremes
        np.where(rng.random(n) < 0.9, 0.0, rng.pareto(1.5, n)),  # a spike at zero and a long tail
        rng.standard_t(3, n) * 1e3 + 1e9,  # a large offset
        np.minimum(rng.lognormal(0, 2, n), 50.0),
    ][seed]  # top-coded: a run of ties at the extreme
    x[rng.random(n) < 0.05] = nan
    for winmax in (1, 5, 40):
        assert_treated_as_plain(x, winmax)
    assert_treated_as_plain(x, 5, skew_thresh=0.3, kurt_thresh=0.5)  # stops near the thresholds


@pytest.mark.parametrize("scale", [1e-150, 1e-40, 1e40, 1e80, 1e120, 1e150])
def test_columns_of_extreme_magnitude_are_treated_as_by_the_plain_recomputation(scale):
    # the loop's updates in Python's floats overflow or underflow here; the
    # recomputation takes over, with the same points moved and the same figures
    rng = np.random.default_rng(7)
    with np.errstate(all="ignore"):
        for x in (rng.lognormal(0, 1.5, 300), -rng.lognormal(0, 1, 300)):
            for winmax in (1, 5, 12):
                assert_treated_as_plain(x * scale, winmax)


@pytest.mark.parametrize("n", [3, 4, 9, 16, 17, 128, 129, 1000, 8191, 8193, 20_001])
def test_column_central_sums_are_the_bits_of_each_column_alone(n):
    rng = np.random.default_rng(n)
    X = np.asfortranarray(rng.lognormal(0, 2, (n, 7)) * np.logspace(-6, 6, 7))
    X[rng.integers(n), 3] = nan
    for j, sums in enumerate(column_central_sums(X)):
        if j == 3:
            assert sums is None
        else:
            np.testing.assert_array_equal(sums, central_sums(X[:, j]))
    with pytest.raises(ValueError):
        column_central_sums(np.ascontiguousarray(X))


def treatment_report(result) -> tuple[list[str], np.ndarray]:
    """The outcomes, and the counts and statistics as one float matrix (NaN equal NaN)."""
    figures = [
        (
            d.n_winsorised,
            d.skew_before,
            d.kurt_before,
            d.skew_winsorised,
            d.kurt_winsorised,
            d.skew_after,
            d.kurt_after,
        )
        for d in result.details
    ]
    return [d.outcome for d in result.details], np.array(figures, dtype=float)


@pytest.mark.parametrize("seed", range(4))
def test_a_small_matrix_is_treated_as_column_by_column(seed):
    # a Fortran-ordered matrix under PARALLEL_ROWS takes its statistics for all columns
    # at once; a C-ordered one column by column: the same decisions and figures, bit for
    # bit, with thresholds set exactly at a column's own statistics and one step beside
    rng = np.random.default_rng(seed)
    n = [12, 200, 1000, 4000][seed]
    X = rng.lognormal(0, rng.uniform(0.2, 1.5, 12), (n, 12))
    X[:, 5] = -X[:, 5]
    X[:, 7] = np.round(X[:, 7], 1)
    X[rng.random((n, 12)) < 0.03 * (np.arange(12) % 2)] = nan  # odd columns miss values
    skew, kurt = column_skew_kurt(X)
    for skew_thresh in (abs(skew[2]), np.nextafter(abs(skew[2]), 0), abs(skew[4])):
        for kurt_thresh in (kurt[2], np.nextafter(kurt[2], np.inf), 3.5):
            rule = dict(winmax=4, skew_thresh=skew_thresh, kurt_thresh=kurt_thresh)
            fast = treat(np.asfortranarray(X), **rule)
            plain = treat(np.ascontiguousarray(X), **rule)
            (outcomes, figures), (plain_outcomes, plain_figures) = map(
                treatment_report, (fast, plain)
            )
            assert outcomes == plain_outcomes
            np.testing.assert_array_equal(figures, plain_figures)
            np.testing.assert_array_equal(fast.values, plain.values)
            np.testing.assert_array_equal(fast.winsorised_low, plain.winsorised_low)
            np.testing.assert_array_equal(fast.winsorised_high, plain.winsorised_high)


@pytest.mark.parametrize(
    "shape", ["ascending", "descending", "top_ties", "bottom_ties", "spikes", "two_values"]
)
def test_long_columns_in_any_order_find_the_same_extremes(shape):
    # a long column's extremes are searched among the values beyond those of a sample
    # of every 64th value: sorted data, runs of ties at the cut and sparse outliers
    # move the same points as the plain recomputation
    rng = np.random.default_rng(len(shape))
    n = 6_000
    x = rng.lognormal(0, 1.5, n)
    x = {
        "ascending": np.sort(x),
        "descending": -np.sort(x),
        "top_ties": np.minimum(x, np.quantile(x, 0.999)),
        "bottom_ties": -np.minimum(x, np.quantile(x, 0.998)),
        "spikes": np.where(rng.random(n) < 0.002, 1e3 * x, 1.0),
        "two_values": np.where(np.arange(n) % 500 == 0, 50.0, 1.0),
    }[shape]
    x[rng.random(n) < 0.03] = nan
    for winmax in (0, 1, 3, 5, 8):
        assert_treated_as_plain(x, winmax)
