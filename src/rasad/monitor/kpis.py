"""Key performance indicators of every enterprise in every period, as dense grids.

Monitoring looks at an enterprise through time (growth, streaks of decline, a jump
from one return to the next), so the returns (one row per enterprise and period) are
laid out once as enterprises × periods grids, one per reported figure. Every KPI is
then a whole-array expression on those grids, and "the previous period" is the column
to the left: no group-by, no sort, no Python loop over enterprises. A period with no
return is a column of NaN for that enterprise, so growth is never computed across a
gap of two years by mistake.

A KPI whose inputs are missing, or whose denominator (or growth base) is zero or
negative, is NaN: no value and therefore no alert. Such cells are counted per KPI and
reason in :meth:`KpiTable.coverage`, so a page can say "not computable for 312
enterprises" instead of hiding them or raising a false alarm.

Money is deflated with the price index by year: the bundled Iranian CPI
(:func:`rasad.iran.prices.to_real`) unless another index is given (e.g. US CPI
for a US panel), because with 30–50% inflation nominal growth says little.
"""

from __future__ import annotations

import datetime
import functools
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rasad.errors import RasadInputError
from rasad.index.inputs import CERTIFICATES, altman_z2, certificates_held
from rasad.iran.geo import isic
from rasad.iran.periods import jalali_to_gregorian
from rasad.iran.prices import to_real
from rasad.iran.sizes import ISIPO_SIZE_THRESHOLDS, SIZE_LABELS, check_thresholds, size_classes
from rasad.methodologies import load_catalogue

# Altman's zones of Z'' (1983/1995, the no-constant score for private and non-manufacturing firms).
Z2_SAFE_ABOVE = 2.6
Z2_DISTRESS_BELOW = 1.1
Z2_ZONES = ("distress", "grey", "safe")
Z2_ZONE_NAMES = {
    "distress": ("درماندگی", "distress"),
    "grey": ("خاکستری", "grey"),
    "safe": ("امن", "safe"),
}

NOT_COMPUTABLE_REASONS = ("missing_input", "zero_or_negative_base")


@dataclass(frozen=True)
class KpiSpec:
    """What a KPI means: its names, unit, which way is better and which reported
    figures it is made of (``inputs``), looking ``lag`` periods back. Rule files,
    needs mappings and evidence use this catalogue, so a typo in a rule file is caught
    on load and an alert can show the figures its KPI came from."""

    code: str
    name_fa: str
    name_en: str
    unit: str
    direction: int  # +1 higher is better, -1 lower is better, 0 neither
    inputs: tuple[str, ...]
    lag: int = 0  # periods back the KPI looks (1 for y/y growth; the span for a CAGR)
    kind: str = "number"  # or "category" (not usable in threshold rules)
    description_en: str = ""
    description_fa: str = ""

    def name(self, language: str = "fa") -> str:
        return self.name_fa if language.startswith("fa") else self.name_en


def _spec(code, fa, en, unit, direction, inputs, lag=0, kind="number", en_doc="", fa_doc=""):
    return KpiSpec(code, fa, en, unit, direction, tuple(inputs), lag, kind, en_doc, fa_doc)


KPIS: dict[str, KpiSpec] = {s.code: s for s in (
    _spec("sales_growth", "رشد اسمی فروش", "Nominal sales growth", "ratio", 1, ["sales"], 1,
          en_doc="sales / previous sales − 1", fa_doc="فروش ÷ فروش دورهٔ قبل − ۱"),
    _spec("sales_real", "فروش واقعی", "Real sales (base-year prices)", "million_rials", 0,
          ["sales"], en_doc="sales × index(base) / index(year)",
          fa_doc="فروش × شاخص سال پایه ÷ شاخص سال"),
    _spec("sales_growth_real", "رشد واقعی فروش", "Real sales growth", "ratio", 1, ["sales"], 1,
          en_doc="real sales / previous real sales − 1",
          fa_doc="فروش واقعی ÷ فروش واقعی دورهٔ قبل − ۱"),
    _spec("sales_cagr_real", "رشد مرکب سالانهٔ واقعی فروش", "Real sales CAGR", "ratio", 1,
          ["sales"], -1,
          en_doc="(real sales / real sales k periods before)^(1/k) − 1",
          fa_doc="(فروش واقعی ÷ فروش واقعی k دوره پیش)^(۱/k) − ۱"),
    _spec("employment_growth", "رشد اشتغال", "Employment growth", "ratio", 1, ["employees"], 1,
          en_doc="employees / previous employees − 1", fa_doc="شاغلان ÷ شاغلان دورهٔ قبل − ۱"),
    _spec("employment_cagr", "رشد مرکب سالانهٔ اشتغال", "Employment CAGR", "ratio", 1,
          ["employees"], -1,
          en_doc="(employees / employees k periods before)^(1/k) − 1",
          fa_doc="(شاغلان ÷ شاغلان k دوره پیش)^(۱/k) − ۱"),
    _spec("value_added", "ارزش افزوده", "Value added (nominal)", "million_rials", 0,
          ["sales", "intermediate_inputs"], en_doc="sales − intermediate inputs",
          fa_doc="فروش − نهاده‌های واسطه"),
    _spec("labour_productivity", "بهره‌وری نیروی کار",
          "Labour productivity (real value added per employee)", "million_rials_per_person", 1,
          ["sales", "intermediate_inputs", "employees"],
          en_doc="real value added / employees", fa_doc="ارزش افزودهٔ واقعی ÷ شاغلان"),
    _spec("export_share", "سهم صادرات از فروش", "Export share of sales", "ratio", 1,
          ["exports", "sales"], en_doc="exports / sales", fa_doc="صادرات ÷ فروش"),
    _spec("export_growth_real", "رشد واقعی صادرات", "Real export growth", "ratio", 1,
          ["exports"], 1,
          en_doc="real exports / previous real exports − 1",
          fa_doc="صادرات واقعی ÷ صادرات واقعی دورهٔ قبل − ۱"),
    _spec("export_markets", "شمار کشورهای مقصد صادرات", "Export destination countries", "count", 1,
          ["export_countries"]),
    _spec("capacity_utilisation", "ضریب بهره‌برداری از ظرفیت", "Capacity utilisation", "percent", 1,
          ["capacity_utilisation"]),
    _spec("ebit_margin", "حاشیهٔ سود عملیاتی", "EBIT margin", "ratio", 1, ["ebit", "sales"],
          en_doc="EBIT / sales", fa_doc="سود عملیاتی ÷ فروش"),
    _spec("net_margin", "حاشیهٔ سود خالص", "Net profit margin", "ratio", 1, ["net_profit", "sales"],
          en_doc="net profit / sales", fa_doc="سود خالص ÷ فروش"),
    _spec("return_on_assets", "بازده دارایی‌ها", "Return on assets (EBIT / total assets)",
          "ratio", 1, ["ebit", "total_assets"]),
    _spec("current_ratio", "نسبت جاری", "Current ratio", "ratio", 1,
          ["current_assets", "current_liabilities"], en_doc="current assets / current liabilities",
          fa_doc="دارایی‌های جاری ÷ بدهی‌های جاری"),
    _spec("working_capital_ratio", "نسبت سرمایهٔ در گردش", "Working capital / total assets",
          "ratio", 1, ["current_assets", "current_liabilities", "total_assets"]),
    _spec("debt_ratio", "نسبت بدهی", "Debt ratio (leverage)", "ratio", -1,
          ["total_liabilities", "total_assets"], en_doc="total liabilities / total assets",
          fa_doc="کل بدهی‌ها ÷ کل دارایی‌ها"),
    _spec("equity", "حقوق مالکانه", "Book equity", "million_rials", 1,
          ["equity", "total_assets", "total_liabilities"],
          en_doc="equity as reported; where blank, total assets − total liabilities (an identity)",
          fa_doc="حقوق مالکانهٔ گزارش‌شده؛ اگر خالی باشد، جمع دارایی‌ها − جمع بدهی‌ها (یک اتحاد)"),
    _spec("altman_z2", "امتیاز Z'' آلتمن", "Altman Z''", "score", 1,
          ["current_assets", "current_liabilities", "retained_earnings", "ebit", "equity",
           "total_assets", "total_liabilities"],
          en_doc="6.56·WC/TA + 3.26·RE/TA + 6.72·EBIT/TA + 1.05·equity/TL",
          fa_doc="۶٫۵۶·سرمایهٔ در گردش/دارایی + ۳٫۲۶·سود انباشته/دارایی + ۶٫۷۲·سود عملیاتی/دارایی + "
                 "۱٫۰۵·حقوق مالکانه/بدهی"),
    _spec("z2_zone", "ناحیهٔ Z'' آلتمن", "Altman Z'' zone", "zone", 0, ["altman_z2"],
          kind="category",
          en_doc="safe > 2.6, grey 1.1–2.6, distress < 1.1",
          fa_doc="امن بیش از ۲٫۶، خاکستری ۱٫۱ تا ۲٫۶، درماندگی کمتر از ۱٫۱"),
    _spec("credit_access", "دسترسی به اعتبار", "Credit access (received / requested)", "ratio", 1,
          ["credit_received", "credit_requested"]),
    _spec("certifications", "گواهی‌های کیفیت و استاندارد",
          "Certificates held (ISO 9001, ISO 14001, national mark)", "count", 1,
          ["iso9001", "iso14001", "standard_mark"]),
    _spec("technology_adoption", "فناوری‌های به‌کارگرفته", "Technologies adopted (of 10)", "count", 1,
          ["technologies_adopted"]),
    _spec("knowledge_based", "دانش‌بنیان", "Certified knowledge-based firm", "yes/no", 1,
          ["knowledge_based"]),
    _spec("rd_intensity", "شدت تحقیق و توسعه", "R&D intensity (R&D / sales)", "ratio", 1,
          ["rd_expenditure", "sales"]),
    _spec("new_product_share", "سهم محصولات جدید از فروش", "Share of sales from new products",
          "percent", 1, ["new_product_sales_share"]),
    _spec("defect_rate", "نرخ ضایعات", "Defect rate", "percent", -1, ["defect_rate"]),
    _spec("training_intensity", "ساعت آموزش سرانه", "Training hours per employee",
          "hours_per_person", 1, ["training_hours", "employees"]),
    _spec("graduate_share", "سهم کارکنان دانشگاهی", "Share of employees with a degree", "ratio", 1,
          ["graduate_employees", "employees"]),
    _spec("days_late", "روزهای تأخیر اظهارنامه", "Days the return came after its deadline",
          "days", -1, ["submitted_on"], en_doc="submission date − deadline (negative: early)",
          fa_doc="تاریخ ارسال − مهلت (منفی: زودتر)"),
)}  # fmt: skip

# Every reported figure of the indicator catalogue (KPIs read some of them; unit-jump
# rules may watch any). A returns table may have fewer (a KPI reading a missing one is
# then not computable) or more columns (ignored).
RAW_FIELDS = tuple(
    dict.fromkeys(
        [f for s in KPIS.values() for f in s.inputs if f not in ("altman_z2", "submitted_on")]
        + [spec.code for spec in load_catalogue()]
    )
)


def _bad(en: str, fa: str, field_name: str | None = None, value=None) -> RasadInputError:
    return RasadInputError(en, fa, field=field_name, value=value)


@dataclass(frozen=True)
class Deadline:
    """When the return for a period is due: ``day`` of ``month`` of the following
    year, in ``calendar``. The default is the Iranian practice the demo follows: the
    return for fiscal year y is due by 31 Tir of y + 1."""

    month: int = 4
    day: int = 31
    calendar: str = "jalali"

    def __post_init__(self):
        if self.calendar not in ("jalali", "gregorian"):
            raise _bad(
                f"calendar must be 'jalali' or 'gregorian', not {self.calendar!r}.",
                f"تقویم باید jalali یا gregorian باشد، نه «{self.calendar}».",
                "calendar",
                self.calendar,
            )
        ok = all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool)
            for v in (self.month, self.day)
        )
        if not ok or not (1 <= self.month <= 12 and 1 <= self.day <= 31):
            raise _bad(
                f"A deadline needs a month 1–12 and a day 1–31, not {self.month!r}/{self.day!r}.",
                f"مهلت باید ماه ۱ تا ۱۲ و روز ۱ تا ۳۱ داشته باشد، نه {self.month!r}/{self.day!r}.",
                "deadline",
                (self.month, self.day),
            )
        # refuse dates no year has (31 Esfand, 30 February); checked in a leap year
        # (1403, 2000) so that 30 Esfand and 29 February pass
        self.date(1402 if self.calendar == "jalali" else 1999)

    def date(self, period: int) -> datetime.date:
        if self.calendar == "jalali":
            return jalali_to_gregorian(int(period) + 1, self.month, self.day)
        try:
            return datetime.date(int(period) + 1, self.month, self.day)
        except ValueError:
            raise _bad(
                f"{self.month}/{self.day} is not a date of year {int(period) + 1}.",
                f"{self.month}/{self.day} در سال {int(period) + 1} تاریخ معتبری نیست.",
                "deadline",
                (self.month, self.day),
            ) from None

    def dates(self, periods) -> np.ndarray:
        return np.array([self.date(p) for p in periods], dtype="datetime64[D]")


def _check_name(value, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise _bad(
            f"{what} must be a column name, not {value!r}.",
            f"{what} باید نام یک ستون باشد، نه «{value}».",
            what,
            value,
        )
    return value


def _check_prices(prices) -> pd.Series | None:
    if prices is None:
        return None
    series = pd.Series(prices) if not isinstance(prices, pd.Series) else prices
    try:
        values = series.to_numpy(dtype=np.float64)
        years = series.index.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        values, years = np.array([np.nan]), np.array([np.nan])
    if (
        series.empty
        or not np.isfinite(values).all()
        or (values <= 0).any()
        or not np.isfinite(years).all()
        or (years != np.round(years)).any()
        or series.index.duplicated().any()
    ):
        raise _bad(
            "prices must be a price index by year: whole-number years, positive finite values.",
            "شاخص قیمت باید بر حسب سال باشد: سال‌های صحیح و مقادیر مثبت و متناهی.",
            "prices",
        )
    return pd.Series(values, index=years.astype(np.int64))


def _check_deadlines(deadlines) -> dict[int, datetime.date] | None:
    """``{period: date}`` with whole-number periods and dates (``datetime.date``, a
    timestamp or ISO text); refused with both languages otherwise."""
    if deadlines is None:
        return None
    if not isinstance(deadlines, Mapping):
        raise _bad(
            "deadlines must be a mapping of periods to dates, e.g. {1403: date(2025, 7, 22)}.",
            "مهلت‌ها باید نگاشتی از دوره به تاریخ باشند، مانند {1403: date(2025, 7, 22)}.",
            "deadlines",
        )
    out = {}
    for period, when in deadlines.items():
        whole = isinstance(period, numbers.Integral) and not isinstance(period, bool)
        try:
            day = None if when is None or isinstance(when, bool) else pd.Timestamp(when)
        except (TypeError, ValueError):
            day = None
        if not whole or day is None or pd.isna(day):
            raise _bad(
                f"deadlines[{period!r}] = {when!r}: "
                "a deadline is a whole-number period and a date.",
                f"deadlines[{period!r}] = {when!r}: مهلت باید دوره‌ای با عدد صحیح و یک تاریخ باشد.",
                "deadlines",
                period,
            )
        out[int(period)] = day.date()
    return out


def _missing_years(years, table_first, table_last) -> RasadInputError:
    shown = ", ".join(str(int(y)) for y in years[:5])
    return _bad(
        f"No price index for year(s) {shown}: the given index covers {table_first}–{table_last}.",
        f"شاخص قیمت برای سال(های) {shown} داده نشده است: شاخص داده‌شده {table_first} تا "
        f"{table_last} را دارد.",
        "year",
        list(years[:5]),
    )


@dataclass(frozen=True)
class Kpis:
    """Computes every KPI of :data:`KPIS` from yearly returns.

    ``unit`` and ``period`` name the enterprise and period columns of the returns
    (periods are consecutive whole numbers: Jalali or Gregorian years). ``prices`` is
    a price index by year (the bundled Iranian CPI when ``None``), ``base_year`` the
    year whose prices real values are in, ``cagr_span`` the number of periods a CAGR
    spans, ``deadline`` the rule for when a return is due, ``size_thresholds`` the size
    bands used for peer groups (ISIPO's by default), ``deadlines`` the actual deadline
    of some periods (``{1403: date(2025, 8, 1)}``, e.g. the database's
    ``Period.deadline``): they decide ``days_late`` and which returns are overdue; the
    rule decides the periods they leave out.
    """

    unit: str = "national_id"
    period: str = "year"
    prices: pd.Series | None = None
    base_year: int = 1400
    cagr_span: int = 3
    deadline: Deadline = field(default_factory=Deadline)
    size_thresholds: tuple = ISIPO_SIZE_THRESHOLDS
    deadlines: Mapping | None = None  # {period: date}: the actual deadlines, where known

    def __post_init__(self):
        _check_name(self.unit, "unit")
        _check_name(self.period, "period")
        object.__setattr__(self, "prices", _check_prices(self.prices))
        object.__setattr__(self, "deadlines", _check_deadlines(self.deadlines))
        if not isinstance(self.base_year, numbers.Integral) or isinstance(self.base_year, bool):
            raise _bad(
                f"base_year must be a year, not {self.base_year!r}.",
                f"سال پایه باید یک سال باشد، نه «{self.base_year}».",
                "base_year",
                self.base_year,
            )
        if self.prices is not None and self.base_year not in self.prices.index:
            raise _missing_years([self.base_year], self.prices.index.min(), self.prices.index.max())
        if (
            not isinstance(self.cagr_span, numbers.Integral)
            or isinstance(self.cagr_span, bool)
            or self.cagr_span < 1
        ):
            raise _bad(
                f"cagr_span must be a whole number of periods ≥ 1, not {self.cagr_span!r}.",
                f"بازهٔ رشد مرکب باید عدد صحیح ≥ ۱ باشد، نه «{self.cagr_span}».",
                "cagr_span",
                self.cagr_span,
            )
        if not isinstance(self.deadline, Deadline):
            raise _bad(
                "deadline must be a Deadline.", "مهلت باید از نوع Deadline باشد.", "deadline"
            )
        object.__setattr__(self, "size_thresholds", check_thresholds(self.size_thresholds))

    # -- prices ---------------------------------------------------------------------------

    def deadline_dates(self, periods) -> np.ndarray:
        """The deadline of each period: the date ``deadlines`` gives for it, else the
        ``deadline`` rule's date."""
        given = self.deadlines or {}
        return np.array(
            [given.get(int(p)) or self.deadline.date(p) for p in periods], dtype="datetime64[D]"
        )

    def price_factors(self, periods: np.ndarray) -> np.ndarray:
        """Multiply nominal values of each period by these to get base-year prices."""
        if self.prices is None:
            return to_real(np.ones(len(periods)), periods, self.base_year)
        known = np.isin(periods, self.prices.index.to_numpy())
        if not known.all():
            raise _missing_years(periods[~known], self.prices.index.min(), self.prices.index.max())
        return self.prices[self.base_year] / self.prices.reindex(periods).to_numpy()

    # -- computing ------------------------------------------------------------------------

    def compute(self, returns: pd.DataFrame, enterprises: pd.DataFrame | None = None) -> KpiTable:
        """KPIs of every enterprise in every period from the first to the last period
        present in ``returns``.

        ``enterprises`` (optional) is the registry: ``unit`` and any of
        ``isic_class``, ``province_code``, ``estate_code``, ``founding_year``,
        ``size_class``. Registered enterprises without any return are included (they
        owe returns); their attributes give peer groups and the needs matrix.
        """
        panel = _Panel.build(returns, enterprises, self)
        return KpiTable(self, panel, _compute(panel, self))


@dataclass
class _Panel:
    units: pd.Index
    periods: np.ndarray
    raw: dict[str, np.ndarray]
    filed: np.ndarray
    submitted: np.ndarray | None  # datetime64[D] grid, NaT where unknown
    start: np.ndarray  # index of each unit's first expected period
    registry: pd.DataFrame | None  # aligned to units

    @classmethod
    def build(cls, returns, enterprises, kpis: Kpis) -> _Panel:
        """Lay ``returns`` out as enterprises × periods grids, over every period from
        the first to the last and every enterprise registered or filing."""
        unit = kpis.unit
        years = _return_years(returns, unit, kpis.period)
        periods = np.arange(int(years.min()), int(years.max()) + 1)
        units = _units(returns[unit], enterprises, unit)
        u, p = _cells(returns[unit], years, units, periods, unit)
        shape = (len(units), len(periods))
        filed = np.zeros(shape, dtype=bool)
        filed[u, p] = True
        raw = _raw_grids(returns, u, p, shape)
        submitted = _submitted_grid(returns, u, p, shape)
        registry = None
        if enterprises is not None:
            registry = _registry(enterprises.set_index(unit).reindex(units))
        start = _start(filed, registry, periods)
        return cls(units, periods, raw, filed, submitted, start, registry)


def _return_years(returns, unit: str, period: str) -> np.ndarray:
    """Each return's period, once the returns are known to be a non-empty table with
    the unit and period columns and whole-number periods."""
    if not isinstance(returns, pd.DataFrame):
        raise _bad(
            "returns must be a table (DataFrame).", "اظهارنامه‌ها باید جدول (DataFrame) باشند."
        )
    missing = [c for c in (unit, period) if c not in returns.columns]
    if missing:
        raise _bad(
            f"The returns table has no column(s): {', '.join(missing)}.",
            f"جدول اظهارنامه‌ها این ستون(ها) را ندارد: {', '.join(missing)}.",
            missing[0],
        )
    if returns.empty:
        raise _bad("The returns table is empty.", "جدول اظهارنامه‌ها خالی است.", period)
    years = pd.to_numeric(returns[period], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(years) | (years != np.round(years))
    if bad.any():
        shown = returns[period][bad].head(5).tolist()
        raise _bad(
            f"Periods must be whole numbers (years); got {shown}.",
            f"دوره‌ها باید عدد صحیح (سال) باشند؛ داده‌شده: {shown}.",
            period,
            shown,
        )
    return years.astype(np.int64)


def _units(ids: pd.Series, enterprises, unit: str) -> pd.Index:
    """The grids' rows: the registered enterprises in the registry's order, then those
    only the returns name. Registered enterprises without a return owe returns."""
    if enterprises is None:
        return pd.Index(pd.unique(ids))
    if unit not in enterprises.columns:
        raise _bad(
            f"The enterprises table has no column {unit}.",
            f"جدول بنگاه‌ها ستون {unit} را ندارد.",
            unit,
        )
    if enterprises[unit].duplicated().any():
        shown = enterprises[unit][enterprises[unit].duplicated()].head(5).tolist()
        raise _bad(f"Enterprises listed twice: {shown}.", f"بنگاه‌های تکراری: {shown}.", unit, shown)
    return pd.Index(pd.unique(pd.concat([enterprises[unit], ids], ignore_index=True)))


def _cells(ids: pd.Series, years: np.ndarray, units: pd.Index, periods: np.ndarray, unit: str):
    """Each return's (row, column) in the grids; a cell can hold one return only."""
    u = units.get_indexer(ids)
    p = years - periods[0]
    dup = pd.Series(u.astype(np.int64) * len(periods) + p).duplicated().to_numpy()
    if dup.any():
        shown = [f"{a} {b}" for a, b in zip(ids[dup].head(5), years[dup][:5], strict=False)]
        raise _bad(
            f"More than one return for the same enterprise and period: {', '.join(shown)}.",
            f"برای یک بنگاه و یک دوره بیش از یک اظهارنامه هست: {', '.join(shown)}.",
            unit,
            shown,
        )
    return u, p


def _raw_grids(returns: pd.DataFrame, u, p, shape) -> dict[str, np.ndarray]:
    """One grid per reported figure the KPIs read: NaN where there is no return, or the
    return (or the table) has no value."""
    raw = {}
    for name in RAW_FIELDS:
        grid = np.full(shape, np.nan)
        if name in returns.columns:
            try:
                grid[u, p] = returns[name].to_numpy(dtype=np.float64, na_value=np.nan)
            except (TypeError, ValueError):
                raise _bad(
                    f"Column {name} must hold numbers.", f"ستون {name} باید عدد باشد.", name
                ) from None
        raw[name] = grid
    return raw


def _submitted_grid(returns: pd.DataFrame, u, p, shape) -> np.ndarray | None:
    """When each return was submitted (NaT where unknown); None when the table does not say."""
    if "submitted_on" not in returns.columns:
        return None
    submitted = np.full(shape, np.datetime64("NaT"), dtype="datetime64[D]")
    submitted[u, p] = pd.to_datetime(returns["submitted_on"], errors="coerce").to_numpy(
        dtype="datetime64[D]"
    )
    return submitted


def _start(filed: np.ndarray, registry: pd.DataFrame | None, periods: np.ndarray) -> np.ndarray:
    """Index of each enterprise's first expected period: its first return, or its
    founding year when the registry gives one."""
    first_filed = np.where(filed.any(axis=1), filed.argmax(axis=1), 0)
    start = first_filed
    if registry is not None and "founding_year" in registry.columns:
        founded = pd.to_numeric(registry["founding_year"], errors="coerce").to_numpy(np.float64)
        known = np.isfinite(founded)
        # founded after the last period: owes nothing yet (start past the end)
        start = np.where(known, np.clip(founded - periods[0], 0, len(periods)), start)
        # a return filed before the registered founding year still counts from there
        start = np.minimum(start, np.where(filed.any(axis=1), first_filed, start)).astype(np.intp)
    return np.asarray(start, dtype=np.intp)


def _registry(frame: pd.DataFrame) -> pd.DataFrame:
    """Registry attributes the monitor groups by: province, estate, ISIC class,
    division and section (from the class), founding year, registered size band. Text
    attributes become categories: few distinct values, grouped and gathered often."""
    out = pd.DataFrame(index=frame.index)
    for column in ("province_code", "estate_code", "founding_year", "size_class", "isic_class"):
        if column in frame.columns:
            out[column] = frame[column]
    if "estate_code" in out.columns:
        out["estate_code"] = out["estate_code"].replace("", pd.NA)
    if "isic_class" in out.columns:
        codes = out["isic_class"].astype("string").str.strip()
        division = codes.str.zfill(4).str[:2].where(codes.notna() & (codes != ""))
        sections = _division_sections()
        unknown = division.notna() & ~division.isin(sections.index)
        if unknown.any():
            shown = out["isic_class"][unknown].head(5).tolist()
            raise _bad(
                f"Not ISIC Rev.4 classes: {shown}.",
                f"این‌ها کد رستهٔ ISIC ویرایش ۴ نیستند: {shown}.",
                "isic_class",
                shown,
            )
        out["division"] = division
        out["section"] = division.map(sections)
    for column in ("estate_code", "isic_class", "division", "section", "size_class"):
        if column in out.columns:
            out[column] = out[column].astype("category")
    return out


@functools.cache
def _division_sections() -> pd.Series:
    table = isic()
    divisions = table[table["level"] == "division"]
    return pd.Series(divisions["section"].to_numpy(), index=divisions["code"].to_numpy())


def lagged(x: np.ndarray, k: int = 1) -> np.ndarray:
    """The value ``k`` periods before (NaN where the window has none)."""
    out = np.full_like(x, np.nan)
    if k < x.shape[1]:
        out[:, k:] = x[:, :-k]
    return out


class _Grids:
    """Collects KPI grids and, for each, where its base was zero or negative."""

    def __init__(self) -> None:
        self.values: dict[str, np.ndarray] = {}
        self.base_bad: dict[str, np.ndarray] = {}

    def put(self, code: str, value: np.ndarray, base_bad: np.ndarray | None = None) -> np.ndarray:
        self.values[code] = value
        if base_bad is not None:
            self.base_bad[code] = base_bad
        return value

    def ratio(self, code: str, numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
        """``numerator / denominator`` where the denominator is positive; a present but
        zero or negative denominator is not a ratio anyone can read (a share of zero
        sales, a current ratio with no current liabilities), so it is NaN too."""
        ok = denominator > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(ok, numerator / np.where(ok, denominator, 1.0), np.nan)
        return self.put(code, value, ~np.isnan(numerator) & ~np.isnan(denominator) & ~ok)

    def growth(
        self, code: str, current: np.ndarray, span: int = 1, compound: bool = False
    ) -> np.ndarray:
        """Growth over ``span`` periods, per period when ``compound`` (a CAGR). The
        base must be positive; a CAGR also needs a non-negative end value."""
        base = lagged(current, span)
        ok = base > 0
        if compound:
            ok &= current >= 0
        with np.errstate(divide="ignore", invalid="ignore"):
            growth = current / np.where(ok, base, 1.0)
            if compound and span != 1:
                growth = np.power(growth, 1.0 / span)
        value = np.where(ok, growth - 1.0, np.nan)
        return self.put(code, value, ~np.isnan(current) & ~np.isnan(base) & ~ok)


def _compute(panel: _Panel, kpis: Kpis) -> _Grids:
    r = panel.raw
    g = _Grids()
    factor = kpis.price_factors(panel.periods)[None, :]
    sales, employees = r["sales"], r["employees"]
    real_sales = g.put("sales_real", sales * factor)
    g.growth("sales_growth", sales)
    g.growth("sales_growth_real", real_sales)
    g.growth("sales_cagr_real", real_sales, kpis.cagr_span, compound=True)
    g.growth("employment_growth", employees)
    g.growth("employment_cagr", employees, kpis.cagr_span, compound=True)
    value_added = g.put("value_added", sales - r["intermediate_inputs"])
    g.ratio("labour_productivity", value_added * factor, employees)
    g.ratio("export_share", r["exports"], sales)
    g.growth("export_growth_real", r["exports"] * factor)
    g.put("export_markets", r["export_countries"])
    g.put("capacity_utilisation", r["capacity_utilisation"])
    g.ratio("ebit_margin", r["ebit"], sales)
    g.ratio("net_margin", r["net_profit"], sales)
    g.ratio("return_on_assets", r["ebit"], r["total_assets"])
    g.ratio("current_ratio", r["current_assets"], r["current_liabilities"])
    working_capital = r["current_assets"] - r["current_liabilities"]
    g.ratio("working_capital_ratio", working_capital, r["total_assets"])
    g.ratio("debt_ratio", r["total_liabilities"], r["total_assets"])
    ta, tl = r["total_assets"], r["total_liabilities"]
    # book equity as reported; blank, it is assets − liabilities (the catalogue's
    # definition, and altman_z2's rule), unknown when either of those is blank too
    g.put("equity", np.where(np.isnan(r["equity"]), ta - tl, r["equity"]))
    z2 = altman_z2(
        r["current_assets"],
        r["current_liabilities"],
        r["retained_earnings"],
        r["ebit"],
        r["equity"],
        ta,
        tl,
    )
    # blank book equity is assets − liabilities (altman_z2's rule): not a missing input
    inputs_present = ~np.isnan(working_capital + r["retained_earnings"] + r["ebit"] + ta + tl)
    g.put("altman_z2", z2, inputs_present & ~((ta > 0) & (tl > 0)))
    zone = np.full(z2.shape, np.nan)
    zone[z2 < Z2_DISTRESS_BELOW] = 0.0
    zone[(z2 >= Z2_DISTRESS_BELOW) & (z2 <= Z2_SAFE_ABOVE)] = 1.0
    zone[z2 > Z2_SAFE_ABOVE] = 2.0
    g.put("z2_zone", zone, g.base_bad["altman_z2"])
    g.ratio("credit_access", r["credit_received"], r["credit_requested"])
    g.put("certifications", certificates_held(*(r[c] for c in CERTIFICATES)))
    g.put("technology_adoption", r["technologies_adopted"])
    g.put("knowledge_based", r["knowledge_based"])
    g.ratio("rd_intensity", r["rd_expenditure"], sales)
    g.put("new_product_share", r["new_product_sales_share"])
    g.put("defect_rate", r["defect_rate"])
    g.ratio("training_intensity", r["training_hours"], employees)
    g.ratio("graduate_share", r["graduate_employees"], employees)
    late = np.full(panel.filed.shape, np.nan)
    if panel.submitted is not None:
        delay = panel.submitted - kpis.deadline_dates(panel.periods)[None, :]
        known = ~np.isnat(delay)
        late[known] = delay[known].astype(np.float64)
    g.put("days_late", late)
    return g


class KpiTable:
    """KPIs of every enterprise (rows of the grids) in every period (columns).

    ``units`` and ``periods`` label the grids; :meth:`grid` gives a KPI's grid,
    :meth:`raw` a reported figure's, ``filed`` where a return exists. :meth:`frame`
    is the long table (one row per return) that pages, peer gaps and exports use.
    """

    def __init__(self, kpis: Kpis, panel: _Panel, grids: _Grids):
        self.kpis = kpis
        self._panel = panel
        self._grids = grids

    @property
    def unit(self) -> str:
        return self.kpis.unit

    @property
    def units(self) -> pd.Index:
        return self._panel.units

    @property
    def periods(self) -> np.ndarray:
        return self._panel.periods

    @property
    def filed(self) -> np.ndarray:
        return self._panel.filed

    @property
    def registry(self) -> pd.DataFrame | None:
        return self._panel.registry

    @property
    def start(self) -> np.ndarray:
        """Index of the first period each enterprise owes a return for (its founding
        year when the registry gives one, else its first return)."""
        return self._panel.start

    def grid(self, code: str) -> np.ndarray:
        if code not in self._grids.values:
            raise _unknown_kpi(code)
        return self._grids.values[code]

    def raw(self, name: str) -> np.ndarray:
        if name not in self._panel.raw:
            raise _bad(
                f"{name!r} is not a reported figure the monitor reads.",
                f"«{name}» از ارقام اظهارنامه که پایش می‌خواند نیست.",
                name,
                name,
            )
        return self._panel.raw[name]

    def base_bad(self, code: str) -> np.ndarray:
        """Where the KPI could not be computed because its denominator or growth base
        was zero or negative (its inputs were present)."""
        bad = self._grids.base_bad.get(code)
        return np.zeros(self.filed.shape, dtype=bool) if bad is None else bad

    @property
    def submitted(self) -> np.ndarray | None:
        return self._panel.submitted

    def deadlines(self) -> np.ndarray:
        """Each period's deadline (``Kpis.deadlines`` where given, else the rule)."""
        return self.kpis.deadline_dates(self.periods)

    def coverage(self) -> pd.DataFrame:
        """Per KPI: returns filed, KPI computed, and not computable because an input is
        missing (including the previous period's return for growth) or because a
        denominator or growth base is zero or negative. The three last add up to the
        first."""
        rows = []
        filed = self.filed
        n = int(filed.sum())
        for code, spec in KPIS.items():
            value = self._grids.values[code]
            computed = int(np.count_nonzero(filed & ~np.isnan(value)))
            base = int(np.count_nonzero(filed & np.isnan(value) & self.base_bad(code)))
            rows.append((code, spec.name_fa, spec.name_en, n, computed, n - computed - base, base))
        return pd.DataFrame(
            rows,
            columns=["kpi", "name_fa", "name_en", "returns", "computed", *NOT_COMPUTABLE_REASONS],
        )

    def size_classes(self) -> pd.Categorical:
        """Size band of every enterprise in every period (flattened row by row: unit 0's
        periods, then unit 1's …) from that period's employees; the registered band
        where employment is unknown."""
        bands = size_classes(self.raw("employees").ravel(), self.kpis.size_thresholds)
        registry = self.registry
        if registry is not None and "size_class" in registry.columns:
            registered = (
                registry["size_class"].astype(object).where(registry["size_class"].notna(), None)
            )
            fallback = np.repeat(registered.to_numpy(dtype=object), len(self.periods))
            bands = np.where(pd.isna(bands), fallback, bands)
        return pd.Categorical(bands, categories=list(SIZE_LABELS))

    def frame(self, kpis=None, *, fields=("employees",), period: int | None = None) -> pd.DataFrame:
        """One row per return filed (of ``period`` only, if given): the unit, the
        period, registry attributes (province, estate, ISIC class, division, section;
        text attributes as categories), the size band in that period, the reported
        ``fields`` asked for and the KPIs (all of :data:`KPIS` when ``kpis`` is None).
        ``z2_zone`` is a category."""
        codes = list(KPIS) if kpis is None else list(kpis)
        for code in codes:
            if code not in KPIS:
                raise _unknown_kpi(code)
        mask = self.filed
        if period is not None:
            if period not in self.periods:
                raise _bad(
                    f"Period {period} is outside the data ({self.periods[0]}–{self.periods[-1]}).",
                    f"دورهٔ {period} خارج از داده‌ها است ({self.periods[0]} تا {self.periods[-1]}).",
                    self.kpis.period,
                    period,
                )
            mask = np.zeros_like(mask)
            mask[:, int(period - self.periods[0])] = self.filed[:, int(period - self.periods[0])]
        ui, pi = np.nonzero(mask)
        out = {self.unit: self.units.array.take(ui), self.kpis.period: self.periods[pi]}
        registry = self.registry
        for column in ("province_code", "estate_code", "isic_class", "division", "section"):
            if registry is not None and column in registry.columns:
                out[column] = registry[column].array.take(ui)
            elif column in ("division", "section"):  # no sector known: no peer group
                out[column] = np.full(len(ui), None, dtype=object)
        out["size_class"] = self.size_classes().take(ui * len(self.periods) + pi)
        for name in fields:
            out[name] = self.raw(name)[ui, pi]
        for code in codes:
            value = self._grids.values[code][ui, pi]
            if code == "z2_zone":
                codes_ = np.where(np.isnan(value), -1, value).astype(np.int8)
                value = pd.Categorical.from_codes(codes_, categories=list(Z2_ZONES))
            out[code] = value
        return pd.DataFrame(out)


def _unknown_kpi(code) -> RasadInputError:
    return _bad(
        f"{code!r} is not a KPI; known KPIs: {', '.join(KPIS)}.",
        f"«{code}» شاخص پایش شناخته‌شده‌ای نیست؛ شاخص‌های موجود: {', '.join(KPIS)}.",
        "kpi",
        code,
    )
