"""Agglomeration and specialisation: Ellison–Glaeser, Herfindahl and Krugman indices.

A high location quotient can come from one big plant. Ellison and Glaeser (1997,
"Geographic concentration in U.S. manufacturing industries", JPE 105) separate the two:
their γ is the concentration of a sector's employment across regions beyond what its
plant sizes alone would produce if plants were thrown at regions at random in
proportion to each region's size x_r::

    G = Σ_r (s_r − x_r)²       H = Σ_j z_j²       (z_j: plant j's share of the sector)
    γ = [G − (1 − Σ_r x_r²) H] / [(1 − Σ_r x_r²)(1 − H)]

E[γ] = 0 under that random placement. Instead of EG's fixed reading (γ < 0.02 "not
very concentrated", > 0.05 "highly concentrated"), which ignores how noisy γ is for a
sector of a few dozen plants, :func:`ellison_glaeser` simulates the random placement of
the very same plants ``draws`` times and reports the 5%–95% band of γ it gives: a sector
is *agglomerated* when its γ is above the band.

The simulation is the expensive part (a million plants × 1,000 draws is a billion
placements), so it is done for all sectors at once, one draw at a time: each plant's
region comes from a 65,536-entry lookup table indexed by 16 random bits, and one
``np.bincount`` sums the sizes per sector × region. The table is exact: regions get
⌊x_r·2¹⁶⌋ whole entries, and the few leftover entries send the plants that hit them to
a second, exact draw from the remainders.

Krugman's specialisation index (Krugman 1991, *Geography and Trade*; Midelfart-Knarvik
et al. 2000) is the other side: how different a region's sector mix is from the rest of
the country, Σ_i |s_ir − s_i*|, from 0 (same mix) to 2 (nothing in common).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rasad.clusters._checks import (
    Grouping,
    carried_flags,
    choice,
    fa,
    fraction,
    group_firms,
    measure_values,
    whole,
)
from rasad.clusters.quotients import cell_sums
from rasad.errors import RasadInputError
from rasad.iran import find_province

#: What an Ellison–Glaeser flag means, for pages and reports.
FLAG_LABELS = {
    "agglomerated": {
        "en": "more concentrated than random placement",
        "fa": "متمرکزتر از استقرار تصادفی",
    },
    "random": {"en": "within the range of random placement", "fa": "در محدوده استقرار تصادفی"},
    "dispersed": {
        "en": "more spread out than random placement",
        "fa": "پراکنده‌تر از استقرار تصادفی",
    },
    "undefined": {
        "en": "not defined (a single plant, or no employment)",
        "fa": "تعریف‌نشده (تنها یک واحد یا بدون اشتغال)",
    },
    "not_tested": {"en": "no simulation run (draws = 0)", "fa": "شبیه‌سازی اجرا نشده (draws = 0)"},
}

_TABLE_BITS = 16
MAX_DRAWS = 100_000


# --- Herfindahl ---------------------------------------------------------------------


def herfindahl(values, groups=None):
    """Herfindahl index Σ (v_j / Σv)²: 1/n for n equal parts, 1 for a monopoly.

    Without ``groups`` a float; with ``groups`` (one label per value) a Series indexed
    by the sorted labels. NaN values are left out; a group summing to 0 gives NaN.
    """
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise RasadInputError(
            "values must be one-dimensional.",
            "مقادیر (values) باید یک‌بعدی باشند.",
            field="values",
            value=array.shape,
        )
    if (array < 0).any() or np.isinf(array).any():
        raise RasadInputError(
            "values must not be negative or infinite.",
            "مقادیر (values) نباید منفی یا بی‌نهایت باشند.",
            field="values",
            value=float(array[(array < 0) | np.isinf(array)][0]),
        )
    array = np.where(np.isnan(array), 0.0, array)
    if groups is None:
        total = array.sum()
        return float((array**2).sum() / total**2) if total > 0 else float("nan")
    codes, labels = pd.factorize(pd.Series(groups), sort=True)
    if len(codes) != len(array) or (codes < 0).any():
        raise RasadInputError(
            "groups must give one non-missing label per value.",
            "گروه‌ها (groups) باید برای هر مقدار یک برچسب غیرخالی داشته باشند.",
            field="groups",
            value=len(codes),
        )
    total = np.bincount(codes, weights=array, minlength=len(labels))
    squares = np.bincount(codes, weights=array**2, minlength=len(labels))
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.Series(
            np.where(total > 0, squares / total**2, np.nan), index=labels, name="herfindahl"
        )


# --- Ellison–Glaeser ------------------------------------------------------------------


def _eg_parts(sizes, regions, sectors, shares, n_sectors):
    """Per sector: plants, total, H, G, Σ s_r² and γ (NaN where undefined)."""
    n_regions = len(shares)
    total = np.bincount(sectors, weights=sizes, minlength=n_sectors)
    plants = np.bincount(sectors, minlength=n_sectors)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.bincount(sectors, weights=sizes * sizes, minlength=n_sectors) / total**2
        s = (
            np.bincount(
                sectors * n_regions + regions, weights=sizes, minlength=n_sectors * n_regions
            ).reshape(n_sectors, n_regions)
            / total[:, None]
        )
    g = ((s - shares[None, :]) ** 2).sum(axis=1)
    gamma = _gamma(g, h, float((shares**2).sum()))
    return plants, total, h, g, (s**2).sum(axis=1), gamma


def _gamma(g, h, sum_x2):
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = (g - (1.0 - sum_x2) * h) / ((1.0 - sum_x2) * (1.0 - h))
    return np.where((h < 1.0) & np.isfinite(h) & (sum_x2 < 1.0), gamma, np.nan)


def _region_sampler(shares: np.ndarray):
    """An exact sampler of region indices with probabilities ``shares``.

    Region r owns ⌊x_r·T⌋ of T = 2¹⁶ table entries; the M leftover entries are marked
    ``len(shares)`` and a plant landing there is redrawn from the remainders
    (x_r·T − ⌊x_r·T⌋)/M, so P(r) = ⌊x_r·T⌋/T + (M/T)·(remainder_r/M) = x_r exactly.
    """
    n_regions = len(shares)
    size = 1 << _TABLE_BITS
    whole_entries = np.floor(shares * size).astype(np.int64)
    dtype = np.uint8 if n_regions < 255 else np.int32
    table = np.full(size, n_regions, dtype=dtype)
    table[: whole_entries.sum()] = np.repeat(np.arange(n_regions, dtype=dtype), whole_entries)
    rest = np.clip(shares * size - whole_entries, 0.0, None)
    rest = rest / rest.sum() if rest.sum() > 0 else None
    return table, rest


def _null_g(sizes, sectors, shares, n_sectors, draws, rng):
    """G of every sector in each of ``draws`` random placements: (draws, n_sectors)."""
    n = len(sizes)
    n_regions = len(shares)
    table, rest = _region_sampler(shares)
    key_dtype = np.int32 if n_sectors * (n_regions + 1) < 2**31 else np.int64
    base = (sectors * n_regions).astype(key_dtype)
    total = np.bincount(sectors, weights=sizes, minlength=n_sectors)
    with np.errstate(divide="ignore"):
        inverse = np.where(total > 0, 1.0 / total, 0.0)
    words = (n + 3) // 4
    placed = np.empty(n, dtype=table.dtype)
    key = np.empty(n, dtype=key_dtype)
    out = np.empty((draws, n_sectors))
    cells = n_sectors * n_regions
    for d in range(draws):
        bits = rng.integers(0, 2**64 - 1, size=words, dtype=np.uint64, endpoint=True)
        np.take(table, bits.view(np.uint16)[:n], out=placed)
        if rest is not None:
            leftover = np.flatnonzero(placed == n_regions)
            if len(leftover):
                placed[leftover] = rng.choice(n_regions, size=len(leftover), p=rest)
        np.add(base, placed, out=key)
        s = np.bincount(key, weights=sizes, minlength=cells).reshape(n_sectors, n_regions)
        s *= inverse[:, None]
        s -= shares[None, :]
        out[d] = np.einsum("ij,ij->i", s, s)
    return out


def _band(band) -> tuple[float, float]:
    ok = isinstance(band, (tuple, list)) and len(band) == 2
    if ok:
        low, high = (fraction(b, "band", low_open=False) for b in band)
        ok = low < high
    if not ok:
        raise RasadInputError(
            "band must be two shares (low, high) with low < high, such as (0.05, 0.95), "
            f"not {band!r}.",
            "«band» باید دو سهم (پایین، بالا) با پایین کمتر از بالا باشد، "
            f"مانند (0.05, 0.95)؛ نه «{band}».",
            field="band",
            value=band,
        )
    return float(low), float(high)


def _seed(seed):
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise RasadInputError(
            f"seed must be a whole number of 0 or more, not {seed!r}.",
            f"«seed» (بذر تصادفی) باید عددی صحیح و نامنفی باشد، نه «{seed}».",
            field="seed",
            value=seed,
        )
    return int(seed)


def _shares_from_totals(region_totals, grouping, region: str):
    """Region shares x_r from given totals, and each plant-region's index into them."""
    totals = (
        pd.Series(region_totals, dtype=object)
        if not isinstance(region_totals, pd.Series)
        else region_totals
    )
    labels = list(totals.index)
    if region == "province":
        labels = [int(find_province(label)["code"]) for label in labels]
    values = pd.to_numeric(pd.Series(totals.to_numpy()), errors="coerce").to_numpy(dtype=np.float64)
    if len(values) == 0 or np.isnan(values).any() or (values < 0).any() or values.sum() <= 0:
        raise RasadInputError(
            "region_totals must give every region a total of 0 or more, with a positive sum.",
            "region_totals باید برای هر منطقه رقمی صفر یا بیشتر بدهد و جمعشان مثبت باشد.",
            field="region_totals",
            value=values.tolist()[:5],
        )
    if len(set(labels)) != len(labels):
        raise RasadInputError(
            "region_totals names a region twice.",
            "region_totals یک منطقه را دو بار آورده است.",
            field="region_totals",
            value=labels,
        )
    position = pd.Index(labels, dtype=object).get_indexer(pd.Index(grouping.regions, dtype=object))
    if (position < 0).any():
        missing = grouping.regions[position < 0].tolist()[0]  # a Python int, not np.int64
        en, in_fa = str(missing), str(missing)
        if region == "province":  # a code alone (0 is Markazi) tells a reader little
            province = find_province(missing)
            en = f"{missing} ({province['name_en']})"
            in_fa = f"{fa(missing)} ({province['name_fa']})"
        raise RasadInputError(
            f"region_totals has no total for {region} {en}, where plants are.",
            f"region_totals برای منطقهٔ «{in_fa}» که واحدهایی در آن است رقمی ندارد.",
            field="region_totals",
            value=missing,
        )
    return values / values.sum(), position


def _shares_from_plants(sizes, regions, n_regions: int, measure: str) -> np.ndarray:
    """Region shares x_r of ``measure`` over all the plants given, all sectors together."""
    shares = np.bincount(regions, weights=sizes, minlength=n_regions)
    if shares.sum() <= 0:
        raise RasadInputError(
            f"No firm in a region has a positive {measure} figure, so there is nothing to measure.",
            f"هیچ بنگاهی در منطقه‌ها رقم مثبت «{measure}» ندارد و چیزی برای سنجش نیست.",
            field=measure,
            value=0,
        )
    return shares / shares.sum()


@dataclass(frozen=True)
class _Plants:
    """The plants γ is measured on, as arrays, and the regions' shares x_r.

    ``carried`` says whose size was carried from an earlier year's return (None when
    ``firms`` does not say); ``regions`` index ``shares``.
    """

    sizes: np.ndarray
    sectors: np.ndarray
    regions: np.ndarray
    carried: np.ndarray | None
    shares: np.ndarray
    n_sectors: int


def _plants(firms, grouping: Grouping, measure: str, region_totals, region: str) -> _Plants:
    """The plants in some region with a positive size, and the regions' shares x_r: of
    these plants' own total, or of ``region_totals``."""
    sizes = measure_values(firms, measure)
    if grouping.n_regions == 0:
        column = grouping.region_column
        raise RasadInputError(
            f"No firm is in any {region}: {column} is blank in every row, so there is nothing "
            "to measure.",
            f"هیچ بنگاهی منطقه ندارد: ستون «{column}» در همهٔ ردیف‌ها خالی است و چیزی برای "
            "سنجش نیست.",
            field=column,
            value=None,
        )
    keep = (grouping.region_codes >= 0) & (sizes > 0)
    carried = carried_flags(firms, measure)
    sizes, sectors = sizes[keep], grouping.sector_codes[keep]
    regions = grouping.region_codes[keep]
    if region_totals is None:
        shares = _shares_from_plants(sizes, regions, grouping.n_regions, measure)
    else:
        shares, position = _shares_from_totals(region_totals, grouping, region)
        regions = position[regions]
    carried = carried[keep] if carried is not None else None
    return _Plants(sizes, sectors, regions, carried, shares, grouping.n_sectors)


def _carried_share(plants: _Plants, total: np.ndarray):
    """Per sector, the share of its total taken from earlier years' returns."""
    if plants.carried is None:
        return np.nan
    carried = np.where(plants.carried, plants.sizes, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            total > 0,
            np.bincount(plants.sectors, weights=carried, minlength=plants.n_sectors) / total,
            np.nan,
        )


def _observed_table(grouping: Grouping, plants: _Plants) -> pd.DataFrame:
    """One row per sector with its plants, total, H, Σ s_r², G, γ and carried share."""
    count, total, h, g, region_h, gamma = _eg_parts(
        plants.sizes, plants.regions, plants.sectors, plants.shares, plants.n_sectors
    )
    table = pd.DataFrame(
        {
            grouping.sector_column: grouping.sectors,
            "plants": count,
            "value": total,
            "herfindahl": h,
            "region_herfindahl": region_h,
            "G": g,
            "gamma": gamma,
        }
    ).infer_objects()
    table["carried_share"] = _carried_share(plants, total)
    return table


def _null_gamma(plants: _Plants, h, defined, draws: int, seed) -> np.ndarray:
    """γ of each sector with a defined γ in each of ``draws`` random placements of its
    plants: (draws, defined sectors). Only those sectors are placed: a single plant has
    nothing to test."""
    rng = np.random.default_rng(seed)
    in_defined = defined[plants.sectors]
    null_g = _null_g(
        plants.sizes[in_defined],
        plants.sectors[in_defined],
        plants.shares,
        plants.n_sectors,
        draws,
        rng,
    )
    return _gamma(null_g[:, defined], h[None, defined], float((plants.shares**2).sum()))


def _add_null_band(table: pd.DataFrame, plants: _Plants, draws: int, band, seed) -> None:
    """The null distribution's mean, sd and ``band`` quantiles, the p-value and the flag,
    from ``draws`` random placements of the same plants."""
    low, high = band
    gamma = table["gamma"].to_numpy()
    defined = np.isfinite(gamma)
    for column in ("null_mean", "null_sd", "null_low", "null_high", "p_value"):
        table[column] = np.nan
    flag = np.full(len(gamma), "not_tested", dtype=object)
    if draws and defined.any():
        null = _null_gamma(plants, table["herfindahl"].to_numpy(), defined, draws, seed)
        cut_low, cut_high = np.quantile(null, [low, high], axis=0)
        table.loc[defined, "null_mean"] = null.mean(axis=0)
        table.loc[defined, "null_sd"] = null.std(axis=0, ddof=1) if draws > 1 else np.nan
        table.loc[defined, "null_low"] = cut_low
        table.loc[defined, "null_high"] = cut_high
        exceed = (null >= gamma[None, defined]).sum(axis=0)
        table.loc[defined, "p_value"] = (exceed + 1) / (draws + 1)
        g_def = gamma[defined]
        flag[defined] = np.where(
            g_def > cut_high, "agglomerated", np.where(g_def < cut_low, "dispersed", "random")
        )
    table["flag"] = np.where(defined, flag, "undefined")


def ellison_glaeser(
    firms: pd.DataFrame,
    *,
    level: str = "division",
    region: str = "province",
    measure: str = "employees",
    region_totals=None,
    draws: int = 1000,
    band: tuple[float, float] = (0.05, 0.95),
    seed: int | None = 0,
) -> pd.DataFrame:
    """Ellison–Glaeser γ per sector, with a simulated random-placement band.

    Each row of ``firms`` is a plant; its size is ``measure`` (employment by default;
    plants with no or zero size are left out). ``level``/``region`` are as in
    :func:`location_quotients`; firms in no region (outside any estate) are left out,
    since the regions must share out the whole. The regions' sizes x_r are their shares
    of ``measure`` over all the plants given (all sectors), or of ``region_totals`` (a
    mapping or Series region → total, e.g. all-industry employment) when the plants are
    not the whole economy.

    Returns one row per sector: ``plants``, ``value`` (its total), ``herfindahl``
    (plant H), ``region_herfindahl`` (Σ s_r², how concentrated the sector is across
    regions), ``G``, ``gamma``, and from ``draws`` random placements of the same plants
    (seeded by ``seed``): ``null_mean``, ``null_sd``, ``null_low``/``null_high`` (the ``band``
    quantiles), ``p_value`` (share of draws with γ at least as high, (k+1)/(draws+1)),
    and ``flag``: ``agglomerated`` above the band, ``dispersed`` below, ``random`` within,
    ``undefined`` for a single plant, ``not_tested`` when ``draws=0`` (labels in
    :data:`FLAG_LABELS`). ``carried_share`` is the share of ``value`` taken from earlier
    years' returns (see :func:`firm_figures`; NaN when ``firms`` does not say).
    ``attrs`` records ``sum_x2``, ``draws``, ``band`` and ``seed``.
    """
    draws = whole(draws, "draws", 0, MAX_DRAWS)
    band = _band(band)
    seed = _seed(seed)
    grouping = group_firms(firms, level=level, region=region)
    plants = _plants(firms, grouping, measure, region_totals, region)
    table = _observed_table(grouping, plants)
    _add_null_band(table, plants, draws, band, seed)
    table.attrs.update(
        sum_x2=float((plants.shares**2).sum()),
        draws=draws,
        band=band,
        seed=seed,
        level=grouping.sector_column,
        region=grouping.region_column,
        measure=measure,
    )
    return table


# --- Krugman ---------------------------------------------------------------------------


def krugman(
    firms: pd.DataFrame,
    *,
    level: str = "division",
    region: str = "province",
    measure: str = "employees",
    reference: str = "rest",
) -> pd.DataFrame:
    """Krugman specialisation index per region: K_r = Σ_i |s_ir − s_i*|, 0 to 2.

    s_ir is sector i's share of the region's ``measure``; s_i* its share in the rest of
    the country (``reference="rest"``, Krugman's and Midelfart-Knarvik et al.'s
    comparison, which can reach 2) or in the whole country (``"nation"``, which includes
    the region itself). Firms outside any estate count in the reference only. Returns
    ``value`` (the region's total), ``sectors`` (sectors present), ``krugman``, and the
    sector contributing most, ``top_sector`` with its signed ``top_gap`` (s_ir − s_i*;
    positive: the region has more of it). NaN where a region (or the rest) is empty.
    """
    reference = choice(reference, ("rest", "nation"), "reference")
    grouping = group_firms(firms, level=level, region=region)
    value, _, _, sector_total = cell_sums(grouping, measure_values(firms, measure))
    region_total = value.sum(axis=1)
    national = sector_total.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        own = value / region_total[:, None]
        if reference == "rest":
            other = (sector_total[None, :] - value) / (national - region_total)[:, None]
        else:
            other = np.broadcast_to(sector_total / national, value.shape)
        gap = own - other
    index = np.abs(gap).sum(axis=1)
    valid = np.isfinite(gap).all(axis=1)
    top = np.argmax(np.where(np.isfinite(gap), np.abs(gap), -1.0), axis=1)
    table = pd.DataFrame(
        {
            grouping.region_column: grouping.regions,
            "value": region_total,
            "sectors": (value > 0).sum(axis=1),
            "krugman": np.where(valid, index, np.nan),
            "top_sector": np.where(valid, grouping.sectors[top], None),
            "top_gap": np.where(valid, gap[np.arange(len(top)), top], np.nan),
        }
    ).infer_objects()
    table.attrs.update(
        level=grouping.sector_column,
        region=grouping.region_column,
        measure=measure,
        reference=reference,
    )
    return table
