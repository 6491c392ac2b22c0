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
from rasad.platform.returns.models import Indicator, Observation, Return, ReturnVersion

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

    Figures are read by period and filtered to the current versions here: a filter on
    the versions' ids would be one SQL parameter per return."""
    returns = Return.objects.filter(current_version__isnull=False)
    observations = Observation.objects.all()
    if periods is not None:
        period_ids = [getattr(p, "pk", p) for p in periods]
        returns = returns.filter(period_id__in=period_ids)
        observations = observations.filter(version__return_record__period_id__in=period_ids)
    rows = list(returns.values_list("current_version_id", "enterprise_id", "period__year", "period__quarter", "id"))
    if enterprises is not None:
        wanted = set(enterprises)
        rows = [row for row in rows if row[1] in wanted]
    return _wide(rows, observations), [row[0] for row in sorted(rows)]


def versions_returns(versions) -> pd.DataFrame:
    """The figures of the return versions ``versions`` (a ReturnVersion queryset, say
    those an edition froze), whether or not they are current, shaped as
    :func:`current_returns` shapes them."""
    rows = list(versions.values_list("pk", "return_record__enterprise_id", "return_record__period__year",
                                     "return_record__period__quarter", "return_record_id"))
    return _wide(rows, Observation.objects.filter(version__in=versions.values("pk")))


def _wide(rows: list[tuple], observations) -> pd.DataFrame:
    """One row per (version, enterprise, year, quarter, return) of ``rows``, with the
    figures of ``observations`` that belong to those versions."""
    rows = sorted(rows)
    codes = dict(Indicator.objects.values_list("pk", "code"))
    indicator_ids = sorted(codes, key=codes.get)
    version_ids = [row[0] for row in rows]
    values = np.full((len(rows), len(indicator_ids)), np.nan)
    if rows:
        data = np.array(list(observations.values_list("version_id", "indicator_id", "value")
                             .iterator(chunk_size=50_000)), dtype=float).reshape(-1, 3)
        position = np.searchsorted(version_ids, data[:, 0])
        position = np.minimum(position, len(version_ids) - 1)
        wanted = np.asarray(version_ids, dtype=float)[position] == data[:, 0]
        column_of = np.zeros(max(indicator_ids) + 1, dtype=np.intp)
        column_of[indicator_ids] = np.arange(len(indicator_ids))
        values[position[wanted], column_of[data[wanted, 1].astype(np.intp)]] = data[wanted, 2]
    national_id = dict(Enterprise.objects.filter(pk__in={row[1] for row in rows}).values_list("pk", "national_id")) \
        if len(rows) < 30_000 else dict(Enterprise.objects.values_list("pk", "national_id"))
    first_filed = {}
    return_ids = [row[4] for row in rows]
    for start in range(0, len(return_ids), 30_000):
        first_filed.update(ReturnVersion.objects.filter(
            number=1, return_record_id__in=return_ids[start:start + 30_000]).values_list("return_record_id",
                                                                                         "created_at"))
    frame = pd.DataFrame(values, columns=[codes[i] for i in indicator_ids])
    frame.insert(0, "submitted_on", [first_filed[row[4]].date() if row[4] in first_filed else None for row in rows])
    frame.insert(0, "quarter", pd.array([row[3] for row in rows], dtype="Int64"))
    frame.insert(0, "year", np.array([row[2] for row in rows], dtype=np.int64))
    frame.insert(0, "national_id", [national_id[row[1]] for row in rows])
    return frame
