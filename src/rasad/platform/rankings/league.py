"""IMI-style league tables of a stored edition, on the very data the edition ranked.

The data is :func:`rasad.platform.rankings.services.edition_data` of the edition's
period, checked against the data hash the edition recorded. When a return was corrected
since (the current versions are no longer those the edition read), the table is rebuilt
from the return versions the edition froze, so a published edition's league tables never
drift; if even that does not give the recorded hash (the registry changed under it), the
API says so (409) rather than publish numbers the edition never saw.

A table depends only on the edition's methodology and data, so it is cached under their
hashes.
"""

from __future__ import annotations

import pandas as pd
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from rasad.errors import RasadInputError
from rasad.index import data_hash
from rasad.index.league import league_tables
from rasad.index.methodology import Methodology
from rasad.platform.rankings.errors import EditionDataUnavailable
from rasad.platform.rankings.models import Edition
from rasad.platform.rankings.services import edition_data, frozen_edition_data

CACHE_SECONDS = 3600


def edition_table(edition: Edition, methodology: Methodology) -> pd.DataFrame:
    if not edition.data_sha256:
        raise EditionDataUnavailable("not_computed", _("This edition has not been computed yet."))
    try:
        table, _versions = edition_data(edition.period)
    except RasadInputError:
        table = None
    if table is not None and data_hash(methodology, table) == edition.data_sha256:
        return table
    table = frozen_edition_data(edition)
    if data_hash(methodology, table) != edition.data_sha256:
        raise EditionDataUnavailable(
            "data_changed",
            _(
                "The data this edition ranked can no longer be rebuilt "
                "(the registry changed since); "
                "its league tables are not available."
            ),
        )
    return table


def edition_league(
    edition: Edition, *, by: str | None, top: int
) -> tuple[Methodology, pd.DataFrame]:
    """``league_tables`` of the edition's data: every indicator, the best ``top`` per band."""
    methodology = edition.methodology.parsed()
    key = f"rasad:api:league:{edition.methodology_sha256}:{edition.data_sha256}:{by}:{top}"
    table = cache.get(key)
    if table is None:
        table = league_tables(methodology, edition_table(edition, methodology), by=by, top=top)
        # ties share a rank; within one, by national ID, so the order never depends on row order
        table = table.sort_values(
            [by or "band", "indicator", "rank", methodology.unit], kind="stable"
        )
        table = table.reset_index(drop=True)
        cache.set(key, table, CACHE_SECONDS)
    return methodology, table
