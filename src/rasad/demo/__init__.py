"""A synthetic, documented, deterministic population of Iranian SMEs.

Real returns are confidential, yet the ranking engine, the monitoring rules, the
cluster measures and the web app all need a believable registry with several years
of returns to be developed, tested, benchmarked and shown. This package makes one
with numpy and pandas only (no Django), with planted regional specialisations and
financial distress that the analyses should find. docs/demo-population.md lists
every assumption.
"""

from rasad.demo.generate import ISIPO_SIZE_THRESHOLDS, generate
from rasad.demo.population import DemoPopulation

__all__ = ["ISIPO_SIZE_THRESHOLDS", "DemoPopulation", "generate"]
