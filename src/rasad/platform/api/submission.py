"""A return sent to the API, checked as a file's would be and stored as a new version.

Any error refuses the whole return (422, each problem with its field and both
messages): the figures are all stored, or none.
"""

from __future__ import annotations

import math

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from rasad.intake import validate_records
from rasad.iran.periods import Period as JalaliPeriod
from rasad.platform.api.errors import ApiError, english_persian, problem
from rasad.platform.registry.models import Enterprise
from rasad.platform.returns.checking import reference_checks
from rasad.platform.returns.models import Indicator, ReturnVersion
from rasad.platform.returns.services import InvalidReturn, get_period, record_return

MAX_TYPED = 40  # as the web form: longer text cannot be a figure
REFUSED = _("The return was refused: nothing was stored.")


def _refused(code: str, message, problems: list[dict]) -> ApiError:
    return ApiError(422, code, message, problems=problems)


def _figure_problems(values: dict, known: set[str]) -> list[dict]:
    """What is wrong with the figures as sent, before they are read as numbers."""
    problems = (
        [] if values else [problem("values", *english_persian(_("Send at least one figure.")))]
    )
    for code, value in values.items():
        if code not in known:
            problems.append(
                problem(
                    code,
                    *english_persian(
                        _("'%(code)s' is not an indicator of the catalogue."), code=code
                    ),
                )
            )
        elif isinstance(value, str) and len(value) > MAX_TYPED:
            problems.append(problem(code, *english_persian(_("Too long to be a figure."))))
        elif isinstance(value, float) and not math.isfinite(
            value
        ):  # NaN, Infinity or 1e999 in the JSON
            problems.append(problem(code, *english_persian(_("Not a finite number."))))
    return problems


def _listed(problems, severity: str | None = None) -> list[dict]:
    return [
        problem(p.field, p.message_en, p.message_fa, code=p.code, severity=severity or p.severity)
        for p in problems
    ]


def checked_values(
    user, found: Enterprise, jalali: JalaliPeriod, payload
) -> tuple[dict[str, float | None], list[dict]]:
    """The figures of ``payload`` (a ``ReturnIn``) as numbers, and the warnings they
    raised; refused (:class:`ApiError`, 422) as a file's would be: the catalogue, the
    ranges, the sender's scope, and implausible figures unless confirmed."""
    catalogue = set(Indicator.objects.values_list("code", flat=True))
    checks = reference_checks(user, {found.national_id}, estates=False)
    known = catalogue & set(checks.fields.indicator_codes)
    problems = _figure_problems(payload.values, known)
    if problems:
        raise _refused("invalid_return", REFUSED, problems)
    record = {"national_id": found.national_id, "period": jalali.code, **payload.values}
    report = validate_records([record], checks=checks)
    warnings = _listed(report.warnings, "warning")
    if report.blocking:
        raise _refused("invalid_return", REFUSED, _listed(report.problems))
    if report.needs_confirmation and not payload.confirm_implausible:
        raise _refused(
            "implausible_figures",
            _(
                "The return was refused: some figures are implausible, and nothing was "
                "stored. Check them; if they are "
                'right, send the return again with "confirm_implausible": true.'
            ),
            _listed(report.implausible),
        )
    row = report.records_to_commit(confirm_implausible=payload.confirm_implausible)[1].iloc[0]
    values = {code: None if math.isnan(row[code]) else float(row[code]) for code in payload.values}
    return values, warnings


def store_return(found: Enterprise, jalali: JalaliPeriod, values: dict, *, user, note: str):
    """Record ``values`` as the return of ``found`` for ``jalali`` (sent through the API);
    the outcome of :func:`~rasad.platform.returns.services.record_return`."""
    try:
        with transaction.atomic():
            return record_return(
                found,
                get_period(jalali.code),
                values,
                user=user,
                source=ReturnVersion.Source.API,
                note=note,
            )
    except InvalidReturn as error:
        raise _refused(
            "invalid_return",
            REFUSED,
            [problem(p.field, p.message_en, p.message_fa) for p in error.problems],
        ) from None
