"""IMI-style league tables: one ranked list per indicator within size bands."""

import numpy as np
import pandas as pd
import pytest

from rasad.errors import RasadInputError
from rasad.index import loads
from rasad.index.league import league_tables

METHOD = """\
name: {en: League}
version: "1"
unit: id
groups: [size_class]
indicators:
  - {code: export_share, source: exports, denominator: sales}
  - {code: defect_rate, direction: -1}
steps:
  impute: {method: median}
tree:
  - {code: Index, children: [export_share, defect_rate]}
"""

DATA = pd.DataFrame(
    {
        "id": ["a", "b", "c", "d", "e"],
        "size_class": ["small", "small", "small", "medium", "medium"],
        "exports": [50.0, 10.0, np.nan, 30.0, 30.0],
        "sales": [100.0, 100.0, 100.0, 60.0, 60.0],
        "defect_rate": [2.0, 1.0, 1.0, 5.0, np.nan],
    }
)


def test_one_list_per_indicator_and_band_in_its_direction():
    table = league_tables(loads(METHOD), DATA, by="size_class", top=2)
    exports_small = table[(table.indicator == "export_share") & (table.size_class == "small")]
    assert list(exports_small["id"]) == ["a", "b"] and list(exports_small["value"]) == [0.5, 0.1]
    exports_medium = table[(table.indicator == "export_share") & (table.size_class == "medium")]
    assert list(exports_medium["rank"]) == [1, 1]  # a tie shares the rank
    defects_small = table[(table.indicator == "defect_rate") & (table.size_class == "small")]
    assert list(defects_small["rank"]) == [1, 1] and set(defects_small["id"]) == {
        "b",
        "c",
    }  # lower is better
    assert "c" not in set(exports_small["id"])  # no imputation in a league table
    defects_medium = table[(table.indicator == "defect_rate") & (table.size_class == "medium")]
    assert list(defects_medium["id"]) == ["d"]


def test_unknown_indicator_is_refused():
    with pytest.raises(RasadInputError):
        league_tables(loads(METHOD), DATA, indicators=["profit"])
