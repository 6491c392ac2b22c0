"""Real panels we did not make, imported through the bundled mappings: values equal the source."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from rasad.errors import InputProblems, RasadInputError
from rasad.intake import apply_mapping, bundled_mappings, load_mapping, validate_frames
from rasad.intake.mapping import parse_mapping, read_panel
from rasad.iran.ids import is_valid_legal_id

PANELS = Path(__file__).parents[1] / "fixtures" / "firm_panels"
MICHIGAN = PANELS / "jtrain_michigan_1987_1989.csv"
UK = PANELS / "emplUK_1976_1984.csv"


def test_bundled_mappings_are_listed_and_valid():
    assert set(bundled_mappings()) == {"michigan_jtrain", "uk_emplUK", "us_innovation"}
    for name in bundled_mappings():
        assert load_mapping(name).indicators


def test_michigan_values_equal_the_source():
    source = pd.read_csv(MICHIGAN)
    panel = read_panel(MICHIGAN, "michigan_jtrain")
    returns, crosswalk = panel.returns, panel.crosswalk
    assert len(returns) == len(source) == 471
    assert len(panel.enterprises) == source["fcode"].nunique() == 157
    # Rows stay in source order; the crosswalk says which firm and year each one is.
    assert crosswalk["source_id"].tolist() == [str(int(c)) for c in source["fcode"]]
    assert crosswalk["source_year"].tolist() == source["year"].tolist()
    assert returns["year"].tolist() == (source["year"] - 621).tolist()  # 1987 → 1366
    np.testing.assert_array_equal(returns["employees"].to_numpy(), source["employ"].to_numpy())
    # Dollars → million dollars is one correctly rounded division, so equality is exact ...
    np.testing.assert_array_equal(
        returns["sales"].to_numpy(), source["sales"].to_numpy() / 1_000_000
    )
    # ... and multiplying back gives the source figures to the last binary digit.
    np.testing.assert_allclose(returns["sales"] * 1_000_000, source["sales"], rtol=2e-16)
    np.testing.assert_array_equal(
        returns["defect_rate"].to_numpy(), (source["scrap"] + source["rework"]).to_numpy()
    )
    np.testing.assert_array_equal(
        returns["training_hours"].to_numpy(), (source["tothrs"] * source["totrain"]).to_numpy()
    )
    # The first plant, by hand: 410032 in 1987 had 100 employees and $47,000,000 of sales.
    first = returns.iloc[0]
    assert (first["national_id"], first["period"], first["employees"], first["sales"]) == (
        "99024100320", "1366", 100.0, 47.0,
    )  # fmt: skip
    assert first["training_hours"] == 12 * 100
    # Unmapped indicators stay empty rather than being invented.
    assert returns["exports"].isna().all() and returns["wages"].isna().all()
    assert returns["defect_rate"].notna().sum() == 84


def test_training_hours_mapping_agrees_with_the_panels_own_hours_per_employee():
    source = pd.read_csv(MICHIGAN)
    panel = read_panel(MICHIGAN, "michigan_jtrain")
    per_employee = panel.returns["training_hours"] / panel.returns["employees"]
    both = source["hrsemp"].notna()
    np.testing.assert_allclose(per_employee[both], source.loc[both, "hrsemp"], rtol=1e-6)


def test_uk_values_equal_the_source():
    source = pd.read_csv(UK)
    panel = read_panel(UK, "uk_emplUK")
    assert len(panel.returns) == 1031 and len(panel.enterprises) == 140
    np.testing.assert_array_equal(
        panel.returns["employees"].to_numpy(), source["emp"].to_numpy() * 1000
    )
    assert panel.returns["period"].tolist() == [str(y - 621) for y in source["year"]]
    assert panel.enterprises["name_en"].iloc[0] == "UK firm 1"
    assert panel.enterprises["name_fa"].iloc[0] == "شرکت بریتانیایی ۱"
    mapped = {c for c in panel.returns.columns[4:] if panel.returns[c].notna().any()}
    assert mapped == {"employees"}  # wage, capital and output mean something else


def test_mapped_panels_pass_validation_and_have_valid_ids():
    for path, name in ((MICHIGAN, "michigan_jtrain"), (UK, "uk_emplUK")):
        panel = read_panel(path, name)
        assert all(is_valid_legal_id(i) for i in panel.enterprises["national_id"])
        assert panel.returns["national_id"].isin(panel.enterprises["national_id"]).all()
        report = validate_frames(returns=panel.returns)
        assert not report.blocking, report.to_text("en", limit=5)
        assert report.returns["employees"].equals(panel.returns["employees"])


def test_notes_state_the_unit_conversions_and_currency():
    panel = read_panel(MICHIGAN, "michigan_jtrain")
    assert panel.notes["sales"] == "US dollars → million US dollars"
    assert "not rials" in panel.notes["currency"]
    assert panel.enterprises["isic_class"].isna().all()  # unknown: never invented


def test_constants_fill_the_registry_fields_the_panel_lacks():
    document = yaml.safe_load(Path(bundled_mappings()["uk_emplUK"]).read_text(encoding="utf-8"))
    document["enterprise"]["constants"] = {"isic_class": "2910", "province": "تهران"}
    panel = apply_mapping(pd.read_csv(UK), parse_mapping(document))
    assert set(panel.enterprises["isic_class"]) == {"2910"}
    assert set(panel.enterprises["province_code"]) == {23}


def _document():
    return {
        "name": {"fa": "آزمون", "en": "Test"},
        "enterprise": {"id": "firm", "national_id": {"prefix": "9905", "width": 6}},
        "period": {"year": "year", "calendar": "jalali"},
        "indicators": {"sales": {"column": "turnover", "factor": 0.001}},
    }


def test_mapping_on_a_small_frame_converts_exactly():
    frame = pd.DataFrame(
        {"firm": [7, 7, 12], "year": [1401, 1402, 1402], "turnover": [1_234_000, 2_000_500, np.nan]}
    )
    panel = apply_mapping(frame, parse_mapping(_document()))
    assert panel.returns["sales"].tolist()[:2] == [1234.0, 2000.5]
    assert np.isnan(panel.returns["sales"].iloc[2])
    assert panel.returns["period"].tolist() == ["1401", "1402", "1402"]
    assert panel.enterprises["national_id"].str[:10].tolist() == ["9905000007", "9905000012"]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d["indicators"].update(turnover={"column": "x"}), "indicators.turnover"),
        (lambda d: d["indicators"]["sales"].update(factor=-1), "indicators.sales.factor"),
        (lambda d: d["indicators"]["sales"].update(sum=["a", "b"]), "indicators.sales"),
        (lambda d: d["enterprise"]["national_id"].update(width=5), "enterprise.national_id"),
        (
            lambda d: d["enterprise"]["national_id"].update(prefix="9900", width=6),
            "enterprise.national_id.prefix",
        ),
        (lambda d: d["period"].update(calendar="hijri"), "period.calendar"),
        (
            lambda d: d["enterprise"].update(constants={"colour": "blue"}),
            "enterprise.constants.colour",
        ),
    ],
)
def test_mapping_problems_name_the_field(change, path):
    document = _document()
    change(document)
    with pytest.raises(InputProblems) as caught:
        parse_mapping(document)
    assert path in [p.field for p in caught.value.problems]
    assert all(p.message_fa for p in caught.value.problems)


def test_mapping_reports_every_problem_at_once():
    document = _document()
    document["period"]["calendar"] = "hijri"
    document["indicators"]["sales"]["factor"] = 0
    with pytest.raises(InputProblems) as caught:
        parse_mapping(document)
    assert [p.field for p in caught.value.problems] == [
        "period.calendar",
        "indicators.sales.factor",
    ]


def test_missing_source_columns_and_repeated_firm_years():
    mapping = parse_mapping(_document())
    with pytest.raises(RasadInputError, match="turnover"):
        apply_mapping(pd.DataFrame({"firm": [1], "year": [1402]}), mapping)
    twice = pd.DataFrame({"firm": [1, 1], "year": [1402, 1402], "turnover": [1.0, 2.0]})
    with pytest.raises(RasadInputError, match="several rows"):
        apply_mapping(twice, mapping)


@pytest.mark.parametrize(
    ("column", "value", "en"),
    [
        ("firm", -1, "firm: the firm code -1 is not a whole number"),
        ("year", 140, "year: the year 140 cannot be read: Jalali year 140 is not between"),
    ],
)
def test_a_bad_code_or_year_is_refused_naming_its_column(column, value, en):
    """A negative firm code and a year outside the calendar used to fail further on,
    inside the national-ID maker or the period, with no column named."""
    frame = pd.DataFrame({"firm": [1, 2], "year": [1401, 1402], "turnover": [1.0, 2.0]})
    frame.loc[1, column] = value
    with pytest.raises(RasadInputError) as caught:
        apply_mapping(frame, parse_mapping(_document()))
    error = caught.value
    assert error.field == column and error.value == value
    assert error.message_en.startswith(en), error.message_en
    assert error.message_fa.startswith(f"{column}: ")


def test_unknown_mapping_name():
    with pytest.raises(RasadInputError) as caught:
        load_mapping("no_such_mapping")
    assert "michigan_jtrain" in caught.value.message_en
