from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from rasad.index.methodology import MethodologyError, loads
from rasad.platform.language import persian
from rasad.platform.rankings.dependencies import GuardedByPublishedEditions
from rasad.platform.rankings.models import (
    Edition,
    EditionJob,
    EditionResult,
    Methodology,
    content_hash,
)


def _problem(problem, persian: bool) -> str:
    """One problem of a methodology file, located as the pure core locates it."""
    where = problem.path or "—"
    if problem.line:
        where += f" (سطر {problem.line})" if persian else f" (line {problem.line})"
    return f"{where}: {problem.message_fa if persian else problem.message_en}"


class MethodologyForm(forms.ModelForm):
    """A new methodology: its file is read as ``rasad index check`` reads one, and every
    problem is a form error in the reader's language, never a server error. The text is
    kept as pasted (not stripped), bar the browser's CR LF line ends, so that a file
    pasted here has the SHA-256 of the file itself."""

    text = forms.CharField(
        label=Methodology._meta.get_field("text").verbose_name,
        strip=False,
        widget=forms.Textarea(attrs={"dir": "ltr", "rows": 30, "cols": 100, "spellcheck": "false"}),
    )

    class Meta:
        model = Methodology
        fields = ("name_fa", "name_en", "version", "text")

    def clean_text(self):
        text = self.cleaned_data["text"].replace("\r\n", "\n")
        try:
            loads(text, source="methodology")
        except MethodologyError as error:
            in_persian = persian()
            raise ValidationError(
                [
                    _("The methodology file is not valid:"),
                    *(_problem(p, in_persian) for p in error.problems),
                ],
                code="invalid_methodology",
            ) from None
        same = Methodology.objects.filter(sha256=content_hash(text)).first()
        if same is not None:
            raise ValidationError(
                _(
                    "This very file is already stored, as the methodology “%(name)s”, version "
                    "%(version)s."
                )
                % {"name": same.name, "version": same.version},
                code="duplicate_methodology",
            )
        return text


@admin.register(Methodology)
class MethodologyAdmin(GuardedByPublishedEditions, admin.ModelAdmin):
    """Its file is named by its SHA-256, which every edition computed with it records:
    once stored, the text never changes (the model refuses it), so the change page shows
    it read-only whether or not an edition uses it yet. A corrected file is added as a
    new methodology; one no edition uses can then be deleted (those used are protected)."""

    form = MethodologyForm
    list_display = ("name_fa", "name_en", "version", "sha256", "created_at")
    readonly_fields = ("sha256", "created_by", "created_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ("text", *self.readonly_fields)
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


# Written only by rasad.platform.rankings.services.compute_edition / publish_edition.
COMPUTED = (
    "methodology_sha256",
    "data_sha256",
    "return_versions",
    "uncertainty_spec",
    "uncertainty_spec_sha256",
    "runs",
    "seed",
    "top_k",
    "crossing_top",
    "computed_at",
    "status",
    "published_at",
    "published_by",
)


@admin.register(Edition)
class EditionAdmin(admin.ModelAdmin):
    list_display = (
        "name_fa",
        "period",
        "status",
        "runs",
        "crossing_top",
        "computed_at",
        "methodology_sha256",
        "data_sha256",
        "published_at",
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

    list_display = (
        "edition",
        "rank",
        "enterprise",
        "score",
        "coverage",
        "rank_q05",
        "rank_median",
        "rank_q95",
        "p_top",
    )
    list_filter = ("edition",)
    list_select_related = ("edition", "enterprise")
    readonly_fields = (
        "edition",
        "enterprise",
        "score",
        "rank",
        "coverage",
        "missing",
        "composite",
        "node_scores",
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

    list_display = (
        "edition",
        "kind",
        "status",
        "stage",
        "percent",
        "created_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "kind")
    list_select_related = ("edition", "created_by")
    # the job's own fields first, as before the shared WorkerJob ones were inherited
    fields = (
        "edition",
        "kind",
        "status",
        "params",
        "stage",
        "done",
        "total",
        "percent",
        "message_en",
        "message_fa",
        "error_en",
        "error_fa",
        "sensitivity",
        "created_by",
        "created_at",
        "started_at",
        "updated_at",
        "finished_at",
        "worker",
        "heartbeat_at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
