"""Curators' admin for sponsor organisations, their members, invitations and briefs."""

from django.contrib import admin
from django.http import HttpRequest

from matching.models import Brief, Invitation, Membership, Organisation


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


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-mostly: invitations are sent from the members page, whose mail carries the only copy
    of the link's token; here a curator reads them and may withdraw one."""

    list_display = ["email", "organisation", "role", "invited_by", "created_at", "expires_at"]
    list_filter = ["organisation", "role"]
    list_select_related = ["organisation", "invited_by"]
    search_fields = ["email", "organisation__name"]
    readonly_fields = [
        "organisation",
        "email",
        "role",
        "invited_by",
        "created_at",
        "updated_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
    ]
    fields = [*readonly_fields, "revoked_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
