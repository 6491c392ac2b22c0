"""An edition's result rows, which a published edition freezes with it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from rasad.platform.rankings.models.edition import Edition, refuse_if_published
from rasad.platform.registry.models import Enterprise


class EditionResultQuerySet(models.QuerySet):
    """Bulk writes go through here too, so they cannot reach a published edition's rows."""

    def update(self, **kwargs):
        refuse_if_published(self.values("edition_id"))
        return super().update(**kwargs)

    def delete(self):
        refuse_if_published(self.values("edition_id"))
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        refuse_if_published(o.edition_id for o in objs)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, *args, **kwargs):
        objs = list(objs)
        refuse_if_published(o.edition_id for o in objs)
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
        refuse_if_published([self.edition_id])
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        refuse_if_published([self.edition_id])
        return super().delete(*args, **kwargs)
