"""Check every value of an intake file and say, cell by cell, what is wrong with it.

The person who sent the file must be able to fix everything in one round, so no check
stops at the first problem: each one adds :class:`~rasad.intake.problems.Problem`
records (sheet, Excel row, header as written, value, severity, message in English
and Persian) and the rest carry on. Errors block the import; warnings (a value that
looks like a unit slip, a column nobody knows) are shown and may be accepted; an
implausible figure (outside the catalogue's plausible bounds, inside its valid ones) is
a warning that a person must confirm before it is stored
(:attr:`IntakeReport.needs_confirmation`).

The same checks serve three doors: files (:func:`validate_workbook`, or
:func:`dry_run` to read and check in one call), web forms (:func:`validate_records`,
one mapping of field → value per return) and data already in canonical frames
(:func:`validate_frames`, e.g. a mapped research panel).

Values are parsed a column at a time, because a national upload has a hundred thousand
rows: numbers Excel stored and plain figures (in any of the three digit sets) are read
for the whole column at once, repeated values (IDs, names, provinces beside every return
of an enterprise) are parsed once, and the slow, careful per-cell parser, with its
precise messages, only meets the rest. Each fast path gives exactly what the careful
one would (tests/intake/test_intake_vectorised.py forces the careful paths and compares).
"""

from __future__ import annotations

import datetime
import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

import jdatetime
import numpy as np
import pandas as pd

from rasad.errors import RasadInputError
from rasad.iran.geo import find_isic, find_province
from rasad.iran.ids import make_legal_ids, validate_legal_id
from rasad.iran.periods import Period, gregorian_to_jalali, jalali_to_gregorian
from rasad.iran.text import (
    ZWNJ,
    format_number,
    normalize_text,
    parse_number,
    to_latin_digits,
    to_persian_digits,
)
from rasad.methodologies import IndicatorSpec

from .fields import RETURNS, FieldTable
from .problems import ERROR, IMPLAUSIBLE, WARNING, Problem, shown_value
from .read import Column, ReadLimits, Sheet, Workbook, is_blank, read_file
from .reference import Estates, national_id_text, period_key, previous_returns
from .report import ENTERPRISE_COLUMNS, IntakeReport, empty_enterprises, empty_returns
from .units import MILLION_RIALS, MoneyUnit, parse_unit

REGISTRY_CODES = ("name_fa", "name_en", "isic_class", "province", "estate", "founding_year")
PERIOD_CODES = ("period", "year", "quarter")

# A part may not exceed its whole (catalogue descriptions say "a part of …").
PARTS_OF_WHOLES = (
    ("exports", "sales"),
    ("credit_received", "credit_requested"),
    ("current_assets", "total_assets"),
    ("current_liabilities", "total_liabilities"),
    ("graduate_employees", "employees"),
)
EXCEL_ERRORS = frozenset(
    ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!")
)
_YES = {"1", "بله", "بلی", "آری", "اری", "دارد", "هست", "است", "yes", "y", "true", "x", "✓", "✔"}
_NO = {"0", "خیر", "نه", "ندارد", "نیست", "no", "n", "false", "-"}
_JALALI_DATE = re.compile(r"(1[2-5][0-9]{2})[/\-.](0?[1-9]|1[0-2])[/\-.](0?[1-9]|[12][0-9]|3[01])")


# --- parameters -----------------------------------------------------------------------


@dataclass(frozen=True)
class UnitSlipRule:
    """When a money figure looks typed in the wrong unit: a jump by a power of 1000.

    A figure in rials where million rials were asked is 10⁶ times too big, one in
    thousand rials 10³ times. Real growth, even at 40% inflation, stays far from
    those factors, so a ratio to the previous return within ``tolerance`` of ×1000,
    ×10⁶ (or their inverses) is flagged as a warning; the sender confirms or fixes.
    """

    tolerance: float = 5.0

    def __post_init__(self):
        if isinstance(self.tolerance, bool) or not (
            isinstance(self.tolerance, numbers.Real) and 1 < self.tolerance < 30
        ):
            raise ValueError(
                f"UnitSlipRule.tolerance must lie between 1 and 30, not {self.tolerance!r}"
            )

    def exponent(self, ratio: np.ndarray) -> np.ndarray:
        """For each ratio new/old: 3 or 6 (a jump of 10³ or 10⁶), -3 or -6, or 0."""
        with np.errstate(divide="ignore", invalid="ignore"):
            log = np.log10(ratio)
        nearest = np.clip(np.round(log / 3) * 3, -6, 6)
        ok = (
            np.isfinite(log)
            & (nearest != 0)
            & (np.abs(log - nearest) <= math.log10(self.tolerance))
        )
        return np.where(ok, nearest, 0).astype(int)


@dataclass(frozen=True)
class Scope:
    """What the sender may write: returns of the ``enterprises`` listed (``None``: any),
    and new enterprises registered in the ``estates`` listed (``None``: anywhere; an
    empty set: none, so an enterprise user cannot register another firm). A row outside
    it is an error at that row, so a file is refused as a whole, never half-imported."""

    enterprises: frozenset[str] | None = None
    estates: frozenset[str] | None = None

    def __init__(self, enterprises: Iterable | None = None, estates: Iterable | None = None):
        object.__setattr__(
            self,
            "enterprises",
            None if enterprises is None else frozenset(national_id_text(v) for v in enterprises),
        )
        object.__setattr__(
            self, "estates", None if estates is None else frozenset(str(e) for e in estates)
        )


@dataclass(frozen=True)
class Checks:
    """Everything a check needs besides the file: catalogue fields and reference data.

    ``estates`` ``None`` means estates are not checked (the estate cell is kept as
    written); an empty table means no estate is known, so any estate is an error.
    ``known_enterprises`` ``None`` skips the check that a return's enterprise is
    registered (in the file or in this set).
    """

    fields: FieldTable
    estates: Estates | None = None
    previous: pd.DataFrame | None = None
    known_enterprises: frozenset[str] | None = None
    unit_slip: UnitSlipRule = UnitSlipRule()
    this_year: int = 0
    scope: Scope | None = None

    @classmethod
    def build(
        cls,
        *,
        catalogue: Sequence[IndicatorSpec] | None = None,
        estates=None,
        previous: pd.DataFrame | None = None,
        known_enterprises: Iterable | None = None,
        unit_slip: UnitSlipRule | None = None,
        scope: Scope | None = None,
    ) -> Checks:
        fields = FieldTable.from_catalogue(catalogue)
        return cls(
            fields=fields,
            estates=None if estates is None else Estates.from_data(estates),
            previous=previous_returns(previous, _money_codes(fields)),
            known_enterprises=(
                None
                if known_enterprises is None
                else frozenset(national_id_text(v) for v in known_enterprises)
            ),
            unit_slip=unit_slip or UnitSlipRule(),
            this_year=jdatetime.date.today().year,
            scope=scope,
        )


def _money_codes(fields: FieldTable) -> list[str]:
    """Money figures watched for unit slips: those that cannot be negative.

    Profits, equity and retained earnings cross zero, and a year near zero makes any
    ratio huge (4 → 1,826 is a recovery, not a slip), so they are left out.
    """
    return [
        f.code
        for f in fields.indicators
        if f.kind == "money" and f.indicator.min_value is not None and f.indicator.min_value >= 0
    ]


# --- cell parsers: raw value → canonical value, or _Bad -----------------------------------


class _Bad(Exception):
    def __init__(self, code: str, message_en: str, message_fa: str):
        self.code, self.message_en, self.message_fa = code, message_en, message_fa


def _bad_from(error: RasadInputError, code: str) -> _Bad:
    return _Bad(code, error.message_en, error.message_fa)


def _excel_error(value) -> None:
    if isinstance(value, str) and value.strip() in EXCEL_ERRORS:
        raise _Bad(
            "excel_error",
            f"The cell shows the Excel error {value.strip()}: fix the formula or type the value.",
            f"خانه خطای اکسل {value.strip()} را نشان می‌دهد: فرمول را درست کنید یا مقدار را تایپ کنید.",
        )


def _text(value) -> str:
    _excel_error(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalize_text(str(value))


def _texts(values: list) -> list:
    """:func:`_text` of every plain string among ``values`` in one pass: the strings
    are joined with NUL (which no rule of :func:`normalize_text` touches or crosses),
    normalised together and split again; the rest are left to :func:`_text`."""
    out = [_ASK_PARSER] * len(values)
    chosen = [
        k for k, value in enumerate(values)
        if value.__class__ is str and value.strip() not in EXCEL_ERRORS and "\0" not in value
    ]  # fmt: skip
    if chosen:
        pieces = normalize_text("\0".join(values[k] for k in chosen)).split("\0")
        for k, piece in zip(chosen, pieces, strict=True):
            out[k] = piece.strip(" " + ZWNJ)
    return out


def _valid_national_ids(values: list) -> list:
    """The distinct ID cells that are 11 Latin digits with the right check digit, each
    its own parse (:func:`validate_legal_id` returns them unchanged), checked together
    with :func:`make_legal_ids`; anything else goes to :func:`_national_id` for its
    precise message."""
    out = [_ASK_PARSER] * len(values)
    chosen = [
        k for k, value in enumerate(values)
        if value.__class__ is str and len(value) == 11 and value.isascii() and value.isdigit()
    ]  # fmt: skip
    digits = np.array([values[k] for k in chosen], dtype="S11").view(np.uint8).reshape(
        -1, 11
    ) - ord("0")
    possible = ~(digits[:, 3:9] == 0).all(axis=1)  # never valid; make_legal_ids refuses them
    heads = np.array([values[k][:10] for k in chosen], dtype="U10")[possible]
    right = make_legal_ids(heads) == np.array([values[k] for k in chosen], dtype="U11")[possible]
    for k in np.asarray(chosen, dtype=np.int64)[possible][right].tolist():
        out[k] = values[k]
    return out


def _national_id(value) -> str:
    _excel_error(value)
    try:
        return validate_legal_id(value)
    except RasadInputError as error:
        digits = national_id_text(value)
        code = (
            "check_digit"
            if len(digits) == 11 and digits.isascii() and digits.isdigit()
            else "national_id"
        )
        raise _bad_from(error, code) from None


def _isic(value) -> str:
    _excel_error(value)
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
        raise _bad_from(error, "isic") from None
    raise _Bad(
        "isic",
        f"{raw!r} is an ISIC {row['level']}, not a class: give the 4-digit class of the main "
        "activity.",
        f"«{raw}» یک {_ISIC_LEVELS_FA.get(row['level'], row['level'])} ISIC است، نه طبقه: کد "
        "چهاررقمی طبقه فعالیت اصلی را بدهید.",
    )


_ISIC_LEVELS_FA = {"section": "بخش", "division": "قسمت", "group": "گروه", "class": "طبقه"}


def _province(value) -> int:
    _excel_error(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        return int(find_province(value)["code"])
    except RasadInputError as error:
        raise _bad_from(error, "province") from None


def _jalali_year_of(value) -> int | None:
    """The Jalali year of a date cell: an Excel date or a Jalali date written as text."""
    if isinstance(value, datetime.date):
        return gregorian_to_jalali(value)[0]
    if isinstance(value, str):
        match = _JALALI_DATE.fullmatch(to_latin_digits(normalize_text(value)))
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                jalali_to_gregorian(year, month, day)
            except RasadInputError as error:
                raise _bad_from(error, "date") from None
            return year
    return None


def _whole(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = to_latin_digits(normalize_text(value))
        if text.isascii() and text.isdigit():
            return int(text)
    return None


def _founding_year(value, this_year: int) -> int:
    _excel_error(value)
    year = _jalali_year_of(value)
    if year is None:
        year = _whole(value)
    if year is None:
        raise _Bad(
            "year",
            f"{value!r} is not a year: write the Jalali year, such as 1385.",
            f"«{value}» سال نیست: سال شمسی را بنویسید، مانند ۱۳۸۵.",
        )
    if 1800 <= year <= 2200:
        raise _Bad(
            "year",
            f"{year} looks like a Gregorian year; write the Jalali year (e.g. {year - 621}).",
            f"{year} به سال میلادی می‌ماند؛ سال شمسی را بنویسید (مثلاً {year - 621}).",
        )
    if not 1250 <= year <= this_year:
        raise _Bad(
            "range",
            f"The founding year {year} is not between 1250 and {this_year}.",
            f"سال تأسیس {year} میان ۱۲۵۰ و {this_year} نیست.",
        )
    return year


def _period(value) -> Period:
    _excel_error(value)
    if isinstance(value, datetime.date):
        return Period.containing(
            value if not isinstance(value, datetime.datetime) else value.date()
        )
    whole = _whole(value)
    try:
        if whole is not None:
            return Period(whole)
        year = _jalali_year_of(value)
        if year is not None:
            return Period(year)
        period = Period.parse(value)
    except RasadInputError as error:
        raise _bad_from(error, "period") from None
    if period.month is not None:
        raise _Bad(
            "period",
            f"{value!r} is a month; returns are filed for a year (1403) or a quarter (1403-Q2).",
            f"«{value}» یک ماه است؛ اظهارنامه برای سال (۱۴۰۳) یا فصل (۱۴۰۳-ف۲) است.",
        )
    return period


def _quarter(value) -> int:
    _excel_error(value)
    whole = _whole(value)
    if whole is None or not 1 <= whole <= 4:
        raise _Bad(
            "period",
            f"{value!r} is not a quarter: write 1, 2, 3 or 4.",
            f"«{value}» فصل نیست: ۱، ۲، ۳ یا ۴ بنویسید.",
        )
    return whole


def _unit(value) -> MoneyUnit:
    _excel_error(value)
    try:
        return parse_unit(value)
    except RasadInputError as error:
        raise _bad_from(error, "unit") from None


def _boolean(value) -> float:
    _excel_error(value)
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, numbers.Real) and float(value) in (0.0, 1.0):
        return float(value)
    text = to_latin_digits(normalize_text(str(value))).casefold().strip()
    if text in _YES:
        return 1.0
    if text in _NO:
        return 0.0
    raise _Bad(
        "type",
        f"{value!r} is not yes or no: write 1 (yes) or 0 (no).",
        f"«{value}» بله یا خیر نیست: ۱ (بله) یا ۰ (خیر) بنویسید.",
    )


def _slow_number(value, percent: bool) -> float:
    _excel_error(value)
    if isinstance(value, datetime.date | datetime.time):
        raise _Bad(
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
        raise _bad_from(error, "type") from None


# --- one sheet --------------------------------------------------------------------------


class _Sheet:
    """A sheet being checked: its cells by field, and where to file each complaint."""

    def __init__(self, sheet: Sheet, checks: Checks, problems: list[Problem]):
        self.sheet, self.checks, self.problems = sheet, checks, problems
        self.fields = checks.fields
        self.n = len(sheet)
        self._said: set[tuple] = set()
        self._blank: dict[str, np.ndarray] = {}

    def add(
        self, i: int | None, field: str | None, value, severity: str, code: str, en: str, fa: str
    ):
        column = self.sheet.columns.get(field) if field else None
        row = int(self.sheet.rows[i]) if i is not None else (self.sheet.header_rows or (None,))[-1]
        said = (row, field, code, en)
        if said in self._said:  # e.g. one unit cell contradicting several money headers
            return
        self._said.add(said)
        self.problems.append(
            Problem(
                self.sheet.name, row, column.header if column else None,
                None if value is None else shown_value(value), severity, en, fa, code,
                field, column.letter if column else None,
            )
        )  # fmt: skip

    def raw(self, field: str) -> list:
        return self.sheet.values.get(field) or [None] * self.n

    def parse(
        self, field: str, parser: Callable, at_once: Callable[[list], list] | None = None
    ) -> list:
        """Parse a column with ``parser``, once per distinct raw value (IDs, names and
        provinces repeat beside every return of an enterprise); every cell holding a
        value the parser refuses gets its own problem. ``at_once``, given the distinct
        values, settles those it can all together (what ``parser`` would give them)
        and leaves :data:`_ASK_PARSER` for the others."""
        out: list = [None] * self.n
        if field not in self.sheet.columns:
            return out
        values = self.sheet.values[field]
        codes, uniques = _distinct(values)
        results: list = at_once(uniques) if at_once is not None else [_ASK_PARSER] * len(uniques)
        refused: dict[int, _Bad] = {}
        for k, value in enumerate(uniques):
            if results[k] is not _ASK_PARSER:
                continue
            results[k] = None
            if is_blank(value):
                continue
            try:
                results[k] = parser(value)
            except _Bad as bad:
                refused[k] = bad
        if refused:
            for i in np.flatnonzero(np.isin(codes, list(refused))).tolist():
                bad = refused[int(codes[i])]
                self.add(i, field, values[i], ERROR, bad.code, bad.message_en, bad.message_fa)
        return [None if k < 0 else results[k] for k in codes.tolist()]

    def numbers(self, field: str, kind: str) -> np.ndarray:
        """A numeric column as floats (NaN where blank or unreadable).

        Numbers Excel stored, and text that is a plain number once Persian and
        Arabic-Indic digits are Latin (what most files hold), are read for the whole
        column at once; only the other cells ("۱۲٬۵۰۰", "(1,200)", "بله", "#N/A") go
        through the careful parser, one by one, each with its own message.
        """
        out = np.full(self.n, np.nan)
        if field not in self.sheet.columns:
            return out
        values = self.sheet.values[field]
        kinds = set(map(type, values)) - {type(None)}
        if kinds <= {int, float}:  # not bool: a yes/no is no quantity
            out = np.array(values, dtype=float)  # None becomes NaN
            careful = np.empty(0, dtype=np.int64)
        else:
            array = np.fromiter(values, dtype=object, count=self.n)
            kind_of = np.fromiter(
                map(_CELL_KINDS.get, map(type, values), repeat(_OTHER)), dtype=np.int8, count=self.n
            )
            numeric = kind_of == _NUMBER
            out[numeric] = array[numeric].astype(float)
            text = np.flatnonzero(kind_of == _TEXT)
            parsed, plain = _plain_numbers(array[text].tolist())
            out[text[plain]] = parsed[plain]
            unread = kind_of == _OTHER
            unread[text[~plain]] = True
            careful = np.flatnonzero(unread)
        percent = kind == "percent"
        for i in careful.tolist():
            value = values[i]
            if is_blank(value):
                continue
            try:
                out[i] = _boolean(value) if kind == "boolean" else _slow_number(value, percent)
            except _Bad as bad:
                self.add(i, field, value, ERROR, bad.code, bad.message_en, bad.message_fa)
        if kind == "boolean":
            bad = ~np.isnan(out) & ~np.isin(out, (0.0, 1.0))
            for i in np.flatnonzero(bad):
                value = values[i]
                self.add(i, field, value, ERROR, "type",
                         f"{shown_value(value)!r} is not yes or no: write 1 (yes) or 0 (no).",
                         f"«{shown_value(value)}» بله یا خیر نیست: ۱ (بله) یا ۰ (خیر) بنویسید.")  # fmt: skip
                out[i] = np.nan
        return out

    def blank(self, field: str) -> np.ndarray:
        """True where the column is blank (or absent). The reader stores blank cells as
        None; pd.isna on an object array is C speed."""
        if field not in self._blank:
            self._blank[field] = (
                pd.isna(np.fromiter(self.sheet.values[field], dtype=object, count=self.n))
                if field in self.sheet.columns
                else np.ones(self.n, dtype=bool)
            )
        return self._blank[field]

    def blank_mask(self, codes: Iterable[str]) -> np.ndarray:
        """True where every one of these columns is blank."""
        blank = np.ones(self.n, dtype=bool)
        for code in codes:
            blank &= self.blank(code)
        return blank


_BLANK, _NUMBER, _TEXT, _OTHER = range(4)
_CELL_KINDS = {
    type(None): _BLANK,
    int: _NUMBER,
    float: _NUMBER,
    str: _TEXT,
}  # exact types: bool is no number

_ASK_PARSER = object()  # what a column's ``at_once`` parser leaves to the one-value parser


def _distinct(values: list) -> tuple[np.ndarray, list]:
    """Each cell's index into the column's distinct values (-1 for None and NaN), and
    those values.

    Values of different types stay apart even when Python calls them equal (1, 1.0 and
    True parse differently); unhashable values (a list sent to the API) are each their
    own.
    """
    n = len(values)
    codes = np.full(n, -1, dtype=np.int64)
    uniques: list = []
    types = np.fromiter(map(type, values), dtype=object, count=n)
    array = np.fromiter(values, dtype=object, count=n)
    kinds = set(types.tolist())
    for kind in kinds - {type(None)}:
        where = np.flatnonzero(types == kind) if len(kinds) > 1 else np.arange(n)  # noqa: E721 (element-wise)
        try:
            found, distinct = pd.factorize(array[where])
        except TypeError:  # unhashable
            found, distinct = np.arange(len(where)), array[where]
        codes[where] = np.where(found < 0, -1, found + len(uniques))
        uniques.extend(distinct.tolist() if isinstance(distinct, np.ndarray) else list(distinct))
    return codes, uniques


def _plain_numbers(cells: list[str]) -> tuple[np.ndarray, np.ndarray]:
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


def _fa_number(x: float) -> str:
    return format_number(x, decimals=0 if float(x).is_integer() else 2)


def _en_number(x: float) -> str:
    return format_number(x, decimals=0 if float(x).is_integer() else 2, persian_digits=False)


# An ID a spreadsheet shows in scientific notation (1.09E+10) and saved so in a CSV: the
# digits beyond the third are gone, whatever the sender typed.
_SCIENTIFIC = re.compile(r"\s*[0-9]+(?:[.٫][0-9]+)?[eE][+-]?[0-9]+\s*")


def _scientific(value) -> bool:
    return isinstance(value, str) and _SCIENTIFIC.fullmatch(to_latin_digits(value)) is not None


def _check_ids(s: _Sheet, rows: np.ndarray) -> list:
    shown = [value for value in s.raw("national_id") if _scientific(value)]
    if shown:
        header = s.sheet.columns["national_id"].header
        s.add(None, "national_id", shown[0], ERROR, "scientific_id",
              f"{len(shown):,} national IDs in the column {header!r} are in scientific notation "
              f"(such as {shown[0]}), which keeps only their first digits. Format the column as "
              "Text (Format Cells, Text), type those IDs again in full and save the file.",
              f"{format_number(len(shown))} شناسهٔ ملی در ستون «{header}» به نماد علمی (مانند "
              f"{shown[0]}) نوشته شده است که فقط چند رقم نخست را نگه می‌دارد. قالب ستون را «متن» "
              "کنید (قالب‌بندی خانه‌ها، متن)، آن شناسه‌ها را کامل دوباره بنویسید و فایل را ذخیره "
              "کنید.")  # fmt: skip
    ids = s.parse(
        "national_id", lambda value: None if _scientific(value) else _national_id(value),
        _valid_national_ids,
    )  # fmt: skip
    for i in rows[s.blank("national_id")[rows]].tolist():
        s.add(i, "national_id", None, ERROR, "required",
              "The national ID is missing; every row needs the enterprise's national ID.",
              "شناسه ملی خالی است؛ هر ردیف شناسه ملی بنگاه را لازم دارد.")  # fmt: skip
    return ids


def _enterprise_rows(s: _Sheet, ids: list, rows: np.ndarray) -> pd.DataFrame:
    checks = s.checks
    names_fa = s.parse("name_fa", _text, _texts)
    names_en = s.parse("name_en", _text, _texts)
    isic = s.parse("isic_class", _isic)
    provinces = s.parse("province", _province)
    years = s.parse("founding_year", lambda v: _founding_year(v, checks.this_year))
    estate_codes: list = [None] * s.n
    if s.sheet.has("estate"):
        if checks.estates is None:
            estate_codes = s.parse("estate", _text, _texts)
        else:
            found = s.parse("estate", lambda v: _estate(v, checks.estates))
            # One estate row is shared by every cell naming it: read it once.
            rows_named = {id(row): row for row in found if row is not None}
            where = {
                key: (row["code"], int(row["province_code"])) for key, row in rows_named.items()
            }
            province_blank = s.blank("province")
            for i in rows.tolist():
                row = found[i]
                if row is None:
                    continue
                estate_codes[i], estate_province_code = where[id(row)]
                if provinces[i] is None and province_blank[i]:
                    provinces[i] = estate_province_code  # the estate says where it is
                elif provinces[i] is not None and provinces[i] != estate_province_code:
                    estate_province = find_province(estate_province_code)
                    given = find_province(provinces[i])
                    s.add(i, "estate", s.raw("estate")[i], ERROR, "estate_province",
                          f"The estate {row['code']} ({row['name_fa']}) is in "
                          f"{estate_province['name_en']}, not in {given['name_en']}: correct the "
                          "province or the estate.",
                          f"شهرک {row['code']} ({row['name_fa']}) در استان "
                          f"{estate_province['name_fa']} است، نه {given['name_fa']}: استان یا "
                          "شهرک را اصلاح کنید.")  # fmt: skip
    for field, values, en, fa in (
        ("name_fa", names_fa, "The enterprise's Persian name is missing.", "نام فارسی بنگاه خالی است."),
        ("isic_class", isic, "The ISIC class of the main activity is missing.", "کد ISIC فعالیت اصلی خالی است."),
        ("province", provinces, "The province is missing.", "استان خالی است."),
    ):  # fmt: skip
        unread = np.fromiter((v is None for v in values), dtype=bool, count=s.n) & s.blank(field)
        for i in rows[unread[rows]].tolist():
            s.add(i, field, None, ERROR, "required", en, fa)
    take = list(rows)
    return pd.DataFrame(
        {
            "national_id": [ids[i] for i in take],
            "name_fa": [names_fa[i] for i in take],
            "name_en": [names_en[i] for i in take],
            "isic_class": [isic[i] for i in take],
            "province_code": [provinces[i] for i in take],
            "estate_code": [estate_codes[i] for i in take],
            "founding_year": [years[i] for i in take],
            "_sheet": s.sheet.name,
            "_row": s.sheet.rows[rows] if len(rows) else np.empty(0, np.int64),
            "_given": list(
                zip(*((~s.blank(f)[rows]).tolist() for f in REGISTRY_CODES), strict=True)
            ),
        }
    )


def _estate(value, estates: Estates):
    _excel_error(value)
    row = estates.find(value)
    if row is None:
        raise _Bad(
            "estate",
            f"{value!r} is not a known industrial estate: choose one from the list (its code or "
            "name).",
            f"«{value}» شهرک یا ناحیه صنعتی شناخته‌شده‌ای نیست: یکی از فهرست را (کد یا نام) "
            "انتخاب کنید.",
        )
    return row


def _return_rows(s: _Sheet, ids: list, rows: np.ndarray) -> pd.DataFrame:
    fields = s.fields
    sheet = s.sheet
    if not (sheet.has("period") or sheet.has("year")):
        s.add(None, None, None, ERROR, "missing_column",
              f"The sheet {sheet.name!r} has figures but no period column: add 'دوره / Period' "
              "(or 'سال مالی / Fiscal year').",
              f"برگه «{sheet.name}» ارقام دارد اما ستون دوره ندارد: ستون «دوره» (یا «سال مالی») را "
              "بیفزایید.")  # fmt: skip
    if sheet.has("period"):
        periods = s.parse("period", _period)
        if sheet.has("quarter"):
            quarters = s.parse("quarter", _quarter)
            for i in rows:
                if periods[i] is not None and quarters[i] is not None:
                    if periods[i].quarter is None:
                        periods[i] = Period(periods[i].year, quarter=quarters[i])
                    elif periods[i].quarter != quarters[i]:
                        s.add(int(i), "quarter", s.raw("quarter")[i], ERROR, "period",
                              f"The quarter {quarters[i]} disagrees with the period {periods[i].code}.",
                              f"فصل {quarters[i]} با دوره {periods[i].label('fa')} نمی‌خواند.")  # fmt: skip
    else:
        years = s.parse("year", _period)
        quarters = s.parse("quarter", _quarter)
        periods = [
            None if y is None else (Period(y.year, quarter=q) if q is not None else y)
            for y, q in zip(years, quarters, strict=True)
        ]
    period_field = "period" if sheet.has("period") else "year"
    if sheet.has(period_field):
        raw_period = s.raw(period_field)
        years = np.fromiter(
            (0 if p is None else p.year for p in periods), dtype=np.int64, count=s.n
        )
        for i in rows[(years > s.checks.this_year)[rows]].tolist():
            s.add(i, period_field, raw_period[i], ERROR, "period",
                  f"The period {periods[i].code} has not begun: the current Jalali year is {s.checks.this_year}.",
                  f"دوره {periods[i].label('fa')} هنوز آغاز نشده است؛ سال جاری {to_persian_digits(str(s.checks.this_year))} "
                  f"است.")  # fmt: skip
        unread = np.fromiter((p is None for p in periods), dtype=bool, count=s.n) & s.blank(
            period_field
        )
        for i in rows[unread[rows]].tolist():
            s.add(i, period_field, None, ERROR, "required",
                  "The period is missing: write the fiscal year (1403) or quarter (1403-Q2).",
                  "دوره خالی است: سال مالی (۱۴۰۳) یا فصل (۱۴۰۳-ف۲) را بنویسید.")  # fmt: skip
    row_units = s.parse("unit", _unit)
    chosen = [periods[i] for i in rows.tolist()]
    # A period object is shared by the cells it was parsed from: describe each once.
    described = {id(p): (p.code, p.year, p.quarter) for p in chosen if p is not None}
    blank = (None, None, None)
    frame = {
        "national_id": [ids[i] for i in rows.tolist()],
        "period": [described.get(id(p), blank)[0] for p in chosen],
        "year": [described.get(id(p), blank)[1] for p in chosen],
        "quarter": [described.get(id(p), blank)[2] for p in chosen],
    }
    present = [code for code in fields.indicator_codes if sheet.has(code)]
    provided = ~s.blank_mask(present)[rows] if present else np.zeros(len(rows), dtype=bool)
    for field in fields.indicators:
        spec = field.indicator
        values = s.numbers(field.code, field.kind)
        if field.kind == "money" and sheet.has(field.code):
            values = _convert_money(s, field.code, values, row_units)
        if sheet.has(field.code):
            _check_range(s, spec, values, rows)
        frame[field.code] = values[rows] if len(rows) else np.empty(0)
    period_blank = s.blank(period_field)
    for k in np.flatnonzero(~provided):
        i = int(rows[k])
        if frame["period"][k] is not None or not period_blank[i]:
            s.add(i, None, None, WARNING, "empty_return",
                  "This return has no figures; it will be stored as blank.",
                  "این اظهارنامه هیچ رقمی ندارد و خالی ثبت می‌شود.")  # fmt: skip
    out = pd.DataFrame(frame)
    out["_sheet"] = sheet.name
    out["_row"] = sheet.rows[rows] if len(rows) else np.empty(0, np.int64)
    return out


def _convert_money(s: _Sheet, code: str, values: np.ndarray, row_units: list) -> np.ndarray:
    """Values in million rials: the header's unit, else the row's unit column, else as is."""
    header_unit = s.sheet.columns[code].unit
    if header_unit is not None:
        differ = (
            np.fromiter(
                (u is not None and u != header_unit for u in row_units), dtype=bool, count=s.n
            )
            if s.sheet.has("unit")
            else np.zeros(s.n, dtype=bool)
        )
        for i in np.flatnonzero(differ & ~np.isnan(values)).tolist():
            row_unit = row_units[i]
            s.add(i, "unit", s.raw("unit")[i], ERROR, "unit",
                  f"The unit column says {row_unit.name_en}, but the header of "
                  f"{s.sheet.columns[code].header!r} says {header_unit.name_en}.",
                  f"ستون واحد «{row_unit.name_fa}» می‌گوید اما سرستون "
                  f"«{s.sheet.columns[code].header}» «{header_unit.name_fa}».")  # fmt: skip
        if header_unit is MILLION_RIALS:
            return values
        f = header_unit.factor
        return values * f.numerator / f.denominator
    if not s.sheet.has("unit"):
        return values
    numerators = np.array([1 if u is None else u.factor.numerator for u in row_units], float)
    denominators = np.array([1 if u is None else u.factor.denominator for u in row_units], float)
    return values * numerators / denominators


def _check_range(s: _Sheet, spec: IndicatorSpec, values: np.ndarray, rows: np.ndarray) -> None:
    raw = s.raw(spec.code)
    chosen = values[rows]
    low, high = spec.min_value, spec.max_value
    share = spec.kind == "percent"
    with np.errstate(invalid="ignore"):
        below = chosen < low if low is not None else np.zeros(len(chosen), dtype=bool)
        above = chosen > high if high is not None else np.zeros(len(chosen), dtype=bool)
    if low is not None:
        for k in np.flatnonzero(below):
            i = int(rows[k])
            s.add(i, spec.code, raw[i], ERROR, "range",
                  f"{spec.name_en} cannot be below {_en_number(low)}; it is {_en_number(chosen[k])}.",
                  f"{spec.name_fa} نمی‌تواند کمتر از {_fa_number(low)} باشد؛ {_fa_number(chosen[k])} "
                  "است.")  # fmt: skip
    if high is not None:
        for k in np.flatnonzero(above):
            i = int(rows[k])
            if share:
                en = f"{spec.name_en} is a share and cannot exceed 100%; it is {_en_number(chosen[k])}."
                fa = f"{spec.name_fa} سهم است و از ۱۰۰ درصد بیشتر نمی‌شود؛ {_fa_number(chosen[k])} است."
            else:
                en = f"{spec.name_en} cannot exceed {_en_number(high)}; it is {_en_number(chosen[k])}."
                fa = f"{spec.name_fa} نمی‌تواند بیش از {_fa_number(high)} باشد؛ {_fa_number(chosen[k])} است."
            s.add(i, spec.code, raw[i], ERROR, "range", en, fa)
    if spec.unit == "count":
        fractional = ~np.isnan(chosen) & (np.floor(chosen) != chosen)
        for k in np.flatnonzero(fractional):
            i = int(rows[k])
            s.add(i, spec.code, raw[i], ERROR, "whole_number",
                  f"{spec.name_en} is a count: write a whole number, not {_en_number(chosen[k])}.",
                  f"{spec.name_fa} شمارش است: عدد صحیح بنویسید، نه {_fa_number(chosen[k])}.")  # fmt: skip
    implausible = (
        spec.implausible(chosen) & ~below & ~above
    )  # a value out of range is an error already
    if implausible.any():
        field = s.fields[spec.code]
        for k in np.flatnonzero(implausible).tolist():
            i = int(rows[k])
            en, fa = implausible_message(spec, chosen[k], field.unit_en, field.unit_fa)
            s.add(i, spec.code, raw[i], WARNING, IMPLAUSIBLE, en, fa)


def _shown(x: float, persian: bool) -> str:
    """A figure for a message: grouped digits, or a power of ten when it is huge (1e+30
    rather than thirty-one digits)."""
    if abs(x) >= 1e15:
        text = f"{x:.3g}"
        return to_persian_digits(text) if persian else text
    return _fa_number(x) if persian else _en_number(x)


def implausible_message(
    spec: IndicatorSpec, value: float, unit_en: str = "", unit_fa: str = ""
) -> tuple[str, str]:
    """The warning for a figure outside ``spec``'s plausible bounds, in English and Persian."""
    high = spec.plausible_max is not None and value > spec.plausible_max
    bound = spec.plausible_max if high else spec.plausible_min
    unit_en = f" {unit_en}" if unit_en else ""
    unit_fa = f" {unit_fa}" if unit_fa else ""
    en = (
        f"{spec.name_en} of {_shown(value, False)}{unit_en} is implausible for one enterprise: it is "
        f"{'more' if high else 'less'} than {_shown(bound, False)}{unit_en}. Check it (was it typed in "
        "another unit, or in the wrong column?); if it is right, confirm it, and it is stored as it is."
    )
    fa = (
        f"{spec.name_fa} برابر {_shown(value, True)}{unit_fa} برای یک بنگاه نامحتمل است: "
        f"{'بیش' if high else 'کم'} از {_shown(bound, True)}{unit_fa} است. آن را بررسی کنید (آیا با واحد دیگری "
        "یا در ستون دیگری وارد شده است؟)؛ اگر درست است، آن را تأیید کنید تا همان‌گونه ثبت شود."
    )
    return en, fa


def _check_sheet(sheet: Sheet, checks: Checks, problems: list[Problem]):
    s = _Sheet(sheet, checks, problems)
    if not sheet.has("national_id"):
        s.add(None, None, None, ERROR, "missing_column",
              f"The sheet {sheet.name!r} has no national ID column ('شناسه ملی / National ID'), "
              "so its rows cannot be tied to enterprises.",
              f"برگه «{sheet.name}» ستون شناسه ملی ندارد و ردیف‌هایش به بنگاهی مربوط نمی‌شود.")  # fmt: skip
        return None, None
    registry = [c for c in REGISTRY_CODES if sheet.has(c)]
    figures = [c for c in (*PERIOD_CODES, *checks.fields.indicator_codes) if sheet.has(c)]
    if sheet.has("period") and sheet.has("year"):
        s.add(None, "year", None, WARNING, "ignored_column",
              "Both a period and a fiscal-year column are present; the period column is used.",
              "هم ستون دوره و هم ستون سال مالی هست؛ ستون دوره به کار رفت.")  # fmt: skip
    all_rows = np.arange(s.n)
    ids = _check_ids(s, all_rows)
    enterprises = returns = None
    if registry:
        rows = all_rows if not figures else np.flatnonzero(~s.blank_mask(registry))
        enterprises = _enterprise_rows(s, ids, rows)
    if figures:
        rows = np.flatnonzero(~s.blank_mask([c for c in figures if c != "unit"]))
        returns = _return_rows(s, ids, rows)
    return enterprises, returns


# --- across sheets --------------------------------------------------------------------


# The enterprise columns that hold a code of what the sender wrote in another field.
_FIELD_OF_COLUMN = {"province_code": "province", "estate_code": "estate"}


class _Book:
    """Problems that involve several rows, perhaps on several sheets."""

    def __init__(self, sheets: Sequence[Sheet], checks: Checks, problems: list[Problem]):
        self.sheets = {sheet.name: sheet for sheet in sheets}
        self.checks, self.problems = checks, problems

    def add(self, sheet: str, row: int, field: str | None, value, severity, code, en, fa):
        column: Column | None = self.sheets[sheet].columns.get(field) if field else None
        self.problems.append(
            Problem(
                sheet, int(row), column.header if column else None,
                None if value is None else shown_value(value), severity, en, fa, code, field,
                column.letter if column else None,
            )
        )  # fmt: skip

    def raw(self, sheet: str, row: int, field: str):
        s = self.sheets[sheet]
        if field not in s.values:
            return None
        index = int(np.searchsorted(s.rows, row))
        return s.values[field][index]


def _merge_enterprises(book: _Book, frames: list[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return empty_enterprises()
    allf = pd.concat(frames, ignore_index=True)
    seen: dict[str, int] = {}
    keep = np.ones(len(allf), dtype=bool)
    registry_only = {
        name: not any(
            c in sheet.columns for c in (*PERIOD_CODES, *book.checks.fields.indicator_codes)
        )
        for name, sheet in book.sheets.items()
    }
    values = allf[ENTERPRISE_COLUMNS[1:]].to_numpy(object)
    given = list(allf["_given"])
    sheets, rows = (
        allf["_sheet"].tolist(),
        allf["_row"].tolist(),
    )  # plain lists: one row's lookup per repeat
    national_ids = allf["national_id"].tolist()
    careful = _repeats_in_agreement(allf, values, given, registry_only, keep)
    for k in careful.tolist():
        national_id = national_ids[k]
        if national_id not in seen:
            seen[national_id] = k
            continue
        j = seen[national_id]
        keep[k] = False
        here, there = sheets[k], sheets[j]
        given_k, given_j = given[k], given[j]
        differs = [
            ENTERPRISE_COLUMNS[1 + c]
            for c in range(len(ENTERPRISE_COLUMNS) - 1)
            if given_k[c] and given_j[c] and not _same(values[k, c], values[j, c])
        ]
        if differs or (registry_only[here] and registry_only[there]):
            first = f"{there}, row {rows[j]}"
            first_fa = f"برگه «{there}»، ردیف {rows[j]}"
        if differs:
            codes = [_FIELD_OF_COLUMN.get(column, column) for column in differs]
            specs = [book.checks.fields[code] for code in codes]
            field = codes[0]
            book.add(here, rows[k], field, book.raw(here, rows[k], field),
                     ERROR, "duplicate",
                     f"The enterprise {national_id} is listed again with different details "
                     f"({', '.join(spec.name_en for spec in specs)}) than in {first}; keep one row.",
                     f"بنگاه {national_id} دوباره با مشخصات متفاوت "
                     f"({'، '.join(spec.name_fa for spec in specs)}) نسبت به "
                     f"{first_fa} آمده است؛ یک ردیف را نگه دارید.")  # fmt: skip
        elif registry_only[here] and registry_only[there]:
            book.add(here, rows[k], "national_id", national_id, ERROR, "duplicate",
                     f"The national ID {national_id} is listed twice (also in {first}); keep one row.",
                     f"شناسه ملی {national_id} دو بار آمده است (در {first_fa} نیز)؛ یک ردیف را نگه "
                     "دارید.")  # fmt: skip
        else:
            # The same enterprise repeated identically beside each of its returns.
            given[j] = tuple(a or b for a, b in zip(given_j, given_k, strict=True))
            for c in range(len(ENTERPRISE_COLUMNS) - 1):
                if _missing(values[j, c]) and not _missing(values[k, c]):
                    values[j, c] = values[k, c]
    allf[ENTERPRISE_COLUMNS[1:]] = values
    return allf[keep].reset_index(drop=True)


def _repeats_in_agreement(
    allf: pd.DataFrame, values: np.ndarray, given: list, registry_only: dict, keep: np.ndarray
) -> np.ndarray:
    """Merge, all at once, the enterprises repeated in perfect agreement (the same
    details beside each of their returns, the usual file); return the rows of the
    others, in order, for the row-by-row comparison that says what differs.

    An enterprise agrees with itself when, in every column, the rows that state or
    hold a value all hold the same one, and it is not listed twice on registry-only
    sheets. Then comparing row by row would find nothing: its first row is kept,
    filled with the first value each column holds, and knows every column given.
    ``values``, ``given`` and ``keep`` are updated in place. Enterprises listed once
    need neither.
    """
    ids = allf["national_id"]
    repeated = (ids.duplicated(keep=False) & ids.notna()).to_numpy()
    if not repeated.any():
        return np.empty(0, dtype=np.int64)
    group = pd.factorize(ids)[0]
    stated = np.array(given, dtype=bool).reshape(len(allf), -1) | ~pd.isna(values)
    rows = np.flatnonzero(repeated)
    codes = np.column_stack(
        [pd.factorize(values[rows, c])[0] for c in range(values.shape[1])]
    ).astype(float)
    codes[~stated[rows]] = np.nan  # a row neither stating nor holding a value agrees with any
    distinct = pd.DataFrame(codes).groupby(group[rows]).nunique().max(axis=1)
    disagree = set(distinct.index[distinct.to_numpy() > 1].tolist())
    on_registry = allf["_sheet"].map(registry_only).to_numpy(dtype=bool) & repeated
    listed = pd.Series(group[on_registry]).value_counts()
    disagree.update(listed.index[listed.to_numpy() > 1].tolist())
    careful = repeated & np.isin(group, list(disagree))
    agreeing = np.flatnonzero(repeated & ~careful)
    firsts = agreeing[~pd.Series(group[agreeing]).duplicated().to_numpy()]
    keep[agreeing] = False
    keep[firsts] = True
    first_of = pd.Series(firsts, index=group[firsts])
    filled = (
        pd.DataFrame(values[agreeing]).groupby(group[agreeing]).first()
    )  # first non-missing value
    target = first_of.loc[filled.index].to_numpy()
    for c in range(values.shape[1]):
        column = filled[c].to_numpy(object)
        fill = pd.isna(values[target, c]) & ~pd.isna(column)
        values[target[fill], c] = column[fill]
    known = (
        pd.DataFrame(np.array(given, dtype=bool).reshape(len(allf), -1)[agreeing])
        .groupby(group[agreeing])
        .any()
    )
    for j, row in zip(first_of.loc[known.index].tolist(), known.to_numpy().tolist(), strict=True):
        given[j] = tuple(row)
    return np.flatnonzero(careful)


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _same(a, b) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    return a == b


def _merge_returns(book: _Book, frames: list[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame()
    allf = pd.concat(frames, ignore_index=True)
    keyed = allf["national_id"].notna() & allf["period"].notna()
    keys = allf.loc[keyed, ["national_id", "period"]]
    repeated = keys.duplicated(keep="first")
    if repeated.any():
        firsts = keys[~repeated].reset_index().set_index(["national_id", "period"])["index"]
        for k in keys.index[repeated.to_numpy()]:
            national_id, period = allf.at[k, "national_id"], allf.at[k, "period"]
            j = firsts.loc[(national_id, period)]
            there, row_j = allf.at[j, "_sheet"], allf.at[j, "_row"]
            book.add(allf.at[k, "_sheet"], allf.at[k, "_row"], "national_id", national_id, ERROR,
                     "duplicate",
                     f"The return of {national_id} for {period} appears twice (also in {there}, "
                     f"row {row_j}); keep one row.",
                     f"اظهارنامه {national_id} برای دوره {to_persian_digits(str(period))} دو بار آمده است (در برگه "
                     f"«{there}»، ردیف {to_persian_digits(str(row_j))} نیز)؛ یک ردیف را نگه دارید.")  # fmt: skip
        drop = keys.index[repeated.to_numpy()]
        allf = allf.drop(index=drop).reset_index(drop=True)
    return allf


def _check_known(book: _Book, returns: pd.DataFrame, enterprises: pd.DataFrame) -> None:
    known = book.checks.known_enterprises
    if known is None or returns.empty:
        return
    registered = known | set(enterprises["national_id"].dropna())
    for k in np.flatnonzero(
        ~returns["national_id"].isin(registered) & returns["national_id"].notna()
    ):
        national_id = returns.at[k, "national_id"]
        book.add(returns.at[k, "_sheet"], returns.at[k, "_row"], "national_id", national_id, ERROR,
                 "unknown_enterprise",
                 f"No enterprise with the national ID {national_id} is registered; add it to the "
                 "enterprise sheet first.",
                 f"بنگاهی با شناسه ملی {national_id} ثبت نشده است؛ نخست آن را در برگه بنگاه‌ها "
                 "بیفزایید.")  # fmt: skip


def _check_scope(book: _Book, returns: pd.DataFrame, enterprises: pd.DataFrame) -> None:
    scope, known = book.checks.scope, book.checks.known_enterprises or frozenset()
    allowed = scope.enterprises
    for k in range(len(enterprises)):
        national_id = enterprises.at[k, "national_id"]
        if national_id is None or (isinstance(national_id, float) and np.isnan(national_id)):
            continue
        if national_id in known:
            if allowed is not None and national_id not in allowed:
                book.add(enterprises.at[k, "_sheet"], enterprises.at[k, "_row"], "national_id", national_id, ERROR,
                         "scope",
                         f"You may not change the enterprise {national_id}: it is outside your estates or "
                         "enterprise.",
                         f"اجازهٔ تغییر بنگاه {national_id} را ندارید: بیرون از شهرک‌ها یا بنگاه شماست.")  # fmt: skip
            continue
        estate = enterprises.at[k, "estate_code"]
        estate = (
            None
            if estate is None or (isinstance(estate, float) and np.isnan(estate))
            else str(estate)
        )
        if scope.estates is not None and (estate is None or estate not in scope.estates):
            where_en = f"in the estate {estate}" if estate else "outside an estate"
            where_fa = f"در شهرک {estate}" if estate else "بیرون از شهرک‌ها"
            book.add(enterprises.at[k, "_sheet"], enterprises.at[k, "_row"], "national_id", national_id, ERROR,
                     "scope",
                     f"You may not register a new enterprise {where_en}; ask the estate's manager or an analyst.",
                     f"اجازهٔ ثبت بنگاه تازه {where_fa} را ندارید؛ از مدیر شهرک یا کارشناس بخواهید.")  # fmt: skip
    if allowed is None or returns.empty:
        return
    new = set(enterprises["national_id"].dropna()) - known if not enterprises.empty else set()
    for k in np.flatnonzero(
        ~returns["national_id"].isin(allowed | new) & returns["national_id"].isin(known)
    ):
        national_id = returns.at[k, "national_id"]
        book.add(returns.at[k, "_sheet"], returns.at[k, "_row"], "national_id", national_id, ERROR, "scope",
                 f"You may not send returns for the enterprise {national_id}: it is outside your estates or "
                 "enterprise.",
                 f"اجازهٔ فرستادن اظهارنامهٔ بنگاه {national_id} را ندارید: بیرون از شهرک‌ها یا بنگاه شماست.")  # fmt: skip


def _check_consistency(book: _Book, returns: pd.DataFrame) -> None:
    fields = book.checks.fields
    if returns.empty:
        return
    for part, whole in PARTS_OF_WHOLES:
        if part not in fields or whole not in fields:
            continue
        bad = (returns[part] > returns[whole]).to_numpy()
        for k in np.flatnonzero(bad):
            p, w = fields[part], fields[whole]
            sheet, row = returns.at[k, "_sheet"], returns.at[k, "_row"]
            book.add(sheet, row, part, book.raw(sheet, row, part), ERROR, "consistency",
                     f"{p.name_en} ({_en_number(returns.at[k, part])}) exceed {w.name_en} "
                     f"({_en_number(returns.at[k, whole])}), of which they are a part.",
                     f"{p.name_fa} ({_fa_number(returns.at[k, part])}) از {w.name_fa} "
                     f"({_fa_number(returns.at[k, whole])}) بیشتر است، در حالی که بخشی از آن است.")  # fmt: skip
    if {"equity", "total_assets", "total_liabilities"} <= set(fields.by_code):
        gap = returns["equity"] - (returns["total_assets"] - returns["total_liabilities"])
        tolerance = np.maximum(1.0, 0.01 * returns["total_assets"].abs())
        for k in np.flatnonzero((gap.abs() > tolerance).to_numpy()):
            sheet, row = returns.at[k, "_sheet"], returns.at[k, "_row"]
            expected = returns.at[k, "total_assets"] - returns.at[k, "total_liabilities"]
            book.add(sheet, row, "equity", book.raw(sheet, row, "equity"), WARNING, "consistency",
                     f"Equity should equal total assets minus total liabilities "
                     f"({_en_number(expected)}); it is {_en_number(returns.at[k, 'equity'])}.",
                     f"حقوق مالکانه باید برابر جمع دارایی‌ها منهای جمع بدهی‌ها ({_fa_number(expected)}) "
                     f"باشد؛ {_fa_number(returns.at[k, 'equity'])} است.")  # fmt: skip
    if {"exports", "export_countries"} <= set(fields.by_code):
        exports, countries = returns["exports"], returns["export_countries"]
        for k in np.flatnonzero(((exports > 0) & (countries == 0)).to_numpy()):
            sheet, row = returns.at[k, "_sheet"], returns.at[k, "_row"]
            book.add(sheet, row, "export_countries", 0, WARNING, "consistency",
                     "Exports are reported but no destination country.",
                     "صادرات گزارش شده اما هیچ کشور مقصدی نه.")  # fmt: skip
        for k in np.flatnonzero(((exports == 0) & (countries > 0)).to_numpy()):
            sheet, row = returns.at[k, "_sheet"], returns.at[k, "_row"]
            book.add(sheet, row, "export_countries", returns.at[k, "export_countries"], WARNING,
                     "consistency",
                     "Destination countries are reported but exports are zero.",
                     "کشور مقصد صادرات گزارش شده اما صادرات صفر است.")  # fmt: skip


def _check_unit_slips(book: _Book, returns: pd.DataFrame) -> None:
    """Warn where a non-negative money figure is about 10³ or 10⁶ times the
    enterprise's latest earlier figure (from the previous returns passed in, or from
    earlier periods in the file itself)."""
    checks = book.checks
    money = [c for c in _money_codes(checks.fields) if c in returns]
    if returns.empty or not money:
        return
    current = returns[returns["national_id"].notna() & returns["period"].notna()].copy()
    if current.empty:
        return
    known = {p: period_key(Period.parse(p)) for p in current["period"].unique()}
    keys = [known[p] for p in current["period"]]
    current["granularity"] = [k[0] for k in keys]
    current["order"] = [k[1] for k in keys]
    current["_pos"] = current.index
    earlier = checks.previous
    if earlier is not None and len(earlier):
        overlap = earlier.set_index(["national_id", "period"]).index.isin(
            current.set_index(["national_id", "period"]).index
        )
        earlier = earlier[~overlap].assign(_pos=-1)
        stacked = pd.concat([earlier[current.columns.intersection(earlier.columns)], current],
                            ignore_index=True)  # fmt: skip
    else:
        stacked = current.reset_index(drop=True)
    stacked = stacked.sort_values(["national_id", "granularity", "order"], kind="stable")
    groups = (
        stacked.groupby(["national_id", "granularity"], sort=False).ngroup().to_numpy()
    )  # ints group fast
    mine = (stacked["_pos"] >= 0).to_numpy()
    for code in money:
        values = stacked[code].astype(float)
        before = values.groupby(groups).shift(1).groupby(groups).ffill()
        period_of = stacked["period"].where(values.notna())
        before_period = period_of.groupby(groups).shift(1).groupby(groups).ffill()
        ratio = (values / before).where((values > 0) & (before > 0)).to_numpy(float)
        exponent = checks.unit_slip.exponent(ratio)
        field = checks.fields[code]
        for k in np.flatnonzero((exponent != 0) & mine):
            position = int(stacked["_pos"].iat[k])
            sheet, row = returns.at[position, "_sheet"], returns.at[position, "_row"]
            times = 10 ** abs(int(exponent[k]))
            bigger = exponent[k] > 0
            new, old = values.iat[k], before.iat[k]
            prev = before_period.iat[k]
            book.add(sheet, row, code, book.raw(sheet, row, code), WARNING, "unit_slip",
                     f"{field.name_en} is {_en_number(new)} million rials, about {times:,} times "
                     f"{'more' if bigger else 'less'} than in {prev} ({_en_number(old)}): was it "
                     f"typed in {'rials or thousand rials' if bigger else 'billion rials'}? "
                     "Figures are in million rials.",
                     f"{field.name_fa} {_fa_number(new)} میلیون ریال است، حدود "
                     f"{format_number(times)} برابر {'بیشتر' if bigger else 'کمتر'} از دوره {to_persian_digits(str(prev))} "
                     f"({_fa_number(old)}): آیا به {'ریال یا هزار ریال' if bigger else 'میلیارد ریال'} "
                     "وارد شده است؟ ارقام به میلیون ریال است.")  # fmt: skip


# --- entry points -------------------------------------------------------------------------


def validate_workbook(
    workbook: Workbook,
    *,
    catalogue: Sequence[IndicatorSpec] | None = None,
    estates=None,
    previous: pd.DataFrame | None = None,
    known_enterprises: Iterable | None = None,
    unit_slip: UnitSlipRule | None = None,
    scope: Scope | None = None,
    checks: Checks | None = None,
) -> IntakeReport:
    """Check a read workbook and gather the dry-run report.

    ``estates``: the estates a file may name (see :class:`Estates`); ``previous``:
    the enterprises' earlier returns (``national_id``, ``period`` or ``year``,
    indicator columns in catalogue units) for the unit-slip warning;
    ``known_enterprises``: national IDs already registered, so that a return for an
    enterprise neither registered nor in the file is refused.
    """
    checks = checks or Checks.build(
        catalogue=catalogue, estates=estates, previous=previous,
        known_enterprises=known_enterprises, unit_slip=unit_slip, scope=scope,
    )  # fmt: skip
    problems: list[Problem] = list(workbook.problems)
    for sheet in workbook.sheets:
        problems.extend(sheet.problems)
    if not workbook.sheets:
        problems.append(
            Problem(
                workbook.source, None, None, None, ERROR,
                f"No sheet of {workbook.source!r} has the expected column headers (such as "
                "'National ID' and 'Period'); start from the template.",
                f"هیچ برگه‌ای از «{workbook.source}» سرستون‌های لازم (مانند «شناسه ملی» و «دوره») را "
                "ندارد؛ از الگو استفاده کنید.",
                "no_data",
            )
        )  # fmt: skip
    enterprise_frames, return_frames = [], []
    for sheet in workbook.sheets:
        enterprises, returns = _check_sheet(sheet, checks, problems)
        if enterprises is not None:
            enterprise_frames.append(enterprises)
        if returns is not None:
            return_frames.append(returns)
    book = _Book(workbook.sheets, checks, problems)
    enterprises = _merge_enterprises(book, enterprise_frames)
    returns = _merge_returns(book, return_frames)
    if checks.scope is not None:
        _check_scope(book, returns, enterprises)
    if not returns.empty:
        _check_known(book, returns, enterprises)
        _check_consistency(book, returns)
        _check_unit_slips(book, returns)
    rows_read = sum(len(sheet) for sheet in workbook.sheets)
    if rows_read == 0 and workbook.sheets:
        problems.append(
            Problem(
                workbook.source, None, None, None, ERROR,
                f"{workbook.source!r} has headers but no data rows.",
                f"«{workbook.source}» سرستون دارد اما هیچ ردیف داده‌ای ندارد.",
                "no_data",
            )
        )  # fmt: skip
    return IntakeReport.build(
        source=workbook.source,
        problems=problems,
        enterprises=_canonical_enterprises(enterprises),
        returns=_canonical_returns(returns, checks.fields),
        rows_read=rows_read,
        sheet_order=workbook.sheet_order,
    )


def dry_run(
    path: str | Path,
    *,
    catalogue: Sequence[IndicatorSpec] | None = None,
    estates=None,
    previous: pd.DataFrame | None = None,
    known_enterprises: Iterable | None = None,
    unit_slip: UnitSlipRule | None = None,
    scope: Scope | None = None,
    limits: ReadLimits | None = None,
) -> IntakeReport:
    """Read a file and check it: the report an import shows before anything is written.

    Unreadable files (not a spreadsheet, truncated, too big) raise
    :class:`~rasad.errors.RasadInputError`; everything else becomes a problem in the
    report.
    """
    checks = Checks.build(
        catalogue=catalogue, estates=estates, previous=previous,
        known_enterprises=known_enterprises, unit_slip=unit_slip, scope=scope,
    )  # fmt: skip
    workbook = read_file(path, fields=checks.fields, limits=limits)
    return validate_workbook(workbook, checks=checks)


def _records_sheet(
    name: str, records: Sequence[Mapping], fields: FieldTable, first_row: int
) -> Sheet:
    codes: list[str] = []
    for record in records:
        for key in record:
            code = (
                key
                if key in fields
                else {"province_code": "province", "estate_code": "estate"}.get(key)
            )
            if code is not None and code not in codes:
                codes.append(code)
    columns = {
        code: Column(
            i, _letter(i), code, code, MILLION_RIALS if fields[code].kind == "money" else None
        )
        for i, code in enumerate(codes)
    }
    aliases = {"province": "province_code", "estate": "estate_code"}
    values = {
        code: [_from_frame(r.get(code, r.get(aliases.get(code, code)))) for r in records]
        for code in codes
    }
    return Sheet(name, (first_row - 1,) if first_row > 1 else (), columns,
                 np.arange(first_row, first_row + len(records), dtype=np.int64), values)  # fmt: skip


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


def _from_frame(value):
    """A frame or form value as a reader would store it: None for anything blank."""
    if value is None or value is pd.NA or value is pd.NaT or is_blank(value):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def validate_records(
    records: Iterable[Mapping],
    *,
    sheet: str = "form",
    first_row: int = 1,
    **options,
) -> IntakeReport:
    """Check records given as mappings of field code → value (a web form's fields).

    Field codes are those of :mod:`rasad.intake.fields` (``national_id``,
    ``period``, ``province``, catalogue codes…); values may be what a person typed
    (Persian digits, "۱۲٬۵۰۰") or already typed numbers. Rows are numbered from
    ``first_row``; the options are those of :func:`validate_workbook`.
    """
    records = list(records)
    checks = options.pop("checks", None) or Checks.build(**options)
    book = Workbook(sheet, "records", None, [_records_sheet(sheet, records, checks.fields, first_row)],
                    sheet_names=(sheet,))  # fmt: skip
    return validate_workbook(book, checks=checks)


def validate_frames(
    enterprises: pd.DataFrame | None = None,
    returns: pd.DataFrame | None = None,
    **options,
) -> IntakeReport:
    """Check canonical frames (as :func:`apply_mapping` or the report produce them).

    Each frame is checked as a sheet named ``enterprises`` or ``returns`` whose row
    numbers are those the frame would have written to Excel under one header row
    (index 0 → row 2).
    """
    checks = options.pop("checks", None) or Checks.build(**options)
    sheets = []
    for name, frame in (("enterprises", enterprises), ("returns", returns)):
        if frame is None:
            continue
        frame = frame.drop(
            columns=[c for c in ("year", "quarter") if "period" in frame and c in frame]
        )
        records = frame.to_dict("records")
        sheets.append(_records_sheet(name, records, checks.fields, first_row=2))
    book = Workbook("frames", "frames", None, sheets, sheet_names=tuple(s.name for s in sheets))
    return validate_workbook(book, checks=checks)


# --- canonical output -----------------------------------------------------------------


def _canonical_enterprises(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return empty_enterprises()
    out = frame[ENTERPRISE_COLUMNS].copy()
    return out.astype(empty_enterprises().dtypes.to_dict())


def _canonical_returns(frame: pd.DataFrame, fields: FieldTable) -> pd.DataFrame:
    template = empty_returns(fields.indicator_codes)
    if frame.empty:
        return template
    out = frame[list(template.columns)].copy()
    return out.astype(template.dtypes.to_dict()).reset_index(drop=True)


__all__ = [
    "EXCEL_ERRORS",
    "PARTS_OF_WHOLES",
    "RETURNS",
    "Checks",
    "UnitSlipRule",
    "dry_run",
    "validate_frames",
    "validate_records",
    "validate_workbook",
]
