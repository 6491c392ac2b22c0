"""What people decided about an alert, kept by the alert's stable key.

The alerts themselves are recomputed from the returns (``rasad.monitor``); their key
(rule:enterprise:since) stays the same while a streak lasts, so an acknowledgement or a
closing comment stays with the alert from one computation, and one period, to the next.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertState(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        CLOSED = "closed", _("closed")

    key = models.CharField(_("alert key"), max_length=200, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    comment = models.TextField(_("comment"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now=True)

    class Meta:
        verbose_name = _("alert state")
        verbose_name_plural = _("alert states")

    def __str__(self) -> str:
        return f"{self.key}: {self.status}"
