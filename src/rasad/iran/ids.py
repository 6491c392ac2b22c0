"""Check digits of Iranian national identifiers.

The legal-entity national ID (شناسه ملی, 11 digits) is the key that ties an
enterprise's returns, registry entry and ranking history together, so a mistyped ID
must be caught at the door rather than create a second enterprise. The personal
national code (کد ملی, 10 digits) identifies owners and contact people.

Both algorithms were checked against three public implementations; the reference
README quotes real valid and invalid examples, which the tests use.
"""

from __future__ import annotations

import numbers

import numpy as np

from rasad.errors import RasadInputError
from rasad.iran.text import ZWNJ, to_latin_digits, to_persian_digits

_LEGAL_WEIGHTS = (29, 27, 23, 19, 17)
_EDGE_JUNK = " \t\r\n\u00a0" + ZWNJ + "\u200b\u200e\u200f\ufeff"


def _digits_text(s) -> str:
    """The ID as Latin digits, whatever digits and stray spacing it arrived in.

    IDs read from Excel are often numbers (10380284790 or 10380284790.0), so
    integral numbers are accepted as well as text. Anything else comes back as its
    repr, which the callers then reject for its characters.
    """
    if isinstance(s, numbers.Integral) and not isinstance(s, bool):
        return str(int(s))
    if isinstance(s, float) and s.is_integer():
        return str(int(s))
    if isinstance(s, str):
        return to_latin_digits(s).strip(_EDGE_JUNK)
    return repr(s)


def _is_digits(text: str, length: int) -> bool:
    return len(text) == length and text.isascii() and text.isdigit()


def _bad_id(value, field, name_en: str, name_fa: str, reason: tuple[str, str]) -> RasadInputError:
    prefix = f"{field}: " if field else ""
    return RasadInputError(
        f"{prefix}{value!r} is not a valid {name_en}: {reason[0]}.",
        f"{prefix}«{value}» {name_fa} معتبر نیست: {reason[1]}.",
        field=field,
        value=value,
    )


def _shape_problem(digits: str, length: int, name_en: str, name_fa: str) -> tuple[str, str] | None:
    if digits and not (digits.isascii() and digits.isdigit()):
        return (f"a {name_en} contains only digits", f"{name_fa} فقط از رقم تشکیل می‌شود")
    if len(digits) != length:
        return (
            f"a {name_en} has {length} digits, this one has {len(digits)}",
            f"{name_fa} {to_persian_digits(str(length))} رقم دارد، این یکی "
            f"{to_persian_digits(str(len(digits)))} رقم دارد",
        )
    if int(digits[3:9]) == 0:
        return (
            f"digits 4 to 9 of a {name_en} cannot all be zero",
            f"رقم‌های چهارم تا نهم {name_fa} نمی‌توانند همه صفر باشند",
        )
    return None


_CHECK_DIGIT_WRONG = (
    "its check digit (the last one) does not match, so a digit is probably mistyped",
    "رقم کنترل (رقم آخر) با بقیه نمی‌خواند؛ احتمالاً رقمی اشتباه وارد شده است",
)

# --- legal-entity national ID (شناسه ملی) -------------------------------------------

_LEGAL_EN = "legal-entity national ID"
_LEGAL_FA = "شناسه ملی"


def legal_id_check_digit(first10: str) -> int:
    """The 11th digit of a legal-entity national ID, from its first ten."""
    digits = _digits_text(first10)
    if not _is_digits(digits, 10):
        raise RasadInputError(
            f"The first part of a national ID is 10 digits, not {first10!r}.",
            f"بخش نخست شناسه ملی ۱۰ رقم است، نه «{first10}».",
            value=first10,
        )
    d = [int(c) for c in digits]
    k = d[9] + 2
    remainder = sum((d[i] + k) * _LEGAL_WEIGHTS[i % 5] for i in range(10)) % 11
    return 0 if remainder == 10 else remainder


def _legal_id_problem(digits: str) -> tuple[str, str] | None:
    problem = _shape_problem(digits, 11, _LEGAL_EN, _LEGAL_FA)
    if problem is None and legal_id_check_digit(digits[:10]) != int(digits[10]):
        return _CHECK_DIGIT_WRONG
    return problem


def is_valid_legal_id(s) -> bool:
    return _legal_id_problem(_digits_text(s)) is None


def validate_legal_id(s, *, field: str | None = None) -> str:
    """The ID as 11 Latin digits, or an error saying what is wrong with it.

    The message tells length, characters and check digit apart because each asks
    the person typing for a different correction.
    """
    digits = _digits_text(s)
    problem = _legal_id_problem(digits)
    if problem is not None:
        raise _bad_id(s, field, _LEGAL_EN, _LEGAL_FA, problem)
    return digits


def make_legal_id(first10: str) -> str:
    """The valid ID that starts with ``first10``, for synthetic data that must pass checks."""
    digits = _digits_text(first10)
    if _is_digits(digits, 10) and int(digits[3:9]) == 0:
        raise RasadInputError(
            f"No valid national ID starts {first10!r}: digits 4 to 9 are all zero.",
            f"هیچ شناسه ملی معتبری با «{first10}» آغاز نمی‌شود: رقم‌های چهارم تا نهم صفرند.",
            value=first10,
        )
    return digits + str(legal_id_check_digit(digits))


_DIGIT_ZEROS = (ord("0"), ord("۰"), ord("٠"))


def _digit_matrix(first10) -> np.ndarray:
    """An (n, 10) uint8 array of the digits, from integers or 10-character strings.

    Strings are read through a view of their code points rather than converted,
    which keeps a million IDs well under a second.
    """
    values = np.asarray(first10)
    if values.dtype.kind == "O":
        values = values.astype(str)
    flat = values.ravel()
    if flat.size == 0:
        return np.empty((0, 10), dtype=np.uint8)
    if flat.dtype.kind in "iu":
        rest = flat.astype(np.int64)
        if rest.min() < 0 or rest.max() >= 10**10:
            raise RasadInputError(
                "The first parts of national IDs must lie between 0 and 9999999999.",
                "بخش نخست شناسه‌های ملی باید میان ۰ و ۹۹۹۹۹۹۹۹۹۹ باشد.",
            )
        digits = np.empty((rest.size, 10), dtype=np.uint8)
        for position in range(9, -1, -1):
            quotient = rest // 10
            digits[:, position] = rest - quotient * 10
            rest = quotient
        return digits
    if flat.dtype.kind in "US":
        unit = np.uint32 if flat.dtype.kind == "U" else np.uint8
        width = flat.dtype.itemsize // np.dtype(unit).itemsize
        if width >= 10:
            code_points = flat.view(unit).reshape(-1, width)
            head = code_points[:, :10].astype(np.int32)
            digits = np.full(head.shape, 255, dtype=np.int32)
            for zero in _DIGIT_ZEROS:
                offset = head - zero
                np.copyto(digits, offset, where=(offset >= 0) & (offset <= 9))
            if (digits <= 9).all() and not code_points[:, 10:].any():
                return digits.astype(np.uint8)
    raise RasadInputError(
        "The first parts of national IDs must be integers or strings of 10 digits.",
        "بخش نخست شناسه‌های ملی باید عدد صحیح یا رشته‌ای ۱۰ رقمی باشد.",
    )


def make_legal_ids(first10) -> np.ndarray:
    """:func:`make_legal_id` over an array, fast enough for a national-scale demo.

    Takes integers (read as zero-padded to 10 digits) or strings of 10 digits and
    returns 11-character strings of Latin digits.
    """
    digits = _digit_matrix(first10)
    if (digits[:, 3:9] == 0).all(axis=1).any():
        raise RasadInputError(
            "Some national IDs would have digits 4 to 9 all zero, which is never valid.",
            "رقم‌های چهارم تا نهم برخی شناسه‌های ملی همه صفر می‌شود، که هرگز معتبر نیست.",
        )
    # Σ (d[i] + k)·c[i] = Σ d[i]·c[i] + k·Σ c[i], with k = d[9] + 2
    total = (digits[:, 9].astype(np.int64) + 2) * (2 * sum(_LEGAL_WEIGHTS))
    for position in range(10):
        total += digits[:, position].astype(np.int64) * _LEGAL_WEIGHTS[position % 5]
    remainder = total % 11
    code_points = np.empty((len(digits), 11), dtype=np.uint32)
    code_points[:, :10] = digits
    code_points[:, 10] = np.where(remainder == 10, 0, remainder)
    code_points += ord("0")
    return code_points.view("U11").ravel()


# --- personal national code (کد ملی) ------------------------------------------------

_PERSONAL_EN = "national code"
_PERSONAL_FA = "کد ملی"


def _padded_personal(s) -> str:
    """Leading zeros are often lost (Excel numbers), so 8 and 9 digits are padded."""
    digits = _digits_text(s)
    if 8 <= len(digits) <= 9 and digits.isascii() and digits.isdigit():
        return digits.zfill(10)
    return digits


def personal_code_check_digit(first9: str) -> int:
    """The 10th digit of a personal national code, from its first nine."""
    digits = _digits_text(first9)
    if not _is_digits(digits, 9):
        raise RasadInputError(
            f"The first part of a national code is 9 digits, not {first9!r}.",
            f"بخش نخست کد ملی ۹ رقم است، نه «{first9}».",
            value=first9,
        )
    remainder = sum(int(c) * (10 - i) for i, c in enumerate(digits)) % 11
    return remainder if remainder < 2 else 11 - remainder


def _personal_code_problem(digits: str) -> tuple[str, str] | None:
    problem = _shape_problem(digits, 10, _PERSONAL_EN, _PERSONAL_FA)
    if problem is not None:
        return problem
    if len(set(digits)) == 1:
        # 1111111111 and the like pass the checksum but are placeholders.
        return (
            "a national code cannot repeat one digit throughout",
            "کد ملی نمی‌تواند یک رقم تکراری باشد",
        )
    if personal_code_check_digit(digits[:9]) != int(digits[9]):
        return _CHECK_DIGIT_WRONG
    return None


def is_valid_personal_code(s) -> bool:
    return _personal_code_problem(_padded_personal(s)) is None


def validate_personal_code(s, *, field: str | None = None) -> str:
    """The code as 10 Latin digits (left-padded), or an error saying what is wrong."""
    digits = _padded_personal(s)
    problem = _personal_code_problem(digits)
    if problem is not None:
        raise _bad_id(s, field, _PERSONAL_EN, _PERSONAL_FA, problem)
    return digits
