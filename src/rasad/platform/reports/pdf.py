"""HTML templates to PDF bytes.

Why WeasyPrint: it lays out HTML and CSS (right-to-left, the Persian font's shaping
through HarfBuzz, page counters in Persian digits) without a browser process, so the
worker that renders a report needs nothing but Python and Pango. Its one weakness for
Persian, text inside inline SVG (not shaped), is why charts arrive as PNG images
(:mod:`rasad.platform.reports.charts`).
"""

from __future__ import annotations

import functools
from pathlib import Path

from django.template.loader import get_template
from django.utils import translation

FONT_DIR = Path(__file__).with_name("fonts")
FONT_FILE = FONT_DIR / "Vazirmatn-Variable.ttf"


def render_html(template, context: dict, *, language: str) -> str:
    """The report's HTML in ``language`` ("fa" or "en"); ``template`` is a template's
    name or a template."""
    if isinstance(template, str):
        template = get_template(template)
    with translation.override(language):
        return template.render(
            {**context, "report_language": language, "font_url": FONT_FILE.as_uri()}
        )


def render_pdf(template, context: dict, *, language: str) -> bytes:
    """The report ``template`` rendered with ``context`` in ``language``, as PDF bytes."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    _install_readable_right_to_left()
    html = render_html(template, context, language=language)
    fonts = FontConfiguration()
    return HTML(string=html, base_url=str(FONT_DIR)).write_pdf(font_config=fonts)


def _is_right_to_left(text: str) -> bool:
    return any(
        "\u0590" <= c <= "\u08ff" or "\ufb1d" <= c <= "\ufdff" or "\ufe70" <= c <= "\ufefe"
        for c in text
    )


def _readable_right_to_left(to_unicode: dict) -> None:
    """Make a copied or extracted Persian word read as typed.

    One glyph may stand for several letters: the lam-alef ligature "لا", a letter and its
    hamza above "هٔ". WeasyPrint records those letters in typing order, but a PDF
    reader (pdftotext, a viewer's copy) takes a right-to-left line's glyphs in visual
    order and reverses the whole run, letters of a ligature included, so "فولاد" came
    out "فوالد". Recording a right-to-left glyph's letters reversed makes the reader's
    reversal restore them."""
    for glyph, text in to_unicode.items():
        if len(text) > 1 and _is_right_to_left(text):
            to_unicode[glyph] = text[::-1]


@functools.cache
def _install_readable_right_to_left() -> None:
    """WeasyPrint fills a font's glyph-to-text map while it draws the pages and writes
    it right after, inside ``write_pdf``: the one place to correct it is the step that
    writes the fonts (``weasyprint.pdf.build_fonts_dictionary``), wrapped here once.
    tests/platform/test_report_pdf.py fails if a WeasyPrint release moves it."""
    import weasyprint.pdf

    write_fonts = weasyprint.pdf.build_fonts_dictionary

    def build_fonts_dictionary(pdf, fonts, *args, **kwargs):
        for font in fonts.values():
            _readable_right_to_left(font.to_unicode)
        return write_fonts(pdf, fonts, *args, **kwargs)

    weasyprint.pdf.build_fonts_dictionary = build_fonts_dictionary
