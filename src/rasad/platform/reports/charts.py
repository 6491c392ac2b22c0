"""Charts of the PDF reports: Vega-Lite specifications (written with Altair) drawn to PNG
by vl-convert with the packaged Persian font, and handed to the template as data URIs.

PNG, not SVG: WeasyPrint does not shape Persian text inside inline SVG (its letters
would print unjoined and left to right), while vl-convert shapes it when it rasterises.
"""

from __future__ import annotations

import base64
import functools

from rasad.platform.reports.pdf import FONT_DIR

FONT = "Vazirmatn"
SCALE = 2  # pixels per CSS pixel: sharp when printed


@functools.cache
def _converter():
    import vl_convert

    vl_convert.register_font_directory(str(FONT_DIR))
    return vl_convert


# Vega's number format in Persian: Persian digits, «٬» between thousands, «٫» decimals
PERSIAN_NUMBERS = {
    "decimal": "٫",
    "thousands": "٬",
    "grouping": [3],
    "currency": ["", ""],
    "numerals": list("۰۱۲۳۴۵۶۷۸۹"),
    "percent": "٪",
}


def themed(chart, language: str = "en"):
    """``chart`` (an Altair chart) in the reports' font, its numbers (axes, formatted
    text) in the digits of ``language``."""
    chart = chart.configure(font=FONT).configure_view(strokeWidth=0)
    return chart.configure(locale={"number": PERSIAN_NUMBERS}) if language == "fa" else chart


def png(chart, *, scale: float = SCALE) -> bytes:
    """``chart`` (an Altair chart or a Vega-Lite dict) as PNG bytes."""
    spec = chart if isinstance(chart, dict) else chart.to_dict()
    return _converter().vegalite_to_png(spec, scale=scale)


def data_uri(chart, *, scale: float = SCALE) -> str:
    """``chart`` as a ``data:image/png`` URI for an ``<img>`` of a report template."""
    return "data:image/png;base64," + base64.b64encode(png(chart, scale=scale)).decode("ascii")
