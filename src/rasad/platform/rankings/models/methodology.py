"""A methodology as stored: its YAML text, immutable once saved, named by its hash."""

from __future__ import annotations

import functools
import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rasad.index.methodology import Methodology as ParsedMethodology
from rasad.index.methodology import loads
from rasad.platform.registry.models import BilingualNameMixin


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
