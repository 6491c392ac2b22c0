"""``rasad index uncertainty`` and the spec files it reads: stable columns, located failures."""

from pathlib import Path

import pandas as pd
import pytest

from rasad.cli import main
from rasad.index import load
from rasad.index.methodology import MethodologyError, bundled
from rasad.index.uncertainty import load_spec, loads_spec

FIXTURES = Path(__file__).parent.parent / "fixtures" / "coinr_asem"
DATA = str(FIXTURES / "ASEM_iData.csv")


BAD_SPEC = """\
winmax: [1, 5]
weights:
  2: {uniform: 0.25}
  7: {uniform: 1.5}
normalise:
  - {method: minmax, range: [1, 100]}
  - {method: zscore, sd: -2}
aggregate: [arithmetic, mean]
colour: blue
"""


def test_the_shipped_spec_is_coinrs_vignette(spec):
    assert bundled("asem-uncertainty").exists()
    assert load_spec("asem-uncertainty", methodology=load("asem")) == spec
    assert loads_spec(bundled("asem-uncertainty").read_text(encoding="utf-8")) == spec


def test_cli_writes_intervals_with_coinrs_nominal_ranks(tmp_path, capsys):
    out = tmp_path / "intervals.csv"
    spec = str(bundled("asem-uncertainty"))
    assert (
        main(
            [
                "index",
                "uncertainty",
                "--methodology",
                "asem",
                "--spec",
                spec,
                "--data",
                DATA,
                "--runs",
                "30",
                "--seed",
                "1",
                "--top",
                "10",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    table = pd.read_csv(out)
    assert list(table.columns) == [
        "uCode",
        "nominal",
        "mean",
        "median",
        "q05",
        "q95",
        "p_top",
        "score",
        "score_mean",
        "score_q05",
        "score_median",
        "score_q95",
    ]
    coinr = pd.read_csv(FIXTURES / "UA_N100_RankStats.csv")
    merged = table.merge(coinr, on="uCode")
    assert len(table) == len(merged) == 51
    assert (merged["nominal"] == merged["Nominal"]).all()
    assert table["nominal"].is_monotonic_increasing  # best first
    assert ((table["q05"] <= table["median"]) & (table["median"] <= table["q95"])).all()
    assert table["p_top"].between(0, 1).all() and table["p_top"].sum() == pytest.approx(10, abs=1.5)
    captured = capsys.readouterr()
    crossing = int(((table["q05"] <= 10) & (table["q95"] > 10)).sum())
    assert 0 < crossing < 51
    assert f"51 units × 30 replicates → {out}; {crossing} units' 90% rank intervals cross the " \
        "top-10 boundary" in captured.out  # fmt: skip
    assert "30/30" in captured.err  # the progress bar


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "all 51 ranked are within the top 100, so no interval crosses its boundary"),
        ("fa", "هر ۵۱ واحد رتبه‌گرفته در میان ۱۰۰ نخست‌اند و بازه‌ای از مرز آن نمی‌گذرد"),
    ],
)
def test_with_fewer_units_than_the_top_no_boundary_is_claimed(lang, said, tmp_path, capsys):
    """ASEM's 51 units against the default top 100: "0 units cross the top-100
    boundary" would read as a finding; there is no boundary to cross."""
    argv = ["--lang", lang, "index", "uncertainty", "--methodology", "asem", "--spec",
            "asem-uncertainty", "--data", DATA, "--runs", "20", "--out", str(tmp_path / "u.csv"),
            "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    assert capsys.readouterr().out.strip().endswith(said)


def test_cli_is_seeded(tmp_path):
    outs = [tmp_path / f"{k}.csv" for k in range(2)]
    for out in outs:
        assert (
            main(
                [
                    "index",
                    "uncertainty",
                    "--methodology",
                    "asem",
                    "--spec",
                    "asem-uncertainty",
                    "--data",
                    DATA,
                    "--runs",
                    "5",
                    "--seed",
                    "3",
                    "--no-progress",
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
    assert outs[0].read_text() == outs[1].read_text()


def test_bad_spec_reports_every_problem_at_its_line_in_both_languages(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_SPEC, encoding="utf-8")
    assert (
        main(
            [
                "index",
                "uncertainty",
                "--methodology",
                "asem",
                "--spec",
                str(bad),
                "--data",
                DATA,
                "--runs",
                "30",
                "--out",
                str(tmp_path / "never.csv"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert (
        f"{bad}:4: weights.7.uniform: the noise factor must be a number in [0, 1), not 1.5" in err
    )
    assert "ضریب نوفه باید عددی در بازهٔ [۰، ۱) باشد" in err
    assert f"{bad}:7: normalise[1].sd: must be a number > 0, not -2" in err
    assert f"{bad}:8: aggregate[1]: 'mean' is not one of:" in err
    assert "«mean» مجاز نیست" in err
    assert f"{bad}:9: colour: unknown key 'colour'" in err
    assert not (tmp_path / "never.csv").exists()


def test_a_level_the_tree_lacks_is_located_too(tmp_path, capsys):
    bad = tmp_path / "levels.yaml"
    bad.write_text("weights:\n  2: {uniform: 0.25}\n  7: {uniform: 0.25}\n", encoding="utf-8")
    assert (
        main(
            [
                "index",
                "uncertainty",
                "--methodology",
                "asem",
                "--spec",
                str(bad),
                "--data",
                DATA,
                "--runs",
                "3",
                "--out",
                str(tmp_path / "never.csv"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert f"{bad}:3: weights.7: the tree has no level 7" in err
    assert "درخت سطح ۷ ندارد" in err


def test_loads_spec_locates_problems_and_bad_yaml():
    with pytest.raises(MethodologyError) as caught:
        loads_spec(BAD_SPEC, source="u.yaml")
    located = {p.path: p.line for p in caught.value.problems}
    assert located == {"weights.7.uniform": 4, "normalise[1].sd": 7, "aggregate[1]": 8, "colour": 9}
    assert caught.value.source == "u.yaml" and str(caught.value).startswith("u.yaml: ")
    with pytest.raises(MethodologyError) as caught:
        loads_spec("weights: [\n", source="broken.yaml")
    assert caught.value.problems[0].line is not None
    assert "not valid YAML" in caught.value.problems[0].message_en


def test_missing_spec_file_fails_with_both_languages(tmp_path, capsys):
    assert (
        main(
            [
                "index",
                "uncertainty",
                "--methodology",
                "asem",
                "--spec",
                str(tmp_path / "nope.yaml"),
                "--data",
                DATA,
                "--runs",
                "3",
                "--out",
                str(tmp_path / "never.csv"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "Cannot read the uncertainty spec" in err and "خوانده نشد" in err


def test_sensitivity_cli_writes_sobol_indices(tmp_path, capsys):
    out = tmp_path / "sobol.csv"
    assert (
        main(
            [
                "index",
                "sensitivity",
                "--methodology",
                "asem",
                "--spec",
                "asem-uncertainty",
                "--data",
                str(FIXTURES / "ASEM_iData.csv"),
                "--n",
                "16",
                "--seed",
                "1",
                "--bootstrap",
                "100",
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    table = pd.read_csv(out)
    assert list(table.columns) == ["input", "Si", "STi", "Si_q05", "Si_q95", "STi_q05", "STi_q95"]
    assert {"aggregate", "normalise", "winmax"} <= set(table["input"])
    assert "most influential" in capsys.readouterr().out
