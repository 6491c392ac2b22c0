"""Loading the synthetic demo population (:mod:`rasad.demo`) into the platform's database.

Bulk inserts in one transaction: a half-loaded demo would look like real gaps in the data.
Each return arrives as version 1 from source ``demo``, with its historical submission date,
so late returns show as late.
"""

from __future__ import annotations

import datetime
import math
from zoneinfo import ZoneInfo

import pandas as pd
from django.db import transaction

from rasad.demo import DemoPopulation
from rasad.iran.periods import jalali_to_gregorian
from rasad.platform.accounts.models import Role, User
from rasad.platform.registry.models import (
    Cluster,
    ClusterMembership,
    Enterprise,
    IndustrialEstate,
    Province,
    Sector,
)
from rasad.platform.returns.models import Indicator, Observation, Period, Return, ReturnVersion

DEMO_PASSWORD = "rasad-demo-1403"
DEMO_USERS = {
    Role.PUBLIC: "demo-public",
    Role.ENTERPRISE: "demo-enterprise",
    Role.ESTATE_MANAGER: "demo-estate",
    Role.ANALYST: "demo-analyst",
    Role.ADMIN: "demo-admin",
}
BATCH = 5000
TEHRAN = ZoneInfo("Asia/Tehran")


def database_is_empty() -> bool:
    return not Enterprise.objects.exists()


def _none_if_missing(value):
    return None if pd.isna(value) else value


def _track(items, description: str, enabled: bool):
    if not enabled:
        return items
    from rich.progress import track

    return track(items, description=description)


@transaction.atomic
def load_demo(population: DemoPopulation, *, progress: bool = False) -> dict[str, int]:
    provinces = {p.code: p for p in Province.objects.all()}
    sectors = {s.code: s for s in Sector.objects.filter(level__in=["division", "class"])}

    estates = IndustrialEstate.objects.bulk_create(
        IndustrialEstate(code=row.code, name_fa=row.name_fa, name_en=row.name_en,
                         province=provinces[int(row.province_code)], kind=row.kind)
        for row in population.estates.itertuples()
    )
    estates_by_code = {e.code: e for e in estates}

    enterprises = Enterprise.objects.bulk_create(
        (
            Enterprise(
                national_id=row.national_id, name_fa=row.name_fa, name_en=row.name_en,
                isic=sectors[str(row.isic_class)], province=provinces[int(row.province_code)],
                estate=estates_by_code.get(_none_if_missing(row.estate_code)),
                founding_year=_none_if_missing(row.founding_year),
            )
            for row in population.enterprises.itertuples()
        ),
        batch_size=BATCH,
    )
    enterprises_by_id = {e.national_id: e for e in enterprises}

    years = sorted(int(y) for y in population.returns["year"].unique())
    periods = {}
    for year in years:
        period, _ = Period.objects.get_or_create(
            year=year, quarter=None, defaults={"deadline": jalali_to_gregorian(year + 1, 4, 31)}
        )
        periods[year] = period

    indicators = {i.code: i for i in Indicator.objects.all()}
    codes = [c for c in population.returns.columns if c in indicators]
    frame = population.returns
    returns = Return.objects.bulk_create(
        (Return(enterprise=enterprises_by_id[nid], period=periods[int(year)])
         for nid, year in zip(frame["national_id"], frame["year"], strict=True)),
        batch_size=BATCH,
    )
    versions = ReturnVersion.objects.bulk_create(
        (
            ReturnVersion(
                return_record=record, number=1, source=ReturnVersion.Source.DEMO,
                created_at=datetime.datetime.combine(
                    submitted, datetime.time(10, 0), tzinfo=TEHRAN
                ),
            )
            for record, submitted in zip(returns, frame["submitted_on"], strict=True)
        ),
        batch_size=BATCH,
    )
    for record, version in zip(returns, versions, strict=True):
        record.current_version = version
    Return.objects.bulk_update(returns, ["current_version"], batch_size=BATCH)

    values = frame[codes].to_numpy(dtype=float)
    observations = 0
    buffer: list[Observation] = []
    for i in _track(range(len(versions)), "Loading returns", progress):
        version = versions[i]
        for j, code in enumerate(codes):
            value = values[i, j]
            if not math.isnan(value):
                buffer.append(Observation(version=version, indicator=indicators[code], value=value))
        if len(buffer) >= BATCH:
            Observation.objects.bulk_create(buffer)
            observations += len(buffer)
            buffer = []
    Observation.objects.bulk_create(buffer)
    observations += len(buffer)

    clusters = {
        row.code: Cluster.objects.create(
            code=row.code, name_fa=row.name_fa, name_en=row.name_en, kind=row.kind,
            province=provinces[int(row.province_code)], sector=sectors[str(row.division)],
        )
        for row in population.clusters.itertuples()
    }
    ClusterMembership.objects.bulk_create(
        ClusterMembership(cluster=clusters[row.cluster_code], enterprise=enterprises_by_id[row.national_id])
        for row in population.cluster_members.itertuples()
    )
    _create_demo_users(population)
    return {
        "estates": len(estates), "enterprises": len(enterprises), "returns": len(returns),
        "observations": observations, "clusters": len(clusters),
    }


def _create_demo_users(population: DemoPopulation) -> None:
    """One account per role, scoped to a well-documented enterprise and the busiest estate."""
    complete = population.returns.groupby("national_id")["year"].count()
    enterprise = Enterprise.objects.get(national_id=complete.idxmax())
    busiest = population.enterprises["estate_code"].value_counts().idxmax()
    for role, username in DEMO_USERS.items():
        user = User(
            username=username, role=role, is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN
        )
        user.set_password(DEMO_PASSWORD)
        if role == Role.ENTERPRISE:
            user.enterprise = enterprise
        user.save()
        if role == Role.ESTATE_MANAGER:
            user.estates.set(IndustrialEstate.objects.filter(code=busiest))
