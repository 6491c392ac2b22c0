"""The analyst's pages: the editions, a new edition, its computation's progress, its
review and its publication (issue 6, item 5).

Only analysts and administrators open them (DESIGN §5): anonymous readers are sent to
the login page, every other role gets 403. The querysets are scoped too
(:mod:`rasad.platform.rankings.access`), so a view that forgot its decorator would
still find nothing (404) for anyone else.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rasad.errors import RasadInputError
from rasad.iran.text import format_number
from rasad.platform.language import current, persian
from rasad.platform.rankings import jobs, review
from rasad.platform.rankings.access import editions_for, jobs_for, may_run_analyses
from rasad.platform.rankings.bundled import bundled_spec
from rasad.platform.rankings.forms import EditionForm
from rasad.platform.rankings.models import EditionJob
from rasad.platform.rankings.services import create_edition, publish_edition


def analysts_only(view):
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not may_run_analyses(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(guarded)


@require_GET
@analysts_only
def edition_list(request):
    latest = EditionJob.objects.filter(edition=OuterRef("pk")).order_by("-created_at", "-pk")
    editions = (
        editions_for(request.user)
        .select_related("period", "methodology", "published_by")
        .with_superseded()
        .annotate(
            job_status=Subquery(latest.values("status")[:1]),
            job_id=Subquery(latest.values("pk")[:1]),
        )
        .order_by("-created_at", "-pk")
    )
    page = Paginator(editions, 50).get_page(request.GET.get("page"))
    for edition in page.object_list:
        coverage = edition.coverage_figures()
        edition.coverage_text = coverage.short(current()) if coverage else ""
        edition.is_thin = coverage is not None and coverage.thin
    return render(
        request, "rankings/edition_list.html", {"page": page, "statuses": EditionJob.Status}
    )


@require_http_methods(["GET", "POST"])
@analysts_only
def edition_create(request):
    form = EditionForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        edition = create_edition(
            data["period"],
            data["methodology"],
            request.user,
            name_fa=data.get("name_fa") or "",
            name_en=data.get("name_en") or "",
        )
        job = jobs.start_compute(
            edition,
            request.user,
            spec_text=data["spec"],
            runs=data["runs"],
            seed=data["seed"],
            top_k=data["top_k"],
            sensitivity_n=data["sensitivity_n"],
            allow_thin=data["allow_thin"],
        )
        jobs.launch(job)
        return redirect("rankings:job_progress", pk=job.pk)
    return render(
        request,
        "rankings/edition_create.html",
        {"form": form, "period_reason": form.period_reason()},
    )


@require_POST
@analysts_only
def edition_run(request, pk):
    """Compute a draft again, with the settings of its last job (or the defaults)."""
    edition = get_object_or_404(editions_for(request.user), pk=pk)
    last = edition.jobs.order_by("-created_at", "-pk").first()
    params = (
        last.params
        if last
        else {
            "spec": bundled_spec(),
            "runs": 1000,
            "seed": 1,
            "top_k": edition.top_k,
            "sensitivity_n": jobs.DEFAULT_SENSITIVITY_N,
        }
    )
    try:
        job = jobs.start_compute(
            edition,
            request.user,
            spec_text=params.get("spec", ""),
            runs=params["runs"],
            seed=params["seed"],
            top_k=params["top_k"],
            sensitivity_n=params.get("sensitivity_n", 0),
        )
    except RasadInputError as error:
        messages.error(request, error.message(current()))
        return redirect("rankings:edition_review", pk=edition.pk)
    jobs.launch(job)
    return redirect("rankings:job_progress", pk=job.pk)


@require_POST
@analysts_only
def edition_publish(request, pk):
    edition = get_object_or_404(editions_for(request.user), pk=pk)
    if any(
        jobs.mark_if_stale(job).is_active
        for job in edition.jobs.filter(status__in=EditionJob.ACTIVE)
    ):
        messages.error(
            request, _("The edition is being computed; publish it when the job has finished.")
        )
        return redirect("rankings:edition_review", pk=edition.pk)
    try:
        publish_edition(edition, request.user)
    except RasadInputError as error:
        messages.error(request, error.message(current()))
    else:
        messages.success(
            request,
            _(
                "The edition is published. It is frozen from now on; "
                "later corrections reach only a new edition."
            ),
        )
    return redirect("rankings:edition_review", pk=edition.pk)


@require_GET
@analysts_only
def edition_review(request, pk):
    edition = get_object_or_404(
        editions_for(request.user).select_related(
            "period", "methodology", "published_by", "created_by"
        ),
        pk=pk,
    )
    latest_job = edition.jobs.order_by("-created_at", "-pk").first()
    if latest_job is not None:
        latest_job = jobs.mark_if_stale(latest_job)
    coverage = edition.coverage_figures()
    context = {
        "edition": edition,
        "latest_job": latest_job,
        "computed": edition.computed_at is not None,
        "latest_job_error": latest_job.error(current()) if latest_job is not None else "",
        "coverage": coverage,
        "coverage_text": coverage.figures(current()) if coverage else "",
        "thin": coverage is not None and coverage.thin,
        "coverage_share": coverage.share_text(persian()) if coverage else "",
        # a thin edition no one could be ranked in: its job's message says why
        "unranked_message": (
            latest_job.message(current())
            if edition.ranked_count == 0
            and latest_job is not None
            and latest_job.status == EditionJob.Status.DONE
            else ""
        ),
    }
    if edition.computed_at is not None:
        job = review.analysis_job(edition)
        previous = review.previous_published(edition)
        context.update(
            {
                "histogram": review.score_histogram(edition),
                "intervals": review.rank_intervals(edition),
                "blanks": review.blanks(edition),
                "analysis_job": job,
                "sensitivity": review.sensitivity_rows(job),
                "changes": review.changes(edition, previous),
                "previous": previous,
                "ranked": edition.results.filter(rank__isnull=False).count(),
            }
        )
    context["can_publish"] = (
        not edition.is_published
        and edition.computed_at is not None
        and not (latest_job is not None and latest_job.is_active)
        and coverage is not None
        and not coverage.thin
    )
    context["can_run"] = not edition.is_published and not (
        latest_job is not None and latest_job.is_active
    )
    return render(request, "rankings/edition_review.html", context)


def _job_state(job: EditionJob) -> dict:
    """What the progress page shows, formatted for the reader's language."""
    in_persian = persian()
    language = current()
    state = {
        "id": job.pk,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "stage": job.stage,
        "stage_label": str(jobs.STAGE_LABELS.get(job.stage, job.stage)),
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "percent_text": format_number(job.percent, decimals=0, persian_digits=in_persian)
        + ("٪" if in_persian else "%"),
        "counts_text": "",
        "finished": job.is_finished,
        "message": job.message(language),
        "error": job.error(language) if job.status == EditionJob.Status.FAILED else "",
        "review_url": reverse("rankings:edition_review", args=[job.edition_id]),
    }
    if job.is_active and job.total > 1:
        state["counts_text"] = _("%(done)s of %(total)s") % {
            "done": format_number(job.done, persian_digits=in_persian),
            "total": format_number(job.total, persian_digits=in_persian),
        }
    if job.status == EditionJob.Status.QUEUED:
        state["stage_label"] = str(jobs.STAGE_LABELS[""])
    elif job.is_finished:
        state["stage_label"] = ""
    return state


@require_GET
@analysts_only
def job_progress(request, pk):
    job = jobs.mark_if_stale(
        get_object_or_404(jobs_for(request.user).select_related("edition"), pk=pk)
    )
    return render(
        request,
        "rankings/job_progress.html",
        {
            "job": job,
            "edition": job.edition,
            "state": _job_state(job),
            "status_url": reverse("rankings:job_status", args=[job.pk]),
        },
    )


@require_GET
@analysts_only
def job_status(request, pk):
    job = jobs.mark_if_stale(get_object_or_404(jobs_for(request.user), pk=pk))
    response = JsonResponse(_job_state(job), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response
