from django.contrib import admin

from rasad.platform.registry.models import (
    Cluster,
    ClusterMembership,
    Enterprise,
    IndustrialEstate,
    Province,
    Sector,
)


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ("code", "iso", "name_fa", "name_en")
    search_fields = ("name_fa", "name_en", "iso")


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


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("national_id", "name_fa", "name_en", "isic", "province", "estate", "founding_year")
    list_filter = ("province",)
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
