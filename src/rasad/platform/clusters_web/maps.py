"""The province map of the cluster list: the 31 outlines (drawn by :mod:`.make_map`)
filled by a measure of each province."""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

from rasad.platform.clusters_web import compute
from rasad.platform.clusters_web.names import province_name

MAP_FILE = Path(__file__).parent / "static" / "clusters_web" / "provinces.json"
# a sequential blue scale, light to dark (no data: grey)
PALETTE = ("#e8f0fb", "#c4d8f4", "#91b8ea", "#5a92d9", "#2f6dc0", "#184c93")
NO_DATA = "#eeeeee"


@lru_cache(maxsize=1)
def _outlines() -> dict:
    return json.loads(MAP_FILE.read_text())


def province_map(values: dict[int, float], measure_label, decimals: int = 0) -> dict:
    """The 31 outlines, each filled by its value's class: equal intervals over the range,
    or one class per value when the values are a few whole numbers (counts of clusters,
    say), so that no two legend entries read the same."""
    outlines = _outlines()
    known = [v for v in values.values() if v is not None and not math.isnan(v)]
    low, high = (min(known), max(known)) if known else (0.0, 0.0)
    few_counts = (
        decimals == 0
        and bool(known)
        and high - low < len(PALETTE)
        and all(float(v).is_integer() for v in known)
    )
    colour_of = _count_colours(int(low), int(high)) if few_counts else {}
    shapes = []
    for code, shape in outlines["provinces"].items():
        value = values.get(int(code))
        if value is None or math.isnan(value):
            colour = NO_DATA
        elif few_counts:
            colour = colour_of[int(value)]
        else:
            cls = (
                0
                if high == low
                else min(len(PALETTE) - 1, int((value - low) / (high - low) * len(PALETTE)))
            )
            colour = PALETTE[cls]
        shapes.append(
            {
                "code": int(code),
                "d": shape["d"],
                "fill": colour,
                "value": value,
                "name": province_name(code),
            }
        )
    return {
        "viewbox": outlines["viewbox"],
        "shapes": shapes,
        "legend": _legend(known, low, high, colour_of),
        "label": measure_label,
        "decimals": decimals,
    }


def _count_colours(low: int, high: int) -> dict[int, str]:
    """One colour per whole number from ``low`` to ``high``, spread over the palette."""
    levels = list(range(low, high + 1))
    top = max(len(levels) - 1, 1)
    return {v: PALETTE[round(i * (len(PALETTE) - 1) / top)] for i, v in enumerate(levels)}


def _legend(known: list[float], low: float, high: float, colour_of: dict[int, str]) -> list:
    if colour_of:
        return [{"colour": colour, "low": v, "high": None} for v, colour in colour_of.items()]
    if known and high > low:
        step = (high - low) / len(PALETTE)
        return [
            {"colour": c, "low": low + i * step, "high": low + (i + 1) * step}
            for i, c in enumerate(PALETTE)
        ]
    return [{"colour": PALETTE[0], "low": low, "high": None}] if known else []


def map_values(a: compute.Analysis, measure: str) -> tuple[dict[int, float], int]:
    """Each province's value of ``measure`` (a key of the list page's measures) and the
    decimals to show it with."""
    if not len(a.stars):
        return {}, 0
    if measure == "krugman":
        return {int(r.province_code): float(r.krugman) for r in a.krugman.itertuples()}, 2
    by = a.stars.groupby("province_code")
    if measure == "stars":
        return {int(k): float(v) for k, v in by["stars"].max().items()}, 0
    if measure == "employment":
        return {int(k): float(v) for k, v in by["value"].sum().items()}, 0
    identified = a.stars["stars"] >= compute.MIN_STARS
    return {
        int(k): float(v) for k, v in identified.groupby(a.stars["province_code"]).sum().items()
    }, 0
