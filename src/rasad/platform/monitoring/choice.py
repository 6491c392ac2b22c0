"""Which data set and period a monitoring page shows: the reader's choice, or the
national returns and the latest period enough enterprises have filed for, with the
reason said on the page (:mod:`rasad.monitor.filing`).

Only readers who see every enterprise (analysts, administrators) may pick a research
panel; for others the national returns are all there is, and a named panel is a page
that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404

from rasad.errors import RasadInputError
from rasad.monitor import PeriodChoice
from rasad.platform import datasets
from rasad.platform.language import current
from rasad.platform.monitoring import compute


@dataclass(frozen=True)
class Choice:
    people: compute.Population
    period: int | None
    default: PeriodChoice | None  # how the period was chosen, when the reader did not choose it
    dataset: str  # its code
    datasets: list  # (code, label) the reader may pick from; one entry: no selector

    @property
    def periods(self) -> list[int]:
        return self.people.periods

    @property
    def why(self) -> str:
        return self.default.explain(current()) if self.default is not None else ""

    @property
    def nominal(self) -> bool:
        return datasets.is_nominal(self.people.dataset)


def dataset_of(request):
    """The data set named by ``?dataset=`` (404 if unknown or not the reader's to see)."""
    code = request.GET.get("dataset", "")
    if code in ("", datasets.NATIONAL):
        return None
    if not request.user.sees_everything:
        raise Http404
    try:
        return datasets.named(code)
    except RasadInputError:
        raise Http404 from None


def by_default(dataset=None) -> Choice:
    """``dataset`` (None: the national returns) and the period its pages show when the
    reader picks none: what an enterprise's scorecard as a PDF reports on."""
    people = compute.population(dataset)
    return Choice(people, people.default.year, people.default, datasets.code_of(dataset), [])


def choose(request, dataset=None, *, fixed_dataset: bool = False) -> Choice:
    """The reader's data set and period (``?dataset=``, ``?period=``), or the defaults.
    With ``fixed_dataset`` (an enterprise's own page) the data set is ``dataset``."""
    if not fixed_dataset:
        dataset = dataset_of(request)
    people = compute.population(dataset)
    offered = datasets.choices() if request.user.sees_everything and not fixed_dataset else []
    wanted = request.GET.get("period", "")
    default = None
    if wanted:
        if not wanted.isdecimal() or int(wanted) not in people.periods:
            raise Http404
        period = int(wanted)
    else:
        default = people.default
        period = default.year
    return Choice(
        people, period, default, datasets.code_of(dataset), offered if len(offered) > 1 else []
    )
