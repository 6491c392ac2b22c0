"""What the demo firms report each year: the catalogue's raw figures.

Each firm gets lasting traits (productivity, leverage, capability, exporter or not,
certified or not) and each year adds noise, real growth and inflation, so that a
firm's returns hang together over time the way real ones do. Balance-sheet and
accounting identities are built in, not checked afterwards: equity is total assets
minus total liabilities, exports are a share of sales, graduates a binomial draw out
of the employees. All draws are (firms × years) numpy arrays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rasad.demo._registry import Registry
from rasad.demo._tables import Tables
from rasad.iran import deflator, jalali_to_gregorian

# --- growth and distress ---------------------------------------------------------------
DECLINER_SHARE = 0.15  # firms on a lasting real decline
GROWTH_TREND = (0.035, 0.05)  # mean and spread of other firms' real trend growth a year
DECLINE_TREND = (-0.07, 0.04)
GROWTH_SHOCK_SD = 0.07
DISTRESS_SHARE = 0.025  # firms that fall into financial distress during the window
DISTRESS_GROWTH = -0.15  # extra real growth a year once distressed
EMPLOYMENT_ELASTICITY = 0.5  # headcount follows real sales half as strongly

# --- production and costs (million rials at 1400 prices) ------------------------------
PRODUCTIVITY_SD = 0.4  # firm spread of sales per employee around the division's value
SIZE_PRODUCTIVITY = 0.08  # larger firms sell a little more per head
WAGE_PER_EMPLOYEE = 700.0  # yearly compensation incl. employer insurance, 1400 prices
WAGE_TECH_PREMIUM = 0.12  # per step of technology intensity (0–3)
OTHER_COSTS = 0.06  # depreciation, rent and overheads, share of sales
INTEREST_ON_LIABILITIES = 0.08  # ~20% bank rates on the ~40% of liabilities that bear interest
INCOME_TAX = 0.2  # effective, after the usual exemptions

# --- balance sheet --------------------------------------------------------------------
CURRENT_ASSETS_BETA = (20, 15)  # share of total assets, mean 0.57
LEVERAGE_BETA = (12, 12)  # total liabilities / total assets, mean 0.5
CURRENT_LIABILITIES_BETA = (16, 6)  # share of total liabilities, mean 0.73
PAID_IN_CAPITAL = (0.05, 0.25)  # share of total assets, uniform
DISTRESSED_LEVERAGE = (0.9, 1.4)
DISTRESSED_CURRENT_ASSETS = (0.25, 0.45)
DISTRESSED_INPUT_SHARE = 0.12  # extra inputs per unit of sales: margins turn negative

# --- exports, credit, capacity ---------------------------------------------------------
EXPORT_INTERCEPT = -1.9  # calibrated so that about one firm in five exports
EXPORT_SHARE_BETA = (0.9, 2.2)  # exporters' share of sales exported, mean 0.29
EXPORT_PAUSE = 0.08  # an exporter sells nothing abroad in a given year
CREDIT_APPLICATION = 0.4
CREDIT_REQUEST = (0.04, 0.30)  # share of sales, uniform
CREDIT_IN_FULL = 0.35  # approved applications paid in full; the rest get a Beta(3, 2) part
CAPACITY = (60.0, 14.0)  # mean and spread of firms' capacity utilisation, percent

# --- capability, innovation, standards, skills ----------------------------------------
LEADING_PROVINCES = (23, 10, 30)  # Tehran, Isfahan, Alborz: denser services and universities
TECHNOLOGY_UPTAKE = 0.07  # share of a firm's technologies adopted per year of the window
RD_SHARE_MEDIAN = 0.01  # R&D spending as a share of sales, among firms doing R&D
HELD_BEFORE_WINDOW = {
    "knowledge_based": 0.55,
    "iso9001": 0.7,
    "iso14001": 0.6,
    "standard_mark": 0.8,
}
DEFECT_MEDIAN = 2.5  # percent
TRAINING_HOURS_PER_HEAD = 8.0

# --- filing behaviour ------------------------------------------------------------------
NO_RETURN = 0.025  # chance a firm files nothing for a year
NO_RETURN_DISTRESSED = 0.10
LATE = 0.12  # chance a return comes after the deadline (end of Tir of the next year)
LATE_DISTRESSED = 0.35
LATE_DAYS_MEAN = 30.0
# Base chance that a cell is left blank; each firm multiplies it by its own
# carelessness, Gamma(2, 0.5) with mean 1. Averages about 4% of cells.
BLANK = {
    "employees": 0.01, "sales": 0.01, "exports": 0.02, "export_countries": 0.04,
    "intermediate_inputs": 0.05, "wages": 0.03, "ebit": 0.04, "net_profit": 0.03,
    "total_assets": 0.03, "current_assets": 0.05, "current_liabilities": 0.05,
    "total_liabilities": 0.04, "equity": 0.04, "retained_earnings": 0.07,
    "credit_requested": 0.04, "credit_received": 0.04, "capacity_utilisation": 0.04,
    "rd_expenditure": 0.08, "new_product_sales_share": 0.09, "technologies_adopted": 0.05,
    "knowledge_based": 0.01, "iso9001": 0.02, "iso14001": 0.03, "standard_mark": 0.03,
    "defect_rate": 0.07, "training_hours": 0.08, "graduate_employees": 0.05,
}  # fmt: skip


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _held(rng, latent: np.ndarray, before: float, n_years: int) -> np.ndarray:
    """Certificates are kept once gained, so a status switches on at most once: before
    the window (held throughout) or in one of its years."""
    since = np.where(rng.random(len(latent)) < before, 0, rng.integers(0, n_years, len(latent)))
    return latent[:, None] & (np.arange(n_years)[None, :] >= since[:, None])


def _deadlines(years: np.ndarray) -> np.ndarray:
    return np.array([jalali_to_gregorian(int(y) + 1, 4, 31) for y in years], dtype="datetime64[D]")


def build_returns(
    rng: np.random.Generator, reg: Registry, t: Tables, first_year: int, last_year: int
) -> pd.DataFrame:
    """One row per firm and year it filed: its keys, then every catalogue figure.

    Each step draws from ``rng`` in turn, so the order of the steps is part of the
    population: moving one, or a draw inside one, changes every firm of every seed.
    """
    years = np.arange(first_year, last_year + 1)
    distress, growth, level = _growth_paths(rng, reg.founding_year, years)
    employees = _headcount(rng, reg.employees_last, level)
    figures, ebit = _income(rng, reg, t, years, level, employees, distress)
    figures["employees"] = employees
    sales = figures["sales"]
    figures |= _balance_sheet(rng, reg, t, sales, ebit, distress)
    capability = _capability(rng, reg, t)
    figures |= _exports(rng, reg, t, capability, sales)
    held, iso9001_firm = _certificates(rng, reg, t, capability, len(years))
    figures |= _credit(rng, sales, employees, held, distress)
    figures["capacity_utilisation"] = _capacity(rng, growth, distress)
    figures["technologies_adopted"] = _technologies(rng, capability, len(years))
    figures |= _innovation(rng, capability, sales, held["knowledge_based"])
    figures["defect_rate"] = _defects(rng, capability, iso9001_firm, distress)
    figures |= _skills(rng, reg, t, capability, iso9001_firm, employees)
    figures |= {code: status.astype(float) for code, status in held.items()}
    keys, filed = _filings(rng, reg, years, distress)
    # BLANK's order is the order of the blank draws and of the columns
    return _with_blanks(rng, keys, {code: figures[code] for code in BLANK}, filed)


def _by_division(t: Tables, reg: Registry, column: str) -> np.ndarray:
    """Each firm's value of a column of its division's parameters."""
    return t.divisions[column].to_numpy(float)[reg.division]


def _growth_paths(
    rng: np.random.Generator, founding_year: np.ndarray, years: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Real growth paths, expressed as log level relative to the last year, so that the
    last year's figures match the registry's headcount whatever the path was.

    Distress starts in one of the years the firm exists and lasts to the end of the
    window. Returns (distress, growth, level), each firms × years.
    """
    n, n_years = len(founding_year), len(years)
    shape = (n, n_years)
    step = np.arange(n_years)[None, :]
    decliner = rng.random(n) < DECLINER_SHARE
    trend = np.where(decliner, rng.normal(*DECLINE_TREND, n), rng.normal(*GROWTH_TREND, n))
    first_active = np.clip(founding_year - years[0], 0, n_years - 1)
    onset = first_active + np.floor(rng.random(n) * (n_years - first_active)).astype(np.int64)
    distress = (rng.random(n) < DISTRESS_SHARE)[:, None] & (step >= onset[:, None])
    growth = trend[:, None] + rng.normal(0.0, GROWTH_SHOCK_SD, shape) + DISTRESS_GROWTH * distress
    level = np.zeros(shape)
    level[:, :-1] = -np.cumsum(growth[:, :0:-1], axis=1)[:, ::-1]
    return distress, growth, level


def _headcount(
    rng: np.random.Generator, employees_last: np.ndarray, level: np.ndarray
) -> np.ndarray:
    """Employees follow the growth path, ending at the registry's last-year headcount."""
    employees = np.round(
        employees_last[:, None]
        * np.exp(EMPLOYMENT_ELASTICITY * level + rng.normal(0, 0.04, level.shape))
    )
    employees[:, -1] = employees_last
    return np.maximum(employees, 1.0)


def _income(
    rng: np.random.Generator,
    reg: Registry,
    t: Tables,
    years: np.ndarray,
    level: np.ndarray,
    employees: np.ndarray,
    distress: np.ndarray,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Sales, costs and EBIT at the year's prices: sales per head set by the division,
    the firm's productivity and its size; wages by headcount and technology; inputs
    as a share of sales that distress raises until margins turn negative.

    Returns the reported figures and the unrounded EBIT that net profit starts from.
    """
    shape, n = level.shape, len(level)
    employees_last = reg.employees_last
    price = deflator().loc[years].to_numpy()[None, :] / 100.0
    productivity = np.exp(rng.normal(0.0, PRODUCTIVITY_SD, n))
    real_sales_last = (
        employees_last * _by_division(t, reg, "productivity")
        * productivity * (employees_last / 20.0) ** SIZE_PRODUCTIVITY
    )  # fmt: skip
    sales = np.round(
        real_sales_last[:, None] * np.exp(level) * price * np.exp(rng.normal(0, 0.02, shape))
    )
    wage = (
        WAGE_PER_EMPLOYEE
        * (1 + WAGE_TECH_PREMIUM * _by_division(t, reg, "tech"))
        * np.sqrt(productivity)
        * np.exp(rng.normal(0, 0.15, n))
    )
    wages = employees * wage[:, None] * price * np.exp(rng.normal(0, 0.03, shape))
    input_share = _by_division(t, reg, "input_share") + rng.normal(0, 0.04, n)
    input_share = np.clip(
        input_share[:, None] + rng.normal(0, 0.025, shape) + DISTRESSED_INPUT_SHARE * distress,
        0.2,
        1.2,
    )
    inputs = sales * input_share
    other_costs = sales * OTHER_COSTS * np.exp(rng.normal(0, 0.3, n))[:, None]
    ebit = sales - inputs - wages - other_costs
    figures = {
        "sales": sales,
        "intermediate_inputs": np.round(inputs),
        "wages": np.round(wages),
        "ebit": np.round(ebit),
    }
    return figures, ebit


def _balance_sheet(
    rng: np.random.Generator,
    reg: Registry,
    t: Tables,
    sales: np.ndarray,
    ebit: np.ndarray,
    distress: np.ndarray,
) -> dict[str, np.ndarray]:
    """Assets scale with sales by the division's capital intensity; equity is total
    assets minus total liabilities by construction. Distress replaces the firm's shares
    with ones of an over-indebted, illiquid firm. Net profit is here because the interest
    it pays is on these liabilities."""
    shape, n = sales.shape, len(sales)
    total_assets = (
        sales * _by_division(t, reg, "capital")[:, None]
        * np.exp(rng.normal(0, 0.35, n))[:, None] * np.exp(rng.normal(0, 0.06, shape))
    )  # fmt: skip
    current_share = np.clip(
        rng.beta(*CURRENT_ASSETS_BETA, n)[:, None] + rng.normal(0, 0.02, shape), 0.05, 0.98
    )
    leverage = np.clip(
        rng.beta(*LEVERAGE_BETA, n)[:, None] + rng.normal(0, 0.03, shape), 0.02, 0.97
    )
    short_share = rng.beta(*CURRENT_LIABILITIES_BETA, n)[:, None] * np.ones(shape)
    current_share = np.where(
        distress, rng.uniform(*DISTRESSED_CURRENT_ASSETS, shape), current_share
    )
    leverage = np.where(distress, rng.uniform(*DISTRESSED_LEVERAGE, shape), leverage)
    short_share = np.where(distress, rng.uniform(0.85, 1.0, shape), short_share)
    total_assets = np.round(total_assets)
    total_liabilities = np.round(total_assets * leverage)
    equity = total_assets - total_liabilities
    paid_in = np.round(total_assets * rng.uniform(*PAID_IN_CAPITAL, n)[:, None])
    pre_tax = ebit - INTEREST_ON_LIABILITIES * total_liabilities
    net_profit = pre_tax - INCOME_TAX * np.maximum(pre_tax, 0.0)
    return {
        "net_profit": np.round(net_profit),
        "total_assets": total_assets,
        "current_assets": np.round(total_assets * current_share),
        "current_liabilities": np.round(total_liabilities * short_share),
        "total_liabilities": total_liabilities,
        "equity": equity,
        "retained_earnings": equity - paid_in,
    }


def _capability(rng: np.random.Generator, reg: Registry, t: Tables) -> np.ndarray:
    """What makes a firm certify, adopt technology, do R&D and export: size, the
    division's technology, a leading province, an estate, and a lasting firm effect."""
    return (
        0.55 * np.log(reg.employees_last / 25.0) + 0.45 * _by_division(t, reg, "tech")
        + rng.normal(0, 0.8, len(reg.province))
        + 0.25 * np.isin(reg.province, LEADING_PROVINCES) + 0.2 * (reg.estate >= 0)
    )  # fmt: skip


def _exports(
    rng: np.random.Generator, reg: Registry, t: Tables, capability: np.ndarray, sales: np.ndarray
) -> dict[str, np.ndarray]:
    """Exporters are chosen once; they export a lasting share of sales to a lasting
    number of countries, and some years nothing at all."""
    shape, n = sales.shape, len(sales)
    exporter = rng.random(n) < _sigmoid(
        EXPORT_INTERCEPT + 0.3 * capability + 0.4 * np.log(reg.employees_last / 25.0)
        + _by_division(t, reg, "export") + 0.5 * (reg.cluster >= 0)
    )  # fmt: skip
    export_share = rng.beta(*EXPORT_SHARE_BETA, n)
    exporting = exporter[:, None] & (rng.random(shape) >= EXPORT_PAUSE)
    exports_share = np.where(
        exporting, np.minimum(export_share[:, None] * np.exp(rng.normal(0, 0.25, shape)), 1.0), 0.0
    )
    exports = np.round(sales * exports_share)
    countries = 1 + rng.poisson(np.exp(rng.normal(np.log1p(6 * export_share), 0.6)))
    export_countries = np.where(
        exports > 0, np.maximum(1, countries[:, None] + rng.integers(-1, 2, shape)), 0
    )
    return {"exports": exports, "export_countries": export_countries.astype(float)}


def _certificates(
    rng: np.random.Generator, reg: Registry, t: Tables, capability: np.ndarray, n_years: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Knowledge-based status, ISO 9001, ISO 14001 (only with ISO 9001) and the standard
    mark, each held from some year on (:func:`_held`).

    Returns the statuses (firms × years, boolean) and which firms ever hold ISO 9001,
    which also shapes their defects and training.
    """
    n = len(capability)
    tech = _by_division(t, reg, "tech")
    knowledge_based = _held(
        rng, rng.random(n) < _sigmoid(1.3 * capability + 0.6 * (tech >= 2) - 4.6),
        HELD_BEFORE_WINDOW["knowledge_based"], n_years,
    )  # fmt: skip
    iso9001_firm = rng.random(n) < _sigmoid(capability - 1.0)
    iso9001 = _held(rng, iso9001_firm, HELD_BEFORE_WINDOW["iso9001"], n_years)
    iso14001 = (
        _held(
            rng,
            iso9001_firm & (rng.random(n) < _sigmoid(capability - 2.0)),
            HELD_BEFORE_WINDOW["iso14001"],
            n_years,
        )
        & iso9001
    )
    standard_mark = _held(
        rng,
        rng.random(n) < _by_division(t, reg, "standard") * _sigmoid(capability + 1.5),
        HELD_BEFORE_WINDOW["standard_mark"], n_years,
    )  # fmt: skip
    held = {
        "knowledge_based": knowledge_based,
        "iso9001": iso9001,
        "iso14001": iso14001,
        "standard_mark": standard_mark,
    }
    return held, iso9001_firm


def _credit(
    rng: np.random.Generator,
    sales: np.ndarray,
    employees: np.ndarray,
    held: dict[str, np.ndarray],
    distress: np.ndarray,
) -> dict[str, np.ndarray]:
    """Distressed firms apply more and are approved less; larger and certified firms are
    approved more. Approved requests are paid in full or in part."""
    shape = sales.shape
    applied = rng.random(shape) < CREDIT_APPLICATION + 0.2 * distress
    credit_requested = np.where(applied, np.round(sales * rng.uniform(*CREDIT_REQUEST, shape)), 0.0)
    approved = applied & (
        rng.random(shape)
        < _sigmoid(
            0.4
            + 0.35 * np.log(employees / 20.0)
            + 0.7 * held["knowledge_based"]
            + 0.4 * held["iso9001"]
            - 1.8 * distress
        )
    )
    granted = np.where(rng.random(shape) < CREDIT_IN_FULL, 1.0, rng.beta(3, 2, shape))
    credit_received = np.where(approved, np.floor(credit_requested * granted), 0.0)
    return {"credit_requested": credit_requested, "credit_received": credit_received}


def _capacity(rng: np.random.Generator, growth: np.ndarray, distress: np.ndarray) -> np.ndarray:
    """Capacity utilisation rises in years of growth and collapses in distress."""
    capacity = (
        rng.normal(*CAPACITY, len(growth))[:, None] + rng.normal(0, 5, growth.shape) + 30 * growth
    )
    capacity = np.clip(np.where(distress, capacity * 0.55, capacity), 3.0, 100.0)
    return np.round(capacity, 1)


def _technologies(rng: np.random.Generator, capability: np.ndarray, n_years: int) -> np.ndarray:
    """How many of ten technologies a firm uses, more the more capable it is; it adopted
    them over the window, so earlier years count fewer."""
    step = np.arange(n_years)[None, :]
    tech_last = rng.binomial(10, _sigmoid(capability - 1.1))
    uptake = (
        TECHNOLOGY_UPTAKE * (n_years - 1 - step) * rng.uniform(0, 1.5, len(capability))[:, None]
    )
    return np.maximum(np.floor(tech_last[:, None] * (1 - uptake) + 0.5), 0.0)


def _innovation(
    rng: np.random.Generator, capability: np.ndarray, sales: np.ndarray, knowledge_based: np.ndarray
) -> dict[str, np.ndarray]:
    """R&D spending, a lasting share of sales among capable firms, skipped in some years;
    new products' share of sales, larger for firms doing R&D or knowledge-based at the
    end of the window."""
    shape, n = sales.shape, len(sales)
    does_rd = rng.random(n) < _sigmoid(capability - 1.4)
    rd_share = np.minimum(np.exp(rng.normal(np.log(RD_SHARE_MEDIAN), 0.7, n)), 0.12)
    rd = np.where(
        does_rd[:, None] & (rng.random(shape) >= 0.1),
        np.round(sales * rd_share[:, None] * np.exp(rng.normal(0, 0.3, shape))), 0.0,
    )  # fmt: skip
    innovator = does_rd | knowledge_based[:, -1]
    novelty = np.where(
        innovator, rng.beta(2, 5, n), np.where(rng.random(n) < 0.35, rng.beta(1, 9, n), 0.0)
    )
    new_products = np.clip(100 * novelty[:, None] * np.exp(rng.normal(0, 0.3, shape)), 0, 100)
    return {"rd_expenditure": rd, "new_product_sales_share": np.round(new_products, 1)}


def _defects(
    rng: np.random.Generator, capability: np.ndarray, iso9001_firm: np.ndarray, distress: np.ndarray
) -> np.ndarray:
    """The defect rate, percent: lower in capable and ISO 9001 firms, higher in distress."""
    n = len(capability)
    defects = (
        (
            DEFECT_MEDIAN
            * np.exp(rng.normal(0, 0.6, n) - 0.25 * capability)
            * np.where(iso9001_firm, 0.75, 1.0)
        )[:, None]
        * np.exp(rng.normal(0, 0.25, distress.shape))
        * np.where(distress, 1.6, 1.0)
    )
    return np.round(np.clip(defects, 0.0, 60.0), 1)


def _skills(
    rng: np.random.Generator,
    reg: Registry,
    t: Tables,
    capability: np.ndarray,
    iso9001_firm: np.ndarray,
    employees: np.ndarray,
) -> dict[str, np.ndarray]:
    """Training hours, from capable firms that train at all (more with ISO 9001), and
    graduates, a binomial draw out of the employees."""
    shape, n = employees.shape, len(employees)
    trains = rng.random(n) < _sigmoid(capability + 0.9)
    hours_per_head = (
        TRAINING_HOURS_PER_HEAD * np.exp(rng.normal(0, 0.7, n)) * np.where(iso9001_firm, 1.4, 1.0)
    )
    training = np.where(
        trains[:, None] & (rng.random(shape) >= 0.1),
        np.round(employees * hours_per_head[:, None] * np.exp(rng.normal(0, 0.3, shape))), 0.0,
    )  # fmt: skip
    graduate_share = np.clip(
        rng.beta(2, 10, n) + 0.06 * _by_division(t, reg, "tech") + 0.04 * capability, 0.01, 0.9
    )
    graduates = rng.binomial(employees.astype(np.int64), graduate_share[:, None]).astype(float)
    return {"training_hours": training, "graduate_employees": graduates}


def _filings(
    rng: np.random.Generator, reg: Registry, years: np.ndarray, distress: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """Which firm-years have a return, and when each came: before the deadline, or after
    it, more often in distress.

    Returns the keys of the filed returns and which firm-years filed (firms × years).
    """
    shape = distress.shape
    n, n_years = shape
    active = years[None, :] >= reg.founding_year[:, None]
    filed = active & (rng.random(shape) >= np.where(distress, NO_RETURN_DISTRESSED, NO_RETURN))
    rows = filed.ravel()
    late = rng.random(shape) < np.where(distress, LATE_DISTRESSED, LATE)
    days = np.where(
        late,
        1 + np.minimum(np.floor(rng.exponential(LATE_DAYS_MEAN, shape)), 300),
        -np.floor(rng.beta(1.2, 2.0, shape) * 120),
    ).astype("timedelta64[D]")
    keys = pd.DataFrame({
        "national_id": np.repeat(reg.national_id, n_years)[rows],
        "year": np.tile(years, n)[rows],
        "submitted_on": (_deadlines(years)[None, :] + days).ravel()[rows].astype("datetime64[ns]"),
    })  # fmt: skip
    return keys, filed


def _with_blanks(
    rng: np.random.Generator, keys: pd.DataFrame, values: dict[str, np.ndarray], filed: np.ndarray
) -> pd.DataFrame:
    """The filed rows of every figure beside their keys, with each firm's cells left
    blank at the figure's BLANK rate times the firm's carelessness."""
    rows = filed.ravel()
    # One column-major block: pandas then takes the figures without copying them again.
    figures = np.empty((int(rows.sum()), len(values)), order="F")
    carelessness = rng.gamma(2.0, 0.5, len(filed))[:, None]
    for j, (code, value) in enumerate(values.items()):
        blank = rng.random(filed.shape) < np.minimum(BLANK[code] * carelessness, 0.8)
        figures[:, j] = np.where(blank, np.nan, value).ravel()[rows]
    return pd.concat([keys, pd.DataFrame(figures, columns=list(values), copy=False)], axis=1)
