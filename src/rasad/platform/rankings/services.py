"""Computing and publishing editions: the one place that writes an edition's results.

The data of an edition is the current version of every return of its period (and of the
year before, which growth needs), turned into the SME-100 input table by
:func:`rasad.index.inputs.sme_inputs` and ranked by the pure engine; the uncertainty
analysis of :mod:`rasad.index.uncertainty` adds each enterprise's rank interval and
P(top). Everything is written in one transaction, with the hashes and the exact return
versions that make the edition reproducible. A published edition is never recomputed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from rasad.errors import RasadInputError
from rasad.index import build, data_hash
from rasad.index.inputs import sme_inputs
from rasad.index.methodology import loads
from rasad.platform import datasets
from rasad.platform.frames import current_returns, enterprises_frame, versions_returns
from rasad.platform.notifications.tasks import announce_edition
from rasad.platform.rankings import thin
from rasad.platform.rankings.models import Edition, EditionResult, content_hash
from rasad.platform.registry.models import Enterprise
from rasad.platform.returns.models import Period, Return, ReturnVersion
from rasad.platform.returns.services import insert_rows

if TYPE_CHECKING:
    from rasad.index.uncertainty import UncertaintyResult

# The stages ``progress`` is told about, in order.
STAGES = ("data", "ranking", "uncertainty", "storing")

# What computing writes on the edition itself.
COMPUTED_FIELDS = (
    "data_sha256",
    "uncertainty_spec",
    "uncertainty_spec_sha256",
    "runs",
    "seed",
    "top_k",
    "crossing_top",
    "computed_at",
    "expected_count",
    "filed_count",
    "filing_coverage",
    "eligible_count",
    "ranked_count",
    "thin_allowed",
)

Progress = Callable[[str, int, int], None]


def _refuse_published(edition: Edition) -> None:
    if edition.status == Edition.Status.PUBLISHED:
        raise RasadInputError(
            f"The edition '{edition.name_en or edition.name_fa}' is published and frozen; "
            "create a new edition to rank again.",
            f"ویرایش رتبه‌بندی «{edition.name_fa}» منتشر شده و تغییرناپذیر است؛ "
            "برای رتبه‌بندی دوباره ویرایش تازه‌ای بسازید.",
            field="edition",
            value=edition.pk,
        )


def _yearly(period: Period) -> None:
    if period.quarter is not None:
        raise RasadInputError(
            f"Editions rank a year's returns; {period.code} is a quarter.",
            f"ویرایش‌های رتبه‌بندی بر پایهٔ اظهارنامه‌های سالانه‌اند؛ {period.code} یک فصل است.",
            field="period",
            value=period.code,
        )


def ranked_returns(period: Period):
    """The returns an edition of ``period`` ranks: those of the national enterprises
    (never a research panel's, :mod:`rasad.platform.datasets`) that have a version."""
    return Return.objects.filter(
        period=period, current_version__isnull=False, enterprise__in=datasets.enterprise_ids(None)
    )


def edition_data(period: Period) -> tuple[pd.DataFrame, list[int]]:
    """The SME-100 input table of ``period`` and the ids of the return versions it was
    made from.

    The current version of every national enterprise's return of the period is read
    (a research panel's firms are never ranked), with the current version
    of the same enterprise's return of the year before (for real sales and employment
    growth). Reads are a fixed number of queries whatever the number of enterprises; a
    correction arriving while they run is either wholly in or wholly out, since a
    version's figures never change and the versions are read in one query.
    """
    _yearly(period)
    previous = Period.objects.filter(year=period.year - 1, quarter__isnull=True).first()
    periods = [period] if previous is None else [period, previous]
    # last year's returns of enterprises with no return this year are left out
    firms = ranked_returns(period).values("enterprise_id")
    returns, version_ids = current_returns(periods, enterprises=firms, submitted_on=False)
    if not (returns["year"] == period.year).any():
        raise RasadInputError(
            f"No returns for {period.code}: there is nothing to rank.",
            f"برای {period.code} اظهارنامه‌ای نیست؛ چیزی برای رتبه‌بندی نیست.",
            field="period",
            value=period.code,
        )
    registry = enterprises_frame(Enterprise.objects.filter(pk__in=firms))
    table = sme_inputs(returns.drop(columns="quarter"), registry, period.year)
    return table, version_ids


def frozen_edition_data(edition: Edition) -> pd.DataFrame:
    """The input table of the return versions ``edition`` recorded (a published
    edition's data, whatever was corrected since), with the registry as it is now."""
    versions = ReturnVersion.objects.filter(editions=edition)
    returns = versions_returns(versions, submitted_on=False)
    firms = versions.filter(return_record__period=edition.period).values(
        "return_record__enterprise_id"
    )
    registry = enterprises_frame(Enterprise.objects.filter(pk__in=firms))
    return sme_inputs(returns.drop(columns="quarter"), registry, edition.period.year)


def _check_settings(runs, seed, top_k) -> None:
    for name, value, smallest in (("runs", runs, 1), ("seed", seed, 0), ("top_k", top_k, 1)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | np.integer)
            or not smallest <= value < 2**63
        ):
            raise RasadInputError(
                f"{name} must be a whole number ≥ {smallest}, not {value!r}.",
                f"{name} باید عدد صحیح ≥ {smallest} باشد، نه «{value}».",
                field=name,
                value=value,
            )


def compute_edition(
    edition: Edition,
    *,
    spec_text: str | None = None,
    runs: int = 1000,
    seed: int = 1,
    top_k: int = 100,
    allow_thin: bool = False,
    progress: Progress | None = None,
    uncertainty_runner=None,
) -> Edition:
    """Rank ``edition``'s period with its stored methodology and store the results.

    First the period's filing coverage is measured (:mod:`rasad.platform.rankings.thin`):
    below ``settings.RASAD_EDITION_MIN_COVERAGE`` the edition is thin, and is computed
    only with ``allow_thin`` (otherwise :class:`~rasad.platform.rankings.thin.ThinEdition`);
    the coverage, the enterprises eligible and those ranked are stored on the edition.

    With ``spec_text`` (an uncertainty spec, YAML), ``runs`` Monte Carlo replicates drawn
    from ``seed`` add each enterprise's rank interval, median rank, P(rank ≤ ``top_k``)
    and score quantiles (computed by ``uncertainty_runner``, :func:`rasad.index.uncertainty.uncertainty`'s
    stand-in, when given: a job shares its runs between workers so). The results replace any earlier ones of this draft in one
    transaction, with the data hash, the return versions read, the spec and its hash.
    When a thin edition's few enterprises leave the engine nothing to rank, the edition
    is stored with no one ranked and the returned object's ``unranked`` says why.
    ``progress(stage, done, total)`` is called as each of :data:`STAGES` starts and ends,
    and after each block of the uncertainty analysis's replicates.
    A published edition is refused (:class:`~rasad.errors.RasadInputError`).
    """
    report = progress or (lambda stage, done, total: None)
    edition.refresh_from_db()  # the stored status, methodology and period are what count
    _refuse_published(edition)
    _yearly(edition.period)
    _check_settings(runs, seed, top_k)
    text = edition.methodology.text
    if content_hash(text) != edition.methodology_sha256:
        raise RasadInputError(
            "The edition's methodology no longer matches the hash it recorded.",
            "روش‌شناسی این ویرایش رتبه‌بندی با چکیده‌ای که ثبت کرده بود نمی‌خواند.",
            field="methodology",
            value=edition.methodology_sha256,
        )
    methodology = loads(text, source=f"methodology {edition.methodology.version}")
    spec = None
    if spec_text:
        from rasad.index.uncertainty import loads_spec

        spec = loads_spec(spec_text, source="uncertainty spec", methodology=methodology)

    coverage = thin.period_coverage(edition.period)
    thin.refuse_thin_compute(coverage, allow_thin)

    report("data", 0, 1)
    table, version_ids = edition_data(edition.period)
    digest = data_hash(methodology, table)
    report("data", 1, 1)

    report("ranking", 0, 1)
    unranked: RasadInputError | None = None
    try:
        results = build(methodology, table, keep="final")
    except RasadInputError as error:
        # a thin edition's few firms may leave the engine nothing to rank (none eligible,
        # an indicator none of them reported): it is stored with no one ranked, and why
        if not coverage.thin:
            raise
        results, unranked = None, error
    report("ranking", 1, 1)

    analysis: UncertaintyResult | None = None
    if spec is not None and results is not None:
        from rasad.index.uncertainty import uncertainty

        report("uncertainty", 0, runs)
        analysis = (uncertainty_runner or uncertainty)(
            methodology,
            table,
            spec,
            runs,
            seed=seed,
            top_k=top_k,
            progress=lambda done, total: report("uncertainty", done, total),
        )
        report("uncertainty", runs, runs)

    report("storing", 0, 1)
    if results is not None:
        unit = methodology.unit
        ineligible = results.exclusions.loc[
            results.exclusions["step"] == "eligibility", unit
        ].nunique()
        eligible: int | None = int(table[unit].nunique() - ineligible)
        ranked = int(results.rank.notna().sum())
        rows = _result_rows(edition, results, analysis)
    else:
        eligible = 0 if unranked.field == "eligibility" else None
        ranked, rows = 0, []
    with transaction.atomic():
        locked = Edition.objects.select_for_update().get(pk=edition.pk)
        _refuse_published(locked)  # published while we computed
        _store_results(locked, rows)
        _store_versions(locked, version_ids)
        locked.data_sha256 = digest
        locked.uncertainty_spec = spec_text or ""
        locked.runs = runs if analysis is not None else None
        locked.seed = seed if analysis is not None else None
        locked.top_k = top_k
        locked.crossing_top = analysis.crossing_top if analysis is not None else None
        locked.computed_at = timezone.now()
        locked.expected_count, locked.filed_count = coverage.expected, coverage.filed
        locked.filing_coverage = coverage.share
        locked.eligible_count, locked.ranked_count = eligible, ranked
        locked.thin_allowed = coverage.thin
        locked.save(update_fields=COMPUTED_FIELDS)
    edition.refresh_from_db()
    edition.unranked = unranked  # why no one was ranked (a thin edition's few firms), or None
    report("storing", 1, 1)
    return edition


# The columns of a result row, in the order of the tuples of :func:`_result_rows`.
RESULT_COLUMNS = (
    "edition_id",
    "enterprise_id",
    "score",
    "rank",
    "node_scores",
    "size_class",
    *EditionResult.INTERVAL_FIELDS,
    "coverage",
    "missing",
    "composite",
)


def _nullable(values: np.ndarray) -> list:
    """``values`` as Python floats, None where NaN."""
    values = np.asarray(values, dtype=float)
    out = values.astype(object)
    out[np.isnan(values)] = None
    return out.tolist()


def _result_rows(edition: Edition, results, analysis) -> list[tuple]:
    """One tuple of :data:`RESULT_COLUMNS` per ranked unit, column by column in numpy
    (the pillar scores and the codes of the indicators left blank as the JSON text the
    fields store)."""
    score, rank = results.score, results.rank
    units = score.index
    enterprise_of = dict(
        Enterprise.objects.filter(
            pk__in=ranked_returns(edition.period).values("enterprise_id")
        ).values_list("national_id", "pk")
    )
    nodes = [c for c in results.scores.columns if c != results.index_code]
    node_values = results.scores[nodes].to_numpy(dtype=float)
    node_columns = [_nullable(column) for column in node_values.T]
    node_scores = [
        json.dumps(dict(zip(nodes, row, strict=True))) for row in zip(*node_columns, strict=True)
    ]
    intervals = {name: np.full(len(units), np.nan) for name in EditionResult.INTERVAL_FIELDS}
    if analysis is not None:
        stats = analysis.stats.reindex(units)
        score_stats = analysis.score_stats.reindex(units)
        for field, frame, column in (
            ("rank_mean", stats, "mean"),
            ("rank_median", stats, "median"),
            ("rank_q05", stats, "q05"),
            ("rank_q95", stats, "q95"),
            ("p_top", stats, "p_top"),
            ("score_q05", score_stats, "q05"),
            ("score_median", score_stats, "median"),
            ("score_q95", score_stats, "q95"),
        ):
            intervals[field] = frame[column].to_numpy(dtype=float)
    ranks = rank.to_numpy(dtype=float)
    bands = (
        results.groups["size_class"].astype(str).tolist()
        if "size_class" in results.groups
        else [""] * len(units)
    )
    coverage = results.coverage.reindex(units)
    known = coverage["coverage"].notna().to_numpy()
    missing = [
        json.dumps(codes.split(",") if codes else []) if have else None
        for codes, have in zip(coverage["missing"].tolist(), known.tolist(), strict=True)
    ]
    composite = (
        np.full(len(units), np.nan)
        if results.composite is None
        else results.composite.reindex(units).to_numpy(dtype=float)
    )
    return list(
        zip(
            [edition.pk] * len(units),
            [enterprise_of[unit] for unit in units],
            _nullable(score.to_numpy(dtype=float)),
            [None if math.isnan(r) else int(r) for r in ranks.tolist()],
            node_scores,
            bands,
            *(_nullable(values) for values in intervals.values()),
            _nullable(coverage["coverage"].to_numpy(dtype=float)),
            missing,
            _nullable(composite),
            strict=True,
        )
    )


def _store_results(edition: Edition, rows: list[tuple]) -> None:
    """Replace ``edition``'s result rows with ``rows`` (COPY on PostgreSQL). The caller
    holds the edition locked and has checked that it is not published, which
    ``EditionResult``'s own bulk writes would check again."""
    EditionResult.objects.filter(edition=edition).delete()
    insert_rows(EditionResult, RESULT_COLUMNS, rows)


def _store_versions(edition: Edition, version_ids: list[int]) -> None:
    """Replace the return versions ``edition`` records as its data (COPY on PostgreSQL)."""
    through = Edition.return_versions.through
    through.objects.filter(edition_id=edition.pk).delete()
    insert_rows(
        through, ("edition_id", "returnversion_id"), ((edition.pk, pk) for pk in version_ids)
    )


def publish_edition(edition: Edition, user) -> Edition:
    """Publish a computed draft: from now on it is frozen. Only analysts and
    administrators may publish (:class:`~django.core.exceptions.PermissionDenied`); a
    thin edition (its recorded coverage below ``settings.RASAD_EDITION_MIN_COVERAGE``)
    is refused (:class:`~rasad.platform.rankings.thin.ThinEdition`). A published
    edition of a year that had one already supersedes it (``Edition.supersedes``): the
    public pages show the newest of each year."""
    if user is None or not getattr(user, "can_run_analyses", False):
        raise PermissionDenied("Only analysts and administrators publish editions.")
    with transaction.atomic():
        locked = Edition.objects.select_for_update().get(pk=edition.pk)
        _refuse_published(locked)
        not_computed = RasadInputError(
            f"The edition '{locked.name_en or locked.name_fa}' has not been computed; compute it before publishing.",
            f"ویرایش رتبه‌بندی «{locked.name_fa}» هنوز محاسبه نشده است؛ پیش از انتشار آن را محاسبه کنید.",
            field="edition",
            value=locked.pk,
        )
        if locked.computed_at is None or not locked.data_sha256:
            raise not_computed
        thin.refuse_thin_publish(locked)
        if not locked.results.exists():
            raise not_computed
        locked.status = Edition.Status.PUBLISHED
        locked.published_at = timezone.now()
        locked.published_by = user
        locked.save()
        # once committed, a worker tells those who chose to hear of editions (issue 18)
        transaction.on_commit(lambda: announce_edition.enqueue(locked.pk))
    edition.refresh_from_db()
    return edition
