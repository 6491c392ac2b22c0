"""Editions: a ranking of one period with one methodology, frozen once published.

An edition records the content hashes of the methodology and of the data it used, so
that a published ranking can be reproduced exactly and later corrections never change it.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rasad.platform.rankings.models.methodology import Methodology, content_hash
from rasad.platform.registry.models import BilingualNameMixin
from rasad.platform.returns.models import Period, ReturnVersion


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

    # what computing writes on the edition (rankings.services stores them together)
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
    # what a published edition may never change (its names may still be corrected)
    FROZEN_FIELDS = (
        "status",
        "period_id",
        "methodology_id",
        "methodology_sha256",
        *COMPUTED_FIELDS,
        "published_at",
        "published_by_id",
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


def refuse_if_published(edition_ids) -> None:
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
        refuse_if_published([instance.pk])
    elif pk_set:
        refuse_if_published(pk_set)
    else:  # a version's editions cleared wholesale
        refuse_if_published(instance.editions.values_list("pk", flat=True))
