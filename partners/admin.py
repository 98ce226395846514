"""The curators' admin: providers with their sites inline, each site with its records inline.

Every model keeps a history (django-simple-history): the "History" button on a change page shows
who changed what and when, field by field.
"""

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Count
from simple_history.admin import SimpleHistoryAdmin

from partners.models import (
    Certification,
    Inspection,
    Provider,
    RegulatoryAction,
    Site,
    SiteCapability,
    Term,
)

admin.site.site_header = "CDMO Match curation"
admin.site.site_title = "CDMO Match curation"
admin.site.index_title = "Catalogue"


class SiteInline(admin.TabularInline):
    model = Site
    fields = ["name", "country", "city", "fei_number"]
    extra = 0
    show_change_link = True  # capabilities, certifications and records are edited on the site


@admin.register(Provider)
class ProviderAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "country", "site_count", "verification_status", "updated_at"]
    list_filter = ["kind", "verification_status", "country"]
    search_fields = ["name", "slug", "sites__fei_number", "sites__name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SiteInline]
    show_facets = admin.ShowFacets.ALLOW
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(site_count=Count("sites"))

    @admin.display(description="sites", ordering="site_count")
    def site_count(self, provider: Provider) -> int:
        return provider.site_count


class SiteCapabilityInline(admin.TabularInline):
    model = SiteCapability
    fields = ["term", "max_batch_kg", "max_volume_l", "provenance"]
    autocomplete_fields = ["term"]
    extra = 0


class CertificationInline(admin.TabularInline):
    model = Certification
    fields = ["kind", "authority", "reference", "issued_on", "valid_until", "status"]
    extra = 0
    show_change_link = True  # source and retrieval date are on the certification's own page


class InspectionInline(admin.TabularInline):
    model = Inspection
    fields = ["authority", "inspection_id", "end_date", "classification", "project_area"]
    extra = 0
    show_change_link = True


class RegulatoryActionInline(admin.TabularInline):
    model = RegulatoryAction
    fields = ["authority", "action_type", "action_date", "case_id", "product_type"]
    extra = 0
    show_change_link = True


@admin.register(Site)
class SiteAdmin(SimpleHistoryAdmin):
    list_display = ["name", "provider", "country", "city", "fei_number", "oel_ug_m3"]
    list_filter = ["country", "phases", "dea_schedules"]
    list_select_related = ["provider"]
    search_fields = ["name", "city", "fei_number", "provider__name"]
    autocomplete_fields = ["provider"]
    formfield_overrides = {models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}
    # Derived from the records below and recomputed nightly: shown, never edited.
    readonly_fields = ["compliance_score", "compliance_state", "compliance_as_of"]
    inlines = [SiteCapabilityInline, CertificationInline, InspectionInline, RegulatoryActionInline]


@admin.register(Term)
class TermAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]


@admin.register(SiteCapability)
class SiteCapabilityAdmin(SimpleHistoryAdmin):
    list_display = ["site", "term", "max_batch_kg", "max_volume_l", "provenance"]
    list_filter = ["provenance", "term__kind", "term"]
    list_select_related = ["site__provider", "term"]
    search_fields = ["site__name", "site__provider__name", "term__slug"]
    autocomplete_fields = ["site", "term"]


@admin.register(Certification)
class CertificationAdmin(SimpleHistoryAdmin):
    list_display = ["site", "kind", "authority", "issued_on", "valid_until", "status"]
    list_filter = ["kind", "authority", "status"]
    list_select_related = ["site__provider"]
    search_fields = ["reference", "site__name", "site__provider__name"]
    autocomplete_fields = ["site"]
    date_hierarchy = "valid_until"


class RegulatorRecordAdmin(SimpleHistoryAdmin):
    list_select_related = ["site__provider"]
    autocomplete_fields = ["site"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Inspection)
class InspectionAdmin(RegulatorRecordAdmin):
    list_display = [
        "inspection_id",
        "authority",
        "end_date",
        "classification",
        "fei_number",
        "site",
    ]
    list_filter = ["authority", "classification", "project_area"]
    search_fields = ["inspection_id", "fei_number", "legal_name", "site__name"]
    date_hierarchy = "end_date"


@admin.register(RegulatoryAction)
class RegulatoryActionAdmin(RegulatorRecordAdmin):
    list_display = ["action_type", "case_id", "authority", "action_date", "fei_number", "site"]
    list_filter = ["authority", "action_type"]
    search_fields = ["case_id", "fei_number", "legal_name", "site__name"]
    date_hierarchy = "action_date"
