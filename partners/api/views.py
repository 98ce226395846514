"""The catalogue API: the directory's list, provider profiles and the vocabulary, read-only.

The list is filtered by the directory's own `ProviderFilterSet` (the same parameters, the same
site-level rule) and each endpoint reads the database in a fixed number of queries, whatever
the page size or the size of a provider. The catalogue is the public directory, so anyone may
read it.
"""

import hashlib
import json

from django.core.cache import cache
from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import APIView

from core.pagination import CataloguePagination

# Imported for its side effect: registers the schema extension for the vocabulary filters.
from partners.api import schema  # noqa: F401
from partners.api.serializers import (
    LATEST_INSPECTIONS,
    ProviderDetailSerializer,
    ProviderSummarySerializer,
    SiteDetailSerializer,
    TaxonomySerializer,
)
from partners.catalogue_version import current_catalogue_version, one_catalogue_version
from partners.choices import (
    DEA_SCHEDULES,
    PHASES,
    ActionType,
    Authority,
    CertificationKind,
    CertificationStatus,
    Classification,
    ComplianceState,
    Provenance,
    ProviderKind,
    Region,
    TermKind,
    VerificationStatus,
)
from partners.directory.profile import provider_for_profile
from partners.filtersets import ProviderFilterSet
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
    Term,
)
from partners.validity import CertificationState

FIELD_ERRORS = OpenApiResponse(
    response={
        "type": "object",
        # A parameter's messages; a `detail` for an address no parameter can be read from.
        "additionalProperties": {
            "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]
        },
    },
    description="Bad input: the messages for each offending parameter, keyed by its name.",
    examples=[
        OpenApiExample(
            "Unknown modality",
            value={
                "modality": [
                    "Select a valid choice. monoclonal is not one of the available choices."
                ]
            },
        ),
        OpenApiExample(
            "Page past the end", value={"page": ["Page 9 does not exist: there are 2 pages."]}
        ),
    ],
)
NOT_FOUND = OpenApiResponse(
    response={
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    description="No provider has this slug.",
)


def _provider_summaries() -> QuerySet[Provider]:
    """Providers with what their summary reads: their sites, with their modalities."""
    modality_capabilities = Prefetch(
        "capabilities",
        queryset=SiteCapability.objects.filter(term__kind=TermKind.MODALITY).select_related("term"),
        to_attr="modality_capabilities",
    )
    sites = Site.objects.prefetch_related(modality_capabilities)
    return Provider.objects.prefetch_related(Prefetch("sites", queryset=sites))


@extend_schema_view(
    get=extend_schema(
        summary="List providers",
        description=(
            "The directory as JSON. Values of one parameter are ORed, different parameters "
            "ANDed; site filters (capabilities, phase, place, certification, inspections, "
            "containment, scale, DEA schedule) must all hold at one and the same site. "
            "Contract manufacturers (CMOs and CDMOs) are listed by default; `scope=registered` "
            "lists every FDA-registered establishment instead. Establishments registered only "
            "for medical gases, medicated animal feed, packing or labelling, or testing are "
            "left out unless `include_ancillary=true`."
        ),
        responses={200: ProviderSummarySerializer(many=True), 400: FIELD_ERRORS},
    )
)
class ProviderList(ListAPIView):
    """Providers matching the directory's filters, a page at a time."""

    permission_classes = [AllowAny]
    serializer_class = ProviderSummarySerializer
    filter_backends = [DjangoFilterBackend]
    # Ordering too comes from the FilterSet (its `ordering` parameter), not from DRF.
    filterset_class = ProviderFilterSet
    pagination_class = CataloguePagination

    def get_queryset(self) -> QuerySet[Provider]:
        # Each summary needs its sites' countries and modalities: two prefetches for the page.
        return _provider_summaries()

    def list(self, request: Request, *args, **kwargs) -> Response:
        """The page, from the cache when this query was answered for the same catalogue
        version, day and address (a summary's links are absolute); no summary depends on who
        asks. The version is read first, so whatever is read after it is at least as new as
        the key it is cached under."""
        with one_catalogue_version():  # for the key and the filters' vocabulary
            key = _catalogue_list_key(request)
            cached = cache.get(key)
            if cached is not None:
                return Response(cached)
            response = super().list(request, *args, **kwargs)
            if response.status_code == 200:
                cache.set(key, plain_json(response.data), CATALOGUE_LIST_CACHE_SECONDS)
            return response


# A day at most: the key changes with the catalogue and the day anyway.
CATALOGUE_LIST_CACHE_SECONDS = 24 * 60 * 60


def plain_json(data):
    """The data as plain JSON values: a serializer's links (`Hyperlink`) are strings that carry
    their model instance, which a cache would otherwise store and rebuild on every read."""
    return json.loads(json.dumps(data, cls=JSONEncoder))


def _catalogue_list_key(request: Request) -> str:
    what = repr((request.build_absolute_uri("/"), list(request.query_params.lists())))
    version = current_catalogue_version()
    day = timezone.localdate().isoformat()
    return f"api-providers:{version}:{day}:{hashlib.sha256(what.encode()).hexdigest()}"


@extend_schema_view(
    get=extend_schema(
        summary="Provider profile",
        description=(
            "The provider with each of its sites: capabilities with scale and provenance, "
            "certifications with their validity today, inspections and regulatory actions, "
            "each regulatory fact with its source and retrieval time."
        ),
        responses={200: ProviderDetailSerializer, 404: NOT_FOUND},
    )
)
class ProviderDetail(RetrieveAPIView):
    """A provider's profile, by slug."""

    permission_classes = [AllowAny]
    serializer_class = ProviderDetailSerializer
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[Provider]:
        # The profile page's loading: sites with capabilities, certificates, inspections,
        # actions, phases and DEA schedules, each one query whatever their number.
        return provider_for_profile()

    def get_object(self) -> Provider:
        try:
            return super().get_object()
        except Http404:
            raise NotFound(f"No provider has the slug “{self.kwargs['slug']}”.") from None

    def get_serializer_context(self) -> dict:
        # One date for every certificate of the response, so their validity agrees.
        return {**super().get_serializer_context(), "today": timezone.localdate()}


SITE_NOT_FOUND = OpenApiResponse(
    response={
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    description="No site has this id.",
)


@extend_schema_view(
    get=extend_schema(
        summary="Site",
        description=(
            "A site with its provider (as the directory lists it), its capabilities with scale, "
            "its certificates with their validity today, its compliance score, its "
            f"{LATEST_INSPECTIONS} latest inspections and its regulatory actions; `html_url` is "
            "the site on its provider's profile page."
        ),
        responses={200: SiteDetailSerializer, 404: SITE_NOT_FOUND},
    )
)
class SiteDetail(RetrieveAPIView):
    """A site, by id."""

    permission_classes = [AllowAny]
    serializer_class = SiteDetailSerializer

    def get_queryset(self) -> QuerySet[Site]:
        # One query per kind of row, whatever the site's size or its provider's.
        return Site.objects.annotate(
            inspection_count=Count("inspections", distinct=True)
        ).prefetch_related(
            Prefetch("provider", queryset=_provider_summaries()),
            Prefetch(
                "capabilities",
                queryset=SiteCapability.objects.select_related("term").order_by(
                    "term__kind", "term__name"
                ),
            ),
            Prefetch(
                "certifications", queryset=Certification.objects.order_by("kind", "-issued_on")
            ),
            Prefetch(
                "inspections",
                queryset=Inspection.objects.order_by("-end_date", "inspection_id", "project_area")[
                    :LATEST_INSPECTIONS
                ],
                to_attr="latest_inspections",
            ),
            Prefetch(
                "actions",
                queryset=RegulatoryAction.objects.order_by("-action_date", "case_id"),
            ),
            Prefetch(
                "published_483s",
                queryset=Published483.objects.order_by("-publish_date", "pk").prefetch_related(
                    "record_ids"
                ),
            ),
            Prefetch("phases", queryset=Phase.objects.order_by("rank")),
            Prefetch("dea_schedules", queryset=DeaSchedule.objects.order_by("rank")),
        )

    def get_object(self) -> Site:
        if not self.kwargs["pk"].isdigit():
            raise NotFound(f"No site has the id “{self.kwargs['pk']}”.")
        try:
            return super().get_object()
        except Http404:
            raise NotFound(f"No site has the id “{self.kwargs['pk']}”.") from None

    def get_serializer_context(self) -> dict:
        # One date for every certificate of the response, so their validity agrees.
        return {**super().get_serializer_context(), "today": timezone.localdate()}


def _choices(choices: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"value": value, "label": str(label)} for value, label in choices]


def catalogue_taxonomy() -> dict:
    """The vocabulary filters accept and records carry; capability terms come from the table."""
    terms: dict[str, list[dict[str, str]]] = {kind: [] for kind in TermKind.values}
    for kind, slug, name in Term.objects.order_by("kind", "name").values_list(
        "kind", "slug", "name"
    ):
        terms[kind].append({"slug": slug, "name": name})
    return {
        "capabilities": terms,
        "phases": [{"slug": slug, "name": name} for slug, name in PHASES],
        "dea_schedules": _choices(DEA_SCHEDULES),
        "certification_kinds": _choices(CertificationKind.choices),
        "certification_statuses": _choices(CertificationStatus.choices),
        "certification_validity": _choices(CertificationState.choices),
        "authorities": _choices(Authority.choices),
        "regions": _choices(Region.choices),
        "provider_kinds": _choices(ProviderKind.choices),
        "verification_statuses": _choices(VerificationStatus.choices),
        "classifications": _choices(Classification.choices),
        "action_types": _choices(ActionType.choices),
        "provenance": _choices(Provenance.choices),
        "compliance_states": _choices(ComplianceState.choices),
    }


class Taxonomy(APIView):
    """The catalogue's vocabulary: every slug and code the API accepts and returns."""

    permission_classes = [AllowAny]

    @extend_schema(summary="Vocabulary", responses=TaxonomySerializer)
    def get(self, request: Request) -> Response:
        return Response(TaxonomySerializer(catalogue_taxonomy()).data)
