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
from rasad.iran.deflator import deflator
from rasad.iran.sizes import ISIPO_SIZE_THRESHOLDS, size_classes

DERIVED = (
    "sales_growth_real", "employment_growth", "value_added", "altman_z2", "credit_access",
    "certifications",
)


def altman_z2(working_capital, retained_earnings, ebit, equity, total_assets, total_liabilities):
    """Altman's Z'' for non-manufacturers and emerging markets (1995):
    6.56·WC/TA + 3.26·RE/TA + 6.72·EBIT/TA + 1.05·BookEquity/TL; distress below 1.1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ta = np.where(total_assets > 0, total_assets, np.nan)
        tl = np.where(total_liabilities > 0, total_liabilities, np.nan)
        return 6.56 * working_capital / ta + 3.26 * retained_earnings / ta + 6.72 * ebit / ta + 1.05 * equity / tl


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return numerator.where(denominator > 0) / denominator.where(denominator > 0)


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
    for frame, name, needed in ((returns, "returns", (unit, "year", "sales", "employees")),
                                (enterprises, "enterprises", (unit, "isic_class", "province_code"))):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise RasadInputError(
                f"The {name} table has no column(s): {', '.join(missing)}.",
                f"جدول {name} این ستون(ها) را ندارد: {', '.join(missing)}.", field=missing[0],
            )
    current = returns[returns["year"] == year].set_index(unit)
    if current.empty:
        raise RasadInputError(f"No returns for year {year}.", f"برای سال {year} اظهارنامه‌ای نیست.", field="year")
    if current.index.duplicated().any():
        raise RasadInputError(
            f"More than one return for year {year} for: {', '.join(map(str, current.index[current.index.duplicated()][:5]))}.",
            f"برای سال {year} بیش از یک اظهارنامه هست: {', '.join(map(str, current.index[current.index.duplicated()][:5]))}.",
            field=unit,
        )
    previous = returns[returns["year"] == year - 1].set_index(unit).reindex(current.index)
    if year not in prices.index or year - 1 not in prices.index:
        raise RasadInputError(
            f"The price index has no entry for {year - 1} or {year}.",
            f"شاخص قیمت برای {year - 1} یا {year} مقداری ندارد.", field="year",
        )
    inflation = prices[year] / prices[year - 1]

    table = current.drop(columns="year").copy()
    table["sales_growth_real"] = _ratio(current["sales"] / inflation, previous["sales"]) - 1
    table["employment_growth"] = _ratio(current["employees"], previous["employees"]) - 1
    table["value_added"] = current["sales"] - current.get("intermediate_inputs", np.nan)
    table["altman_z2"] = altman_z2(
        current.get("current_assets", np.nan) - current.get("current_liabilities", np.nan),
        current.get("retained_earnings", np.nan), current.get("ebit", np.nan), current.get("equity", np.nan),
        current.get("total_assets", np.nan), current.get("total_liabilities", np.nan),
    )
    table["credit_access"] = _ratio(current.get("credit_received", np.nan), current.get("credit_requested", np.nan))
    certificates = [c for c in ("iso9001", "iso14001", "standard_mark") if c in current.columns]
    table["certifications"] = current[certificates].sum(axis=1, min_count=1) if certificates else np.nan

    registry = enterprises.set_index(unit)
    known = table.index.isin(registry.index)
    if not known.all():
        shown = ", ".join(map(str, table.index[~known][:5]))
        raise RasadInputError(
            f"Returns for enterprises not in the registry: {shown}.",
            f"اظهارنامهٔ بنگاه‌هایی که در فهرست بنگاه‌ها نیستند: {shown}.", field=unit,
        )
    registry = registry.reindex(table.index)
    groups = pd.DataFrame({
        "sector": registry["isic_class"].astype(str).str[:2],
        "size_class": size_classes(table["employees"].to_numpy(dtype=float), size_thresholds),
        "province": registry["province_code"],
    }, index=table.index)
    if "estate_code" in registry.columns:
        groups["estate"] = registry["estate_code"]
    return pd.concat([groups, table], axis=1).reset_index()
