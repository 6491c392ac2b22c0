"""An edition's result rows, from the engine's output to the table they are stored in.

Built column by column in numpy and written with COPY on PostgreSQL: an edition of
100,000 enterprises writes as many rows, and a model instance each took most of the
time of storing them.
"""

from __future__ import annotations

import json
import math

import numpy as np

from rasad.platform.rankings.models import Edition, EditionResult
from rasad.platform.returns.services import insert_rows

# The columns of a result row, in the order of the tuples of :func:`result_rows`.
RESULT_COLUMNS = (
    "edition_id",
    "enterprise_id",
    "score",
    "rank",
    "node_scores",
    "size_class",
    *EditionResult.INTERVAL_FIELDS,
    "coverage",
    "missing",
    "composite",
)

# Where each interval field is read from: the uncertainty analysis's rank statistics
# (``stats``) or its score quantiles (``score_stats``), and which column.
INTERVAL_SOURCES = (
    ("rank_mean", "stats", "mean"),
    ("rank_median", "stats", "median"),
    ("rank_q05", "stats", "q05"),
    ("rank_q95", "stats", "q95"),
    ("p_top", "stats", "p_top"),
    ("score_q05", "score_stats", "q05"),
    ("score_median", "score_stats", "median"),
    ("score_q95", "score_stats", "q95"),
)


def _nullable(values: np.ndarray) -> list:
    """``values`` as Python floats, None where NaN."""
    values = np.asarray(values, dtype=float)
    out = values.astype(object)
    out[np.isnan(values)] = None
    return out.tolist()


def _node_scores(results) -> list[str]:
    """Each unit's pillar and sub-index scores, as the JSON text the field stores."""
    nodes = [c for c in results.scores.columns if c != results.index_code]
    node_values = results.scores[nodes].to_numpy(dtype=float)
    node_columns = [_nullable(column) for column in node_values.T]
    return [
        json.dumps(dict(zip(nodes, row, strict=True))) for row in zip(*node_columns, strict=True)
    ]


def _intervals(units, analysis) -> dict[str, np.ndarray]:
    """Each of :attr:`EditionResult.INTERVAL_FIELDS` per unit: NaN without an analysis."""
    intervals = {name: np.full(len(units), np.nan) for name in EditionResult.INTERVAL_FIELDS}
    if analysis is not None:
        frames = {
            "stats": analysis.stats.reindex(units),
            "score_stats": analysis.score_stats.reindex(units),
        }
        for field, frame, column in INTERVAL_SOURCES:
            intervals[field] = frames[frame][column].to_numpy(dtype=float)
    return intervals


def _missing(coverage) -> list[str | None]:
    """The codes of the indicators each unit left blank, as JSON text (None when unknown)."""
    known = coverage["coverage"].notna().to_numpy()
    return [
        json.dumps(codes.split(",") if codes else []) if have else None
        for codes, have in zip(coverage["missing"].tolist(), known.tolist(), strict=True)
    ]


def result_rows(edition: Edition, results, analysis, enterprise_of: dict) -> list[tuple]:
    """One tuple of :data:`RESULT_COLUMNS` per ranked unit; ``enterprise_of`` maps a
    unit (national ID) to its enterprise's id."""
    score, rank = results.score, results.rank
    units = score.index
    ranks = rank.to_numpy(dtype=float)
    bands = (
        results.groups["size_class"].astype(str).tolist()
        if "size_class" in results.groups
        else [""] * len(units)
    )
    coverage = results.coverage.reindex(units)
    composite = (
        np.full(len(units), np.nan)
        if results.composite is None
        else results.composite.reindex(units).to_numpy(dtype=float)
    )
    return list(
        zip(
            [edition.pk] * len(units),
            [enterprise_of[unit] for unit in units],
            _nullable(score.to_numpy(dtype=float)),
            [None if math.isnan(r) else int(r) for r in ranks.tolist()],
            _node_scores(results),
            bands,
            *(_nullable(values) for values in _intervals(units, analysis).values()),
            _nullable(coverage["coverage"].to_numpy(dtype=float)),
            _missing(coverage),
            _nullable(composite),
            strict=True,
        )
    )


def store_results(edition: Edition, rows: list[tuple]) -> None:
    """Replace ``edition``'s result rows with ``rows`` (COPY on PostgreSQL). The caller
    holds the edition locked and has checked that it is not published, which
    ``EditionResult``'s own bulk writes would check again."""
    EditionResult.objects.filter(edition=edition).delete()
    insert_rows(EditionResult, RESULT_COLUMNS, rows)


def store_versions(edition: Edition, version_ids: list[int]) -> None:
    """Replace the return versions ``edition`` records as its data (COPY on PostgreSQL)."""
    through = Edition.return_versions.through
    through.objects.filter(edition_id=edition.pk).delete()
    insert_rows(
        through, ("edition_id", "returnversion_id"), ((edition.pk, pk) for pk in version_ids)
    )
