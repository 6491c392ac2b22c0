"""Persian text and number clean-up for data typed by people on many keyboards.

The same word arrives spelt with Arabic ي/ك or Persian ی/ک, with or without a
zero-width non-joiner (ZWNJ, U+200C), with invisible direction marks pasted from
Word or a PDF; numbers arrive with Persian, Arabic-Indic or Latin digits and several
separators. Comparing, de-duplicating or summing such data is only safe once it is
brought to one form, and the rules for that form live here so every importer,
form and report applies the same ones.

Digits are never changed by :func:`normalize_text`: hazm's habit of turning Latin
digits into Persian ones corrupts numeric fields and IDs, so digit conversion is
always an explicit call.
"""

from __future__ import annotations

import decimal
import math
import numbers
import re
import unicodedata

from rasad.errors import RasadInputError

ZWNJ = "\u200c"

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
LATIN_DIGITS = "0123456789"

_TO_LATIN = str.maketrans(PERSIAN_DIGITS + ARABIC_INDIC_DIGITS, LATIN_DIGITS * 2)
_TO_PERSIAN = str.maketrans(LATIN_DIGITS + ARABIC_INDIC_DIGITS, PERSIAN_DIGITS * 2)

# Invisible characters that carry no meaning in stored data: zero-width space and
# joiner, direction marks and embeddings/isolates (pasted from Word, PDFs and web
# pages), the byte-order mark, the Arabic letter mark and the soft hyphen. The ZWJ is
# dropped too: in Persian data it is a stray keystroke, never a distinction between
# two words, and keeping it would make visually identical names compare unequal.
_INVISIBLE = (
    "\u200b\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\ufeff\u061c\u00ad"
)

# Arabic harakat (U+064B–U+065F, which includes the hamza above that turns ه into
# the ezafe form هٔ) and the superscript alef: optional in Persian orthography, so
# two spellings of one name differ only by them. Tatweel (U+0640) only stretches a
# word for looks.
_MARKS = "".join(chr(c) for c in range(0x064B, 0x0660)) + "\u0670\u0640"


def _presentation_forms() -> dict[int, str]:
    """Map Arabic presentation forms (text copied out of PDFs) to the base letters.

    Only these two blocks are NFKC-normalised: applying NFKC to the whole string
    would also rewrite ligatures, superscripts and full-width characters that are
    none of our business.
    """
    table = {}
    for block in (range(0xFB50, 0xFE00), range(0xFE70, 0xFEFF)):
        for code_point in block:
            char = chr(code_point)
            folded = unicodedata.normalize("NFKC", char)
            if folded != char:
                table[code_point] = folded
    return table


_PRESENTATION = str.maketrans(_presentation_forms())
_LETTERS = str.maketrans(
    {
        "ي": "ی",  # Arabic yeh
        "ى": "ی",  # alef maksura
        "ك": "ک",  # Arabic kaf
        "ة": "ه",  # teh marbuta, found in Arabic loanwords typed on Arabic keyboards
        "ۀ": "ه",  # heh with yeh above: the ezafe mark is dropped like the harakat
        **dict.fromkeys(_INVISIBLE + _MARKS),
    }
)
_SPACE_RUN = re.compile(r"\s+")
_SPACE_OR_ZWNJ_RUN = re.compile(r"[ \u200c]+")


def _join_gap(match: re.Match) -> str:
    return " " if " " in match.group() else ZWNJ


def normalize_text(s: str) -> str:
    """Bring Persian text to the one spelling used for storage and comparison.

    A ZWNJ next to a space or at either end joins nothing, so it is dropped; runs
    of ZWNJ collapse to one. Digits are left alone (see the module docstring).
    """
    s = s.translate(_PRESENTATION).translate(_LETTERS)
    s = _SPACE_RUN.sub(" ", s)
    s = _SPACE_OR_ZWNJ_RUN.sub(_join_gap, s)
    return s.strip(" " + ZWNJ)


def to_latin_digits(s: str) -> str:
    """Rewrite Persian and Arabic-Indic digits as Latin ones, for parsing and IDs."""
    return s.translate(_TO_LATIN)


def to_persian_digits(s: str) -> str:
    """Rewrite Latin and Arabic-Indic digits as Persian ones, for Persian display."""
    return s.translate(_TO_PERSIAN)


_THOUSANDS = ",٬"
_NUMBER = re.compile(
    r"""
    (?P<int>[0-9]+(?:(?P<sep>[,٬])[0-9]+)*)?   # integer part, perhaps grouped
    (?:[.٫](?P<frac>[0-9]+))?                  # fraction
    """,
    re.VERBOSE,
)
_GROUPED = re.compile(r"[0-9]{1,3}(?:[,٬][0-9]{3})*")
_EDGE_JUNK = " \t\r\n\u00a0" + ZWNJ + _INVISIBLE


def _not_a_number(value, field, reason_en: str, reason_fa: str) -> RasadInputError:
    prefix = f"{field}: " if field else ""
    return RasadInputError(
        f"{prefix}{value!r} is not a number: {reason_en}.",
        f"{prefix}«{value}» عدد نیست: {reason_fa}.",
        field=field,
        value=value,
    )


def parse_number(s, *, field: str | None = None) -> float:
    """Read a number as people write it in Persian, Arabic-Indic or Latin digits.

    Accepted: the thousands separators ``٬`` (U+066C) and ``,``, in groups of three
    digits, one separator kind per number; the decimal point ``٫`` (U+066B) or ``.``;
    a leading ``-``, ``−`` (U+2212) or ``+``; accounting parentheses ``(1,200)`` for
    a negative; surrounding spaces, ZWNJ and direction marks.

    Rejected, because guessing would silently change a value:

    - the Arabic comma ``،``: Persian writers use it to separate items in a list, so
      ``۱۲،۳۴۵`` may be two numbers;
    - ``/`` as a decimal point (common in handwriting) clashes with dates such as
      ``1403/07``;
    - ``%``, currency words and other units: the caller knows the unit, we don't;
    - wrongly grouped separators such as ``1,2,3``: probably a typo or a list;
    - exponents such as ``1.2E+07``: Excel writes them into CSV files for wide
      numbers after rounding them, so the digits are no longer the figure entered.

    Empty strings are rejected too: callers decide what a missing value means
    before asking for a number.
    """
    if isinstance(s, bool):
        raise _not_a_number(s, field, "a yes/no value is not a quantity", "مقدار بله/خیر کمیت نیست")
    if isinstance(s, numbers.Real | decimal.Decimal):
        return float(s)
    if not isinstance(s, str):
        raise _not_a_number(
            s, field, f"expected text or a number, got {type(s).__name__}", "متن یا عدد لازم است"
        )
    text = to_latin_digits(s).strip(_EDGE_JUNK)
    if not text:
        raise _not_a_number(s, field, "it is empty", "خالی است")
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative = True
        text = text[1:-1].strip(_EDGE_JUNK)
    elif text[0] in "-−+":
        negative = text[0] != "+"
        text = text[1:].lstrip(_EDGE_JUNK)
    match = _NUMBER.fullmatch(text)
    if match is None or not (match["int"] or match["frac"]):
        raise _not_a_number(
            s,
            field,
            "use digits, an optional sign, ٬ or , between thousands and ٫ or . before decimals",
            "فقط رقم، علامت منفی، جداکننده هزارگان (٬ یا ,) و ممیز (٫ یا .) مجاز است",
        )
    whole = match["int"] or "0"
    if match["sep"]:
        if len(set(whole) & set(_THOUSANDS)) > 1:
            raise _not_a_number(
                s, field, "it mixes two thousands separators", "دو نوع جداکننده هزارگان دارد"
            )
        if not _GROUPED.fullmatch(whole):
            raise _not_a_number(
                s,
                field,
                "thousands separators must separate groups of three digits",
                "جداکننده هزارگان باید ارقام را سه‌تا سه‌تا جدا کند",
            )
        whole = whole.replace(match["sep"], "")
    value = float(f"{whole}.{match['frac'] or '0'}")
    return -value if negative else value


def format_number(x, *, decimals: int = 0, persian_digits: bool = True) -> str:
    """Write a number the way Persian (or English) readers expect it.

    The output round-trips through :func:`parse_number`. Missing and infinite values
    raise: how to show "no data" is the report's decision, not the formatter's.
    """
    value = float(x)
    if not math.isfinite(value):
        raise ValueError(f"cannot format {x!r} as a number")
    text = f"{value:,.{decimals}f}"
    if text.startswith("-") and not text.strip("-0.,"):
        text = text[1:]  # "-0" after rounding is just zero
    if persian_digits:
        return to_persian_digits(text).translate(str.maketrans(",.", "٬٫"))
    return text


# What a search may not tell apart, beyond :func:`normalize_text`: letters that are the
# same on another keyboard, a ZWNJ and a space (people type "ریخته گری" for "ریخته‌گری"),
# Persian, Arabic-Indic and Latin digits. Pairs of (what is typed, what it is folded to),
# kept as data so that a database can fold its stored names the same way
# (rasad.platform.registry.models.Enterprise.search_name).
SEARCH_FOLDS: tuple[tuple[str, str], ...] = (
    ("ي", "ی"),
    ("ى", "ی"),
    ("ك", "ک"),
    (ZWNJ, " "),
    *zip(PERSIAN_DIGITS, LATIN_DIGITS, strict=True),
    *zip(ARABIC_INDIC_DIGITS, LATIN_DIGITS, strict=True),
)
_SEARCH = str.maketrans(dict(SEARCH_FOLDS))


def search_key(s: str) -> str:
    """The form in which a name and a search for it are compared: normalised, with a
    ZWNJ read as a space, one spelling of ی and ک, and Latin digits."""
    return _SPACE_RUN.sub(" ", normalize_text(s).translate(_SEARCH)).strip()


_QUOTED = re.compile(r"(«[^»]*»)")
# A number standing on its own: not part of a code or a word written in Latin letters
# (IR-07, UTF-8, 1403-Q2, E050, Rev.4, a file name, 1.04E+10, 1403/07, indicators[0]).
_LATIN_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_./:+])(?<![A-Za-z0-9]-)(?<![A-Za-z_]\[)[0-9]+(?:[.,٬٫][0-9]+)*"
    r"(?![A-Za-z0-9_]|[.,:/\-+][0-9A-Za-z])"
)


_PERSIAN_SEPARATORS = str.maketrans(",.", "٬٫")


def _persian_number(match: re.Match) -> str:
    return to_persian_digits(match[0]).translate(_PERSIAN_SEPARATORS)


def persian_numbers(text: str) -> str:
    """Persian prose with its numbers in Persian digits; what it quotes as the reader
    wrote it («…») and Latin codes and names are left as they are."""
    return "".join(
        part if part.startswith("«") else _LATIN_NUMBER.sub(_persian_number, part)
        for part in _QUOTED.split(text)
    )
