"""Names on the cluster pages in the reader's language: provinces, ISIC divisions,
clusters and enterprises. Below the presenters and the map, which both name provinces."""

from __future__ import annotations

from functools import lru_cache

from rasad.iran import find_isic, provinces
from rasad.platform.language import persian


def province_name(code) -> str:
    row = provinces().loc[int(code)]
    return row["name_fa"] if persian() else row["name_en"]


@lru_cache(maxsize=256)
def _division(code: str) -> tuple[str, str]:
    try:
        row = find_isic(str(code))
        return str(row["title_fa"]), str(row["title_en"])
    except Exception:  # an unknown code is shown as it is
        return str(code), str(code)


def division_name(code) -> str:
    fa, en = _division(str(code))
    return fa if persian() else en


def local_name(row) -> str:
    """The ``name_fa`` or ``name_en`` of ``row`` (a cluster, an enterprise)."""
    return row["name_fa"] if persian() else row["name_en"]
