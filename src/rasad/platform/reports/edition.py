"""The edition report, the yearly publication (issue 17): a computed edition as a PDF in
Persian or English — its cover and headline figures, the Top-100 with rank intervals
and P(top), where the top list's enterprises are (by sector, province and size band,
charts drawn as PNG), the movers against the previous published edition, the
methodology in brief with its weights, and the edition's sensitivity and audit figures.

A report kind of :mod:`rasad.platform.reports.delivery`: ``key`` is the edition's id.
Every figure comes from what the pages already compute (:mod:`rasad.platform.public.data`,
:mod:`rasad.platform.rankings.review`, the public methodology page's description of the
steps); nothing is ranked or measured again here.
"""

from __future__ import annotations

import base64

import altair as alt
import pandas as pd
from django.utils import translation
from django.utils.translation import gettext as _

from rasad.platform.language import current
from rasad.platform.public import data
from rasad.platform.public.labels import band_label
from rasad.platform.public.methodology import describe_steps, methodology_tree
from rasad.platform.rankings import review
from rasad.platform.rankings.access import may_run_analyses
from rasad.platform.rankings.models import Edition
from rasad.platform.registry.models import Province
from rasad.platform.reports import charts
from rasad.platform.reports.pdf import render_pdf
from rasad.platform.web.templatetags.rasad_format import digits, num

INLINE = False  # an edition of 20,000 firms takes longer than a request's patience
TEMPLATE = "reports/edition.html"
WIDTH = 560  # CSS pixels of a chart's plot: the page's text width, less the labels
COLOR = "#0f5f5f"
MUTED = "#9fb8c0"
CUTOFF = "#c0392b"


# a chart's axis labels in Persian digits and separators (Vega formats them in Latin)
def _edition(key: str) -> Edition | None:
    """The computed edition ``key`` names (a draft not computed yet has nothing to report)."""
    if not key.isdecimal() or not 0 < int(key) < 2**63:
        return None
    return (
        Edition.objects.select_related("period", "methodology")
        .filter(pk=int(key), computed_at__isnull=False)
        .first()
    )


def version(key: str) -> str | None:
    """The edition, when it was computed and published, and the edition its movers are
    measured against: computed or published anew, the report is rendered anew."""
    edition = _edition(key)
    if edition is None:
        return None
    previous = data.previous_edition(edition)
    published = edition.published_at.isoformat() if edition.published_at else "-"
    return (
        f"{edition.pk}:{edition.computed_at.isoformat()}:{edition.status}:{published}"
        f":{previous.pk if previous else '-'}"
    )


def visible_to(user, key: str) -> bool:
    """A published edition's report is public; a draft's, for analysts and administrators."""
    edition = _edition(key)
    return edition is not None and (edition.is_published or may_run_analyses(user))


def filename(key: str, language: str) -> str:
    edition = _edition(key)
    year = edition.period.code if edition else key
    return f"rasad-top100-{year}-{language}.pdf"


def render(key: str, *, language: str) -> bytes:
    edition = _edition(key)
    with translation.override(language):
        return render_pdf(TEMPLATE, context(edition), language=language)


# --- what the report shows ---------------------------------------------------------------


def context(edition: Edition) -> dict:
    """The template's context, in the active language."""
    method = data.methodology_of(edition)
    summary = data.summary(edition)
    titles = data.divisions()
    top = list(data.ranking(edition))
    for row in top:
        row.division = titles.get(row.enterprise.isic.code[:2])
        row.band = band_label(row.size_class) if row.size_class else ""
    changes = review.changes(edition, data.previous_edition(edition))
    job = review.analysis_job(edition)
    sensitivity = review.sensitivity_rows(job)
    return {
        "edition": edition,
        "method_name": method.name.get(current()),
        "summary": summary,
        "coverage": edition.coverage_figures(),
        "top": top,
        "charts": _distribution_charts(edition, titles),
        "histogram": _histogram_chart(edition),
        "changes": changes,
        "movers": review.movers(edition, changes) if changes else [],
        "steps": describe_steps(method),
        "tree": methodology_tree(method),
        "analysis_job": job,
        "sensitivity": sensitivity,
        "sensitivity_chart": _sensitivity_chart(sensitivity) if sensitivity else None,
        "blanks": review.blanks(edition),
    }


def _text(text: str) -> str:
    """A chart's text, right to left in Persian: Vega lays a line out left to right unless
    its first strong character says otherwise, so a label that starts with a number
    ("۱۰۰ بنگاه…") would end with it; a right-to-left mark in front settles that."""
    return "\u200f" + text if current() == "fa" else text


def _axis(**kwargs) -> alt.Axis:
    """An axis whose title reads right to left in Persian (its numbers are in the reader's
    digits through :func:`charts.themed`)."""
    if "title" in kwargs:
        kwargs["title"] = _text(kwargs["title"])
    return alt.Axis(**kwargs)


def _title(text: str) -> alt.TitleParams:
    return alt.TitleParams(_text(text), anchor="end" if current() == "fa" else "start", fontSize=13)


def _image(chart) -> dict:
    """``chart`` themed and drawn: its data URI and its width in CSS pixels, so that it is
    printed at the size it was drawn (its text as large as the page's), never stretched."""
    uri = charts.data_uri(charts.themed(chart, current()))
    header = base64.b64decode(uri.split(",", 1)[1][:32])  # the PNG's first 24 bytes
    width = int.from_bytes(header[16:20], "big") / charts.SCALE  # pixels wide, at 16–19
    return {"uri": uri, "width": round(width)}


def _bars(rows: list[tuple[str, int]], title: str) -> dict:
    """Horizontal bars of counts, largest first, each with its count written at its end;
    right to left in Persian (labels on the right, bars growing leftwards)."""
    rtl = current() == "fa"
    frame = pd.DataFrame(
        {
            "label": [_text(label) for label, _n in rows],
            "n": [n for _label, n in rows],
            "text": [num(n) for _label, n in rows],
        }
    )
    y = alt.Y(
        "label:N",
        sort=None,
        title=None,
        axis=alt.Axis(orient="right" if rtl else "left", labelLimit=300, labelFontSize=11),
    )
    x = alt.X("n:Q", title=None, axis=None, scale=alt.Scale(reverse=rtl, nice=False))
    base = alt.Chart(frame).encode(x=x, y=y)
    bars = base.mark_bar(color=COLOR, height=alt.RelativeBandSize(0.75))
    counts = base.mark_text(
        align="right" if rtl else "left", dx=-4 if rtl else 4, fontSize=11
    ).encode(text="text:N")
    chart = (bars + counts).properties(title=_title(title), width=WIDTH - 260, height=alt.Step(15))
    return _image(chart)


def _distribution_charts(edition: Edition, titles) -> list[dict]:
    """The top list by ISIC division, province and size band (groups holding none of it
    are left out; every group's figures are in the public dashboard)."""
    groups = data.edition_distributions(edition)
    provinces = Province.objects.in_bulk([g["key"] for g in groups["province"]])
    k = num(edition.top_k)

    def division(code):
        sector = titles.get(code)
        return f"{digits(code)} {sector.title}" if sector else digits(code)

    def province(pk):
        return provinces[pk].name if pk in provinces else str(pk)

    out = []
    for name, label, title in (
        ("division", division, _("Top %(k)s enterprises by sector (ISIC division)") % {"k": k}),
        ("province", province, _("Top %(k)s enterprises by province") % {"k": k}),
        ("band", band_label, _("Top %(k)s enterprises by size band") % {"k": k}),
    ):
        rows = [(label(g["key"]), g["top"]) for g in groups[name] if g["top"]]
        if name != "band":  # size bands keep their order, small to large
            rows.sort(key=lambda row: -row[1])
        if rows:
            out.append({"key": name, **_bars(rows, title)})
    return out


def _histogram_chart(edition: Edition) -> dict | None:
    """The scores of every ranked enterprise, with the last place of the top list marked."""
    histogram = review.score_histogram(edition)
    if not histogram.count:
        return None
    frame = pd.DataFrame(histogram.bars)[["low", "high", "n"]]
    bars = (
        alt.Chart(frame)
        .mark_rect(color=MUTED, stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("low:Q", axis=_axis(title=_("Score"), tickCount=8)),
            x2="high:Q",
            y=alt.Y("n:Q", axis=_axis(title=_("Enterprises"), tickCount=5)),
            y2=alt.datum(0),
        )
    )
    chart = bars
    if histogram.cutoff:
        rule = (
            alt.Chart(pd.DataFrame({"score": [histogram.cutoff["score"]]}))
            .mark_rule(color=CUTOFF, strokeWidth=2)
            .encode(x="score:Q")
        )
        chart = bars + rule
    chart = chart.properties(
        title=_title(_("Scores of the ranked enterprises")), width=WIDTH, height=180
    )
    return {
        **_image(chart),
        "count": histogram.count,
        "cutoff": histogram.cutoff["score"] if histogram.cutoff else None,
    }


def _sensitivity_chart(rows: list[dict]) -> dict:
    """Each uncertain choice's total Sobol index (light) and first-order index (dark)."""
    rtl = current() == "fa"
    frame = pd.DataFrame(
        {
            "label": [_text(row["label"]) for row in rows],
            "total": [row["STi"] or 0.0 for row in rows],
            "first": [max(row["Si"] or 0.0, 0.0) for row in rows],
        }
    )
    high = max(1.0, float(frame["total"].max()))
    y = alt.Y(
        "label:N",
        sort=None,
        title=None,
        axis=alt.Axis(orient="right" if rtl else "left", labelLimit=300, labelFontSize=11),
    )
    x_axis = _axis(title=_("Total index (light) and first-order index (dark)"), tickCount=5)
    scale = alt.Scale(domain=[0, high], reverse=rtl)
    base = alt.Chart(frame).encode(y=y)
    total = base.mark_bar(color=MUTED).encode(x=alt.X("total:Q", axis=x_axis, scale=scale))
    first = base.mark_bar(color=COLOR, height=alt.RelativeBandSize(0.45)).encode(
        x=alt.X("first:Q", scale=scale)
    )
    chart = (total + first).properties(
        title=_title(_("Which choice moves the ranks")), width=WIDTH - 260, height=alt.Step(22)
    )
    return _image(chart)
