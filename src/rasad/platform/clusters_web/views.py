"""The cluster list, a designated cluster's profile, a province's specialisation and the
province map (issue 8, item 5): public pages, whose data the presenters assemble
(:mod:`rasad.platform.clusters_web.presenters`, :mod:`rasad.platform.clusters_web.profile`).
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rasad.platform.clusters_web import compute, presenters
from rasad.platform.clusters_web.profile import cluster_page
from rasad.platform.reports import brief
from rasad.platform.web import downloads


@require_GET
def cluster_list(request):
    context = presenters.list_page(compute.analysis(), request.GET)
    return render(request, "clusters_web/list.html", context, status=400 if context["bad"] else 200)


@require_GET
def clusters_download(request, name: str):
    """The cluster table (designated clusters and cells the data identifies), every row,
    as ``clusters.xlsx``, ``clusters.csv`` and ``clusters-dictionary.csv``: open data
    (CC BY 4.0), the same aggregates for every reader, small totals withheld as on the
    page."""
    fmt = downloads.split_name(name, "clusters")
    sheet, about = presenters.clusters_sheet(compute.analysis())
    return downloads.response(fmt, "rasad-clusters", sheet, about)


@require_GET
def cluster(request, code: str):
    context = cluster_page(compute.analysis(), code)
    if context is None:
        raise Http404
    return render(request, "clusters_web/cluster.html", context)


@require_GET
def province(request, code: int):
    if not 0 <= code <= 30:
        raise Http404
    context = presenters.province_page(compute.analysis(), code)
    context["brief"] = brief.offer(request.user, f"province:{code}")
    return render(request, "clusters_web/province.html", context)
