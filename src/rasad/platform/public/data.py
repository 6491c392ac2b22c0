"""What the pages of this app show, as plain data read from the stored editions.

Everything here reads published editions, whose rows never change (the rankings app
freezes them), so what is costly to compute over a whole edition (its headline
figures, its distributions; its peer groups, :mod:`rasad.platform.public.peers`) is
cached under the edition's id, data hash and computation time (:func:`cached`), and so
are the keys of HTML the pages render from it (:func:`fragment_key`). No HTML here, and
no confidential figure.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache

from rasad.index.methodology import Methodology as ParsedMethodology
from rasad.iran.sizes import SIZE_LABELS
from rasad.platform.language import current
from rasad.platform.public import charts
from rasad.platform.rankings import coverage
from rasad.platform.rankings.models import Edition, EditionResult, content_hash
from rasad.platform.registry.models import Sector, name_or_id_matches
from rasad.platform.returns.state import per_state

CACHE_SECONDS = 24 * 3600
BAND_ORDER = {band: i for i, band in enumerate(SIZE_LABELS)}


def list_separator() -> str:
    return "، " if current() == "fa" else ", "


# --- editions --------------------------------------------------------------------------


def published() -> Iterable[Edition]:
    return Edition.objects.filter(status=Edition.Status.PUBLISHED).select_related(
        "period", "methodology"
    )


def newest_first(editions):
    # editions rank yearly periods only (rankings.services refuses quarters)
    return editions.order_by("-period__year", "-published_at", "-pk")


def latest_edition() -> Edition | None:
    """The newest published edition of the latest year (a later edition of a year
    supersedes the earlier ones: ``Edition.superseded_by``)."""
    return newest_first(published().current()).first()


def newest_of_each_year(editions: list[Edition]) -> list[Edition]:
    """Of ``editions`` (published, newest first), the newest of each year: those no
    later edition supersedes, as ``Edition.objects.current()`` selects them."""
    years: set[int] = set()
    out = []
    for edition in editions:
        if edition.period.year not in years:
            years.add(edition.period.year)
            out.append(edition)
    return out


def editions_menu(
    chosen: Edition | None = None, editions: list[Edition] | None = None
) -> list[Edition]:
    """The editions a page offers to choose from, newest first: the newest of each year,
    and ``chosen`` where it belongs when it is a superseded one (so that the menu shows
    what the page shows). ``editions``: every published edition newest first, when the
    page has them already."""
    if editions is None:
        editions = list(newest_first(published()))
    current = {e.pk for e in newest_of_each_year(editions)}
    return [e for e in editions if e.pk in current or (chosen is not None and e.pk == chosen.pk)]


def previous_edition(edition: Edition, editions: list[Edition] | None = None) -> Edition | None:
    """The published edition before ``edition``: of an earlier year, or of the same year
    published before it (so a late correction of an old year is never "previous").
    ``editions``: every published edition newest first, when the page lists them anyway
    (then no query is made)."""
    year = edition.period.year
    if editions is None:
        editions = list(newest_first(published()))
    return next(
        (
            e
            for e in editions
            if e.pk != edition.pk
            and (
                e.period.year < year
                or (
                    e.period.year == year
                    and edition.published_at is not None
                    and e.published_at is not None
                    and e.published_at < edition.published_at
                )
            )
        ),
        None,
    )


def methodology_of(edition: Edition) -> ParsedMethodology:
    """The methodology the edition was computed with: parsed from its stored text."""
    return edition.methodology.parsed()


def methodology_verified(edition: Edition) -> bool:
    """The stored text still hashes to what the edition recorded when it was computed."""
    return content_hash(edition.methodology.text) == edition.methodology_sha256


@dataclass(frozen=True)
class Pillar:
    code: str
    name: str
    weight: float
    effective: float


def pillars(method: ParsedMethodology) -> list[Pillar]:
    """The index's direct children (its pillars), in the methodology's order."""
    lang = current()
    nodes = {n.code: n for n in method.nodes}
    indicators = {i.code: i for i in method.indicators}
    effective = method.effective_weights()
    out = []
    for code in method.root.children:
        item = nodes.get(code) or indicators[code]
        out.append(Pillar(code, item.name.get(lang), item.weight, effective.get(code, 0.0)))
    return out


def _key(edition: Edition, what: str) -> str:
    stamp = edition.computed_at.timestamp() if edition.computed_at else 0
    return f"rasad:public:{what}:{edition.pk}:{edition.data_sha256}:{stamp}"


def fragment_key(edition: Edition, *parts) -> str:
    """A cache key for HTML rendered from ``edition`` (frozen once published) and
    ``parts``: whatever else the fragment shows must be among the parts."""
    return hashlib.sha256(repr((_key(edition, "fragment"), parts)).encode()).hexdigest()


def cached(edition: Edition, what: str, compute):
    """``compute()``, once per edition (frozen once published) and ``what``."""
    key = _key(edition, what)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value


def quantiles(values) -> dict | None:
    """Five-number summary (numpy's linear percentiles) of the values that are not missing."""
    array = np.asarray([v for v in values if v is not None], dtype=float)
    array = array[~np.isnan(array)]
    if not len(array):
        return None
    q05, q25, q50, q75, q95 = np.percentile(array, [5, 25, 50, 75, 95])
    return {
        "n": len(array),
        "min": float(array.min()),
        "q05": float(q05),
        "q25": float(q25),
        "median": float(q50),
        "q75": float(q75),
        "q95": float(q95),
        "max": float(array.max()),
    }


def band_sort_key(band: str):
    return BAND_ORDER.get(band, len(BAND_ORDER)), band


def summary(edition: Edition) -> dict:
    """Headline figures of an edition and the values its filters offer (cached)."""

    def compute():
        codes = [p.code for p in pillars(methodology_of(edition))]
        rows = list(
            edition.results.filter(rank__isnull=False).values_list(
                "rank",
                "score",
                "rank_q95",
                "size_class",
                "enterprise__province_id",
                "enterprise__isic__code",
                "node_scores",
            )
        )
        top = [r for r in rows if r[0] <= edition.top_k]
        q95_all = [r[2] for r in rows if r[2] is not None]
        q95_top = [r[2] for r in top if r[2] is not None]
        return {
            "ranked": len(rows),
            "top": len(top),
            "score": quantiles(r[1] for r in rows),
            "top_score": quantiles(r[1] for r in top),
            "top_provinces": len({r[4] for r in top}),
            "top_divisions": len({r[5][:2] for r in top}),
            "top_bands": dict(Counter(r[3] for r in top)),
            "bands": sorted({r[3] for r in rows if r[3]}, key=band_sort_key),
            "provinces": sorted({r[4] for r in rows}),
            "divisions": sorted({r[5][:2] for r in rows}),
            "scale_top": float(max([edition.top_k, *q95_top, 2])),
            "scale_all": float(max([len(rows), *q95_all, 2])),
            "pillar_medians": {
                code: (q or {}).get("median")
                for code in codes
                for q in [quantiles((r[6] or {}).get(code) for r in rows)]
            },
        }

    return cached(edition, "summary", compute)


def divisions() -> dict[str, Sector]:
    """The ISIC divisions by code: reference data every ranking page names, read once per
    data state (an edited title shows at once) rather than on each view."""
    return per_state(
        "isic divisions",
        lambda: {s.code: s for s in Sector.objects.filter(level=Sector.Level.DIVISION)},
    )


# --- the ranking ----------------------------------------------------------------------


def search(queryset, query: str, prefix: str = ""):
    """Name (Persian or English, as a search reads it) or the start of the national ID."""
    match = name_or_id_matches(query, prefix)
    return queryset if match is None else queryset.filter(match)


def ranking(
    edition: Edition,
    *,
    everyone: bool = False,
    province: int | None = None,
    division: str | None = None,
    band: str | None = None,
    query: str = "",
):
    """The ranked rows of an edition, best first: the top list, or ``everyone`` ranked."""
    rows = edition.results.filter(rank__isnull=False)
    if not everyone:
        rows = rows.filter(rank__lte=edition.top_k)
    if province is not None:
        rows = rows.filter(enterprise__province__code=province)
    if division:
        rows = rows.filter(enterprise__isic__code__startswith=division)
    if band:
        rows = rows.filter(size_class=band)
    rows = search(rows, query, prefix="enterprise__")
    return rows.select_related(
        "enterprise", "enterprise__province", "enterprise__estate", "enterprise__isic"
    ).order_by("rank", "enterprise__national_id")


def decorate(
    rows: list[EditionResult],
    edition: Edition,
    *,
    scale: float,
    pillar_codes: list[str],
    previous: Edition | None,
) -> list[EditionResult]:
    """Add what a row of the Top-100 shows besides its stored fields: the interval bar,
    the pillar scores in order, the ISIC division, the movement since ``previous`` and
    the coverage in words (``coverage_info``)."""
    titles = divisions()
    coverage.describe_rows(rows, methodology_of(edition))
    before = {}
    if previous is not None:
        before = dict(
            previous.results.filter(
                enterprise_id__in=[r.enterprise_id for r in rows],
                rank__isnull=False,
            ).values_list("enterprise_id", "rank")
        )
    for row in rows:
        row.bar = charts.interval_bar(row, scale)
        row.pillar_values = [(row.node_scores or {}).get(code) for code in pillar_codes]
        row.division = titles.get(row.enterprise.isic.code[:2])
        if previous is None:
            row.movement = None
        elif row.enterprise_id not in before:
            row.movement = "new"
        else:
            row.movement = before[row.enterprise_id] - row.rank  # positive: it rose
        row.moved = abs(row.movement) if isinstance(row.movement, int) else None
    return rows


# --- the national dashboard -----------------------------------------------------------------------


def edition_distributions(edition: Edition) -> dict:
    """Scores of an edition by province, ISIC division and size band: counts, places in
    the top list, five-number summaries and pillar medians (cached; ids and codes only)."""

    def compute():
        codes = [p.code for p in pillars(methodology_of(edition))]
        rows = list(
            edition.results.filter(rank__isnull=False).values_list(
                "rank",
                "score",
                "size_class",
                "node_scores",
                "enterprise__province_id",
                "enterprise__isic__code",
            )
        )
        out = {}
        for name, key in (
            ("province", lambda r: r[4]),
            ("division", lambda r: r[5][:2]),
            ("band", lambda r: r[2]),
        ):
            buckets = defaultdict(list)
            for row in rows:
                buckets[key(row)].append(row)
            table = []
            for value, members in buckets.items():
                table.append(
                    {
                        "key": value,
                        "n": len(members),
                        "top": sum(1 for m in members if m[0] <= edition.top_k),
                        "score": quantiles(m[1] for m in members),
                        "pillars": {
                            c: (q or {}).get("median")
                            for c in codes
                            for q in [quantiles((m[3] or {}).get(c) for m in members)]
                        },
                    }
                )
            if name == "band":
                table.sort(key=lambda g: band_sort_key(g["key"]))
            else:
                table.sort(key=lambda g: (-g["top"], -g["n"], str(g["key"])))
            out[name] = table
        return out

    return cached(edition, "distributions", compute)
