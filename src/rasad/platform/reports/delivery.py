"""Serving a report's PDF: from the shared storage when it was rendered from the data as
they are, otherwise rendered anew — in the request for a quick one (a scorecard), by a
worker process for a slow one (an edition's yearly report of 20,000 firms), while the
page says so and refreshes itself.

A kind of report is a module registered in :data:`KINDS` that provides:

- ``INLINE``: true when it renders within a request's patience (a few seconds);
- ``version(key) -> str | None``: what the PDF depends on (an edition's id and when it
  was computed, the returns' data state…), or None when ``key`` names nothing;
- ``visible_to(user, key) -> bool``: whether ``user`` may read that report;
- ``filename(key, language) -> str``: the downloaded file's name;
- ``render(key, *, language) -> bytes``: the PDF.

The command line (``rasad report KIND KEY --out FILE``) calls ``render`` directly.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import re
import time

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from rasad.errors import RasadInputError
from rasad.platform.background import claim, fail, fail_if_worker_lost, reap
from rasad.platform.reports.models import RenderedReport

logger = logging.getLogger(__name__)

#: kind → the module that makes it (see the module docstring)
KINDS: dict[str, str] = {
    "brief": "rasad.platform.reports.brief",
    "edition": "rasad.platform.reports.edition",
    "scorecard": "rasad.platform.reports.scorecard",
}
LANGUAGES = ("fa", "en")


def kind_module(kind: str):
    """The module of report ``kind``, or None when there is no such kind."""
    path = KINDS.get(kind)
    return importlib.import_module(path) if path else None


def unknown_kind(kind: str) -> RasadInputError:
    known = ", ".join(sorted(KINDS))
    return RasadInputError(
        f"There is no report kind {kind!r}; the kinds are: {known}.",
        f"گزارشی از نوع «{kind}» نیست؛ انواع گزارش: {known}.",
        field="kind",
        value=kind,
    )


def storage_name(report: RenderedReport) -> str:
    """Where a rendered PDF is kept: one folder per report, the version's digest in the name."""
    safe_key = re.sub(r"[^0-9A-Za-z_.-]", "_", report.key)[:80]
    digest = hashlib.sha256(report.version.encode()).hexdigest()[:16]
    return f"reports/{report.kind}/{safe_key}/{report.language}-{digest}.pdf"


def mark_if_stale(report: RenderedReport) -> RenderedReport:
    return fail_if_worker_lost(
        report,
        what_en="rendering this report",
        what_fa="این گزارش را می‌ساخت",
        redo_en="Ask for it again.",
        redo_fa="دوباره آن را بخواهید.",
    )


def reap_lost_reports() -> int:
    """Mark failed every report whose worker is lost (what a worker does when it starts)."""
    return reap(RenderedReport, mark_if_stale)


def requested(kind: str, key: str, language: str, *, user=None, again: bool = False):
    """The PDF of report ``kind`` ``key`` in ``language`` for the data as they are: its
    row, done when it can be served now; otherwise queued for a worker (or rendered here
    first when the kind is quick). A failed rendering is tried again only when ``again``.
    None when ``key`` names no such report."""
    module = kind_module(kind)
    version = module.version(key) if module else None
    if version is None:
        return None
    report = RenderedReport.objects.filter(
        kind=kind, key=key, language=language, version=version
    ).first()
    if report is not None:
        report = mark_if_stale(report)
        gone = report.status == RenderedReport.Status.DONE and not default_storage.exists(
            report.file
        )
        if not gone and not (again and report.status == RenderedReport.Status.FAILED):
            return report
        RenderedReport.objects.filter(pk=report.pk).update(
            status=RenderedReport.Status.QUEUED, error_en="", error_fa="", file="", worker=""
        )
        report.refresh_from_db()
    else:
        try:
            with transaction.atomic():
                report = RenderedReport.objects.create(
                    kind=kind, key=key, language=language, version=version, requested_by=user
                )
        except IntegrityError:  # another request asked for it at the same moment
            return RenderedReport.objects.get(
                kind=kind, key=key, language=language, version=version
            )
    if module.INLINE or getattr(settings, "RASAD_JOBS_INLINE", False):
        return run(report.pk)
    from rasad.platform.reports.tasks import render_report

    transaction.on_commit(lambda: render_report.enqueue(report.pk))
    return report


def content(report: RenderedReport) -> bytes:
    with default_storage.open(report.file, "rb") as handle:
        return handle.read()


def run(report_id: int, worker: str = "") -> RenderedReport:
    """Render a queued report into the shared storage and return its row (done, or
    failed with the reason in both languages); earlier versions of the same report are
    removed. A report no longer queued is returned as it is."""
    if not claim(RenderedReport, report_id, worker):
        return RenderedReport.objects.get(pk=report_id)
    report = RenderedReport.objects.get(pk=report_id)
    try:
        started = time.perf_counter()
        pdf = kind_module(report.kind).render(report.key, language=report.language)
        seconds = time.perf_counter() - started
        name = storage_name(report)
        default_storage.delete(name)
        name = default_storage.save(name, ContentFile(pdf))
        RenderedReport.objects.filter(pk=report_id).update(
            status=RenderedReport.Status.DONE,
            file=name,
            size=len(pdf),
            seconds=round(seconds, 3),
            finished_at=timezone.now(),
        )
        _forget_older(report)
    except RasadInputError as error:
        fail(RenderedReport, report_id, error.message_en, error.message_fa)
    except Exception as error:
        logger.exception("report %s failed", report_id)
        kind = type(error).__name__
        fail(
            RenderedReport,
            report_id,
            f"The report could not be rendered: an unexpected error ({kind}); the server log has "
            "the details.",
            f"گزارش ساخته نشد: خطایی پیش‌بینی‌نشده ({kind})؛ جزئیات در گزارش کارساز است.",
        )
    return RenderedReport.objects.get(pk=report_id)


def _forget_older(report: RenderedReport) -> None:
    older = RenderedReport.objects.filter(
        kind=report.kind, key=report.key, language=report.language
    ).exclude(pk=report.pk)
    for stale in older.exclude(status__in=RenderedReport.ACTIVE):
        if stale.file:
            default_storage.delete(stale.file)
        stale.delete()
