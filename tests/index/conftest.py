"""What the uncertainty and sensitivity tests share: COINr's ASEM example and the spec of
COINr's uncertainty-analysis vignette for it."""

import copy
from pathlib import Path

import pandas as pd
import pytest

from rasad.demo import generate
from rasad.index import load
from rasad.index.inputs import sme_inputs
from rasad.index.uncertainty import UncertaintySpec

ASEM_DIR = Path(__file__).parent.parent / "fixtures" / "coinr_asem"
# COINr's vignette: winmax U{1..5}; min-max [1, 100] or z-score (10, 2); the weights of
# levels 2 and 3 × U(0.75, 1.25); arithmetic or geometric mean
VIGNETTE = {
    "weights": {2: {"uniform": 0.25}, 3: {"uniform": 0.25}},
    "normalise": [
        {"method": "minmax", "range": [1, 100]},
        {"method": "zscore", "mean": 10, "sd": 2},
    ],
    "aggregate": ["arithmetic", "geometric"],
    "winmax": [1, 5],
}


@pytest.fixture(scope="session")
def asem_dir() -> Path:
    return ASEM_DIR


@pytest.fixture(scope="session")
def asem():
    """The ASEM methodology and its data, as COINr ships them."""
    return load("asem"), pd.read_csv(ASEM_DIR / "ASEM_iData.csv")


@pytest.fixture
def vignette() -> dict:
    """The vignette's spec as plain data (a fresh copy each time)."""
    return copy.deepcopy(VIGNETTE)


@pytest.fixture(scope="session")
def spec() -> UncertaintySpec:
    return UncertaintySpec.from_dict(VIGNETTE)


@pytest.fixture(scope="session")
def demo_table():
    """``demo_table(n, seed)``: the SME-100 input table (year 1403) of the demo population
    of ``n`` firms drawn with ``seed``, generated once per session, a fresh copy each call."""
    made: dict[tuple[int, int], pd.DataFrame] = {}

    def table(n: int, seed: int) -> pd.DataFrame:
        if (n, seed) not in made:
            population = generate(n_enterprises=n, seed=seed)
            made[n, seed] = sme_inputs(population.returns, population.enterprises, 1403)
        return made[n, seed].copy()

    return table
