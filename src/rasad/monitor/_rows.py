"""One enterprise's rows of a large result, as plain records.

A page about one enterprise shows a dozen rows of a run over 100,000: slicing the
frames costs pandas about a millisecond per column and frame (most of a scorecard's
time under load), reading Python objects by position costs microseconds. The columns
are turned into Python objects once per run, as ``DataFrame.to_dict("records")``
would give them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def objects(values) -> np.ndarray:
    """A column (Series, array, extension array or list) as an object array of Python
    values (``tolist`` of a numpy array turns its scalars into Python ones), a missing
    value of a nullable column as None, all as ``to_dict`` gives them."""
    if isinstance(values, np.ndarray) and values.dtype != object:
        values = values.tolist()
    else:
        values = [None if v is pd.NA else v for v in np.asarray(values).tolist()]
    return np.fromiter(values, dtype=object, count=len(values))


class RowReader:
    """The rows of ``frame`` by position, each a dict of its columns."""

    def __init__(self, frame: pd.DataFrame):
        self.columns = [str(c) for c in frame.columns]
        self._values = [objects(frame[c]) for c in frame.columns]

    def column(self, name: str) -> np.ndarray:
        return self._values[self.columns.index(name)]

    def take(self, positions: np.ndarray) -> list[dict]:
        return records(self.columns, [v[positions] for v in self._values])


def records(names: list[str], columns: list) -> list[dict]:
    """Rows of equally long columns as dicts."""
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
