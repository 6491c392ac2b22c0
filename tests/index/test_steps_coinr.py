"""Each step function, fed COINr's previous data set of the ASEM build, gives COINr's next
one (COINr 1.1.14; tests/fixtures/coinr_asem). The CSVs carry 15 significant digits,
hence the relative tolerance."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rasad.index._stats import column_skew_kurt
from rasad.index.denominate import denominate
from rasad.index.impute import impute
from rasad.index.normalise import normalise
from rasad.index.screen import screen
from rasad.index.treat import treat

FIXTURES = Path(__file__).parent.parent / "fixtures" / "coinr_asem"


def coinr(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / f"{name}.csv").set_index("uCode")


@pytest.fixture(scope="module")
def meta() -> pd.DataFrame:
    iMeta = pd.read_csv(FIXTURES / "ASEM_iMeta.csv")
    return iMeta[iMeta["Type"] == "Indicator"].set_index("iCode")


@pytest.fixture(scope="module")
def idata() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "ASEM_iData.csv").set_index("uCode")


def matrix(frame: pd.DataFrame) -> np.ndarray:
    return np.asfortranarray(frame.to_numpy(dtype=float))


def assert_same(ours: np.ndarray, expected: pd.DataFrame) -> None:
    np.testing.assert_allclose(
        ours, expected.to_numpy(dtype=float), rtol=1e-9, atol=1e-12, equal_nan=True
    )


def test_raw_to_denominated(meta, idata):
    raw, expected = coinr("dset_Raw"), coinr("dset_Denominated")
    denominators = np.full(raw.shape, np.nan, order="F")
    for j, code in enumerate(raw.columns):
        if isinstance(meta.loc[code, "Denominator"], str):
            denominators[:, j] = idata.loc[raw.index, meta.loc[code, "Denominator"]]
    result = denominate(matrix(raw), denominators)
    assert_same(result.values, expected.loc[raw.index, raw.columns])
    assert result.zero_denominators == []
    plain = np.isnan(denominators).all(axis=0)
    assert plain.sum() == 32  # 17 of the 49 indicators are denominated
    assert np.array_equal(result.values[:, plain], matrix(raw)[:, plain], equal_nan=True)


def test_denominated_to_imputed_by_group_mean(idata):
    denominated, expected = coinr("dset_Denominated"), coinr("dset_Imputed")
    codes, _ = pd.factorize(idata.loc[denominated.index, "EurAsia_group"])
    result = impute(matrix(denominated), "group_mean", groups=codes.astype(np.int64))
    assert_same(result.values, expected.loc[denominated.index, denominated.columns])
    assert np.array_equal(result.imputed_mask, denominated.isna().to_numpy())
    assert result.imputed_mask.sum() == 65


def test_imputed_to_screened_keeps_all_51():
    imputed, expected = coinr("dset_Imputed"), coinr("dset_Screened")
    result = screen(matrix(imputed), 0.9, unit_ids=imputed.index.to_numpy())
    assert result.keep_mask.all() and len(expected) == 51
    assert_same(matrix(imputed)[result.keep_mask], expected.loc[imputed.index, imputed.columns])


def test_screened_to_treated_with_the_same_points_and_statistics():
    screened, expected = coinr("dset_Screened"), coinr("dset_Treated")
    result = treat(matrix(screened), "winsorise", winmax=5, skew_thresh=2, kurt_thresh=3.5)
    assert_same(result.values, expected.loc[screened.index, screened.columns])

    points = pd.read_csv(FIXTURES / "treat_points.csv", keep_default_na=False).to_numpy()
    assert np.array_equal(result.winsorised_high, points == "winhi")
    assert np.array_equal(result.winsorised_low, points == "winlo")
    assert result.winsorised_high.sum() == 34 and result.winsorised_low.sum() == 1
    assert not result.log_transformed.any()

    details = pd.read_csv(FIXTURES / "treat_details.csv")
    assert [d.column for d in result.details] == list(range(49))
    for d, (_, row) in zip(result.details, details.iterrows(), strict=True):
        assert d.passed_before == row["check_SkewKurt0.Pass"], row["iCode"]
        assert d.skew_before == pytest.approx(row["check_SkewKurt0.Skew"], rel=1e-12, abs=1e-14)
        assert d.kurt_before == pytest.approx(row["check_SkewKurt0.Kurt"], rel=1e-12, abs=1e-14)
        if row["check_SkewKurt0.Pass"]:
            assert d.outcome == "passed" and d.n_winsorised == 0
        else:
            assert d.outcome == "winsorised", row["iCode"]
            assert d.n_winsorised == row["winsorise.nwin"]
            assert (
                d.n_winsorised
                == result.winsorised_high[:, d.column].sum()
                + result.winsorised_low[:, d.column].sum()
            )
            assert d.passed_winsorised == row["check_SkewKurt1.Pass"]
            assert d.skew_winsorised == pytest.approx(row["check_SkewKurt1.Skew"], rel=1e-12)
            assert d.kurt_winsorised == pytest.approx(row["check_SkewKurt1.Kurt"], rel=1e-12)


def test_treated_to_normalised_minmax_with_directions(meta):
    treated, expected = coinr("dset_Treated"), coinr("dset_Normalised")
    directions = meta.loc[treated.columns, "Direction"].to_numpy(dtype=float)
    assert (directions == -1).sum() == 14
    result = normalise(matrix(treated), "minmax", directions, params={"range": (0, 100)})
    assert_same(result.values, expected.loc[treated.index, treated.columns])
    assert result.warnings == []


def test_skew_and_kurtosis_equal_coinr_on_raw_data():
    raw = coinr("dset_Raw")
    stats = pd.read_csv(FIXTURES / "stats_raw.csv").set_index("iCode").loc[raw.columns]
    skew, kurt = column_skew_kurt(matrix(raw))
    # stats_raw.csv rounds to 3 significant digits
    np.testing.assert_allclose(skew, stats["Skew"], rtol=5e-3, atol=5e-4)
    np.testing.assert_allclose(kurt, stats["Kurt"], rtol=5e-3, atol=5e-4)
