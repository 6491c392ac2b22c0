"""An alert's evidence in words (issue 18: the page showed raw keys, `missing : [1404]`)."""

from rasad.monitor.evidence import evidence_lines


def test_missing_returns_in_words_in_both_languages():
    (fa,) = evidence_lines({"missing": [1403, 1404]}, "fa")
    assert fa == {"name": "اظهارنامهٔ نرسیده", "values": [("دوره‌های", "۱۴۰۳، ۱۴۰۴")]}
    (en,) = evidence_lines({"missing": [1404]}, "en")
    assert en == {"name": "Returns not received", "values": [("periods", "1404")]}


def test_an_implausible_figure_with_its_range():
    evidence = {"employees": {"value": 90000, "plausible_min": 0, "plausible_max": 5000}}
    (en,) = evidence_lines(evidence, "en")
    assert en["name"] == "Employees"
    assert en["values"] == [("reported", "90,000"), ("plausible range", "0 – 5,000")]
    (fa,) = evidence_lines(evidence, "fa")
    assert fa["values"] == [("گزارش‌شده", "۹۰٬۰۰۰"), ("بازهٔ پذیرفتنی", "۰ – ۵٬۰۰۰")]


def test_a_unit_jump_and_a_kpi_series_name_their_figures_and_periods():
    jump = {"sales": {1402: 1200, 1403: 1200000, "ratio": 1000, "factor": 1000}}
    (line,) = evidence_lines(jump, "en")
    assert line == {
        "name": "Sales",
        "values": [("1402", "1,200"), ("1403", "1,200,000"), ("", "jump ×1,000")],
    }
    (growth,) = evidence_lines({"sales_growth": {1402: 0.125, 1403: None}}, "fa")
    assert growth == {"name": "رشد اسمی فروش", "values": [("۱۴۰۲", "۰٫۱۲۵"), ("۱۴۰۳", "—")]}
