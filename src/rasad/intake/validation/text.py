"""Free text (names, an estate written as is): normalised Persian, one column at once."""

from __future__ import annotations

from rasad.iran.text import ZWNJ, normalize_text

from .cells import ASK_PARSER, EXCEL_ERRORS, excel_error


def text(value) -> str:
    excel_error(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalize_text(str(value))


def texts(values: list) -> list:
    """:func:`text` of every plain string among ``values`` in one pass: the strings
    are joined with NUL (which no rule of :func:`normalize_text` touches or crosses),
    normalised together and split again; the rest are left to :func:`text`."""
    out = [ASK_PARSER] * len(values)
    chosen = [
        k for k, value in enumerate(values)
        if value.__class__ is str and value.strip() not in EXCEL_ERRORS and "\0" not in value
    ]  # fmt: skip
    if chosen:
        pieces = normalize_text("\0".join(values[k] for k in chosen)).split("\0")
        for k, piece in zip(chosen, pieces, strict=True):
            out[k] = piece.strip(" " + ZWNJ)
    return out
