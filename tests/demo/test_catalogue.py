import dataclasses
import re

import pytest
import yaml

from rasad.errors import RasadInputError
from rasad.methodologies import KINDS, UNITS, IndicatorSpec, load_catalogue

CODES = [
    "employees", "sales", "exports", "export_countries", "intermediate_inputs", "wages",
    "ebit", "net_profit", "total_assets", "current_assets", "current_liabilities",
    "total_liabilities", "equity", "retained_earnings", "credit_requested", "credit_received",
    "capacity_utilisation", "rd_expenditure", "new_product_sales_share",
    "technologies_adopted", "knowledge_based", "iso9001", "iso14001", "standard_mark",
    "defect_rate", "training_hours", "graduate_employees",
]  # fmt: skip
CAN_BE_NEGATIVE = {"ebit", "net_profit", "equity", "retained_earnings"}
PERSIAN = re.compile(r"[\u0600-\u06FF]")


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_codes_are_the_agreed_ones_in_order(catalogue):
    assert [spec.code for spec in catalogue] == CODES


def test_codes_are_unique(catalogue):
    codes = [spec.code for spec in catalogue]
    assert len(codes) == len(set(codes))


def test_specs_are_frozen(catalogue):
    assert all(isinstance(spec, IndicatorSpec) for spec in catalogue)
    with pytest.raises(dataclasses.FrozenInstanceError):
        catalogue[0].code = "other"


def test_units_kinds_and_bounds_fit_together(catalogue):
    for spec in catalogue:
        assert spec.unit in UNITS and spec.kind in KINDS
        assert spec.direction in (-1, 0, 1)
        if spec.code in CAN_BE_NEGATIVE:
            assert spec.min_value is None, spec.code
        else:
            assert spec.min_value == 0, spec.code
        if spec.kind == "money":
            assert spec.unit == "million_rials"
        if spec.kind == "percent":
            assert (spec.min_value, spec.max_value) == (0, 100)
        if spec.kind == "boolean":
            assert (spec.min_value, spec.max_value) == (0, 1)
    by_code = {spec.code: spec for spec in catalogue}
    assert by_code["technologies_adopted"].max_value == 10
    assert by_code["defect_rate"].direction == -1
    assert by_code["training_hours"].unit == "hours"


def test_texts_are_bilingual_and_persian_uses_persian_letters(catalogue):
    for spec in catalogue:
        for text in (spec.name_fa, spec.description_fa):
            assert PERSIAN.search(text), spec.code
            assert "ي" not in text and "ك" not in text, spec.code  # Arabic yeh and kaf
        assert spec.name_en and spec.description_en
    assert {spec.name_fa for spec in catalogue} >= {"شرکت دانش‌بنیان", "نشان استاندارد ملی"}


def test_technology_checklist_has_ten_items(catalogue):
    spec = next(s for s in catalogue if s.code == "technologies_adopted")
    assert all(f"{i})" in spec.description_en for i in range(1, 11))
    assert "ERP" in spec.description_en and "CNC" in spec.description_en


def _write(tmp_path, entries):
    path = tmp_path / "catalogue.yaml"
    path.write_text(
        yaml.safe_dump({"version": 1, "indicators": entries}, allow_unicode=True), "utf-8"
    )
    return path


def _entry(**changes):
    entry = {
        "code": "sales",
        "name": {"fa": "فروش", "en": "Sales"},
        "unit": "million_rials",
        "kind": "money",
        "min": 0,
        "max": None,
        "direction": 1,
        "description": {"fa": "فروش سال", "en": "Sales of the year"},
    }
    entry.update(changes)
    return entry


def test_a_valid_custom_catalogue_loads(tmp_path):
    specs = load_catalogue(_write(tmp_path, [_entry(), _entry(code="exports", plausible_max=1e6)]))
    assert [s.code for s in specs] == ["sales", "exports"]
    assert (specs[0].plausible_min, specs[0].plausible_max) == (None, None)  # optional keys
    assert specs[1].plausible_max == 1e6


def test_plausible_bounds_lie_within_the_valid_ones(catalogue):
    """The bundled bounds: every money figure within ±10⁹ million rials, headcounts within
    a million persons; and an implausible value is one outside them, never NaN."""
    import numpy as np

    bounded = {spec.code: spec for spec in catalogue if spec.plausible_max is not None}
    assert {"employees", "sales", "total_assets", "graduate_employees", "export_countries"} <= set(
        bounded
    )
    for spec in catalogue:
        if spec.kind == "money":
            assert spec.plausible_max == 1e9 and spec.plausible_min in (None, -1e9), spec.code
            assert (spec.plausible_min is None) == (spec.min_value is not None), spec.code
        for bound in (spec.plausible_min, spec.plausible_max):
            if bound is not None:
                assert spec.min_value is None or bound >= spec.min_value
                assert spec.max_value is None or bound <= spec.max_value
    employees = bounded["employees"]
    assert employees.plausible_max == 1_000_000
    assert employees.implausible(np.array([1e6, 1e6 + 1, 1e30, np.nan, 0])).tolist() == [
        False,
        True,
        True,
        False,
        False,
    ]
    assert bounded["ebit"].implausible([-2e9, -1e9, 1e308]).tolist() == [True, False, True]


@pytest.mark.parametrize(
    ("entries", "field"),
    [
        ([_entry(), _entry()], "indicators[sales].code"),
        ([_entry(unit="rials")], "indicators[sales].unit"),
        ([_entry(kind="ratio")], "indicators[sales].kind"),
        ([_entry(kind="percent", unit="percent", min=0, max=1)], "indicators[sales].min"),
        ([_entry(min=10, max=5)], "indicators[sales].min"),
        ([_entry(min="zero")], "indicators[sales].min"),
        ([_entry(direction=2)], "indicators[sales].direction"),
        ([_entry(direction=True)], "indicators[sales].direction"),
        ([_entry(kind="count", unit="count", min=None)], "indicators[sales].min"),
        ([_entry(code="Sales")], "indicators[0].code"),
        ([_entry(name={"fa": "فروش"})], "indicators[sales].name"),
        ([_entry(description={"fa": "", "en": "x"})], "indicators[sales].description.fa"),
        ([_entry(weight=1)], "indicators[sales]"),
        ([], "indicators"),
        ([_entry(plausible_max="huge")], "indicators[sales].plausible_max"),
        ([_entry(plausible_min=-5)], "indicators[sales].plausible_min"),  # below the valid min
        ([_entry(max=100, plausible_max=200)], "indicators[sales].plausible_max"),
        ([_entry(plausible_min=10, plausible_max=10)], "indicators[sales].plausible_min"),
        ([_entry(max=float("nan"))], "indicators[sales].max"),  # bounds nothing
        ([_entry(plausible_max=float("nan"))], "indicators[sales].plausible_max"),
    ],
)
def test_bad_entries_are_named_in_both_languages(tmp_path, entries, field):
    with pytest.raises(RasadInputError) as caught:
        load_catalogue(_write(tmp_path, entries))
    assert caught.value.field == field
    assert caught.value.message_en.startswith(field) and caught.value.message_fa.startswith(field)


def test_missing_field_is_reported(tmp_path):
    entry = _entry()
    del entry["direction"]
    with pytest.raises(RasadInputError, match="direction"):
        load_catalogue(_write(tmp_path, [entry]))


def test_unreadable_and_malformed_files_are_reported(tmp_path):
    with pytest.raises(RasadInputError) as caught:
        load_catalogue(tmp_path / "absent.yaml")
    assert caught.value.field == "path"
    broken = tmp_path / "broken.yaml"
    broken.write_text("indicators: [unclosed", "utf-8")
    with pytest.raises(RasadInputError, match="not valid YAML"):
        load_catalogue(broken)
