"""The database as the pure core's DataFrames: the registry, the estates, the clusters and
the current figures of every return, in the demo population's column names.

The core (``rasad.index``, ``monitor``, ``clusters``) takes DataFrames; the platform
reads them here, in a fixed number of queries whatever the number of enterprises, so
that a ranking, a monitoring run and a cluster map all read the data the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rasad.platform.registry.models import Cluster, ClusterMembership, Enterprise, IndustrialEstate
from rasad.platform.returns.models import Indicator, Return, ReturnVersion

ENTERPRISE_COLUMNS = ["national_id", "name_fa", "name_en", "isic_class", "province_code", "estate_code",
                      "founding_year"]


def enterprises_frame(queryset=None) -> pd.DataFrame:
    """One row per enterprise of ``queryset`` (all by default)."""
    queryset = Enterprise.objects.all() if queryset is None else queryset
    rows = queryset.order_by("national_id").values_list(
        "national_id", "name_fa", "name_en", "isic__code", "province__code", "estate__code", "founding_year")
    frame = pd.DataFrame(list(rows), columns=ENTERPRISE_COLUMNS)
    return frame.astype({"province_code": "int64", "founding_year": "Int64"})


def estates_frame() -> pd.DataFrame:
    return pd.DataFrame(list(IndustrialEstate.objects.order_by("code").values_list(
        "code", "name_fa", "name_en", "province__code", "kind")),
        columns=["code", "name_fa", "name_en", "province_code", "kind"])


def clusters_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The designated clusters and their members, as the demo population has them."""
    clusters = pd.DataFrame(list(Cluster.objects.order_by("code").values_list(
        "code", "name_fa", "name_en", "province__code", "sector__code", "kind")),
        columns=["code", "name_fa", "name_en", "province_code", "division", "kind"])
    members = pd.DataFrame(list(ClusterMembership.objects.values_list("cluster__code", "enterprise__national_id")),
                           columns=["cluster_code", "national_id"])
    return clusters, members


def current_returns(periods=None, enterprises=None) -> tuple[pd.DataFrame, list[int]]:
    """The current version of every return of ``periods`` (Period objects or ids; all
    by default) of ``enterprises`` (ids; all by default): one row per return with
    ``national_id``, ``year``, ``quarter``, ``submitted_on`` (the date the return was
    first filed) and one column per catalogue indicator (NaN = not reported), and the
    ids of the versions read, in row order.

    Versions are read by period and filtered to the current ones here: a filter on the
    versions' ids would be one SQL parameter per return."""
    returns = Return.objects.filter(current_version__isnull=False)
    versions = ReturnVersion.objects.all()
    if periods is not None:
        period_ids = [getattr(p, "pk", p) for p in periods]
        returns = returns.filter(period_id__in=period_ids)
        versions = versions.filter(return_record__period_id__in=period_ids)
    rows = list(returns.values_list("current_version_id", "enterprise_id", "period__year", "period__quarter", "id"))
    if enterprises is not None:
        wanted = set(enterprises)
        rows = [row for row in rows if row[1] in wanted]
    return _wide(rows, versions), [row[0] for row in sorted(rows)]


def versions_returns(versions) -> pd.DataFrame:
    """The figures of the return versions ``versions`` (a ReturnVersion queryset, say
    those an edition froze), whether or not they are current, shaped as
    :func:`current_returns` shapes them."""
    rows = list(versions.values_list("pk", "return_record__enterprise_id", "return_record__period__year",
                                     "return_record__period__quarter", "return_record_id"))
    return _wide(rows, versions)


def _wide(rows: list[tuple], versions) -> pd.DataFrame:
    """One row per (version, enterprise, year, quarter, return) of ``rows``, with the
    figures of those of ``versions`` (a queryset that holds them, and maybe more)."""
    rows = sorted(rows)
    codes = sorted(Indicator.objects.values_list("code", flat=True))
    column_of = {code: j for j, code in enumerate(codes)}
    row_of = {row[0]: i for i, row in enumerate(rows)}
    values = np.full((len(rows), len(codes)), np.nan)
    if rows:
        for version_id, figures in versions.values_list("pk", "figures").iterator(chunk_size=20_000):
            i = row_of.get(version_id)
            if i is not None:
                for code, value in figures.items():
                    values[i, column_of[code]] = value
    national_id = dict(Enterprise.objects.filter(pk__in={row[1] for row in rows}).values_list("pk", "national_id")) \
        if len(rows) < 30_000 else dict(Enterprise.objects.values_list("pk", "national_id"))
    first_filed = {}
    return_ids = [row[4] for row in rows]
    for start in range(0, len(return_ids), 30_000):
        first_filed.update(ReturnVersion.objects.filter(
            number=1, return_record_id__in=return_ids[start:start + 30_000]).values_list("return_record_id",
                                                                                         "created_at"))
    frame = pd.DataFrame(values, columns=codes)
    frame.insert(0, "submitted_on", [first_filed[row[4]].date() if row[4] in first_filed else None for row in rows])
    frame.insert(0, "quarter", pd.array([row[3] for row in rows], dtype="Int64"))
    frame.insert(0, "year", np.array([row[2] for row in rows], dtype=np.int64))
    frame.insert(0, "national_id", [national_id[row[1]] for row in rows])
    return frame
