"""Reports as PDF files: the yearly edition report, policy briefs and scorecards,
rendered from HTML templates by WeasyPrint with the packaged Persian font; charts are
PNG images drawn by Vega-Lite (vl-convert), which shapes Persian text correctly."""
