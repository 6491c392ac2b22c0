"""TOPSIS equal to scikit-criteria and pymcdm on the same inputs, and to the published
examples their own test suites check.

How each peer is called (their defaults):
- scikit-criteria ≥ 0.8: ``TOPSIS()`` (Euclidean metric) does not normalise; its
  documented pipeline puts ``VectorScaler(target="matrix")`` in front of it, Hwang &
  Yoon's vector normalisation — our ``normalisation="vector"``, the default.
- pymcdm ≥ 1.2: ``TOPSIS()`` normalises each column by min-max
  (``minmax_normalization``) — our ``normalisation="minmax"``; called as
  ``TOPSIS()(matrix, weights, types)`` with types 1 (benefit) for every column, as
  the engine applies directions before aggregating.
"""

import warnings

import numpy as np
import pytest

from rasad.index.aggregate import aggregate

skc = pytest.importorskip("skcriteria")
pymcdm_methods = pytest.importorskip("pymcdm.methods")
pymcdm_normalizations = pytest.importorskip("pymcdm.normalizations")


def scikit_criteria(X, w):
    try:
        from skcriteria.agg.topsis import TOPSIS
    except ImportError:  # scikit-criteria 0.8 kept it in agg.similarity
        from skcriteria.agg.similarity import TOPSIS
    from skcriteria.preprocessing.scalers import VectorScaler

    dm = skc.mkdm(matrix=X, objectives=[max] * X.shape[1], weights=w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TOPSIS().evaluate(VectorScaler(target="matrix").transform(dm)).e_.similarity


def pymcdm(X, w, normalization=None):
    method = (
        pymcdm_methods.TOPSIS() if normalization is None else pymcdm_methods.TOPSIS(normalization)
    )
    return method(X, w / w.sum(), np.ones(X.shape[1], dtype=int))


def _problems():
    rng = np.random.default_rng(7)
    for n, k in ((2, 2), (5, 3), (50, 7), (1000, 20), (3 * 4096 + 11, 12)):
        X = rng.lognormal(2, 1, (n, k))
        X[:, 0] = rng.integers(0, 4, n)  # ties and zeros
        yield X, rng.uniform(0.1, 2, k)
    yield rng.normal(0, 5, (40, 4)), np.array([1.0, 2.0, 3.0, 4.0])  # negative values


@pytest.mark.parametrize("order", ["C", "F"])
def test_equals_scikit_criteria(order):
    for X, w in _problems():
        ours = aggregate(np.asarray(X, order=order), w, "topsis").values
        np.testing.assert_allclose(ours, scikit_criteria(X, w), rtol=0, atol=1e-12)


@pytest.mark.parametrize("order", ["C", "F"])
def test_equals_pymcdm_default_minmax(order):
    for X, w in _problems():
        ours = aggregate(
            np.asarray(X, order=order), w, "topsis", params={"normalisation": "minmax"}
        ).values
        np.testing.assert_allclose(ours, pymcdm(X, w), rtol=0, atol=1e-12)


def test_equals_pymcdm_with_vector_normalisation():
    for X, w in _problems():
        ours = aggregate(X, w, "topsis").values
        theirs = pymcdm(X, w, pymcdm_normalizations.vector_normalization)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_tzeng_huang_2011_as_scikit_criteria_checks_it():
    """Tzeng, G.-H. & Huang, J.-J. (2011). Multiple Attribute Decision Making: Methods
    and Applications. CRC Press. Checked by scikit-criteria's test suite
    (github.com/quatrope/scikit-criteria, tests/agg/test_topsis.py,
    ``test_TOPSIS_tzeng2011multiple``): 4 alternatives × 3 benefit criteria
    [[5, 8, 4], [7, 6, 8], [8, 8, 6], [7, 4, 6]], weights [0.3, 0.4, 0.3], vector
    normalisation → closeness [0.5037, 0.6581, 0.7482, 0.3340], ranks [3, 2, 1, 4]."""
    from rasad.index.rank import rank_min

    X = np.array([[5, 8, 4], [7, 6, 8], [8, 8, 6], [7, 4, 6]], dtype=float)
    w = np.array([0.3, 0.4, 0.3])
    ours = aggregate(X, w, "topsis").values
    np.testing.assert_allclose(ours, [0.5037, 0.6581, 0.7482, 0.3340], atol=5e-5)
    np.testing.assert_array_equal(rank_min(ours), [3, 2, 1, 4])
    np.testing.assert_allclose(ours, scikit_criteria(X, w), rtol=0, atol=1e-15)


def test_opricovic_tzeng_2004_as_pymcdm_checks_it():
    """Opricovic, S. & Tzeng, G.-H. (2004). Compromise solution by MCDM methods: a
    comparative analysis of VIKOR and TOPSIS. European Journal of Operational Research
    156(2), 445–455. Checked by pymcdm's test suite (``TestTOPSIS.test_output`` in its
    tests/test_methods.py) with pymcdm's default min-max normalisation: alternatives
    [1, 3000], [2, 3750], [5, 4500], weights [0.5, 0.5], the first criterion a cost →
    preferences [0.500, 0.617, 0.500] to three decimals. The engine applies directions
    before aggregating, so the cost criterion is negated here; under min-max that is
    exactly pymcdm's cost normalisation (max − x) / (max − min)."""
    X = np.array([[1, 3000], [2, 3750], [5, 4500]], dtype=float)
    w = np.array([0.5, 0.5])
    ours = aggregate(X * [-1, 1], w, "topsis", params={"normalisation": "minmax"}).values
    assert [round(v, 3) for v in ours] == [0.500, 0.617, 0.500]
    theirs = pymcdm_methods.TOPSIS()(X, w, np.array([-1, 1]))
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-15)
