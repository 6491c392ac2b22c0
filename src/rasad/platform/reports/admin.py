from django.contrib import admin

from rasad.platform.reports.models import RenderedReport


@admin.register(RenderedReport)
class RenderedReportAdmin(admin.ModelAdmin):
    """Reports' PDFs rendered or being rendered (reports.delivery): shown, not edited;
    deleting one makes the next download render it anew."""

    list_display = ("kind", "key", "language", "status", "size", "seconds", "finished_at", "worker")
    list_filter = ("status", "kind", "language")
    search_fields = ("key",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
