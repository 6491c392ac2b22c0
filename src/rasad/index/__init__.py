"""The composite-index engine: methodology files in, scores and ranks out, pure Python.

>>> from rasad.index import load, build
>>> results = build(load("sme100.yaml"), data)      # data: one row per unit
>>> results.table().head()

No Django here: the platform and notebooks use the same code.

The names below load their module on first use (PEP 562): reading a methodology needs
neither pandas nor the pipeline, so ``rasad index …`` refuses a wrong file, or prints its
help, before paying for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rasad.lazy import exports

if TYPE_CHECKING:
    from rasad.index.methodology import Methodology, MethodologyError, load, loads
    from rasad.index.pipeline import build, data_hash
    from rasad.index.results import Results

_MODULE_OF = {
    "Methodology": "methodology",
    "MethodologyError": "methodology",
    "load": "methodology",
    "loads": "methodology",
    "build": "pipeline",
    "data_hash": "pipeline",
    "Results": "results",
}


__getattr__, __dir__ = exports("rasad.index", _MODULE_OF)


__all__ = ["Methodology", "MethodologyError", "Results", "build", "data_hash", "load", "loads"]
