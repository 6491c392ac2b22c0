"""Who the demo firms are: place, sector, estate, age, size, name and national ID.

Everything is drawn for all firms at once with numpy, because the same generator
builds a million-firm population for benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rasad.demo._tables import Tables
from rasad.iran import make_legal_ids
from rasad.iran.sizes import size_classes

# Median employment of a firm in a division whose size factor is 1, and the spread of
# log employment: with these about 22% of firms are micro, 56% small, 18% medium and
# 4% larger than 150 (see docs/demo-population.md).
MEDIAN_EMPLOYEES = 22.0
LOG_EMPLOYEES_SD = 1.05
YOUNG_FIRM_SIZE = 0.6  # firms under five years old are this much smaller
IN_ESTATE = 0.8  # share of firms located in an industrial estate or zone
SPECIALTY_PULL = 4.0  # an estate's weight for firms of a division it specialises in
PROVINCE_MIX_SD = 0.25  # log-normal noise on each province's sector mix
OLD_FIRM_AGE_MEAN = 13.0  # mean age (years) at the start of the window, exponential
ENTRANT_SHARE = 0.04  # firms founded inside the window, so with fewer returns
EARLIEST_FOUNDING, LATEST_FOUNDING = 1340, 1402
CLUSTER_MEMBERSHIP = 0.7  # share of a planted cell's firms that joined its cluster
# Name forms: sector + brand + place, sector + two brands, sector + brand, and the
# roomiest, sector + two brands + place, which is also used to redraw duplicates.
NAME_FORMS = (0.50, 0.30, 0.12, 0.08)
CLASS_PHRASE = 0.75  # chance a firm is named by its class's phrase rather than its division's


@dataclass
class Registry:
    """Per-firm arrays in registry order; the returns model reads them too."""

    national_id: np.ndarray
    name_fa: np.ndarray
    name_en: np.ndarray
    province: np.ndarray
    division: np.ndarray  # row index into Tables.divisions
    class_index: np.ndarray  # row index into Tables.classes
    estate: np.ndarray  # row index into Tables.estates, -1 outside any estate
    founding_year: np.ndarray
    employees_last: np.ndarray  # headcount in the last year, before any blanking
    cluster: np.ndarray  # row index into Tables.specialisations, -1 for none
    size_class: np.ndarray


def draw_rows(rng: np.random.Generator, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """A column index per firm, drawn with the weights of that firm's row.

    Dividing the running sums by their last value makes every row end at exactly 1.0
    (zero-weight padding included), so a uniform draw in [0, 1) never lands past the
    last category with positive weight.
    """
    cumulative = np.cumsum(weights, axis=1)
    cumulative /= cumulative[:, -1:]
    u = rng.random(len(rows))
    return (cumulative[rows] < u[:, None]).sum(axis=1)


def _sector_mix(rng: np.random.Generator, t: Tables) -> np.ndarray:
    """Share of each division among each province's firms (provinces × divisions).

    Planted specialisations take their share first; the rest follows the national
    weights, shaken a little per province so that unplanted cells vary too.
    """
    n_prov, n_div = len(t.provinces), len(t.divisions)
    base = t.divisions["weight"].to_numpy(float) * rng.lognormal(
        0.0, PROVINCE_MIX_SD, (n_prov, n_div)
    )
    base /= base.sum(axis=1, keepdims=True)
    planted = np.zeros((n_prov, n_div))
    div_pos = {code: i for i, code in enumerate(t.divisions["division"])}
    for row in t.specialisations.itertuples():
        planted[row.province_code, div_pos[row.division]] += row.share
    return planted + (1.0 - planted.sum(axis=1, keepdims=True)) * base


def _class_weights(t: Tables) -> tuple[np.ndarray, np.ndarray]:
    """Class weights per (province, division) cell, so that planted cells can favour
    their focus class (saffron in Khorasan) while the rest keep national weights."""
    n_prov, n_div = len(t.provinces), len(t.divisions)
    members = [
        np.flatnonzero(t.classes["division"].to_numpy() == d) for d in t.divisions["division"]
    ]
    width = max(len(m) for m in members)
    columns = np.zeros((n_div, width), dtype=np.int64)
    base = np.zeros((n_div, width))
    for d, m in enumerate(members):
        columns[d, : len(m)] = m
        base[d, : len(m)] = t.classes["weight"].to_numpy()[m]
        base[d] /= base[d].sum()
    weights = np.tile(base, (n_prov, 1))
    div_pos = {code: i for i, code in enumerate(t.divisions["division"])}
    class_pos = {code: i for i, code in enumerate(t.classes["isic_class"])}
    for row in t.specialisations.itertuples():
        d = div_pos[row.division]
        focus = np.zeros(width)
        focus[np.flatnonzero(columns[d] == class_pos[row.focus_class])[0]] = 1.0
        weights[row.province_code * n_div + d] = (
            row.focus_share * focus + (1 - row.focus_share) * base[d]
        )
    return weights, columns


def _estate_weights(t: Tables) -> tuple[np.ndarray, np.ndarray]:
    """Estate weights per (province, division) cell, so that an estate's specialty
    (Charmshahr leather, Meybod tiles) draws its sector's firms of that province."""
    n_prov, n_div = len(t.provinces), len(t.divisions)
    by_province = [
        np.flatnonzero(t.estates["province_code"].to_numpy() == p) for p in range(n_prov)
    ]
    width = max(len(e) for e in by_province)
    columns = np.zeros((n_prov, width), dtype=np.int64)
    weights = np.zeros((n_prov * n_div, width))
    specialties = [set(s.split()) for s in t.estates["specialty"]]
    for p, estates in enumerate(by_province):
        columns[p, : len(estates)] = estates
        for d, division in enumerate(t.divisions["division"]):
            weights[p * n_div + d, : len(estates)] = [
                t.estates["weight"].iat[e] * (SPECIALTY_PULL if division in specialties[e] else 1.0)
                for e in estates
            ]
    return weights, columns


def _national_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unique valid IDs that look like real ones (they start 10…).

    IDs are ``1010000000 + k`` plus a check digit. The k with ``k mod 10**7 < 10``
    would make digits 4–9 all zero, which no valid ID has, so they are skipped by
    drawing from the 10**7 − 10 allowed values of each block of 10**7.
    """
    block = 10**7 - 10
    j = rng.choice(9 * block, size=n, replace=False)
    k = (j // block) * 10**7 + j % block + 10
    return make_legal_ids(1_010_000_000 + k)


def _ragged(groups: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Groups of unequal size as flat arrays, so one member per firm is picked without a
    Python loop over firms; the appended dummy keeps indices valid for empty groups."""
    counts = np.array([len(g) for g in groups], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    flat = np.concatenate([*groups, [0]]).astype(np.int64)
    return flat, offsets, counts


def _pick(rng: np.random.Generator, ragged, keys: np.ndarray) -> np.ndarray:
    flat, offsets, counts = ragged
    choice = np.minimum(
        (rng.random(len(keys)) * counts[keys]).astype(np.int64), np.maximum(counts[keys] - 1, 0)
    )
    return flat[offsets[keys] + choice]


class _Namer:
    """Builds «صنایع غذایی آرمان توس» / "Arman Toos Food Industries" style names."""

    def __init__(self, t: Tables):
        phrases, places, brands = t.phrases, t.places, t.brands
        self.phrase_fa = phrases["fa"].to_numpy(object)
        self.phrase_en = phrases["en"].to_numpy(object)
        self.place_fa = (" " + places["fa"]).to_numpy(object)
        self.place_en = (" " + places["en"]).to_numpy(object)
        self.brand_fa = (" " + brands["fa"]).to_numpy(object)
        self.brand_en = brands["en"].to_numpy(object)
        self.n_brands = len(brands)
        isic_codes = phrases["isic"].to_numpy()
        # Some class phrases belong to a region (saffron to Khorasan, rice mills to the
        # rice-growing north), so class phrases are looked up per (class, province).
        self.n_provinces = len(t.provinces)
        allowed = [
            np.array([not where or str(p) in where.split() for where in phrases["provinces"]])
            for p in range(self.n_provinces)
        ]
        self.by_class = _ragged(
            [
                np.flatnonzero((isic_codes == c) & allowed[p])
                for c in t.classes["isic_class"]
                for p in range(self.n_provinces)
            ]
        )
        self.by_division = _ragged(
            [np.flatnonzero(isic_codes == c[:2]) for c in t.classes["isic_class"]]
        )
        codes = places["province_code"].to_numpy()
        self.by_province = _ragged([np.flatnonzero(codes == p) for p in range(len(t.provinces))])

    def draw(self, rng, class_index, province, forms) -> tuple[np.ndarray, np.ndarray]:
        n = len(class_index)
        local = class_index * self.n_provinces + province
        own_phrase = (self.by_class[2][local] > 0) & (rng.random(n) < CLASS_PHRASE)
        phrase = np.where(
            own_phrase,
            _pick(rng, self.by_class, local),
            _pick(rng, self.by_division, class_index),
        )
        brand = rng.integers(0, self.n_brands, n)
        # An offset of 1 … n_brands − 1 never gives the same brand twice.
        second = (brand + rng.integers(1, self.n_brands, n)) % self.n_brands
        place = _pick(rng, self.by_province, province)
        has_second = (forms == 1) | (forms == 3)
        has_place = (forms == 0) | (forms == 3)
        empty = np.full(n, "", dtype=object)
        fa = (
            self.phrase_fa[phrase] + self.brand_fa[brand]
            + np.where(has_second, self.brand_fa[second], empty)
            + np.where(has_place, self.place_fa[place], empty)
        )  # fmt: skip
        en = (
            self.brand_en[brand]
            + np.where(has_second, " " + self.brand_en[second], empty)
            + np.where(has_place, self.place_en[place], empty)
            + " " + self.phrase_en[phrase]
        )  # fmt: skip
        return fa, en

    def unique_names(self, rng, class_index, province) -> tuple[np.ndarray, np.ndarray]:
        """Names unique in both languages: duplicates are redrawn in the roomiest form."""
        forms = rng.choice(len(NAME_FORMS), size=len(class_index), p=NAME_FORMS)
        fa, en = self.draw(rng, class_index, province, forms)
        while True:
            clash = np.flatnonzero(
                pd.Series(fa).duplicated().to_numpy() | pd.Series(en).duplicated().to_numpy()
            )
            if not len(clash):
                return fa, en
            fa[clash], en[clash] = self.draw(
                rng, class_index[clash], province[clash], np.full(len(clash), 3)
            )


def build_registry(
    rng: np.random.Generator,
    name_rng: np.random.Generator,
    t: Tables,
    n: int,
    first_year: int,
    last_year: int,
    thresholds: tuple[int, int, int],
) -> Registry:
    n_div = len(t.divisions)
    province = rng.choice(
        len(t.provinces), size=n, p=t.provinces["weight"] / t.provinces["weight"].sum()
    )
    division = draw_rows(rng, _sector_mix(rng, t), province)
    cell = province * n_div + division

    class_weights, class_columns = _class_weights(t)
    class_index = class_columns[division, draw_rows(rng, class_weights, cell)]

    estate_weights, estate_columns = _estate_weights(t)
    estate = estate_columns[province, draw_rows(rng, estate_weights, cell)]
    estate = np.where(rng.random(n) < IN_ESTATE, estate, -1)

    founding = first_year - 1 - np.floor(rng.exponential(OLD_FIRM_AGE_MEAN, n)).astype(np.int64)
    founding = np.clip(founding, EARLIEST_FOUNDING, LATEST_FOUNDING)
    latest_entry = min(last_year, LATEST_FOUNDING)
    if latest_entry > first_year:
        entrant = rng.random(n) < ENTRANT_SHARE
        founding = np.where(entrant, rng.integers(first_year + 1, latest_entry + 1, n), founding)

    size = t.divisions["size"].to_numpy(float)[division]
    employees = rng.lognormal(np.log(MEDIAN_EMPLOYEES * size), LOG_EMPLOYEES_SD)
    employees = np.where(last_year - founding < 5, employees * YOUNG_FIRM_SIZE, employees)
    employees = np.maximum(1.0, np.round(employees))

    cluster = np.full(n, -1, dtype=np.int64)
    div_pos = {code: i for i, code in enumerate(t.divisions["division"])}
    joins = rng.random(n) < CLUSTER_MEMBERSHIP
    for c, row in enumerate(t.specialisations.itertuples()):
        cluster[(province == row.province_code) & (division == div_pos[row.division]) & joins] = c

    name_fa, name_en = _Namer(t).unique_names(name_rng, class_index, province)
    return Registry(
        national_id=_national_ids(name_rng, n),
        name_fa=name_fa,
        name_en=name_en,
        province=province,
        division=division,
        class_index=class_index,
        estate=estate,
        founding_year=founding,
        employees_last=employees,
        cluster=cluster,
        size_class=size_classes(employees, thresholds),
    )
