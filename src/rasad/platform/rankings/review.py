"""What an analyst reviews before publishing an edition: the score distribution, the rank
intervals of the top list, the sensitivity summary and what changed since the last
published edition. Plain data for the templates; no HTML here."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _

from rasad.iran.text import to_persian_digits
from rasad.platform.language import current, persian
from rasad.platform.rankings import coverage
from rasad.platform.rankings.models import Edition, EditionJob, EditionResult
from rasad.platform.registry.models import Enterprise
from rasad.platform.web.templatetags.rasad_format import num

MOVERS = 10


def previous_published(edition: Edition) -> Edition | None:
    """The edition the public saw last before this one: the latest published edition
    other than ``edition`` (published before it, when it is itself published)."""
    editions = Edition.objects.filter(status=Edition.Status.PUBLISHED).exclude(pk=edition.pk)
    if edition.published_at is not None:
        editions = editions.filter(published_at__lt=edition.published_at)
    return editions.select_related("period").order_by("-published_at", "-pk").first()


def analysis_job(edition: Edition) -> EditionJob | None:
    """The finished job that computed the edition's current results (and its sensitivity)."""
    if edition.computed_at is None:
        return None
    return (
        edition.jobs.filter(status=EditionJob.Status.DONE, finished_at__gte=edition.computed_at)
        .order_by("-finished_at", "-pk")
        .first()
    )


# --- the score distribution --------------------------------------------------------------


@dataclass
class Histogram:
    """Bars in an SVG box of ``width`` × ``height`` user units (origin top left), with the
    plot area inside ``left``/``bottom`` margins and the cut-off of the top list."""

    width: int = 640
    height: int = 220
    left: int = 44
    right: int = 12
    top: int = 10
    bottom: int = 30
    bars: list[dict] = field(default_factory=list)
    x_ticks: list[dict] = field(default_factory=list)
    y_ticks: list[dict] = field(default_factory=list)
    cutoff: dict | None = None
    count: int = 0

    @property
    def plot_bottom(self) -> int:
        return self.height - self.bottom

    @property
    def plot_right(self) -> int:
        return self.width - self.right


def nice_step(span: float, target: int) -> float:
    raw = span / max(target, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * magnitude:
            return multiple * magnitude
    return 10 * magnitude


def score_histogram(edition: Edition, bins: int = 20) -> Histogram:
    scores = np.array(
        list(edition.results.filter(score__isnull=False).values_list("score", flat=True)),
        dtype=float,
    )
    chart = Histogram(count=len(scores))
    if not len(scores):
        return chart
    low, high = math.floor(scores.min()), math.ceil(scores.max())
    if high <= low:
        high = low + 1
    counts, edges = np.histogram(scores, bins=bins, range=(low, high))
    plot_w = chart.plot_right - chart.left
    plot_h = chart.plot_bottom - chart.top
    y_step = nice_step(max(counts.max(), 1), 4)
    y_max = max(y_step * math.ceil(max(counts.max(), 1) / y_step), 1)
    bar_w = plot_w / bins

    def x_of(value: float) -> float:
        return chart.left + (value - low) / (high - low) * plot_w

    for i, n in enumerate(counts):
        h = plot_h * n / y_max
        chart.bars.append(
            {
                "x": round(chart.left + i * bar_w + 0.5, 2),
                "w": round(max(bar_w - 1, 0.5), 2),
                "y": round(chart.plot_bottom - h, 2),
                "h": round(h, 2),
                "low": float(edges[i]),
                "high": float(edges[i + 1]),
                "n": int(n),
            }
        )
    x_step = nice_step(high - low, 5)
    tick = math.ceil(low / x_step) * x_step
    while tick <= high + 1e-9:
        chart.x_ticks.append({"x": round(x_of(tick), 2), "value": tick})
        tick += x_step
    tick = 0.0
    while tick <= y_max + 1e-9:
        chart.y_ticks.append(
            {"y": round(chart.plot_bottom - plot_h * tick / y_max, 2), "value": tick}
        )
        tick += y_step
    last = (
        edition.results.filter(rank__isnull=False, rank__lte=edition.top_k)
        .order_by("-rank")
        .values_list("score", flat=True)
        .first()
    )
    if last is not None:
        chart.cutoff = {"x": round(x_of(last), 2), "score": last}
    return chart


# --- rank intervals of the top list ----------------------------------------------------------


def rank_intervals(edition: Edition) -> dict:
    """The top list with each enterprise's 5–95% rank interval as a bar on a common
    logarithmic rank scale (``start`` and ``width`` in percent of the scale from rank 1),
    so that an interval of 2–8 is as visible as one of 20–80, and its coverage."""
    rows = list(
        edition.results.filter(rank__isnull=False, rank__lte=edition.top_k)
        .select_related("enterprise", "enterprise__province")
        .order_by("rank")
    )
    coverage.describe_rows(rows, edition.methodology.parsed())
    scale = max([edition.top_k, *(r.rank_q95 for r in rows if r.rank_q95 is not None)])
    scale = max(float(scale), 2.0)

    def pct(rank: float) -> float:
        return round(100 * math.log(max(rank, 1.0)) / math.log(scale), 2)

    for row in rows:
        if row.rank_q05 is not None and row.rank_q95 is not None:
            row.bar_start = pct(row.rank_q05)
            row.bar_width = max(round(pct(row.rank_q95) - pct(row.rank_q05), 2), 0.6)
        else:
            row.bar_start = row.bar_width = None
        row.dot = pct(row.rank)
    ticks = [{"rank": r, "at": pct(r)} for r in (1, 10, 100, 1000, 10_000, 100_000) if r <= scale]
    if ticks[-1]["at"] < 85:
        ticks.append({"rank": math.ceil(scale), "at": 100.0})
    return {
        "rows": rows,
        "scale": scale,
        "ticks": ticks,
        "top_mark": pct(edition.top_k + 0.5) if scale > edition.top_k else None,
    }


# --- the indicators left blank ----------------------------------------------------------------


def blanks(edition: Edition) -> dict:
    """Among the ranked enterprises: how many reported every indicator, and how many
    left each indicator blank (most often first), with what the methodology did with a
    blank. ``recorded`` is False for an edition computed before coverage was stored."""
    method = edition.methodology.parsed()
    missing = list(edition.results.filter(rank__isnull=False).values_list("missing", flat=True))
    recorded = [codes for codes in missing if codes is not None]
    counts = Counter(code for codes in recorded for code in codes)
    language = current()
    indicators = [
        {
            "code": i.code,
            "name": i.name.get(language),
            "n": counts[i.code],
            "share": counts[i.code] / len(recorded),
        }
        for i in method.indicators
        if counts[i.code]
    ]
    return {
        "recorded": bool(recorded),
        "ranked": len(missing),
        "complete": sum(1 for codes in recorded if not codes),
        "indicators": sorted(indicators, key=lambda row: -row["n"]),
        "treatment": coverage.treatment(method),
    }


# --- sensitivity -------------------------------------------------------------------------


def input_label(name: str) -> str:
    if name.startswith("weights."):
        level = name.split(".", 1)[1]
        if level == "1":
            return _("Indicator weights (level 1)")
        if persian():
            level = to_persian_digits(level)
        return _("Weights at tree level %(level)s") % {"level": level}
    return {
        "weights": _("Weights, every level as one input"),
        "normalise": _("Normalisation method"),
        "aggregate": _("Aggregation method"),
        "impute": _("Imputation of missing figures"),
        "drop": _("Leaving one indicator out"),
        "winmax": _("Winsorisation limit"),
    }.get(name, name)


def sensitivity_rows(job: EditionJob | None) -> list[dict]:
    if job is None or not job.sensitivity:
        return []
    rows = []
    for entry in job.sensitivity:
        total = entry.get("STi")
        rows.append(
            {
                **entry,
                "label": input_label(entry["input"]),
                "bar": None if total is None else round(100 * min(max(total, 0.0), 1.0), 1),
            }
        )
    return sorted(rows, key=lambda r: -(r["STi"] if r["STi"] is not None else -1))


# --- what changed since the last published edition --------------------------------------------


@dataclass
class Changes:
    previous: Edition
    up: list[dict]
    down: list[dict]
    entries: list[dict]
    exits: list[dict]
    compared: int  # enterprises ranked in both
    newly_ranked: int
    no_longer_ranked: int


def _ranks(edition: Edition) -> dict[int, int]:
    return dict(
        EditionResult.objects.filter(edition=edition, rank__isnull=False).values_list(
            "enterprise_id", "rank"
        )
    )


def changes(edition: Edition, previous: Edition | None, n: int = MOVERS) -> Changes | None:
    """Movers (largest rises and falls among the enterprises ranked in both editions,
    ties by the current rank), and the entries to and exits from the top list."""
    if previous is None:
        return None
    now, before = _ranks(edition), _ranks(previous)
    both = now.keys() & before.keys()
    shifts = [(firm, before[firm] - now[firm]) for firm in both]
    up = sorted((s for s in shifts if s[1] > 0), key=lambda s: (-s[1], now[s[0]]))[:n]
    down = sorted((s for s in shifts if s[1] < 0), key=lambda s: (s[1], now[s[0]]))[:n]
    entries = sorted(
        (
            f
            for f, r in now.items()
            if r <= edition.top_k and before.get(f, previous.top_k + 1) > previous.top_k
        ),
        key=now.get,
    )
    exits = sorted(
        (
            f
            for f, r in before.items()
            if r <= previous.top_k and now.get(f, edition.top_k + 1) > edition.top_k
        ),
        key=before.get,
    )
    listed = {f for f, _ in up + down} | set(entries) | set(exits)
    firms = Enterprise.objects.in_bulk(listed)
    covered = coverage.by_enterprise(edition, listed)

    def row(firm: int, shift: int | None = None) -> dict:
        return {
            "enterprise": firms[firm],
            "rank": now.get(firm),
            "previous_rank": before.get(firm),
            "shift": shift,
            "change": None if shift is None else abs(shift),
            "coverage": covered.get(firm),
        }

    return Changes(
        previous=previous,
        up=[row(f, s) for f, s in up],
        down=[row(f, s) for f, s in down],
        entries=[row(f) for f in entries],
        exits=[row(f) for f in exits],
        compared=len(both),
        newly_ranked=len(now.keys() - before.keys()),
        no_longer_ranked=len(before.keys() - now.keys()),
    )


def movers(edition: Edition, changes: Changes) -> list[tuple[str, list, str]]:
    """The movers' tables (the edition report's and the public Top-100's): title, rows
    and kind (``up`` and ``down`` have a change column; ``entries``, ``exits``)."""
    k = num(edition.top_k)
    return [
        (_("Largest rises"), changes.up, "up"),
        (_("Largest falls"), changes.down, "down"),
        (
            _("Entries to the top %(k)s (%(n)s)") % {"k": k, "n": num(len(changes.entries))},
            changes.entries,
            "entries",
        ),
        (
            _("Exits from the top %(k)s (%(n)s)")
            % {"k": num(changes.previous.top_k), "n": num(len(changes.exits))},
            changes.exits,
            "exits",
        ),
    ]
