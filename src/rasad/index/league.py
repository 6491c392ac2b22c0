"""IMI-style league tables: one ranked list per indicator, within size bands.

IMI-100 publishes a list per indicator rather than one composite score; Rasad gives both
from the same data and methodology. League tables rank the reported values as they are
(after the methodology's denominators and transforms, with no imputation: a list of
"the top 100 by export share" must only hold firms that reported their exports).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rasad.errors import RasadInputError
from rasad.index.methodology import Methodology
from rasad.index.pipeline import prepare
from rasad.index.rank import rank_min


def league_tables(
    methodology: Methodology,
    data: pd.DataFrame,
    *,
    by: str | None = "size_class",
    top: int = 100,
    indicators: list[str] | None = None,
) -> pd.DataFrame:
    """A long table: ``by`` (the band), ``indicator``, ``rank``, the unit id, ``value``;
    the best ``top`` of each band per indicator, in the indicator's direction, ties
    sharing the lowest rank (so a list may hold a few more than ``top`` rows)."""
    codes = methodology.indicator_codes
    chosen = indicators or codes
    unknown = [c for c in chosen if c not in codes]
    if unknown:
        raise RasadInputError(
            f"Not indicators of this methodology: {', '.join(unknown)}.",
            f"این‌ها شاخص این روش‌شناسی نیستند: {', '.join(unknown)}.",
            field="indicators",
        )
    prepared = prepare(methodology, data)
    if by is not None and by not in prepared.frame.columns:
        raise RasadInputError(
            f"The data has no column '{by}'.", f"ستون «{by}» در داده‌ها نیست.", field=by
        )
    bands = prepared.frame[by].to_numpy() if by else np.zeros(len(prepared.frame), dtype=int)
    band_codes, band_values = pd.factorize(bands, use_na_sentinel=True)
    pieces = []
    for code in chosen:
        j = codes.index(code)
        direction = methodology.indicators[j].direction
        values = prepared.values[:, j]
        ranks = rank_min(values * direction, groups=band_codes)
        keep = ranks <= top
        pieces.append(
            pd.DataFrame(
                {
                    by or "band": band_values[band_codes[keep]] if by else "all",
                    "indicator": code,
                    "rank": ranks[keep].astype(int),
                    methodology.unit: prepared.unit_ids[keep],
                    "value": values[keep],
                }
            )
        )
    table = pd.concat(pieces, ignore_index=True)
    return table.sort_values([by or "band", "indicator", "rank"], kind="stable").reset_index(
        drop=True
    )
