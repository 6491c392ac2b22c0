"""Methodologies and the ranking editions computed with them.

An edition records the content hashes of the methodology and of the data it used, so
that a published ranking can be reproduced exactly and later corrections never change it.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rasad.platform.registry.models import BilingualNameMixin, Enterprise
from rasad.platform.returns.models import Period, ReturnVersion


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Methodology(BilingualNameMixin):
    version = models.CharField(_("version"), max_length=40)
    text = models.TextField(_("methodology file (YAML)"))
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("methodology")
        verbose_name_plural = _("methodologies")

    def save(self, *args, **kwargs):
        digest = content_hash(self.text)
        if self.pk and digest != self.sha256:
            raise ValidationError(
                _("A methodology is immutable once stored; save the changed text as a new one.")
            )
        self.sha256 = digest
        super().save(*args, **kwargs)


class Edition(BilingualNameMixin):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="editions", verbose_name=_("period"))
    methodology = models.ForeignKey(
        Methodology, on_delete=models.PROTECT, related_name="editions", verbose_name=_("methodology")
    )
    methodology_sha256 = models.CharField(_("methodology hash"), max_length=64)
    data_sha256 = models.CharField(_("data hash"), max_length=64, blank=True)
    return_versions = models.ManyToManyField(
        ReturnVersion, blank=True, related_name="editions", verbose_name=_("return versions used")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        ordering = ["-period__year", "-created_at"]
        verbose_name = _("edition")
        verbose_name_plural = _("editions")

    def save(self, *args, **kwargs):
        if not self.methodology_sha256:
            self.methodology_sha256 = self.methodology.sha256
        if self.pk:
            stored = Edition.objects.filter(pk=self.pk).values("status", "data_sha256").first()
            if stored and stored["status"] == self.Status.PUBLISHED and (
                self.status != self.Status.PUBLISHED or self.data_sha256 != stored["data_sha256"]
            ):
                raise ValidationError(_("A published edition is frozen; compute a new edition instead."))
        super().save(*args, **kwargs)


class EditionResult(models.Model):
    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="results", verbose_name=_("edition"))
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="edition_results", verbose_name=_("enterprise")
    )
    score = models.FloatField(_("score"), null=True)
    rank = models.PositiveIntegerField(_("rank"), null=True)
    node_scores = models.JSONField(_("pillar and sub-index scores"), default=dict)

    class Meta:
        ordering = ["edition", "rank"]
        verbose_name = _("edition result")
        verbose_name_plural = _("edition results")
        constraints = [
            models.UniqueConstraint(fields=["edition", "enterprise"], name="unique_edition_result")
        ]
