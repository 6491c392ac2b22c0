import re
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from rasad.demo import DemoPopulation, generate
from rasad.errors import RasadInputError
from rasad.iran import deflator, is_valid_legal_id, isic, jalali_to_gregorian
from rasad.methodologies import load_catalogue

PERSIAN = re.compile(r"[\u0600-\u06FF]")
KEYS = ["national_id", "year", "submitted_on"]


@pytest.fixture(scope="module")
def pop():
    return generate(3000, seed=1)


@pytest.fixture(scope="module")
def last(pop):
    """Last-year returns with each firm's province and division."""
    returns = pop.returns
    frame = returns[returns["year"] == returns["year"].max()].merge(
        pop.enterprises[["national_id", "province_code", "isic_class"]], on="national_id"
    )
    return frame.assign(division=frame["isic_class"].str[:2])


def altman_z2(r: pd.DataFrame) -> pd.Series:
    assets = r["total_assets"]
    return (
        6.56 * (r["current_assets"] - r["current_liabilities"]) / assets
        + 3.26 * r["retained_earnings"] / assets
        + 6.72 * r["ebit"] / assets
        + 1.05 * r["equity"] / r["total_liabilities"]
    )


# --- shape and schema ---------------------------------------------------------------


def test_returns_columns_are_the_catalogue(pop):
    codes = [spec.code for spec in load_catalogue()]
    assert list(pop.returns.columns) == KEYS + codes
    assert all(pop.returns[c].dtype == np.float64 for c in codes)


def test_same_seed_same_population_other_seed_other_population():
    a, b, c = generate(400, seed=5), generate(400, seed=5), generate(400, seed=6)
    for name in ("estates", "enterprises", "returns", "clusters", "cluster_members"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert not a.enterprises["national_id"].equals(c.enterprises["national_id"])
    assert not a.returns["sales"].equals(c.returns["sales"])


def test_csv_round_trip_is_identical(tmp_path):
    population = generate(300, seed=2)
    population.to_csv(tmp_path / "demo")
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == [
        "cluster_members.csv", "clusters.csv", "enterprises.csv", "estates.csv", "returns.csv",
    ]  # fmt: skip
    again = DemoPopulation.from_csv(tmp_path / "demo")
    for name in ("estates", "enterprises", "returns", "clusters", "cluster_members"):
        pd.testing.assert_frame_equal(getattr(population, name), getattr(again, name))
    assert "شهرک صنعتی" in (tmp_path / "demo" / "estates.csv").read_text(encoding="utf-8")


def test_from_csv_names_a_missing_file(tmp_path):
    with pytest.raises(RasadInputError) as caught:
        DemoPopulation.from_csv(tmp_path)
    assert caught.value.field == "estates"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n_enterprises": 0}, "n_enterprises"),
        ({"n_enterprises": 2.5}, "n_enterprises"),
        ({"seed": -1}, "seed"),
        ({"first_year": 1402, "last_year": 1400}, "last_year"),
        ({"first_year": 1380}, "first_year"),
        ({"last_year": 1450}, "last_year"),
        ({"size_thresholds": (50, 10, 150)}, "size_thresholds"),
        ({"size_thresholds": (10, 50)}, "size_thresholds"),
    ],
)
def test_bad_requests_are_refused(kwargs, field):
    with pytest.raises(RasadInputError) as caught:
        generate(**kwargs)
    assert caught.value.field == field


def test_other_windows_work():
    population = generate(200, seed=3, first_year=1401, last_year=1401)
    assert set(population.returns["year"]) == {1401}
    span = generate(200, seed=3, first_year=1396, last_year=1404)
    assert set(span.returns["year"]) == set(range(1396, 1405))


# --- registry -----------------------------------------------------------------------


def test_estates_are_real_names_across_all_provinces(pop):
    estates = pop.estates
    assert 95 <= len(estates) <= 120
    assert estates["code"].is_unique and estates["code"].str.fullmatch(r"E\d{3}").all()
    assert set(estates["province_code"]) == set(range(31))
    assert set(estates["kind"]) == {"estate", "zone"}
    assert estates["name_fa"].str.startswith(("شهرک صنعتی", "ناحیه صنعتی", "شهر صنعتی")).all()
    assert {"شهرک صنعتی عباس‌آباد", "شهرک صنعتی توس", "شهرک صنعتی شمس‌آباد"} <= set(
        estates["name_fa"]
    )
    assert estates["name_en"].str.contains("Industrial").all()
    biggest = estates["province_code"].value_counts()
    assert biggest[23] >= 8 and biggest[10] >= 8 and biggest[16] >= 1


def test_national_ids_are_valid_and_unique(pop):
    ids = pop.enterprises["national_id"]
    assert ids.is_unique
    assert ids.str.fullmatch(r"\d{11}").all()
    assert all(is_valid_legal_id(i) for i in ids)
    assert set(pop.returns["national_id"]) <= set(ids)


def test_names_are_unique_and_believable(pop):
    e = pop.enterprises
    assert e["name_fa"].is_unique and e["name_en"].is_unique
    assert e["name_fa"].map(lambda s: bool(PERSIAN.search(s))).all()
    assert not e["name_fa"].str.contains("[يك]").any()
    assert e["name_en"].str.fullmatch(r"[A-Za-z][A-Za-z .&'-]+").all()
    saffron = e[e["name_fa"].str.startswith("فرآوری زعفران")]
    assert len(saffron) and (saffron["isic_class"] == "1079").all()


def test_sector_place_and_estate_are_consistent(pop):
    e = pop.enterprises
    classes = set(isic().query("level == 'class'")["code"])
    assert e["isic_class"].isin(classes).all()
    assert e["isic_class"].str[:2].astype(int).between(10, 33).all()
    assert e["province_code"].between(0, 30).all() and e["province_code"].nunique() == 31
    located = e.dropna(subset=["estate_code"]).merge(
        pop.estates[["code", "province_code"]], left_on="estate_code", right_on="code"
    )
    assert len(located) == e["estate_code"].notna().sum()
    assert (located["province_code_x"] == located["province_code_y"]).all()
    assert 0.7 < e["estate_code"].notna().mean() < 0.9
    assert e["founding_year"].between(1340, 1402).all()


def test_firms_spread_like_the_industrial_base(pop):
    share = pop.enterprises["province_code"].value_counts(normalize=True)
    assert share.index[0] == 23  # Tehran first
    for big in (10, 9, 3, 30, 21):  # Isfahan, Khorasan Razavi, East Azerbaijan, Alborz, Yazd
        assert share[big] > 0.03
    for small in (16, 17, 11):  # Ilam, Kohgiluyeh, Sistan
        assert 0 < share[small] < 0.015


def test_size_classes_follow_the_thresholds(pop, last):
    sizes = last.dropna(subset=["employees"]).merge(pop.enterprises[["national_id", "size_class"]])
    expected = pd.cut(
        sizes["employees"], [0, 9, 49, 150, np.inf], labels=["micro", "small", "medium", "large"]
    )
    assert (sizes["size_class"] == expected.astype(str)).all()
    share = pop.enterprises["size_class"].value_counts(normalize=True)
    assert 0.01 < share["large"] < 0.1 and share["small"] > share["micro"] > 0.1
    wider = generate(500, seed=1, size_thresholds=(10, 50, 100))
    narrow = generate(500, seed=1)
    assert (wider.enterprises["size_class"] == "large").sum() > (
        narrow.enterprises["size_class"] == "large"
    ).sum()


def test_clusters_match_the_planted_specialisations(pop):
    clusters = pop.clusters
    assert len(clusters) == 12 and (clusters["kind"] == "designated").all()
    members = pop.cluster_members.merge(clusters, left_on="cluster_code", right_on="code").merge(
        pop.enterprises, on="national_id", suffixes=("", "_firm")
    )
    assert (members["province_code"] == members["province_code_firm"]).all()
    assert (members["division"] == members["isic_class"].str[:2]).all()
    assert set(pop.cluster_members["cluster_code"]) == set(clusters["code"])


def test_planted_specialisations_have_location_quotients_above_two(pop, last):
    employed = last.dropna(subset=["employees"])
    total = employed["employees"].sum()
    by_division = employed.groupby("division")["employees"].sum()
    for cluster in pop.clusters.itertuples():
        province = employed[employed["province_code"] == cluster.province_code]
        local = province.loc[province["division"] == cluster.division, "employees"].sum()
        lq = (local / province["employees"].sum()) / (by_division[cluster.division] / total)
        assert lq >= 2, (cluster.name_en, lq)


# --- returns ------------------------------------------------------------------------


def test_accounting_identities_hold(pop):
    r = pop.returns

    def holds(condition, *columns):
        """True where the condition holds or one of its figures was left blank."""
        return bool((condition | r[list(columns)].isna().any(axis=1)).all())

    assert holds(r["exports"] <= r["sales"], "exports", "sales")
    assert holds(r["current_assets"] <= r["total_assets"], "current_assets", "total_assets")
    assert holds(
        r["current_liabilities"] <= r["total_liabilities"],
        "current_liabilities",
        "total_liabilities",
    )
    assert holds(
        r["equity"] == r["total_assets"] - r["total_liabilities"],
        "equity", "total_assets", "total_liabilities",
    )  # fmt: skip
    assert holds(r["graduate_employees"] <= r["employees"], "graduate_employees", "employees")
    assert holds(
        r["credit_received"] <= r["credit_requested"], "credit_received", "credit_requested"
    )
    assert holds((r["export_countries"] > 0) == (r["exports"] > 0), "export_countries", "exports")
    assert holds(r["iso14001"] <= r["iso9001"], "iso14001", "iso9001")


def test_values_lie_within_the_catalogue_ranges(pop):
    r = pop.returns
    for spec in load_catalogue():
        values = r[spec.code].dropna()
        if spec.min_value is not None:
            assert (values >= spec.min_value).all(), spec.code
        if spec.max_value is not None:
            assert (values <= spec.max_value).all(), spec.code
        if spec.kind in ("count", "boolean"):
            assert (values == np.round(values)).all(), spec.code
    assert (r["employees"].dropna() >= 1).all()


def test_nominal_sales_grow_with_inflation(pop):
    sales = pop.returns.pivot(index="national_id", columns="year", values="sales")
    growth = sales.pct_change(axis=1, fill_method=None).iloc[:, 1:].median()
    assert growth.between(0.30, 0.60).all(), growth
    cpi = deflator()
    inflation = (cpi / cpi.shift(1) - 1).loc[growth.index]
    assert (abs(growth - inflation) < 0.08).all()


def test_some_firms_decline_in_real_terms(pop):
    sales = pop.returns.pivot(index="national_id", columns="year", values="sales")
    real = sales / deflator().loc[sales.columns].to_numpy()
    change = (real[1403] / real[1399]).dropna()
    assert 0.1 < (change < 0.9).mean() < 0.5


def test_a_few_firms_are_in_financial_distress(last):
    z = altman_z2(last).dropna()
    assert 0.01 <= (z < 1.1).mean() <= 0.06
    assert 0.005 < (last["equity"] < 0).mean() < 0.04


def test_exports_are_concentrated_in_a_minority(last):
    exports = last["exports"].dropna()
    assert 0.12 < (exports > 0).mean() < 0.3
    top = exports[exports > 0].sort_values(ascending=False)
    assert top.head(len(top) // 10).sum() > 0.4 * top.sum()


def test_capabilities_rise_with_size_and_sector(last):
    band = pd.cut(
        last["employees"], [0, 9, 49, 150, np.inf], labels=["micro", "small", "medium", "large"]
    )
    for code in ("iso9001", "iso14001", "knowledge_based", "technologies_adopted"):
        rates = last.groupby(band, observed=True)[code].mean()
        assert rates["micro"] < rates["small"] < rates["medium"], code
    high_tech = last["division"].isin(["20", "21", "26", "27", "28", "29", "30", "32"])
    assert (
        last.loc[high_tech, "knowledge_based"].mean()
        > 2 * last.loc[~high_tech, "knowledge_based"].mean()
    )
    rd = last["rd_expenditure"] > 0
    assert (
        last.loc[rd, "new_product_sales_share"].median()
        > last.loc[~rd, "new_product_sales_share"].median()
    )
    assert 0.02 < last["knowledge_based"].mean() < 0.1


def test_a_few_percent_of_cells_are_blank(pop):
    codes = [spec.code for spec in load_catalogue()]
    assert 0.02 <= pop.returns[codes].isna().to_numpy().mean() <= 0.08


def test_some_returns_are_missing_and_entrants_file_fewer(pop):
    e = pop.enterprises
    years = np.arange(1399, 1404)
    expected = (years[None, :] >= e["founding_year"].to_numpy()[:, None]).sum()
    missing = 1 - len(pop.returns) / expected
    assert 0.01 < missing < 0.06
    entrants = e[e["founding_year"] > 1399]
    assert 0.01 < len(entrants) / len(e) < 0.08
    filed = pop.returns.groupby("national_id")["year"].agg(["min", "size"])
    joined = e.set_index("national_id").join(filed, how="inner")
    assert (joined["min"] >= joined["founding_year"]).all()
    assert (joined.loc[joined["founding_year"] > 1399, "size"] < 5).all()


def test_returns_come_after_the_year_and_some_after_the_deadline(pop):
    r = pop.returns
    ends = r["year"].map(
        {y: pd.Timestamp(jalali_to_gregorian(y, 12, 29)) for y in range(1399, 1404)}
    )
    deadlines = r["year"].map(
        {y: pd.Timestamp(jalali_to_gregorian(y + 1, 4, 31)) for y in range(1399, 1404)}
    )
    assert (r["submitted_on"] > ends).all()
    assert 0.05 < (r["submitted_on"] > deadlines).mean() < 0.25


# --- data files ---------------------------------------------------------------------


def _data(name):
    with (resources.files("rasad.demo") / "data" / name).open(encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def test_word_lists_are_unique_and_disjoint():
    brands, places, phrases = _data("brands.csv"), _data("places.csv"), _data("sector_phrases.csv")
    for frame in (brands, places, phrases):
        assert frame["fa"].is_unique and frame["en"].is_unique
        assert not frame["fa"].str.contains("[يك]").any()
    assert not set(brands["fa"]) & set(places["fa"]) and not set(brands["en"]) & set(places["en"])
    assert set(places["province_code"].astype(int)) == set(range(31))
    codes = set(isic()["code"])
    assert set(phrases["isic"]) <= codes
    divisions = {f"{d}" for d in range(10, 34)}
    assert divisions <= set(phrases["isic"])


def test_specialisations_point_at_real_classes():
    planted = _data("specialisations.csv")
    classes = isic().query("level == 'class'").set_index("code")
    assert (planted["focus_class"].str[:2] == planted["division"]).all()
    assert planted["focus_class"].isin(classes.index).all()
    assert planted["cluster_code"].is_unique
    estates = _data("estates.csv")
    assert set(estates["evidence"]) <= {"reported", "recalled", "pattern"}
    specialties = {d for s in estates["specialty"] for d in s.split()}
    assert specialties <= set(_data("divisions.csv")["division"])
    assert _data("provinces.csv")["province_code"].astype(int).tolist() == list(range(31))
    assert _data("divisions.csv")["division"].astype(int).tolist() == list(range(10, 34))
