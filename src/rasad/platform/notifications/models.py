"""Notifications (issue 18, item 3): what each user was told, in the inbox and by email,
and what each user chose to be told.

A notification is written once per user and event (``key``: the alert, the return due,
the correction's version, the edition), so a scan run twice tells nobody twice. Its
title and body are kept in both languages, written when the event is announced: the
inbox shows the reader's language, an email goes in the recipient's.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rasad.platform.language import persian


class Kind(models.TextChoices):
    ALERT = "alert", _("new alert")
    RETURN_DUE = "return_due", _("return due")
    CORRECTION = "correction", _("correction accepted")
    EDITION = "edition", _("new edition published")


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    key = models.CharField(_("event"), max_length=200)
    title_fa = models.CharField(_("title (Persian)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300)
    body_fa = models.TextField(_("text (Persian)"), blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    # the user's choice when the event was announced: shown in the inbox, sent by email
    in_app = models.BooleanField(_("in the inbox"), default=True)
    email = models.BooleanField(_("by email"), default=False)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    # estate managers: when a digest email summarised it
    digested_at = models.DateTimeField(_("in a digest at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_notification_per_event")
        ]
        indexes = [models.Index(fields=["user", "in_app", "read_at"], name="notification_inbox")]

    @property
    def title(self) -> str:
        return self.title_fa if persian() else self.title_en

    @property
    def body(self) -> str:
        return self.body_fa if persian() else self.body_en

    def __str__(self) -> str:
        return f"{self.user} — {self.key}"


class NotificationPreference(models.Model):
    """A user's choice for one kind; without a row the role's default holds
    (:data:`rasad.platform.notifications.services.DEFAULTS`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    in_app = models.BooleanField(_("in the inbox"))
    email = models.BooleanField(_("by email"))

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")
        ]


class Digest(models.TextChoices):
    NEVER = "never", _("never")
    DAILY = "daily", _("daily")
    WEEKLY = "weekly", _("weekly")


class NotificationSettings(models.Model):
    """The language a user's emails are written in and, for estate managers, how often
    the digest of their estates comes."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_settings",
        verbose_name=_("user"),
    )
    language = models.CharField(
        _("language of emails"), max_length=8, choices=settings.LANGUAGES, default="fa"
    )
    digest = models.CharField(
        _("digest of my estates"), max_length=8, choices=Digest.choices, default=Digest.DAILY
    )
    last_digest_at = models.DateTimeField(_("last digest sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return str(self.user)
