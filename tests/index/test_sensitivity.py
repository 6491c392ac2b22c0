"""Sobol sensitivity analysis: the estimator on the Ishigami function, then ASEM with
COINr's vignette spec."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from SALib.analyze import sobol as salib_analyze
from SALib.sample import sobol as salib_sample
from SALib.test_functions import Ishigami

from rasad.errors import RasadInputError
from rasad.index import build
from rasad.index.methodology import MethodologyError
from rasad.index.replicates import Replicates
from rasad.index.sensitivity import COLUMNS, design_plan, sensitivity, sobol, sobol_inputs
from rasad.index.uncertainty import UncertaintySpec, loads_spec, replicate_methodology

FIXTURES = Path(__file__).parent.parent / "fixtures" / "coinr_asem"


# Ishigami (a = 7, b = 0.1) on [−π, π)³: analytic first-order and total indices
ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]


def ishigami(u: np.ndarray) -> np.ndarray:
    """The fourth input is a dummy Ishigami does not read."""
    return Ishigami.evaluate(-np.pi + 2 * np.pi * u[:, :3])


@pytest.fixture(scope="module")
def ishigami_indices():
    return sobol(["x1", "x2", "x3", "dummy"], ishigami, 4096, seed=1, bootstrap=1000)


def test_ishigami_analytic_indices_lie_in_the_bootstrap_intervals(ishigami_indices):
    result = ishigami_indices
    assert list(result.columns) == list(COLUMNS)
    assert result["input"].tolist() == ["x1", "x2", "x3", "dummy"]
    head = result.iloc[:3]
    assert ((head["Si_q05"] <= ISHIGAMI_S1) & (np.array(ISHIGAMI_S1) <= head["Si_q95"])).all(), (
        result
    )
    assert ((head["STi_q05"] <= ISHIGAMI_ST) & (np.array(ISHIGAMI_ST) <= head["STi_q95"])).all(), (
        result
    )
    np.testing.assert_allclose(result["Si"].iloc[:3], ISHIGAMI_S1, atol=0.03)
    np.testing.assert_allclose(result["STi"].iloc[:3], ISHIGAMI_ST, atol=0.03)
    assert (result["Si_q05"] <= result["Si"]).all() and (result["Si"] <= result["Si_q95"]).all()
    assert (result["STi_q05"] <= result["STi"]).all() and (result["STi"] <= result["STi_q95"]).all()


def test_a_dummy_input_gets_zero_indices(ishigami_indices):
    dummy = ishigami_indices.set_index("input").loc["dummy"]
    np.testing.assert_allclose(dummy.to_numpy(dtype=float), 0.0, atol=1e-12)


def test_group_indices():
    # y = u1 + u2 + u3, (u1, u2) one group: Var = 2/12 + 1/12, indices 2/3 and 1/3
    result = sobol(["a", "a", "b"], lambda u: u.sum(axis=1), 1024, seed=2, bootstrap=200)
    assert result["input"].tolist() == ["a", "b"]
    np.testing.assert_allclose(result["Si"], [2 / 3, 1 / 3], atol=0.02)
    np.testing.assert_allclose(result["STi"], [2 / 3, 1 / 3], atol=0.02)


def test_runs_follow_the_saltelli_design():
    rows = []

    def model(u):
        rows.append(len(u))
        return u[:, 0] + 0.1 * u[:, 1]

    sobol(["x", "y", "z"], model, 16, seed=0, bootstrap=10)
    assert sum(rows) == 16 * (3 + 2)


def test_inputs_of_a_spec(vignette):
    assert sobol_inputs(UncertaintySpec.from_dict(vignette)) == [
        "weights.2",
        "weights.3",
        "normalise",
        "aggregate",
        "winmax",
    ]
    fixed = UncertaintySpec.from_dict(
        {
            "normalise": [{"method": "zscore"}],
            "aggregate": ["arithmetic"],
            "winmax": [3, 3],
            "weights": {2: {"uniform": 0.1}},
        }
    )
    assert sobol_inputs(fixed) == ["weights.2"]
    grouped = UncertaintySpec.from_dict(
        vignette | {"groups": {"weights": ["weights.2", "weights.3"]}}
    )
    assert sobol_inputs(grouped) == ["weights", "normalise", "aggregate", "winmax"]
    choices = UncertaintySpec.from_dict(vignette | {"groups": {"choices": ["winmax", "normalise"]}})
    assert sobol_inputs(choices) == ["weights.2", "weights.3", "choices", "aggregate"]


def test_groups_are_checked_and_located(asem):
    methodology, _ = asem
    text = (
        "weights: {2: {uniform: 0.2}, 3: {uniform: 0.2}}\n"
        "aggregate: [arithmetic, borda]\n"
        "groups:\n"
        "  weights: [weights.2, weights.4, normalise]\n"
        "  aggregate: [weights.3, weights.2]\n"
        "  empty: []\n"
    )
    with pytest.raises(MethodologyError) as caught:
        loads_spec(text, methodology=methodology)
    problems = {(p.path, p.line): p for p in caught.value.problems}
    assert set(problems) == {
        ("groups.weights[1]", 4),
        ("groups.weights[2]", 4),
        ("groups.aggregate[1]", 5),
        ("groups.aggregate", 5),
        ("groups.empty", 6),
    }
    assert (
        "not an input of this spec; its inputs are: weights.2, weights.3, aggregate"
        in problems[("groups.weights[1]", 4)].message_en
    )
    assert "already in group 'weights'" in problems[("groups.aggregate[1]", 5)].message_en
    assert "outside this group" in problems[("groups.aggregate", 5)].message_en
    assert all(p.message_fa for p in problems.values())


def design_draw(methodology, spec, row):
    return design_plan(methodology, spec, np.asarray(row)[None]).draw(0)


def test_design_rows_map_to_draws(asem, spec):
    methodology, _ = asem
    level = methodology.levels
    n_weights = sum(1 for lv in level.values() if lv in (2, 3))
    low = design_draw(methodology, spec, np.zeros(n_weights + 3))
    high = design_draw(methodology, spec, np.full(n_weights + 3, 0.999999))
    assert all(f == pytest.approx(0.75) for f in low.weight_factors.values())
    assert all(f == pytest.approx(1.25, abs=1e-5) for f in high.weight_factors.values())
    assert set(low.weight_factors) == {c for c, lv in level.items() if lv in (2, 3)}
    assert (dict(low.normalise)["method"], low.aggregate.method, low.winmax) == (
        "minmax",
        "arithmetic",
        1,
    )
    assert (dict(high.normalise)["method"], high.aggregate.method, high.winmax) == (
        "zscore",
        "geometric",
        5,
    )
    middle = design_draw(methodology, spec, np.full(n_weights + 3, 0.5))
    assert middle.winmax == 3 and all(f == 1.0 for f in middle.weight_factors.values())
    replicate = replicate_methodology(methodology, middle)
    assert replicate.node("Conn").weight == methodology.node("Conn").weight


@pytest.fixture(scope="module")
def asem_indices(asem, spec):
    methodology, data = asem
    return sensitivity(methodology, data, spec, 32, seed=1, bootstrap=500)


def test_asem_indices_are_sane(asem_indices):
    result = asem_indices.set_index("input")
    assert list(asem_indices.columns) == list(COLUMNS)
    assert result.index.tolist() == ["weights.2", "weights.3", "normalise", "aggregate", "winmax"]
    # indices lie in [0, 1] up to sampling error; a total index is not below the first
    # order one by more than that error
    tolerance = 0.25
    assert ((result["Si"] >= -tolerance) & (result["Si"] <= 1 + tolerance)).all(), result
    assert ((result["STi"] >= -tolerance) & (result["STi"] <= 1 + tolerance)).all(), result
    assert (result["STi"] >= result["Si"] - tolerance).all(), result
    assert (result["Si_q05"] <= result["Si_q95"]).all() and (
        result["STi_q05"] <= result["STi_q95"]
    ).all()
    # the arithmetic/geometric choice moves ASEM's ranking most, then the normalisation;
    # weights and winmax less (so with seeds 1–7 at this n)
    total = result["STi"]
    assert total["aggregate"] > total["normalise"], result
    assert total["normalise"] > total[["weights.2", "weights.3", "winmax"]].max(), result


def test_seeded_and_reproducible(asem, spec):
    methodology, data = asem
    first = sensitivity(methodology, data, spec, 4, seed=7, bootstrap=50)
    again = sensitivity(methodology, data, spec, 4, seed=7, bootstrap=50)
    other = sensitivity(methodology, data, spec, 4, seed=8, bootstrap=50)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)


def test_a_unit_target(asem, spec):
    methodology, data = asem
    unit = build(methodology, data, keep="final").rank.index[0]
    done = []
    result = sensitivity(
        methodology,
        data,
        spec,
        4,
        seed=3,
        target=("unit", unit),
        bootstrap=50,
        progress=lambda d, total: done.append((d, total)),
    )
    assert len(result) == 5 and np.isfinite(result[list(COLUMNS[1:])].to_numpy()).all()
    assert done[-1] == (4 * 7, 4 * 7)


def test_bad_arguments_are_refused_before_any_run(asem, spec, monkeypatch):
    methodology, data = asem

    def no_runs(*args, **kwargs):
        raise AssertionError("a run started")

    monkeypatch.setattr("rasad.index.sensitivity.sobol", no_runs)
    for bad in (
        dict(n=0),
        dict(n=2.5),
        dict(bootstrap=1),
        dict(target="variance"),
        dict(target=("unit", "Atlantis")),
        dict(spec=UncertaintySpec()),
        dict(spec=UncertaintySpec.from_dict({"weights": {7: {"uniform": 0.1}}})),
    ):
        arguments = dict(methodology=methodology, data=data, spec=spec, n=4, seed=1) | bad
        with pytest.raises(RasadInputError) as caught:
            sensitivity(**arguments)
        problems = getattr(caught.value, "problems", [caught.value])
        assert all(p.message_en and p.message_fa for p in problems)


def test_dirichlet_weights_and_left_out_indicators_are_inputs(asem):
    methodology, data = asem
    spec = UncertaintySpec.from_dict(
        {
            "weights": {2: {"dirichlet": 10}},
            "drop": ["Flights", "Gas", "CO2"],
            "impute": [{"method": "none"}, {"method": "mean"}],
        }
    )
    assert sobol_inputs(spec) == ["weights.2", "impute", "drop"]
    result = sensitivity(methodology, data, spec, 16, seed=2, bootstrap=100).set_index("input")
    assert result.index.tolist() == ["weights.2", "impute", "drop"]
    assert np.isfinite(result[["Si", "STi"]].to_numpy()).all()
    assert (result["STi"] > 0.005).all()  # each of them moves the ranks
    assert result["STi"].idxmax() == "weights.2"  # a concentration of 10 is a lot of noise


def test_all_weights_as_one_input_as_salib_computes_a_group(asem):
    """``groups: {weights: [...]}`` makes both weight levels one Sobol input: its
    indices are SALib's for the group of all ten weight columns, run directly on the
    same model. Next to an input that changes nothing (two identical imputations), the
    weights explain all the variance: Si and STi of the group near 1."""
    methodology, data = asem
    same = {"method": "group_mean", "by": "EurAsia_group"}
    spec = UncertaintySpec.from_dict(
        {
            "weights": {2: {"uniform": 0.25}, 3: {"uniform": 0.25}},
            "impute": [same, same],
            "groups": {"weights": ["weights.2", "weights.3"]},
        }
    )
    n = 256
    ours = sensitivity(methodology, data, spec, n, seed=4, bootstrap=200).set_index("input")
    assert ours.index.tolist() == ["weights", "impute"]

    replicates = Replicates(methodology, data, spec)
    columns = sum(
        1 for level in methodology.levels.values() if level in (2, 3)
    )  # 8 pillars, 2 sub-indexes
    problem = {
        "num_vars": columns + 1,
        "names": [f"x{k}" for k in range(columns + 1)],
        "bounds": [[0.0, 1.0]] * (columns + 1),
        "groups": ["weights"] * columns + ["impute"],
    }
    design = salib_sample.sample(problem, n, calc_second_order=False, seed=4)
    shift = np.empty(len(design))
    for block in replicates.blocks(design_plan(methodology, spec, design)):
        shift[block.runs] = np.abs(block.ranks - replicates.nominal_rank.to_numpy()).mean(axis=1)
    direct = salib_analyze.analyze(
        problem, shift, calc_second_order=False, num_resamples=10, seed=4
    )
    np.testing.assert_allclose(ours["Si"], direct["S1"], rtol=1e-12)
    np.testing.assert_allclose(ours["STi"], direct["ST"], rtol=1e-12)
    weights = ours.loc["weights"]
    np.testing.assert_allclose(weights[["Si", "STi"]].astype(float), 1.0, atol=0.1)
    assert (
        weights["Si_q05"] <= 1 <= weights["Si_q95"]
        and weights["STi_q05"] <= 1 <= weights["STi_q95"]
    )
    np.testing.assert_allclose(ours.loc["impute", ["Si", "STi"]].astype(float), 0.0, atol=1e-12)


def test_one_input_is_refused_as_coinr_refuses_it(asem):
    """One input explains all the variance; SALib would take its single group for no
    grouping. All the weights in one group and nothing else uncertain: refused."""
    methodology, data = asem
    spec = UncertaintySpec.from_dict(
        {
            "weights": {2: {"uniform": 0.25}, 3: {"uniform": 0.25}},
            "groups": {"weights": ["weights.2", "weights.3"]},
        }
    )
    with pytest.raises(RasadInputError) as caught:
        sensitivity(methodology, data, spec, 4, seed=1)
    assert (
        "two uncertain inputs" in caught.value.message_en and "(weights)" in caught.value.message_en
    )
    assert caught.value.message_fa
    with pytest.raises(RasadInputError):
        sobol(["a", "a", "a"], lambda u: u.sum(axis=1), 8, seed=1)
    with pytest.raises(RasadInputError):
        sensitivity(
            methodology,
            data,
            UncertaintySpec.from_dict({"weights": {2: {"uniform": 0.25}}}),
            4,
            seed=1,
        )
