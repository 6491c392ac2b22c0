"""The path into the Top-100 (issue 18): for firms ranked 101–400 on the demo population,
applying the suggested improvements to the data and rebuilding the whole index puts each
into the Top-100, and no suggestion leaves the bound it states."""

from importlib.resources import files

import numpy as np
import pytest

from rasad.index import build, load
from rasad.index.inputs import DERIVED, altman_z2
from rasad.index.pipeline import reference_groups
from rasad.index.whatif import cutoff_gap, movable, path_to_top, unranked, what_if

SME100 = load(files("rasad.methodologies") / "sme100.yaml")
UNIT = "national_id"


def sample(results, n: int, seed: int, low: int = 101, high: int = 400) -> list:
    rank = results.rank.dropna()
    pool = np.sort(rank.index[(rank >= low) & (rank <= high)].to_numpy())
    return list(np.random.default_rng(seed).choice(pool, n, replace=False))


def peer_values(results, unit, code: str) -> np.ndarray:
    """The values of ``code`` the other units of ``unit``'s reference group have."""
    spec = SME100.normalise
    groups = reference_groups(spec, results.group_codes[spec.within])
    position = results.score.index.get_loc(unit)
    mask = groups == groups[position] if groups[position] >= 0 else np.ones(len(groups), bool)
    mask[position] = False
    values = results.datasets["Denominated"].reindex(results.score.index)[code].to_numpy()
    return values[mask & ~np.isnan(values)]


@pytest.mark.parametrize(("n", "seed"), [(3000, 1), (5000, 2)])
def test_the_suggestions_bring_each_sampled_firm_into_the_top_100(demo_table, n, seed):
    table = demo_table(n, seed)
    base = build(SME100, table)
    denominators = {i.denominator for i in SME100.indicators}
    unreachable = []
    for unit in sample(base, 20, seed):
        path = path_to_top(SME100, table, unit, results=base)
        assert path.rank == base.rank[unit] > 100
        if not path.reachable:
            unreachable.append(unit)
            assert path.rank_after > 100  # honest: even every indicator at its bound misses
            continue
        assert path.suggestions
        figures = {s.figure: s.suggested_figure for s in path.suggestions}
        changed = what_if(SME100, table, unit, figures)
        rebuilt = build(SME100, changed, keep="final")
        assert rebuilt.rank[unit] == path.rank_after <= 100
        assert rebuilt.score[unit] == pytest.approx(path.score_after)
        for s in path.suggestions:
            assert s.figure not in DERIVED and s.figure not in denominators
            # within the stated bound, on the better side of the current value
            assert s.direction * (s.suggested - s.bound) <= 0, s
            if s.current is not None:
                assert s.direction * (s.suggested - s.current) > 0, s
            # the bound and the value are values the firm's peers have
            seen = peer_values(base, unit, s.indicator)
            assert s.bound in seen and s.suggested in seen
            assert 0.5 <= s.level <= path.quantile
            at_or_worse = np.count_nonzero(s.direction * (seen - s.bound) <= 0) / len(seen)
            assert at_or_worse >= path.quantile - 1 / len(seen)
        # only the figures suggested changed, and the derived column they feed with them
        row = changed[UNIT] == unit
        different = [c for c in table if not table.loc[row, [c]].equals(changed.loc[row, [c]])]
        assert set(different) <= set(figures) | {"altman_z2"}
        assert changed.loc[~row].equals(table.loc[~row])
        recomputed = altman_z2(
            *(
                changed.loc[row, c].to_numpy(dtype=float)
                for c in (
                    "current_assets",
                    "current_liabilities",
                    "retained_earnings",
                    "ebit",
                    "equity",
                    "total_assets",
                    "total_liabilities",
                )
            )
        )
        np.testing.assert_array_equal(recomputed, changed.loc[row, "altman_z2"].to_numpy())
    assert len(unreachable) <= 2, unreachable


def test_a_target_of_places_up_and_a_firm_already_in(demo_table):
    table = demo_table(3000, 1)
    base = build(SME100, table)
    [unit] = sample(base, 1, 5, low=500, high=900)
    rank = int(base.rank[unit])
    path = path_to_top(SME100, table, unit, results=base, target_rank=rank - 50)
    assert path.reachable and path.rank_after <= rank - 50
    rebuilt = build(
        SME100,
        what_if(SME100, table, unit, {s.figure: s.suggested_figure for s in path.suggestions}),
    )
    assert rebuilt.rank[unit] == path.rank_after
    [inside] = sample(base, 1, 5, low=1, high=100)
    done = path_to_top(SME100, table, inside, results=base)
    assert done.reachable and not done.suggestions and done.rebuilds == 0


def test_no_derived_column_moves():
    codes = [SME100.indicators[j].code for j in movable(SME100)]
    assert "altman_z2" not in codes and "sales_growth_real" not in codes
    assert "labour_productivity" not in codes  # value added is derived from sales
    assert {"net_margin", "export_share", "defect_rate", "debt_ratio"} <= set(codes)


def test_the_gap_to_the_cut_off(demo_table):
    base = build(SME100, demo_table(3000, 1))
    rank = base.rank.dropna()
    at_cutoff = rank.index[rank == 100][0]
    assert cutoff_gap(base, at_cutoff).gap == 0
    [inside] = sample(base, 1, 3, low=1, high=99)
    [outside] = sample(base, 1, 3, low=300, high=400)
    assert cutoff_gap(base, inside).gap <= 0 <= cutoff_gap(base, outside).gap
    gap = cutoff_gap(base, outside)
    assert tuple(p.code for p in gap.pillars) == tuple(SME100.root.children)
    top = rank.index[rank <= 100]
    for pillar in gap.pillars:
        assert pillar.top_median == pytest.approx(base.scores.loc[top, pillar.code].median())
        assert pillar.gap == pytest.approx(pillar.top_median - base.scores.at[outside, pillar.code])


def test_why_a_firm_is_not_ranked(demo_table):
    table = demo_table(3000, 1)
    base = build(SME100, table, keep="final")
    excluded = base.exclusions.set_index(UNIT)
    few = excluded.index[excluded["reason_en"].str.contains("of the indicators")][0]
    why = unranked(SME100, table, few, base)
    assert why.fixable and why.reported < why.needed == 12 and why.indicators == 18
    assert why.reasons == (("eligibility", *excluded.loc[few, ["reason_en", "reason_fa"]]),)
    assert f"{why.reported / 18:.0%}" in why.reasons[0][1]
    assert len(why.blanks) == 18 - why.reported
    row = table.loc[table[UNIT] == few].iloc[0]
    assert all(np.isnan(row[f]) for f in why.to_file)
    assert set(why.to_file).isdisjoint(DERIVED)
    micro = excluded.index[excluded["reason_en"].str.contains("micro")][0]
    outside = unranked(SME100, table, micro, base)
    assert not outside.fixable and outside.outside == (("size_class", "micro"),)
