"""Provinces and ISIC Rev.4 activities: the places and sectors enterprises are grouped by.

Peer groups, cluster measures and policy briefs are all cut by province and sector,
so every record must point at one canonical province code and one ISIC code however
its spreadsheet spelt them. The tables ship as package data (see ``data/README.md``)
because deployments often have no internet access.
"""

from __future__ import annotations

import functools
import numbers
import unicodedata

import pandas as pd

from rasad.errors import RasadInputError
from rasad.iran._data import read_data
from rasad.iran.text import normalize_text, to_latin_digits


def _key(text: str) -> str:
    """A spelling-blind key for names: drops case, accents, madda, spaces, ZWNJ and dashes.

    "آذربایجان‌شرقی", "اذربايجان شرقي" and "Āz̄ārbāyjān-e Shārqī" must all find one
    province; "Tehran Province" and "استان تهران" too.
    """
    text = unicodedata.normalize("NFKD", normalize_text(to_latin_digits(text)))
    text = "".join(c for c in text.casefold().replace("&", "and") if c.isalnum())
    return text.removeprefix("استان").removesuffix("province")


# --- provinces ---------------------------------------------------------------------


@functools.cache
def _provinces_full() -> pd.DataFrame:
    """Every column of the bundled table, in code order, so that position = code."""
    table = read_data("provinces.csv", dtype={"sci_code": "int64"}, keep_default_na=False)
    table = table.rename(columns={"sci_code": "code", "iso3166_2": "iso"})
    return table.sort_values("code", ignore_index=True)


@functools.cache
def _provinces() -> pd.DataFrame:
    return _provinces_full()[["code", "iso", "name_fa", "name_en", "hasc"]]


def provinces() -> pd.DataFrame:
    """The 31 provinces: ``code`` (Statistical Centre of Iran, 0–30), ``iso``
    (ISO 3166-2:IR), ``name_fa``, ``name_en`` and ``hasc``."""
    return _provinces().copy()


@functools.cache
def _province_keys() -> dict[str, int]:
    table = _provinces_full()
    keys: dict[str, int] = {}
    for column in ("iso", "hasc", "name_fa", "name_en", "name_iso_romanized"):
        keys.update(
            (_key(value), code) for value, code in zip(table[column], table["code"], strict=True)
        )
    aliases = read_data("province_aliases.csv", keep_default_na=False)
    keys.update(
        (_key(alias), code) for alias, code in zip(aliases["alias"], aliases["code"], strict=True)
    )
    return keys


def find_province(text) -> pd.Series:
    """The province row for a name (Persian or English), ISO code, HASC or SCI code.

    Persian names match whatever their letters (Arabic ي/ك), spaces, ZWNJ or madda;
    English names whatever their case, accents or punctuation.
    """
    code = None
    if isinstance(text, numbers.Integral) and not isinstance(text, bool):
        code = int(text)
    elif isinstance(text, str):
        key = _key(text)
        code = int(key) if key.isascii() and key.isdigit() else _province_keys().get(key)
    if code is None or not 0 <= code <= 30:
        raise RasadInputError(
            f"{text!r} is not an Iranian province: give its name, ISO code (IR-07) or "
            "Statistical Centre code (0–30).",
            f"«{text}» استان شناخته‌شده‌ای نیست: نام استان، کد ISO (مانند IR-07) یا کد "
            "مرکز آمار (۰ تا ۳۰) را بدهید.",
            value=text,
        )
    return _provinces().iloc[code].copy()


# --- ISIC Rev.4 ----------------------------------------------------------------------

ISIC_LEVELS = ("section", "division", "group", "class")
_CODE_WIDTH = {"division": 2, "group": 3, "class": 4}


@functools.cache
def _isic() -> pd.DataFrame:
    table = read_data("isic_rev4.csv", dtype=str, keep_default_na=False)
    titles = read_data("isic_rev4_fa.csv", dtype=str, keep_default_na=False)
    table = table.merge(titles, on="code", how="left", validate="one_to_one")
    table["title_fa"] = table["title_fa"].fillna("")
    return table.set_index("code", drop=False).rename_axis(None)


def isic() -> pd.DataFrame:
    """ISIC Rev.4: ``level``, ``code``, ``section``, ``parent``, ``title_en``, ``title_fa``.

    ``title_fa`` is filled for the 21 sections and 88 divisions; groups and classes
    have ``""`` there, and callers fall back to ``title_en``.
    """
    return _isic().reset_index(drop=True)


def _unknown_isic(code, level) -> RasadInputError:
    at_en = f" at level {level!r}" if level else ""
    return RasadInputError(
        f"{code!r} is not an ISIC Rev.4 code{at_en}.",
        f"«{code}» کد معتبر ISIC ویرایش ۴ نیست.",
        value=code,
    )


def find_isic(code, level: str | None = None) -> pd.Series:
    """The ISIC row for a code such as ``1311``, ``C1311``, ``۱۳۱۱`` or ``C``.

    Numeric codes lose their leading zero in spreadsheets (0111 → 111); give
    ``level`` and the code is padded to that level's width, so ``find_isic(111,
    "class")`` is class 0111. Without ``level``, codes are taken as written.
    """
    if level is not None and level not in ISIC_LEVELS:
        raise ValueError(f"level must be one of {ISIC_LEVELS}, not {level!r}")
    if isinstance(code, numbers.Integral) and not isinstance(code, bool):
        text = str(int(code))
    elif isinstance(code, str):
        text = "".join(to_latin_digits(normalize_text(code)).split()).upper()
    else:
        raise _unknown_isic(code, level)
    section = None
    if len(text) > 1 and text[0].isalpha() and text[1:].isdigit():
        section, text = text[0], text[1:]
    if level in _CODE_WIDTH and text.isdigit():
        text = text.zfill(_CODE_WIDTH[level])
    table = _isic()
    if text not in table.index:
        raise _unknown_isic(code, level)
    row = table.loc[text]
    if (level is not None and row["level"] != level) or (section not in (None, row["section"])):
        raise _unknown_isic(code, level)
    return row.copy()


def division_of(code) -> str:
    """The two-digit division of a division, group or class code."""
    row = find_isic(code)
    if row["level"] == "section":
        raise RasadInputError(
            f"{code!r} is an ISIC section, which spans several divisions.",
            f"«{code}» یک بخش ISIC است و چند قسمت را در بر می‌گیرد.",
            value=code,
        )
    return row["code"][:2]


def section_of(code) -> str:
    """The section letter (A–U) of any ISIC code."""
    return find_isic(code)["section"]
