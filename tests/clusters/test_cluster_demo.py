"""On the demo population the planted specialisations come out as starred clusters.

docs/demo-population.md plants twelve (province, division) specialisations, each with a
designated cluster; the measures must find them without being told where they are.
"""

import numpy as np
import pytest

from rasad.clusters import (
    cluster_profiles,
    cluster_stars,
    compare_clusters,
    ellison_glaeser,
    firm_figures,
    identified_members,
    krugman,
    location_quotients,
)
from rasad.demo import generate

# (province code, division): docs/demo-population.md, "Planted specialisations".
PLANTED = {
    "C01": (21, "13"),  # Yazd textiles
    "C02": (21, "23"),  # Yazd tiles and ceramics
    "C03": (3, "15"),  # Tabriz (East Azerbaijan) footwear
    "C04": (23, "31"),  # Tehran furniture
    "C05": (9, "10"),  # Razavi Khorasan saffron
    "C06": (10, "24"),  # Isfahan steel and foundry
    "C07": (10, "13"),  # Kashan (Isfahan) machine-made carpets
    "C08": (6, "20"),  # Khuzestan downstream petrochemicals
    "C09": (0, "28"),  # Arak (Markazi) machinery
    "C10": (2, "10"),  # Mazandaran rice and food
    "C11": (13, "31"),  # Malayer (Hamadan) furniture
    "C12": (19, "25"),  # Zanjan cutlery
}


@pytest.fixture(scope="module")
def population():
    return generate(n_enterprises=20000, seed=1)


@pytest.fixture(scope="module")
def firms(population):
    return firm_figures(population.enterprises, population.returns)


@pytest.fixture(scope="module")
def stars(firms):
    return cluster_stars(location_quotients(firms))


def test_the_designated_clusters_are_the_planted_ones(population):
    clusters = population.clusters.set_index("code")
    for code, (province, division) in PLANTED.items():
        assert (clusters.loc[code, "province_code"], clusters.loc[code, "division"]) == (
            province,
            division,
        )


def test_every_planted_specialisation_gets_three_stars(stars):
    cells = stars.set_index(["province_code", "division"])
    for code, cell in PLANTED.items():
        row = cells.loc[cell]
        assert row["lq"] >= 2, (code, row["lq"])
        assert row["stars"] == 3, (code, row[["size_rank", "focus_rank", "lq"]].to_dict())
    # The strongest: Tabriz footwear, LQ ≈ 8.5 with 20,000 firms (8.4 with 3,000 in the docs)
    assert 6 < cells.loc[(3, "15"), "lq"] < 11
    assert cells.loc[(3, "15"), "enterprises"] > 150


def test_compare_finds_all_twelve(population, stars):
    table = compare_clusters(stars, population.clusters, min_stars=3)
    designated = table[table["code"].notna()]
    assert sorted(designated["code"]) == sorted(PLANTED)
    assert (designated["status"] == "matched").all()
    # The data also finds three-star cells nobody designated: small sectors in small
    # provinces (min_enterprises=10 lets them through), to be looked at, not trusted.
    assert (table["status"] == "identified_only").any()


def test_estates_with_a_specialty_are_found(firms):
    by_estate = cluster_stars(location_quotients(firms, region="estate"))
    three = by_estate[by_estate["stars"] == 3].set_index(["estate_code", "division"])
    # Besat and Shahid Soleimani (Tabriz) footwear, Meybod and Ardakan tiles, Amirkabir
    # (Kashan) textiles: the estates the demo gives those specialties.
    for cell in [("E013", "15"), ("E014", "15"), ("E072", "23"), ("E073", "23"), ("E046", "13")]:
        assert cell in three.index, cell


def test_planted_sectors_are_agglomerated_beyond_random_placement(firms):
    table = ellison_glaeser(firms, draws=200, seed=1).set_index("division")
    for division in ["13", "15", "24", "31"]:
        row = table.loc[division]
        assert row["flag"] == "agglomerated" and row["gamma"] > 0.1 > row["null_high"]
    assert np.isfinite(table["gamma"]).all()
    assert len(table) == 24  # manufacturing divisions 10–33


def test_yazd_is_the_most_specialised_province(firms):
    # Yazd carries two planted cells (textiles and tiles, 36% of its firms each).
    table = krugman(firms).sort_values("krugman", ascending=False)
    assert table["province_code"].iloc[0] == 21
    assert 0 < table["krugman"].min() and table["krugman"].max() < 2


def test_profiles_of_designated_and_identified_clusters(population, firms, stars):
    profiles = cluster_profiles(
        population.enterprises,
        population.returns,
        population.cluster_members,
        clusters=population.clusters,
    )
    summary = profiles.summary.set_index("cluster_code")
    assert sorted(summary.index) == sorted(PLANTED)
    counts = population.cluster_members["cluster_code"].value_counts()
    assert (summary["enterprises"] == counts.reindex(summary.index)).all()
    employees = firms.set_index("national_id")["employees"]
    c03 = population.cluster_members.query("cluster_code == 'C03'")["national_id"]
    assert summary.loc["C03", "employees"] == pytest.approx(employees.loc[c03].sum())
    assert summary["employees_growth"].between(-0.5, 0.5).all()
    members = identified_members(firms, stars, min_stars=3)
    identified = cluster_profiles(population.enterprises, population.returns, members)
    assert "21:13" in set(identified.summary["cluster_code"])
