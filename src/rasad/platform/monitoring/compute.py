"""The monitoring run of the database, computed once per process and data state.

One run (KPIs, alerts, peer gaps and needs of ~3,000 enterprises) takes about a
second, so the pages share it: it is cached by the data set (the national returns or
a research panel, never both: :mod:`rasad.platform.datasets`), the data state (any new
or corrected return, any change to the registry makes a new one), today's date (which
returns are overdue), and the period its peer gaps and needs are for.
"""

from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass
from functools import cached_property

import pandas as pd
from django.conf import settings

from rasad.monitor import PeriodChoice, PeriodPolicy, filing_coverage
from rasad.monitor.pipeline import MonitorResult
from rasad.platform import datasets
from rasad.platform.frames import clusters_frames, current_returns, enterprises_frame, estates_frame
from rasad.platform.registry.models import Dataset
from rasad.platform.returns.models import Period
from rasad.platform.returns.state import data_state


@dataclass(frozen=True)
class Population:
    enterprises: pd.DataFrame
    returns: pd.DataFrame  # yearly returns only: the core takes one return per enterprise and year
    estates: pd.DataFrame
    clusters: pd.DataFrame
    members: pd.DataFrame
    dataset: Dataset | None = None
    deadlines: dict | None = (
        None  # Jalali year → filing deadline of its yearly period, where one is set
    )

    @cached_property
    def periods(self) -> list[int]:
        return sorted(int(y) for y in self.returns["year"].unique())

    @cached_property
    def coverage(self) -> pd.DataFrame:
        """Per year: enterprises expected to file, filed, their share, the deadline."""
        return filing_coverage(self.enterprises, self.returns, self.deadlines)

    @cached_property
    def default(self) -> PeriodChoice:
        """The period a page shows when none is chosen, and why (``rasad.monitor.filing``)."""
        return policy().choose(self.coverage, as_of())


_lock = threading.Lock()
_caches: dict = {}  # data set code → {"stamp", "population", "runs"}


def policy() -> PeriodPolicy:
    """When a period has returns enough to be the default (settings: see ``settings.py``)."""
    return PeriodPolicy(
        settings.RASAD_PERIOD_MIN_COVERAGE, settings.RASAD_PERIOD_MIN_COVERAGE_AFTER_DEADLINE
    )


def as_of() -> datetime.date:
    """The date that decides which returns are overdue: today."""
    return datetime.date.today()


def _stamp() -> tuple:
    """The data state (any write to the registry or the returns changes it) and today."""
    return data_state(), as_of()


def load_population(dataset: Dataset | None = None) -> Population:
    """The yearly returns and registry of ``dataset`` (None: the national returns)."""
    returns, _ = current_returns(enterprises=datasets.enterprise_ids(dataset))
    returns = returns[returns["quarter"].isna()].drop(columns="quarter").reset_index(drop=True)
    clusters, members = clusters_frames()
    enterprises = enterprises_frame(datasets.enterprises(dataset))
    members = members[members["national_id"].isin(enterprises["national_id"])].reset_index(
        drop=True
    )
    deadlines = dict(
        Period.objects.filter(quarter__isnull=True, deadline__isnull=False).values_list(
            "year", "deadline"
        )
    )
    return Population(enterprises, returns, estates_frame(), clusters, members, dataset, deadlines)


def _current(dataset: Dataset | None) -> tuple[Population, dict]:
    """The population of ``dataset`` as it is now and its cache (the caller holds the lock)."""
    stamp = _stamp()
    cache = _caches.setdefault(
        datasets.code_of(dataset), {"stamp": None, "population": None, "runs": {}}
    )
    if cache["stamp"] != stamp:
        cache.update(stamp=stamp, population=load_population(dataset), runs={})
    return cache["population"], cache


def population(dataset: Dataset | None = None) -> Population:
    with _lock:
        return _current(dataset)[0]


def run_for(
    period: int, people: Population | None = None, dataset: Dataset | None = None
) -> MonitorResult:
    """The monitoring run whose peer gaps and needs are for ``period`` (alerts: all
    periods), of the data set of ``people`` (or ``dataset``). Given the ``people`` the
    caller just had from :func:`population`, the data state is not checked a second
    time, unless the data changed in between."""
    if people is not None:
        dataset = people.dataset
    with _lock:
        cache = _caches.get(datasets.code_of(dataset))
        if people is None or cache is None or people is not cache["population"]:
            people, cache = _current(dataset)
        result = cache["runs"].get(period)
        if result is None:
            # the deadlines the database sets decide which returns are late or overdue
            monitor = datasets.monitor_for(dataset, people.periods, deadlines=people.deadlines)
            result = monitor.run(
                people.returns, people.enterprises, as_of=cache["stamp"][-1], period=period
            )
            cache["runs"][period] = result
        return result


def clear() -> None:
    with _lock:
        _caches.clear()
