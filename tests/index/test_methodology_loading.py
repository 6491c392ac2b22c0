"""Loading a methodology reads it with the fast (C) YAML loader; the slow line-numbered
composer runs only when there is a problem to locate, and the messages stay the same."""

import pytest
import yaml

from rasad import config
from rasad.index.methodology import MethodologyError, load, loads
from rasad.index.uncertainty import load_spec


@pytest.fixture
def no_composer(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the line-numbered composer ran on the happy path")

    monkeypatch.setattr(yaml, "compose", refuse)


@pytest.mark.parametrize("name", ["sme100", "asem"])
def test_a_good_methodology_is_read_without_the_composer(no_composer, name):
    assert load(name).root.code


def test_a_good_uncertainty_spec_is_read_without_the_composer(no_composer):
    assert load_spec("asem-uncertainty", methodology=load("asem")) is not None


def test_the_fast_loader_is_libyaml_when_pyyaml_has_it():
    expected = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    assert config.FAST_LOADER is expected


def test_a_problem_is_still_located_by_its_line():
    text = load("sme100").text.replace("version:", "version_:", 1)
    line = 1 + text.splitlines().index(next(s for s in text.splitlines() if "version_:" in s))
    with pytest.raises(MethodologyError) as caught:
        loads(text, source="m.yaml")
    located = {(p.path, p.line) for p in caught.value.problems}
    assert ("version_", line) in located
    assert f"version_ (line {line}): unknown key 'version_'" in caught.value.message_en
    assert "کلید ناشناختهٔ «version_»" in caught.value.message_fa


def test_invalid_yaml_gets_the_pure_python_loaders_message_and_line():
    text = "name: x\nunit: [a, b\nversion: 1\n"
    with pytest.raises(yaml.YAMLError) as pure:
        yaml.safe_load(text)
    with pytest.raises(MethodologyError) as caught:
        loads(text)
    (problem,) = caught.value.problems
    assert problem.line == pure.value.problem_mark.line + 1
    assert problem.message_en == f"not valid YAML: {pure.value.problem}"
