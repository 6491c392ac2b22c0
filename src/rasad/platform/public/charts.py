"""Chart geometry for the templates: positions in percent, colours as CSS variables.

The charts are drawn by the browser from HTML and CSS (boxes, bars, dots) or from SVG
shapes with no text in them; every label is HTML next to the chart, so Persian is shaped
and laid out right to left by the browser like any other text, with no chart library
and nothing loaded from the internet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# one colour per pillar, in the methodology's order (colour-blind-safe, Okabe–Ito + two)
PALETTE = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#d55e00",
    "#6b6b6b",
    "#f0e442",
    "#000000",
)


def css(value: float) -> str:
    """A number for a style attribute: never localised, never in Persian digits."""
    return f"{value:.2f}"


def scale_of(values, low: float = 0.0, high: float = 100.0) -> tuple[float, float]:
    """0–100 (the usual score range), widened to hold every value given."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return min([low, *finite]), max([high, *finite])


def at(value: float | None, scale: tuple[float, float]) -> str | None:
    if value is None or not math.isfinite(value):
        return None
    low, high = scale
    return css(min(max(100 * (value - low) / (high - low or 1), 0.0), 100.0))


def track(
    quantiles: dict | None,
    scale: tuple[float, float],
    *,
    value: float | None = None,
    reference: float | None = None,
) -> dict:
    """A box plot on one line: whiskers 5–95%, box 25–75%, the median, and optionally a
    dot (``value``: the enterprise) and a mark (``reference``: e.g. the national median)."""
    out = {"dot": at(value, scale), "reference": at(reference, scale), "box": None}
    if quantiles:
        q05, q25, q50, q75, q95 = (
            float(at(quantiles[k], scale)) for k in ("q05", "q25", "median", "q75", "q95")
        )
        out["box"] = {
            "whisker_start": css(q05),
            "whisker_width": css(max(q95 - q05, 0.3)),
            "start": css(q25),
            "width": css(max(q75 - q25, 0.6)),
            "median": css(q50),
        }
    return out


def heat(value: float | None) -> dict | None:
    """A table cell shaded by a 0–100 score (clamped)."""
    if value is None or not math.isfinite(value):
        return None
    shade = min(max(value, 0.0), 100.0)
    return {"value": value, "shade": css(shade), "dark": shade >= 60}


def ticks(scale: tuple[float, float]) -> list[dict]:
    """Round values along a 0–100-like ``scale`` (at most about six), where they fall."""
    low, high = scale
    step = next(
        (s for s in (1, 2, 5, 10, 20, 25, 50) if (high - low) / s <= 6),
        10 ** math.ceil(math.log10(max(high - low, 1))),
    )
    out, tick = [], math.ceil(low / step) * step
    while tick <= high + 1e-9:
        out.append({"value": tick, "at": at(tick, scale)})
        tick += step
    return out


def log_position(rank: float, scale: float) -> float:
    """Where ``rank`` sits on a logarithmic scale from rank 1 (0%) to ``scale`` (100%), so
    an interval of 2–8 shows as clearly as one of 20–80."""
    return round(100 * math.log(max(rank, 1.0)) / math.log(max(scale, 2.0)), 2)


def interval_bar(result, scale: float) -> dict | None:
    """A result's 5–95% rank interval (and its rank as a dot) on the log scale."""
    if result.rank_q05 is None or result.rank_q95 is None:
        return None
    start = log_position(result.rank_q05, scale)
    width = max(log_position(result.rank_q95, scale) - start, 0.8)
    return {
        "start": f"{start:.2f}",
        "width": f"{width:.2f}",
        "dot": f"{log_position(result.rank, scale):.2f}" if result.rank else None,
    }


def log_ticks(scale: float) -> list[dict]:
    """Ranks 1, 10, 100… under the interval bars, where they fall on the log scale."""
    return [
        {"value": r, "at": f"{log_position(r, scale):.2f}"}
        for r in (1, 10, 100, 1000, 10_000, 100_000)
        if r <= scale
    ]


def runs(items) -> list[list[tuple[int, object]]]:
    """The runs of consecutive known items: [[(i, item), ...], ...]."""
    out, current = [], []
    for i, item in enumerate(items):
        if item is None:
            if current:
                out.append(current)
            current = []
        else:
            current.append((i, item))
    if current:
        out.append(current)
    return out


@dataclass(frozen=True)
class Frame:
    """Where values land in a line chart's SVG: ``n`` points evenly spaced on x, y from
    ``low`` to ``high`` (upside down when ``invert``), ``pad`` pixels from each edge."""

    n: int
    low: float
    high: float
    width: int
    height: int
    pad: int
    invert: bool

    def x(self, i: int) -> float:
        return self.pad + (self.width - 2 * self.pad) * (i / (self.n - 1) if self.n > 1 else 0.5)

    def y(self, v: float) -> float:
        share = (v - self.low) / (self.high - self.low or 1)
        return self.pad + (self.height - 2 * self.pad) * (share if self.invert else 1 - share)

    def draw(self, s: dict) -> dict:
        """A series with its polylines (``segments``), shaded ``bands`` and ``points``."""
        x, y = self.x, self.y
        segments = [" ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in run) for run in runs(s["values"])]
        bands = [
            " ".join(
                [f"{x(i):.1f},{y(b[1]):.1f}" for i, b in run]
                + [f"{x(i):.1f},{y(b[0]):.1f}" for i, b in reversed(run)]
            )
            for run in runs(s.get("band") or [])
        ]
        points = [
            {"cx": css(x(i)), "cy": css(y(v))} for i, v in enumerate(s["values"]) if v is not None
        ]
        return {**s, "segments": segments, "bands": bands, "points": points}

    def y_ticks(self, step: float | None) -> list[dict]:
        low, high = self.low, self.high
        if step is None:
            step = 25 if high - low <= 150 else 10 ** math.floor(math.log10(high - low))
        out, tick = [], math.ceil(low / step) * step
        while tick <= high + 1e-9:
            out.append(
                {
                    "value": tick,
                    "top": css(100 * self.y(tick) / self.height),
                    "y": css(self.y(tick)),
                }
            )
            tick += step
        return out


def lines(
    series: list[dict],
    *,
    x_labels: list[str],
    low: float = 0.0,
    high: float = 100.0,
    width: int = 640,
    height: int = 240,
    pad: int = 14,
    invert: bool = False,
    step: float | None = None,
) -> dict:
    """A line chart in an SVG of ``width`` × ``height``: one polyline per series (its
    ``values`` may hold None, which breaks the line), x evenly spaced. A series may have
    a ``band``: (low, high) or None per value, drawn as a shaded polygon behind the line
    (each run of known pairs its own). ``invert`` puts ``low`` at the top (ranks: 1 is
    best); ``step``, the distance between the y ticks (by default 25 up to a span of 150,
    else a power of ten). The axis labels are returned as percentages for HTML placed
    over and under the SVG."""
    values = [
        v
        for s in series
        for v in [*s["values"], *(b for pair in s.get("band") or () if pair for b in pair)]
        if v is not None
    ]
    if values:
        low, high = min(low, *values), max(high, *values)
    frame = Frame(len(x_labels), low, high, width, height, pad, invert)
    return {
        "width": width,
        "height": height,
        "series": [frame.draw(s) for s in series],
        "y_ticks": frame.y_ticks(step),
        "x_labels": [
            {"label": label, "left": css(100 * frame.x(i) / width)}
            for i, label in enumerate(x_labels)
        ],
        "x0": pad,
        "x1": width - pad,
    }
