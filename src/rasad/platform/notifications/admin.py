from django.contrib import admin

from rasad.platform.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """What each user was told, when it was emailed and read: shown, not edited (an
    email that failed is sent again by the next ``rasad notify``)."""

    list_display = ("user", "kind", "title_en", "created_at", "emailed_at", "read_at")
    list_filter = ("kind",)
    search_fields = ("user__username", "title_en", "title_fa", "key")
    list_select_related = ("user",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
