"""The SME-100 input table: one row per enterprise for a year, from yearly returns.

Returns hold raw figures (sales, assets, employees…); the ranking needs growth in real
terms, a few ratios that no single return holds (Altman Z'', credit access), and each
enterprise's reference groups (sector, size band, province). Plain ratios of two
reported figures are left to the methodology's ``denominator`` so that they stay
visible and auditable in the Denominated data set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rasad.errors import RasadInputError
from rasad.iran.prices import deflator
from rasad.iran.sizes import ISIPO_SIZE_THRESHOLDS, size_classes

DERIVED = (
    "sales_growth_real",
    "employment_growth",
    "value_added",
    "altman_z2",
    "credit_access",
    "certifications",
)


CERTIFICATES = ("iso9001", "iso14001", "standard_mark")
ALTMAN_INPUTS = (
    "current_assets",
    "current_liabilities",
    "retained_earnings",
    "ebit",
    "equity",
    "total_assets",
    "total_liabilities",
)
# The reported figures each derived column is computed from (kept beside sme_inputs,
# which computes them): what a methodology reading the column depends on.
DERIVED_FROM = {
    "sales_growth_real": ("sales",),
    "employment_growth": ("employees",),
    "value_added": ("sales", "intermediate_inputs"),
    "altman_z2": ALTMAN_INPUTS,
    "credit_access": ("credit_received", "credit_requested"),
    "certifications": CERTIFICATES,
}
# What sme_inputs reads whatever the methodology: growth, and the size band from employees.
ALWAYS_READ = ("sales", "employees")


def altman_z2(
    current_assets,
    current_liabilities,
    retained_earnings,
    ebit,
    equity,
    total_assets,
    total_liabilities,
):
    """Altman's Z'' (1983, revised 1995), the four-ratio score for private and
    non-manufacturing firms, with no constant: 6.56·WC/TA + 3.26·RE/TA + 6.72·EBIT/TA +
    1.05·BookEquity/TL; distress below 1.1, safe above 2.6. (The emerging-market score,
    EMS, is this plus 3.25, with its own zones; Rasad does not use it.)

    The one definition that monitoring and ranking share, so that no firm is distressed
    in one and ranked on a sector median in the other: book equity left blank is total
    assets − total liabilities (an identity, not a guess); any other blank input, or
    assets or liabilities that are not positive, leaves the score missing.
    """
    (
        current_assets,
        current_liabilities,
        retained_earnings,
        ebit,
        equity,
        total_assets,
        total_liabilities,
    ) = (
        np.asarray(v, dtype=float)
        for v in (
            current_assets,
            current_liabilities,
            retained_earnings,
            ebit,
            equity,
            total_assets,
            total_liabilities,
        )
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        equity = np.where(np.isnan(equity), total_assets - total_liabilities, equity)
        ta = np.where(total_assets > 0, total_assets, np.nan)
        tl = np.where(total_liabilities > 0, total_liabilities, np.nan)
        working_capital = current_assets - current_liabilities
        return (
            6.56 * working_capital / ta
            + 3.26 * retained_earnings / ta
            + 6.72 * ebit / ta
            + 1.05 * equity / tl
        )


def certificates_held(*held):
    """How many of the certificates (ISO 9001, ISO 14001, national standard mark: each 1
    or 0) a firm holds. A blank is unknown, never "none": the count is missing unless
    all of them are reported, in monitoring and ranking alike."""
    held = np.stack([np.asarray(h, dtype=float) for h in held])
    return held.sum(axis=0)  # NaN as soon as one is blank


def _column(frame: pd.DataFrame, code: str) -> np.ndarray:
    """A figure's column, all blank when the returns do not have it."""
    return (
        frame[code].to_numpy(dtype=float) if code in frame.columns else np.full(len(frame), np.nan)
    )


def _ratio(numerator, denominator):
    """numerator / denominator where the denominator is positive, else missing."""
    numerator, denominator = (
        np.asarray(numerator, dtype=float),
        np.asarray(denominator, dtype=float),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def reported_figures(methodology) -> set[str]:
    """The columns of the returns an SME-100 input table read for ``methodology`` comes
    from: sales and employees always, the inputs of each derived column it uses, and every
    other column it reads as it is (indicator sources, denominators, eligibility columns;
    some, such as ``sector``, are the registry's, not reported figures)."""
    read = [
        *(i.source for i in methodology.indicators),
        *(i.denominator for i in methodology.indicators),
        *methodology.eligibility.allowed,
    ]
    out = set(ALWAYS_READ)
    for column in filter(None, read):
        out.update(DERIVED_FROM.get(column, (column,)))
    return out


def _check_columns(returns: pd.DataFrame, enterprises: pd.DataFrame, unit: str) -> None:
    """Refuse tables without the columns every SME-100 input table is made from."""
    for frame, name, needed in (
        (returns, "returns", (unit, "year", "sales", "employees")),
        (enterprises, "enterprises", (unit, "isic_class", "province_code")),
    ):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise RasadInputError(
                f"The {name} table has no column(s): {', '.join(missing)}.",
                f"جدول {name} این ستون(ها) را ندارد: {', '.join(missing)}.",
                field=missing[0],
            )


def _returns_of(returns: pd.DataFrame, year: int, unit: str) -> pd.DataFrame:
    """``year``'s returns indexed by ``unit``: at least one, and one per enterprise."""
    current = _one_return_each(returns, year, unit)
    if current.empty:
        raise RasadInputError(
            f"No returns for year {year}.", f"برای سال {year} اظهارنامه‌ای نیست.", field="year"
        )
    return current


def _one_return_each(returns: pd.DataFrame, year: int, unit: str) -> pd.DataFrame:
    """``year``'s returns indexed by ``unit``; two for one enterprise are refused, in the
    year ranked and in the year before it (growth would not know which to take)."""
    frame = returns[returns["year"] == year].set_index(unit)
    duplicated = frame.index.duplicated()
    if duplicated.any():
        shown = ", ".join(map(str, frame.index[duplicated][:5]))
        raise RasadInputError(
            f"More than one return for year {year} for: {shown}.",
            f"برای سال {year} بیش از یک اظهارنامه هست: {shown}.",
            field=unit,
        )
    return frame


def _inflation(prices: pd.Series, year: int) -> float:
    """The price index's rise from the year before ``year`` to ``year``."""
    if year not in prices.index or year - 1 not in prices.index:
        raise RasadInputError(
            f"The price index has no entry for {year - 1} or {year}.",
            f"شاخص قیمت برای {year - 1} یا {year} مقداری ندارد.",
            field="year",
        )
    return prices[year] / prices[year - 1]


def _with_derived(current: pd.DataFrame, previous: pd.DataFrame, inflation: float) -> pd.DataFrame:
    """The year's figures with the columns no single return holds (:data:`DERIVED`)."""
    table = current.drop(columns="year").copy()
    table["sales_growth_real"] = _ratio(current["sales"] / inflation, previous["sales"]) - 1
    table["employment_growth"] = _ratio(current["employees"], previous["employees"]) - 1
    table["value_added"] = current["sales"] - current.get("intermediate_inputs", np.nan)
    table["altman_z2"] = altman_z2(*(_column(current, c) for c in ALTMAN_INPUTS))
    table["credit_access"] = _ratio(
        _column(current, "credit_received"), _column(current, "credit_requested")
    )
    table["certifications"] = certificates_held(*(_column(current, c) for c in CERTIFICATES))
    return table


def _groups(
    table: pd.DataFrame, enterprises: pd.DataFrame, unit: str, size_thresholds
) -> pd.DataFrame:
    """Each enterprise's reference groups: sector (the ISIC class's division), size band
    (from its employees that year), province, and estate when the registry has it."""
    registry = enterprises.set_index(unit)
    known = table.index.isin(registry.index)
    if not known.all():
        shown = ", ".join(map(str, table.index[~known][:5]))
        raise RasadInputError(
            f"Returns for enterprises not in the registry: {shown}.",
            f"اظهارنامهٔ بنگاه‌هایی که در فهرست بنگاه‌ها نیستند: {shown}.",
            field=unit,
        )
    registry = registry.reindex(table.index)
    groups = pd.DataFrame(
        {
            "sector": registry["isic_class"].astype(str).str[:2],
            "size_class": size_classes(table["employees"].to_numpy(dtype=float), size_thresholds),
            "province": registry["province_code"],
        },
        index=table.index,
    )
    if "estate_code" in registry.columns:
        groups["estate"] = registry["estate_code"]
    return groups


def sme_inputs(
    returns: pd.DataFrame,
    enterprises: pd.DataFrame,
    year: int,
    *,
    unit: str = "national_id",
    size_thresholds=ISIPO_SIZE_THRESHOLDS,
    prices: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per enterprise that returned figures for ``year``.

    ``returns`` has ``unit``, ``year`` and the catalogue's columns (several years, so
    growth can be computed); ``enterprises`` has ``unit``, ``isic_class``,
    ``province_code`` and optionally ``estate_code``. ``prices`` is a price index by
    Jalali year (the bundled deflator when omitted).
    """
    prices = deflator() if prices is None else prices
    _check_columns(returns, enterprises, unit)
    current = _returns_of(returns, year, unit)
    previous = _one_return_each(returns, year - 1, unit).reindex(current.index)
    table = _with_derived(current, previous, _inflation(prices, year))
    groups = _groups(table, enterprises, unit, size_thresholds)
    return pd.concat([groups, table], axis=1).reset_index()
