"""The database as the pure core's DataFrames: the registry, the estates, the clusters and
the current figures of every return, in the demo population's column names.

The core (``rasad.index``, ``monitor``, ``clusters``) takes DataFrames; the platform
reads them here, in a fixed number of queries whatever the number of enterprises, so
that a ranking, a monitoring run and a cluster map all read the data the same way.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from django.db.models import F, OuterRef, Subquery, TextField
from django.db.models.functions import Cast

from rasad.platform.registry.models import Cluster, ClusterMembership, Enterprise, IndustrialEstate
from rasad.platform.returns.models import Indicator, ReturnVersion

ENTERPRISE_COLUMNS = [
    "national_id",
    "name_fa",
    "name_en",
    "isic_class",
    "province_code",
    "estate_code",
    "founding_year",
]


def enterprises_frame(queryset=None) -> pd.DataFrame:
    """One row per enterprise of ``queryset`` (all by default)."""
    queryset = Enterprise.objects.all() if queryset is None else queryset
    rows = queryset.order_by("national_id").values_list(
        "national_id",
        "name_fa",
        "name_en",
        "isic__code",
        "province__code",
        "estate__code",
        "founding_year",
    )
    frame = pd.DataFrame(list(rows), columns=ENTERPRISE_COLUMNS)
    return frame.astype({"province_code": "int64", "founding_year": "Int64"})


def estates_frame() -> pd.DataFrame:
    return pd.DataFrame(
        list(
            IndustrialEstate.objects.order_by("code").values_list(
                "code", "name_fa", "name_en", "province__code", "kind"
            )
        ),
        columns=["code", "name_fa", "name_en", "province_code", "kind"],
    )


def clusters_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The designated clusters and their members, as the demo population has them."""
    clusters = pd.DataFrame(
        list(
            Cluster.objects.order_by("code").values_list(
                "code", "name_fa", "name_en", "province__code", "sector__code", "kind"
            )
        ),
        columns=["code", "name_fa", "name_en", "province_code", "division", "kind"],
    )
    members = pd.DataFrame(
        list(ClusterMembership.objects.values_list("cluster__code", "enterprise__national_id")),
        columns=["cluster_code", "national_id"],
    )
    return clusters, members


def current_returns(
    periods=None, enterprises=None, *, submitted_on: bool = True
) -> tuple[pd.DataFrame, list[int]]:
    """The current version of every return of ``periods`` (Period objects or ids; all
    by default) of ``enterprises`` (a queryset of their ids, read as a subquery; all by
    default): one row per return with ``national_id``, ``year``, ``quarter``,
    ``submitted_on`` (the date the return was first filed; left out with
    ``submitted_on=False``, which spares a ranking a lookup it does not read) and one
    column per catalogue indicator (NaN = not reported), and the ids of the versions
    read, in row order.

    The current versions are picked by a join on their return (a filter on the versions'
    ids would be one SQL parameter per return)."""
    versions = ReturnVersion.objects.filter(return_record__current_version=F("pk"))
    if periods is not None:
        versions = versions.filter(
            return_record__period_id__in=[getattr(p, "pk", p) for p in periods]
        )
    if enterprises is not None:
        versions = versions.filter(return_record__enterprise_id__in=enterprises)
    return _wide(versions, submitted_on)


def versions_returns(versions, *, submitted_on: bool = True) -> pd.DataFrame:
    """The figures of the return versions ``versions`` (a ReturnVersion queryset, say
    those an edition froze), whether or not they are current, shaped as
    :func:`current_returns` shapes them."""
    return _wide(versions, submitted_on)[0]


def _wide(versions, submitted_on: bool) -> tuple[pd.DataFrame, list[int]]:
    """One row per version of ``versions`` in the order of their ids, and those ids.

    One query: each version with its return's enterprise and period, the date its
    return's first version was filed (if asked) and its figures as JSON text, parsed with one
    ``json.loads`` of them all (a JSON field decoded row by row costs more than the
    query itself at 100,000 returns)."""
    columns = [
        "pk",
        "return_record__enterprise__national_id",
        "return_record__period__year",
        "return_record__period__quarter",
        Cast("figures", TextField()),
    ]
    if submitted_on:
        columns.append(
            Subquery(
                ReturnVersion.objects.filter(
                    return_record=OuterRef("return_record"), number=1
                ).values("created_at")
            )
        )
    rows = list(versions.order_by("pk").values_list(*columns))
    ids, national_ids, years, quarters, texts, *filed = (
        (list(column) for column in zip(*rows, strict=True)) if rows else [[] for _ in columns]
    )
    codes = sorted(Indicator.objects.values_list("code", flat=True))
    figures = json.loads(f"[{','.join(texts)}]")
    values = np.array(
        [[row.get(code, np.nan) for code in codes] for row in figures], dtype=float
    ).reshape(len(figures), len(codes))
    frame = pd.DataFrame(values, columns=codes)
    if submitted_on:
        frame.insert(0, "submitted_on", [None if at is None else at.date() for at in filed[0]])
    frame.insert(0, "quarter", pd.array(quarters, dtype="Int64"))
    frame.insert(0, "year", np.array(years, dtype=np.int64))
    frame.insert(0, "national_id", national_ids)
    return frame, ids
