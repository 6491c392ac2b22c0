"""Location quotients: how much more of a sector a region has than the country.

LQ = (e_ir / e_r) / (e_i / e): the sector's share of the region divided by its share of
the nation. LQ = 2 means the region holds twice the sector that its size alone would
predict — the classic first sign of a cluster, and the European Cluster Observatory's
specialisation star.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rasad.clusters._checks import ENTERPRISES, Grouping, carried_flags, group_firms, measure_values

#: The figures of a location-quotient table, besides its region and sector columns.
LQ_COLUMNS = (
    "measure",
    "enterprises",
    "reporting",
    "value",
    "region_total",
    "sector_total",
    "national_total",
    "share_of_region",
    "share_of_sector",
    "lq",
    "carried_firms",
    "carried",
    "carried_share",
)


def cell_sums(grouping: Grouping, values: np.ndarray):
    """Per (region, sector) cell: the sum of ``values``, firms, and firms reporting;
    plus national sector totals, which include firms in no region."""
    known = ~np.isnan(values)
    filled = np.where(known, values, 0.0)
    n_r, n_s = grouping.n_regions, grouping.n_sectors
    inside = grouping.region_codes >= 0
    if inside.all():
        key = grouping.region_codes * n_s + grouping.sector_codes
        weights, counted = filled, known
    else:
        key = grouping.region_codes[inside] * n_s + grouping.sector_codes[inside]
        weights, counted = filled[inside], known[inside]
    size = n_r * n_s
    value = np.bincount(key, weights=weights, minlength=size).reshape(n_r, n_s)
    firms = np.bincount(key, minlength=size).reshape(n_r, n_s)
    reporting = np.bincount(key, weights=counted, minlength=size).reshape(n_r, n_s).astype(np.int64)
    sector_total = np.bincount(grouping.sector_codes, weights=filled, minlength=n_s)
    return value, firms, reporting, sector_total


def location_quotients(
    firms: pd.DataFrame,
    *,
    measure: str = "employees",
    level: str = "division",
    region: str = "province",
) -> pd.DataFrame:
    """Location quotients of ``measure`` for every region × sector cell.

    ``firms`` has one row per firm (see :func:`firm_figures`). ``measure`` is a numeric
    column (``employees``, ``sales``, ``exports``, …) or ``"enterprises"`` to count
    firms. ``level`` is an ISIC level read from ``isic_class`` (``section``,
    ``division``, ``group``, ``class``) or the name of a column holding sector codes;
    ``region`` is ``"province"`` (``province_code``), ``"estate"`` (``estate_code``) or
    a column name.

    The result has every cell of the regions × sectors seen (zeros included, so maps
    and ranks see the regions that have none of a sector), with the figures behind
    the quotient: ``enterprises`` (firms in the cell), ``reporting`` (firms with a
    value), ``value`` (e_ir), ``region_total`` (e_r), ``sector_total`` (e_i),
    ``national_total`` (e), ``share_of_region`` (e_ir/e_r, the ECO "focus"),
    ``share_of_sector`` (e_ir/e_i) and ``lq``. Firms outside any estate count in the
    national totals but form no row: an estate is compared with the whole economy.
    LQ is NaN where a region or sector has a zero total.

    What was carried forward: ``carried_firms`` (firms whose value came from an
    earlier year's return), ``carried`` (what those values add up to) and
    ``carried_share`` (carried / value; NaN for an empty cell), read from the
    ``<measure>_age`` column :func:`firm_figures` adds. Without that column they are NaN
    (not known); for ``"enterprises"`` they are 0.
    """
    grouping = group_firms(firms, level=level, region=region)
    values = measure_values(firms, measure)
    return _table(grouping, values, measure, carried_flags(firms, measure))


def _carried(grouping: Grouping, values: np.ndarray, carried: np.ndarray | None):
    """Per cell: how many firms' values were carried forward and their sum (NaN when
    not known)."""
    shape = (grouping.n_regions, grouping.n_sectors)
    if carried is None:
        return np.full(shape, np.nan), np.full(shape, np.nan)
    known = carried & ~np.isnan(values)
    inside = grouping.region_codes >= 0
    key = grouping.region_codes[inside] * grouping.n_sectors + grouping.sector_codes[inside]
    size = shape[0] * shape[1]
    firms = np.bincount(key, weights=known[inside], minlength=size).reshape(shape).astype(np.int64)
    value = np.bincount(key, weights=np.where(known, values, 0.0)[inside], minlength=size).reshape(
        shape
    )
    return firms, value


def _table(
    grouping: Grouping, values: np.ndarray, measure: str, carried: np.ndarray | None = None
) -> pd.DataFrame:
    value, count, reporting, sector_total = cell_sums(grouping, values)
    carried_firms, carried_value = _carried(grouping, values, carried)
    if measure == ENTERPRISES:
        reporting = count
    region_total = value.sum(axis=1)
    national = float(sector_total.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        share_of_region = value / region_total[:, None]
        share_of_sector = value / sector_total[None, :]
        lq = share_of_region / (sector_total / national)[None, :]
        carried_share = np.where(value > 0, carried_value / value, np.nan)
    n_r, n_s = value.shape
    table = pd.DataFrame(
        {
            grouping.region_column: np.repeat(grouping.regions, n_s),
            grouping.sector_column: np.tile(grouping.sectors, n_r),
            "measure": measure,
            "enterprises": count.ravel(),
            "reporting": reporting.ravel(),
            "value": value.ravel(),
            "region_total": np.repeat(region_total, n_s),
            "sector_total": np.tile(sector_total, n_r),
            "national_total": national,
            "share_of_region": share_of_region.ravel(),
            "share_of_sector": share_of_sector.ravel(),
            "lq": lq.ravel(),
            "carried_firms": carried_firms.ravel(),
            "carried": carried_value.ravel(),
            "carried_share": carried_share.ravel(),
        }
    )
    table = table.infer_objects()
    table.attrs.update(region=grouping.region_column, level=grouping.sector_column, measure=measure)
    return table
