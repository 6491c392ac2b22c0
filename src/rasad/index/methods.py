"""The names of the normalisation methods a methodology file may choose, apart from the
engine that computes them, so that reading and checking a methodology (every command's
first step) does not load numpy and the engine's modules."""

from __future__ import annotations

NORMALISE_METHODS = (
    "minmax",
    "zscore",
    "goalposts",
    "rank",
    "percentile_rank",
    "percentile",
    "distance_to_max",
    "distance_to_target",
    "fraction_of_max",
)
# Methods that use only the order of the values: a missing value can be placed below
# every reported one (``missing="lowest"``) without touching anyone else's scale.
ORDER_METHODS = ("rank", "percentile_rank", "percentile")
MISSING_RULES = ("keep", "lowest")
