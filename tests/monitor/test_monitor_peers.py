"""Percentiles among peers with ties, small groups and fallbacks; medians and top
quartiles against numpy; gaps' signs."""

import numpy as np
import pandas as pd
import pytest

from rasad.errors import RasadInputError
from rasad.monitor import PeerGroups


def frame(values, division="13", section="C", size="small", **extra):
    n = len(values)
    data = {
        "national_id": [f"u{i}" for i in range(n)],
        "division": division,
        "section": section,
        "size_class": size,
        "x": values,
    }
    data.update(extra)
    return pd.DataFrame(data)


def test_percentiles_with_ties_count_half():
    """Values 1, 2, 2, 3 among four peers: the 1 beats nobody and ties with itself,
    (0 + ½·1)/4 = 12.5; each 2 beats one and ties with two, (1 + ½·2)/4 = 50; the 3
    beats three, (3 + ½)/4 = 87.5. Median 2; top quartile (type 7) 2 + 0.25·(3 − 2)."""
    gaps = PeerGroups(min_peers=1).gaps(frame([1.0, 2.0, 2.0, 3.0]), {"x": 1})
    long = gaps.frame()
    assert long["percentile"].tolist() == [12.5, 50.0, 50.0, 87.5]
    assert long["peer_median"].tolist() == [2.0] * 4
    assert long["peer_top_quartile"].tolist() == [2.25] * 4
    assert long["gap_to_median"].tolist() == [1.0, 0.0, 0.0, -1.0]  # positive: behind
    assert long["gap_to_top_quartile"].tolist() == [1.25, 0.25, 0.25, -0.75]
    assert long["peers"].tolist() == [4] * 4


def test_lower_is_better_turns_the_percentile_and_the_quartile():
    gaps = PeerGroups(min_peers=1).gaps(frame([1.0, 2.0, 2.0, 3.0]), {"x": -1})
    long = gaps.frame()
    assert long["percentile"].tolist() == [87.5, 50.0, 50.0, 12.5]
    assert long["peer_top_quartile"].tolist() == [1.75] * 4  # the 25th percentile of the values
    assert long["gap_to_top_quartile"].tolist() == [-0.75, 0.25, 0.25, 1.25]


def test_all_tied_and_a_group_of_one():
    gaps = PeerGroups(min_peers=1).gaps(
        frame([5.0, 5.0, 5.0, 7.0], division=["13", "13", "13", "14"]), {"x": 1}
    )
    long = gaps.frame()
    assert long["percentile"].tolist() == [50.0] * 4
    assert long["peers"].tolist() == [3, 3, 3, 1]
    assert long["gap_to_median"].tolist() == [0.0] * 4


def test_missing_values_are_not_peers():
    gaps = PeerGroups(min_peers=1).gaps(frame([1.0, np.nan, 3.0]), {"x": 1})
    assert gaps.measure("percentile")[:, 0].tolist()[0] == 25.0
    assert np.isnan(gaps.measure("percentile")[1, 0])
    assert gaps.measure("peers")[:, 0].tolist() == [2, 0, 2]
    assert len(gaps.frame()) == 2


def test_fallback_to_the_section_when_a_division_has_too_few_peers():
    # 12 small firms: 3 in division 13, 9 in division 14, all in section C;
    # 5 medium firms in division 14 and 11 medium firms in section B (divisions 06, 07)
    data = pd.concat(
        [
            frame([1.0, 2.0, 3.0], division="13"),
            frame(list(range(10, 19)), division="14"),
            frame([float(v) for v in range(5)], division="14", size="medium"),
            frame(
                [float(v) for v in range(11)],
                division=["06"] * 10 + ["07"],
                section="B",
                size="medium",
            ),
        ],
        ignore_index=True,
    )
    data["national_id"] = [f"u{i}" for i in range(len(data))]
    long = PeerGroups(min_peers=10).gaps(data, {"x": 1}).frame()
    small13 = long.iloc[:3]
    assert small13["peer_level"].tolist() == ["section+size_class"] * 3  # 12 small firms in C
    assert small13["fallback"].all() and small13["peers"].tolist() == [12] * 3
    assert small13["percentile"].tolist() == pytest.approx(
        [100 * 0.5 / 12, 100 * 1.5 / 12, 100 * 2.5 / 12]
    )
    medium14 = long.iloc[12:17]
    assert (
        medium14["peer_level"].tolist() == ["section"] * 5
    )  # 5 medium in C: all of section C (17)
    assert medium14["peers"].tolist() == [17] * 5
    b = long.iloc[17:]
    assert b["peer_level"].iloc[:10].tolist() == ["division+size_class"] * 10  # 10 in division 06
    assert not b["fallback"].iloc[:10].any()
    assert (
        b["peer_level"].iloc[10] == "section+size_class"
    )  # division 07 has one: section B medium, 11
    assert b["peers"].tolist() == [10] * 10 + [11]
    assert long["enough_peers"].all()


def test_too_few_peers_even_at_the_broadest_level_is_said():
    long = PeerGroups(min_peers=10).gaps(frame([1.0, 2.0]), {"x": 1}).frame()
    assert long["peer_level"].tolist() == ["section"] * 2
    assert not long["enough_peers"].any()
    assert long["percentile"].tolist() == [25.0, 75.0]


def test_groups_are_within_the_period():
    data = frame([1.0, 2.0, 3.0, 4.0], year=[1401, 1401, 1402, 1402])
    long = PeerGroups(min_peers=1).gaps(data, {"x": 1}).frame()
    assert long["percentile"].tolist() == [25.0, 75.0, 25.0, 75.0]
    assert long["peer_median"].tolist() == [1.5, 1.5, 3.5, 3.5]


def test_random_groups_agree_with_numpy_and_a_direct_count():
    rng = np.random.default_rng(7)
    n = 2000
    data = frame(
        np.round(rng.normal(size=n), 1),
        division=rng.choice(["10", "13", "14", "20"], n),
        size=rng.choice(["micro", "small", "medium"], n),
    )
    data.loc[rng.random(n) < 0.1, "x"] = np.nan
    gaps = PeerGroups(min_peers=1).gaps(data, {"x": 1})
    pct, med, top = (
        gaps.measure(m)[:, 0] for m in ("percentile", "peer_median", "peer_top_quartile")
    )
    for _, group in data.dropna(subset=["x"]).groupby(["division", "size_class"]):
        values = group["x"].to_numpy()
        rows = group.index.to_numpy()
        assert med[rows] == pytest.approx(np.full(len(rows), np.median(values)))
        assert top[rows] == pytest.approx(np.full(len(rows), np.percentile(values, 75)))
        below = (values[None, :] < values[:, None]).sum(axis=1)
        tied = (values[None, :] == values[:, None]).sum(axis=1)
        assert pct[rows] == pytest.approx(100 * (below + 0.5 * tied) / len(values))


def test_default_indicators_are_the_kpis_with_a_direction():
    data = frame([1.0, 2.0], debt_ratio=[0.2, 0.8], sales_real=[5.0, 6.0])
    gaps = PeerGroups(min_peers=1).gaps(data.drop(columns="x"))
    assert gaps.indicators == ["debt_ratio"]  # sales_real has no direction
    assert gaps.measure("percentile")[:, 0].tolist() == [75.0, 25.0]
    assert gaps.wide("percentile")["debt_ratio"].tolist() == [75.0, 25.0]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: PeerGroups(min_peers=0), "min_peers"),
        (lambda: PeerGroups(levels=[]), "levels"),
        (lambda: PeerGroups().gaps(frame([1.0]), {"y": 1}), "y"),
        (lambda: PeerGroups().gaps(frame([1.0]), {"x": 2}), "x"),
        (lambda: PeerGroups().gaps(frame([1.0]).drop(columns="section"), {"x": 1}), "section"),
        (lambda: PeerGroups().gaps(frame(["a"]), {"x": 1}), "x"),
        (lambda: PeerGroups().gaps(frame([1.0]), {}), "indicators"),
        (lambda: PeerGroups().gaps(frame([1.0]), {"x": 1}).measure("mean"), "measure"),
    ],
)
def test_bad_input_is_refused_in_both_languages(call, field):
    with pytest.raises(RasadInputError) as error:
        call()
    assert error.value.field == field and error.value.message_fa != error.value.message_en
