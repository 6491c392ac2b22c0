"""PCA weights: the first principal component's loadings, as COINr's get_PCA."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rasad.errors import RasadInputError
from rasad.index._stats import ColumnInputError
from rasad.index.weights import pca_weights

FIXTURES = Path(__file__).parent.parent / "fixtures" / "coinr_asem"


@pytest.fixture(scope="module")
def aggregated() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "dset_Aggregated.csv").set_index("uCode")


def test_level_2_weights_equal_coinrs_vignette(aggregated):
    # COINr's weights vignette: get_PCA(coin, dset = "Aggregated", Level = 2, weights_to = ...)
    # prints these (7 significant digits), the negative Social weight and the signs included
    conn = pca_weights(
        aggregated[["Physical", "ConEcFin", "Political", "Instit", "P2P"]].to_numpy()
    )
    np.testing.assert_allclose(
        conn, [0.5117970, 0.3049926, 0.3547671, 0.5081540, 0.5108455], atol=5e-8
    )
    sust = pca_weights(aggregated[["Environ", "Social", "SusEcFin"]].to_numpy())
    np.testing.assert_allclose(sust, [0.6513188, -0.7443677, 0.1473108], atol=5e-8)


@pytest.mark.parametrize("level, dataset", [(1, "Normalised"), (2, "Aggregated")])
def test_loadings_equal_coinrs_get_pca_to_1e9_oriented_to_a_positive_sum(level, dataset):
    """COINr's get_PCA(coin, dset, Level) within each parent (make_issue14.R), times the
    sign of their sum: prcomp's sign is its LAPACK's (all-negative for Political and
    Social, where ours is positive; R and numpy disagree on P2P's)."""
    data = pd.read_csv(FIXTURES / f"dset_{dataset}.csv").set_index("uCode")
    loadings = pd.read_csv(FIXTURES / "pca_loadings.csv")
    loadings = loadings[loadings["Level"] == level]
    flipped = []
    for parent, children in loadings.groupby("Parent"):
        ours = pca_weights(np.asfortranarray(data[children["iCode"]].to_numpy()))
        coinr = children["Loading"].to_numpy()
        if coinr.sum() < 0:
            flipped.append(parent)
        np.testing.assert_allclose(
            ours, coinr * np.sign(coinr.sum()), rtol=0, atol=1e-9, err_msg=parent
        )
    assert flipped == (["Political", "Social"] if level == 1 else [])


def test_loadings_are_the_leading_eigenvector_of_the_correlation_matrix():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 4)) @ rng.normal(size=(4, 4)) + [0, 5, -2, 100]
    w = pca_weights(np.asfortranarray(X))
    values, vectors = np.linalg.eigh(np.corrcoef(X, rowvar=False))
    leading = vectors[:, np.argmax(values)]
    np.testing.assert_allclose(np.abs(w), np.abs(leading), rtol=1e-9)
    assert np.linalg.norm(w) == pytest.approx(1.0) and w.sum() > 0
    # only their ratios matter to an aggregate: scaling the data changes nothing
    np.testing.assert_allclose(pca_weights(X * [1, 10, 100, 0.5]), w, rtol=1e-9)


def test_units_with_any_missing_value_are_left_out_as_na_omit_does():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 3))
    Y = np.vstack([X, [[np.nan, 1e6, -1e6], [1e6, np.nan, 2.0]]])
    np.testing.assert_array_equal(pca_weights(Y), pca_weights(X))


def test_bad_input():
    with pytest.raises(ColumnInputError) as caught:
        pca_weights(np.array([[1.0, 2.0], [1.0, 3.0], [1.0, 5.0]]))
    assert caught.value.column == 0 and "constant" in caught.value.message_en
    with pytest.raises(RasadInputError, match="two units"):
        pca_weights(np.array([[1.0, 2.0], [np.nan, 3.0], [4.0, np.nan]]))
    with pytest.raises(ColumnInputError):
        pca_weights(np.array([[1.0, np.nan], [2.0, np.nan], [3.0, np.nan]]))
    with pytest.raises(ColumnInputError):
        pca_weights(np.array([[1.0, np.inf], [2.0, 1.0], [3.0, 2.0]]))
