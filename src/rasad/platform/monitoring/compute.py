"""The monitoring run of the database, computed once per process and data state.

One run (KPIs, alerts, peer gaps and needs of ~3,000 enterprises) takes about a
second, so the pages share it: it is cached by the data state (any new or corrected
return, any change to the registry makes a new one), today's date (which returns are
overdue), and the period its peer gaps and needs are for.
"""

from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from rasad.monitor import Monitor
from rasad.monitor.pipeline import MonitorResult
from rasad.platform.frames import clusters_frames, current_returns, enterprises_frame, estates_frame
from rasad.platform.returns.state import data_state


@dataclass(frozen=True)
class Population:
    enterprises: pd.DataFrame
    returns: pd.DataFrame  # yearly returns only: the core takes one return per enterprise and year
    estates: pd.DataFrame
    clusters: pd.DataFrame
    members: pd.DataFrame

    @cached_property
    def periods(self) -> list[int]:
        return sorted(int(y) for y in self.returns["year"].unique())


_lock = threading.Lock()
_cache: dict = {"stamp": None, "population": None, "runs": {}}


def as_of() -> datetime.date:
    """The date that decides which returns are overdue: today."""
    return datetime.date.today()


def _stamp() -> tuple:
    """The data state (any write to the registry or the returns changes it) and today."""
    return data_state(), as_of()


def load_population() -> Population:
    returns, _ = current_returns()
    returns = returns[returns["quarter"].isna()].drop(columns="quarter").reset_index(drop=True)
    clusters, members = clusters_frames()
    return Population(enterprises_frame(), returns, estates_frame(), clusters, members)


def _current() -> Population:
    """The population of the data as it is now (the caller holds the lock)."""
    stamp = _stamp()
    if _cache["stamp"] != stamp:
        _cache.update(stamp=stamp, population=load_population(), runs={})
    return _cache["population"]


def population() -> Population:
    with _lock:
        return _current()


def run_for(period: int, people: Population | None = None) -> MonitorResult:
    """The monitoring run whose peer gaps and needs are for ``period`` (alerts: all
    periods). Given the ``people`` the caller just had from :func:`population`, the data
    state is not checked a second time, unless the data changed in between."""
    with _lock:
        if people is None or people is not _cache["population"]:
            people = _current()
        stamp = _cache["stamp"]
        result = _cache["runs"].get(period)
        if result is None:
            result = monitor().run(people.returns, people.enterprises, as_of=stamp[-1], period=period)
            _cache["runs"][period] = result
        return result


def clear() -> None:
    with _lock:
        _cache.update(stamp=None, population=None, runs={})


def monitor() -> Monitor:
    """The core's monitoring run with the return deadlines the database sets
    (``Period.deadline``): they decide which returns are late (a supporting sign of a
    finance need) and which are overdue."""
    from rasad.monitor import Kpis
    from rasad.platform.frames import period_deadlines

    return Monitor(kpis=Kpis(deadlines=period_deadlines()))
