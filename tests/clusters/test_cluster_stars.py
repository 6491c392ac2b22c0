"""ECO stars, the comparison with designated clusters and identified membership, on ten
regions worked by hand."""

import pandas as pd
import pytest

from rasad.clusters import (
    STATUS_LABELS,
    cluster_stars,
    compare_clusters,
    identified_members,
    location_quotients,
)

# Ten provinces (0–9), two sectors: textiles X (1312, division 13) and tiles Y (2392, 23).
#   region  X            Y     total
#   0       50 + 30 = 80  120   200
#   1–7     10            90    100 each
#   8       40            10    50
#   9       10            40    50
# Nation: X 200, Y 800, all 1000 → X's national share 0.2, Y's 0.8.
ROWS = [(0, "1312", 50), (0, "1312", 30), (0, "2392", 120)]
ROWS += [(r, s, e) for r in range(1, 8) for s, e in (("1312", 10), ("2392", 90))]
ROWS += [(8, "1312", 40), (8, "2392", 10), (9, "1312", 10), (9, "2392", 40)]
FIRMS = pd.DataFrame(ROWS, columns=["province_code", "isic_class", "employees"])
FIRMS.insert(0, "national_id", [f"f{i:02d}" for i in range(len(FIRMS))])


def _row(table, region, sector):
    return table[(table["province_code"] == region) & (table["division"] == sector)].iloc[0]


def _stars(**kwargs):
    kwargs.setdefault("min_enterprises", 1)
    return cluster_stars(location_quotients(FIRMS), **kwargs)


def test_location_quotients_of_the_ten_regions():
    lq = location_quotients(FIRMS)
    # X: region 0 (80/200)/0.2 = 2.0; 1–7 (10/100)/0.2 = 0.5; 8 (40/50)/0.2 = 4.0;
    # 9 (10/50)/0.2 = 1.0
    assert lq.loc[lq["division"] == "13", "lq"].tolist() == pytest.approx(
        [2, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 4, 1]
    )
    # Y: 0 (120/200)/0.8 = 0.75; 1–7 0.9/0.8 = 1.125; 8 0.2/0.8 = 0.25; 9 0.8/0.8 = 1.0
    assert lq.loc[lq["division"] == "23", "lq"].tolist() == pytest.approx(
        [0.75] + [1.125] * 7 + [0.25, 1]
    )


def test_stars_by_hand():
    stars = _stars()
    # Top 10% of 10 regions = the best 1 (⌈0.1 × 10⌉).
    # X size: 80 (region 0) is first → size star. LQ ≥ 2: region 0 (exactly 2.0) and 8 (4.0).
    # X focus (share of the region): 8 has 0.8, first → focus star; 0 has 0.4, second.
    x0, x8, x9 = _row(stars, 0, "13"), _row(stars, 8, "13"), _row(stars, 9, "13")
    assert (x0["size_star"], x0["specialisation_star"], x0["focus_star"], x0["stars"]) == (
        True,
        True,
        False,
        2,
    )
    assert (x8["size_star"], x8["specialisation_star"], x8["focus_star"], x8["stars"]) == (
        False,
        True,
        True,
        2,
    )
    assert (
        x0["size_rank"] == 1 and x8["size_rank"] == 2 and x9["size_rank"] == 3
    )  # 9 ties 1–7 at 10
    assert x8["focus_rank"] == 1 and x0["focus_rank"] == 2
    assert x9["stars"] == 0
    # Y size: 120 (region 0) first. No LQ reaches 2. Y focus: regions 1–7 tie at 0.9, all
    # ranked 1, so all seven get the focus star (ties share the best rank).
    assert _row(stars, 0, "23")["stars"] == 1 and _row(stars, 0, "23")["size_star"]
    for region in range(1, 8):
        row = _row(stars, region, "23")
        assert row["focus_star"] and row["focus_rank"] == 1 and row["stars"] == 1
    assert _row(stars, 8, "23")["stars"] == 0 and _row(stars, 9, "23")["stars"] == 0
    assert stars["stars"].sum() == 2 + 2 + 1 + 7


def test_thresholds_are_parameters():
    # Top 20% = the best 2: X size → regions 0 and 8, so 8 gets all three stars.
    # Y size → 0 (120) and the seven tied at 90 (rank 2).
    wide = _stars(size_top=0.2)
    assert _row(wide, 8, "13")["stars"] == 3
    assert all(_row(wide, r, "23")["size_star"] for r in range(0, 8))
    # LQ ≥ 3 keeps only region 8 specialised in X.
    strict = _stars(min_lq=3.0)
    assert (
        not _row(strict, 0, "13")["specialisation_star"]
        and _row(strict, 8, "13")["specialisation_star"]
    )
    # Focus against all 20 cells: top ⌈0.1 × 20⌉ = 2; the seven 0.9 cells tie first, and
    # X in region 8 (0.8) is eighth, so it loses its focus star.
    overall = _stars(focus_within="all")
    assert _row(overall, 8, "13")["focus_rank"] == 8 and _row(overall, 8, "13")["stars"] == 1


def test_minimum_enterprises():
    # Only region 0's textiles have two firms; with min_enterprises=2 no other cell is eligible.
    stars = _stars(min_enterprises=2)
    assert stars["eligible"].sum() == 1
    assert _row(stars, 0, "13")["stars"] == 2
    assert stars["stars"].sum() == 2
    # A minimum employment does the same by size: 100 employees leaves only region 0's tiles.
    by_size = _stars(min_value=100)
    assert by_size["eligible"].sum() == 1 and _row(by_size, 0, "23")["stars"] == 1


def test_compare_with_designated():
    stars = _stars()
    designated = pd.DataFrame(
        {
            "code": ["K1", "K2"],
            "name_fa": ["خوشه یک", "خوشه دو"],
            "name_en": ["One", "Two"],
            "province_code": [8, 5],
            "division": ["13", 23],  # the division as text or number
        }
    )
    table = compare_clusters(stars, designated, min_stars=2)
    assert table["status"].tolist() == ["matched", "designated_only", "identified_only"]
    matched, designated_only, identified_only = (table.iloc[i] for i in range(3))
    assert matched["code"] == "K1" and matched["stars"] == 2 and matched["lq"] == pytest.approx(4.0)
    assert designated_only["code"] == "K2" and designated_only["stars"] == 1
    assert identified_only["province_code"] == 0 and identified_only["division"] == "13"
    assert pd.isna(identified_only["code"])
    assert set(STATUS_LABELS) == {"matched", "designated_only", "identified_only"}
    # One star is enough to count region 5's tiles (a focus star) as identified.
    loose = compare_clusters(stars, designated, min_stars=1)
    assert loose.set_index("code").loc["K2", "status"] == "matched"


def test_identified_members():
    stars = _stars()
    members = identified_members(FIRMS, stars, min_stars=2)
    # Cells with two stars: X in region 0 (two firms) and X in region 8 (one firm).
    assert members["cluster_code"].tolist() == ["0:13", "0:13", "8:13"]
    assert members["national_id"].tolist() == ["f00", "f01", "f17"]
