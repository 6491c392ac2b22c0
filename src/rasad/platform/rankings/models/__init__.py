"""Methodologies and the ranking editions computed with them, their results and the
jobs that compute them."""

from rasad.platform.rankings.models.edition import Edition, EditionReturnVersion
from rasad.platform.rankings.models.job import EditionJob, ReplicateChunk
from rasad.platform.rankings.models.methodology import Methodology, content_hash
from rasad.platform.rankings.models.result import EditionResult

__all__ = [
    "Edition",
    "EditionJob",
    "EditionResult",
    "EditionReturnVersion",
    "Methodology",
    "ReplicateChunk",
    "content_hash",
]
