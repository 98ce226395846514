"""Briefs at `/api/briefs/`: list, create, read, update and delete within the user's organisation.

The queryset is `Brief.objects.for_user`, so another organisation's brief is a 404; a user who
belongs to no organisation lists none and is refused (403) when creating one.
"""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from matching.api.serializers import BriefSerializer
from matching.models import Brief, organisation_of
from matching.views import NO_ORGANISATION
from partners.api.pagination import CataloguePagination

FIELD_ERRORS = OpenApiResponse(
    response={
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    },
    description="Bad input: the messages for each offending field, keyed by its name.",
)
NOT_FOUND = OpenApiResponse(description="No such brief in your organisation.")


@extend_schema_view(
    list=extend_schema(summary="Your organisation's briefs, most recently edited first"),
    create=extend_schema(
        summary="Write a brief",
        responses={201: BriefSerializer, 400: FIELD_ERRORS, 403: OpenApiResponse()},
    ),
    retrieve=extend_schema(summary="A brief", responses={200: BriefSerializer, 404: NOT_FOUND}),
    update=extend_schema(
        summary="Replace a brief",
        responses={200: BriefSerializer, 400: FIELD_ERRORS, 404: NOT_FOUND},
    ),
    partial_update=extend_schema(
        summary="Change some fields of a brief",
        responses={200: BriefSerializer, 400: FIELD_ERRORS, 404: NOT_FOUND},
    ),
    destroy=extend_schema(summary="Delete a brief", responses={204: None, 404: NOT_FOUND}),
)
class BriefViewSet(viewsets.ModelViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = BriefSerializer
    pagination_class = CataloguePagination
    # Filtering is by organisation only; the catalogue's default filter backend has nothing to do.
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Brief]:
        return (
            Brief.objects.for_user(self.request.user)
            .select_related("organisation", "created_by", "modality")
            .prefetch_related("dosage_forms", "services", "technologies")
        )

    def create(self, request: Request, *args, **kwargs) -> Response:
        # Before validation: a user outside any organisation learns that, not a list of fields.
        if organisation_of(request.user) is None:
            raise PermissionDenied(NO_ORGANISATION)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: BriefSerializer) -> None:
        serializer.save(
            organisation=organisation_of(self.request.user), created_by=self.request.user
        )
