"""Returns on the web: the list of a user's enterprises × periods and the return form.

Scope comes from ``Enterprise.objects.confidential_to(user)``: an enterprise user
reaches only its own enterprise, an estate manager the enterprises of their estates,
analysts and administrators all; any other enterprise is a 404, as if it did not
exist. The form checks figures with the import's own checks
(:func:`rasad.platform.returns.checking.check_return`), writes through
:mod:`rasad.platform.returns.drafts` (drafts, and the submission by
:func:`record_return`); what the pages show is :mod:`.return_pages`.
"""

from __future__ import annotations

from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from rasad.errors import RasadInputError
from rasad.iran.periods import Period as JalaliPeriod
from rasad.iran.text import format_number, normalize_text, to_latin_digits
from rasad.platform.language import current
from rasad.platform.registry.models import Enterprise
from rasad.platform.returns.checking import check_return
from rasad.platform.returns.drafts import (
    checked_figures,
    discard_draft,
    save_draft,
    submit_return,
)
from rasad.platform.returns.forms import ReturnForm
from rasad.platform.returns.models import Period
from rasad.platform.returns.services import InvalidReturn
from rasad.platform.web.access import may_enter_returns, requires
from rasad.platform.web.return_pages import (
    FormPage,
    form_url,
    list_context,
    offered_periods,
    stored_period,
)


@requires(may_enter_returns)
def return_list(request):
    """The user's enterprises (paged, searchable) against the latest periods: submitted,
    draft or missing, each cell a link to the form."""
    query = normalize_text(request.GET.get("q", ""))
    context = list_context(request.user, query, request.GET.get("page"), current())
    return render(request, "web/returns_list.html", context)


@login_required
def return_form(request, national_id: str, period: str):
    """One enterprise's return for one period: save a draft, or submit (checked as a
    file row is; any error refuses the whole form, warnings are shown and accepted,
    implausible figures are stored only when the "confirm" box is ticked).

    Which enterprises open is the scoped queryset's answer alone: for the public, an
    enterprise account without its enterprise, or a firm outside the user's scope, the
    page does not exist (404)."""
    enterprise = get_object_or_404(
        Enterprise.objects.confidential_to(request.user),
        national_id=to_latin_digits(national_id.strip()),
    )
    jalali, stored = _offered(period)
    if national_id != enterprise.national_id or period != jalali.code:
        return redirect(form_url(enterprise, jalali))
    page = FormPage.load(enterprise, jalali, stored, current())
    if request.method != "POST":
        return _show(request, page, page.blank_form())
    form = ReturnForm(request.POST, indicators=page.indicators)
    action = request.POST.get("action")
    if action == "discard":
        discard_draft(enterprise, stored)
        messages.info(request, _("The draft was discarded."))
        return redirect(page.url)
    if action == "draft":
        return _save_draft(request, page, form)
    if action == "submit":
        return _submit(request, page, form)
    return redirect(page.url)


def _offered(period: str) -> tuple[JalaliPeriod, Period | None]:
    """The period of the address and its stored row (None if not created yet), or 404
    for a month, a label that is no period, or one neither stored nor offered."""
    try:
        jalali = JalaliPeriod.parse(period)
    except RasadInputError:
        raise Http404 from None
    if jalali.month is not None:
        raise Http404
    stored = stored_period(jalali)
    if stored is None and jalali not in offered_periods():
        raise Http404
    return jalali, stored


def _show(request, page: FormPage, form: ReturnForm, notice: str | None = None):
    refused = (
        request.method == "POST" and request.POST.get("action") == "submit" and form.has_errors
    )
    return render(
        request,
        "web/return_form.html",
        page.context(form, notice=notice, refused=refused),
        status=422 if form.awaiting_confirmation else 200,
    )


def _check(request, page: FormPage, form: ReturnForm):
    return check_return(
        page.enterprise.national_id, page.period.code, form.typed_values(), user=request.user
    )


def _save_draft(request, page: FormPage, form: ReturnForm):
    draft = save_draft(page.enterprise, page.period_or_code, form.typed_values(), user=request.user)
    form.attach(_check(request, page, form), page.language)
    notice = _("Draft saved. It is not submitted yet: nothing counts until you submit.")
    if form.has_errors:
        notice += " " + _("Fix the fields marked in red before you submit.")
    return _show(request, replace(page, draft=draft), form, notice)


def _submit(request, page: FormPage, form: ReturnForm):
    report = _check(request, page, form)
    form.attach(report, page.language)
    confirmed = request.POST.get("confirm_implausible") == "1"
    if report.blocking:
        return _show(request, page, form)
    if report.needs_confirmation and not confirmed:
        form.awaiting_confirmation = True
        return _show(request, page, form)
    values = checked_figures(report, page.indicators, confirmed=confirmed)
    try:
        outcome = submit_return(page.enterprise, page.period_or_code, values, user=request.user)
    except InvalidReturn as error:
        form.attach_errors(error.problems, page.language)
        return _show(request, page, form)
    number = format_number(outcome.version.number, persian_digits=page.language == "fa")
    if outcome.changed:
        messages.success(request, _("Return submitted: version %(number)s.") % {"number": number})
    else:
        messages.info(
            request,
            _("Nothing changed: these figures are already on record (version %(number)s).")
            % {"number": number},
        )
    names = {i.code: i.name for i in page.indicators}
    for problem in report.warnings:
        prefix = f"{names[problem.field]}: " if problem.field in names else ""
        messages.warning(request, prefix + problem.message(page.language))
    return redirect(page.url)
