"""A report's download: the PDF when it is ready, else a page that says it is being
rendered and refreshes itself until it is (:mod:`rasad.platform.reports.delivery`)."""

from __future__ import annotations

import io

from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from rasad.platform.language import current
from rasad.platform.reports import delivery
from rasad.platform.reports.models import RenderedReport


def _language(request) -> str:
    asked = request.GET.get("lang", "")
    if asked in delivery.LANGUAGES:
        return asked
    return current()


def _module(request, kind: str, key: str):
    module = delivery.kind_module(kind)
    if module is None or not module.visible_to(request.user, key):
        raise Http404  # what one may not read does not exist for them
    return module


def _user(request):
    return request.user if request.user.is_authenticated else None


@require_http_methods(["GET", "HEAD"])
def pdf(request, kind: str, key: str):
    """The report's PDF, or (while a worker renders it) its waiting page."""
    module = _module(request, kind, key)
    language = _language(request)
    report = delivery.requested(kind, key, language, user=_user(request))
    if report is None:
        raise Http404
    if report.status != RenderedReport.Status.DONE:
        return redirect(f"{reverse('reports:status', args=[kind, key])}?lang={language}")
    return FileResponse(
        io.BytesIO(delivery.content(report)),
        as_attachment=True,
        filename=module.filename(key, language),
        content_type="application/pdf",
    )


@require_http_methods(["GET", "HEAD", "POST"])
def status(request, kind: str, key: str):
    """Where the report's rendering stands; POST asks again after a failure."""
    _module(request, kind, key)
    language = _language(request)
    report = delivery.requested(
        kind, key, language, user=_user(request), again=request.method == "POST"
    )
    if report is None:
        raise Http404
    pdf_url = f"{reverse('reports:pdf', args=[kind, key])}?lang={language}"
    if request.method == "POST":
        return redirect(f"{reverse('reports:status', args=[kind, key])}?lang={language}")
    return render(
        request,
        "reports/status.html",
        {
            "report": report,
            "pdf_url": pdf_url,
            "error": report.error(current())
            if report.status == RenderedReport.Status.FAILED
            else "",
        },
    )
