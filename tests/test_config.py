"""Every configuration file is checked by one layer (rasad.config): a wrong type, a
missing key and an unknown key get the same bilingual, located message in each family,
and the slow line-numbered composer runs only when there is a problem to locate."""

import textwrap

import pytest
import yaml

from rasad.config import ConfigError, LocatedInputError
from rasad.errors import InputProblems
from rasad.index.methodology import MethodologyError, bundled, loads
from rasad.index.uncertainty import loads_spec
from rasad.intake.mapping import bundled_mappings, load_mapping
from rasad.iran.text import to_persian_digits
from rasad.monitor import MonitorConfigError, load_needs, load_rules, loads_needs, loads_rules
from rasad.monitor._config import bundled_path

METHODOLOGY = """\
name: {fa: نمونه, en: Sample}
version: "1"
unit: firm
indicators:
  - {code: a, weight: heavy}
  - {code: b, colour: red}
tree:
  - {code: Index, children: [a, b]}
  - {code: P}
"""

SPEC = """\
winmax: [1, 5]
aggregate: [arithmetic, 3]
normalise:
  - {method: minmax, colour: red}
  - {}
"""

RULES = """\
version: 1
rules:
  - code: drop
    name: {fa: افت, en: Drop}
    severity: high
    kpi: sales_growth
    below: fast
  - code: slip
    name: {fa: لغزش, en: Slip}
    check: unit_jump
    severity: low
    fields: [sales]
    min_ratio: 100
    colour: red
  - code: late
    check: missing_return
    severity: high
"""

NEEDS = """\
version: 1
max_needs: many
programmes:
  - code: finance
    name: {fa: مالی, en: Finance}
    triggers:
      - {indicator: credit_access, percentile_below: 50, colour: red}
  - code: skills
    triggers:
      - {indicator: training_intensity, percentile_below: 50}
"""

MAPPING = """\
name: {fa: آزمون, en: Test}
enterprise:
  id: firm
  national_id: {prefix: "9905", width: 6, digits: 6}
period: {year: year, calendar: jalali}
indicators:
  sales: {column: turnover, factor: many}
  employees: {note: headcount}
"""


def _located(error: ConfigError) -> dict:
    """The first problem at each place."""
    found: dict = {}
    for p in error.problems:
        found.setdefault((p.path, p.line), (p.message_en, p.message_fa))
    return found


def _message(error: ConfigError, path: str, line: int, en: str, fa: str) -> None:
    """The problem is in the error's message in both languages, after the file and
    with its line."""
    assert error.message_en.startswith(f"{error.source}: ")
    assert f"{path} (line {line}): {en}" in error.message_en
    assert f"(سطر {to_persian_digits(str(line))})" in error.message_fa
    assert fa in error.message_fa


def test_a_methodology_file_is_checked_by_the_layer():
    with pytest.raises(MethodologyError) as caught:
        loads(METHODOLOGY, source="m.yaml")
    error = caught.value
    assert isinstance(error, ConfigError)
    problems = _located(error)
    # a wrong type, an unknown key and a missing key, each at its line
    assert problems[("indicators[0].weight", 5)] == (
        "must be a number, not 'heavy'",
        "باید عدد باشد، نه «heavy»",
    )
    assert problems[("indicators[1].colour", 6)][0].startswith("unknown key 'colour'; expected")
    assert problems[("tree[1].children", 9)] == ("is required", "الزامی است")
    _message(error, "indicators[0].weight", 5, "must be a number", "باید عدد باشد")


def test_an_uncertainty_spec_is_checked_by_the_layer():
    with pytest.raises(MethodologyError) as caught:
        loads_spec(SPEC, source="u.yaml")
    error = caught.value
    problems = _located(error)
    assert problems[("aggregate[1]", 2)][0] == (
        "'3' is not one of: arithmetic, geometric, harmonic, generalised, borda, copeland, topsis"
    )
    assert problems[("normalise[0].colour", 4)][1].startswith("کلید ناشناختهٔ «colour»")
    assert problems[("normalise[1]", 5)][0] == "must be a mapping of normalisation settings"
    _message(error, "aggregate[1]", 2, "'3' is not one of", "«3» مجاز نیست")


def test_alert_rules_are_checked_by_the_layer():
    with pytest.raises(MonitorConfigError) as caught:
        loads_rules(RULES, source="r.yaml")
    error = caught.value
    assert isinstance(error, ConfigError)
    problems = _located(error)
    assert problems[("rules[drop].below", 7)] == (
        "must be a number, not 'fast'",
        "باید عدد باشد، نه «fast»",
    )
    assert problems[("rules[slip].colour", 14)][0].startswith("unknown key 'colour'")
    assert problems[("rules[late].name", 15)] == ("is required", "الزامی است")
    _message(error, "rules[drop].below", 7, "must be a number", "باید عدد باشد")


def test_a_needs_mapping_is_checked_by_the_layer():
    with pytest.raises(MonitorConfigError) as caught:
        loads_needs(NEEDS, source="n.yaml", alert_rules=[])
    error = caught.value
    problems = _located(error)
    assert problems[("max_needs", 2)][0] == "must be a whole number ≥ 1, not 'many'"
    assert problems[("programmes[finance].triggers[0].colour", 7)][0].startswith(
        "unknown key 'colour'"
    )
    assert problems[("programmes[skills].name", 8)] == ("is required", "الزامی است")
    _message(error, "max_needs", 2, "must be a whole number", "باید عدد صحیح")


def test_a_panel_mapping_is_checked_by_the_layer(tmp_path):
    path = tmp_path / "panel.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    with pytest.raises(InputProblems) as caught:
        load_mapping(path)
    problems = {p.field: p for p in caught.value.problems}
    assert all(isinstance(p, LocatedInputError) for p in caught.value.problems)
    # the messages are the mapping's own (path first), and each problem knows its line
    wrong_type = problems["indicators.sales.factor"]
    assert wrong_type.message_en == "indicators.sales.factor: must be a positive number."
    assert wrong_type.message_fa == "indicators.sales.factor: باید عددی مثبت باشد."
    assert wrong_type.line == 7
    unknown = problems["enterprise.national_id"]
    assert "unknown keys ['digits']" in unknown.message_en and unknown.line == 4
    missing = problems["indicators.employees"]
    assert "give exactly one of column, sum or product" in missing.message_en
    assert missing.line == 8
    # a key given twice names the file and both lines
    path.write_text(MAPPING + "indicators:\n  sales: {column: x}\n", encoding="utf-8")
    with pytest.raises(InputProblems) as caught:
        load_mapping(path)
    (twice,) = caught.value.problems
    assert twice.message_en == (
        "indicators: this key appears twice in panel.yaml (lines 6 and 9); keep one."
    )


def test_a_whole_file_that_is_not_a_mapping_is_refused_at_its_first_line():
    with pytest.raises(MethodologyError) as caught:
        loads("- a\n- b\n", source="m.yaml")
    problems = _located(caught.value)
    assert problems[("", 1)][0] == "must be a mapping of keys to values"
    assert problems[("version", None)][0] == "is required"  # read as an empty mapping


@pytest.fixture
def no_composer(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the line-numbered composer ran on the happy path")

    monkeypatch.setattr(yaml, "compose", refuse)


def test_good_files_of_every_family_are_read_without_the_composer(no_composer):
    assert loads(bundled("sme100").read_text(encoding="utf-8")).root.code
    assert load_rules().codes and load_needs().codes
    assert loads_spec(bundled("asem-uncertainty").read_text(encoding="utf-8")).weights
    for name in bundled_mappings():
        assert load_mapping(name).indicators


def test_rules_that_refer_to_each_other_are_checked_where_the_reference_is():
    text = textwrap.dedent(
        """\
        rules:
          - {code: a, name: A, severity: low, check: missing_return, unless: [b]}
          - {code: a, name: B, severity: low, check: missing_return}
        """
    )
    with pytest.raises(MonitorConfigError) as caught:
        loads_rules(text, source="r.yaml")
    assert {(p.path, p.line) for p in caught.value.problems} == {
        ("rules[a].unless[0]", 2),  # only the first rule "a" has one
        ("rules[a].code", 3),  # the code given again
    }


def test_a_code_two_programmes_share_is_refused_at_the_second():
    text = bundled_path("needs.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    first, second = [i for i, line in enumerate(lines) if line.startswith("  - code: ")][:2]
    code = lines[first].split("code:")[1].strip()
    lines[second] = f"  - code: {code}"
    with pytest.raises(MonitorConfigError) as caught:
        loads_needs("\n".join(lines) + "\n", source="n.yaml", alert_rules=load_rules())
    found = [p for p in caught.value.problems if p.line == second + 1]
    assert [(p.message_en, p.message_fa) for p in found] == [
        (
            f"the code '{code}' is used by another programme",
            f"کد «{code}» را برنامهٔ دیگری هم دارد",
        )
    ]
