"""Figures: counts, money, shares, read a whole column at once where they are plain.

Numbers Excel stored, and text that is a plain number once Persian and Arabic-Indic
digits are Latin and thousands separators are dropped (what most files hold: "1250",
"۱۲٬۵۰۰"), are read for the whole column at once; only the other cells ("(1,200)",
"1٬2", "بله", "#N/A") go through the careful parser, one by one, each with its own
message.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from itertools import repeat

import numpy as np

from rasad.errors import RasadInputError
from rasad.iran.text import format_number, parse_number, to_latin_digits

from .cells import Bad, bad_from, excel_error

_BLANK, _NUMBER, _TEXT, _OTHER = range(4)
_CELL_KINDS = {
    type(None): _BLANK,
    int: _NUMBER,
    float: _NUMBER,
    str: _TEXT,
}  # exact types: bool is no number

# A figure grouped in thousands with one kind of separator (or not at all), perhaps with
# a Persian decimal point: what parse_number reads as the same digits ungrouped.
_GROUPED_FIGURE = re.compile(
    r"^(-?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,3}(?:٬[0-9]{3})+|[0-9]+)(?:[.٫]([0-9]+))?$",
    re.MULTILINE,
)


def careful_number(value, percent: bool) -> float:
    excel_error(value)
    if isinstance(value, datetime.date | datetime.time):
        raise Bad(
            "type",
            f"{value} is a date, not a number; format the cell as a number.",
            f"{value} تاریخ است، نه عدد؛ قالب خانه را عدد کنید.",
        )
    if percent and isinstance(value, str):
        value = (
            value.strip().removesuffix("%").removesuffix("٪").removeprefix("%").removeprefix("٪")
        )
    try:
        return parse_number(value)
    except RasadInputError as error:
        raise bad_from(error, "type") from None


PlainNumbers = Callable[[list[str]], tuple[np.ndarray, np.ndarray]]


def numbers_at_once(values: list, plain: PlainNumbers) -> tuple[np.ndarray, np.ndarray]:
    """A column as floats where it holds numbers or plain figures (NaN elsewhere), and
    the positions left for the careful parser (``plain`` reads the text cells, once
    :func:`ungrouped`)."""
    n = len(values)
    kinds = set(map(type, values)) - {type(None)}
    if kinds <= {int, float}:  # not bool: a yes/no is no quantity
        return np.array(values, dtype=float), np.empty(0, dtype=np.int64)  # None becomes NaN
    out = np.full(n, np.nan)
    array = np.fromiter(values, dtype=object, count=n)
    kind_of = np.fromiter(
        map(_CELL_KINDS.get, map(type, values), repeat(_OTHER)), dtype=np.int8, count=n
    )
    numeric = kind_of == _NUMBER
    out[numeric] = array[numeric].astype(float)
    text = np.flatnonzero(kind_of == _TEXT)
    cells = array[text].tolist()
    parsed, is_plain = plain(ungrouped(cells))
    out[text[is_plain]] = parsed[is_plain]
    unread = kind_of == _OTHER
    unread[text[~is_plain]] = True
    return out, np.flatnonzero(unread)


def ungrouped(cells: list[str]) -> list[str]:
    """The text cells with figures grouped in thousands ("۱۲٬۵۰۰", "1,250") or written
    with the Persian decimal point ("۴۰٫۵") rewritten as plain ones, which
    :func:`~rasad.iran.text.parse_number` reads as the same number; every other cell as
    it is. A column without a separator or a Persian decimal point is returned whole."""
    joined = "\n".join(cells)
    if not any(mark in joined for mark in ",٬٫") or joined.count("\n") != len(cells) - 1:
        return cells
    return _GROUPED_FIGURE.sub(_ungroup, to_latin_digits(joined)).split("\n")


def _ungroup(match: re.Match) -> str:
    sign, whole, fraction = match.groups()
    whole = whole.replace(",", "").replace("٬", "")
    return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"


def plain_numbers(cells: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Which text cells are plain numbers (``-?[0-9]+(\\.[0-9]+)?`` once Persian and
    Arabic-Indic digits are Latin), and their values, for a whole column at once.

    :func:`~rasad.iran.text.parse_number` reads such a cell as exactly ``float`` of
    its Latin text, so nothing is lost by skipping it; the shape is checked on the
    column's bytes (one line per cell) rather than cell by cell. Cells holding a line
    break or a NUL leave the whole column to the careful parser.
    """
    n = len(cells)
    values, plain = np.full(n, np.nan), np.zeros(n, dtype=bool)
    joined = "\n".join(cells)
    if not n or "\0" in joined or joined.count("\n") != n - 1:
        return values, plain
    latin = to_latin_digits(joined)
    b = np.frombuffer(
        latin.encode(), dtype=np.uint8
    )  # a line break is never inside a UTF-8 character
    newline = b == ord("\n")
    line = np.cumsum(newline) - newline  # the cell each byte belongs to
    digit = (b >= ord("0")) & (b <= ord("9"))
    dot, minus = b == ord("."), b == ord("-")
    starts = np.ones_like(newline)
    starts[1:] = newline[:-1]
    after_digit, before_digit = np.zeros_like(digit), np.zeros_like(digit)
    after_digit[1:], before_digit[:-1] = digit[:-1], digit[1:]
    bad = ~(digit | dot | minus | newline)
    bad |= minus & ~(starts & before_digit)  # a sign comes first, then a digit
    bad |= dot & ~(after_digit & before_digit)  # a point sits between digits
    plain = (
        (np.bincount(line[bad], minlength=n) == 0)
        & (np.bincount(line[dot], minlength=n) <= 1)
        & (np.bincount(line[digit], minlength=n) > 0)
    )
    if plain.all():
        values = np.fromstring(latin, dtype=float, sep="\n")
    elif plain.any():
        parts = latin.split("\n")
        values[plain] = np.array(
            [parts[i] for i in np.flatnonzero(plain).tolist()], dtype=object
        ).astype(float)
    return values, plain


def fa_number(x: float) -> str:
    return format_number(x, decimals=0 if float(x).is_integer() else 2)


def en_number(x: float) -> str:
    return format_number(x, decimals=0 if float(x).is_integer() else 2, persian_digits=False)
