"""Writing returns: the one place that creates versions, so history is kept the same way
whether the figures come from a form, a file, the API or the demo loader."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max

from rasad.errors import InputProblems, RasadInputError
from rasad.iran.periods import Period as JalaliPeriod
from rasad.platform.returns.models import Indicator, Observation, Period, Return, ReturnVersion


class InvalidReturn(InputProblems):
    """A return refused as a whole; ``problems`` lists each field's error."""


@dataclass(frozen=True)
class RecordOutcome:
    version: ReturnVersion
    changed: bool


def _clean_values(values: Mapping[str, float | None], catalogue: dict[str, Indicator]) -> dict[str, float]:
    problems: list[RasadInputError] = []
    clean: dict[str, float] = {}
    for code, value in values.items():
        indicator = catalogue.get(code)
        if indicator is None:
            problems.append(RasadInputError(
                f"Unknown indicator '{code}'.", f"شاخص «{code}» در فهرست شاخص‌ها نیست.",
                field=code, value=value))
            continue
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(RasadInputError(
                f"{indicator.name_en}: '{value}' is not a number.",
                f"{indicator.name_fa}: «{value}» عدد نیست.", field=code, value=value))
            continue
        low, high = indicator.min_value, indicator.max_value
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"[{'' if low is None else f'{low:g}'}, {'' if high is None else f'{high:g}'}]"
            problems.append(RasadInputError(
                f"{indicator.name_en}: {value:g} is outside the valid range {bounds}.",
                f"{indicator.name_fa}: مقدار {value:g} بیرون از بازهٔ مجاز {bounds} است.",
                field=code, value=value))
            continue
        clean[code] = float(value)
    if problems:
        raise InvalidReturn(problems)
    return clean


def get_period(text: str) -> Period:
    """The stored period for ``1403``, ``۱۴۰۳``, ``1403-Q2``…; a bad label raises bilingually."""
    parsed = JalaliPeriod.parse(text)
    if parsed.month is not None:
        raise RasadInputError(
            f"Returns are yearly or quarterly; '{text}' names a month.",
            f"اظهارنامه سالانه یا فصلی است؛ «{text}» یک ماه است.",
            field="period", value=text,
        )
    period, _ = Period.objects.get_or_create(year=parsed.year, quarter=parsed.quarter)
    return period


def record_return(
    enterprise,
    period: Period,
    values: Mapping[str, float | None],
    *,
    user=None,
    source: str = ReturnVersion.Source.FORM,
    source_file=None,
    note: str = "",
) -> RecordOutcome:
    """Store ``values`` as the enterprise's return for ``period``.

    Sending the same values again changes nothing (``changed`` is False); different
    values become a new version and the earlier one is kept. Blank values (None/NaN)
    mean "not reported". All or nothing: invalid values raise :class:`InvalidReturn`.
    """
    catalogue = {i.code: i for i in Indicator.objects.all()}
    clean = _clean_values(values, catalogue)
    with transaction.atomic():
        record, _ = Return.objects.get_or_create(enterprise=enterprise, period=period)
        record = Return.objects.select_for_update().get(pk=record.pk)
        current = record.current_version
        if current is not None and current.values() == clean:
            return RecordOutcome(current, changed=False)
        number = (record.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = ReturnVersion.objects.create(
            return_record=record, number=number, source=source, source_file=source_file,
            created_by=user, note=note,
        )
        Observation.objects.bulk_create(
            Observation(version=version, indicator=catalogue[code], value=value)
            for code, value in clean.items()
        )
        record.current_version = version
        record.save(update_fields=["current_version"])
    return RecordOutcome(version, changed=True)
