"""The two ways the steps work on large matrices: columns side by side in threads (from
``PARALLEL_ROWS`` rows on) and ``overwrite_input``, which writes the result into the
input matrix itself. Both must give exactly what the plain way gives."""

import numpy as np
import pytest

from rasad.index import _stats
from rasad.index.impute import impute
from rasad.index.normalise import METHODS as NORMALISATIONS
from rasad.index.normalise import normalise
from rasad.index.treat import treat

N = _stats.PARALLEL_ROWS + 1_000


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    X = np.column_stack(
        [
            rng.lognormal(0, 1.5, N),
            rng.normal(50, 10, N),
            -rng.lognormal(0, 1, N),
            np.round(rng.normal(0, 1, N), 1),
            rng.pareto(1.5, N),
            rng.random(N),
        ]
    )
    X[rng.random(X.shape) < 0.04] = np.nan
    return np.asfortranarray(X), rng.integers(-1, 12, N)


@pytest.fixture
def serial(monkeypatch):
    """Run the step with every column in the calling thread."""

    def run(step, *args, **kwargs):
        with monkeypatch.context() as patch:
            patch.setattr(_stats, "PARALLEL_ROWS", 10**12)
            return step(*args, **kwargs)

    return run


@pytest.mark.parametrize("method", ["mean", "median", "group_mean", "group_median"])
def test_impute(data, serial, method):
    X, groups = data
    plain = serial(impute, X, method, groups=groups)
    threaded = impute(X, method, groups=groups)
    Y = X.copy(order="F")
    overwritten = impute(Y, method, groups=groups, overwrite_input=True)
    assert overwritten.values is Y and plain.values is not X
    for result in (threaded, overwritten):
        np.testing.assert_array_equal(result.values, plain.values)
        np.testing.assert_array_equal(result.imputed_mask, plain.imputed_mask)


def test_treat(data, serial):
    X, groups = data
    X = impute(
        X, "group_median", groups=groups
    ).values  # so that most columns have no missing value
    X[:100, 3] = np.nan  # but one has
    plain = serial(treat, X, winmax=5)
    assert [d.outcome for d in plain.details] == ["log", "passed", "log", "passed", "log", "passed"]
    threaded = treat(X, winmax=5)
    Y = X.copy(order="F")
    overwritten = treat(Y, winmax=5, overwrite_input=True)
    assert overwritten.values is Y
    fewer = serial(
        treat, X, winmax=5, kurt_thresh=40.0, fallback="none"
    )  # winsorised columns, in place
    Z = X.copy(order="F")
    fewer_overwritten = treat(Z, winmax=5, kurt_thresh=40.0, fallback="none", overwrite_input=True)
    assert any(d.outcome.startswith("winsorised") for d in fewer.details)
    for result, expected in ((threaded, plain), (overwritten, plain), (fewer_overwritten, fewer)):
        np.testing.assert_array_equal(result.values, expected.values)
        np.testing.assert_array_equal(result.winsorised_low, expected.winsorised_low)
        np.testing.assert_array_equal(result.winsorised_high, expected.winsorised_high)
        assert [repr(d) for d in result.details] == [repr(d) for d in expected.details]


@pytest.mark.parametrize("method", NORMALISATIONS)
@pytest.mark.parametrize("grouped", [False, True])
def test_normalise(data, serial, method, grouped):
    X, groups = data
    k = X.shape[1]
    directions = np.array([1.0, -1.0] * (k // 2))
    params = {
        "goalposts": np.column_stack(
            [np.nanquantile(X, 0.1, axis=0), np.nanquantile(X, 0.9, axis=0)]
        ),
        "targets": np.nanquantile(X, 0.8, axis=0),
    }
    params = {
        name: value
        for name, value in params.items()
        if name == {"goalposts": "goalposts", "distance_to_target": "targets"}.get(method)
    }
    codes = groups if grouped else None
    plain = serial(normalise, X, method, directions, params=params, groups=codes)
    threaded = normalise(X, method, directions, params=params, groups=codes)
    Y = X.copy(order="F")
    overwritten = normalise(
        Y, method, directions, params=params, groups=codes, overwrite_input=True
    )
    assert overwritten.values is Y
    for result in (threaded, overwritten):
        np.testing.assert_array_equal(result.values, plain.values)
        assert result.warnings == plain.warnings
