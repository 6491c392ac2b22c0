"""Checks across the rows of a whole file: whose returns these are, whether the figures
of a return agree with each other, and whether one looks typed in another unit."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rasad.iran.periods import Period
from rasad.iran.text import format_number, to_persian_digits

from ..problems import ERROR, WARNING
from ..reference import period_key
from .book import Book
from .numbers import en_number, fa_number
from .parameters import Scope, money_codes

# A part may not exceed its whole (catalogue descriptions say "a part of …").
PARTS_OF_WHOLES = (
    ("exports", "sales"),
    ("credit_received", "credit_requested"),
    ("current_assets", "total_assets"),
    ("current_liabilities", "total_liabilities"),
    ("graduate_employees", "employees"),
)


def check_known(book: Book, returns: pd.DataFrame, enterprises: pd.DataFrame) -> None:
    known = book.checks.known_enterprises
    if known is None or returns.empty:
        return
    registered = known | set(enterprises["national_id"].dropna())
    for k in np.flatnonzero(
        ~returns["national_id"].isin(registered) & returns["national_id"].notna()
    ):
        national_id = returns.at[k, "national_id"]
        book.add(returns.at[k, "_sheet"], returns.at[k, "_row"], "national_id", national_id,
                 ERROR, "unknown_enterprise",
                 f"No enterprise with the national ID {national_id} is registered; add it to the "
                 "enterprise sheet first.",
                 f"بنگاهی با شناسه ملی {national_id} ثبت نشده است؛ نخست آن را در برگه بنگاه‌ها "
                 "بیفزایید.")  # fmt: skip


def check_scope(book: Book, scope: Scope, returns: pd.DataFrame, enterprises: pd.DataFrame) -> None:
    known = book.checks.known_enterprises or frozenset()
    allowed = scope.enterprises
    for k in range(len(enterprises)):
        national_id = enterprises.at[k, "national_id"]
        if national_id is None or (isinstance(national_id, float) and np.isnan(national_id)):
            continue
        sheet, row = enterprises.at[k, "_sheet"], enterprises.at[k, "_row"]
        if national_id in known:
            if allowed is not None and national_id not in allowed:
                book.add(sheet, row, "national_id", national_id, ERROR, "scope",
                         f"You may not change the enterprise {national_id}: it is outside your "
                         "estates or enterprise.",
                         f"اجازهٔ تغییر بنگاه {national_id} را ندارید: بیرون از شهرک‌ها یا بنگاه "
                         "شماست.")  # fmt: skip
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
            book.add(sheet, row, "national_id", national_id, ERROR, "scope",
                     f"You may not register a new enterprise {where_en}; ask the estate's "
                     "manager or an analyst.",
                     f"اجازهٔ ثبت بنگاه تازه {where_fa} را ندارید؛ از مدیر شهرک یا کارشناس "
                     "بخواهید.")  # fmt: skip
    if allowed is None or returns.empty:
        return
    new = set(enterprises["national_id"].dropna()) - known if not enterprises.empty else set()
    for k in np.flatnonzero(
        ~returns["national_id"].isin(allowed | new) & returns["national_id"].isin(known)
    ).tolist():
        national_id = returns.at[k, "national_id"]
        book.add(returns.at[k, "_sheet"], returns.at[k, "_row"], "national_id", national_id,
                 ERROR, "scope",
                 f"You may not send returns for the enterprise {national_id}: it is outside your "
                 "estates or enterprise.",
                 f"اجازهٔ فرستادن اظهارنامهٔ بنگاه {national_id} را ندارید: بیرون از شهرک‌ها یا "
                 "بنگاه شماست.")  # fmt: skip


def check_consistency(book: Book, returns: pd.DataFrame) -> None:
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
                     f"{p.name_en} ({en_number(returns.at[k, part])}) exceed {w.name_en} "
                     f"({en_number(returns.at[k, whole])}), of which they are a part.",
                     f"{p.name_fa} ({fa_number(returns.at[k, part])}) از {w.name_fa} "
                     f"({fa_number(returns.at[k, whole])}) بیشتر است، در حالی که بخشی از آن "
                     "است.")  # fmt: skip
    if {"equity", "total_assets", "total_liabilities"} <= set(fields.by_code):
        gap = returns["equity"] - (returns["total_assets"] - returns["total_liabilities"])
        tolerance = np.maximum(1.0, 0.01 * returns["total_assets"].abs())
        for k in np.flatnonzero((gap.abs() > tolerance).to_numpy()):
            sheet, row = returns.at[k, "_sheet"], returns.at[k, "_row"]
            expected = returns.at[k, "total_assets"] - returns.at[k, "total_liabilities"]
            book.add(sheet, row, "equity", book.raw(sheet, row, "equity"), WARNING, "consistency",
                     f"Equity should equal total assets minus total liabilities "
                     f"({en_number(expected)}); it is {en_number(returns.at[k, 'equity'])}.",
                     "حقوق مالکانه باید برابر جمع دارایی‌ها منهای جمع بدهی‌ها "
                     f"({fa_number(expected)}) باشد؛ {fa_number(returns.at[k, 'equity'])} "
                     "است.")  # fmt: skip
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


def check_unit_slips(book: Book, returns: pd.DataFrame) -> None:
    """Warn where a non-negative money figure is about 10³ or 10⁶ times the
    enterprise's latest earlier figure (from the previous returns passed in, or from
    earlier periods in the file itself)."""
    checks = book.checks
    money = [c for c in money_codes(checks.fields) if c in returns]
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
                     f"{field.name_en} is {en_number(new)} million rials, about {times:,} times "
                     f"{'more' if bigger else 'less'} than in {prev} ({en_number(old)}): was it "
                     f"typed in {'rials or thousand rials' if bigger else 'billion rials'}? "
                     "Figures are in million rials.",
                     f"{field.name_fa} {fa_number(new)} میلیون ریال است، حدود "
                     f"{format_number(times)} برابر {'بیشتر' if bigger else 'کمتر'} از دوره "
                     f"{to_persian_digits(str(prev))} ({fa_number(old)}): آیا به "
                     f"{'ریال یا هزار ریال' if bigger else 'میلیارد ریال'} وارد شده است؟ ارقام "
                     "به میلیون ریال است.")  # fmt: skip
