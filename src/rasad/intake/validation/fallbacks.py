"""Which cells left a column-at-once path for the careful one, and why.

Every fast path (plain figures read for a whole column, names normalised together,
valid IDs checked together, enterprises repeated in agreement merged at once) hands
what it cannot settle to a careful parser that gives the same answers. A fast path that
settled nothing would therefore go unnoticed by every test that compares answers; while
:func:`watch` is active, each hand-over is recorded so that a test can say an ordinary
file never takes it, and a file with one odd cell takes it only there. Outside
:func:`watch` nothing is recorded and nothing is computed for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

NUMBER = "not a plain number"
TEXT = "not plain text"
NATIONAL_ID = "not 11 digits with the right check digit"
REPEATED_ENTERPRISE = "an enterprise repeated with different details"


@dataclass(frozen=True)
class Fallback:
    """Cells of one column (the Excel rows of ``sheet``) parsed or compared carefully."""

    sheet: str
    field: str
    rows: tuple[int, ...]
    reason: str


_SEEN: ContextVar[list[Fallback] | None] = ContextVar("rasad_intake_fallbacks", default=None)


@contextmanager
def watch() -> Iterator[list[Fallback]]:
    """Record, in the list given, every fallback of the checks run inside."""
    seen: list[Fallback] = []
    token = _SEEN.set(seen)
    try:
        yield seen
    finally:
        _SEEN.reset(token)


def watching() -> bool:
    return _SEEN.get() is not None


def record(sheet: str, field: str, rows: Iterable[int], reason: str) -> None:
    seen = _SEEN.get()
    if seen is None:
        return
    rows = tuple(int(row) for row in rows)
    if rows:
        seen.append(Fallback(sheet, field, rows, reason))
