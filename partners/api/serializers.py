"""JSON shapes of the catalogue API: provider summaries, full profiles, a site on its own and the
vocabulary.

The serializers read only what the views prefetched (`partners.api.views`): none of them
queries the database per row. Vocabulary values are the stable slugs of DESIGN.md.
"""

import datetime
from collections.abc import Iterable
from typing import Protocol, cast

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from partners.choices import ActionType, TermKind
from partners.models import (
    Certification,
    DeaSchedule,
    Inspection,
    Phase,
    Provider,
    Published483,
    RegulatoryAction,
    Site,
    SiteCapability,
)
from partners.validity import CertificationState, certification_state


class CountrySerializer(serializers.Serializer):
    """An ISO 3166 country: its two-letter code and its English name."""

    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class ProviderLinksMixin(serializers.Serializer):
    """The provider's API resource and its profile page, both absolute."""

    url = serializers.HyperlinkedIdentityField(view_name="api:provider-detail", lookup_field="slug")
    html_url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_html_url(self, provider: Provider) -> str:
        path = reverse("partners:provider", kwargs={"slug": provider.slug})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class _SummarisedSite(Protocol):
    """A provider's site as `ProviderList.get_queryset` prefetches it for the summary."""

    modality_capabilities: list[SiteCapability]


class ProviderSummarySerializer(ProviderLinksMixin, serializers.ModelSerializer):
    """A provider as the directory lists it."""

    # Reads the provider's prefetched sites, each with `modality_capabilities` (its modality
    # capabilities, term selected): see `ProviderList.get_queryset`.
    country = CountrySerializer(read_only=True)
    site_count = serializers.SerializerMethodField()
    site_countries = serializers.SerializerMethodField()
    modalities = serializers.SerializerMethodField()

    class Meta:
        model = Provider
        fields = [
            "slug",
            "name",
            "kind",
            "country",
            "website",
            "verification_status",
            "verified_on",
            "source",
            "site_count",
            "site_countries",
            "modalities",
            "url",
            "html_url",
        ]
        read_only_fields = fields

    def get_site_count(self, provider: Provider) -> int:
        return len(provider.sites.all())

    @extend_schema_field(CountrySerializer(many=True))
    def get_site_countries(self, provider: Provider) -> list[dict[str, str]]:
        countries = {site.country.code: site.country.name for site in provider.sites.all()}
        # By name, as the directory page shows them.
        return [
            {"code": code, "name": name}
            for code, name in sorted(countries.items(), key=lambda item: item[1])
        ]

    def get_modalities(self, provider: Provider) -> list[str]:
        sites = cast("Iterable[_SummarisedSite]", provider.sites.all())
        return sorted(
            {capability.term.slug for site in sites for capability in site.modality_capabilities}
        )


class CapabilitySerializer(serializers.ModelSerializer):
    slug = serializers.CharField(source="term.slug", read_only=True)
    kind = serializers.ChoiceField(source="term.kind", choices=TermKind.choices, read_only=True)
    name = serializers.CharField(source="term.name", read_only=True)

    class Meta:
        model = SiteCapability
        fields = ["slug", "kind", "name", "max_batch_kg", "max_volume_l", "provenance"]
        read_only_fields = fields


class CertificationSerializer(serializers.ModelSerializer):
    """A certificate, with its validity on the day of the request."""

    validity = serializers.SerializerMethodField()

    class Meta:
        model = Certification
        fields = [
            "kind",
            "authority",
            "reference",
            "issued_on",
            "valid_until",
            "status",
            "validity",
            "source",
            "retrieved_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=CertificationState.choices))
    def get_validity(self, certification: Certification) -> str:
        # The view puts the date in the context so that every certificate is judged on one day.
        today: datetime.date = self.context.get("today") or timezone.localdate()
        return certification_state(certification, today).value


class InspectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Inspection
        fields = [
            "authority",
            "inspection_id",
            "end_date",
            "classification",
            "project_area",
            "product_type",
            "source",
            "retrieved_at",
        ]
        read_only_fields = fields


class RegulatoryActionSerializer(serializers.ModelSerializer):
    # The model's names avoid clashing with Python and Django words; the API uses the plain ones.
    type = serializers.ChoiceField(source="action_type", choices=ActionType.choices, read_only=True)
    date = serializers.DateField(source="action_date", read_only=True)

    class Meta:
        model = RegulatoryAction
        fields = ["authority", "type", "date", "case_id", "product_type", "source", "retrieved_at"]
        read_only_fields = fields


class Published483Serializer(serializers.ModelSerializer):
    """A Form FDA 483 that FDA has published: its record, dates and FDA's download link."""

    record_ids = serializers.ListField(
        source="record_id_list",
        child=serializers.CharField(),
        read_only=True,
        help_text="Every Record ID FDA has published the document under, in FDA's numbering "
        "order: FDA has renumbered some documents.",
    )

    class Meta:
        model = Published483
        fields = [
            "authority",
            "record_ids",
            "record_type",
            "record_date",
            "publish_date",
            "download_url",
            "product_type",
            "source",
            "retrieved_at",
        ]
        read_only_fields = fields


def site_profile_path(site: Site) -> str:
    """Where a site is on its provider's profile page: the page, at the site's section."""
    return f"{reverse('partners:provider', kwargs={'slug': site.provider.slug})}#site-{site.pk}"


# How many of a site's inspections its own endpoint lists, newest first.
LATEST_INSPECTIONS = 10


class SiteSerializer(serializers.ModelSerializer):
    country = CountrySerializer(read_only=True)
    phases: serializers.SlugRelatedField[Phase] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="slug", help_text="Phases served, in order."
    )
    dea_schedules: serializers.SlugRelatedField[DeaSchedule] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="code"
    )
    capabilities = CapabilitySerializer(many=True, read_only=True)
    certifications = CertificationSerializer(many=True, read_only=True)
    inspections = InspectionSerializer(many=True, read_only=True)
    actions = RegulatoryActionSerializer(many=True, read_only=True)
    published_483s = Published483Serializer(
        many=True, read_only=True, help_text="Published Form FDA 483s, newest first."
    )
    registered_operations = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="What FDA's establishment registration lists the site for, as FDA words it "
        '("MANUFACTURE", "ANALYSIS"…); empty for a site not registered.',
    )

    class Meta:
        model = Site
        fields = [
            "name",
            "country",
            "city",
            "fei_number",
            "duns_number",
            "registered_operations",
            "source",
            "phases",
            "oel_ug_m3",
            "dea_schedules",
            "capacity_available_from",
            "compliance_score",
            "compliance_state",
            "compliance_as_of",
            "capabilities",
            "certifications",
            "inspections",
            "actions",
            "published_483s",
        ]
        read_only_fields = fields


class ProviderDetailSerializer(ProviderLinksMixin, serializers.ModelSerializer):
    """A provider's profile: every site with what it makes, its certificates and its record."""

    country = CountrySerializer(read_only=True)
    sites = SiteSerializer(many=True, read_only=True)

    class Meta:
        model = Provider
        fields = [
            "slug",
            "name",
            "kind",
            "country",
            "website",
            "description",
            "verification_status",
            "verified_on",
            "registrant_duns",
            "source",
            "url",
            "html_url",
            "sites",
        ]
        read_only_fields = fields


class SiteDetailSerializer(SiteSerializer):
    """A site on its own: what it makes, its certificates with their validity today, its
    compliance score, its latest inspections and actions, and the provider it belongs to."""

    # Each read from what `SiteDetail.get_queryset` prefetched and annotated.
    url = serializers.HyperlinkedIdentityField(view_name="api:site-detail")
    html_url = serializers.SerializerMethodField()
    provider = ProviderSummarySerializer(read_only=True)
    inspections = InspectionSerializer(
        source="latest_inspections",
        many=True,
        read_only=True,
        help_text=f"The {LATEST_INSPECTIONS} most recent, newest first; "
        "`inspection_count` counts them all.",
    )
    inspection_count = serializers.IntegerField(read_only=True)

    class Meta(SiteSerializer.Meta):
        fields = [
            "id",
            "url",
            "html_url",
            "provider",
            *SiteSerializer.Meta.fields,
            "inspection_count",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_html_url(self, site: Site) -> str:
        """The site on its provider's profile page: the page's anchor for it."""
        path = site_profile_path(site)
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class TermSerializer(serializers.Serializer):
    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField(read_only=True)
    # A declared field named like Field.label: the serializer's metaclass moves declared fields
    # out of the class's attributes, so the two never meet at runtime.
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]


class CapabilityTermsSerializer(serializers.Serializer):
    """Capability terms by kind; `kind` is the name of the directory's filter parameter."""

    modality = TermSerializer(many=True, read_only=True)
    dosage_form = TermSerializer(many=True, read_only=True)
    service = TermSerializer(many=True, read_only=True)
    technology = TermSerializer(many=True, read_only=True)


class TaxonomySerializer(serializers.Serializer):
    """The catalogue's vocabulary: the values filters accept and records carry."""

    capabilities = CapabilityTermsSerializer(read_only=True)
    phases = TermSerializer(many=True, read_only=True, help_text="In order of development.")
    dea_schedules = ChoiceSerializer(many=True, read_only=True)
    certification_kinds = ChoiceSerializer(many=True, read_only=True)
    certification_statuses = ChoiceSerializer(many=True, read_only=True)
    certification_validity = ChoiceSerializer(many=True, read_only=True)
    authorities = ChoiceSerializer(many=True, read_only=True)
    regions = ChoiceSerializer(many=True, read_only=True)
    provider_kinds = ChoiceSerializer(many=True, read_only=True)
    verification_statuses = ChoiceSerializer(many=True, read_only=True)
    classifications = ChoiceSerializer(many=True, read_only=True)
    action_types = ChoiceSerializer(many=True, read_only=True)
    provenance = ChoiceSerializer(many=True, read_only=True)
    compliance_states = ChoiceSerializer(many=True, read_only=True)
