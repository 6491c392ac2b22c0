"""An enterprise's peers in an edition, for its scorecard: the figures of every peer
group, computed once per frozen edition (:func:`rasad.platform.public.data.cached`)
and shared by every scorecard and by the cache warmer."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rasad.platform.public import data
from rasad.platform.rankings.models import Edition, EditionResult

# a peer group smaller than this is widened (sector × size band → size band → everyone)
MIN_PEERS = 5


@dataclass
class Peers:
    level: str  # "sector_size", "size" or "all"
    n: int
    stats: dict[str, dict | None] = field(default_factory=dict)  # pillar → quantiles
    score: dict | None = None


def peer_groups(edition: Edition, pillar_codes: list[str]) -> dict:
    """The peer figures of every group of ``edition`` at once (cached with the frozen
    edition): ``groups`` by (ISIC division, size band) with at least :data:`MIN_PEERS`
    ranked members, ``bands`` by size band likewise, and ``all``. One read of the
    ranked results serves every scorecard, instead of thousands of peers' pillar scores
    read and decoded again on each view."""

    def compute():
        rows = list(
            edition.results.filter(rank__isnull=False).values_list(
                "score", "node_scores", "size_class", "enterprise__isic__code"
            )
        )
        by_group, by_band = defaultdict(list), defaultdict(list)
        for row in rows:
            by_group[(row[3][:2], row[2])].append(row)
            by_band[row[2]].append(row)

        def figures(level, members):
            group = Peers(level=level, n=len(members))
            group.score = data.quantiles(row[0] for row in members)
            for code in pillar_codes:
                group.stats[code] = data.quantiles((row[1] or {}).get(code) for row in members)
            return group

        return {
            "groups": {
                key: figures("sector_size", members)
                for key, members in by_group.items()
                if len(members) >= MIN_PEERS
            },
            "bands": {
                band: figures("size", members)
                for band, members in by_band.items()
                if len(members) >= MIN_PEERS
            },
            "all": figures("all", rows),
        }

    return data.cached(edition, f"peers:{','.join(pillar_codes)}", compute)


def peers(edition: Edition, result: EditionResult, pillar_codes: list[str]) -> Peers:
    """The enterprise's peers in ``edition`` (itself included): the ranked enterprises of
    its ISIC division and size band; when fewer than :data:`MIN_PEERS`, its size band;
    then everyone ranked. Quartiles are numpy's (linear) percentiles."""
    known = peer_groups(edition, pillar_codes)
    division = result.enterprise.isic.code[:2]
    return (
        known["groups"].get((division, result.size_class))
        or known["bands"].get(result.size_class)
        or known["all"]
    )
