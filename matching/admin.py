"""Curators' admin for sponsor organisations, their members and their briefs."""

from django.contrib import admin

from matching.models import Brief, Membership, Organisation


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Brief)
class BriefAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "modality", "phase", "updated_at"]
    list_filter = ["organisation", "modality", "phase"]
    list_select_related = ["organisation", "modality"]
    search_fields = ["title", "organisation__name"]
    autocomplete_fields = ["organisation"]
    filter_horizontal = ["dosage_forms", "services", "technologies"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
