"""An enterprise's scorecard as a PDF for its owner (issue 17): its rank, the rank's
5–95% interval, its chance of a top place and its score in the newest published
edition; its pillars against its peers (a chart and a table); what to improve; its
alerts, needs and main figures in the period its page shows. The figures are the
page's own (:func:`rasad.platform.public.scorecard.scorecard_data`).

Who reads it: exactly who opens the scorecard page — the enterprise's own users, its
estate's manager, analysts and administrators (``Enterprise.objects.confidential_to``).
The page has no public version (for anyone else the enterprise does not exist), so
neither has the PDF; and since every reader it opens for sees the same figures, one
PDF per enterprise, language and state of the data serves them all: the key is the
national ID, with no visibility level in it. A public scorecard, if ever wanted, would
be a second key (``<national ID>:public``) drawing the published part only.
"""

from __future__ import annotations

import pandas as pd
from django.db.models import Count, Max
from django.utils import translation
from django.utils.translation import gettext as _

from rasad.errors import RasadInputError
from rasad.iran.text import to_latin_digits
from rasad.platform.monitoring import choice, compute
from rasad.platform.monitoring.models import AlertState
from rasad.platform.public.charts import scale_of
from rasad.platform.public.scorecard import scorecard_data
from rasad.platform.rankings.models import Edition, EditionResult
from rasad.platform.registry.models import Enterprise
from rasad.platform.reports import charts
from rasad.platform.reports.pdf import render_pdf
from rasad.platform.returns.state import data_state
from rasad.platform.web.templatetags.rasad_format import num

INLINE = True  # a scorecard renders in well under a second (BENCHMARKS.md)
TEMPLATE = "reports/scorecard.html"
IMPROVE = 3  # pillars, and indicators, named under "what to improve"
COLOURS = {"whisker": "#9aa9b8", "box": "#b9dcdc", "median": "#0f5f5f", "firm": "#d55e00"}


def _enterprise(key: str) -> Enterprise | None:
    return (
        Enterprise.objects.select_related("province", "estate", "isic")
        .filter(national_id=to_latin_digits(key.strip()))
        .first()
    )


def version(key: str) -> str | None:
    """The published editions the enterprise is in (each id with when it was published),
    the returns' data state, today (which period is shown and which returns are overdue
    depend on it) and what people decided about its alerts."""
    enterprise = _enterprise(key)
    if enterprise is None:
        return None
    editions = EditionResult.objects.filter(
        enterprise=enterprise, edition__status=Edition.Status.PUBLISHED
    ).values_list("edition_id", "edition__published_at")
    decided = AlertState.objects.filter(key__contains=f":{enterprise.national_id}:").aggregate(
        n=Count("pk"), at=Max("at")
    )
    return "|".join(
        [
            ",".join(f"{pk}@{at.isoformat() if at else ''}" for pk, at in sorted(editions)),
            data_state(),
            compute.as_of().isoformat(),
            f"{decided['n']}@{decided['at'].isoformat() if decided['at'] else ''}",
        ]
    )


def visible_to(user, key: str) -> bool:
    """Whoever opens the enterprise's scorecard page."""
    return (
        Enterprise.objects.confidential_to(user)
        .filter(national_id=to_latin_digits(key.strip()))
        .exists()
    )


def filename(key: str, language: str) -> str:
    return f"scorecard-{to_latin_digits(key.strip())}-{language}.pdf"


def render(key: str, *, language: str) -> bytes:
    """The scorecard of the enterprise of national ID ``key`` in ``language``."""
    with translation.override(language):
        return render_pdf(TEMPLATE, context(key, language=language), language=language)


def context(key: str, *, language: str) -> dict:
    """The template's context (in the active language): the page's figures, the
    pillars' chart and what to improve."""
    enterprise = _enterprise(key)
    if enterprise is None:
        raise RasadInputError(
            f"There is no enterprise of national ID {key!r}.",
            f"بنگاهی با شناسهٔ ملی «{key}» نیست.",
            field="key",
            value=key,
        )
    shown = scorecard_data(enterprise, choice.by_default(enterprise.dataset))
    if shown["chosen"] is not None:
        shown["pillar_chart"] = charts.data_uri(_pillar_chart(shown, language))
    shown["improve"] = _to_improve(shown)
    shown["colours"] = COLOURS
    return shown


def _pillar_chart(shown: dict, language: str):
    """Each pillar's peers (whiskers 5–95%, box 25–75%, median tick) and the enterprise
    (a dot), on one line each, in the methodology's order."""
    import altair as alt

    rows = [
        {"pillar": str(r["pillar"].name), "value": r["value"], **(r["q"] or {})}
        for r in shown["pillar_rows"]
    ]
    frame = pd.DataFrame(rows)
    order = list(frame["pillar"])
    persian = language == "fa"
    x_axis = alt.Axis(title=None)
    y = alt.Y(
        "pillar:N",
        sort=order,
        title=None,
        axis=alt.Axis(orient="right" if persian else "left", labelLimit=220, labelFontSize=12),
    )
    scale = alt.Scale(domain=list(_domain(frame)), nice=False, zero=False)
    base = alt.Chart(frame).encode(y=y)
    whiskers = base.mark_rule(color=COLOURS["whisker"], strokeWidth=1.5).encode(
        x=alt.X("q05:Q", scale=scale, axis=x_axis), x2="q95:Q"
    )
    box = base.mark_bar(color=COLOURS["box"], size=14).encode(x="q25:Q", x2="q75:Q")
    median = base.mark_tick(color=COLOURS["median"], thickness=2.5, size=18).encode(x="median:Q")
    firm = base.mark_point(color=COLOURS["firm"], filled=True, size=90, opacity=1).encode(
        x="value:Q"
    )
    chart = alt.layer(whiskers, box, median, firm).properties(width=430, height=alt.Step(24))
    return charts.themed(chart, language)


def _domain(frame: pd.DataFrame) -> tuple[float, float]:
    columns = [c for c in ("q05", "q95", "value") if c in frame]
    return scale_of(frame[columns].stack().tolist())


def _left_to_right(text: str) -> str:
    """``text`` (a figure that may be negative) kept left to right inside a Persian
    sentence, as the page's ``<span dir="ltr">`` keeps it: between Unicode's
    left-to-right isolate and its end, which text extraction drops."""
    return f"\u2066{text}\u2069"


def _to_improve(shown: dict) -> list[str]:
    """What to improve, in words: the pillars furthest below the peers' median (or, when
    none is, the one closest to it), then the indicators of the monitored period where
    the enterprise stands lowest among its peers (below their middle: percentile under
    50), then the blank indicators when some were left out."""
    lines = []
    by_gap = shown.get("by_gap", [])
    if by_gap and by_gap[0]["gap"] >= 0:
        closest = by_gap[0]
        lines.append(
            _(
                "Every pillar is at or above its peers' median; the closest to it is "
                "%(pillar)s, a score of %(score)s against %(median)s."
            )
            % {
                "pillar": closest["pillar"].name,
                "score": num(closest["value"], 1),
                "median": num(closest["q"]["median"], 1),
            }
        )
    for row in [r for r in by_gap if r["gap"] < 0][:IMPROVE]:
        lines.append(
            _(
                "%(pillar)s: a score of %(score)s against a peer median of %(median)s, "
                "%(gap)s points below."
            )
            % {
                "pillar": row["pillar"].name,
                "score": num(row["value"], 1),
                "median": num(row["q"]["median"], 1),
                "gap": num(-row["gap"], 1),
            }
        )
    monitoring = shown.get("monitoring")
    low = sorted(
        (g for g in (monitoring or {}).get("gaps", []) if g["percentile"] < 50 and g["enough"]),
        key=lambda g: g["percentile"],
    )
    for gap in low[:IMPROVE]:
        lines.append(
            _(
                "%(indicator)s: %(value)s against a peer median of %(median)s, at percentile "
                "%(percentile)s among its peers."
            )
            % {
                "indicator": gap["name"],
                "value": _left_to_right(gap["value"]),
                "median": _left_to_right(gap["median"]),
                "percentile": gap["percentile_text"],
            }
        )
    coverage = shown.get("coverage")
    if coverage and not coverage.complete:
        lines.append(str(shown["coverage_advice"]))
    return lines
