"""Needs v2 through the whole run: negative equity, late returns against the deadlines
given, non-filers as "no data", and the properties of the bundled mapping on demo
populations (the priority tier's size, the Top-100, evidence, finance never from a
supporting trigger alone)."""

import datetime

import numpy as np
import pandas as pd
import pytest

from rasad.demo import generate
from rasad.errors import RasadInputError
from rasad.index import build, load
from rasad.index.inputs import sme_inputs
from rasad.monitor import Kpis, Monitor, load_rules, loads_needs

REGISTRY = dict(isic_class="1010", province_code=23, size_class="small", founding_year=1390)


def registry(ids, **columns):
    frame = pd.DataFrame({"national_id": ids, **REGISTRY})
    for name, values in columns.items():
        frame[name] = values
    return frame


def test_negative_equity_is_a_high_finance_need():
    """Eight firms of one sector. f1: assets 100, liabilities 130, equity blank, so book
    equity is 100 − 130 = −30; f2 reports equity −10 with assets and liabilities blank;
    f3 reports assets only (every finance figure blank: unknown); f4–f8 are sound
    (liabilities 50, equity 50, current ratio 2)."""
    ids = [f"f{i}" for i in range(1, 9)]
    sound = 5
    returns = pd.DataFrame(
        {
            "national_id": ids,
            "year": 1403,
            "total_assets": [100.0, np.nan, 100.0] + [100.0] * sound,
            "total_liabilities": [130.0, np.nan, np.nan] + [50.0] * sound,
            "equity": [np.nan, -10.0, np.nan] + [50.0] * sound,
            "current_assets": [50.0, 50.0, np.nan] + [60.0] * sound,
            "current_liabilities": [40.0, 40.0, np.nan] + [30.0] * sound,
        }
    )
    run = Monitor().run(returns, registry(ids), period=1403)
    frame = run.kpis.frame(["equity", "debt_ratio"]).set_index("national_id")
    assert (
        frame.loc["f1", "equity"] == -30
        and frame.loc["f2", "equity"] == -10
        and np.isnan(frame.loc["f3", "equity"])
    )
    needs = run.needs
    table = needs.table().set_index("national_id")
    # f1: negative equity (1) + debt ratio 1.3 the worst of six (percentile 8.33 < 25,
    # and above 0.7): (25 − 8.33)/25 = 0.667 → 1.667, high; the current ratio 1.25 is in
    # the bottom quarter (14.3) but not below 1: no trigger
    assert table.loc["f1", "programme"] == "finance" and table.loc["f1", "score"] == pytest.approx(
        1 + 2 / 3
    )
    assert str(table.loc["f1", "severity"]) == "high"
    # f2: negative equity alone: 1 point, medium by points, high by the trigger's floor
    assert table.loc["f2", "score"] == 1 and str(table.loc["f2", "severity"]) == "high"
    assert set(table.index) == {"f1", "f2"}
    assert needs.priority.tolist() == [True, True] + [False] * 6
    assert needs.unknown("finance").tolist() == [False, False, True] + [False] * sound
    evidence = needs.evidence().set_index(["national_id", "trigger"])
    assert (
        evidence.loc[("f1", "equity"), "value"] == -30
        and evidence.loc[("f2", "equity"), "value"] == -10
    )
    assert evidence.loc[("f1", "debt_ratio"), "percentile"] == pytest.approx(100 / 12)


LATE = """\
severity:
  bands: {medium: 1, high: 1.5, critical: 3}
programmes:
  - code: finance
    name: {fa: مالی, en: Finance}
    triggers:
      - {indicator: current_ratio, below: 1}
      - {indicator: days_late, above: 30, supporting: true}
"""


def late_returns():
    # all three illiquid (current ratio 0.5); L1 sent on 5 September, L2 on 25 August
    # 2025, L3 never said when
    return pd.DataFrame(
        {
            "national_id": ["L1", "L2", "L3"],
            "year": 1403,
            "current_assets": 50.0,
            "current_liabilities": 100.0,
            "submitted_on": pd.to_datetime(["2025-09-05", "2025-08-25", None]),
        }
    )


@pytest.mark.parametrize(
    ("deadlines", "late", "scores"),
    [
        # the deadline the database gives (1 August 2025): L1 35 days late, L2 24
        ({1403: datetime.date(2025, 8, 1)}, [35, 24], [2, 1, 1]),
        # none given: the rule's 31 Tir 1404 = 22 July 2025: L1 45 days late, L2 34
        (None, [45, 34], [2, 2, 1]),
    ],
)
def test_a_return_late_beyond_the_days_in_the_file_supports_a_finance_need(deadlines, late, scores):
    mapping = loads_needs(LATE, alert_rules=load_rules())
    run = Monitor(kpis=Kpis(deadlines=deadlines), needs=mapping).run(
        late_returns(), registry(["L1", "L2", "L3"]), period=1403
    )
    days = run.kpis.frame(["days_late"])["days_late"].tolist()
    assert days[:2] == late and np.isnan(days[2])  # no date: unknown, never "on time"
    table = run.needs.table()
    assert table["score"].tolist() == scores
    assert table["severity"].astype(str).tolist() == [
        "high" if s == 2 else "medium" for s in scores
    ]
    evidence = run.needs.evidence()
    supporting = evidence[evidence["supporting"]]
    assert supporting["national_id"].tolist() == [
        n for n, s in zip(["L1", "L2", "L3"], scores, strict=True) if s == 2
    ]
    assert supporting["value"].tolist() == [d for d in late if d > 30]


def test_deadlines_decide_which_returns_are_overdue():
    # M filed 1402 only; on 25 July 2025 the rule's deadline for 1403 (22 July) has
    # passed, the one given (1 August) has not
    returns = pd.DataFrame(
        {"national_id": ["M", "N", "N"], "year": [1402, 1402, 1403], "sales": 1.0}
    )
    as_of = "2025-07-25"
    by_rule = load_rules().evaluate(Kpis().compute(returns), as_of=as_of).frame
    given = (
        load_rules()
        .evaluate(Kpis(deadlines={1403: "2025-08-01"}).compute(returns), as_of=as_of)
        .frame
    )
    assert by_rule[by_rule["rule"] == "return_missing"][
        ["national_id", "period"]
    ].values.tolist() == [["M", 1403]]
    assert not (given["rule"] == "return_missing").any()


@pytest.mark.parametrize(
    "deadlines", [{"1403": "2025-08-01"}, {1403: "not a date"}, {1403: None}, [1403]]
)
def test_malformed_deadlines_are_refused_in_both_languages(deadlines):
    with pytest.raises(RasadInputError) as error:
        Kpis(deadlines=deadlines)
    assert error.value.field == "deadlines"
    assert error.value.message_fa != error.value.message_en


def test_non_filers_are_counted_as_no_data():
    """A files both years; B only 1402; C (founded 1390) never; D is founded in 1404 and
    owes nothing yet; E is founded in 1403 and files it. Province 23: A, B; 10: C, D;
    4: E. C and A are in cluster K1."""
    enterprises = registry(
        list("ABCDE"),
        province_code=[23, 23, 10, 10, 4],
        founding_year=[1390, 1390, 1390, 1404, 1403],
        estate_code=["E1", None, None, None, None],
    )
    returns = pd.DataFrame(
        {
            "national_id": ["A", "A", "B", "E"],
            "year": [1402, 1403, 1402, 1403],
            "sales": 100.0,
            "employees": 20.0,
        }
    )
    needs = Monitor().run(returns, enterprises, period=1403).needs
    assert needs.no_data()[["national_id", "year", "province_code"]].values.tolist() == [
        ["B", 1403, 23],
        ["C", 1403, 10],
    ]
    matrix = needs.matrix("province").set_index("province_code")
    assert matrix[["enterprises", "no_data"]].loc[[4, 10, 23]].values.tolist() == [
        [1, 0],
        [0, 1],
        [1, 1],
    ]
    assert matrix.loc[10, "any_enterprises"] == 0 and matrix.loc[10, "employees"] == 0
    by_estate = needs.matrix("estate")
    assert by_estate[["estate_code", "enterprises", "no_data"]].values.tolist() == [
        ["E1", 1, 0],
        [None, 1, 2],
    ]
    members = pd.DataFrame({"cluster_code": ["K1", "K1"], "national_id": ["A", "C"]})
    by_cluster = needs.matrix("cluster", members=members)
    assert by_cluster[["cluster_code", "enterprises", "no_data"]].values.tolist() == [
        ["K1", 1, 1],
        [None, 1, 1],
    ]
    assert needs.totals()[["filers", "no_data"]].values.tolist() == [[2, 2]]
    # sales and headcount only: every programme is unknown for A and E, none is "no need"
    assert all(needs.unknown(code).all() for code in needs.mapping.codes)
    assert needs.standing("C") == {
        "filed": False,
        "no_data": True,
        "priority": False,
        "unknown": [],
    }
    assert needs.standing("A")["filed"] and needs.standing("A")["unknown"] == needs.mapping.codes
    # every period at once: C is also missing for 1402; E (founded 1403) is not
    everything = Monitor().run(returns, enterprises).needs
    assert everything.no_data()[["national_id", "year"]].values.tolist() == [
        ["C", 1402],
        ["B", 1403],
        ["C", 1403],
    ]
    assert everything.matrix("province").groupby("year")["no_data"].sum().tolist() == [1, 2]


# --- properties of the bundled mapping on demo populations -------------------------------------


@pytest.fixture(scope="module")
def demo_runs():
    """Seeds 1–4 of the 3,000-firm demo: the 1403 needs and the SME-100 Top-100."""
    made = {}

    def run(seed):
        if seed not in made:
            population = generate(n_enterprises=3000, seed=seed)
            needs = (
                Monitor()
                .run(population.returns, population.enterprises, as_of="2025-08-01", period=1403)
                .needs
            )
            ranks = build(
                load("sme100"),
                sme_inputs(population.returns, population.enterprises, 1403),
                keep="final",
            ).rank
            made[seed] = population, needs, set(ranks[ranks <= 100].index)
        return made[seed]

    return run


SEEDS = (1, 2, 3, 4)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_priority_tier_is_a_tenth_to_three_tenths_and_spares_the_top_100(demo_runs, seed):
    _, needs, top = demo_runs(seed)
    ids = needs.gaps.keys["national_id"].to_numpy()
    tier = needs.priority
    assert 0.10 <= tier.mean() <= 0.30
    in_top = np.isin(ids, list(top))
    assert in_top.sum() == 100
    assert tier[in_top].mean() < tier.mean()
    # and a finance need is rarer among the Top-100 than among all filers
    finance = needs.needed("finance")
    assert finance[in_top].mean() < finance.mean()
    assert needs.totals().iloc[0]["priority_share"] == pytest.approx(tier.mean())


@pytest.mark.parametrize("seed", SEEDS)
def test_non_filers_are_counted(demo_runs, seed):
    population, needs, _ = demo_runs(seed)
    filed = set(population.returns.loc[population.returns["year"] == 1403, "national_id"])
    owed = population.enterprises[population.enterprises["founding_year"] <= 1403]
    missing = owed[~owed["national_id"].isin(filed)]
    assert len(missing) > 0
    assert sorted(needs.no_data()["national_id"]) == sorted(missing["national_id"])
    for by in ("province", "estate", "sector", "cluster"):
        matrix = needs.matrix(by, members=population.cluster_members)
        assert matrix["no_data"].sum() == len(missing), by
        assert matrix["enterprises"].sum() == len(needs.gaps.keys), by
    by_province = needs.matrix("province").set_index("province_code")["no_data"]
    expected = missing.groupby("province_code").size()
    assert by_province[by_province > 0].to_dict() == expected.to_dict()


@pytest.mark.parametrize("seed", SEEDS)
def test_each_need_names_its_evidence_and_finance_never_rests_on_support_alone(demo_runs, seed):
    _, needs, _ = demo_runs(seed)
    table = needs.table()
    evidence = needs.evidence()
    keys = ["national_id", "programme"]
    per_need = evidence.groupby(keys, observed=True)
    assert len(per_need) == len(table)  # every need has evidence, and evidence belongs to a need
    # every evidence row names its trigger and carries a value or an alert
    assert evidence["trigger"].notna().all()
    assert (evidence["value"].notna() | evidence["alert"].notna()).all()
    indicator_rows = evidence[evidence["alert"].isna()]
    assert indicator_rows["percentile"].notna().mean() > 0.99
    # the points of the evidence add up to each need's score
    points = per_need["points"].sum().reindex(pd.MultiIndex.from_frame(table[keys]))
    assert points.to_numpy() == pytest.approx(table["score"].to_numpy())
    # the primary (not supporting) evidence alone exceeds min_score for every need
    primary = evidence[~evidence["supporting"]].groupby(keys, observed=True)["points"].sum()
    primary = primary.reindex(pd.MultiIndex.from_frame(table[keys]), fill_value=0)
    assert (primary.to_numpy() > needs.mapping.min_score).all()
    finance = evidence[evidence["programme"] == "finance"]
    only_support = finance.groupby("national_id")["supporting"].all()
    assert not only_support.any()
    assert finance["supporting"].any()  # low capacity and late returns do add to finance needs
    # the matrix reconciles with the enterprise level, tier and unknowns included
    matrix = needs.matrix("province")
    assert matrix["priority_enterprises"].sum() == needs.priority.sum()
    for code in needs.mapping.codes:
        assert matrix[f"{code}_unknown"].sum() == needs.unknown(code).sum()
        assert matrix[f"{code}_priority"].sum() == (needs.needed(code) & needs.priority).sum()
    severity = table["severity"].astype(str)
    assert set(severity) == {"low", "medium", "high", "critical"}
