"""The alerts inbox and the needs matrix (issue 7, item 5).

Estate managers see the enterprises of their estates, analysts and administrators all
of them; others get 403 (anonymous users are sent to log in). Which enterprises a page
shows comes from ``Enterprise.objects.confidential_to(user)`` (:mod:`inbox`,
:mod:`needs_matrix`); the monitoring run itself always covers the whole population
(peers are national).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from rasad.platform.monitoring import choice, compute, inbox, needs_matrix, services
from rasad.platform.monitoring.models import AlertState
from rasad.platform.monitoring.presenters import STATUSES
from rasad.platform.public.access import sees_estate_dashboard
from rasad.platform.web.access import requires

MAX_COMMENT = 2000
ACTIONS = {
    "acknowledge": AlertState.Status.ACKNOWLEDGED,
    "close": AlertState.Status.CLOSED,
    "reopen": AlertState.Status.OPEN,
}

sees_monitoring = sees_estate_dashboard  # estate managers (their estates), analysts, administrators


@requires(sees_monitoring)
@require_http_methods(["GET", "POST"])
def alerts(request):
    if request.method == "POST":
        return _decide(request, compute.population(choice.dataset_of(request)))
    context = inbox.inbox(
        request.user,
        choice.choose(request),
        severity=request.GET.get("severity", ""),
        rule=request.GET.get("rule", ""),
        status=request.GET.get("status", ""),
        page=request.GET.get("page"),
    )
    query = request.GET.copy()
    query.pop("page", None)
    context["query"] = query.urlencode()
    return render(request, "monitoring/alerts.html", context, status=400 if context["bad"] else 200)


def _decide(request, people: compute.Population):
    """Acknowledge, close or reopen an alert of the user's enterprises, with a comment."""
    key = request.POST.get("key", "")
    action = request.POST.get("action", "")
    comment = request.POST.get("comment", "").strip()
    if action not in ACTIONS or len(comment) > MAX_COMMENT or not key or len(key) > 200:
        return HttpResponse(_("This request is not understood."), status=400)
    if not people.periods or not inbox.may_decide(request.user, people, key):
        raise Http404
    services.decide(key, ACTIONS[action], comment, request.user)
    messages.success(
        request, _("The alert is now %(status)s.") % {"status": STATUSES[ACTIONS[action]]}
    )
    return redirect(request.get_full_path())


@requires(sees_monitoring)
@require_GET
def needs(request):
    chosen = choice.choose(request)
    by = request.GET.get("by", "province")
    result = needs_matrix.needs_for(request.user, chosen, by)
    context = {
        "choice": chosen,
        "period": chosen.period,
        "briefs": needs_matrix.briefs(request.user),
        "by": by,
        "dimensions": needs_matrix.DIMENSIONS.items(),
        "rows": [],
        "programmes": [],
    }
    if result is not None:
        context.update(needs_matrix.matrix(result, chosen.people, by))
    return render(request, "monitoring/needs.html", context)


@requires(sees_monitoring)
@require_GET
def needs_excel(request):
    chosen = choice.choose(request)
    result = needs_matrix.needs_for(request.user, chosen, request.GET.get("by", "province"))
    if result is None:
        raise Http404
    # scoped to the user's enterprises (every sheet) unless the user sees everything
    response = HttpResponse(
        needs_matrix.workbook(result, chosen.people),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="needs-{chosen.period}.xlsx"'
    return response
