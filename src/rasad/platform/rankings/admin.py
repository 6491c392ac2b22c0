from django.contrib import admin

from rasad.platform.rankings.models import Edition, EditionResult, Methodology


@admin.register(Methodology)
class MethodologyAdmin(admin.ModelAdmin):
    list_display = ("name_fa", "name_en", "version", "sha256", "created_at")
    readonly_fields = ("sha256",)


@admin.register(Edition)
class EditionAdmin(admin.ModelAdmin):
    list_display = ("name_fa", "period", "status", "methodology_sha256", "data_sha256", "published_at")
    list_filter = ("status",)
    readonly_fields = ("methodology_sha256", "data_sha256", "return_versions")


@admin.register(EditionResult)
class EditionResultAdmin(admin.ModelAdmin):
    list_display = ("edition", "rank", "enterprise", "score")
    list_filter = ("edition",)
    list_select_related = ("edition", "enterprise")
