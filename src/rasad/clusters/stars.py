"""Cluster identification and strength, the European Cluster Observatory way.

The ECO (Ketels & Sölvell, European Cluster Observatory star ratings, 2006–2016) gives a
region × sector cell up to three stars, each for one reason a concentration of firms
may matter economically:

- **size** — the cell's employment is among the top 10% of regions in that sector:
  big enough for economies of scale and a deep labour market;
- **specialisation** — LQ ≥ 2: the region holds at least twice the sector its size
  predicts;
- **focus** — the sector's share of the region's employment is among the top 10%: the
  region's economy leans on it.

Thresholds are parameters, because 31 provinces are not 250 European regions, and a
minimum number of enterprises keeps a cell with one big plant from being called a
cluster. Designated clusters (ISIPO's cluster projects) are compared with the identified
ones by :func:`compare_clusters`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rasad.clusters._checks import (
    cell_columns,
    choice,
    fraction,
    group_firms,
    positive,
    require_columns,
    require_frame,
    whole,
)
from rasad.clusters.quotients import LQ_COLUMNS
from rasad.errors import RasadInputError

STAR_COLUMNS = (
    *LQ_COLUMNS,
    "size_rank",
    "focus_rank",
    "eligible",
    "size_star",
    "specialisation_star",
    "focus_star",
    "stars",
)

#: What a comparison status means, for pages and reports.
STATUS_LABELS = {
    "matched": {"en": "designated and identified", "fa": "مصوب و شناسایی‌شده"},
    "designated_only": {
        "en": "designated, not identified by the data",
        "fa": "مصوب، ولی در داده‌ها شناسایی نشده",
    },
    "identified_only": {
        "en": "identified by the data, not designated",
        "fa": "شناسایی‌شده در داده‌ها، ولی مصوب نیست",
    },
}


def _top_count(share: float, n: np.ndarray) -> np.ndarray:
    """How many of ``n`` ranked regions are "the top ``share``": ⌈share·n⌉, at least 1.

    The rounding is upward so that it agrees with "at or above the (1 − share)
    quantile": with 31 provinces the top 10% are the best 4 (the 90th percentile of 31
    values is the 4th largest). The tiny tolerance keeps 0.1 × 30 = 3.0000000000000004
    from becoming 4.
    """
    return np.maximum(1, np.ceil(share * np.asarray(n, dtype=np.float64) - 1e-9)).astype(np.int64)


def cluster_stars(
    lq: pd.DataFrame,
    *,
    size_top: float = 0.10,
    min_lq: float = 2.0,
    focus_top: float = 0.10,
    focus_within: str = "sector",
    min_enterprises: int = 10,
    min_value: float = 0.0,
) -> pd.DataFrame:
    """ECO stars for every cell of a :func:`location_quotients` table.

    Adds ``size_rank`` (the region's rank in the sector by ``value``, 1 = largest, ties
    share the best rank), ``focus_rank`` (by ``share_of_region``), ``eligible`` (at least
    ``min_enterprises`` firms and ``min_value`` of the measure), the three booleans
    ``size_star`` (rank within the top ``size_top`` of regions), ``specialisation_star``
    (``lq ≥ min_lq``) and ``focus_star`` (rank within the top ``focus_top``), and
    ``stars`` (0–3). Ineligible cells get no stars. A cell with nothing gets no size or
    focus star even if few regions have the sector.

    ``focus_within="sector"`` ranks a region's share against the other regions' shares
    of the same sector (food is a large share everywhere, so a region is "focused" on
    food only if more so than other regions); ``"all"`` ranks against every cell, the
    other reading of the ECO's wording ("the top 10% of clusters").
    """
    require_frame(lq, "lq")
    region, sector = cell_columns(lq, STAR_COLUMNS, "lq")
    require_columns(lq, ["enterprises", "value", "share_of_region", "lq"], "lq")
    size_top = fraction(size_top, "size_top")
    focus_top = fraction(focus_top, "focus_top")
    min_lq = positive(min_lq, "min_lq")
    min_value = positive(min_value, "min_value", allow_zero=True)
    min_enterprises = whole(min_enterprises, "min_enterprises")
    focus_within = choice(focus_within, ("sector", "all"), "focus_within")

    table = lq.drop(columns=[c for c in STAR_COLUMNS[len(LQ_COLUMNS) :] if c in lq.columns])
    by_sector = table.groupby(sector, sort=False, observed=True)
    table["size_rank"] = by_sector["value"].rank(method="min", ascending=False).astype(np.int64)
    regions_in_sector = by_sector[region].transform("size").to_numpy()
    if focus_within == "sector":
        focus_rank = by_sector["share_of_region"].rank(method="min", ascending=False)
        focus_pool = regions_in_sector
    else:
        focus_rank = table["share_of_region"].rank(method="min", ascending=False)
        focus_pool = np.full(len(table), len(table))
    table["focus_rank"] = focus_rank.fillna(len(table)).astype(np.int64)

    value = table["value"].to_numpy(dtype=np.float64)
    eligible = (
        (table["enterprises"].to_numpy() >= min_enterprises) & (value >= min_value) & (value > 0)
    )
    size_limit = _top_count(size_top, regions_in_sector)
    focus_limit = _top_count(focus_top, focus_pool)
    table["eligible"] = eligible
    table["size_star"] = eligible & (table["size_rank"].to_numpy() <= size_limit)
    table["specialisation_star"] = eligible & (table["lq"].to_numpy(dtype=np.float64) >= min_lq)
    table["focus_star"] = eligible & (table["focus_rank"].to_numpy() <= focus_limit)
    table["stars"] = (
        table["size_star"].astype(np.int64) + table["specialisation_star"] + table["focus_star"]
    )
    table.attrs.update(lq.attrs)
    table.attrs.update(
        size_top=size_top,
        min_lq=min_lq,
        focus_top=focus_top,
        focus_within=focus_within,
        min_enterprises=min_enterprises,
        min_value=min_value,
    )
    return table


def _min_stars(min_stars) -> int:
    return whole(min_stars, "min_stars", 1, 3)


def compare_clusters(
    stars: pd.DataFrame,
    designated: pd.DataFrame,
    *,
    min_stars: int = 2,
) -> pd.DataFrame:
    """Designated clusters against the cells :func:`cluster_stars` identifies.

    A cell is *identified* when it has at least ``min_stars`` stars. ``designated``
    needs the stars table's region and sector columns (e.g. ``province_code`` and
    ``division``) and usually ``code``, ``name_fa``, ``name_en``. Returns one row per
    designated cluster and per identified cell no cluster is designated in, with
    ``status`` = ``matched`` / ``designated_only`` / ``identified_only`` (labels in
    :data:`STATUS_LABELS`), the designated cluster's columns and the cell's ``stars``,
    ``lq``, ``value``, ``enterprises`` and ``carried_share`` when the table has it
    (NaN/0 where the data has no such cell).
    Sorted by status, then stars (most first).
    """
    require_frame(designated, "designated")
    region, sector = cell_columns(stars, STAR_COLUMNS, "stars")
    require_columns(stars, ["stars", "lq", "value", "enterprises"], "stars")
    require_columns(designated, [region, sector], "designated")
    min_stars = _min_stars(min_stars)

    figures = ["stars", "lq", "value", "enterprises"]
    figures += [c for c in ("carried_share",) if c in stars.columns]
    cells = stars[[region, sector, *figures]].copy()
    keyed = designated.copy()
    for column in (region, sector):
        keyed[column] = _like(keyed[column], cells[column], column)
    merged = keyed.merge(cells, on=[region, sector], how="left", validate="many_to_one")
    merged["stars"] = merged["stars"].fillna(0).astype(np.int64)
    merged["enterprises"] = merged["enterprises"].fillna(0).astype(np.int64)
    merged["status"] = np.where(merged["stars"] >= min_stars, "matched", "designated_only")

    identified = cells[cells["stars"] >= min_stars]
    key = pd.MultiIndex.from_frame(keyed[[region, sector]])
    extra = identified[~pd.MultiIndex.from_frame(identified[[region, sector]]).isin(key)].copy()
    extra["status"] = "identified_only"
    table = pd.concat([merged, extra], ignore_index=True)
    order = {"matched": 0, "designated_only": 1, "identified_only": 2}
    table = table.assign(_order=table["status"].map(order))
    table = (
        table.sort_values(["_order", "stars", "lq"], ascending=[True, False, False], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
    front = [
        c for c in ("status", region, sector, "code", "name_fa", "name_en") if c in table.columns
    ]
    return table[front + [c for c in table.columns if c not in front]]


def _like(values: pd.Series, reference: pd.Series, column: str) -> pd.Series:
    """``values`` in the type of ``reference``, so that 13 and "13" meet, and 1 and "01"."""
    if pd.api.types.is_integer_dtype(reference):
        try:
            return values.astype(np.int64)
        except (TypeError, ValueError) as error:
            raise RasadInputError(
                f"designated.{column} must hold whole-number codes like the data's.",
                f"ستون «{column}» در جدول designated باید مانند داده‌ها کد عددی صحیح داشته باشد.",
                field=column,
                value=values.head(3).tolist(),
            ) from error
    as_text = values.astype("string").str.strip()
    widths = reference.astype("string").str.len()
    if (
        len(widths)
        and widths.min() == widths.max()
        and reference.astype("string").str.isdigit().all()
    ):
        width = int(widths.iloc[0])
        as_text = as_text.where(~as_text.str.isdigit().fillna(False), as_text.str.zfill(width))
    return as_text.astype(object)


def identified_members(
    firms: pd.DataFrame,
    stars: pd.DataFrame,
    *,
    min_stars: int = 2,
    level: str | None = None,
    region: str | None = None,
) -> pd.DataFrame:
    """Membership of the identified clusters: ``cluster_code``, ``national_id``.

    Every firm in a cell with at least ``min_stars`` stars is a member; the cluster code
    is ``"<region>:<sector>"`` (e.g. ``"21:13"`` for Yazd textiles). Feed it to
    :func:`cluster_profiles` to profile identified clusters like designated ones.
    ``level`` and ``region`` default to those recorded in ``stars.attrs`` (the names of
    its columns: ``division``, ``province_code``).
    """
    require_columns(firms, ["national_id"], "firms")
    region_col, sector_col = cell_columns(stars, STAR_COLUMNS, "stars")
    min_stars = _min_stars(min_stars)
    level = level or stars.attrs.get("level", sector_col)
    if region is None:
        region = {"province_code": "province", "estate_code": "estate"}.get(region_col, region_col)
    grouping = group_firms(firms, level=level, region=region)
    chosen = stars[stars["stars"] >= min_stars]
    region_index = pd.Index(grouping.regions).get_indexer(
        _like(chosen[region_col], pd.Series(grouping.regions), region_col)
    )
    sector_index = pd.Index(grouping.sectors).get_indexer(
        _like(chosen[sector_col], pd.Series(grouping.sectors), sector_col)
    )
    ok = (region_index >= 0) & (sector_index >= 0)
    codes = np.full(grouping.n_regions * grouping.n_sectors, -1, dtype=np.int64)
    codes[region_index[ok] * grouping.n_sectors + sector_index[ok]] = np.flatnonzero(ok)
    firm_cell = np.where(
        grouping.region_codes >= 0,
        grouping.region_codes * grouping.n_sectors + grouping.sector_codes,
        -1,
    )
    which = np.where(firm_cell >= 0, codes[np.maximum(firm_cell, 0)], -1)
    member = which >= 0
    labels = np.array(
        [f"{r}:{s}" for r, s in zip(chosen[region_col], chosen[sector_col], strict=True)],
        dtype=object,
    )
    out = pd.DataFrame(
        {
            "cluster_code": labels[which[member]] if member.any() else np.array([], dtype=object),
            "national_id": firms["national_id"].to_numpy()[member],
        }
    )
    return out.sort_values(["cluster_code", "national_id"], kind="stable").reset_index(drop=True)
