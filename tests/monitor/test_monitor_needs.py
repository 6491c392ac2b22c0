"""The needs mapping (located errors), needs scores and ranked lists, the needs matrix
reconciling with the enterprise-level needs, and the Excel export."""

import textwrap

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from rasad.errors import RasadInputError
from rasad.monitor import Monitor, MonitorConfigError, PeerGroups, load_needs, loads_needs

MAPPING = """\
version: 1
max_needs: 2
programmes:
  - code: finance
    name: {fa: مالی, en: Finance}
    triggers:
      - {indicator: credit_access, percentile_below: 50}
      - {alert: z2_distress, weight: 2}
  - code: exports
    name: {fa: صادرات, en: Exports}
    triggers:
      - {indicator: export_share, at_most: 0, behind: median}
  - code: skills
    name: {fa: مهارت, en: Skills}
    triggers:
      - {indicator: training_intensity, percentile_below: 50}
"""


def test_the_bundled_mapping_loads():
    mapping = load_needs()
    assert mapping.codes == [
        "finance",
        "technology",
        "standards",
        "exports",
        "innovation",
        "skills",
    ]
    assert mapping.max_needs == 3 and mapping.min_score == 0.5
    assert all(p.name.fa and p.name.en and p.triggers for p in mapping.programmes)


@pytest.mark.parametrize(
    ("change", "path", "line"),
    [
        (
            ("indicator: credit_access", "indicator: credit_acess"),
            "programmes[finance].triggers[0].indicator",
            7,
        ),
        (("alert: z2_distress", "alert: z3_distress"), "programmes[finance].triggers[1].alert", 8),
        (
            ("percentile_below: 50}\n      - {alert", "percentile_below: 150}\n      - {alert"),
            "programmes[finance].triggers[0].percentile_below",
            7,
        ),
        (("behind: median", "behind: mean"), "programmes[exports].triggers[0].behind", 12),
        (
            ("{alert: z2_distress, weight: 2}", "{alert: z2_distress, weight: 0}"),
            "programmes[finance].triggers[1].weight",
            8,
        ),
        (
            ("{alert: z2_distress, weight: 2}", "{alert: z2_distress, indicator: altman_z2}"),
            "programmes[finance].triggers[1]",
            8,
        ),
        (
            (
                "{indicator: training_intensity, percentile_below: 50}",
                "{indicator: training_intensity}",
            ),
            "programmes[skills].triggers[0]",
            16,
        ),
        (
            ("{alert: z2_distress, weight: 2}", "{alert: z2_distress, below: 2}"),
            "programmes[finance].triggers[1].below",
            8,
        ),
        (("max_needs: 2", "max_needs: 0"), "max_needs", 2),
        (("code: skills", "code: exports"), "programmes[exports].code", 13),
    ],
)
def test_malformed_mappings_are_located(change, path, line):
    with pytest.raises(MonitorConfigError) as error:
        loads_needs(textwrap.dedent(MAPPING.replace(*change)), source="needs.yaml")
    assert [p.path for p in error.value.problems] == [path]
    assert error.value.problems[0].line == line
    assert error.value.message_fa != error.value.message_en


def toy_gaps():
    """Six firms of one group: credit access 0, .2, .4, .6, .8, 1; export share 0 for
    three, 0.1, 0.2, 0.3 (median 0.05); training per head all 5 but the last (1)."""
    values = pd.DataFrame(
        {
            "national_id": list("abcdef"),
            "year": 1402,
            "division": "13",
            "section": "C",
            "size_class": "small",
            "province_code": [23, 23, 10, 10, 10, 4],
            "estate_code": ["E1", "E1", "E2", None, None, "E3"],
            "employees": [10.0, 20.0, 30.0, 40.0, np.nan, 60.0],
            "credit_access": [0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
            "export_share": [0.0, 0.0, 0.0, 0.1, 0.2, 0.3],
            "training_intensity": [5.0, 5.0, 5.0, 5.0, 5.0, 1.0],
        }
    )
    return PeerGroups(min_peers=1).gaps(
        values, ["credit_access", "export_share", "training_intensity"]
    )


def test_scores_ranks_and_evidence():
    mapping = loads_needs(MAPPING)
    needs = mapping.assess(toy_gaps())
    # credit percentiles: a 8.33, b 25, c 41.67 (< 50): strengths (50 − p)/50
    finance = needs.scores[:, 0]
    assert finance.tolist() == pytest.approx(
        [(50 - 100 / 12) / 50, 0.5, (50 - 500 / 12) / 50, 0, 0, 0]
    )
    assert needs.scores[:, 1].tolist() == [
        1,
        1,
        1,
        0,
        0,
        0,
    ]  # non-exporters behind a median of 0.05
    # training: five ties at 5 → percentile (1 + ½·5)/6 = 58.3; the last 8.33
    assert needs.scores[:, 2].tolist() == pytest.approx([0, 0, 0, 0, 0, (50 - 100 / 12) / 50])
    assert needs.skipped == [("finance", "alert:z2_distress")]  # no alerts given
    table = needs.table()
    assert table[["national_id", "rank", "programme"]].values.tolist() == [
        ["a", 1, "exports"],
        ["a", 2, "finance"],
        ["b", 1, "exports"],
        ["b", 2, "finance"],
        ["c", 1, "exports"],
        ["c", 2, "finance"],
        ["f", 1, "skills"],
    ]
    assert table["name_en"].tolist()[:2] == ["Exports", "Finance"] and table["name_fa"].tolist()[
        :2
    ] == ["صادرات", "مالی"]
    evidence = needs.evidence().set_index(["national_id", "programme"])
    row = evidence.loc[("a", "finance")]
    assert (row["trigger"], row["value"], row["peers"], row["peer_median"]) == (
        "credit_access",
        0.0,
        6,
        0.5,
    )
    assert row["percentile"] == pytest.approx(100 / 12)
    words = needs.explained().set_index(["national_id", "programme"])
    assert words.loc[("a", "finance"), "evidence_en"].startswith(
        "Credit access (received / requested) 0: percentile 8.33 of 6 peers"
    )
    assert "صدک ۸٫۳۳ در میان ۶ همتا" in words.loc[("a", "finance"), "evidence_fa"]


def test_ties_between_programmes_follow_the_file_and_min_score_filters():
    mapping = loads_needs(MAPPING.replace("max_needs: 2", "max_needs: 3\nmin_score: 0.6"))
    table = mapping.assess(toy_gaps()).table()
    # finance for b (0.5) and c (0.17) and skills for f (0.83) … only scores above 0.6 count
    assert table[["national_id", "programme"]].values.tolist() == [
        ["a", "exports"],
        ["a", "finance"],
        ["b", "exports"],
        ["c", "exports"],
        ["f", "skills"],
    ]


def test_matrix_sums_reconcile_on_the_toy():
    needs = loads_needs(MAPPING).assess(toy_gaps())
    by_province = needs.matrix("province").set_index("province_code")
    assert by_province.loc[
        23,
        [
            "enterprises",
            "employees",
            "finance_enterprises",
            "finance_employees",
            "exports_enterprises",
        ],
    ].tolist() == [2, 30, 2, 30, 2]
    assert by_province.loc[23, "name_en"] == "Tehran" and by_province.loc[23, "name_fa"] == "تهران"
    by_estate = needs.matrix("estate")
    assert by_estate["estate_code"].tolist() == ["E1", "E2", "E3", None]
    assert by_estate["name_en"].tolist()[-1] == "outside any industrial estate"
    assert by_estate["any_enterprises"].tolist() == [2, 1, 1, 0]
    assert by_estate["employees"].tolist() == [30, 30, 60, 40]  # e's unknown employment counts 0


@pytest.mark.parametrize("by", ["year", "employees", "name_en", "finance_priority"])
def test_a_breakdown_by_a_column_the_matrix_has_is_refused(demo_run, by):
    """The period, the labels and the counts are the matrix's own columns: breaking down
    by one of them is refused in both languages, not left to fail inside pandas."""
    with pytest.raises(RasadInputError) as refused:
        demo_run.needs.matrix(by)
    assert refused.value.message_en == (
        f"Cannot break needs down by '{by}': the needs matrix has a column '{by}' of its own."
    )
    assert f"«{by}» دارد" in refused.value.message_fa


@pytest.fixture(scope="module")
def demo_run(demo):
    return Monitor().run(demo.returns, demo.enterprises, as_of="2025-08-01")


@pytest.mark.parametrize("by", ["province", "estate", "sector", "section", "cluster"])
def test_demo_matrix_reconciles_with_the_enterprise_level_needs(demo, demo_run, by):
    needs = demo_run.needs
    table = needs.table()
    employees = pd.Series(
        needs.employees(), index=pd.MultiIndex.from_frame(needs.gaps.keys[["national_id", "year"]])
    )
    members = demo.cluster_members
    matrix = needs.matrix(by, members=members, names=demo.clusters if by == "cluster" else None)
    assert (
        matrix.groupby("year")["enterprises"].sum().tolist()
        == needs.gaps.keys.groupby("year").size().tolist()
    )
    for code in needs.mapping.codes:
        chosen = table[table["programme"] == code]
        expected_firms = chosen.groupby("year").size()
        expected_employees = (
            employees.loc[list(zip(chosen["national_id"], chosen["year"], strict=True))]
            .groupby(level="year")
            .sum()
        )
        got = matrix.groupby("year")[[f"{code}_enterprises", f"{code}_employees"]].sum()
        assert (
            got[f"{code}_enterprises"].tolist()
            == expected_firms.reindex(got.index, fill_value=0).tolist()
        )
        assert got[f"{code}_employees"].to_numpy() == pytest.approx(
            expected_employees.reindex(got.index, fill_value=0).to_numpy()
        )
        assert (matrix[f"{code}_enterprises"] <= matrix["any_enterprises"]).all()
    any_need = table.groupby("year")["national_id"].nunique()
    assert matrix.groupby("year")["any_enterprises"].sum().tolist() == any_need.tolist()
    assert members["national_id"].is_unique  # each demo firm is in at most one cluster


def test_excel_export_has_one_header_row_in_the_readers_language(demo, tmp_path):
    needs = Monitor().run(demo.returns, demo.enterprises, as_of="2025-08-01", period=1403).needs
    path = needs.to_excel(
        tmp_path / "needs.xlsx",
        members=demo.cluster_members,
        estates=demo.estates,
        clusters=demo.clusters,
    )
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == [
        "جمع کل",
        "خلاصه به تفکیک برنامه",
        "نیازها به تفکیک استان",
        "نیازها به تفکیک شهرک",
        "نیازها به تفکیک خوشه",
        "نیازها به تفکیک بخش",
        "بنگاه‌ها",
        "نامعلوم",
        "بدون اظهارنامه",
        "راهنمای ستون‌ها",
        "درباره",
    ]
    rows = list(book["نیازها به تفکیک استان"].iter_rows(values_only=True))
    assert rows[0][:6] == (
        "سال",
        "کد استان",
        "نام (فارسی)",
        "نام (انگلیسی)",
        "تعداد بنگاه‌ها",
        "تعداد شاغلان",
    )
    assert "تأمین مالی و منابع: تعداد بنگاه‌ها" in rows[0]
    matrix = needs.matrix("province")
    assert len(rows) == 1 + len(matrix)  # one header row
    column = rows[0].index("تأمین مالی و منابع: تعداد بنگاه‌ها")
    assert sum(r[column] for r in rows[1:]) == matrix["finance_enterprises"].sum()
    assert {r[0] for r in rows[1:]} == {1403}
    assert all(type(r[column]) is int for r in rows[1:])
    # the English labels and the codes are in the dictionary
    dictionary = pd.read_excel(path, sheet_name="راهنمای ستون‌ها")
    finance = dictionary[dictionary["کد ستون"] == "finance_enterprises"]
    assert "Finance and resources: enterprises" in finance["عنوان انگلیسی"].tolist()
    english = load_workbook(needs.to_excel(tmp_path / "en.xlsx", language="en"))
    enterprise_rows = list(english["Enterprises"].iter_rows(values_only=True))
    assert enterprise_rows[0][:4] == ("National ID", "Year", "Rank", "Programme code")
    assert "Evidence" in enterprise_rows[0] and "شواهد" not in enterprise_rows[0]
    assert len(enterprise_rows) == 1 + len(needs.table())
    assert not english["Enterprises"].sheet_view.rightToLeft
    assert english["Enterprises"].auto_filter.ref.endswith(str(1 + len(needs.table())))


# --- needs v2: severity, priority tier, supporting triggers, unknowns, non-filers ----------

SEVERE = """\
version: 2
max_needs: 3
min_score: 0.5
severity:
  bands: {medium: 1, high: 1.5, critical: 2.5}
priority:
  min_severity: high
  min_needs: 2
  min_needs_severity: low
programmes:
  - code: finance
    name: {fa: مالی, en: Finance}
    triggers:
      - {indicator: credit_access, percentile_below: 50}
      - {indicator: equity, below: 0, severity: high}
      - {indicator: capacity_utilisation, below: 50, supporting: true}
  - code: exports
    name: {fa: صادرات, en: Exports}
    triggers:
      - {indicator: export_share, at_most: 0, behind: median}
  - code: skills
    name: {fa: مهارت, en: Skills}
    triggers:
      - {indicator: training_intensity, percentile_below: 50, weight: 1.5}
"""


def severe_gaps():
    """Six firms of one group. Credit access 0, .2, .4, .6, blank, 1 (percentiles among
    the five reported: 10, 30, 50, 70, 90); equity 100, −5, 50, blank, blank, −1;
    capacity 40, 90, 45, 30, 80, 70; export share 0 for a, b, c (median 0.05);
    training 5 but c (2: percentile 25) and f (1: percentile 8.33)."""
    values = pd.DataFrame(
        {
            "national_id": list("abcdef"),
            "year": 1403,
            "division": "13",
            "section": "C",
            "size_class": "small",
            "province_code": [23, 23, 10, 10, 10, 4],
            "estate_code": None,
            "employees": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
            "credit_access": [0.0, 0.2, 0.4, 0.6, np.nan, 1.0],
            "equity": [100.0, -5.0, 50.0, np.nan, np.nan, -1.0],
            "capacity_utilisation": [40.0, 90.0, 45.0, 30.0, 80.0, 70.0],
            "export_share": [0.0, 0.0, 0.0, 0.1, 0.2, 0.3],
            "training_intensity": [5.0, 5.0, 2.0, 5.0, 5.0, 1.0],
        }
    )
    return PeerGroups(min_peers=1).gaps(
        values,
        ["credit_access", "equity", "capacity_utilisation", "export_share", "training_intensity"],
    )


def test_severity_points_floors_ranking_and_tier_by_hand():
    needs = loads_needs(SEVERE).assess(severe_gaps())
    # finance points: a credit (50 − 10)/50 = 0.8, plus capacity 40 < 50 (1, counted up to the
    # primary 0.8) = 1.6, high; b credit 0.4 + negative equity 1 = 1.4, medium by its points
    # but high by the equity trigger's floor; c credit 0 (percentile 50 is not below 50):
    # capacity 45 alone makes no need; d capacity 30 alone: none; e: credit and equity
    # blank, unknown; f negative equity alone: 1 point, high
    assert needs.primary[:, 0].tolist() == pytest.approx([0.8, 1.4, 0, 0, 0, 1])
    assert needs.scores[:, 0].tolist() == pytest.approx([1.6, 1.4, 0, 0, 0, 1])
    # skills: c 1.5 × (50 − 25)/50 = 0.75 (low), f 1.5 × (50 − 8.33)/50 = 1.25 (medium)
    assert needs.scores[:, 2].tolist() == pytest.approx([0, 0, 0.75, 0, 0, 1.25])
    table = needs.table()
    got = [
        (r.national_id, r.rank, r.programme, str(r.severity), round(r.score, 4), r.priority)
        for r in table.itertuples()
    ]
    assert got == [
        ("a", 1, "finance", "high", 1.6, True),
        ("a", 2, "exports", "medium", 1.0, True),
        ("b", 1, "finance", "high", 1.4, True),
        ("b", 2, "exports", "medium", 1.0, True),
        ("c", 1, "exports", "medium", 1.0, True),
        ("c", 2, "skills", "low", 0.75, True),
        # f's finance need (high by its floor, 1 point) comes before skills (medium, 1.25 points)
        ("f", 1, "finance", "high", 1.0, True),
        ("f", 2, "skills", "medium", 1.25, True),
    ]
    # tier: a, b, f have a high need; c has two needs of at least low (min_needs: 2)
    assert needs.priority.tolist() == [True, True, True, False, False, True]
    assert needs.unknown("finance").tolist() == [False, False, False, False, True, False]
    assert not needs.unknown("exports").any() and not needs.unknown("skills").any()
    assert needs.unknowns()[["national_id", "programme"]].values.tolist() == [["e", "finance"]]


def test_evidence_names_every_trigger_and_its_points_add_up():
    needs = loads_needs(SEVERE).assess(severe_gaps())
    evidence = needs.evidence()
    a = evidence[(evidence["national_id"] == "a") & (evidence["programme"] == "finance")]
    assert a["trigger"].astype(str).tolist() == ["credit_access", "capacity_utilisation"]
    assert a["value"].tolist() == [0.0, 40.0]
    assert a["percentile"].iloc[0] == pytest.approx(10)
    assert a["points"].tolist() == pytest.approx(
        [0.8, 0.8]
    )  # the supporting point, counted up to 0.8
    assert a["supporting"].tolist() == [False, True]
    total = evidence.groupby(["national_id", "programme"], observed=True)["points"].sum()
    table = needs.table().set_index(["national_id", "programme"])["score"]
    assert total.reindex(table.index).to_numpy() == pytest.approx(table.to_numpy())
    words = needs.explained().set_index(["national_id", "programme"])
    # capacity 30, 40, 45, 70, 80, 90: a's 40 does better than one of six (percentile
    # 100 · 1.5/6 = 25), median (45 + 70)/2
    assert words.loc[("a", "finance"), "evidence_en"] == (
        "Credit access (received / requested) 0: percentile 10 of 5 peers "
        "(ISIC division × size band), median 0.4; "
        "Capacity utilisation 40: percentile 25 of 6 peers (ISIC division × size band), "
        "median 57.5 (supporting)"
    )
    assert words.loc[("b", "finance"), "evidence_en"].startswith(
        "Credit access (received / requested) 0.2"
    )
    assert "Book equity -5: percentile" in words.loc[("b", "finance"), "evidence_en"]
    assert "(شاهد تکمیلی)" in words.loc[("a", "finance"), "evidence_fa"]


def test_the_matrix_counts_the_tier_and_the_unknowns():
    needs = loads_needs(SEVERE).assess(severe_gaps())
    matrix = needs.matrix("province").set_index("province_code")
    columns = [
        "enterprises",
        "no_data",
        "any_enterprises",
        "priority_enterprises",
        "priority_employees",
        "finance_enterprises",
        "finance_priority",
        "finance_unknown",
        "skills_enterprises",
    ]
    assert matrix.loc[23, columns].tolist() == [2, 0, 2, 2, 30, 2, 2, 0, 0]
    assert matrix.loc[10, columns].tolist() == [3, 0, 1, 1, 30, 0, 0, 1, 1]
    assert matrix.loc[4, columns].tolist() == [1, 0, 1, 1, 60, 1, 1, 0, 1]
    summary = needs.summary().set_index("programme")
    assert summary.loc[
        "finance", ["enterprises", "low", "medium", "high", "critical", "priority", "unknown"]
    ].tolist() == [3, 0, 0, 3, 0, 3, 1]
    assert summary.loc["skills", ["enterprises", "low", "medium", "high"]].tolist() == [2, 1, 1, 0]
    totals = needs.totals().iloc[0]
    assert (totals["filers"], totals["no_data"], totals["any_need"], totals["priority"]) == (
        6,
        0,
        4,
        4,
    )
    # the same needs for two enterprises only: what an estate manager sees
    mine = needs.scoped({"c", "f"})
    assert mine.table()["national_id"].tolist() == ["c", "c", "f", "f"]
    assert mine.matrix("province")["priority_enterprises"].tolist() == [1, 1]
    assert mine.totals().iloc[0]["filers"] == 2
    # a scope within a scope keeps the enterprises in both (a cluster within an estate)
    narrower = mine.scoped({"f", "a"})
    assert narrower.table()["national_id"].unique().tolist() == ["f"]
    assert narrower.totals().iloc[0]["filers"] == 1


def test_a_supporting_trigger_alone_never_makes_a_need():
    # only supporting triggers fire for c and d (capacity below 50): no finance need,
    # whatever the weight
    heavy = SEVERE.replace(
        "{indicator: capacity_utilisation, below: 50, supporting: true}",
        "{indicator: capacity_utilisation, below: 50, supporting: true, weight: 10}",
    )
    needs = loads_needs(heavy).assess(severe_gaps())
    assert needs.needed("finance").tolist() == [True, True, False, False, False, True]
    assert needs.scores[:, 0].tolist() == pytest.approx([1.6, 1.4, 0, 0, 0, 1])  # at most doubled
    # the same trigger as a primary one does make needs
    primary = loads_needs(SEVERE.replace(", supporting: true}", "}")).assess(severe_gaps())
    assert primary.needed("finance").tolist() == [True, True, True, True, False, True]


@pytest.mark.parametrize(
    ("change", "path", "line"),
    [
        (
            (
                "bands: {medium: 1, high: 1.5, critical: 2.5}",
                "bands: {medium: 1, high: 0.9, critical: 2.5}",
            ),
            "severity.bands",
            5,
        ),
        (
            ("bands: {medium: 1, high: 1.5, critical: 2.5}", "bands: {medium: 1, critical: 2.5}"),
            "severity.bands.high",
            5,
        ),
        (
            (
                "bands: {medium: 1, high: 1.5, critical: 2.5}",
                "bands: {medium: 1, high: 1.5, critical: 2.5, severe: 4}",
            ),
            "severity.bands.severe",
            5,
        ),
        (
            ("bands: {medium: 1, high: 1.5, critical: 2.5}", "alert_points: {high: 0}"),
            "severity.alert_points.high",
            5,
        ),
        (("min_severity: high", "min_severity: urgent"), "priority.min_severity", 7),
        (("  min_needs: 2\n", ""), "priority.min_needs_severity", 8),
        (
            (
                "{indicator: equity, below: 0, severity: high}",
                "{indicator: equity, below: 0, severity: severe}",
            ),
            "programmes[finance].triggers[1].severity",
            15,
        ),
        (
            ("below: 50, supporting: true}", "below: 50, supporting: yes please}"),
            "programmes[finance].triggers[2].supporting",
            16,
        ),
        (
            (
                "{indicator: export_share, at_most: 0, behind: median}",
                "{indicator: export_share, at_most: 0, behind: median, supporting: true}",
            ),
            "programmes[exports].triggers",
            19,
        ),
    ],
)
def test_malformed_severity_and_priority_are_located(change, path, line):
    with pytest.raises(MonitorConfigError) as error:
        loads_needs(SEVERE.replace(*change), source="needs.yaml")
    assert [p.path for p in error.value.problems] == [path]
    assert error.value.problems[0].line == line
    assert error.value.message_fa != error.value.message_en


def test_the_bundled_mapping_sets_the_new_rules():
    mapping = load_needs()
    finance = {t.label: t for t in mapping.programmes[0].triggers}
    assert (
        finance["equity"].below == 0
        and finance["equity"].severity == "high"
        and not finance["equity"].supporting
    )
    assert finance["days_late"].above == 30 and finance["days_late"].supporting
    assert finance["alert:low_capacity"].supporting and finance["alert:real_sales_drop"].supporting
    assert mapping.severity.bands == (1, 1.5, 3)
    assert mapping.severity.alert_points == {"low": 0.5, "medium": 1, "high": 1.5, "critical": 2}
    assert (
        mapping.priority.min_severity,
        mapping.priority.min_needs,
        mapping.priority.min_needs_severity,
    ) == ("high", 3, "medium")
