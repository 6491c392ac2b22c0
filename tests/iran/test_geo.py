from pathlib import Path

import pandas as pd
import pytest

from rasad.errors import RasadInputError
from rasad.iran import geo
from rasad.iran.geo import division_of, find_isic, find_province, isic, provinces, section_of
from rasad.iran.text import normalize_text


def test_provinces_table():
    table = provinces()
    assert list(table.columns) == ["code", "iso", "name_fa", "name_en", "hasc"]
    assert len(table) == 31
    assert table["code"].tolist() == list(range(31))
    assert table["code"].dtype == "int64"
    assert (table["iso"] == [f"IR-{c:02d}" for c in range(31)]).all()
    assert table.set_index("code").loc[23, "name_fa"] == "تهران"
    assert table.set_index("code").loc[30, "name_en"] == "Alborz"


def test_provinces_returns_a_copy():
    table = provinces()
    table.loc[0, "name_en"] = "changed"
    assert provinces().loc[0, "name_en"] == "Markazi"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("كرمان", 8),  # Arabic kaf
        ("کرمان", 8),
        ("Kerman", 8),
        ("کرمانشاه", 5),
        ("اصفهان", 10),
        ("Isfahan", 10),
        ("esfahan", 10),
        ("ISFAHAN", 10),
        ("IR-07", 7),
        ("ir-07", 7),
        ("IR.FA", 7),
        ("فارس", 7),
        (7, 7),
        ("7", 7),
        ("07", 7),
        ("۰۷", 7),
        (0, 0),
        ("استان تهران", 23),
        ("Tehran Province", 23),
        ("آذربايجان شرقي", 3),  # Arabic yeh
        ("آذربایجان‌شرقی", 3),  # ZWNJ instead of space
        ("اذربایجان شرقی", 3),  # alef without madda
        ("East Azerbaijan", 3),
        ("Azarbaijan Sharghi", 3),
        ("سیستان و بلوچستان", 11),
        ("سیستان وبلوچستان", 11),
        ("Sistan and Baluchestan", 11),
        ("Sistan & Baluchestan", 11),
        ("چهار محال و بختیاری", 14),
        ("Kohgiluyeh and Boyer Ahmad", 17),
        ("کهگیلویه و بویر احمد", 17),
        ("Khorasan Razavi", 9),
        ("Razavi Khorasan", 9),
        ("خراسان  رضوی", 9),
        ("Ghazvin", 26),
        ("Hamedan", 13),
        (" البرز ", 30),
    ],
)
def test_find_province(query, code):
    row = find_province(query)
    assert isinstance(row, pd.Series)
    assert row["code"] == code


def test_every_listed_name_finds_its_own_province():
    for _, row in provinces().iterrows():
        for column in ("iso", "name_fa", "name_en", "hasc"):
            assert find_province(row[column])["code"] == row["code"]
        assert find_province(int(row["code"]))["name_en"] == row["name_en"]


def test_every_alias_finds_its_province():
    aliases = pd.read_csv(Path(geo.__file__).parent / "data" / "province_aliases.csv")
    assert len(aliases) > 10
    for alias, code in zip(aliases["alias"], aliases["code"], strict=True):
        assert find_province(alias)["code"] == code, alias


@pytest.mark.parametrize("query", ["Atlantis", "تبریز", "IR-31", 31, -1, "", None, True])
def test_find_province_rejects_unknown(query):
    with pytest.raises(RasadInputError) as caught:
        find_province(query)
    assert "not an Iranian province" in caught.value.message_en
    assert "استان" in caught.value.message_fa and f"«{query}»" in caught.value.message_fa


def test_isic_levels():
    table = isic()
    assert list(table.columns) == ["level", "code", "section", "parent", "title_en", "title_fa"]
    counts = table["level"].value_counts()
    assert counts["section"] == 21
    assert counts["division"] == 88
    assert counts["group"] == 238
    assert counts["class"] == 419
    assert table["code"].is_unique


def test_isic_persian_titles():
    table = isic().set_index("code")
    upper = table[table["level"].isin(["section", "division"])]
    assert len(upper) == 109
    assert (upper["title_fa"].str.len() > 0).all()
    for title in upper["title_fa"]:
        assert normalize_text(title) == title
        assert not set(title) & set("يكة")
    lower = table[table["level"].isin(["group", "class"])]
    assert (lower["title_fa"] == "").all()
    assert table.loc["10", "title_fa"] == "ساخت محصولات غذایی"
    assert table.loc["13", "title_fa"] == "ساخت منسوجات"
    assert table.loc["15", "title_fa"] == "ساخت چرم و فرآورده\u200cهای وابسته"
    assert table.loc["23", "title_fa"] == "ساخت سایر محصولات کانی غیرفلزی"
    assert table.loc["24", "title_fa"] == "ساخت فلزات پایه"
    assert table.loc["31", "title_fa"] == "ساخت مبلمان"


def test_isic_hierarchy_is_consistent():
    table = isic().set_index("code")
    for code, row in table.iterrows():
        if row["level"] == "section":
            continue
        parent = table.loc[row["parent"]]
        assert parent["section"] == row["section"]
        if row["level"] != "division":
            assert code.startswith(row["parent"])


@pytest.mark.parametrize(
    ("query", "level", "code"),
    [
        ("1311", None, "1311"),
        ("C1311", None, "1311"),
        ("c 1311", None, "1311"),
        ("۱۳۱۱", None, "1311"),
        (1311, None, "1311"),
        ("0111", None, "0111"),
        (111, "class", "0111"),
        ("111", "class", "0111"),
        (1, "division", "01"),
        ("10", None, "10"),
        ("101", "group", "101"),
        ("C", None, "C"),
        ("c", "section", "C"),
    ],
)
def test_find_isic(query, level, code):
    row = find_isic(query, level=level)
    assert row["code"] == code
    if level:
        assert row["level"] == level


@pytest.mark.parametrize(
    ("query", "level"),
    [
        ("9999", None),
        ("111", None),  # 0111 without the zero is ambiguous unless the level is given
        ("A1311", None),  # 1311 is in section C
        ("1311", "group"),
        ("Z", None),
        ("", None),
        (None, None),
    ],
)
def test_find_isic_rejects(query, level):
    with pytest.raises(RasadInputError) as caught:
        find_isic(query, level=level)
    assert "ISIC" in caught.value.message_en and "ISIC" in caught.value.message_fa


def test_find_isic_rejects_an_unknown_level():
    with pytest.raises(ValueError):
        find_isic("1311", level="subclass")


def test_division_and_section_of():
    assert division_of("1311") == "13"
    assert division_of("131") == "13"
    assert division_of("13") == "13"
    assert division_of("0111") == "01"
    assert section_of("1311") == "C"
    assert section_of("0111") == "A"
    assert section_of("۶۲۰۱") == "J"
    assert section_of("C") == "C"
    with pytest.raises(RasadInputError):
        division_of("C")


def test_isic_returns_a_copy():
    table = isic()
    table.loc[0, "title_en"] = "changed"
    assert isic().loc[0, "title_en"] == "Agriculture, forestry and fishing"
