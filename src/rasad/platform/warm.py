"""The shared computations the first visitors would otherwise wait for, done before the
server forks its workers, which inherit them: the latest edition's summary and peer
groups, and the monitoring run of the latest period with its index of enterprises (at
100,000 enterprises the run takes the better part of a minute). A worker recomputes
them itself only once the data changes."""

from __future__ import annotations

from django.db import connections

from rasad.platform.monitoring import compute
from rasad.platform.public import data, peers


def warm_caches() -> list[str]:
    """Compute what is shared, and say what: a list of what was warmed."""
    warmed = []
    edition = data.latest_edition()
    if edition is not None:
        data.summary(edition)
        peers.peer_groups(edition, [p.code for p in data.pillars(data.methodology_of(edition))])
        warmed.append(f"edition {edition.pk}")
    people = compute.population()
    if people.periods:
        run = compute.run_for(people.default.year, people)
        # one enterprise's records build what every scorecard reads them through (the
        # index of units and the columns as Python objects), once per worker, not on the
        # first visitor's request
        unit = people.returns["national_id"].iat[0]
        run.alerts.records(unit)
        run.gaps.records(unit)
        run.needs.records(unit)
        warmed.append(f"monitoring {people.default.year}")
    connections.close_all()  # a forked worker must open its own connection
    return warmed
