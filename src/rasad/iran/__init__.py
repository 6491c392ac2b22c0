"""Iran-specific facts and clean-up: the pure ground every other part stands on.

Persian text and numbers, national-ID check digits, Jalali fiscal periods,
provinces, ISIC Rev.4 sectors and the price deflator. No Django here: the engine,
the importer and notebooks use these without a server.

The names below load their module on first use (PEP 562), so that what needs only the
text helpers (the command line's first lines, ``rasad --help``) does not pay for pandas,
which the price and geography tables bring.
"""

from __future__ import annotations

from rasad.lazy import exports

_MODULE_OF = {
    **dict.fromkeys(("deflator", "to_real"), "prices"),
    **dict.fromkeys(
        (
            "ISIC_LEVELS",
            "division_of",
            "find_isic",
            "find_province",
            "isic",
            "provinces",
            "section_of",
        ),
        "geo",
    ),
    **dict.fromkeys(
        (
            "is_valid_legal_id",
            "is_valid_personal_code",
            "legal_id_check_digit",
            "make_legal_id",
            "make_legal_ids",
            "personal_code_check_digit",
            "validate_legal_id",
            "validate_personal_code",
        ),
        "ids",
    ),
    **dict.fromkeys(
        (
            "MONTH_NAMES_EN",
            "MONTH_NAMES_FA",
            "Period",
            "fiscal_year_bounds",
            "format_jalali_date",
            "gregorian_to_jalali",
            "is_leap_year",
            "jalali_to_gregorian",
        ),
        "periods",
    ),
    **dict.fromkeys(
        ("format_number", "normalize_text", "parse_number", "to_latin_digits", "to_persian_digits"),
        "text",
    ),
}


__getattr__, __dir__ = exports("rasad.iran", _MODULE_OF)


__all__ = [
    "ISIC_LEVELS",
    "MONTH_NAMES_EN",
    "MONTH_NAMES_FA",
    "Period",
    "deflator",
    "division_of",
    "find_isic",
    "find_province",
    "fiscal_year_bounds",
    "format_jalali_date",
    "format_number",
    "gregorian_to_jalali",
    "is_leap_year",
    "is_valid_legal_id",
    "is_valid_personal_code",
    "isic",
    "jalali_to_gregorian",
    "legal_id_check_digit",
    "make_legal_id",
    "make_legal_ids",
    "normalize_text",
    "parse_number",
    "personal_code_check_digit",
    "provinces",
    "section_of",
    "to_latin_digits",
    "to_persian_digits",
    "to_real",
    "validate_legal_id",
    "validate_personal_code",
]
