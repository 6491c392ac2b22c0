"""The methodology audit: each section's figures on cases small enough to work out by
hand, the search for gains from blanks against full rebuilds, and the command end to end."""

import re
from dataclasses import replace
from math import comb

import numpy as np
import openpyxl
import pandas as pd
import pytest

from rasad.cli import main
from rasad.errors import RasadInputError
from rasad.index import build, load, loads
from rasad.index.audit import (
    audit,
    blank_gains,
    coherence_table,
    coverage_tables,
    mix_test,
    quartile_drift,
    resample,
    resample_sizes,
    treatment_table,
)
from rasad.index.methodology import AggregateSpec, ImputeSpec
from rasad.iran.text import to_latin_digits


def tiny(indicators: str, tree: str, steps: str = "", extra: str = ""):
    """A methodology over unit ``id`` from YAML fragments."""
    return loads(
        f'name: {{en: tiny}}\nversion: "1"\nunit: id\n{extra}indicators:\n{indicators}\n'
        f"steps:\n{steps or '  normalise: {method: minmax, range: [0, 100]}'}\ntree:\n{tree}\n"
    )


@pytest.fixture(scope="module")
def sme3000(demo_table):
    return demo_table(3000, 1)


@pytest.fixture(scope="module")
def v1_audit(sme3000):
    """Version 1 of SME-100: min-max within sector after sector-median imputation."""
    return audit("sme100-v1", sme3000, top=100, seed=1, sample=6, draws=2000, resample_size=6000)


# --- 1. mix ------------------------------------------------------------------------------


def test_a_planted_tilt_has_its_distance_and_a_tiny_p_value():
    # 100 units: A 60, B 20, C 20; the top 10 holds 2 A and 8 C
    values = ["A"] * 60 + ["B"] * 20 + ["C"] * 20
    in_top = np.zeros(100, dtype=bool)
    in_top[:2] = True
    in_top[80:88] = True
    test = mix_test(values, in_top, draws=5000, rng=np.random.default_rng(1))
    assert test.tv == pytest.approx(0.5 * (abs(0.2 - 0.6) + abs(0 - 0.2) + abs(0.8 - 0.2)))  # 0.6
    assert test.p_value < 0.001
    table = test.table.set_index("value")
    assert table.loc["C", ["ranked", "held"]].tolist() == [20, 8]
    assert table.loc["C", "expected"] == pytest.approx(2.0) and table.loc[
        "C", "ratio"
    ] == pytest.approx(4.0)
    assert table["flagged"].to_dict() == {
        "A": False,
        "B": False,
        "C": True,
    }  # C: 4× with 2 expected


def test_the_p_value_agrees_with_the_exact_hypergeometric_tail():
    # two halves of 50, a top 10 of 8 A: TV 0.3; P(TV ≥ 0.3) = P(A ≥ 8 or A ≤ 2)
    values = ["A"] * 50 + ["B"] * 50
    in_top = np.zeros(100, dtype=bool)
    in_top[:8] = True
    in_top[50:52] = True
    draws = 20_000
    test = mix_test(values, in_top, draws=draws, rng=np.random.default_rng(7))
    assert test.tv == pytest.approx(0.3)
    exact = 2 * sum(comb(50, a) * comb(50, 10 - a) for a in (8, 9, 10)) / comb(100, 10)
    assert abs(test.p_value - exact) < 4 * np.sqrt(exact * (1 - exact) / draws)


def test_a_proportional_top_has_distance_zero_and_p_one():
    values = ["A"] * 50 + ["B"] * 30 + [None] * 20  # a missing group is a group of its own
    in_top = np.zeros(100, dtype=bool)
    in_top[[0, 1, 2, 3, 4, 50, 51, 52, 80, 81]] = True
    test = mix_test(values, in_top, draws=1000, rng=np.random.default_rng(1))
    assert test.tv == 0 and test.p_value == 1
    assert test.table["value"].tolist() == ["A", "B", "(none)"] and not test.table["flagged"].any()


def test_the_demo_mix_is_reported_for_every_group_column(v1_audit):
    tests = v1_audit.mix_tests.set_index("group")
    assert list(tests.index) == ["sector", "size_class", "province"]
    assert (tests["top"] == 100).all() and (tests["draws"] == 2000).all()
    mix = v1_audit.mix
    assert mix.groupby("group")["held"].sum().eq(100).all()
    assert mix.groupby("group")["share"].sum().to_numpy() == pytest.approx([1, 1, 1])
    assert mix.groupby("group")["expected"].sum().to_numpy() == pytest.approx([100, 100, 100])


# --- 2. gains from blanks ----------------------------------------------------------------


def rebuilt_rank(methodology, data, unit, column):
    """The unit's rank by a full build on the data with that one cell blank."""
    blanked = data.copy()
    blanked[column] = blanked[column].astype(float)
    blanked.loc[blanked[methodology.unit] == unit, column] = np.nan
    try:
        return build(methodology, blanked, keep="final").rank.get(unit, np.nan)
    except RasadInputError:
        return "refused"


@pytest.mark.parametrize(
    ("steps", "z", "statuses"),
    [
        # screening keeps everyone: only the blanked indicators are normalised again; z is
        # reported by b alone, so blanking it empties the column
        ("  impute: {method: median}", [np.nan, 7, np.nan], {"ranked", "ineligible", "refused"}),
        # screening drops units with fewer than two values (d..f already): every blank is a
        # whole pass after preparation, and b's or c's blank of y or z screens it out
        (
            "  impute: {method: none}\n  screen: {min_coverage: 0.6}",
            [np.nan, 7, 8],
            {"ranked", "ineligible", "unranked"},
        ),
    ],
)
def test_every_blank_of_a_tiny_case_equals_a_full_rebuild(steps, z, statuses):
    # d is reported by a alone (blanking it stops the denominator for everyone), and a
    # and d..f report two of three sources, the least that is eligible
    methodology = tiny(
        "  - {code: x, denominator: d}\n  - {code: y}\n  - {code: z}",
        "  - {code: I, children: [x, y, z]}",
        steps + "\n  normalise: {method: minmax, range: [0, 100]}",
        "eligibility: {min_data_coverage: 0.6}\n",
    )
    data = pd.DataFrame(
        {
            "id": list("abcdef"),
            "x": [1, 2, 3, 4, 5, 6],
            "d": [2] + [np.nan] * 5,
            "y": [5, 1, 4, 2, 6, 3],
            "z": z + [np.nan] * 3,
        }
    )
    results = build(methodology, data)  # every data set kept, though screening may drop units
    assert len(results.datasets["Denominated"]) == 6 and len(results.datasets["Screened"]) == len(
        results.rank
    )
    blanks = blank_gains(methodology, data, results, units=results.rank.dropna().index)
    assert set(blanks["status"]) == statuses
    for row in blanks.itertuples(index=False):
        expected = rebuilt_rank(methodology, data, row.id, row.input)
        if row.status == "refused":
            assert expected == "refused"
        elif row.status == "ranked":
            assert row.rank_after == expected and row.gain == row.rank_before - expected
        else:
            assert np.isnan(expected) and row.gain == 0


def test_blanks_on_sme100_v1_pay_and_agree_with_full_rebuilds(sme3000, v1_audit):
    methodology = load("sme100-v1")
    blanks = v1_audit.blanks
    assert blanks["national_id"].nunique() == 6
    assert ((blanks["rank_before"] >= 51) & (blanks["rank_before"] <= 800)).all()
    best = blanks.groupby("national_id")["gain"].max()
    assert (best > 1).sum() >= 3 and blanks["gain"].max() > 50  # the sector median rewards a blank
    summary = v1_audit.summary.set_index("section")
    assert summary.loc["blanks", "met"] == False  # noqa: E712  (a numpy bool)
    assert_persian_says_the_same(v1_audit)
    checked = pd.concat(
        [blanks.nlargest(3, "gain"), blanks.nsmallest(2, "gain"), blanks.iloc[::60]]
    )
    for row in checked.itertuples(index=False):
        assert row.rank_after == rebuilt_rank(methodology, sme3000, row.national_id, row.input)


def test_no_gain_where_a_blank_leaves_the_firm_unscored(sme3000):
    # no imputation and every child required: a blank leaves the firm without a score
    methodology = load("sme100-v1")
    methodology = replace(
        methodology, impute=ImputeSpec("none"), aggregate=AggregateSpec(min_coverage=1.0)
    )
    results = build(methodology, sme3000)
    blanks = blank_gains(methodology, sme3000, results, sample=4, seed=3)
    assert len(blanks) > 40 and blanks["national_id"].nunique() == 4
    assert set(blanks["status"]) <= {"unranked", "ineligible"} and (blanks["gain"] == 0).all()
    row = blanks[blanks["status"] == "unranked"].iloc[0]
    assert np.isnan(rebuilt_rank(methodology, sme3000, row["national_id"], row["input"]))


def test_blanks_do_not_pay_under_sme100_v2_and_agree_with_full_rebuilds(sme3000):
    # a blank is scored below every reported figure, and the index is rescaled within
    # sector: the rebuilds must rescale and rank as build does
    methodology = load("sme100")
    blanks = blank_gains(
        methodology, sme3000, build(methodology, sme3000, keep="final"), sample=3, seed=5
    )
    assert (blanks["status"] == "ranked").all() and blanks["gain"].max() <= 0
    for row in pd.concat([blanks.nsmallest(3, "gain"), blanks.iloc[::15]]).itertuples(index=False):
        assert row.rank_after == rebuilt_rank(methodology, sme3000, row.national_id, row.input)


def test_blanks_under_asem_screening_agree_with_full_rebuilds(asem):
    methodology, data = asem  # screening at 0.9 coverage: no shortcut by column
    blanks = blank_gains(
        methodology, data, build(methodology, data), sample=2, ranks=(20, 40), seed=2
    )
    assert (
        blanks["uCode"].nunique() == 2 and (blanks["gain"] > 1).any()
    )  # the group mean rewards blanks
    for row in pd.concat([blanks.nlargest(3, "gain"), blanks.iloc[::20]]).itertuples(index=False):
        assert row.rank_after == rebuilt_rank(methodology, data, row.uCode, row.input)


def test_units_not_ranked_are_refused_in_both_languages(sme3000):
    methodology = load("sme100")
    results = build(methodology, sme3000, keep="final")
    unranked = (
        results.rank.index[results.rank.isna()][0] if results.rank.isna().any() else "no-such-firm"
    )
    with pytest.raises(RasadInputError) as error:
        blank_gains(methodology, sme3000, results, units=[unranked])
    assert "not ranked" in error.value.message_en and "رتبه ندارند" in error.value.message_fa


# --- 3. drift ----------------------------------------------------------------------------


def test_quartile_drift_by_hand():
    methodology = tiny("  - {code: x}\n  - {code: y}", "  - {code: I, children: [x, y]}")
    one = build(
        methodology, pd.DataFrame({"id": list("abcde"), "x": [0, 1, 2, 3, 4], "y": [1, 2, 3, 4, 5]})
    )
    two = build(
        methodology, pd.DataFrame({"id": list("abcde"), "x": [0, 0, 0, 1, 4], "y": [5, 4, 3, 2, 1]})
    )
    drift = quartile_drift(one, two).set_index("indicator")
    # x: 0 25 50 75 100 (quartiles 25 50 75) against 0 0 0 25 100 (0 0 25)
    assert drift.loc["x", ["q25_original", "q50_original", "q75_original"]].tolist() == [25, 50, 75]
    assert drift.loc["x", ["q25_resample", "q50_resample", "q75_resample"]].tolist() == [0, 0, 25]
    assert drift.loc["x", "largest_move"] == 50 and not drift.loc["x", "within_limit"]
    assert drift.loc["y", "largest_move"] == 0 and drift.loc["y", "within_limit"]
    assert drift["treatment_original"].eq("none").all() and not drift["treatment_changed"].any()


def test_resample_draws_rows_with_new_ids():
    data = pd.DataFrame({"id": ["a", "b", "c"], "x": [1.0, 2.0, 3.0]})
    sample = resample(data, "id", 10, seed=4)
    assert len(sample) == 10 and sample["id"].is_unique
    assert (
        sample["id"].str.split("#").str[0].map(dict(zip(data["id"], data["x"], strict=True)))
        == sample["x"]
    ).all()
    pd.testing.assert_frame_equal(sample, resample(data, "id", 10, seed=4))


def test_a_smaller_resample_is_a_real_smaller_population():
    data = pd.DataFrame({"id": list("abcdefghij"), "x": np.arange(10.0)})
    sample = resample(data, "id", 4, seed=2)
    assert len(sample) == 4 and sample["x"].is_unique  # without replacement: no firm twice
    assert sample["x"].is_monotonic_increasing  # in the input's order


def test_default_resamples_go_both_ways():
    assert resample_sizes(20_000) == [4_000, 100_000]
    assert resample_sizes(3_000) == [2_000, 15_000]  # a smaller population keeps 2,000 units
    assert resample_sizes(1_000) == [5_000]  # no smaller population of 2,000 to draw
    assert resample_sizes(50_000) == [10_000, 100_000]
    assert resample_sizes(200_000) == [40_000]


def test_a_smaller_population_shows_version_1_drift_and_not_version_2(sme3000):
    """Min-max extremes narrow in a population a fifth the size: under version 1 the
    normalised quartiles move by more than 5 points; version 2's percentiles stay."""
    smaller = resample(sme3000, "national_id", 600, seed=1)
    moves = {}
    for name in ("sme100-v1", "sme100"):
        methodology = load(name)
        drift = quartile_drift(build(methodology, sme3000), build(methodology, smaller))
        moves[name] = drift.set_index("indicator")["largest_move"]
    assert (moves["sme100-v1"] > 5).sum() >= 3
    assert (moves["sme100"] <= 5).all()


def test_the_demo_drift_compares_every_indicator(v1_audit):
    drift = v1_audit.drift
    assert len(drift) == 18 and (drift["units_resample"] > drift["units_original"]).all()
    moves = (
        drift[[f"q{q}_resample" for q in (25, 50, 75)]].to_numpy()
        - drift[[f"q{q}_original" for q in (25, 50, 75)]].to_numpy()
    )
    assert drift["largest_move"].to_numpy() == pytest.approx(np.abs(moves).max(axis=1))


# --- 4. treatment ------------------------------------------------------------------------


def skewed(n=40):
    """One far outlier and a few high values: fails COINr's test (|skew| ≥ 2, kurtosis ≥ 3.5)."""
    return np.r_[np.arange(n - 4, dtype=float), 60, 80, 120, 1000]


def test_an_exempt_yes_no_indicator_that_fails_says_why():
    methodology = tiny(
        "  - {code: x}\n  - {code: k, treat: false}",
        "  - {code: I, children: [x, k]}",
        "  treat: {method: winsorise, winmax: 5}\n  normalise: {method: minmax, range: [0, 100]}",
    )
    data = pd.DataFrame({"id": range(40), "x": skewed(), "k": [1] * 3 + [0] * 37})
    table = treatment_table(build(methodology, data)).set_index("indicator")
    assert table.loc["k", "outcome"] == "exempt" and table.loc["k", "still_fails"]
    assert (
        table.loc["k", "note"] == "exempt from treatment (treat: false): a yes/no indicator (0 / 1)"
    )
    assert table.loc["k", "explained"]
    # x: the outlier 1000 is pulled to the next value, 120, and both points are pinned there
    assert table.loc["x", "skew_before"] > 2 and table.loc["x", "outcome"] == "winsorised"
    assert table.loc["x", "winsorised_points"] == 2 and table.loc["x", "skew_after"] < 2
    assert not table.loc["x", "still_fails"] and table.loc["x", "note"] == ""


@pytest.mark.parametrize(
    ("method", "explained", "words"),
    [
        ("percentile_rank", True, "uses only ranks, so outliers carry no weight"),
        ("minmax", False, "outliers keep their full weight"),
    ],
)
def test_no_treatment_is_explained_only_by_a_rank_normalisation(method, explained, words):
    methodology = tiny(
        "  - {code: x}",
        "  - {code: I, children: [x]}",
        f"  treat: {{method: none}}\n  normalise: {{method: {method}}}",
    )
    table = treatment_table(build(methodology, pd.DataFrame({"id": range(40), "x": skewed()})))
    row = table.iloc[0]
    assert row["outcome"] == "none" and row["still_fails"] and row["explained"] == explained
    assert words in row["note"]
    if method == "percentile_rank":  # the ranks are uniform: no skew left
        assert (
            abs(row["skew_normalised"]) < 0.1
            and f"skew {row['skew_normalised']:.2f}" in row["note"]
        )


# --- 5. coherence ------------------------------------------------------------------------


def test_coherence_by_hand():
    # P = (a + 2c) / 3 with c = 100 - a: a pulls against its own pillar
    methodology = tiny(
        "  - {code: a}\n  - {code: c, weight: 2}\n  - {code: b}",
        "  - {code: I, children: [P, Q]}\n  - {code: P, children: [a, c]}\n"
        "  - {code: Q, children: [b]}",
    )
    data = pd.DataFrame(
        {"id": list("uvwxy"), "a": [0, 1, 2, 3, 4], "c": [4, 3, 2, 1, 0], "b": [0, 4, 1, 3, 2]}
    )
    a = np.array([0, 25, 50, 75, 100.0])
    c, b = a[::-1], np.array([0, 100, 25, 75, 50.0])
    P = (a + 2 * c) / 3
    index = (P + b) / 2
    table = coherence_table(build(methodology, data)).set_index("code")
    assert list(table.index) == ["a", "c", "b", "P", "Q"]
    assert table.loc["a", "r_parent"] == pytest.approx(-1) and table.loc["a", "flag"] == "negative"
    assert table.loc["c", "r_parent"] == pytest.approx(1) and table.loc["c", "flag"] == ""
    assert table.loc["P", "r_parent"] == pytest.approx(np.corrcoef(P, index)[0, 1])  # 0.035
    assert table.loc["P", "flag"] == "weak" and table.loc["Q", "flag"] == ""
    assert table.loc["a", "r_index"] == pytest.approx(np.corrcoef(a, index)[0, 1])
    assert table.loc["a", "index_flag"] == "negative" and table.loc["c", "index_flag"] == ""
    ranks = pd.Series(b).rank(), pd.Series(index).rank()
    assert table.loc["Q", "rho_index"] == pytest.approx(np.corrcoef(*ranks)[0, 1])


# --- 6. coverage -------------------------------------------------------------------------


def test_coverage_by_hand():
    methodology = tiny(
        "  - {code: x}\n  - {code: y}\n  - {code: z}", "  - {code: I, children: [x, y, z]}"
    )
    data = pd.DataFrame(
        {
            "id": list("abcd"),
            "x": [4, 3, 2, 1],
            "y": [4, np.nan, 2, np.nan],
            "z": [4, 3, np.nan, np.nan],
        }
    )
    per_indicator, units = coverage_tables(build(methodology, data), top=2)
    assert per_indicator.set_index("indicator")["missing"].to_dict() == {"x": 0, "y": 2, "z": 2}
    assert per_indicator["missing_share"].tolist() == [0, 0.5, 0.5]
    # a reports 3, b and c 2, d 1; a and b are the top 2
    assert units["reported"].tolist() == [3, 2, 1] and units["ranked"].tolist() == [1, 2, 1]
    assert units["top"].tolist() == [1, 1, 0] and units["top_share"].tolist() == [0.5, 0.5, 0]


# --- the whole audit ---------------------------------------------------------------------


def test_the_same_seed_gives_the_same_audit_on_asem(asem):
    methodology, data = asem
    first = audit(methodology, data, top=10, ranks=(11, 51), sample=1, draws=200)
    second = audit(methodology, data, top=10, ranks=(11, 51), sample=1, draws=200)
    for name, frame in first.sheets().items():
        pd.testing.assert_frame_equal(frame, second.sheets()[name], obj=name)
    assert list(first.mix_tests["group"]) == [
        "GDP_group",
        "GDPpc_group",
        "Pop_group",
        "EurAsia_group",
    ]
    assert "Audit of ASEM Sustainable Connectivity" in first.text()
    assert_persian_says_the_same(first)
    persian = first.text("fa").splitlines()
    assert persian[0] == "ممیزی شاخص اتصال پایدار آسم COINr-۱.۱.۱۴، ۱۰ نخست"
    assert [line.split("]")[0] for line in persian[1:]] == [
        "[" + {True: "برآورده", False: "برآورده نشد"}.get(met, "گزارشی")
        for met in first.summary["met"]
    ]
    other = audit(methodology, data, top=10, ranks=(11, 51), sample=1, draws=200, seed=2)
    assert not first.blanks.equals(other.blanks)


def test_bad_options_are_refused_in_both_languages(asem):
    methodology, data = asem
    for options, field in (
        ({"top": 0}, "--top"),
        ({"ranks": (50, 10)}, "--ranks"),
        ({"draws": 0}, "--draws"),
    ):
        with pytest.raises(RasadInputError) as error:
            audit(methodology, data, **options)
        assert error.value.field == field and error.value.message_fa


def test_the_command_writes_a_workbook_with_every_section(tmp_path, capsys):
    demo = tmp_path / "demo"
    assert (
        main(["demo", "generate", "--enterprises", "400", "--seed", "2", "--out", str(demo)]) == 0
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
                "300",
                "--resample-size",
                "1000",
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "Audit of SME-100" in printed and "blanks:" in printed and "time: build" in printed
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == [
        "Summary",
        "Mix",
        "Mix tests",
        "Blanks",
        "Drift",
        "Treatment",
        "Coherence",
        "Coverage",
        "Coverage units",
        "Dictionary",
        "About",
    ]
    summary = book["Summary"]
    assert [cell.value for cell in summary[1]] == [
        "Section",
        "Property",
        "Value",
        "Detail",
        "Met",
        "Property (Persian)",
        "Detail (Persian)",
    ]
    assert summary.freeze_panes == "A2" and summary.max_row == 9  # 3 group columns + 5 sections
    mix = book["Mix"]
    share = [cell.value for cell in mix[1]].index("Share") + 1
    assert mix.cell(row=2, column=share).number_format == "0.0%"
    assert isinstance(mix.cell(row=2, column=share).value, float)  # a number, shown rounded


def test_the_command_refuses_a_bad_rank_range(tmp_path, capsys, asem_dir):
    assert (
        main(
            [
                "index",
                "audit",
                "--methodology",
                "asem",
                "--data",
                str(asem_dir / "ASEM_iData.csv"),
                "--ranks",
                "51..800",
                "--no-progress",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "FIRST-LAST" in err and "بازهٔ رتبه" in err


def test_version_2_meets_every_property_and_reports_size_and_province(sme3000):
    """SME-100 v2 claims neutrality across sectors (it normalises and rescales within
    them): that is tested; size band and province are reported, not judged."""
    found = audit("sme100", sme3000, top=100, seed=2, sample=4, draws=2000)
    tests = found.mix_tests.set_index("group")
    assert bool(tests.at["sector", "met"])
    assert tests["met"].drop("sector").isna().all()
    summary = found.summary
    assert summary["met"].dropna().astype(bool).all(), found.text()
    assert (found.blanks["gain"].dropna() <= 0).all()
    assert "reported: the methodology does not claim neutrality here" in found.text()
    assert_persian_says_the_same(found)
    assert "گزارشی: روش‌شناسی در این‌جا ادعای بی‌طرفی ندارد" in found.text("fa")


def figures(text: str) -> list[str]:
    """The numbers a text states, in Latin digits and the English decimal point, sorted:
    what a sentence says, whichever language and word order it says it in."""
    latin = to_latin_digits(text).replace("٫", ".").replace("٬", ",")
    # a minus after a space (not top-100's hyphen); digits of codes (altman_z2) left out
    return sorted(re.findall(r"(?:(?<!\w)-)?(?<![A-Za-z_\d])\d+(?:,\d{3})*(?:\.\d+)?", latin))


def assert_persian_says_the_same(found) -> None:
    """Each property and detail of the summary states, in Persian, the figures (and
    codes) its English states; and no Latin digit is left in the Persian."""
    for row in found.summary.itertuples(index=False):
        for english, persian in ((row.property, row.property_fa), (row.detail, row.detail_fa)):
            assert figures(english) == figures(persian), (english, persian)
            codeless = re.sub(r"[A-Za-z_]\w*", "", persian)  # codes such as CO2 keep theirs
            assert not re.search(r"[0-9]", codeless), persian
