"""Alert rule files (located bilingual errors) and how rules are evaluated: streaks,
since, stable keys, silencing, overdue returns, unit slips, not computable."""

import datetime
import textwrap

import numpy as np
import pandas as pd
import pytest

from rasad.monitor import Kpis, MonitorConfigError, load_rules, loads_rules

GOOD = """\
version: 1
rules:
  - code: sales_drop
    name: {fa: افت فروش, en: Sales drop}
    severity: high
    kpi: sales_growth
    below: -0.2
  - code: headcount_down
    name: {fa: کاهش اشتغال, en: Headcount down}
    severity: medium
    kpi: employment_growth
    below: 0
    periods: 2
    unless: [slip]
  - code: missing
    name: {fa: اظهارنامهٔ نرسیده, en: Missing return}
    severity: high
    check: missing_return
  - code: slip
    name: {fa: اشتباه واحد, en: Unit slip}
    severity: medium
    check: unit_jump
    fields: [sales, employees]
    min_ratio: 200
"""


def problems(text):
    with pytest.raises(MonitorConfigError) as error:
        loads_rules(textwrap.dedent(text), source="rules.yaml")
    return error.value


def test_the_bundled_rules_load_and_are_documented():
    rules = load_rules()
    assert rules.codes == [
        "real_sales_drop",
        "employment_decline",
        "low_capacity",
        "z2_distress",
        "return_missing",
        "unit_slip",
        "implausible_figure",
    ]
    assert (
        rules.rule("real_sales_drop").below == -0.2
        and rules.rule("real_sales_drop").kpi == "sales_growth_real"
    )
    assert rules.rule("employment_decline").periods == 2
    assert rules.rule("low_capacity").below == 50
    assert rules.rule("z2_distress").below == 1.1
    assert rules.rule("unit_slip").min_ratio == 200
    assert (
        rules.rule("implausible_figure").check == "implausible"
        and rules.rule("implausible_figure").fields == ()
    )
    assert all(r.name.fa != r.name.en for r in rules.rules)
    assert len(rules.sha256) == 64


def test_unknown_kpi_names_the_rule_and_its_line():
    error = problems(GOOD.replace("kpi: employment_growth", "kpi: headcount_growth"))
    [problem] = error.problems
    assert problem.path == "rules[headcount_down].kpi"
    assert problem.line == 11
    assert "headcount_growth" in problem.message_en and "headcount_growth" in problem.message_fa
    assert "rules.yaml" in error.message_en and "سطر ۱۱" in error.message_fa


@pytest.mark.parametrize(
    ("change", "path", "line"),
    [
        (("below: -0.2", "below: minus twenty"), "rules[sales_drop].below", 7),
        (("below: -0.2", "below: [-0.2]"), "rules[sales_drop].below", 7),
        (("below: -0.2", "below: .nan"), "rules[sales_drop].below", 7),
        (("below: -0.2", "below: -0.2\n    at_most: -0.3"), "rules[sales_drop].at_most", 8),
        (("below: -0.2", "below: -0.2\n    above: 0.1"), "rules[sales_drop]", 3),
        (("    below: -0.2\n", ""), "rules[sales_drop].below", 3),
        (("periods: 2", "periods: 0"), "rules[headcount_down].periods", 13),
        (("severity: high\n    kpi", "severity: urgent\n    kpi"), "rules[sales_drop].severity", 5),
        (("min_ratio: 200", "min_ratio: 1"), "rules[slip].min_ratio", 24),
        (("fields: [sales, employees]", "fields: [sales, headcount]"), "rules[slip].fields[1]", 23),
        (("check: unit_jump", "check: jump"), "rules[slip].check", 22),
        (("unless: [slip]", "unless: [slips]"), "rules[headcount_down].unless[0]", 14),
        (
            ("check: missing_return", "check: missing_return\n    kpi: sales"),
            "rules[missing].kpi",
            19,
        ),
        (
            ("    periods: 2\n", "    periods: 2\n    colour: red\n"),
            "rules[headcount_down].colour",
            14,
        ),
        (("code: missing", "code: sales_drop"), "rules[sales_drop].code", 15),
    ],
)
def test_malformed_rules_are_located(change, path, line):
    error = problems(GOOD.replace(*change))
    assert [p.path for p in error.problems] == [path]
    assert error.problems[0].line == line
    assert error.problems[0].message_fa and error.problems[0].message_en


def test_every_problem_at_once_and_invalid_yaml():
    error = problems(
        GOOD.replace("kpi: sales_growth", "kpi: turnover").replace("min_ratio: 200", "min_ratio: x")
    )
    assert [p.path for p in error.problems] == ["rules[sales_drop].kpi", "rules[slip].min_ratio"]
    error = problems("rules: [\n")
    assert error.problems[0].line is not None and "YAML" in error.problems[0].message_en
    assert [p.path for p in problems("version: 1\n").problems] == ["rules"]


def returns(rows):
    return pd.DataFrame(rows, columns=["national_id", "year", "employees", "sales"])


def test_streaks_since_and_stable_keys():
    rules = loads_rules(GOOD)
    data = returns(
        [
            ("a", 1400, 10, 100),
            ("a", 1401, 9, 100),
            ("a", 1402, 8, 100),
            ("a", 1403, 7, 100),
            ("a", 1404, 8, 100),
            ("b", 1400, 5, 100),
            ("b", 1401, 4, 100),
            ("b", 1403, 3, 100),
            ("b", 1404, 2, 100),
        ]
    )
    alerts = rules.evaluate(Kpis().compute(data))
    frame = alerts.frame[alerts.frame["rule"] == "headcount_down"]
    assert frame[["national_id", "period", "since", "streak"]].values.tolist() == [
        ["a", 1402, 1401, 2],
        ["a", 1403, 1401, 3],
    ]
    assert frame["key"].tolist() == ["headcount_down:a:1401"] * 2  # one episode, one key
    # b's decline is broken by the missing 1402 return (growth not computable): no alert
    assert frame["value"].tolist() == pytest.approx([8 / 9 - 1, 7 / 8 - 1])
    assert frame["evidence"].iloc[1] == {
        "employment_growth": {
            1401: pytest.approx(-0.1),
            1402: pytest.approx(-1 / 9),
            1403: pytest.approx(-0.125),
        },
        "employees": {1400: 10.0, 1401: 9.0, 1402: 8.0, 1403: 7.0},
    }
    summary = alerts.summary().set_index("rule")
    assert summary.loc[
        "headcount_down", ["applies", "judged", "not_computable", "alerts", "enterprises"]
    ].tolist() == [9, 6, 3, 2, 1]


def test_missing_returns_respect_deadline_and_start():
    rules = loads_rules(GOOD)
    data = returns(
        [("a", 1401, 10, 100), ("a", 1403, 10, 100), ("b", 1401, 10, 100), ("b", 1402, 10, 100)]
    )
    enterprises = pd.DataFrame(
        {"national_id": ["a", "b", "c", "d"], "founding_year": [1390, 1390, 1402, 1405]}
    )
    table = Kpis().compute(data, enterprises)
    # 1403's return is due by 31 Tir 1404 = 22 July 2025
    before = rules.evaluate(table, as_of=datetime.date(2025, 7, 22)).frame
    after = rules.evaluate(table, as_of="2025-07-23").frame

    def missing(frame):
        return frame[frame["rule"] == "missing"][["national_id", "period", "since"]].values.tolist()

    assert missing(before) == [["a", 1402, 1402], ["c", 1402, 1402]]
    assert missing(after) == [
        ["a", 1402, 1402],
        ["b", 1403, 1403],
        ["c", 1402, 1402],
        ["c", 1403, 1402],
    ]
    assert missing(rules.evaluate(table).frame) == missing(after)  # no as_of: every period is due
    assert after[after["rule"] == "missing"]["evidence"].tolist()[-1] == {"missing": [1402, 1403]}


def test_unit_slip_fires_and_silences_the_false_decline():
    rules = loads_rules(GOOD)
    data = returns(
        [
            ("a", 1400, 12, 100),
            ("a", 1401, 12_000, 100),
            ("a", 1402, 11, 100),
            ("a", 1403, 10, 100),
            ("b", 1400, 12, 100),
            ("b", 1401, 2000, 100),
        ]
    )
    frame = rules.evaluate(Kpis().compute(data)).frame
    slips = frame[frame["rule"] == "slip"]
    assert slips[["national_id", "period", "kpi"]].values.tolist() == [
        ["a", 1401, "employees"],
        ["a", 1402, "employees"],
    ]
    assert slips["evidence"].iloc[0] == {
        "employees": {1400: 12.0, 1401: 12000.0, "ratio": 1000.0, "factor": 1000.0}
    }
    assert slips["evidence"].iloc[1]["employees"]["factor"] == pytest.approx(0.001)
    # 1402's ÷1091 is the slip coming back and is silenced; read through the slip,
    # 12 → 11 → 10 is a true decline two periods running, which 1403 reports
    declines = frame[frame["rule"] == "headcount_down"]
    assert declines[["period", "since"]].values.tolist() == [[1403, 1402]]


def test_nan_never_fires():
    rules = loads_rules(GOOD)
    data = returns([("a", 1400, np.nan, 0), ("a", 1401, np.nan, 10), ("a", 1402, np.nan, np.nan)])
    alerts = rules.evaluate(Kpis().compute(data))
    assert alerts.frame.empty
    summary = alerts.summary().set_index("rule")
    # no previous year; a zero base; no sales
    assert summary.loc["sales_drop", ["applies", "judged", "not_computable"]].tolist() == [3, 0, 3]
    assert summary.loc["headcount_down", "not_computable"] == 3


IMPLAUSIBLE = """\
version: 1
rules:
  - code: implausible
    name: {fa: رقم نامحتمل, en: Implausible figure}
    severity: high
    check: implausible
  - code: headcount_only
    name: {fa: شاغلان نامحتمل, en: Implausible headcount}
    severity: low
    check: implausible
    fields: [employees]
"""


def test_implausible_figures_are_flagged_with_their_bounds():
    """A return holding a figure outside the catalogue's plausible bounds (10^30
    employees, 1e308 million rials of sales) fires, whichever figure it is; a figure at
    the bound, or beyond only a figure the rule does not watch, does not."""
    rules = loads_rules(IMPLAUSIBLE)
    data = returns(
        [
            ("a", 1402, 1e30, 100),
            ("a", 1403, 12, 1e308),
            ("b", 1403, 1_000_000, 1e9),
            ("c", 1403, np.nan, np.nan),
            ("d", 1403, 2_000_000, 2e9),
        ]
    )
    alerts = rules.evaluate(Kpis().compute(data))
    frame = alerts.frame
    fired = frame[frame["rule"] == "implausible"]
    assert fired[["national_id", "period", "kpi"]].values.tolist() == [
        ["a", 1402, "employees"],
        ["a", 1403, "sales"],
        ["d", 1403, "sales"],
    ]
    assert fired["evidence"].iloc[0] == {
        "employees": {"value": 1e30, "plausible_min": None, "plausible_max": 1_000_000.0}
    }
    assert set(fired["evidence"].iloc[2]) == {"employees", "sales"}  # both, the furthest out named
    assert fired["value"].iloc[1] == 1e308
    headcount = frame[frame["rule"] == "headcount_only"]
    assert headcount[["national_id", "period"]].values.tolist() == [["a", 1402], ["d", 1403]]
    summary = alerts.summary().set_index("rule")
    assert summary.loc[
        "implausible", ["applies", "judged", "not_computable", "alerts"]
    ].tolist() == [5, 4, 1, 3]
    assert "plausible bounds" in rules.rule("implausible").condition_text("en")


def test_an_implausible_rule_may_watch_only_figures_with_bounds():
    error = problems(
        IMPLAUSIBLE.replace("fields: [employees]", "fields: [employees, capacity_utilisation]")
    )
    [problem] = error.problems
    assert (
        problem.path == "rules[headcount_only].fields[1]"
        and "capacity_utilisation" in problem.message_en
    )
    assert problem.message_fa
