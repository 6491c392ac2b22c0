"""What the return form writes: a draft saved or discarded, and a submission, which
records the return and drops its draft in one transaction (a submitted return never
leaves a stale draft behind, nor a dropped draft a return unrecorded).

A period is given as the stored one or, when nobody has created it yet, as its code:
it is created only when something is written for it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from django.db import transaction

from rasad.intake import IntakeReport
from rasad.platform.registry.models import Enterprise
from rasad.platform.returns.models import Indicator, Period, ReturnDraft, ReturnVersion
from rasad.platform.returns.services import RecordOutcome, get_period, record_return


def _stored(period: Period | str) -> Period:
    return period if isinstance(period, Period) else get_period(period)


def save_draft(
    enterprise: Enterprise, period: Period | str, values: Mapping[str, str], *, user
) -> ReturnDraft:
    """Keep ``values`` as typed (unchecked) as the enterprise's draft for ``period``."""
    draft, _created = ReturnDraft.objects.update_or_create(
        enterprise=enterprise,
        period=_stored(period),
        defaults={"values": dict(values), "updated_by": user},
    )
    return draft


def discard_draft(enterprise: Enterprise, period: Period | None) -> None:
    """Drop the enterprise's draft for ``period`` (a period never stored has none)."""
    if period is not None:
        ReturnDraft.objects.filter(enterprise=enterprise, period=period).delete()


def checked_figures(
    report: IntakeReport, indicators: list[Indicator], *, confirmed: bool
) -> dict[str, float | None]:
    """The figures of a form's one checked row, as :func:`record_return` takes them
    (None: not reported)."""
    row = report.records_to_commit(confirm_implausible=confirmed)[1].iloc[0]
    return {
        i.code: None if math.isnan(row[i.code]) else float(row[i.code])
        for i in indicators
        if i.code in row.index
    }


def submit_return(
    enterprise: Enterprise, period: Period | str, values: Mapping[str, float | None], *, user
) -> RecordOutcome:
    """Record ``values`` as the enterprise's return for ``period`` from the form, and
    drop the draft; all or nothing (:class:`~.services.InvalidReturn` leaves the draft)."""
    with transaction.atomic():
        stored = _stored(period)
        outcome = record_return(
            enterprise, stored, values, user=user, source=ReturnVersion.Source.FORM
        )
        ReturnDraft.objects.filter(enterprise=enterprise, period=stored).delete()
    return outcome
