from django.contrib import admin

from rasad.platform.rankings.dependencies import GuardedByPublishedEditions
from rasad.platform.returns.models import (
    ImportJob,
    Indicator,
    Period,
    Return,
    ReturnDraft,
    ReturnVersion,
    SourceFile,
)


@admin.register(Period)
class PeriodAdmin(GuardedByPublishedEditions, admin.ModelAdmin):
    list_display = ("__str__", "year", "quarter", "deadline")


@admin.register(Indicator)
class IndicatorAdmin(GuardedByPublishedEditions, admin.ModelAdmin):
    """An indicator a published edition's methodology reads cannot be deleted (its
    league tables are rebuilt from that figure); the code is never changed once stored,
    since every return holds its figures under it."""

    list_display = (
        "code",
        "name_fa",
        "name_en",
        "unit",
        "kind",
        "min_value",
        "max_value",
        "direction",
    )
    search_fields = ("code", "name_fa", "name_en")

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()


@admin.register(ReturnVersion)
class ReturnVersionAdmin(admin.ModelAdmin):
    """Read-only: history is never edited, a correction is a new version."""

    list_display = ("return_record", "number", "source", "created_by", "created_at")
    list_filter = ("source",)
    readonly_fields = ("figures",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Return)
class ReturnAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "period", "current_version")
    list_filter = ("period",)
    search_fields = ("enterprise__name_fa", "enterprise__national_id")
    list_select_related = ("enterprise", "period", "current_version")
    readonly_fields = ("enterprise", "period", "current_version")

    def has_add_permission(self, request):
        return False


@admin.register(SourceFile)
class SourceFileAdmin(admin.ModelAdmin):
    list_display = ("name", "sha256", "size", "uploaded_by", "uploaded_at")
    readonly_fields = ("name", "sha256", "size", "content", "uploaded_by", "uploaded_at")


@admin.register(ReturnDraft)
class ReturnDraftAdmin(admin.ModelAdmin):
    """Drafts are work in progress of the web form: shown, never reported data."""

    list_display = ("enterprise", "period", "updated_by", "updated_at")
    list_filter = ("period",)
    search_fields = ("enterprise__name_fa", "enterprise__national_id")
    list_select_related = ("enterprise", "period", "updated_by")
    readonly_fields = ("enterprise", "period", "values", "updated_by", "updated_at")

    def has_add_permission(self, request):
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Large uploads checked or imported by a worker (returns.import_jobs): shown, not edited."""

    list_display = ("name", "kind", "status", "user", "size", "created_at", "finished_at", "worker")
    list_filter = ("status", "kind")
    search_fields = ("name", "sha256", "user__username")
    list_select_related = ("user",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
