"""Which data set a page, a command or an API call reads: the national returns unless a
research panel is named.

A panel imported beside the national returns (the UK employment panel of 1976–84, say)
must never enter a national figure: its firms are kept apart by their
:class:`~rasad.platform.registry.models.Dataset`, and every loader of frames reads one
data set. The national returns have no row; they are named ``national`` where a code
is needed (the ``--dataset`` option, the ``dataset`` query parameter).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from rasad.errors import RasadInputError
from rasad.monitor import Kpis, Monitor
from rasad.platform.registry.models import Dataset, Enterprise

NATIONAL = "national"


def named(code: str | None) -> Dataset | None:
    """The data set called ``code`` (None for the national returns, also when no code is
    given); an unknown code is refused with the codes there are."""
    if code in (None, "", NATIONAL):
        return None
    dataset = Dataset.objects.filter(code=code).first()
    if dataset is None:
        known = ", ".join([NATIONAL, *Dataset.objects.values_list("code", flat=True)])
        raise RasadInputError(
            f"--dataset {code}: no such data set; there are: {known}.",
            f"--dataset {code}: چنین مجموعه‌داده‌ای نیست؛ این‌ها هست: {known}.",
            field="dataset",
            value=code,
        )
    return dataset


def code_of(dataset: Dataset | None) -> str:
    return NATIONAL if dataset is None else dataset.code


def label(dataset: Dataset | None) -> str:
    return _("National returns") if dataset is None else dataset.name


def choices() -> list[tuple[str, str]]:
    """(code, label) of every data set, the national returns first: a selector's options."""
    return [(NATIONAL, label(None))] + [(d.code, d.name) for d in Dataset.objects.order_by("code")]


def enterprises(dataset: Dataset | None):
    """The enterprises of ``dataset``."""
    return Enterprise.objects.in_dataset(dataset)


def enterprise_ids(dataset: Dataset | None):
    """The ids of the enterprises of ``dataset``, as a subquery for ``__in``."""
    return enterprises(dataset).values("pk")


def is_nominal(dataset: Dataset | None) -> bool:
    """A panel without a price index: its money is shown as reported, not deflated."""
    return dataset is not None and not dataset.prices


def monitor_for(dataset: Dataset | None, years, deadlines: dict | None = None) -> Monitor:
    """The monitoring run's settings for ``dataset``: the bundled Iranian price index for
    the national returns, the panel's own index (base: its latest year) for a panel that
    has one, and a flat index, which leaves money nominal, for a panel without one, so
    that a panel never asks the Iranian index for years it does not cover. ``deadlines``
    (Jalali year → the yearly period's deadline, ``Period.deadline``) decide, for the
    national returns, which returns are late or overdue; a panel's years are not the
    periods' years, so its deadlines stay the core's rule."""
    if dataset is None:
        return Monitor(kpis=Kpis(deadlines=deadlines))
    prices = dataset.price_series()
    if prices is None:
        years = [int(y) for y in years] or [0]
        span = np.arange(min(years), max(years) + 1)
        prices = pd.Series(np.ones(len(span)), index=span)
    return Monitor(kpis=Kpis(prices=prices, base_year=int(prices.index.max())))
