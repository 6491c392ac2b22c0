"""Bad data never becomes a silent NaN in a published rank: it is refused or logged."""

import numpy as np
import pandas as pd
import pytest

from rasad.errors import RasadInputError
from rasad.index import build, loads

METHOD = """\
name: {en: Tiny}
version: "1"
unit: id
groups: [sector]
indicators:
  - {code: a}
  - {code: b, denominator: size}
  - {code: c, direction: -1}
steps:
  aggregate: {method: arithmetic, min_coverage: 0.6}
tree:
  - {code: Index, children: [P, c]}
  - {code: P, children: [a, b]}
"""


def _data(**changes):
    data = pd.DataFrame(
        {
            "id": ["u1", "u2", "u3", "u4"],
            "sector": ["x", "x", "y", "y"],
            "a": [1.0, 2.0, 3.0, 5.0],
            "b": [10.0, 20.0, 30.0, 40.0],
            "size": [1.0, 2.0, 2.0, 5.0],
            "c": [4.0, 3.0, 2.0, 1.0],
        }
    )
    for column, values in changes.items():
        data[column] = values
    return data


def test_hand_computed_small_build():
    results = build(loads(METHOD), _data())
    # a → [0, 1/4, 1/2, 1]·100; b/size = [10, 10, 15, 8] → [2/7, 2/7, 1, 0]·100;
    # c reversed → [0, 1/3, 2/3, 1]·100
    expected_p = (np.array([0, 1 / 4, 1 / 2, 1]) + np.array([2 / 7, 2 / 7, 1, 0])) / 2 * 100
    np.testing.assert_allclose(results.scores["P"], expected_p)
    np.testing.assert_allclose(
        results.score, (expected_p + np.array([0, 1 / 3, 2 / 3, 1]) * 100) / 2
    )
    assert list(results.rank) == [4, 3, 2, 1]


def test_missing_indicator_column_is_named():
    with pytest.raises(RasadInputError) as caught:
        build(loads(METHOD), _data().drop(columns="b"))
    assert "no column 'b'" in caught.value.message_en and "«b»" in caught.value.message_fa


def test_text_in_a_numeric_cell_names_unit_and_column():
    with pytest.raises(RasadInputError) as caught:
        build(loads(METHOD), _data(a=["1", "2", "n/a", "4"]))
    assert (
        "Column 'a' has text where a number belongs: 'n/a' for unit u3" in caught.value.message_en
    )


@pytest.mark.parametrize(
    ("values", "en", "fa"),
    [
        (pd.to_datetime([None, "2024-03-20", "2024-03-21", None]), "dates", "تاریخ"),
        (pd.to_timedelta([None, 1, 2, 3], unit="D"), "durations", "مدت زمان"),
        (np.array([np.nan, 2, 3, 5]) + 1j, "complex numbers", "عدد مختلط"),
        (pd.period_range("1400", periods=4, freq="Y"), "periods", "دوره"),
    ],
)
def test_dates_and_other_non_numbers_are_refused_not_read_as_figures(values, en, fa):
    """A column of dates (an Excel cell formatted as a date) became nanoseconds since
    1970, and a complex one lost its imaginary part, without a word."""
    with pytest.raises(RasadInputError) as caught:
        build(loads(METHOD), _data(b=values))
    error = caught.value
    first = 0 if en == "periods" else 1  # the first filled cell: u2, or u1 for periods
    assert error.message_en.startswith(f"Column 'b' holds {en}, not numbers: ")
    assert error.message_en.endswith(f" for unit u{first + 1}.")
    assert f"ستون «b» به‌جای عدد {fa} دارد" in error.message_fa


def test_duplicated_unit_id_is_named():
    with pytest.raises(RasadInputError) as caught:
        build(loads(METHOD), _data(id=["u1", "u2", "u2", "u4"]))
    assert "u2" in caught.value.message_en and "تکراری" in caught.value.message_fa


def test_duplicated_integer_unit_id_is_named():
    # integer ids are checked by a sort, others by pandas' hash table
    with pytest.raises(RasadInputError) as caught:
        build(loads(METHOD), _data(id=[7, 3, 9, 3]))
    assert "'id': 3." in caught.value.message_en
    assert build(loads(METHOD), _data(id=[7, 3, 9, 4])).rank.notna().all()


def test_column_with_no_values_is_named():
    with pytest.raises(RasadInputError) as caught:
        build(loads(METHOD), _data(c=[np.nan] * 4))
    assert "No unit has a value for: c" in caught.value.message_en


def test_zero_denominator_is_a_logged_missing_value():
    results = build(loads(METHOD), _data(size=[1.0, 0.0, 2.0, 5.0]))
    log = results.exclusions
    assert list(log.loc[log.step == "denominate", "id"]) == ["u2"]
    assert np.isnan(results.datasets["Denominated"].loc["u2", "b"])
    # with one of P's two children, u2 falls below min_coverage 0.6 and is left unranked, saying why
    assert np.isnan(results.rank.loc["u2"]) and results.rank.drop("u2").notna().all()
    assert list(log.loc[log.id == "u2", "step"]) == ["denominate", "aggregate", "aggregate"]


def test_too_few_values_leaves_the_unit_unranked_and_says_why():
    results = build(loads(METHOD), _data(a=[np.nan, 2.0, 3.0, 5.0], b=[np.nan, 20.0, 30.0, 40.0]))
    assert np.isnan(results.scores.loc["u1", "P"]) and np.isnan(results.rank.loc["u1"])
    reasons = results.exclusions[results.exclusions.id == "u1"]
    assert list(reasons["step"]) == ["aggregate", "aggregate"]
    assert reasons["reason_en"].iloc[0].startswith("P:") and reasons["reason_en"].iloc[
        1
    ].startswith("Index:")


def test_geometric_mean_over_nonpositive_values_names_node_and_unit():
    method = METHOD.replace(
        "children: [a, b]}", "children: [a, b], aggregate: {method: geometric}}"
    )
    method = method.replace("steps:\n", "steps:\n  normalise: {method: minmax, range: [0, 100]}\n")
    with pytest.raises(RasadInputError) as caught:
        build(loads(method), _data())
    assert caught.value.message_en.startswith("P:") and "u1" in caught.value.message_en
    excluded = build(
        loads(method.replace("method: geometric}", "method: geometric, nonpositive: exclude}")),
        _data(),
    )
    assert excluded.exclusions["step"].eq("aggregate").any()


def test_eligibility_filters_and_logs():
    method = METHOD.replace("steps:", "eligibility: {sector: [x]}\nsteps:")
    results = build(loads(method), _data())
    assert list(results.score.index) == ["u1", "u2"]
    assert set(results.exclusions.loc[results.exclusions.step == "eligibility", "id"]) == {
        "u3",
        "u4",
    }


def test_small_reference_groups_fall_back_to_the_whole_population():
    method = METHOD.replace(
        "steps:\n", "steps:\n  normalise: {method: minmax, within: sector, min_group_size: 3}\n"
    )
    data = pd.concat(
        [_data(), _data(id=["v1", "v2", "v3", "v4"], sector=["z", "z", "z", "x"])],
        ignore_index=True,
    )
    results = build(loads(method), data)
    normalised = results.datasets["Normalised"]
    # sector x has 3 units (u1, u2, v4): normalised among themselves; y (2 units) against everyone
    x = data[data.sector == "x"].set_index("id")["a"]
    np.testing.assert_allclose(
        normalised.loc[x.index, "a"], (x - x.min()) / (x.max() - x.min()) * 100
    )
    everyone = data.set_index("id")["a"]
    y_units = ["u3", "u4"]
    np.testing.assert_allclose(
        normalised.loc[y_units, "a"],
        (everyone[y_units] - everyone.min()) / (everyone.max() - everyone.min()) * 100,
    )
    assert results.warnings.empty


def test_pca_weights_follow_the_first_component():
    method = METHOD.replace("steps:\n", "steps:\n  weights: {method: pca}\n").replace(
        "min_coverage: 0.6", "min_coverage: 0"
    )
    data = _data(b=[10.0, 40.0, 90.0, 250.0])  # b/size = [10, 20, 45, 50]: rises with a, as c falls
    results = build(loads(method), data)
    weights = results.effective_weights
    assert weights["a"] > 0 and weights["b"] > 0 and weights["c"] > 0
    assert weights["a"] + weights["b"] + weights["c"] == pytest.approx(1.0)


PCA_METHOD = """\
name: {en: Four}
version: "1"
unit: id
indicators: [{code: a}, {code: b}, {code: c}, {code: d}]
steps:
  weights: {method: pca%s}
tree:
  - {code: Index, children: [P, d]}
  - {code: P, children: [a, b, c]}
"""
PCA_DATA = pd.DataFrame(
    {
        "id": ["u1", "u2", "u3", "u4", "u5"],
        "a": [1.0, 2.0, 3.0, 4.0, 6.0],
        "b": [5.0, 3.0, 4.0, 1.0, 2.0],  # falls as a and c rise
        "c": [1.0, 3.0, 2.0, 5.0, 4.0],
        "d": [0.0, 2.0, 1.0, 3.0, 5.0],
    }
)


@pytest.mark.parametrize("negative", [None, "zero", "keep", "refuse"])
def test_a_pca_loading_against_the_others_is_reported_and_handled_as_the_methodology_says(negative):
    method = loads(PCA_METHOD % ("" if negative is None else f", negative: {negative}"))
    if negative == "refuse":
        with pytest.raises(RasadInputError) as caught:
            build(method, PCA_DATA)
        assert (
            "negative loading" in caught.value.message_en and "بار منفی" in caught.value.message_fa
        )
        assert caught.value.field == "P"
        return
    results = build(method, PCA_DATA)
    assert len(results.warnings) == 1
    row = results.warnings.iloc[0]
    assert (row["step"], row["indicator"]) == ("weights", "b")
    assert row["message_en"].startswith("P: PCA gives b a negative loading (-0.")
    assert row["message_fa"].startswith("P: PCA به b بار منفی (-0.")
    weights = results.effective_weights
    normalised = results.datasets["Normalised"]
    if negative == "keep":  # COINr's: the loadings as they are, b counting against P
        assert weights["b"] < 0 < min(weights["a"], weights["c"])
        assert "keep" in row["message_en"]
    else:  # the default: b gets no weight, P averages a and c
        assert weights["b"] == 0.0 and "zero" in row["message_en"]
        share = weights["a"] / (weights["a"] + weights["c"])
        np.testing.assert_allclose(
            results.scores["P"], share * normalised["a"] + (1 - share) * normalised["c"]
        )


def test_pca_loadings_adding_up_to_zero_are_refused():
    # two children moving against each other load ±1/√2: neither is "against the others"
    method = loads(
        PCA_METHOD.replace("children: [a, b, c]", "children: [a, b]").replace("P, d", "P, c, d")
        % ""
    )
    with pytest.raises(RasadInputError) as caught:
        build(method, PCA_DATA)
    assert caught.value.field == "P" and "add up to zero" in caught.value.message_en
    assert "جمع بارهای PCA" in caught.value.message_fa
