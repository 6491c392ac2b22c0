"""The one-call run (KPIs → alerts → peer gaps → needs) and what callers rely on:
JSON-ready evidence, one period's brief, the package having no Django in it."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from rasad.monitor import Monitor, MonitorConfigError, load_rules, loads_needs


@pytest.fixture(scope="module")
def run_1403(demo):
    return Monitor().run(demo.returns, demo.enterprises, as_of="2025-08-01", period=1403)


def test_one_period_brief(demo, run_1403):
    keys = run_1403.gaps.keys
    assert set(keys["year"]) == {1403}
    assert len(keys) == int((demo.returns["year"] == 1403).sum())
    assert set(run_1403.needs.table()["year"]) == {1403}
    # KPIs and alerts still cover every period (streaks need the history)
    assert run_1403.kpis.periods.tolist() == [1399, 1400, 1401, 1402, 1403]
    assert set(run_1403.alerts.frame["period"]) == {1399, 1400, 1401, 1402, 1403}
    assert run_1403.alerts.for_period(1403)["period"].eq(1403).all()
    # the peer comparison covers what the needs mapping reads, nothing more
    named = {
        t.indicator for p in run_1403.needs.mapping.programmes for t in p.triggers if t.indicator
    }
    assert set(run_1403.gaps.indicators) == named


def test_alert_rows_are_complete_and_json_ready(run_1403):
    frame = run_1403.alerts.frame
    assert list(frame.columns) == [
        "key",
        "rule",
        "severity",
        "national_id",
        "period",
        "since",
        "streak",
        "kpi",
        "value",
        "evidence",
        "name_fa",
        "name_en",
    ]
    assert not frame.duplicated(["key", "period"]).any()  # a key and a period name one alert
    json.dumps(frame["evidence"].tolist())
    assert (frame["since"] <= frame["period"]).all()
    assert set(frame["severity"].astype(str)) <= {"low", "medium", "high", "critical"}


def test_needs_alerts_are_read_for_the_rows_period(run_1403):
    needs = run_1403.needs
    evidence = needs.evidence()
    alerted = evidence.dropna(subset=["alert"])
    frame = run_1403.alerts.frame
    fired = set(zip(frame["rule"].astype(str), frame["national_id"], frame["period"], strict=True))
    assert len(alerted) > 0
    assert all(
        (a, u, y) in fired
        for a, u, y in zip(alerted["alert"], alerted["national_id"], alerted["year"], strict=True)
    )


def test_a_mapping_naming_a_rule_the_rule_file_lacks_is_refused():
    rules = load_rules()
    text = """\
programmes:
  - code: finance
    name: {fa: مالی, en: Finance}
    triggers:
      - {alert: overdraft}
"""
    with pytest.raises(MonitorConfigError) as error:
        loads_needs(text, alert_rules=rules)
    assert error.value.problems[0].path == "programmes[finance].triggers[0].alert"
    assert error.value.problems[0].line == 5


def test_unit_column_other_than_national_id(michigan):
    from rasad.monitor import Kpis

    data = michigan.rename(columns={"national_id": "plant"})
    run = Monitor(
        kpis=Kpis(
            unit="plant", prices=pd.Series({1987: 113.6, 1988: 118.3, 1989: 124.0}), base_year=1987
        )
    ).run(data)
    assert "plant" in run.alerts.frame.columns
    # no registry: no sector, so no peer group and no gap; and with sales and headcount
    # only, no balance sheet: a fall in sales (a supporting trigger) makes no finance
    # need, and every programme is unknown (its figures were never reported)
    assert run.gaps.level_index().max() == -1
    assert run.alerts.fired("real_sales_drop").sum() == 20
    assert len(run.needs.table()) == 0
    assert all(run.needs.unknown(code).all() for code in run.needs.mapping.codes)
    # a mapping whose trigger is that alert: needs from alerts only, keyed by the plant
    mapping = loads_needs(
        """\
programmes:
  - code: turnaround
    name: {fa: بازسازی, en: Turnaround}
    triggers:
      - {alert: real_sales_drop}
""",
        alert_rules=run.alerts.rules,
    )
    needs = mapping.assess(run.gaps, run.alerts, kpis=run.kpis)
    evidence = needs.evidence()
    assert len(evidence) == 20 and evidence["alert"].eq("real_sales_drop").all()
    assert "plant" in evidence.columns and evidence["alert_kpi"].eq("sales_growth_real").all()
    assert (evidence["value"] < -0.2).all()
    assert (
        needs.table()["severity"].astype(str).eq("medium").all()
    )  # a high alert: 1 point by default


def test_the_package_imports_no_django():
    code = (
        "import sys, rasad.monitor; "
        "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    assert (
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        == "False"
    )


def _same_records(records: list[dict], frame: pd.DataFrame) -> None:
    expected = frame.to_dict("records")
    assert len(records) == len(expected)
    for got, want in zip(records, expected, strict=True):
        assert list(got) == list(want)
        for name, value in want.items():
            if value != value:  # NaN
                assert got[name] != got[name], name
            else:
                assert got[name] == value and type(got[name]) is type(value), (
                    name,
                    got[name],
                    value,
                )


def test_one_units_records_are_its_frames_rows(run_1403):
    """What a page about one enterprise reads (plain records, no frame built) is exactly
    the rows of its frame slices, value for value and type for type."""
    units = sorted(set(run_1403.gaps.keys["national_id"]))
    alerted = set(run_1403.alerts.frame["national_id"])
    sample = [u for u in units if u in alerted][:40] + units[:40] + ["00000000000"]
    needs_seen = alerts_seen = 0
    for unit in sample:
        _same_records(run_1403.gaps.records(unit), run_1403.gaps.frame(unit=unit))
        _same_records(run_1403.needs.records(unit), run_1403.needs.explained(unit=unit))
        _same_records(run_1403.alerts.records(unit, 1403), run_1403.alerts.of(unit, 1403))
        _same_records(run_1403.alerts.records(unit), run_1403.alerts.of(unit))
        needs_seen += len(run_1403.needs.records(unit))
        alerts_seen += len(run_1403.alerts.records(unit))
    assert needs_seen > 40 and alerts_seen > 40  # both are exercised with rows, not only empty
