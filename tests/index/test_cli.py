"""The engine's command line, which other tools call: stable columns, clear failures."""

import gc
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from rasad import cli
from rasad.cli import main

FIXTURES = Path(__file__).parent.parent / "fixtures" / "coinr_asem"


def test_build_writes_unit_score_rank_and_every_aggregate(tmp_path, capsys):
    out = tmp_path / "results.csv"
    assert (
        main(
            [
                "index",
                "build",
                "--methodology",
                "asem",
                "--data",
                str(FIXTURES / "ASEM_iData.csv"),
                "--out",
                str(out),
                "--excel",
                str(tmp_path / "all.xlsx"),
            ]
        )
        == 0
    )
    table = pd.read_csv(out)
    assert list(table.columns[:3]) == ["uCode", "score", "rank"]
    assert {"Conn", "Sust", "Physical", "SusEcFin"} <= set(table.columns)
    expected = pd.read_csv(FIXTURES / "index_scores_ranks.csv")
    merged = table.merge(expected, on="uCode")
    assert (merged["rank"] == merged["Rank"]).all() and len(merged) == 51
    assert (tmp_path / "all.xlsx").exists()
    assert "51 units ranked" in capsys.readouterr().out


def test_check_reports_every_problem_with_its_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nversion: '1'\nunit: id\nindicators:\n  - {code: a, direction: 2}\n"
        "tree:\n  - {code: I, children: [a, b]}\n",
        encoding="utf-8",
    )
    assert main(["index", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:5: indicators[0].direction: '2' is not one of: 1, -1" in err
    assert f"{bad}:7: tree[0].children[1]: 'b' is neither an indicator nor an aggregate" in err
    assert "«b» نه شاخص است نه زیرشاخص" in err
    assert main(["index", "check", "sme100"]) == 0
    assert "18 indicators, 8 aggregates" in capsys.readouterr().out


def test_build_with_bad_data_fails_with_both_languages(tmp_path, capsys):
    data = pd.read_csv(FIXTURES / "ASEM_iData.csv").drop(columns=["LPI"])
    data.to_csv(tmp_path / "d.csv", index=False)
    assert (
        main(
            [
                "index",
                "build",
                "--methodology",
                "asem",
                "--data",
                str(tmp_path / "d.csv"),
                "--out",
                str(tmp_path / "r.csv"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "no column 'LPI'" in err and "ستون «LPI»" in err
    assert not (tmp_path / "r.csv").exists()


def test_inputs_then_build_then_league_on_the_demo(tmp_path, capsys):
    assert (
        main(
            [
                "demo",
                "generate",
                "--enterprises",
                "400",
                "--seed",
                "2",
                "--out",
                str(tmp_path / "demo"),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "index",
                "inputs",
                "--returns",
                str(tmp_path / "demo" / "returns.csv"),
                "--enterprises",
                str(tmp_path / "demo" / "enterprises.csv"),
                "--year",
                "1403",
                "--out",
                str(tmp_path / "in.csv"),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "index",
                "build",
                "--methodology",
                "sme100",
                "--data",
                str(tmp_path / "in.csv"),
                "--out",
                str(tmp_path / "r.csv"),
            ]
        )
        == 0
    )
    ranking = pd.read_csv(tmp_path / "r.csv", dtype={"national_id": str})
    assert ranking["rank"].iloc[0] == 1 and ranking["national_id"].str.len().eq(11).all()
    assert (
        main(
            [
                "index",
                "league",
                "--methodology",
                "sme100",
                "--data",
                str(tmp_path / "in.csv"),
                "--top",
                "10",
                "--out",
                str(tmp_path / "league.csv"),
            ]
        )
        == 0
    )
    league = pd.read_csv(tmp_path / "league.csv")
    assert set(league["size_class"]) <= {"small", "medium"} and league["rank"].max() <= 10


def test_the_process_entry_exits_with_the_commands_status(tmp_path):
    """``python -m rasad`` (and the console script) run :func:`rasad.cli.run`: its exit
    status is the command's, its output the command's, whatever it does to the
    collector."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: '1'\nunit: id\nindicators: []\ntree: []\n", "utf-8")
    command = [sys.executable, "-m", "rasad", "--lang", "en", "index", "check"]
    good = subprocess.run([*command, "sme100"], capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    assert "18 indicators, 8 aggregates" in good.stdout
    refused = subprocess.run([*command, str(bad)], capture_output=True, text=True)
    assert refused.returncode == 2
    assert "indicators: must be a non-empty list of indicators" in refused.stderr


def test_run_collects_the_youngest_less_often_and_freezes_at_the_end(monkeypatch):
    thresholds = gc.get_threshold()
    monkeypatch.setattr(cli, "main", lambda: 3)
    try:
        with pytest.raises(SystemExit) as exited:
            cli.run()
        assert exited.value.code == 3
        assert gc.get_threshold() == (cli.GC_YOUNGEST, *thresholds[1:])
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
