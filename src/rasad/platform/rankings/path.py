"""An enterprise's path into an edition's top list (issue 18), computed against exactly
what the edition ranked: its stored methodology and the data that gives its recorded
data hash (:func:`rasad.platform.rankings.league.edition_table`), by
:mod:`rasad.index.whatif`.

The what-if rebuilds the index a few dozen times per enterprise, too slow to repeat
on every visit; an edition's methodology and data never change once computed, so each
answer is cached under their hashes, the enterprise and the target. Confidential: the
callers show it only to who may see the enterprise's scorecard.
"""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd
from django.core.cache import cache

from rasad.index import build
from rasad.index.whatif import cutoff_gap, path_to_top, unranked
from rasad.platform.rankings.errors import EditionDataUnavailable
from rasad.platform.rankings.league import edition_table
from rasad.platform.rankings.models import Edition
from rasad.platform.registry.models import Enterprise
from rasad.platform.returns.models import Indicator
from rasad.platform.web.templatetags.rasad_format import num

CACHE_SECONDS = 7 * 24 * 3600


def edition_path(edition: Edition, enterprise: Enterprise, *, places: int | None = None) -> dict:
    """``enterprise``'s standing in ``edition`` and what would change it, as plain data
    (both languages' words included): ``status`` ``ranked`` (the gap to the top list's
    cut-off, and the path to rank ``edition.top_k``, or ``places`` places up),
    ``unranked`` (why, and what to file) or ``no_return`` (it filed nothing for the
    period). Raises :class:`~rasad.platform.rankings.errors.EditionDataUnavailable`
    when the edition's data can no longer be rebuilt."""
    key = (
        f"rasad:path:{edition.methodology_sha256}:{edition.data_sha256}:"
        f"{enterprise.national_id}:{edition.top_k}:{places}"
    )
    found = cache.get(key)
    if found is None:
        found = _compute(edition, enterprise.national_id, places)
        cache.set(key, found, CACHE_SECONDS)
    return found


def _compute(edition: Edition, unit: str, places: int | None) -> dict:
    methodology = edition.methodology.parsed()
    table = edition_table(edition, methodology)
    out = {"edition_id": edition.pk, "period": edition.period.code, "top_k": edition.top_k}
    if not (table[methodology.unit] == unit).any():
        return {**out, "status": "no_return"}
    results = build(methodology, table)
    rank = results.rank.get(unit)
    if rank is None or pd.isna(rank):
        why = unranked(methodology, table, unit, results)
        return {
            **out,
            "status": "unranked",
            "reasons": [{"step": s, "en": en, "fa": fa} for s, en, fa in why.reasons],
            "outside": [{"column": c, "value": str(v)} for c, v in why.outside],
            "fixable": why.fixable,
            "blanks": _named(methodology, why.blanks),
            "to_file": _figures(why.to_file),
            "year_before": _named(methodology, why.year_before),
            "reported": why.reported,
            "needed": why.needed,
            "indicators": why.indicators,
        }
    target = edition.top_k if places is None else max(1, int(rank) - places)
    path = path_to_top(methodology, table, unit, target_rank=target, results=results)
    gap = asdict(cutoff_gap(results, unit, edition.top_k))
    for pillar in gap["pillars"]:
        pillar.update(_words(methodology.node(pillar["code"]).name))
    indicators = {i.code: i for i in methodology.indicators}
    figures = _catalogue()
    suggestions = [
        {
            **asdict(s),
            **_words(indicators[s.indicator].name),
            "figure_name_fa": figures.get(s.figure, (s.figure, s.figure))[0],
            "figure_name_en": figures.get(s.figure, (s.figure, s.figure))[1],
        }
        for s in path.suggestions
    ]
    path = asdict(path) | {"suggestions": suggestions, "places": places}
    return {**out, "status": "ranked", "gap": gap, "path": path}


def _words(text) -> dict:
    return {"name_fa": text.fa, "name_en": text.en or text.fa}


def _named(methodology, codes) -> list[dict]:
    indicators = {i.code: i for i in methodology.indicators}
    return [{"code": c, **_words(indicators[c].name)} for c in codes]


def _catalogue() -> dict[str, tuple[str, str]]:
    return {
        code: (fa, en or fa)
        for code, fa, en in Indicator.objects.values_list("code", "name_fa", "name_en")
    }


def _figures(codes) -> list[dict]:
    names = _catalogue()
    return [
        {"code": c, "name_fa": names.get(c, (c, c))[0], "name_en": names.get(c, (c, c))[1]}
        for c in codes
    ]


def figure(value) -> str:
    """A value in the active language's digits: whole, or to three decimals when small."""
    if value is None:
        return "—"
    return num(value, 0 if float(value).is_integer() or abs(value) >= 100 else 3)


FIGURES = ("current", "suggested", "bound", "current_figure", "suggested_figure")


def in_language(found: dict, language: str) -> dict:
    """``found`` for a template in ``language`` (active): each ``name_<language>`` also as
    ``name`` (a figure's and a reason's words as ``figure_name``, ``text``), and each
    suggestion's values as ``<value>_text`` in the language's digits."""
    key = "fa" if language.startswith("fa") else "en"

    def named(row: dict) -> dict:
        row = dict(row)
        for value in FIGURES:
            if value in row:
                row[f"{value}_text"] = figure(row[value])
        if f"name_{key}" in row:
            row["name"] = row[f"name_{key}"]
        if f"figure_name_{key}" in row:
            row["figure_name"] = row[f"figure_name_{key}"]
        if key in row:
            row["text"] = row[key]
        return row

    shown = {k: [named(r) for r in v] if isinstance(v, list) else v for k, v in found.items()}
    if "gap" in shown:
        shown["gap"] = {**shown["gap"], "pillars": [named(p) for p in shown["gap"]["pillars"]]}
        shown["path"] = {
            **shown["path"],
            "suggestions": [named(s) for s in shown["path"]["suggestions"]],
            "percentile": round(shown["path"]["quantile"] * 100),
        }
    return shown


def safely(edition: Edition, enterprise: Enterprise, language: str) -> dict | None:
    """:func:`edition_path` in ``language`` for a page, or None when the edition's data
    can no longer be rebuilt (the page then leaves the card out)."""
    try:
        return in_language(edition_path(edition, enterprise), language)
    except EditionDataUnavailable:
        return None
