"""Users carry a role and a scope; every confidential queryset is filtered through them."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PUBLIC = "public", _("public")
    ENTERPRISE = "enterprise", _("enterprise")
    ESTATE_MANAGER = "estate_manager", _("estate manager")
    ANALYST = "analyst", _("analyst")
    ADMIN = "admin", _("administrator")


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.PUBLIC)
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("enterprise"),
        help_text=_("For enterprise users: the enterprise they speak for."),
    )
    estates = models.ManyToManyField(
        "registry.IndustrialEstate",
        blank=True,
        related_name="managers",
        verbose_name=_("industrial estates"),
        help_text=_("For estate managers: the estates they manage."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def effective_role(self) -> str:
        """Superusers act as administrators whatever their stored role says."""
        return Role.ADMIN if self.is_superuser else self.role

    @property
    def sees_everything(self) -> bool:
        return self.is_active and self.effective_role in (Role.ANALYST, Role.ADMIN)

    @property
    def can_run_analyses(self) -> bool:
        return self.sees_everything
