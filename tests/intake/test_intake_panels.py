"""Research panels as datasets: dataset codes, price indices, text firm codes, the US panel.

IDs written out below are worked by hand with the legal-entity check digit (weights
29, 27, 23, 19, 17 on each digit plus k = last digit + 2, sum mod 11). For 9905000001:
k = 3, (9+3)·29 + (9+3)·27 + 3·23 + (5+3)·19 + 3·17 + 3·29 + 3·27 + 3·23 + 3·19 + (1+3)·17
= 1306 = 118·11 + 8, so the ID is 99050000018.
"""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from rasad.errors import InputProblems, RasadInputError
from rasad.intake import (
    apply_mapping,
    assign_text_ids,
    bundled_mappings,
    load_mapping,
    read_panel,
    read_prices,
    validate_frames,
)
from rasad.intake.mapping import dataset_code_from_file, parse_mapping
from rasad.iran.ids import is_valid_legal_id, make_legal_id

PANELS = Path(__file__).parents[1] / "fixtures" / "firm_panels"
US = PANELS / "instinnovation_us_1991_1999.csv"
UK = PANELS / "emplUK_1976_1984.csv"

# prefix 9905, numbers 1 to 5, hand-computed as in the module docstring
ID_1, ID_2, ID_3, ID_4, ID_5 = (
    "99050000018",
    "99050000022",
    "99050000037",
    "99050000041",
    "99050000056",
)


def _document(**changes):
    document = {
        "name": {"fa": "آزمون", "en": "Test"},
        "enterprise": {"id": "firm", "national_id": {"prefix": "9905", "width": 6}},
        "period": {"year": "year", "calendar": "gregorian"},
        "indicators": {"sales": {"column": "turnover"}},
    }
    document.update(changes)
    return document


def _text_mapping(**changes):
    document = _document(**changes)
    document["enterprise"]["national_id"]["codes"] = "text"
    return parse_mapping(document)


def _fields(caught) -> list[str]:
    return [p.field for p in caught.value.problems]


# --- dataset codes ---------------------------------------------------------------


def test_bundled_mappings_name_their_datasets():
    codes = {name: load_mapping(name).dataset_code for name in bundled_mappings()}
    assert codes == {
        "uk_emplUK": "uk-empl-1976-1984",
        "michigan_jtrain": "michigan-jtrain-1987-1989",
        "us_innovation": "us-innovation-1991-1999",
    }


def test_dataset_code_defaults_to_the_file_stem_or_panel(tmp_path):
    assert dataset_code_from_file("uk_emplUK.yaml") == "uk-empluk"
    assert dataset_code_from_file(Path("/x/My_Panel_2024.yml")) == "my-panel-2024"
    assert dataset_code_from_file(None) == "panel"
    assert parse_mapping(_document()).dataset_code == "panel"
    assert parse_mapping(_document(), file="uk_emplUK.yaml").dataset_code == "uk-empluk"
    path = tmp_path / "Iran_Survey.yaml"
    path.write_text(yaml.safe_dump(_document(), allow_unicode=True), encoding="utf-8")
    assert load_mapping(path).dataset_code == "iran-survey"
    # a code in the document wins over the file name
    path.write_text(
        yaml.safe_dump(_document(dataset={"code": "survey-1402"}), allow_unicode=True),
        encoding="utf-8",
    )
    assert load_mapping(path).dataset_code == "survey-1402"


@pytest.mark.parametrize(
    ("dataset", "field"),
    [
        ({"code": "UK-Empl"}, "dataset.code"),
        ({"code": "uk_empl"}, "dataset.code"),
        ({"code": "-uk"}, "dataset.code"),
        ({"code": "uk-"}, "dataset.code"),
        ({"code": "uk--empl"}, "dataset.code"),
        ({"code": ""}, "dataset.code"),
        ({"code": 1991}, "dataset.code"),
        ({"code": "پنل"}, "dataset.code"),
        ({"code": "a" * 51}, "dataset.code"),
        ({"code": "uk", "name": "UK"}, "dataset"),
        ("uk-empl", "dataset"),
    ],
)
def test_bad_dataset_codes_are_refused_in_both_languages(dataset, field):
    with pytest.raises(InputProblems) as caught:
        parse_mapping(_document(dataset=dataset))
    assert _fields(caught) == [field]
    assert caught.value.problems[0].message_fa
    assert parse_mapping(_document(dataset={"code": "a" * 50})).dataset_code == "a" * 50


def test_a_file_name_that_makes_no_code_asks_for_one(tmp_path):
    path = tmp_path / "panel (copy).yaml"
    path.write_text(yaml.safe_dump(_document(), allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputProblems) as caught:
        load_mapping(path)
    assert _fields(caught) == ["dataset.code"]
    assert "dataset: {code" in caught.value.problems[0].message_en
    path.write_text(
        yaml.safe_dump(_document(dataset={"code": "copy"}), allow_unicode=True), encoding="utf-8"
    )
    assert load_mapping(path).dataset_code == "copy"


# --- price indices -------------------------------------------------------------


def test_prices_are_keyed_by_jalali_year():
    gregorian = {"calendar": "gregorian", "source": "CPI", "index": {1991: 136.2, "1992": 140.3}}
    mapping = parse_mapping(_document(prices=gregorian))
    assert mapping.prices == {1370: 136.2, 1371: 140.3}
    assert mapping.prices_note == "CPI"
    jalali = {"calendar": "jalali", "source": "SCI", "index": {1402: 100, 1403: 132.5}}
    assert parse_mapping(_document(prices=jalali)).prices == {1402: 100.0, 1403: 132.5}
    # without prices.calendar, the index's years are in the calendar of the periods
    same = {"source": "CPI", "index": {1991: 136.2}}
    assert parse_mapping(_document(prices=same)).prices == {1370: 136.2}
    assert parse_mapping(_document()).prices is None
    assert parse_mapping(_document()).prices_note == ""


@pytest.mark.parametrize(
    ("index", "field"),
    [
        ({1991: 0}, "prices.index.1991"),
        ({1991: -136.2}, "prices.index.1991"),
        ({1991: math.nan}, "prices.index.1991"),
        ({1991: math.inf}, "prices.index.1991"),
        ({1991: "136.2"}, "prices.index.1991"),
        ({1991: True}, "prices.index.1991"),
        ({1991: None}, "prices.index.1991"),
        ({1991.5: 136.2}, "prices.index.1991.5"),
        ({"1991a": 136.2}, "prices.index.1991a"),
        ({1991: 136.2, "1991": 140.0}, "prices.index.1991"),
        ({1200: 100.0}, "prices.index.1200"),  # Jalali 579: out of range
    ],
)
def test_bad_price_entries_name_their_year(index, field):
    prices = {"calendar": "gregorian", "source": "CPI", "index": index}
    with pytest.raises(InputProblems) as caught:
        parse_mapping(_document(prices=prices))
    assert _fields(caught) == [field]
    assert all(p.message_fa for p in caught.value.problems)


def test_a_gregorian_year_in_a_jalali_index_gets_a_hint():
    prices = {"calendar": "jalali", "source": "CPI", "index": {1991: 136.2}}
    with pytest.raises(InputProblems) as caught:
        parse_mapping(_document(prices=prices))
    assert _fields(caught) == ["prices.index.1991"]
    assert "Gregorian" in caught.value.problems[0].message_en


@pytest.mark.parametrize(
    ("prices", "field"),
    [
        ({"calendar": "hijri", "source": "CPI", "index": {1991: 1.0}}, "prices.calendar"),
        ({"calendar": "gregorian", "index": {1991: 1.0}}, "prices.source"),
        ({"calendar": "gregorian", "source": " ", "index": {1991: 1.0}}, "prices.source"),
        ({"calendar": "gregorian", "source": "CPI", "index": {}}, "prices.index"),
        ({"calendar": "gregorian", "source": "CPI", "index": [136.2]}, "prices.index"),
        ({"source": "CPI", "index": {1991: 1.0}, "base": 1984}, "prices"),
        ([136.2, 140.3], "prices"),
    ],
)
def test_price_block_problems(prices, field):
    with pytest.raises(InputProblems) as caught:
        parse_mapping(_document(prices=prices))
    assert field in _fields(caught)


def test_a_price_typed_twice_in_the_file_is_refused(tmp_path):
    path = tmp_path / "twice.yaml"
    text = yaml.safe_dump(_document(), allow_unicode=True)
    text += "prices:\n  source: CPI\n  index:\n    1991: 136.2\n    1992: 140.3\n    1991: 163.2\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputProblems) as caught:
        load_mapping(path)
    assert _fields(caught) == ["prices.index.1991"]
    problem = caught.value.problems[0]
    assert "twice" in problem.message_en and "twice.yaml" in problem.message_en
    assert "دو بار" in problem.message_fa


def test_bundled_price_indices():
    michigan, us, uk = (load_mapping(n) for n in ("michigan_jtrain", "us_innovation", "uk_emplUK"))
    assert michigan.prices == {1366: 113.6, 1367: 118.3, 1368: 124.0}
    assert us.prices == {
        1370: 136.2, 1371: 140.3, 1372: 144.5, 1373: 148.2, 1374: 152.4,
        1375: 156.9, 1376: 160.5, 1377: 163.0, 1378: 166.6,
    }  # fmt: skip
    for mapping in (michigan, us):
        assert "CUUR0000SA0" in mapping.prices_note and "1982–84 = 100" in mapping.prices_note
    # every year of each panel has its index
    for mapping, path in ((michigan, PANELS / "jtrain_michigan_1987_1989.csv"), (us, US)):
        years = set(pd.read_csv(path, usecols=["year"])["year"] - 621)
        assert years == set(mapping.prices)
    assert uk.prices is None and uk.prices_note == ""
    assert "no money" in bundled_mappings()["uk_emplUK"].read_text(encoding="utf-8")


# --- price files -----------------------------------------------------------------


def _prices_file(tmp_path, text: str, name="prices.csv", encoding="utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_price_file_years_are_jalali_without_a_calendar_column(tmp_path):
    path = _prices_file(tmp_path, "year,index\n1400,100\n\n1401,140.5\n")
    assert read_prices(path) == ({1400: 100.0, 1401: 140.5}, "prices.csv")


def test_price_file_with_calendars_persian_headers_and_a_source(tmp_path):
    text = (
        "\ufeffسال;شاخص;تقویم;منبع\n"
        "۱۹۹۱;۱۳۶٫۲;میلادی;BLS CPI-U\n"
        "1992;140.3;gregorian;BLS CPI-U\n"
        "1372;144.5;شمسی;\n"
    )
    prices, note = read_prices(_prices_file(tmp_path, text, "cpi.csv"))
    assert prices == {1370: 136.2, 1371: 140.3, 1372: 144.5}
    assert note == "cpi.csv: BLS CPI-U"
    # headers in any case, other columns ignored
    text = "Note,Year,INDEX\nrevised,1400,100\n"
    assert read_prices(_prices_file(tmp_path, text, "n.csv"))[0] == {1400: 100.0}
    # Windows-1256, as Excel saves a CSV on a Persian Windows
    text = "سال,شاخص\n1400,100\n"
    assert read_prices(_prices_file(tmp_path, text, "w.csv", "cp1256"))[0] == {1400: 100.0}
    # UTF-16 with its BOM, tab separated: Excel's "Unicode text"
    text = "سال\tشاخص\n1400\t100\n"
    assert read_prices(_prices_file(tmp_path, text, "u.txt", "utf-16"))[0] == {1400: 100.0}


def test_a_windows_1256_file_with_arabic_letters_reads_its_calendar(tmp_path):
    """Windows-1256 has no Persian ی, so Excel writes the Arabic ي: تقويم is the calendar
    column and شمسي, ميلادي its words, as their Persian spellings are."""
    text = "سال,شاخص,تقويم\n1991,136.2,ميلادي\n1372,144.5,شمسي\n1401,150,Shamsi\n"
    prices, _ = read_prices(_prices_file(tmp_path, text, "w.csv", "cp1256"))
    assert prices == {1370: 136.2, 1372: 144.5, 1401: 150.0}


def test_a_file_that_is_no_csv_is_refused_at_its_row(tmp_path):
    text = "year,index\n1400,100\n1401," + "9" * 200_000 + "\n"
    with pytest.raises(InputProblems) as caught:
        read_prices(_prices_file(tmp_path, text))
    (problem,) = caught.value.problems
    assert problem.message_en.startswith("prices.csv, row 3: this row cannot be read as CSV")
    assert problem.message_fa.startswith("prices.csv، ردیف ۳: این ردیف به‌صورت CSV")


def test_price_file_problems_name_file_row_and_column(tmp_path):
    text = "year,index\n1400,100\n1401,-3\n14o2,5\n1400,7\n1403,\n"
    with pytest.raises(InputProblems) as caught:
        read_prices(_prices_file(tmp_path, text))
    problems = caught.value.problems
    assert [(p.field, p.value) for p in problems] == [
        ("index", "-3"),
        ("year", "14o2"),
        ("year", "1400"),
        ("index", ""),
    ]
    assert problems[0].message_en.startswith("prices.csv, row 3, column index:")
    assert problems[0].message_fa.startswith("prices.csv، ردیف ۳، ستون index:")
    assert problems[1].message_en.startswith("prices.csv, row 4, column year:")
    assert "given twice (rows 2 and 5)" in problems[2].message_en
    assert problems[3].message_en.startswith("prices.csv, row 6, column index:")


def test_price_file_calendar_problems(tmp_path):
    text = "year,index,calendar\n1991,136.2,Gregorian\n1992,140.3,hijri\n1993,144.5,\n"
    with pytest.raises(InputProblems) as caught:
        read_prices(_prices_file(tmp_path, text))
    assert [(p.field, p.message_en.split(":")[0]) for p in caught.value.problems] == [
        ("calendar", "prices.csv, row 3, column calendar"),
        ("calendar", "prices.csv, row 4, column calendar"),
    ]
    # a Gregorian year with no calendar column is read as Jalali, and refused with a hint
    with pytest.raises(InputProblems) as caught:
        read_prices(_prices_file(tmp_path, "year,index\n1991,136.2\n"))
    (problem,) = caught.value.problems
    assert problem.message_en.startswith("prices.csv, row 2, column year:")
    assert "Gregorian" in problem.message_en


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("year,value\n1400,100\n", "lacks the columns ['index']"),
        ("", "no rows of data"),
        ("year,index\n", "no rows of data"),
        ("year,index,سال\n1400,100,1400\n", "two columns mean year"),
    ],
)
def test_price_file_shape_problems(tmp_path, text, words):
    with pytest.raises(InputProblems) as caught:
        read_prices(_prices_file(tmp_path, text))
    assert words in caught.value.message_en
    assert "prices.csv" in caught.value.message_en and caught.value.message_fa


def test_a_missing_price_file_is_named(tmp_path):
    with pytest.raises(RasadInputError) as caught:
        read_prices(tmp_path / "nowhere.csv")
    assert "nowhere.csv" in caught.value.message_en and "nowhere.csv" in caught.value.message_fa


# --- text firm codes -------------------------------------------------------------


def test_hand_computed_ids_are_the_legal_ids():
    assert [make_legal_id(f"990500000{n}") for n in range(1, 6)] == [ID_1, ID_2, ID_3, ID_4, ID_5]


def _frame(codes, years=None):
    years = years or [1991] * len(codes)
    return pd.DataFrame({"firm": codes, "year": years, "turnover": range(len(codes))})


def test_new_text_codes_are_numbered_in_sorted_order():
    frame = _frame(["b", "a", " c ", "a"], [1991, 1991, 1991, 1992])
    panel = apply_mapping(frame, _text_mapping())
    assert panel.crosswalk["source_id"].tolist() == ["b", "a", "c", "a"]  # stripped
    assert panel.crosswalk["national_id"].tolist() == [ID_2, ID_1, ID_3, ID_1]
    # one enterprise per firm, in order of first appearance; names are the codes
    assert panel.enterprises["national_id"].tolist() == [ID_2, ID_1, ID_3]
    assert panel.enterprises["name_en"].tolist() == ["b", "a", "c"]
    assert panel.crosswalk["period"].tolist() == ["1370", "1370", "1370", "1371"]


def test_known_codes_keep_their_ids_and_new_ones_follow_the_highest():
    known = {
        "b": ID_3,  # number 3: the highest under the prefix
        "z": ID_1,  # not in this file: still reserves number 1
        "elsewhere": make_legal_id("9901000007"),  # another prefix: not counted
    }
    panel = apply_mapping(_frame(["c", "b", "a"]), _text_mapping(), known_codes=known)
    assert dict(zip(panel.crosswalk["source_id"], panel.crosswalk["national_id"], strict=True)) == {
        "b": ID_3,
        "a": ID_4,
        "c": ID_5,
    }


def test_sorted_order_is_code_point_order():
    ids = assign_text_ids(["b", "B", "a", "10", "9"], "9905", 6)
    assert list(ids) == ["b", "B", "a", "10", "9"]  # first appearance
    numbers = {code: int(national_id[4:10]) for code, national_id in ids.items()}
    assert numbers == {"10": 1, "9": 2, "B": 3, "a": 4, "b": 5}


def test_reimporting_never_moves_a_firm():
    mapping = _text_mapping()
    first = apply_mapping(_frame(["m", "k"]), mapping)
    known = dict(zip(first.crosswalk["source_id"], first.crosswalk["national_id"], strict=True))
    assert known == {"k": ID_1, "m": ID_2}
    # the same file again
    again = apply_mapping(_frame(["m", "k"]), mapping, known_codes=known)
    assert again.crosswalk.equals(first.crosswalk)
    # a later file with more firms, one sorting before the known ones
    later = apply_mapping(_frame(["k", "a", "m", "z"], [1992] * 4), mapping, known_codes=known)
    ids = dict(zip(later.crosswalk["source_id"], later.crosswalk["national_id"], strict=True))
    assert ids == {"k": ID_1, "a": ID_3, "m": ID_2, "z": ID_4}
    # and that file once more, with everything now known
    known.update(ids)
    assert apply_mapping(
        _frame(["k", "a", "m", "z"], [1992] * 4), mapping, known_codes=known
    ).crosswalk.equals(later.crosswalk)


def test_overflowing_the_width_is_refused_naming_the_column():
    mapping = _text_mapping()
    known = {"old": make_legal_id("9905999998")}
    fits = apply_mapping(_frame(["new"]), mapping, known_codes=known)
    assert fits.crosswalk["national_id"].iloc[0] == make_legal_id("9905999999")
    with pytest.raises(RasadInputError) as caught:
        apply_mapping(_frame(["new", "newer"]), mapping, known_codes=known)
    assert caught.value.field == "firm"
    assert "firm" in caught.value.message_en and "1000000" in caught.value.message_en
    assert "firm" in caught.value.message_fa


def test_blank_text_codes_and_shared_ids_are_refused():
    with pytest.raises(RasadInputError) as caught:
        apply_mapping(_frame(["a", "  ", None, "b"]), _text_mapping())
    assert caught.value.field == "firm" and caught.value.value == [2, 3]
    assert caught.value.message_fa
    with pytest.raises(RasadInputError, match="one national ID"):
        apply_mapping(_frame(["a", "b"]), _text_mapping(), known_codes={"a": ID_1, "b": ID_1})


def test_number_codes_ignore_known_codes():
    mapping = load_mapping("uk_emplUK")
    frame = pd.read_csv(UK)
    plain = apply_mapping(frame, mapping)
    assert plain.crosswalk.equals(
        apply_mapping(frame, mapping, known_codes={"1": ID_1, "x": ID_2}).crosswalk
    )
    with pytest.raises(RasadInputError, match="not a whole number"):
        apply_mapping(_frame(["a"]), parse_mapping(_document()))


def test_the_codes_setting_is_checked():
    document = _document()
    document["enterprise"]["national_id"]["codes"] = "names"
    document["enterprise"]["national_id"]["digits"] = 6
    with pytest.raises(InputProblems) as caught:
        parse_mapping(document)
    assert _fields(caught) == ["enterprise.national_id.codes", "enterprise.national_id"]
    assert parse_mapping(_document()).id_codes == "number"


def test_read_panel_keeps_text_codes_as_written(tmp_path):
    path = tmp_path / "panel.csv"
    path.write_text("firm,year,turnover\n007,1991,1\nNA,1991,2\n7,1991,3\n", encoding="utf-8")
    panel = read_panel(path, _text_mapping())
    assert panel.crosswalk["source_id"].tolist() == ["007", "NA", "7"]
    assert panel.crosswalk["national_id"].tolist() == [ID_1, ID_3, ID_2]
    known = {"NA": ID_5}
    assert read_panel(path, _text_mapping(), known_codes=known).crosswalk[
        "national_id"
    ].tolist() == [make_legal_id("9905000006"), ID_5, make_legal_id("9905000007")]


# --- the US innovation panel -----------------------------------------------------


@pytest.fixture(scope="module")
def us_panel():
    return pd.read_csv(US), read_panel(US, "us_innovation")


def test_us_panel_rows_firms_and_ids(us_panel):
    source, panel = us_panel
    assert len(panel.returns) == len(source) == 6208
    assert len(panel.enterprises) == source["company"].nunique() == 803
    assert panel.crosswalk["source_id"].tolist() == source["company"].tolist()
    assert panel.crosswalk["source_year"].tolist() == source["year"].tolist()
    assert panel.returns["period"].tolist() == [str(y - 621) for y in source["year"]]
    enterprises = panel.enterprises
    assert all(is_valid_legal_id(i) for i in enterprises["national_id"])
    assert enterprises["national_id"].is_unique
    # numbered 1…803 under 9903 in order of the names
    by_id = enterprises.sort_values("national_id")
    assert by_id["name_en"].tolist() == sorted(source["company"].unique())
    assert by_id["national_id"].str[4:10].astype(int).tolist() == list(range(1, 804))
    assert (enterprises["name_fa"] == enterprises["name_en"]).all()
    assert enterprises["isic_class"].isna().all() and enterprises["province_code"].isna().all()


def test_us_panel_values_equal_the_source(us_panel):
    source, panel = us_panel
    returns = panel.returns
    np.testing.assert_array_equal(
        returns["employees"].to_numpy(), source["employment"].to_numpy() * 1000
    )
    np.testing.assert_array_equal(returns["sales"].to_numpy(), source["sales"].to_numpy())
    mapped = {c for c in returns.columns[4:] if returns[c].notna().any()}
    assert mapped == {"employees", "sales"}  # R&D is a stock, capital is not total assets
    assert panel.notes["sales"] == "million US dollars (nominal)"
    assert "not rials" in panel.notes["currency"]


def test_us_panel_by_hand(us_panel):
    _, panel = us_panel
    rows = panel.returns.assign(company=panel.crosswalk["source_id"])
    # CSV row 1: 3COM CORP, 1991, sales 408.38792598643727, employment 1.896000044941231
    first = rows.iloc[0]
    assert (first["company"], first["period"]) == ("3COM CORP", "1370")
    # the first name in sorted order: number 1 under 9903, check digit 3 (worked as above:
    # 1268 = 115·11 + 3)
    assert first["national_id"] == "99030000013"
    assert first["sales"] == pytest.approx(408.387926, abs=1e-6)
    assert first["employees"] == pytest.approx(1896.000045, abs=1e-6)
    # CSV row 2975: INTEL CORP, 1994, sales 11521.00077825295, employment 32.60000024583772
    intel = rows[(rows["company"] == "INTEL CORP") & (rows["period"] == "1373")].iloc[0]
    assert intel["sales"] == pytest.approx(11521.000778, abs=1e-6)
    assert intel["employees"] == pytest.approx(32600.000246, abs=1e-6)
    assert math.isnan(intel["rd_expenditure"]) and math.isnan(intel["total_assets"])


def test_us_panel_passes_validation(us_panel):
    _, panel = us_panel
    report = validate_frames(returns=panel.returns)
    assert not report.blocking, report.to_text("en", limit=5)
    # one company's sales jump from 0.02 to 6.54 million dollars: flagged, not refused
    assert [p.code for p in report.warnings] == ["unit_slip"]


def test_us_panel_reimport_keeps_every_firm(us_panel):
    source, panel = us_panel
    early = source[source["year"] <= 1993].copy()
    first = apply_mapping(early, panel.mapping)
    known = dict(zip(first.crosswalk["source_id"], first.crosswalk["national_id"], strict=True))
    full = apply_mapping(source, panel.mapping, known_codes=known)
    ids = dict(zip(full.crosswalk["source_id"], full.crosswalk["national_id"], strict=True))
    assert all(ids[code] == national_id for code, national_id in known.items())
    new = sorted(set(ids) - set(known))
    assert new and [int(ids[c][4:10]) for c in new] == list(
        range(len(known) + 1, len(known) + len(new) + 1)
    )
