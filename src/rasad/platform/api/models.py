"""API tokens for machine clients: only the SHA-256 of a secret is stored, never the secret."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SECRET_PREFIX = "rasad_"
PREFIX_LENGTH = len(SECRET_PREFIX) + 8  # what lists show: enough to tell tokens apart
# last_used_at is written at most this often per token, not on every request
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked=False, user__is_active=True)

    def authenticate(self, secret: str) -> ApiToken | None:
        """The live token whose secret is ``secret`` (None for unknown, revoked, or a
        deactivated user's); records when it was last used."""
        if not secret or len(secret) > 200:
            return None
        token = self.active().select_related("user").filter(key_hash=hash_secret(secret)).first()
        if token is None:
            return None
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the token is for, e.g. the client's name.")
    )
    key_hash = models.CharField(
        _("SHA-256 of the secret"), max_length=64, unique=True, editable=False
    )
    prefix = models.CharField(
        _("prefix"),
        max_length=PREFIX_LENGTH,
        editable=False,
        help_text=_("The start of the secret, to recognise the token."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked = models.BooleanField(_("revoked"), default=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, user, name: str) -> tuple[ApiToken, str]:
        """A new token for ``user`` and its secret: the secret is returned this once and
        never stored."""
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, key_hash=hash_secret(secret), prefix=secret[:PREFIX_LENGTH]
        )
        return token, secret
