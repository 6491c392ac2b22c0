from django.contrib import admin

from rasad.platform.rankings.models import Edition, EditionJob, EditionResult, Methodology


@admin.register(Methodology)
class MethodologyAdmin(admin.ModelAdmin):
    list_display = ("name_fa", "name_en", "version", "sha256", "created_at")
    readonly_fields = ("sha256",)


# Written only by rasad.platform.rankings.services.compute_edition / publish_edition.
COMPUTED = (
    "methodology_sha256", "data_sha256", "return_versions", "uncertainty_spec",
    "uncertainty_spec_sha256", "runs", "seed", "top_k", "crossing_top", "computed_at",
    "status", "published_at", "published_by",
)


@admin.register(Edition)
class EditionAdmin(admin.ModelAdmin):
    list_display = (
        "name_fa", "period", "status", "runs", "crossing_top", "computed_at", "methodology_sha256",
        "data_sha256", "published_at",
    )
    list_filter = ("status",)
    readonly_fields = COMPUTED

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_published:  # frozen: only the names may be corrected
            return (*COMPUTED, "period", "methodology", "created_by", "created_at")
        return COMPUTED

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # a bulk delete would bypass the freeze of published editions; drafts go one by one
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(EditionResult)
class EditionResultAdmin(admin.ModelAdmin):
    """Results are computed, never typed: shown, not edited."""

    list_display = ("edition", "rank", "enterprise", "score", "coverage", "rank_q05", "rank_median", "rank_q95",
                    "p_top")
    list_filter = ("edition",)
    list_select_related = ("edition", "enterprise")
    readonly_fields = (
        "edition", "enterprise", "score", "rank", "coverage", "missing", "composite", "node_scores",
        *EditionResult.INTERVAL_FIELDS,
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EditionJob)
class EditionJobAdmin(admin.ModelAdmin):
    """Background computations of editions (rasad.platform.rankings.jobs): shown, not edited."""

    list_display = ("edition", "kind", "status", "stage", "percent", "created_by", "created_at", "finished_at")
    list_filter = ("status", "kind")
    list_select_related = ("edition", "created_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
