from django import forms
from django.contrib import admin

from rasad.errors import RasadInputError
from rasad.iran.ids import validate_legal_id
from rasad.iran.text import normalize_text
from rasad.platform.rankings.dependencies import GuardedByPublishedEditions
from rasad.platform.registry.models import (
    Cluster,
    ClusterMembership,
    Dataset,
    Enterprise,
    IndustrialEstate,
    Province,
    Sector,
)
from rasad.platform.validators import as_validation_error


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ("code", "iso", "name_fa", "name_en")
    search_fields = ("name_fa", "name_en", "iso")


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("code", "name_fa", "name_en", "currency", "created_at")
    search_fields = ("code", "name_fa", "name_en")
    readonly_fields = ("created_at",)


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ("code", "level", "title_fa", "title_en")
    list_filter = ("level", "section")
    search_fields = ("code", "title_fa", "title_en")


@admin.register(IndustrialEstate)
class IndustrialEstateAdmin(admin.ModelAdmin):
    list_display = ("code", "name_fa", "name_en", "province", "kind")
    list_filter = ("kind", "province")
    search_fields = ("code", "name_fa", "name_en")


class EnterpriseForm(forms.ModelForm):
    """Accepts IDs typed with Persian digits and names with Arabic letters, as people type them."""

    class Meta:
        model = Enterprise
        fields = "__all__"

    def clean_national_id(self):
        try:
            return validate_legal_id(self.cleaned_data["national_id"])
        except RasadInputError as error:
            raise as_validation_error(error) from error

    def clean_name_fa(self):
        return normalize_text(self.cleaned_data["name_fa"])


@admin.register(Enterprise)
class EnterpriseAdmin(GuardedByPublishedEditions, admin.ModelAdmin):
    form = EnterpriseForm
    list_display = (
        "national_id",
        "name_fa",
        "name_en",
        "isic",
        "province",
        "estate",
        "founding_year",
    )
    list_filter = ("dataset", "province")
    search_fields = ("national_id", "name_fa", "name_en")
    autocomplete_fields = ("isic", "estate")
    list_select_related = ("isic", "province", "estate")


class ClusterMembershipInline(admin.TabularInline):
    model = ClusterMembership
    autocomplete_fields = ("enterprise",)
    extra = 0


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ("code", "name_fa", "kind", "province", "sector")
    list_filter = ("kind", "province")
    search_fields = ("code", "name_fa", "name_en")
    inlines = [ClusterMembershipInline]
