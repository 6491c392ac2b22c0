"""The PDF machinery every report shares: Persian text shaped and in logical order,
page numbers in the reader's digits, charts as PNG images with Persian labels."""

import re

import altair as alt
import pandas as pd
from django.template import engines
from PIL import Image

from pdfs import pdf_pages, pdf_text
from rasad.platform.reports import charts
from rasad.platform.reports.pdf import render_pdf

PAGE = engines["django"].from_string(
    '{% extends "reports/base_pdf.html" %}{% block title %}{{ title }}{% endblock %}'
    "{% block content %}<h1>{{ title }}</h1>{% for name in names %}<p>{{ name }}</p>{% endfor %}"
    '<img class="chart" src="{{ chart }}" alt="">'
    '<p class="page-break">{{ title }}</p>{% endblock %}'
)
FIRMS = ["نساجی پارس یزد", "فولاد البرز", "صنایع غذایی مهرگان", "ریخته‌گری سالار"]


def chart():
    frame = pd.DataFrame({"استان": ["تهران", "اصفهان", "یزد"], "بنگاه": [30, 20, 10]})
    bars = alt.Chart(frame).mark_bar().encode(x="بنگاه:Q", y=alt.Y("استان:N", sort="-x"))
    return charts.themed(bars.properties(title="بنگاه‌های برتر به تفکیک استان", width=300))


def test_a_persian_report_reads_back_in_logical_order(tmp_path):
    content = render_pdf(
        PAGE,
        {"title": "گزارش سالانهٔ ۱۰۰ بنگاه برتر", "names": FIRMS, "chart": charts.data_uri(chart())},
        language="fa",
    )
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert "گزارش سالانهٔ" in text and "بنگاه برتر" in text
    for name in FIRMS:  # joined letters, right to left, as typed
        assert name.replace("\u200c", "") in text.replace("\u200c", "")
    assert re.search(r"\b۲\b", text)  # the second page's number, in Persian digits
    assert b"/Subtype /Image" in content  # the chart is a picture
    pages = pdf_pages(content, tmp_path)
    assert len(pages) == 2 and Image.open(pages[0]).size[0] > 300


def test_an_english_report_has_latin_page_numbers():
    content = render_pdf(PAGE, {"title": "Top 100", "names": ["Pars"], "chart": ""}, language="en")
    text = pdf_text(content)
    assert "Top 100" in text and re.search(r"\b2\b", text) and "۲" not in text


def test_a_chart_is_a_png_with_the_persian_font():
    picture = charts.png(chart())
    assert picture.startswith(b"\x89PNG")
    assert charts.data_uri(chart()).startswith("data:image/png;base64,")
