"""Codes and identifiers: national IDs, ISIC classes and provinces."""

from __future__ import annotations

import re

import numpy as np

from rasad.errors import RasadInputError
from rasad.iran.geo import find_isic, find_province
from rasad.iran.ids import make_legal_ids, validate_legal_id
from rasad.iran.text import normalize_text, to_latin_digits

from ..reference import national_id_text
from .cells import ASK_PARSER, Bad, bad_from, excel_error

# An ID a spreadsheet shows in scientific notation (1.09E+10) and saved so in a CSV: the
# digits beyond the third are gone, whatever the sender typed.
_SCIENTIFIC = re.compile(r"\s*[0-9]+(?:[.٫][0-9]+)?[eE][+-]?[0-9]+\s*")

_ISIC_LEVELS_FA = {"section": "بخش", "division": "قسمت", "group": "گروه", "class": "طبقه"}


def scientific(value) -> bool:
    return isinstance(value, str) and _SCIENTIFIC.fullmatch(to_latin_digits(value)) is not None


def valid_national_ids(values: list) -> list:
    """The distinct ID cells that are 11 digits (Latin, Persian or Arabic-Indic, or a
    whole number) with the right check digit, checked together with
    :func:`make_legal_ids`; each is what :func:`validate_legal_id` returns for it, its
    digits as Latin text. Anything else goes to :func:`national_id` for its precise
    message."""
    out = [ASK_PARSER] * len(values)
    texts = [
        to_latin_digits(value) if value.__class__ is str
        else str(value) if value.__class__ is int
        else str(int(value)) if value.__class__ is float and value.is_integer()
        else ""
        for value in values
    ]  # fmt: skip
    chosen = [
        k for k, text in enumerate(texts) if len(text) == 11 and text.isascii() and text.isdigit()
    ]
    digits = np.array([texts[k] for k in chosen], dtype="S11").view(np.uint8).reshape(-1, 11) - ord(
        "0"
    )
    possible = ~(digits[:, 3:9] == 0).all(axis=1)  # never valid; make_legal_ids refuses them
    heads = np.array([texts[k][:10] for k in chosen], dtype="U10")[possible]
    right = make_legal_ids(heads) == np.array([texts[k] for k in chosen], dtype="U11")[possible]
    for k in np.asarray(chosen, dtype=np.int64)[possible][right].tolist():
        out[k] = texts[k]
    return out


def national_id(value) -> str:
    excel_error(value)
    try:
        return validate_legal_id(value)
    except RasadInputError as error:
        digits = national_id_text(value)
        code = (
            "check_digit"
            if len(digits) == 11 and digits.isascii() and digits.isdigit()
            else "national_id"
        )
        raise bad_from(error, code) from None


def isic(value) -> str:
    excel_error(value)
    raw = value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        value = normalize_text(to_latin_digits(value))
        for separator in ("—", " - ", "|"):
            value = value.split(separator, 1)[0]
        value = value.strip()
    try:
        return str(find_isic(value, "class")["code"])
    except RasadInputError:
        pass
    try:
        row = find_isic(value)
    except RasadInputError as error:
        raise bad_from(error, "isic") from None
    raise Bad(
        "isic",
        f"{raw!r} is an ISIC {row['level']}, not a class: give the 4-digit class of the main "
        "activity.",
        f"«{raw}» یک {_ISIC_LEVELS_FA.get(row['level'], row['level'])} ISIC است، نه طبقه: کد "
        "چهاررقمی طبقه فعالیت اصلی را بدهید.",
    )


def province(value) -> int:
    excel_error(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        return int(find_province(value)["code"])
    except RasadInputError as error:
        raise bad_from(error, "province") from None
