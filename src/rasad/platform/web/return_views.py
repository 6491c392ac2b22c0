"""Returns on the web: the list of a user's enterprises × periods and the return form.

Scope comes from ``Enterprise.objects.confidential_to(user)``: an enterprise user
reaches only its own enterprise, an estate manager the enterprises of their estates,
analysts and administrators all; any other enterprise is a 404, as if it did not
exist. The form checks figures with the import's own checks
(:func:`rasad.intake.validate_records`, with :func:`reference_checks` for the user's
scope and the enterprise's earlier returns), writes through
:func:`record_return` and keeps drafts in :class:`ReturnDraft`.
"""

from __future__ import annotations

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from rasad.errors import RasadInputError
from rasad.intake import validate_records
from rasad.iran.periods import Period as JalaliPeriod
from rasad.iran.text import format_number, normalize_text, to_latin_digits
from rasad.platform.registry.models import Enterprise, name_or_id_matches
from rasad.platform.returns.forms import ReturnForm, catalogue_indicators, typed
from rasad.platform.returns.importing import reference_checks
from rasad.platform.returns.models import Period, Return, ReturnDraft, ReturnVersion
from rasad.platform.returns.services import InvalidReturn, get_period, record_return
from rasad.platform.web.access import may_enter_returns, requires

PERIODS_SHOWN = 5
ENTERPRISES_PER_PAGE = 50


def _language() -> str:
    return "en" if (get_language() or "fa").startswith("en") else "fa"


def _sort_key(period: JalaliPeriod) -> tuple[int, int]:
    return period.year, period.quarter or 0


def offered_periods() -> list[JalaliPeriod]:
    """The periods a return may be entered for: the latest periods on record, plus the
    last complete Jalali fiscal year (so a new year can be reported before anyone
    created its period)."""
    periods = {
        JalaliPeriod(year, quarter)
        for year, quarter in Period.objects.values_list("year", "quarter")
    }
    periods.add(JalaliPeriod(JalaliPeriod.containing(timezone.localdate()).year - 1))
    return sorted(periods, key=_sort_key)[-PERIODS_SHOWN:]


def _stored_period(period: JalaliPeriod) -> Period | None:
    return Period.objects.filter(year=period.year, quarter=period.quarter).first()


def form_url(enterprise: Enterprise, period: JalaliPeriod | Period) -> str:
    code = period.code
    return reverse("return_form", kwargs={"national_id": enterprise.national_id, "period": code})


@requires(may_enter_returns)
def return_list(request):
    """The user's enterprises (paged, searchable) against the latest periods: submitted,
    draft or missing, each cell a link to the form."""
    user = request.user
    enterprises = (
        Enterprise.objects.confidential_to(user)
        .select_related("province", "estate")
        .order_by("name_fa", "pk")
    )
    query = normalize_text(request.GET.get("q", ""))
    match = name_or_id_matches(query)
    if match is not None:
        enterprises = enterprises.filter(match)
    page = Paginator(enterprises, ENTERPRISES_PER_PAGE).get_page(request.GET.get("page"))
    periods = offered_periods()
    stored = {p.jalali: p for p in Period.objects.all()}
    stored_ids = [stored[p].pk for p in periods if p in stored]
    firms = list(page.object_list)
    submitted = {
        (e, p): n
        for e, p, n in Return.objects.filter(
            enterprise__in=firms,
            period__in=stored_ids,
            current_version__isnull=False,
        ).values_list("enterprise_id", "period_id", "current_version__number")
    }
    drafts = set(
        ReturnDraft.objects.filter(enterprise__in=firms, period__in=stored_ids).values_list(
            "enterprise_id", "period_id"
        )
    )
    scope_total = Enterprise.objects.confidential_to(user).count()
    per_period = dict(
        Return.objects.visible_to(user)
        .filter(period__in=stored_ids, current_version__isnull=False)
        .values("period")
        .annotate(n=Count("id"))
        .values_list("period", "n")
    )
    columns = [
        {
            "period": p,
            "label": p.label(_language()),
            "submitted": per_period.get(stored[p].pk, 0) if p in stored else 0,
        }
        for p in periods
    ]
    rows = []
    for firm in firms:
        cells = []
        for p in periods:
            key = (firm.pk, stored[p].pk) if p in stored else None
            version = submitted.get(key)
            cells.append(
                {
                    "url": form_url(firm, p),
                    "version": version,
                    "draft": key in drafts,
                    "status": "submitted" if version else "draft" if key in drafts else "missing",
                }
            )
        rows.append({"enterprise": firm, "cells": cells})
    return render(
        request,
        "web/returns_list.html",
        {
            "rows": rows,
            "columns": columns,
            "page": page,
            "query": query,
            "scope_total": scope_total,
        },
    )


def _current_values(record: Return | None, indicators, persian: bool) -> dict[str, str]:
    if record is None or record.current_version is None:
        return {}
    kinds = {i.code: i.kind for i in indicators}
    return {
        code: typed(value, kinds.get(code, ""), persian=persian)
        for code, value in record.current_version.values().items()
    }


def _check(form: ReturnForm, enterprise: Enterprise, period: JalaliPeriod, user):
    record = {"national_id": enterprise.national_id, "period": period.code, **form.typed_values()}
    return validate_records(
        [record], checks=reference_checks(user, {enterprise.national_id}, estates=False)
    )


@login_required
def return_form(request, national_id: str, period: str):
    """One enterprise's return for one period: save a draft, or submit (checked as a
    file row is; any error refuses the whole form, warnings are shown and accepted,
    implausible figures are stored only when the "confirm" box is ticked).

    Which enterprises open is the scoped queryset's answer alone: for the public, an
    enterprise account without its enterprise, or a firm outside the user's scope, the
    page does not exist (404)."""
    user = request.user
    language = _language()
    enterprise = get_object_or_404(
        Enterprise.objects.confidential_to(user), national_id=to_latin_digits(national_id.strip())
    )
    try:
        jalali = JalaliPeriod.parse(period)
    except RasadInputError:
        raise Http404 from None
    if jalali.month is not None:
        raise Http404
    stored = _stored_period(jalali)
    if stored is None and jalali not in offered_periods():
        raise Http404
    if national_id != enterprise.national_id or period != jalali.code:
        return redirect(form_url(enterprise, jalali))

    indicators = catalogue_indicators()
    record = (
        Return.objects.select_related("current_version__created_by", "current_version__source_file")
        .filter(enterprise=enterprise, period=stored)
        .first()
        if stored
        else None
    )
    draft = (
        ReturnDraft.objects.select_related("updated_by")
        .filter(enterprise=enterprise, period=stored)
        .first()
        if stored
        else None
    )
    notice = None

    if request.method == "POST":
        form = ReturnForm(request.POST, indicators=indicators)
        action = request.POST.get("action")
        if action == "discard":
            if stored is not None:
                ReturnDraft.objects.filter(enterprise=enterprise, period=stored).delete()
            messages.info(request, _("The draft was discarded."))
            return redirect(form_url(enterprise, jalali))
        if action == "draft":
            stored = stored or get_period(jalali.code)
            draft, _created = ReturnDraft.objects.update_or_create(
                enterprise=enterprise,
                period=stored,
                defaults={"values": form.typed_values(), "updated_by": user},
            )
            form.attach(_check(form, enterprise, jalali, user), language)
            notice = _("Draft saved. It is not submitted yet: nothing counts until you submit.")
            if form.has_errors:
                notice += " " + _("Fix the fields marked in red before you submit.")
        elif action == "submit":
            report = _check(form, enterprise, jalali, user)
            form.attach(report, language)
            confirmed = request.POST.get("confirm_implausible") == "1"
            if report.needs_confirmation and not confirmed and not report.blocking:
                form.awaiting_confirmation = True
            elif not report.blocking:
                row = report.records_to_commit(confirm_implausible=confirmed)[1].iloc[0]
                values = {
                    i.code: None if math.isnan(row[i.code]) else float(row[i.code])
                    for i in indicators
                    if i.code in row.index
                }
                try:
                    with transaction.atomic():
                        stored = stored or get_period(jalali.code)
                        outcome = record_return(
                            enterprise, stored, values, user=user, source=ReturnVersion.Source.FORM
                        )
                        ReturnDraft.objects.filter(enterprise=enterprise, period=stored).delete()
                except InvalidReturn as error:
                    form.attach_errors(error.problems, language)
                else:
                    number = format_number(outcome.version.number, persian_digits=language == "fa")
                    if outcome.changed:
                        messages.success(
                            request, _("Return submitted: version %(number)s.") % {"number": number}
                        )
                    else:
                        messages.info(
                            request,
                            _(
                                "Nothing changed: these figures are already on record "
                                "(version %(number)s)."
                            )
                            % {"number": number},
                        )
                    names = {i.code: i.name for i in indicators}
                    for problem in report.warnings:
                        prefix = f"{names[problem.field]}: " if problem.field in names else ""
                        messages.warning(request, prefix + problem.message(language))
                    return redirect(form_url(enterprise, jalali))
        else:
            return redirect(form_url(enterprise, jalali))
    else:
        if draft is not None:
            initial = dict(draft.values)
        else:
            initial = _current_values(record, indicators, language == "fa")
        form = ReturnForm(initial=initial, indicators=indicators)

    versions = (
        list(record.versions.select_related("created_by", "source_file").order_by("-number")[:10])
        if record
        else []
    )
    return render(
        request,
        "web/return_form.html",
        {
            "enterprise": enterprise,
            "period": jalali,
            "period_label": jalali.label(language),
            "form": form,
            "rows": list(form.rows()),
            "record": record,
            "draft": draft,
            "versions": versions,
            "notice": notice,
            "refused": request.method == "POST"
            and request.POST.get("action") == "submit"
            and form.has_errors,
        },
        status=422 if form.awaiting_confirmation else 200,
    )
