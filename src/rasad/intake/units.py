"""Money units people write in Iranian spreadsheets, and their factor to million rials.

The catalogue keeps every money figure in million rials, but files arrive in rials,
thousand rials, tomans (ten rials) and so on: declared in a header ("فروش (ریال)"), in
a heading above several columns ("ارقام به میلیون ریال") or in a unit column. A
figure read in the wrong unit is off by a power of ten and would silently distort
every ratio, so each unit is recognised by name and converted with an exact factor.

Factors are :class:`fractions.Fraction` and applied as ``value * numerator /
denominator``: 12,345,000,000 rials become exactly 12,345 million rials, not
12345.000000000002.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from rasad.errors import RasadInputError
from rasad.iran.text import normalize_text


@dataclass(frozen=True)
class MoneyUnit:
    """A money unit and how many million rials one of it is worth."""

    code: str
    name_fa: str
    name_en: str
    factor: Fraction  # million rials per unit

    def convert(self, value: float) -> float:
        """``value`` in this unit, expressed in million rials."""
        return value * self.factor.numerator / self.factor.denominator


MILLION_RIALS = MoneyUnit("million_rials", "میلیون ریال", "million rials", Fraction(1))

UNITS: tuple[MoneyUnit, ...] = (
    MoneyUnit("rials", "ریال", "rials", Fraction(1, 10**6)),
    MoneyUnit("thousand_rials", "هزار ریال", "thousand rials", Fraction(1, 10**3)),
    MILLION_RIALS,
    MoneyUnit("billion_rials", "میلیارد ریال", "billion rials", Fraction(10**3)),
    MoneyUnit("tomans", "تومان", "tomans", Fraction(1, 10**5)),
    MoneyUnit("thousand_tomans", "هزار تومان", "thousand tomans", Fraction(1, 10**2)),
    MoneyUnit("million_tomans", "میلیون تومان", "million tomans", Fraction(10)),
    MoneyUnit("billion_tomans", "میلیارد تومان", "billion tomans", Fraction(10**4)),
)
_BY_CODE = {unit.code: unit for unit in UNITS}

# Spellings of each unit (already normalised: Persian ی/ک, lower case). English
# abbreviations used by accountants are included; "IRR" is the ISO code of the rial.
_SPELLINGS = {
    "rials": ("ریال", "rial", "rials", "irr"),
    "thousand_rials": ("هزار ریال", "thousand rial", "thousand rials", "k rials", "000 rials"),
    "million_rials": (
        "میلیون ریال", "million rial", "million rials", "mn rials", "m rials", "mrials",
        "million irr",
    ),
    "billion_rials": ("میلیارد ریال", "billion rial", "billion rials", "bn rials"),
    "tomans": ("تومان", "toman", "tomans"),
    "thousand_tomans": ("هزار تومان", "thousand toman", "thousand tomans"),
    "million_tomans": ("میلیون تومان", "million toman", "million tomans"),
    "billion_tomans": ("میلیارد تومان", "billion toman", "billion tomans"),
}  # fmt: skip
_LOOKUP = {
    spelling: _BY_CODE[code] for code, spellings in _SPELLINGS.items() for spelling in spellings
}


def _phrase(spelling: str) -> str:
    # Words may be separated by spaces, a ZWNJ or nothing ("میلیون‌ریال").
    return r"[ \u200c]?".join(re.escape(word) for word in spelling.split(" "))


# Longest first, so "میلیون ریال" wins over "ریال"; word edges so "ریالی" (in rials,
# an adjective) or "trial" never count as a unit.
_UNIT_PATTERN = re.compile(
    r"(?<!\w)(?:"
    + "|".join(_phrase(s) for s in sorted(_LOOKUP, key=len, reverse=True))
    + r")(?!\w)"
)


def _clean(text: str) -> str:
    return normalize_text(str(text)).casefold()


def _key(found: str) -> str:
    return " ".join(found.replace("\u200c", " ").split())


def find_unit_in(text) -> MoneyUnit | None:
    """The money unit mentioned anywhere in a header text, or ``None``.

    "فروش (ریال)", "Sales, thousand rials" and "ارقام به میلیون ریال" all name one.
    """
    if not isinstance(text, str):
        return None
    match = _UNIT_PATTERN.search(_clean(text))
    if match is None:
        return None
    return _lookup(match.group())


def _lookup(found: str) -> MoneyUnit | None:
    key = _key(found)
    if key in _LOOKUP:
        return _LOOKUP[key]
    # "میلیونریال": the pattern allows words written together
    squeezed = {k.replace(" ", ""): unit for k, unit in _LOOKUP.items()}
    return squeezed.get(key.replace(" ", ""))


def strip_units(text: str) -> str:
    """``text`` without any unit phrase, so "فروش به ریال" can be matched as "فروش"."""
    return _UNIT_PATTERN.sub(" ", _clean(text))


def parse_unit(text, *, field: str | None = None) -> MoneyUnit:
    """The unit a cell of a unit column names: the whole cell must be one unit.

    Unlike :func:`find_unit_in`, extra words are an error here, because a unit column
    that says "ریال یا تومان" cannot be obeyed.
    """
    if isinstance(text, MoneyUnit):
        return text
    if isinstance(text, str):
        cleaned = " ".join(_clean(text).replace("\u200c", " ").split()).strip("()[] ")
        if cleaned in _BY_CODE:
            return _BY_CODE[cleaned]
        if _UNIT_PATTERN.fullmatch(cleaned):
            found = _lookup(cleaned)
            if found is not None:
                return found
    names_en = ", ".join(unit.name_en for unit in UNITS)
    names_fa = "، ".join(unit.name_fa for unit in UNITS)
    raise RasadInputError(
        f"{text!r} is not a money unit; write one of: {names_en}.",
        f"«{text}» واحد پول شناخته‌شده‌ای نیست؛ یکی از این‌ها را بنویسید: {names_fa}.",
        field=field,
        value=text,
    )


def unit(code: str) -> MoneyUnit:
    """The unit with this code (``rials``, ``thousand_rials``, ``million_rials``, …)."""
    try:
        return _BY_CODE[code]
    except KeyError:
        raise RasadInputError(
            f"Unknown money unit code {code!r}; known: {', '.join(_BY_CODE)}.",
            f"کد واحد پول «{code}» شناخته نیست؛ کدهای معتبر: {'، '.join(_BY_CODE)}.",
            value=code,
        ) from None
