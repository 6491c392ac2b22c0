"""The composite-index engine: methodology files in, scores and ranks out, pure Python.

>>> from rasad.index import load, build
>>> results = build(load("sme100.yaml"), data)      # data: one row per unit
>>> results.table().head()

No Django here: the platform and notebooks use the same code.
"""

from rasad.index.methodology import Methodology, MethodologyError, load, loads
from rasad.index.pipeline import build, data_hash
from rasad.index.results import Results

__all__ = ["Methodology", "MethodologyError", "Results", "build", "data_hash", "load", "loads"]
