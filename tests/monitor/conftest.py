"""What the monitoring tests share: the two real firm panels (read straight from the
fixture CSVs with pandas, as canonical returns) and one demo population."""

from pathlib import Path

import pandas as pd
import pytest

from rasad.demo import generate

FIXTURES = Path(__file__).parent.parent / "fixtures" / "monitor"


@pytest.fixture(scope="session")
def michigan() -> pd.DataFrame:
    """Holzer et al. (1993): 157 plants × 1987–89; sales in nominal US$."""
    raw = pd.read_csv(FIXTURES / "jtrain_michigan_1987_1989.csv")
    return pd.DataFrame(
        {
            "national_id": raw["fcode"].astype("int64").astype(str),
            "year": raw["year"].astype("int64"),
            "employees": raw["employ"],
            "sales": raw["sales"],
        }
    )


@pytest.fixture(scope="session")
def uk() -> pd.DataFrame:
    """Arellano and Bond (1991): 140 UK firms, unbalanced 1976–84; emp in thousands."""
    raw = pd.read_csv(FIXTURES / "emplUK_1976_1984.csv")
    return pd.DataFrame(
        {
            "national_id": raw["firm"].astype(str),
            "year": raw["year"].astype("int64"),
            "employees": raw["emp"] * 1000,
        }
    )


@pytest.fixture(scope="session")
def demo():
    return generate(n_enterprises=3000, seed=1)
