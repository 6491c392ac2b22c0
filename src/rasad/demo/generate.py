"""Entry point of the synthetic population: checks the request, then draws it.

The registry and the returns draw from separate child streams of one seed, so the
same seed always gives the same population.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from rasad.demo._registry import build_registry
from rasad.demo._returns import build_returns
from rasad.demo._tables import tables
from rasad.demo.population import DemoPopulation, conform
from rasad.errors import RasadInputError
from rasad.iran import deflator, to_persian_digits
from rasad.iran.sizes import ISIPO_SIZE_THRESHOLDS, check_thresholds

# Iran has on the order of a hundred thousand industrial units, so two million is
# ample for benchmarks; it needs about 8 GB at peak (a million, about 4 GB) and stays
# far from exhausting the name space of the busiest province × sector cells.
MAX_ENTERPRISES = 2_000_000


def _whole(value, field: str, low: int, high: int, what_fa: str) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or not low <= value <= high
    ):
        raise RasadInputError(
            f"{field} must be a whole number from {low} to {high}, not {value!r}.",
            f"{what_fa} باید عددی صحیح از {to_persian_digits(str(low))} تا "
            f"{to_persian_digits(str(high))} باشد، نه «{value}».",
            field=field,
            value=value,
        )
    return int(value)


def generate(
    n_enterprises: int = 3000,
    seed: int = 1,
    first_year: int = 1399,
    last_year: int = 1403,
    size_thresholds: tuple[int, int, int] = ISIPO_SIZE_THRESHOLDS,
) -> DemoPopulation:
    """A synthetic, deterministic population of Iranian manufacturing SMEs.

    ``size_thresholds`` are (micro below, small below, medium up to), ISIPO's usage
    by default; they only set ``enterprises.size_class`` (at ``last_year``). Years are
    Jalali fiscal years and must be covered by the price deflator, which drives the
    nominal growth of money figures. See docs/demo-population.md for every assumption.
    """
    n = _whole(n_enterprises, "n_enterprises", 1, MAX_ENTERPRISES, "تعداد بنگاه‌ها")
    seed = _whole(seed, "seed", 0, 2**63 - 1, "بذر تصادفی")
    cpi_years = deflator().index
    low, high = int(cpi_years.min()), int(cpi_years.max())
    first_year = _whole(first_year, "first_year", low, high, "سال نخست")
    last_year = _whole(last_year, "last_year", first_year, high, "سال پایانی")
    thresholds = check_thresholds(size_thresholds)

    t = tables()
    registry_rng, name_rng, returns_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
    )
    reg = build_registry(registry_rng, name_rng, t, n, first_year, last_year, thresholds)

    enterprises = pd.DataFrame({
        "national_id": reg.national_id,
        "name_fa": reg.name_fa,
        "name_en": reg.name_en,
        "isic_class": t.classes["isic_class"].to_numpy(object)[reg.class_index],
        "province_code": reg.province,
        "estate_code": np.where(
            reg.estate >= 0, t.estates["code"].to_numpy(object)[reg.estate], None
        ),
        "founding_year": reg.founding_year,
        "size_class": reg.size_class,
    })  # fmt: skip
    clusters = t.specialisations.rename(columns={"cluster_code": "code"}).assign(kind="designated")
    members = np.flatnonzero(reg.cluster >= 0)
    cluster_members = pd.DataFrame({
        "cluster_code": clusters["code"].to_numpy(object)[reg.cluster[members]],
        "national_id": reg.national_id[members],
    }).sort_values(["cluster_code", "national_id"])  # fmt: skip
    returns = build_returns(returns_rng, reg, t, first_year, last_year)
    return DemoPopulation(
        estates=conform("estates", t.estates),
        enterprises=conform("enterprises", enterprises),
        returns=conform("returns", returns),
        clusters=conform("clusters", clusters),
        cluster_members=conform("cluster_members", cluster_members),
    )
