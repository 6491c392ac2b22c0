from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from rasad.platform.accounts.models import User


@admin.register(User)
class RasadUserAdmin(UserAdmin):
    list_display = ("username", "get_full_name", "role", "enterprise", "is_active")
    list_filter = ("role", "is_active", "is_staff")
    autocomplete_fields = ("enterprise",)
    filter_horizontal = ("estates", "groups", "user_permissions")
    fieldsets = UserAdmin.fieldsets + (
        (_("Role and scope"), {"fields": ("role", "enterprise", "estates")}),
    )
