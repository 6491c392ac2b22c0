"""Methodologies and the ranking editions computed with them.

An edition records the content hashes of the methodology and of the data it used, so
that a published ranking can be reproduced exactly and later corrections never change it.
"""

from __future__ import annotations

import functools
import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rasad.index.methodology import Methodology as ParsedMethodology
from rasad.index.methodology import loads
from rasad.platform.registry.models import BilingualNameMixin, Enterprise
from rasad.platform.returns.models import Period, ReturnVersion


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=32)
def _parse(text: str, source: str) -> ParsedMethodology:
    return loads(text, source=source)


class Methodology(BilingualNameMixin):
    version = models.CharField(_("version"), max_length=40)
    text = models.TextField(_("methodology file (YAML)"))
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("methodology")
        verbose_name_plural = _("methodologies")

    def parsed(self) -> ParsedMethodology:
        """The file read and checked. That takes a good part of a second, and a stored
        methodology never changes (the parsed one is frozen): each is read once per process."""
        return _parse(self.text, f"methodology {self.version}")

    def save(self, *args, **kwargs):
        digest = content_hash(self.text)
        if self.pk and digest != self.sha256:
            raise ValidationError(
                _("A methodology is immutable once stored; save the changed text as a new one.")
            )
        self.sha256 = digest
        super().save(*args, **kwargs)


def _published_after(outer: str = "") -> models.QuerySet:
    """The published editions of the same year published after the edition ``outer``
    refers to (``OuterRef`` names): later ``published_at``, or the same and a larger id."""
    ref = models.OuterRef
    return Edition.objects.filter(
        status=Edition.Status.PUBLISHED, period=ref(f"{outer}period")
    ).filter(
        models.Q(published_at__gt=ref(f"{outer}published_at"))
        | models.Q(published_at=ref(f"{outer}published_at"), pk__gt=ref(f"{outer}pk"))
    )


class EditionQuerySet(models.QuerySet):
    def published(self) -> EditionQuerySet:
        return self.filter(status=Edition.Status.PUBLISHED)

    def with_superseded(self) -> EditionQuerySet:
        """Each edition annotated ``superseded``: a published edition of the same year was
        published after it (only published editions supersede, and are superseded)."""
        return self.annotate(superseded=models.Exists(_published_after()))

    def current(self) -> EditionQuerySet:
        """The published editions no later edition of their year supersedes: the one a
        public page shows for each year."""
        return self.published().filter(~models.Exists(_published_after()))


class Edition(BilingualNameMixin):
    """A ranking of one period with one methodology; computed as a draft, then published.

    Once published, what it says is frozen: the hashes of its methodology and data, the
    return versions it read, its uncertainty settings and every result row. A later
    correction of a return only reaches a new edition."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    # what a published edition may never change (its names may still be corrected)
    FROZEN_FIELDS = (
        "status",
        "period_id",
        "methodology_id",
        "methodology_sha256",
        "data_sha256",
        "uncertainty_spec",
        "uncertainty_spec_sha256",
        "runs",
        "seed",
        "top_k",
        "crossing_top",
        "computed_at",
        "published_at",
        "published_by_id",
        "expected_count",
        "filed_count",
        "filing_coverage",
        "eligible_count",
        "ranked_count",
        "thin_allowed",
    )

    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="editions", verbose_name=_("period")
    )
    methodology = models.ForeignKey(
        Methodology,
        on_delete=models.PROTECT,
        related_name="editions",
        verbose_name=_("methodology"),
    )
    methodology_sha256 = models.CharField(_("methodology hash"), max_length=64)
    data_sha256 = models.CharField(_("data hash"), max_length=64, blank=True)
    return_versions = models.ManyToManyField(
        ReturnVersion,
        blank=True,
        through="EditionReturnVersion",
        related_name="editions",
        verbose_name=_("return versions used"),
    )
    uncertainty_spec = models.TextField(
        _("uncertainty spec (YAML)"),
        blank=True,
        help_text=_(
            "The uncertain methodological choices the rank intervals were drawn from; "
            "blank when the edition has no intervals."
        ),
    )
    uncertainty_spec_sha256 = models.CharField(
        _("uncertainty spec hash"), max_length=64, blank=True, editable=False
    )
    runs = models.PositiveIntegerField(_("Monte Carlo runs"), null=True, blank=True)
    seed = models.PositiveBigIntegerField(_("random seed"), null=True, blank=True)
    top_k = models.PositiveIntegerField(
        _("size of the top list"),
        default=100,
        help_text=_("P(top) is the share of runs that rank an enterprise within this many."),
    )
    crossing_top = models.PositiveIntegerField(
        _("intervals crossing the top-list boundary"),
        null=True,
        blank=True,
        help_text=_(
            # xgettext:no-python-format ("% r" here is a percent sign, not a placeholder)
            "How many enterprises' 5–95% rank intervals straddle the last place of the top list."
        ),
    )
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    # what stands behind the edition, recorded when it is computed (rankings.thin): the
    # national enterprises expected to file for its year, those whose return is in and
    # their share, the enterprises eligible and ranked; null before they were recorded
    expected_count = models.PositiveIntegerField(
        _("enterprises expected to file"), null=True, blank=True
    )
    filed_count = models.PositiveIntegerField(_("enterprises that filed"), null=True, blank=True)
    filing_coverage = models.FloatField(_("filing coverage"), null=True, blank=True)
    eligible_count = models.PositiveIntegerField(_("enterprises eligible"), null=True, blank=True)
    ranked_count = models.PositiveIntegerField(_("enterprises ranked"), null=True, blank=True)
    thin_allowed = models.BooleanField(
        _("computed as a thin edition"),
        default=False,
        help_text=_("Computed with too few returns, by explicit request: it cannot be published."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    objects = EditionQuerySet.as_manager()

    class Meta:
        ordering = ["-period__year", "-created_at"]
        verbose_name = _("edition")
        verbose_name_plural = _("editions")

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @functools.cached_property
    def superseded_by(self) -> Edition | None:
        """The edition of the same year published next after this one, which supersedes
        it (None for a draft, or for the newest of its year)."""
        if not self.is_published:
            return None
        later = (
            Edition.objects.published()
            .filter(period_id=self.period_id)
            .filter(
                models.Q(published_at__gt=self.published_at)
                | models.Q(published_at=self.published_at, pk__gt=self.pk)
            )
        )
        return later.select_related("period").order_by("published_at", "pk").first()

    @functools.cached_property
    def supersedes(self) -> Edition | None:
        """The edition of the same year published last before this one, which this one
        supersedes; for a draft, the one it will supersede if it is published now."""
        earlier = Edition.objects.published().filter(period_id=self.period_id).exclude(pk=self.pk)
        if self.is_published:
            earlier = earlier.filter(
                models.Q(published_at__lt=self.published_at)
                | models.Q(published_at=self.published_at, pk__lt=self.pk)
            )
        return earlier.select_related("period").order_by("-published_at", "-pk").first()

    @property
    def state(self) -> str:
        """draft (not computed yet), computed (a draft with results), published, or
        superseded (published, and a later edition of its year was published too)."""
        if self.is_published:
            superseded = getattr(self, "superseded", None)  # from with_superseded(), when annotated
            if superseded is None:
                superseded = self.superseded_by is not None
            return "superseded" if superseded else "published"
        return "computed" if self.computed_at is not None else "draft"

    def coverage_figures(self):
        """The filing coverage recorded when it was computed (:mod:`rasad.platform.rankings.thin`),
        or None."""
        from rasad.platform.rankings.thin import stored_coverage

        return stored_coverage(self)

    @property
    def has_intervals(self) -> bool:
        return self.runs is not None

    def save(self, *args, **kwargs):
        if not self.methodology_sha256:
            self.methodology_sha256 = self.methodology.sha256
        self.uncertainty_spec_sha256 = (
            content_hash(self.uncertainty_spec) if self.uncertainty_spec else ""
        )
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        if self.pk:
            stored = Edition.objects.filter(pk=self.pk).values(*self.FROZEN_FIELDS).first()
            if (
                stored
                and stored["status"] == self.Status.PUBLISHED
                and any(getattr(self, name) != value for name, value in stored.items())
            ):
                raise ValidationError(
                    _("A published edition is frozen; compute a new edition instead.")
                )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.pk and Edition.objects.filter(pk=self.pk, status=self.Status.PUBLISHED).exists():
            raise ValidationError(
                _("A published edition is frozen; compute a new edition instead.")
            )
        return super().delete(*args, **kwargs)


class EditionReturnVersion(models.Model):
    """A return version an edition used: the table of :attr:`Edition.return_versions`.

    Its foreign keys have no constraint in the database: an edition of 100,000
    enterprises writes some 200,000 of these rows, and PostgreSQL's check of each at
    commit (which also locks the version's row) took longer than writing them
    (BENCHMARKS.md, issue 6). Only ``compute_edition`` writes them, from versions it has
    just read; versions are never deleted, and Django still cascades an edition's delete."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, db_constraint=False)
    returnversion = models.ForeignKey(ReturnVersion, on_delete=models.CASCADE, db_constraint=False)

    class Meta:
        db_table = "rankings_edition_return_versions"
        unique_together = [("edition", "returnversion")]


def _refuse_if_published(edition_ids) -> None:
    """``edition_ids``: ids, or a queryset of them (then one query with a subquery)."""
    if not isinstance(edition_ids, models.QuerySet):
        edition_ids = {pk for pk in edition_ids if pk is not None}
    if Edition.objects.filter(pk__in=edition_ids, status=Edition.Status.PUBLISHED).exists():
        raise ValidationError(_("A published edition is frozen; compute a new edition instead."))


@receiver(m2m_changed, sender=Edition.return_versions.through)
def _freeze_return_versions(sender, instance, action, reverse, pk_set, **kwargs):
    """The return versions a published edition used are part of what it says."""
    if not action.startswith("pre_"):
        return
    if not reverse:
        _refuse_if_published([instance.pk])
    elif pk_set:
        _refuse_if_published(pk_set)
    else:  # a version's editions cleared wholesale
        _refuse_if_published(instance.editions.values_list("pk", flat=True))


class EditionResultQuerySet(models.QuerySet):
    """Bulk writes go through here too, so they cannot reach a published edition's rows."""

    def update(self, **kwargs):
        _refuse_if_published(self.values("edition_id"))
        return super().update(**kwargs)

    def delete(self):
        _refuse_if_published(self.values("edition_id"))
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        _refuse_if_published(o.edition_id for o in objs)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, *args, **kwargs):
        objs = list(objs)
        _refuse_if_published(o.edition_id for o in objs)
        return super().bulk_update(objs, *args, **kwargs)


class EditionResult(models.Model):
    """One enterprise's place in an edition: its score and rank, its pillar scores, the
    share of the indicators it reported and which it left blank, and, when the edition
    ran an uncertainty analysis, its rank interval and P(top)."""

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="results", verbose_name=_("edition")
    )
    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.PROTECT,
        related_name="edition_results",
        verbose_name=_("enterprise"),
    )
    score = models.FloatField(_("score"), null=True)
    rank = models.PositiveIntegerField(_("rank"), null=True)
    node_scores = models.JSONField(_("pillar and sub-index scores"), default=dict)
    # the size band the enterprise was ranked in (from its employees that year): the
    # Top-100's size filter shows the band of the edition, not of today
    size_class = models.CharField(_("size band"), max_length=10, blank=True)
    rank_mean = models.FloatField(_("mean rank"), null=True, blank=True)
    rank_median = models.FloatField(_("median rank"), null=True, blank=True)
    rank_q05 = models.FloatField(_("rank, 5th percentile"), null=True, blank=True)
    rank_q95 = models.FloatField(_("rank, 95th percentile"), null=True, blank=True)
    p_top = models.FloatField(_("probability of a top-list place"), null=True, blank=True)
    score_q05 = models.FloatField(_("score, 5th percentile"), null=True, blank=True)
    score_median = models.FloatField(_("median score"), null=True, blank=True)
    score_q95 = models.FloatField(_("score, 95th percentile"), null=True, blank=True)
    # what stands behind the rank: the share of the methodology's indicators the
    # enterprise reported (before any imputation) and the codes of those it left blank;
    # null in editions computed before they were recorded (never made up afterwards)
    coverage = models.FloatField(_("share of the indicators reported"), null=True, blank=True)
    missing = models.JSONField(_("indicators left blank"), null=True, blank=True)
    # the index before the methodology's rescale step (null when it has none)
    composite = models.FloatField(_("composite before rescaling"), null=True, blank=True)

    objects = EditionResultQuerySet.as_manager()

    INTERVAL_FIELDS = (
        "rank_mean",
        "rank_median",
        "rank_q05",
        "rank_q95",
        "p_top",
        "score_q05",
        "score_median",
        "score_q95",
    )

    class Meta:
        ordering = ["edition", "rank"]
        verbose_name = _("edition result")
        verbose_name_plural = _("edition results")
        constraints = [
            models.UniqueConstraint(fields=["edition", "enterprise"], name="unique_edition_result")
        ]
        indexes = [models.Index(fields=["edition", "rank"], name="edition_result_rank")]

    def save(self, *args, **kwargs):
        _refuse_if_published([self.edition_id])
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_if_published([self.edition_id])
        return super().delete(*args, **kwargs)


class EditionJob(models.Model):
    """A background computation of an edition (ranking, uncertainty, sensitivity) and
    how far it has got: written by :mod:`rasad.platform.rankings.jobs`, read by the
    progress page every second."""

    class Kind(models.TextChoices):
        COMPUTE = "compute", _("compute")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("edition")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.COMPUTE)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    # what was asked for: runs, seed, top_k, the uncertainty spec's text, the sensitivity sample
    params = models.JSONField(_("settings"), default=dict)
    stage = models.CharField(_("stage"), max_length=16, blank=True)
    done = models.PositiveBigIntegerField(_("done"), default=0)
    total = models.PositiveBigIntegerField(_("total"), default=0)
    percent = models.FloatField(_("percent complete"), default=0)
    message_en = models.CharField(_("message (English)"), max_length=300, blank=True)
    message_fa = models.CharField(_("message (Persian)"), max_length=300, blank=True)
    error_en = models.TextField(_("error (English)"), blank=True)
    error_fa = models.TextField(_("error (Persian)"), blank=True)
    # the Sobol indices of the uncertainty spec's inputs (rasad.index.sensitivity), one
    # dict per input: input, Si, STi and their 5% and 95% bootstrap bounds
    sensitivity = models.JSONField(_("sensitivity indices"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # the worker process running it ("host:pid") and when it last said it was alive: a
    # job whose worker was killed is recognised within a minute (rankings.jobs)
    worker = models.CharField(_("worker"), max_length=120, blank=True)
    heartbeat_at = models.DateTimeField(_("worker last alive at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("edition job")
        verbose_name_plural = _("edition jobs")
        indexes = [models.Index(fields=["edition", "status"], name="edition_job_status")]

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    def message(self, language: str = "fa") -> str:
        return self.message_fa if language.startswith("fa") else self.message_en

    def error(self, language: str = "fa") -> str:
        return self.error_fa if language.startswith("fa") else self.error_en


class ReplicateChunk(models.Model):
    """One part of an edition job's Monte Carlo runs, which any worker may compute
    (:mod:`rasad.platform.rankings.chunks`): its runs, who computes it and whether it is
    alive, and its ranks and scores once done (a file in the storage every worker shares,
    deleted when the job has merged them)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    job = models.ForeignKey(
        EditionJob, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("job")
    )
    index = models.PositiveSmallIntegerField(_("part"))
    start = models.PositiveIntegerField(_("first run"))
    stop = models.PositiveIntegerField(_("end of runs"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    worker = models.CharField(_("worker"), max_length=120, blank=True)
    heartbeat_at = models.DateTimeField(_("worker last alive at"), null=True, blank=True)
    result = models.FileField(_("ranks and scores"), upload_to="replicate-chunks/", blank=True)
    error_en = models.TextField(_("error (English)"), blank=True)
    error_fa = models.TextField(_("error (Persian)"), blank=True)

    class Meta:
        ordering = ["job", "index"]
        verbose_name = _("part of a job's runs")
        verbose_name_plural = _("parts of jobs' runs")
        constraints = [
            models.UniqueConstraint(fields=["job", "index"], name="unique_chunk_per_job")
        ]
