import numpy as np
import pandas as pd
import pytest

from rasad.errors import RasadInputError
from rasad.iran.prices import deflator, to_real


def test_table_shape():
    cpi = deflator()
    assert cpi.index.tolist() == list(range(1395, 1405))
    assert cpi[1400] == 100.0
    assert cpi.is_monotonic_increasing


@pytest.mark.parametrize(
    ("year", "inflation"),
    [(1396, 0.096), (1397, 0.269), (1398, 0.348), (1399, 0.364), (1400, 0.402),
     (1401, 0.465), (1402, 0.407), (1403, 0.325)],
)  # fmt: skip
def test_inflation_follows_the_reported_rates(year, inflation):
    cpi = deflator()
    # the index is rounded to one decimal, so allow half a percentage point
    assert cpi[year] / cpi[year - 1] - 1 == pytest.approx(inflation, abs=0.005)


def test_to_real_scalar():
    assert to_real(146.5, 1401) == pytest.approx(100.0)
    assert to_real(100.0, 1400) == 100.0
    assert to_real(100.0, 1400, base_year=1401) == pytest.approx(146.5)


def test_to_real_arrays_and_series():
    cpi = deflator()
    values = np.array([100.0, 200.0, 300.0])
    years = np.array([1399, 1402, 1403])
    expected = values * 100 / cpi[years].to_numpy()
    np.testing.assert_allclose(to_real(values, years), expected)
    np.testing.assert_allclose(to_real(values.tolist(), years.tolist()), expected)
    series = pd.Series(values, index=["a", "b", "c"], name="sales")
    real = to_real(series, pd.Series(years))
    assert isinstance(real, pd.Series)
    assert real.index.tolist() == ["a", "b", "c"] and real.name == "sales"
    np.testing.assert_allclose(real.to_numpy(), expected)


def test_real_growth_removes_inflation():
    # Sales up 32.5% in 1403 at 32.5% inflation: no real growth.
    real = to_real([1000.0, 1325.0], [1402, 1403])
    assert real[1] / real[0] - 1 == pytest.approx(0.0, abs=0.002)


def test_missing_year_gives_nan():
    real = to_real([100.0, 100.0], pd.Series([1400, None], dtype="Int64"))
    assert real[0] == 100.0 and np.isnan(real[1])


@pytest.mark.parametrize(
    ("years", "base"), [([1394], 1400), ([1405], 1400), ([1400.5], 1400), ([1400], 1390)]
)
def test_unknown_years_raise(years, base):
    with pytest.raises(RasadInputError) as caught:
        to_real([1.0], years, base_year=base)
    assert "No price index" in caught.value.message_en
    assert "شاخص قیمت" in caught.value.message_fa
