"""Methodology files: loaded into typed objects, every mistake named with its line."""

from importlib.resources import files

import pytest

from rasad.index.methodology import MethodologyError, loads

GOOD = """\
name: {fa: رتبه‌بندی نمونه, en: Sample}
version: "1"
unit: firm
groups: [sector]
indicators:
  - {code: a, direction: 1}
  - {code: b, direction: -1, denominator: size, weight: 2}
  - {code: c}
steps:
  impute: {method: group_median, by: sector}
  normalise: {method: minmax, range: [0, 10], within: sector}
tree:
  - {code: Index, children: [P1, c]}
  - {code: P1, weight: 3, children: [a, b], aggregate: {method: geometric}}
"""


def _problems(text):
    with pytest.raises(MethodologyError) as caught:
        loads(text, source="m.yaml")
    return {(p.path, p.line): p for p in caught.value.problems}


def test_a_good_file_becomes_typed_objects():
    m = loads(GOOD)
    assert m.root.code == "Index"
    assert m.levels == {"a": 1, "b": 1, "c": 1, "P1": 2, "Index": 3}
    assert [n.code for n in m.nodes_bottom_up] == ["P1", "Index"]
    assert m.indicators[1].direction == -1 and m.indicators[1].denominator == "size"
    assert m.aggregate_for(m.node("P1")).method == "geometric"
    assert m.aggregate_for(m.node("Index")).method == "arithmetic"
    assert m.normalise.range == (0.0, 10.0) and m.normalise.within == "sector"
    weights = m.effective_weights()
    assert weights["P1"] == pytest.approx(0.75) and weights["c"] == pytest.approx(0.25)
    assert weights["a"] == pytest.approx(0.25) and weights["b"] == pytest.approx(0.5)
    assert len(m.sha256) == 64 and m.text == GOOD


def test_bundled_example_files_load():
    for name in ("asem.yaml", "sme100.yaml"):
        m = loads((files("rasad.methodologies") / name).read_text(encoding="utf-8"))
        assert m.root.code


def test_unknown_indicator_in_the_tree_is_named_with_its_line():
    problems = _problems(GOOD.replace("children: [a, b]", "children: [a, b, zz]"))
    (problem,) = problems.values()
    assert problem.path == "tree[1].children[2]" and problem.line == 14
    assert "'zz' is neither an indicator nor an aggregate" in problem.message_en
    assert "«zz» نه شاخص است نه زیرشاخص" in problem.message_fa


def test_a_cycle_is_refused():
    text = GOOD.replace("children: [a, b], aggregate", "children: [a, b, Index], aggregate")
    messages = " ".join(p.message_en for p in _problems(text).values())
    assert "cycle" in messages


def test_negative_weight_and_wrong_types_are_each_named():
    text = GOOD.replace("weight: 3", "weight: -1").replace("direction: -1", "direction: down")
    problems = _problems(text)
    assert set(problems) == {("tree[1].weight", 14), ("indicators[1].direction", 7)}
    assert "must be ≥ 0, not -1" in problems[("tree[1].weight", 14)].message_en
    assert "'down' is not one of: 1, -1" in problems[("indicators[1].direction", 7)].message_en


def test_parameter_of_the_wrong_type():
    problems = _problems(
        GOOD.replace("range: [0, 10]", "range: [10, 0]").replace(
            "method: group_median", "method: magic"
        )
    )
    paths = {path for path, _line in problems}
    assert paths == {"steps.normalise.range", "steps.impute.method"}


def test_unknown_keys_and_missing_required_fields():
    text = GOOD.replace('version: "1"\n', "").replace("unit: firm", "unit: firm\nwieghts: 1")
    problems = _problems(text)
    assert {path for path, _ in problems} == {"version", "wieghts"}
    assert "unknown key 'wieghts'" in problems[("wieghts", 3)].message_en


def test_indicator_left_out_of_the_tree_and_duplicates():
    text = GOOD.replace("children: [P1, c]", "children: [P1]").replace("{code: b,", "{code: a,")
    messages = [p.message_en for p in _problems(text).values()]
    assert "indicator 'a' is defined twice" in messages
    assert "indicator 'c' is not placed in the tree" in messages


def test_a_group_step_needs_a_declared_group():
    problems = _problems(GOOD.replace("by: sector", "by: province"))
    assert ("steps.impute.by", 10) in problems


def test_broken_yaml_is_located():
    with pytest.raises(MethodologyError) as caught:
        loads("name: [unclosed\nversion: 1\n")
    assert caught.value.problems[0].line is not None
    assert "YAML" in caught.value.message_en


def test_the_options_of_sme100_v2_are_read_and_their_misuse_located():
    v2 = (
        GOOD.replace("  impute: {method: group_median, by: sector}\n", "")
        .replace(
            "normalise: {method: minmax, range: [0, 10], within: sector}",
            "normalise: {method: percentile, within: sector, min_group_size: 20, small_groups: "
            "together, missing: lowest}\n"
            "  rescale: {method: percentile, within: sector}",
        )
        .replace(
            "groups: [sector]\n",
            "groups: [sector]\neligibility: {min_data_coverage: 0.5, coverage_counts: "
            "indicators}\n",
        )
    )
    m = loads(v2)
    assert (m.normalise.method, m.normalise.missing, m.normalise.small_groups) == (
        "percentile",
        "lowest",
        "together",
    )
    assert m.rescale.method == "percentile" and m.rescale.within == "sector"
    assert m.eligibility.coverage_counts == "indicators"
    problems = _problems(
        v2.replace(
            "method: percentile, within: sector, min_group_size",
            "method: minmax, within: sector, min_group_size",
        ).replace("coverage_counts: indicators", "coverage_counts: cells")
    )
    assert {path for path, _ in problems} == {
        "steps.normalise.missing",
        "eligibility.coverage_counts",
    }
    missing = next(p for (path, _), p in problems.items() if path == "steps.normalise.missing")
    assert "only an order method" in missing.message_en and "روشی ترتیبی" in missing.message_fa
    assert missing.line == 11  # the normalise step's line
    for bad, path in (
        ("rescale: {method: percentile, within: sector}", "steps.rescale.method"),
        ("rescale: {method: percentile, within: sector}", "steps.rescale.missing"),
    ):
        changed = {
            "steps.rescale.method": "rescale: {method: goalposts, within: sector}",
            "steps.rescale.missing": "rescale: {method: percentile, missing: lowest}",
        }[path]
        assert path in {p for p, _ in _problems(v2.replace(bad, changed))}


def test_weights_per_level_and_per_node():
    text = GOOD.replace(
        "normalise: {method: minmax, range: [0, 10], within: sector}\n",
        "normalise: {method: minmax, range: [0, 10], within: sector}\n"
        "  weights: {method: equal, levels: {1: pca}, negative: keep}\n",
    )
    text = text.replace(
        "aggregate: {method: geometric}}", "aggregate: {method: arithmetic}, weights: explicit}"
    )
    methodology = loads(text.replace("children: [P1, c]", "children: [P1, c], weights: pca"))
    assert (
        methodology.weights.method,
        methodology.weights.levels,
        methodology.weights.negative,
    ) == ("equal", {1: "pca"}, "keep")
    assert methodology.weights_for(methodology.node("P1")) == "explicit"  # its own
    assert methodology.weights_for(methodology.root) == "pca"
    # without its own weights, the Index's children sit at levels 2 (P1, the default:
    # equal) and 1 (c, pca): no rule is picked for it silently
    problems = _problems(text)
    assert set(problems) == {("tree[0]", 14)}
    message = problems[("tree[0]", 14)]
    assert "levels 1, 2" in message.message_en and "equal, pca" in message.message_en
    assert "weights:" in message.message_fa
    alike = loads(text.replace("levels: {1: pca}", "levels: {1: pca, 2: pca}"))
    assert alike.weights_for(alike.root) == "pca"


def test_weight_rules_are_checked_and_located():
    text = GOOD.replace(
        "normalise: {method: minmax, range: [0, 10], within: sector}\n",
        "normalise: {method: minmax, range: [0, 10], within: sector}\n"
        "  weights: {method: pca, levels: {3: equal, two: pca, 1: mean}, negative: flip}\n",
    )
    problems = _problems(text.replace("children: [P1, c]}", "children: [P1, c], weights: random}"))
    assert set(problems) == {
        ("steps.weights.levels.3", 12),
        ("steps.weights.levels.two", 12),
        ("steps.weights.levels.1", 12),
        ("steps.weights.negative", 12),
        ("tree[0].weights", 14),
    }
    assert "the index is level 3" in problems[("steps.weights.levels.3", 12)].message_en
    assert "not a tree level" in problems[("steps.weights.levels.two", 12)].message_en
    assert (
        "'flip' is not one of: zero, keep, refuse"
        in problems[("steps.weights.negative", 12)].message_en
    )
    assert problems[("tree[0].weights", 14)].message_fa


def test_keeping_negative_loadings_needs_the_arithmetic_mean_where_pca_weighs():
    text = GOOD.replace(
        "normalise: {method: minmax, range: [0, 10], within: sector}\n",
        "normalise: {method: minmax, range: [0, 10], within: sector}\n"
        "  weights: {method: pca, negative: keep}\n",
    )
    problems = _problems(text)  # P1 is aggregated by a geometric mean
    assert set(problems) == {("steps.weights.negative", 12)}
    assert (
        "'P1' is PCA-weighted and aggregated by geometric"
        in problems[("steps.weights.negative", 12)].message_en
    )
    loads(
        text.replace(
            "children: [a, b], aggregate", "weights: explicit, children: [a, b], aggregate"
        )
    )
    loads(text.replace("negative: keep", "negative: zero"))
