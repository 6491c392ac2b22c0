"""The ASEM build through methodology files that use Copeland aggregation or PCA weights
per level equals COINr 1.1.14 doing the same (tests/fixtures/coinr_asem/make_issue14.R)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rasad.index import build, load, loads

FIXTURES = Path(__file__).parent.parent / "fixtures" / "coinr_asem"
PILLARS = ("Physical", "ConEcFin", "Political", "Instit", "P2P", "Environ", "Social", "SusEcFin")
ASEM = load("asem").text


def coinr(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / f"{name}.csv").set_index("uCode")


def asem(
    weights: str = "{method: explicit}",
    tree: dict[str, str] | None = None,
    aggregate: str = "arithmetic",
):
    """asem.yaml with other ``steps.weights`` and ``steps.aggregate`` methods, and
    ``tree`` replacing text in its tree (a node's line, to give it keys of its own)."""
    text = ASEM.replace("  weights: {method: explicit}\n", f"  weights: {weights}\n")
    text = text.replace(
        "  aggregate: {method: arithmetic}\n", f"  aggregate: {{method: {aggregate}}}\n"
    )
    for old, new in (tree or {}).items():
        assert old in text
        text = text.replace(old, new)
    return loads(text)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "ASEM_iData.csv")


UNEQUAL = {  # the pillars weighted 1, 2, 3… within each sub-index, as make_issue14.R does
    f"{{code: {code}, ": f"{{code: {code}, weight: {weight}, "
    for pillars in (PILLARS[:5], PILLARS[5:])
    for weight, code in enumerate(pillars, start=1)
}


@pytest.mark.parametrize(
    "name, methodology, copeland",
    [
        (
            "copeland_top",
            lambda: asem(
                tree={
                    "children: [Conn, Sust]}": (
                        "children: [Conn, Sust], aggregate: {method: copeland}}"
                    )
                }
            ),
            ("Index",),
        ),
        (
            "copeland_all_levels",
            lambda: asem(aggregate="copeland"),
            (*PILLARS, "Conn", "Sust", "Index"),
        ),
        (
            "copeland_unequal",
            lambda: asem(
                tree=UNEQUAL
                | {
                    "P2P]}": "P2P], aggregate: {method: copeland}}",
                    "SusEcFin]}": "SusEcFin], aggregate: {method: copeland}}",
                }
            ),
            ("Conn", "Sust"),
        ),
    ],
)
def test_copeland_scores_equal_coinrs_a_copeland(data, name, methodology, copeland):
    """Copeland scores exactly (they are whole numbers), the means above them to 1e-9."""
    results = build(methodology(), data)
    expected = coinr(name)
    ours = results.scores.loc[expected.index]
    for code in expected.columns:
        if code in copeland:
            np.testing.assert_array_equal(ours[code], expected[code], err_msg=code)
        else:
            np.testing.assert_allclose(ours[code], expected[code], rtol=0, atol=1e-9, err_msg=code)


@pytest.mark.parametrize("level, nodes", [(1, PILLARS), (2, ("Conn", "Sust"))])
def test_pca_weights_of_one_level_with_negative_loadings_kept_equal_coinr(data, level, nodes):
    """``levels: {L: pca}, negative: keep`` is COINr's get_PCA(Level = L) weights used by
    Aggregate: every aggregate's score to 1e-9, and within each node the weights are
    COINr's loadings (their sign flipped where they add up to less than zero)."""
    results = build(asem(f"{{method: explicit, levels: {{{level}: pca}}, negative: keep}}"), data)
    expected = coinr(f"pca_level{level}_scores")
    np.testing.assert_allclose(
        results.scores.loc[expected.index, expected.columns], expected, rtol=0, atol=1e-9
    )
    loadings = coinr_loadings(level)
    effective = results.effective_weights
    for node in nodes:
        mine = loadings[loadings["Parent"] == node]
        shares = effective[mine.index] / effective[node]
        np.testing.assert_allclose(
            shares, mine["Loading"] / mine["Loading"].sum(), rtol=1e-9, err_msg=node
        )
    negative = loadings[loadings["Parent"].isin(nodes)]
    negative = negative[
        negative["Loading"] * negative.groupby("Parent")["Loading"].transform("sum") < 0
    ]
    assert sorted(results.warnings["indicator"]) == sorted(negative.index)
    assert (results.warnings["step"] == "weights").all()


def coinr_loadings(level: int) -> pd.DataFrame:
    loadings = pd.read_csv(FIXTURES / "pca_loadings.csv").set_index("iCode")
    return loadings[loadings["Level"] == level]


def test_pca_at_level_2_by_default_gives_social_no_weight(data):
    """The default, ``negative: zero``: Sust's negative Social loading is reported and
    Sust averages Environ and SusEcFin by their loadings; COINr's own Sust with the
    loading kept runs far outside 0–100, which is what the default avoids."""
    results = build(asem("{method: explicit, levels: {2: pca}}"), data)
    warning = results.warnings.iloc[0]
    assert len(results.warnings) == 1 and warning["indicator"] == "Social"
    assert warning["message_en"] == (
        "Sust: PCA gives Social a negative loading (-0.744368), so it gets no weight "
        "(steps.weights.negative: zero)"
    )
    assert "Social" in warning["message_fa"] and "-0.744368" in warning["message_fa"]
    loadings = coinr_loadings(2)["Loading"]
    aggregated = results.scores
    share = loadings["Environ"] / (loadings["Environ"] + loadings["SusEcFin"])
    np.testing.assert_allclose(
        aggregated["Sust"],
        share * aggregated["Environ"] + (1 - share) * aggregated["SusEcFin"],
        rtol=1e-12,
    )
    assert results.effective_weights["Social"] == 0.0
    assert aggregated["Sust"].between(0, 100).all()
    assert not coinr("pca_level2_scores")["Sust"].between(0, 100).all()


def test_a_node_of_its_own_overrides_the_level(data):
    """``levels: {2: pca}`` with Sust's children weighted equally: Conn is COINr's
    PCA-weighted Conn, Sust is the explicit build's (iMeta's weights are all 1)."""
    results = build(
        asem(
            "{method: explicit, levels: {2: pca}}",
            {
                "children: [Environ, Social, SusEcFin]}": (
                    "children: [Environ, Social, SusEcFin], weights: equal}"
                )
            },
        ),
        data,
    )
    assert results.warnings.empty
    pca = coinr("pca_level2_scores")
    nominal = coinr("dset_Aggregated")
    np.testing.assert_allclose(
        results.scores.loc[pca.index, "Conn"], pca["Conn"], rtol=0, atol=1e-9
    )
    np.testing.assert_allclose(
        results.scores.loc[nominal.index, "Sust"], nominal["Sust"], rtol=0, atol=1e-9
    )
