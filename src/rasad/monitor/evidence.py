"""An alert's evidence in words, in Persian or English.

The rules (:mod:`rasad.monitor.rules`) keep their evidence as data: the periods whose
return is missing, a figure with its plausible range, a figure before and after a jump,
or a KPI and its inputs period by period. A reader needs names and sentences, not keys
such as ``missing: [1404]``; this module gives them, each line a name and its labelled
values, the numbers written by the caller's formatter (digits of the reader's language).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

from rasad.iran.text import format_number, to_persian_digits
from rasad.methodologies import load_catalogue

from .kpis import KPIS


@cache
def _names() -> dict[str, tuple[str, str]]:
    names = {spec.code: (spec.name_fa, spec.name_en) for spec in load_catalogue()}
    names.update({code: (spec.name_fa, spec.name_en) for code, spec in KPIS.items()})
    return names


def _number(value, language: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    value = float(value)
    decimals = 0 if value.is_integer() or abs(value) >= 100 else 3
    return format_number(value, decimals=decimals, persian_digits=language.startswith("fa"))


def evidence_lines(
    evidence: dict | None, language: str = "fa", number: Callable[[object], str] | None = None
) -> list[dict]:
    """``[{"name": ..., "values": [(label, text), ...]}]``: one line per item of an
    alert's evidence. ``number`` writes a value (default: :func:`format_number` in the
    language's digits)."""
    fa = language.startswith("fa")
    write = number or (lambda value: _number(value, language))

    def period(p) -> str:
        return to_persian_digits(str(p)) if fa else str(p)

    def name(code: str) -> str:
        pair = _names().get(code)
        return code if pair is None else pair[0 if fa else 1]

    lines = []
    for key, values in (evidence or {}).items():
        if key == "missing":
            joined = ("، " if fa else ", ").join(period(p) for p in values)
            lines.append(
                {
                    "name": "اظهارنامهٔ نرسیده" if fa else "Returns not received",
                    "values": [("دوره‌های" if fa else "periods", joined)],
                }
            )
        elif isinstance(values, dict) and "plausible_min" in values:
            low, high = values["plausible_min"], values["plausible_max"]
            bounds = (
                f"{write(low)} – {write(high)}"
                if low is not None and high is not None
                else (f"≥ {write(low)}" if low is not None else f"≤ {write(high)}")
            )
            lines.append(
                {
                    "name": name(key),
                    "values": [
                        ("گزارش‌شده" if fa else "reported", write(values["value"])),
                        ("بازهٔ پذیرفتنی" if fa else "plausible range", bounds),
                    ],
                }
            )
        elif isinstance(values, dict) and "ratio" in values:
            figures = [
                (period(p), write(v)) for p, v in values.items() if p not in ("ratio", "factor")
            ]
            jump = ("جهش ×" if fa else "jump ×") + write(values["ratio"])
            lines.append({"name": name(key), "values": [*figures, ("", jump)]})
        elif isinstance(values, dict):
            lines.append(
                {"name": name(key), "values": [(period(p), write(v)) for p, v in values.items()]}
            )
        else:
            shown = write(values) if isinstance(values, int | float) else str(values)
            lines.append({"name": name(key), "values": [("", shown)]})
    return lines
