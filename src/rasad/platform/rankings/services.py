"""Computing and publishing editions: the one place that writes an edition's results.

The data of an edition is the current version of every return of its period (and of the
year before, which growth needs), turned into the SME-100 input table by
:func:`rasad.index.inputs.sme_inputs` and ranked by the pure engine; the uncertainty
analysis of :mod:`rasad.index.uncertainty` adds each enterprise's rank interval and
P(top). Everything is written in one transaction, with the hashes and the exact return
versions that make the edition reproducible. A published edition is never recomputed.
"""

from __future__ import annotations

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
from rasad.index.methodology import Methodology as ParsedMethodology
from rasad.index.methodology import loads
from rasad.iran.text import to_persian_digits
from rasad.platform import datasets
from rasad.platform.frames import current_returns, enterprises_frame, versions_returns
from rasad.platform.notifications.tasks import announce_edition
from rasad.platform.rankings import thin
from rasad.platform.rankings.models import Edition, content_hash
from rasad.platform.rankings.results import result_rows, store_results, store_versions
from rasad.platform.registry.models import Enterprise
from rasad.platform.returns.models import Period, Return, ReturnVersion

if TYPE_CHECKING:
    from rasad.index.uncertainty import UncertaintyResult

# The stages ``progress`` is told about, in order.
STAGES = ("data", "ranking", "uncertainty", "storing")


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


def create_edition(period: Period, methodology, user, *, name_fa: str = "", name_en: str = ""):
    """A new draft edition of ``period`` ranked with ``methodology``, created by
    ``user``: the one way an edition comes to be, for the new-edition page, the command
    line and the demo. Without names it is called after the methodology and the year."""
    return Edition.objects.create(
        name_fa=name_fa or f"{methodology.name_fa} {to_persian_digits(period.code)}",
        name_en=name_en or f"{methodology.name_en or methodology.name_fa} {period.code}",
        period=period,
        methodology=methodology,
        created_by=user,
    )


def _prepare(edition: Edition, spec_text, runs, seed, top_k, allow_thin: bool):
    """The edition's methodology, its uncertainty spec (or None) and its period's filing
    coverage, once every check before reading the data has passed."""
    _refuse_published(edition)
    _yearly(edition.period)
    _check_settings(runs, seed, top_k)
    methodology = _recorded_methodology(edition)
    spec = _spec(spec_text, methodology)
    coverage = thin.period_coverage(edition.period)
    thin.refuse_thin_compute(coverage, allow_thin)
    return methodology, spec, coverage


def _recorded_methodology(edition: Edition) -> ParsedMethodology:
    """The edition's methodology, refused if its text no longer gives the recorded hash."""
    text = edition.methodology.text
    if content_hash(text) != edition.methodology_sha256:
        raise RasadInputError(
            "The edition's methodology no longer matches the hash it recorded.",
            "روش‌شناسی این ویرایش رتبه‌بندی با چکیده‌ای که ثبت کرده بود نمی‌خواند.",
            field="methodology",
            value=edition.methodology_sha256,
        )
    return loads(text, source=f"methodology {edition.methodology.version}")


def _spec(spec_text: str | None, methodology: ParsedMethodology):
    if not spec_text:
        return None
    from rasad.index.uncertainty import loads_spec

    return loads_spec(spec_text, source="uncertainty spec", methodology=methodology)


def _rank(methodology: ParsedMethodology, table: pd.DataFrame, coverage):
    """The engine's results and None, or for a thin edition whose few firms leave the
    engine nothing to rank (none eligible, an indicator none of them reported) None and
    the engine's reason, so that it is stored with no one ranked and why."""
    try:
        return build(methodology, table, keep="final"), None
    except RasadInputError as error:
        if not coverage.thin:
            raise
        return None, error


def _counts(methodology, table, results, unranked) -> tuple[int | None, int]:
    """The enterprises eligible (None when unknown) and ranked."""
    if results is None:
        return (0 if unranked.field == "eligibility" else None), 0
    unit = methodology.unit
    ineligible = results.exclusions.loc[results.exclusions["step"] == "eligibility", unit].nunique()
    return int(table[unit].nunique() - ineligible), int(results.rank.notna().sum())


def _analyse(runner, methodology, table, spec, runs, seed, top_k, report: Progress):
    """The uncertainty analysis by ``runner`` (by default
    :func:`rasad.index.uncertainty.uncertainty`), telling ``report`` of its replicates."""
    if runner is None:
        from rasad.index.uncertainty import uncertainty as runner
    report("uncertainty", 0, runs)
    analysis = runner(
        methodology,
        table,
        spec,
        runs,
        seed=seed,
        top_k=top_k,
        progress=lambda done, total: report("uncertainty", done, total),
    )
    report("uncertainty", runs, runs)
    return analysis


def _analysis_fields(spec_text, runs, seed, top_k, analysis: UncertaintyResult | None) -> dict:
    """The uncertainty settings an edition records: runs and seed only if they ran."""
    analysed = analysis is not None
    return {
        "uncertainty_spec": spec_text or "",
        "runs": runs if analysed else None,
        "seed": seed if analysed else None,
        "top_k": top_k,
        "crossing_top": analysis.crossing_top if analysed else None,
    }


def _coverage_fields(coverage, eligible: int | None, ranked: int) -> dict:
    """What stands behind the edition (:mod:`rasad.platform.rankings.thin`)."""
    return {
        "expected_count": coverage.expected,
        "filed_count": coverage.filed,
        "filing_coverage": coverage.share,
        "eligible_count": eligible,
        "ranked_count": ranked,
        "thin_allowed": coverage.thin,
    }


def _rows(edition: Edition, results, analysis) -> list[tuple]:
    """The result rows, each unit (national ID) given its enterprise's id."""
    enterprise_of = dict(
        Enterprise.objects.filter(
            pk__in=ranked_returns(edition.period).values("enterprise_id")
        ).values_list("national_id", "pk")
    )
    return result_rows(edition, results, analysis, enterprise_of)


def _store(edition: Edition, rows: list[tuple], version_ids: list[int], computed: dict) -> None:
    """Write the result rows, the versions read and ``computed`` (the
    ``Edition.COMPUTED_FIELDS`` but ``computed_at``) in one transaction, refused if the
    edition was published while it was computed."""
    with transaction.atomic():
        locked = Edition.objects.select_for_update().get(pk=edition.pk)
        _refuse_published(locked)  # published while we computed
        store_results(locked, rows)
        store_versions(locked, version_ids)
        for name, value in computed.items():
            setattr(locked, name, value)
        locked.computed_at = timezone.now()
        locked.save(update_fields=Edition.COMPUTED_FIELDS)


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
    and score quantiles (computed by ``uncertainty_runner``,
    :func:`rasad.index.uncertainty.uncertainty`'s stand-in, when given: a job shares its
    runs between workers so). The results replace any earlier ones of this draft in one
    transaction, with the data hash, the return versions read, the spec and its hash.
    When a thin edition's few enterprises leave the engine nothing to rank, the edition
    is stored with no one ranked and the returned object's ``unranked`` says why.
    ``progress(stage, done, total)`` is called as each of :data:`STAGES` starts and ends,
    and after each block of the uncertainty analysis's replicates.
    A published edition is refused (:class:`~rasad.errors.RasadInputError`).
    """
    report = progress or (lambda stage, done, total: None)
    edition.refresh_from_db()  # the stored status, methodology and period are what count
    methodology, spec, coverage = _prepare(edition, spec_text, runs, seed, top_k, allow_thin)

    report("data", 0, 1)
    table, version_ids = edition_data(edition.period)
    digest = data_hash(methodology, table)
    report("data", 1, 1)

    report("ranking", 0, 1)
    results, unranked = _rank(methodology, table, coverage)
    report("ranking", 1, 1)

    analysis = None
    if spec is not None and results is not None:
        analysis = _analyse(uncertainty_runner, methodology, table, spec, runs, seed, top_k, report)

    report("storing", 0, 1)
    rows = [] if results is None else _rows(edition, results, analysis)
    computed = {
        "data_sha256": digest,
        **_analysis_fields(spec_text, runs, seed, top_k, analysis),
        **_coverage_fields(coverage, *_counts(methodology, table, results, unranked)),
    }
    _store(edition, rows, version_ids, computed)
    edition.refresh_from_db()
    edition.unranked = unranked  # why no one was ranked (a thin edition's few firms), or None
    report("storing", 1, 1)
    return edition


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
            f"The edition '{locked.name_en or locked.name_fa}' has not been computed; "
            "compute it before publishing.",
            f"ویرایش رتبه‌بندی «{locked.name_fa}» هنوز محاسبه نشده است؛ "
            "پیش از انتشار آن را محاسبه کنید.",
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
