"""Loading the synthetic demo population (:mod:`rasad.demo`) into the platform's database.

Bulk inserts in one transaction: a half-loaded demo would look like real gaps in the data.
Each return arrives as version 1 from source ``demo``, with its historical submission date,
so late returns show as late.
"""

from __future__ import annotations

import datetime
from contextlib import contextmanager
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
from rasad.platform.returns.models import Indicator, Period, ReturnVersion
from rasad.platform.returns.services import record_returns

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


@contextmanager
def _progress(description: str, enabled: bool):
    """A ``report(done, total)`` function drawing a rich progress bar, or doing nothing."""
    if not enabled:
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _create_registry(population: DemoPopulation, provinces: dict, sectors: dict):
    """The demo's industrial estates and enterprises, in bulk."""
    estates = IndustrialEstate.objects.bulk_create(
        IndustrialEstate(
            code=row.code,
            name_fa=row.name_fa,
            name_en=row.name_en,
            province=provinces[int(row.province_code)],
            kind=row.kind,
        )
        for row in population.estates.itertuples()
    )
    estates_by_code = {e.code: e for e in estates}
    enterprises = Enterprise.objects.bulk_create(
        (
            Enterprise(
                national_id=row.national_id,
                name_fa=row.name_fa,
                name_en=row.name_en,
                isic=sectors[str(row.isic_class)],
                province=provinces[int(row.province_code)],
                estate=estates_by_code.get(_none_if_missing(row.estate_code)),
                founding_year=_none_if_missing(row.founding_year),
            )
            for row in population.enterprises.itertuples()
        ),
        batch_size=BATCH,
    )
    return estates, enterprises


def _load_returns(population: DemoPopulation, enterprises, progress: bool) -> int:
    """Every return as version 1, dated as submitted; the number of figures loaded."""
    years = sorted(int(y) for y in population.returns["year"].unique())
    periods = {}
    for year in years:
        period, _ = Period.objects.get_or_create(
            year=year, quarter=None, defaults={"deadline": jalali_to_gregorian(year + 1, 4, 31)}
        )
        periods[year] = period

    catalogue = set(Indicator.objects.values_list("code", flat=True))
    frame = population.returns
    codes = [c for c in frame.columns if c in catalogue]
    ids = {e.national_id: e.pk for e in enterprises}
    rows = pd.DataFrame(
        {
            "enterprise_id": frame["national_id"].map(ids).to_numpy(),
            "period_id": frame["year"].map(lambda year: periods[int(year)].pk).to_numpy(),
            "created_at": [
                datetime.datetime.combine(day, datetime.time(10, 0), tzinfo=TEHRAN)
                for day in frame["submitted_on"]
            ],
        }
    )
    rows = pd.concat([rows, frame[codes].reset_index(drop=True).astype(float)], axis=1)
    with _progress("Loading returns", progress) as report:
        record_returns(rows, source=ReturnVersion.Source.DEMO, progress=report)
    return int(frame[codes].notna().to_numpy().sum())


def _create_clusters(population: DemoPopulation, provinces, sectors, enterprises) -> dict:
    clusters = {
        row.code: Cluster.objects.create(
            code=row.code,
            name_fa=row.name_fa,
            name_en=row.name_en,
            kind=row.kind,
            province=provinces[int(row.province_code)],
            sector=sectors[str(row.division)],
        )
        for row in population.clusters.itertuples()
    }
    enterprises_by_id = {e.national_id: e for e in enterprises}
    ClusterMembership.objects.bulk_create(
        ClusterMembership(
            cluster=clusters[row.cluster_code], enterprise=enterprises_by_id[row.national_id]
        )
        for row in population.cluster_members.itertuples()
    )
    return clusters


@transaction.atomic
def load_demo(population: DemoPopulation, *, progress: bool = False) -> dict[str, int]:
    provinces = {p.code: p for p in Province.objects.all()}
    sectors = {s.code: s for s in Sector.objects.filter(level__in=["division", "class"])}
    estates, enterprises = _create_registry(population, provinces, sectors)
    figures = _load_returns(population, enterprises, progress)
    clusters = _create_clusters(population, provinces, sectors, enterprises)
    _create_demo_users(population)
    return {
        "estates": len(estates),
        "enterprises": len(enterprises),
        "returns": len(population.returns),
        "figures": figures,
        "clusters": len(clusters),
    }


def _create_demo_users(population: DemoPopulation) -> None:
    """One account per role, scoped to a well-documented enterprise and the busiest estate."""
    complete = population.returns.groupby("national_id")["year"].count()
    enterprise = Enterprise.objects.get(national_id=complete.idxmax())
    busiest = population.enterprises["estate_code"].value_counts().idxmax()
    for role, username in DEMO_USERS.items():
        user = User(
            username=username,
            role=role,
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
        user.set_password(DEMO_PASSWORD)
        if role == Role.ENTERPRISE:
            user.enterprise = enterprise
        user.save()
        if role == Role.ESTATE_MANAGER:
            user.estates.set(IndustrialEstate.objects.filter(code=busiest))


# `make run` publishes an edition with 200 Monte Carlo runs (not the 1,000 of a real
# edition) and a Sobol sample of 32 (not 64) so that the first start stays quick; an
# analyst recomputes with more from the editions page.
DEMO_EDITION_RUNS = 200
DEMO_SENSITIVITY_N = 32


def publish_demo_edition(*, runs: int = DEMO_EDITION_RUNS, progress=None):
    """Compute and publish the demo's edition of its latest year, as the demo analyst,
    with the bundled SME-100 methodology and uncertainty spec (rank intervals and the
    sensitivity summary included). Only when no edition exists yet: returns the finished
    job (done, or failed with its error), or ``None`` when there was nothing to do.
    ``progress`` as :func:`~rasad.platform.rankings.jobs.run_job`'s."""
    from rasad.iran.text import to_persian_digits
    from rasad.platform.rankings.bundled import bundled_methodology, bundled_spec
    from rasad.platform.rankings.jobs import run_job, start_compute
    from rasad.platform.rankings.models import Edition, EditionJob
    from rasad.platform.rankings.services import create_edition, publish_edition

    if Edition.objects.exists():
        return None
    analyst = User.objects.filter(username=DEMO_USERS[Role.ANALYST]).first()
    period = (
        Period.objects.filter(quarter__isnull=True, returns__isnull=False)
        .distinct()
        .order_by("-year")
        .first()
    )
    if analyst is None or period is None:
        return None
    methodology = bundled_methodology(analyst)
    edition = create_edition(
        period,
        methodology,
        analyst,
        name_fa=f"{methodology.name_fa} {to_persian_digits(period.code)} (نمایشی)",
        name_en=f"{methodology.name_en} {period.code} (demo)",
    )
    job = start_compute(
        edition,
        analyst,
        spec_text=bundled_spec(),
        runs=runs,
        seed=1,
        top_k=100,
        sensitivity_n=DEMO_SENSITIVITY_N,
    )
    job = run_job(job.pk, progress=progress)
    if job.status == EditionJob.Status.DONE:
        publish_edition(edition, analyst)
    return job
