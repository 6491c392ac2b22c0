"""The whole ASEM build through the methodology file equals COINr 1.1.14 at every step."""

from importlib.resources import files
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from rasad.index import build, load

FIXTURES = Path(__file__).parent.parent / "fixtures" / "coinr_asem"


def coinr(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / f"{name}.csv").set_index("uCode")


@pytest.fixture(scope="module")
def results():
    methodology = load(files("rasad.methodologies") / "asem.yaml")
    data = pd.read_csv(FIXTURES / "ASEM_iData.csv")
    return build(methodology, data)


@pytest.mark.parametrize(
    "step", ["Raw", "Denominated", "Imputed", "Screened", "Treated", "Normalised", "Aggregated"]
)
def test_every_data_set_equals_coinr(results, step):
    expected = coinr(f"dset_{step}")
    ours = results.datasets[step].loc[expected.index, expected.columns]
    np.testing.assert_allclose(
        ours.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-9, equal_nan=True
    )


def test_index_scores_and_ranks_equal_coinr(results):
    expected = coinr("index_scores_ranks")
    np.testing.assert_allclose(
        results.score.loc[expected.index], expected["Index"], rtol=0, atol=1e-9
    )
    assert (results.rank.loc[expected.index] == expected["Rank"]).all()
    aggregate_ranks = coinr("results_aggs_ranks")
    ours = results.ranks.loc[aggregate_ranks.index, aggregate_ranks.columns]
    assert (ours.to_numpy() == aggregate_ranks.to_numpy()).all()


def test_the_same_points_are_winsorised(results):
    points = pd.read_csv(FIXTURES / "treat_points.csv", keep_default_na=False)
    units = pd.read_csv(FIXTURES / "dset_Screened.csv")["uCode"]
    expected = {
        (units[i], column, value)
        for column in points.columns
        for i, value in enumerate(points[column])
        if value
    }
    ours = {
        (unit, indicator, "winhi" if kind == "winsorised_high" else "winlo")
        for unit, indicator, kind in results.treated_points.itertuples(index=False)
    }
    assert ours == expected


def test_effective_weights_equal_coinr(results):
    expected = pd.read_csv(FIXTURES / "effective_weights.csv").set_index("iCode")["EffWeight"]
    np.testing.assert_allclose(results.effective_weights.loc[expected.index], expected, rtol=1e-12)


def test_results_table_and_provenance(results, tmp_path):
    table = results.table()
    assert list(table.columns[:3]) == ["uCode", "score", "rank"]
    assert table.iloc[0]["uCode"] == "CHE" and table.iloc[0]["rank"] == 1
    assert set(results.provenance) == {"methodology_sha256", "data_sha256", "rasad_version"}
    results.to_excel(tmp_path / "asem.xlsx", language="en")
    results.to_csv(tmp_path / "csv")
    results.to_parquet(tmp_path / "pq")
    back = pd.read_parquet(tmp_path / "pq" / "dset_Treated.parquet").set_index("uCode")
    pd.testing.assert_frame_equal(back, results.datasets["Treated"], check_names=False)
    sheets = pd.ExcelFile(tmp_path / "asem.xlsx").sheet_names
    assert {
        "Results",
        "Data, raw",
        "Data, aggregated",
        "Effective weights",
        "Treatment",
        "Exclusions",
        "Dictionary",
        "About",
    } <= set(sheets)
    # one header row in the reader's language, names beside the ids, integer ranks
    shown = pd.read_excel(tmp_path / "asem.xlsx", sheet_name="Results")
    assert list(shown.columns[:4]) == ["ID", "Name", "Rank", "Score"]
    assert len(shown) == len(table) and shown["Rank"].dtype.kind == "i"
    assert shown.loc[0, "Name"] == "Switzerland"
    book = openpyxl.load_workbook(tmp_path / "asem.xlsx")
    first = book["Results"]
    assert not first.sheet_view.rightToLeft
    assert first.auto_filter.ref == f"A1:{get_column_letter(first.max_column)}{len(table) + 1}"
    assert first["C2"].number_format == "0" and type(first["C2"].value) is int
    results.to_excel(tmp_path / "fa.xlsx")
    assert openpyxl.load_workbook(tmp_path / "fa.xlsx")["نتایج"].sheet_view.rightToLeft


def test_data_hash_ignores_row_order(results):
    methodology = results.methodology
    data = pd.read_csv(FIXTURES / "ASEM_iData.csv")
    shuffled = data.sample(frac=1, random_state=3)[data.columns[::-1]]
    again = build(methodology, shuffled)
    assert again.provenance["data_sha256"] == results.provenance["data_sha256"]
    pd.testing.assert_series_equal(again.score.sort_index(), results.score.sort_index())
    changed = data.copy()
    changed.loc[0, "LPI"] += 0.001
    assert (
        build(methodology, changed).provenance["data_sha256"] != results.provenance["data_sha256"]
    )


def test_keep_final_gives_the_same_results(results):
    final = build(results.methodology, pd.read_csv(FIXTURES / "ASEM_iData.csv"), keep="final")
    assert list(final.datasets) == ["Normalised"]
    pd.testing.assert_frame_equal(final.datasets["Normalised"], results.datasets["Normalised"])
    for name in ("scores", "ranks", "treatment", "treated_points", "exclusions", "warnings"):
        pd.testing.assert_frame_equal(getattr(final, name), getattr(results, name))
