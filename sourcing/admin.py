"""Curators' read of procurement: shortlists with their candidates and log, watches, alerts
and notifications, saved searches and kept briefs, for support."""

from django.contrib import admin

from sourcing.models import (
    Activity,
    Alert,
    Attachment,
    Candidate,
    Criterion,
    Decision,
    KeptBrief,
    Notification,
    Quote,
    SavedSearch,
    Score,
    Shortlist,
    Watch,
)


class CandidateInline(admin.TabularInline):
    model = Candidate
    extra = 0
    fields = ("site_name", "provider_name", "stage", "exit_reason", "owner", "due_on", "score")
    readonly_fields = fields
    can_delete = False
    show_change_link = False


@admin.register(Shortlist)
class ShortlistAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "brief", "created_at"]
    list_filter = ["organisation"]
    list_select_related = ["organisation", "brief"]
    search_fields = ["title", "organisation__name"]
    autocomplete_fields = ["organisation", "brief"]
    inlines = [CandidateInline]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["created_at", "shortlist", "actor", "verb", "summary"]
    list_filter = ["verb"]
    list_select_related = ["shortlist", "actor"]
    search_fields = ["summary", "shortlist__title"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = ["candidate", "currency", "price", "valid_until", "recorded_by", "updated_at"]
    list_select_related = ["candidate", "recorded_by"]
    search_fields = ["candidate__site_name", "candidate__provider_name"]
    raw_id_fields = ["candidate"]
    readonly_fields = ["recorded_by"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Read only: files are attached and deleted from the candidate's page, which checks them
    and logs the change."""

    list_display = ["name", "kind", "candidate", "size", "uploaded_by", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["candidate", "uploaded_by"]
    search_fields = ["name", "candidate__site_name", "candidate__provider_name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    """A shortlist's evaluation criteria, read for support; teams edit them on their pages."""

    list_display = ["shortlist", "position", "name", "weight"]
    list_select_related = ["shortlist"]
    search_fields = ["name", "shortlist__title"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    """Members' scores, read only: a score is its member's own (sourcing/scoring.py)."""

    list_display = ["candidate", "criterion", "member", "value", "updated_at"]
    list_select_related = ["candidate", "criterion", "member"]
    search_fields = ["candidate__site_name", "criterion__name", "member__username"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    """Read only: a decision record is frozen when it is made, and reopened from its page, which
    logs it."""

    list_display = ["shortlist", "number", "decided_by_name", "decided_at", "reopened_at"]
    list_select_related = ["shortlist"]
    search_fields = ["shortlist__title", "decided_by_name", "rationale"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# Watches and notifications (sourcing/watching/, sourcing/notifications/): read-only, for
# support: who watches what, what was told to whom, and which briefs are kept matching.


class ReadOnlyAdmin(admin.ModelAdmin):
    """A list to read: alerts and notifications are written by sourcing/watching/alerts.py
    alone."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "title", "provider_name", "site_name", "occurred_on"]
    list_filter = ["kind"]
    search_fields = ["title", "key", "provider_name", "site_name"]
    date_hierarchy = "created_at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "alert", "read_at", "emailed_at"]
    list_filter = ["alert__kind", ("read_at", admin.EmptyFieldListFilter)]
    list_select_related = ["recipient", "alert"]
    search_fields = ["recipient__username", "recipient__email", "alert__title"]
    raw_id_fields = ["recipient", "alert"]
    date_hierarchy = "created_at"


@admin.register(Watch)
class WatchAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "site", "provider"]
    list_select_related = ["user", "site__provider", "provider"]
    search_fields = ["user__username", "site__name", "provider__name"]
    raw_id_fields = ["user", "site", "provider"]


@admin.register(SavedSearch)
class SavedSearchAdmin(ReadOnlyAdmin):
    list_display = ["name", "user", "watched", "checked_at"]
    list_filter = ["watched"]
    list_select_related = ["user"]
    search_fields = ["name", "query", "user__username"]
    exclude = ["known_site_ids"]


@admin.register(KeptBrief)
class KeptBriefAdmin(ReadOnlyAdmin):
    list_display = ["brief", "active", "kept_by", "last_rerun_at", "baseline_run", "last_run"]
    list_filter = ["active"]
    list_select_related = ["brief", "kept_by"]
    search_fields = ["brief__title"]
    raw_id_fields = ["brief", "kept_by", "baseline_run", "last_run"]
