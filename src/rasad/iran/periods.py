"""Jalali fiscal periods: the years, quarters and months returns are filed for.

Iranian enterprises close their books on the Jalali calendar (the fiscal year starts
on 1 Farvardin, about 21 March), so a return, a ranking edition and an alert all
name a Jalali period. The calendar arithmetic is jdatetime's: leap years follow the
official, astronomical calendar (1403 was leap, the next is 1408), which short
arithmetic rules get wrong in some years.
"""

from __future__ import annotations

import datetime
import numbers
import operator
import re
from dataclasses import dataclass

import jdatetime

from rasad.errors import RasadInputError
from rasad.iran.text import normalize_text, to_latin_digits, to_persian_digits

MONTH_NAMES_FA = (
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
)  # fmt: skip
MONTH_NAMES_EN = (
    "Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar",
    "Mehr", "Aban", "Azar", "Dey", "Bahman", "Esfand",
)  # fmt: skip

# Wide enough for any enterprise's history, narrow enough to catch a Gregorian year
# (2024) or a two-digit year typed by mistake.
MIN_YEAR = 1300
MAX_YEAR = 1500


def is_leap_year(jalali_year: int) -> bool:
    return jdatetime.date(jalali_year, 1, 1).isleap()


def jalali_to_gregorian(year: int, month: int, day: int) -> datetime.date:
    try:
        return jdatetime.date(year, month, day).togregorian()
    except ValueError:
        raise RasadInputError(
            f"{year:04d}-{month:02d}-{day:02d} is not a date in the Jalali calendar.",
            f"{to_persian_digits(f'{year:04d}/{month:02d}/{day:02d}')} تاریخ شمسی معتبری نیست.",
            value=(year, month, day),
        ) from None


def gregorian_to_jalali(d: datetime.date) -> tuple[int, int, int]:
    if isinstance(d, datetime.datetime):
        d = d.date()
    jalali = jdatetime.date.fromgregorian(date=d)
    return jalali.year, jalali.month, jalali.day


def format_jalali_date(d: datetime.date, language: str = "fa") -> str:
    """``۱۴۰۳/۰۱/۰۱`` for Persian readers, ``1403-01-01`` (sortable) for English."""
    year, month, day = gregorian_to_jalali(d)
    if language.startswith("fa"):
        return to_persian_digits(f"{year:04d}/{month:02d}/{day:02d}")
    return f"{year:04d}-{month:02d}-{day:02d}"


def _out_of_range(
    what_en: str, what_fa: str, value, low: int, high: int, hint_en: str = "", hint_fa: str = ""
):
    return RasadInputError(
        f"{what_en} {value} is not between {low} and {high}{hint_en}.",
        f"{what_fa} {to_persian_digits(str(value))} میان {to_persian_digits(str(low))} و "
        f"{to_persian_digits(str(high))} نیست{hint_fa}.",
        value=value,
    )


def _as_int(value, what_en: str, what_fa: str) -> int:
    if not isinstance(value, bool):  # True is an int to Python, never a year or quarter
        try:
            return operator.index(value)
        except TypeError:
            pass
    raise RasadInputError(
        f"The {what_en} must be a whole number, not {value!r}.",
        f"{what_fa} باید عدد صحیح باشد، نه «{value}».",
        value=value,
    )


_YEAR = re.compile(r"(?:سال ?)?(?P<year>[0-9]{4})")
_QUARTER = re.compile(r"(?P<year>[0-9]{4}) ?-? ?(?:Q|q|ف|فصل) ?(?P<quarter>[0-9]{1,2})")
_MONTH = re.compile(r"(?P<year>[0-9]{4}) ?[-/] ?(?P<month>[0-9]{1,2})")


def _not_a_period(text) -> RasadInputError:
    return RasadInputError(
        f"{text!r} is not a period: write a Jalali year (1403), a quarter (1403-Q2) "
        "or a month (1403-07).",
        f"«{text}» دوره نیست: سال شمسی (۱۴۰۳)، فصل (۱۴۰۳-ف۲) یا ماه (۱۴۰۳/۰۷) بنویسید.",
        value=text,
    )


@dataclass(frozen=True, order=True)
class Period:
    """A Jalali year, or one quarter or month of it.

    Periods of one granularity sort chronologically; comparing a year with a
    quarter of the same year raises ``TypeError``, because neither comes first.
    """

    year: int
    quarter: int | None = None
    month: int | None = None

    def __post_init__(self):
        year = _as_int(self.year, "year", "سال")
        if not MIN_YEAR <= year <= MAX_YEAR:
            gregorian = 1900 <= year <= 2200
            raise _out_of_range(
                "Jalali year",
                "سال شمسی",
                year,
                MIN_YEAR,
                MAX_YEAR,
                " (it looks like a Gregorian year)" if gregorian else "",
                " (به سال میلادی می‌ماند)" if gregorian else "",
            )
        object.__setattr__(self, "year", year)
        if self.quarter is not None and self.month is not None:
            raise RasadInputError(
                "A period is a year, a quarter or a month: give a quarter or a month, not both.",
                "دوره یا سال است یا فصل یا ماه: فصل یا ماه را بدهید، نه هر دو را.",
                value=(self.quarter, self.month),
            )
        if self.quarter is not None:
            quarter = _as_int(self.quarter, "quarter", "فصل")
            if not 1 <= quarter <= 4:
                raise _out_of_range("Quarter", "فصل", quarter, 1, 4)
            object.__setattr__(self, "quarter", quarter)
        if self.month is not None:
            month = _as_int(self.month, "month", "ماه")
            if not 1 <= month <= 12:
                raise _out_of_range("Month", "ماه", month, 1, 12)
            object.__setattr__(self, "month", month)

    @classmethod
    def parse(cls, text) -> Period:
        """Read a period as people write it in forms, file names and spreadsheets.

        Accepts ``1403``, ``سال ۱۴۰۳``, ``1403-Q2``, ``1403Q2``, ``۱۴۰۳-ف۲``,
        ``۱۴۰۳ - فصل ۲``, ``1403/07`` and ``1403-07``, in any digits, and every
        label and code this class produces.
        """
        if isinstance(text, Period):
            return text
        if isinstance(text, numbers.Integral) and not isinstance(text, bool):
            return cls(int(text))
        if not isinstance(text, str):
            raise _not_a_period(text)
        cleaned = to_latin_digits(normalize_text(text))
        match = _YEAR.fullmatch(cleaned) or _QUARTER.fullmatch(cleaned) or _MONTH.fullmatch(cleaned)
        if match is None:
            raise _not_a_period(text)
        parts = {name: int(value) for name, value in match.groupdict().items() if value}
        try:
            return cls(**parts)
        except RasadInputError as error:
            raise RasadInputError(
                f"{text!r}: {error.message_en}", f"«{text}»: {error.message_fa}", value=text
            ) from None

    @classmethod
    def containing(cls, d: datetime.date, granularity: str = "year") -> Period:
        """The period of the given granularity (year, quarter, month) that holds ``d``."""
        year, month, _ = gregorian_to_jalali(d)
        if granularity == "year":
            return cls(year)
        if granularity == "quarter":
            return cls(year, quarter=(month - 1) // 3 + 1)
        if granularity == "month":
            return cls(year, month=month)
        raise ValueError(f"granularity must be 'year', 'quarter' or 'month', not {granularity!r}")

    @property
    def granularity(self) -> str:
        if self.quarter is not None:
            return "quarter"
        if self.month is not None:
            return "month"
        return "year"

    @property
    def code(self) -> str:
        """The canonical spelling: stable, sortable within a granularity, Latin."""
        if self.quarter is not None:
            return f"{self.year}-Q{self.quarter}"
        if self.month is not None:
            return f"{self.year}-{self.month:02d}"
        return str(self.year)

    def __str__(self) -> str:
        return self.code

    def label(self, language: str = "fa") -> str:
        if not language.startswith("fa"):
            return self.code if self.month is None else f"{self.year}/{self.month:02d}"
        if self.quarter is not None:
            return to_persian_digits(f"{self.year} - فصل {self.quarter}")
        if self.month is not None:
            return to_persian_digits(f"{self.year}/{self.month:02d}")
        return to_persian_digits(str(self.year))

    def _months(self) -> tuple[int, int]:
        """First month and number of months covered."""
        if self.quarter is not None:
            return 3 * self.quarter - 2, 3
        if self.month is not None:
            return self.month, 1
        return 1, 12

    def start_date(self) -> datetime.date:
        first, _ = self._months()
        return jalali_to_gregorian(self.year, first, 1)

    def end_date(self) -> datetime.date:
        """The last day of the period, inclusive (29 or 30 Esfand at year end)."""
        first, count = self._months()
        after = first - 1 + count  # months from 1 Farvardin of self.year to the next start
        next_start = jdatetime.date(self.year + after // 12, after % 12 + 1, 1).togregorian()
        return next_start - datetime.timedelta(days=1)

    def _shifted(self, step: int) -> Period:
        if self.quarter is not None:
            index = self.year * 4 + self.quarter - 1 + step
            return Period(index // 4, quarter=index % 4 + 1)
        if self.month is not None:
            index = self.year * 12 + self.month - 1 + step
            return Period(index // 12, month=index % 12 + 1)
        return Period(self.year + step)

    def previous(self) -> Period:
        """The period before, at the same granularity: what growth compares with."""
        return self._shifted(-1)

    def next(self) -> Period:
        return self._shifted(1)


def fiscal_year_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    """First and last Gregorian day of a Jalali fiscal year."""
    period = Period(year)
    return period.start_date(), period.end_date()
