"""The cluster analysis of the database, computed once per process and data state.

``rasad.clusters`` on the database frames: firm figures, employment location quotients
by province × ISIC division, their stars, the designated/identified comparison, the
Krugman index per province and the designated clusters' profiles (with the latest
published edition's scores). Cached by the data state (any new or corrected return,
any change to the registry makes a new one), the latest published edition and the age
limit of carried-forward figures (``settings.RASAD_CARRY_FORWARD_YEARS``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pandas as pd
from django.conf import settings

from rasad.clusters import (
    DEFAULT_MAX_AGE,
    ClusterProfiles,
    cluster_profiles,
    cluster_stars,
    compare_clusters,
    firm_figures,
    krugman,
    location_quotients,
)
from rasad.platform.monitoring import compute as monitoring
from rasad.platform.rankings.models import EditionResult
from rasad.platform.returns.state import data_state

MIN_STARS = 2  # a cell with at least this many stars is an identified cluster


@dataclass(frozen=True)
class Analysis:
    enterprises: pd.DataFrame
    returns: pd.DataFrame  # yearly returns only
    clusters: pd.DataFrame  # the designated clusters
    members: pd.DataFrame
    firms: pd.DataFrame  # firm_figures
    lq: pd.DataFrame  # employment LQ, province × division
    stars: pd.DataFrame
    comparison: pd.DataFrame
    krugman: pd.DataFrame
    profiles: ClusterProfiles | None
    scores: pd.DataFrame | None  # national_id, score, rank of the latest published edition
    edition: object | None


_lock = threading.Lock()
_cache: dict = {"stamp": None, "analysis": None}


def latest_edition():
    from rasad.platform.public.data import latest_edition as latest

    return latest()


def carry_forward_years() -> int:
    """How many years old a carried-forward figure may be: ``RASAD_CARRY_FORWARD_YEARS``."""
    return getattr(settings, "RASAD_CARRY_FORWARD_YEARS", DEFAULT_MAX_AGE)


def _stamp() -> tuple:
    edition = latest_edition()
    return data_state(), edition.pk if edition else None, carry_forward_years()


def edition_scores(edition) -> pd.DataFrame | None:
    if edition is None:
        return None
    rows = EditionResult.objects.filter(edition=edition, score__isnull=False).values_list(
        "enterprise__national_id", "score", "rank"
    )
    frame = pd.DataFrame(list(rows), columns=["national_id", "score", "rank"])
    return frame.astype({"score": float, "rank": float}) if len(frame) else None


def analyse(
    enterprises,
    returns,
    clusters,
    members,
    scores=None,
    edition=None,
    year=None,
    max_age=DEFAULT_MAX_AGE,
) -> Analysis:
    """The whole analysis of one data state as of ``year`` (default: the latest year of
    ``returns``) (pure: DataFrames in)."""
    given = {
        "enterprises": enterprises,
        "returns": returns,
        "clusters": clusters,
        "members": members,
        "scores": scores,
        "edition": edition,
    }
    if not len(returns) or not len(enterprises):
        empty = pd.DataFrame()
        nothing = dict.fromkeys(("firms", "lq", "stars", "comparison", "krugman"), empty)
        return Analysis(**given, **nothing, profiles=None)
    firms = firm_figures(enterprises, returns, year=year, max_age=max_age)
    lq = location_quotients(firms, measure="employees", level="division", region="province")
    stars = cluster_stars(lq)
    comparison = compare_clusters(stars, clusters, min_stars=MIN_STARS)
    spec = krugman(firms)
    profiles = (
        cluster_profiles(
            enterprises,
            returns,
            members,
            clusters=clusters,
            scores=scores,
            year=year,
            max_age=max_age,
        )
        if len(members)
        else None
    )
    return Analysis(
        **given,
        firms=firms,
        lq=lq,
        stars=stars,
        comparison=comparison,
        krugman=spec,
        profiles=profiles,
    )


def analysis() -> Analysis:
    with _lock:
        stamp = _stamp()
        if _cache["stamp"] != stamp:
            # the national returns only (a research panel is never mapped), as of the
            # latest year enough enterprises have filed for (rasad.monitor.filing)
            people = monitoring.population()
            edition = latest_edition()
            _cache.update(
                stamp=stamp,
                analysis=analyse(
                    people.enterprises,
                    people.returns,
                    people.clusters,
                    people.members,
                    edition_scores(edition),
                    edition,
                    people.default.year,
                    max_age=carry_forward_years(),
                ),
            )
        return _cache["analysis"]


def clear() -> None:
    with _lock:
        _cache.update(stamp=None, analysis=None)
