"""A candidate's quote and attached files in the JSON API, within the user's organisation.

- `/api/candidates/<id>/quote/`: GET the quote, PUT records it (a revised quote replaces the one
  before; the log keeps both), DELETE withdraws it.
- `/api/candidates/<id>/attachments/`: the files attached (paged, newest first); POST attaches one
  (multipart: `kind` and `file`).
- `/api/attachments/<id>/`: an attachment's details, DELETE deletes it (and its file);
  `/api/attachments/<id>/download/` gives the file itself.

As for the rest of the sourcing API (sourcing/api/views.py): candidates and attachments are looked
up through `Candidate.objects.for_user`, so another organisation's are a 404; reading needs only
membership (viewers download too); a change needs a role that may change, a 403 before the input
is read; sourcing/documents.py makes the changes, and its ValidationError is a 400 naming the field.
"""

import json
from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.pagination import CataloguePagination
from core.parsers import FormParser, JSONParser, MultiPartParser
from sourcing import documents
from sourcing.api.serializers import UserSerializer
from sourcing.api.views import (
    CANDIDATE_NOT_FOUND,
    DETAIL,
    FIELD_ERRORS,
    NOT_SIGNED_IN,
    REFUSED,
    pipeline_errors,
    require_change,
)
from sourcing.choices import AttachmentKind
from sourcing.models import ASSUMPTIONS_MAX_LENGTH, Attachment, Candidate, Quote

NO_QUOTE = "The candidate has no quote yet."
ATTACHMENT_NOT_FOUND = OpenApiResponse(
    response=DETAIL, description="No such attachment in your organisation."
)
QUOTE_NOT_FOUND = OpenApiResponse(
    response=DETAIL,
    description="No such candidate in your organisation, or the candidate has no quote.",
)


# --- Shapes --------------------------------------------------------------------------------------


class QuoteSerializer(serializers.ModelSerializer):
    """A provider's quote for a candidate, in the same fields for every provider. `expired`:
    its validity date has passed."""

    recorded_by = UserSerializer(read_only=True, allow_null=True)
    expired = serializers.BooleanField(read_only=True)
    summary = serializers.SerializerMethodField()

    class Meta:
        model = Quote
        fields = [
            "candidate",
            "price",
            "currency",
            "batches",
            "scale_l",
            "lead_time_weeks",
            "minimum_order_batches",
            "valid_until",
            "expired",
            "assumptions",
            "summary",
            "recorded_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_summary(self, quote: Quote) -> str:
        """The quote in one line: “EUR 1,250,000.00 for 3 batches at 2,000 L, valid until …”."""
        return documents.quote_summary(quote)


class QuoteInputSerializer(serializers.Serializer):
    """What PUT /api/candidates/<id>/quote/ accepts: the whole quote (a field left out is
    empty). sourcing/documents.py checks the ranges, with messages naming the field."""

    price = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        coerce_to_string=False,
        help_text="0 or more, to the cent.",
    )
    currency = serializers.CharField(
        max_length=10, allow_blank=True, help_text="ISO 4217 code, in any case: EUR, usd, CHF."
    )
    batches = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Batches the price covers."
    )
    scale_l = serializers.FloatField(
        required=False, allow_null=True, default=None, help_text="Batch scale in litres, > 0."
    )
    lead_time_weeks = serializers.IntegerField(required=False, allow_null=True, default=None)
    minimum_order_batches = serializers.IntegerField(required=False, allow_null=True, default=None)
    valid_until = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A past date is accepted (quotes may be recorded late); the quote is then "
        "expired.",
    )
    assumptions = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=ASSUMPTIONS_MAX_LENGTH
    )


class AttachmentSerializer(serializers.ModelSerializer):
    """A file attached to a candidate; `download_url` gives the file itself."""

    url = serializers.HyperlinkedIdentityField(view_name="sourcing-api:attachment-detail")
    download_url = serializers.HyperlinkedIdentityField(
        view_name="sourcing-api:attachment-download"
    )
    candidate: serializers.PrimaryKeyRelatedField[Candidate] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    uploaded_by = UserSerializer(read_only=True, allow_null=True)
    size = serializers.IntegerField(read_only=True, help_text="Bytes.")

    class Meta:
        model = Attachment
        fields = [
            "id",
            "url",
            "download_url",
            "candidate",
            "kind",
            "name",
            "content_type",
            "size",
            "uploaded_by",
            "created_at",
        ]
        read_only_fields = fields


class AttachmentUploadSerializer(serializers.Serializer):
    """What POST /api/candidates/<id>/attachments/ accepts, as multipart/form-data."""

    kind = serializers.ChoiceField(
        choices=AttachmentKind.choices,
        error_messages={
            "invalid_choice": "Unknown kind “{input}”: use one of "
            + ", ".join(AttachmentKind.values)
            + "."
        },
    )
    # Empty files and the type, size and content checks are sourcing/documents.py's.
    file = serializers.FileField(
        allow_empty_file=True,
        use_url=False,
        help_text=f"{documents.ACCEPTED_LIST}; content checked against the extension; at most "
        "ATTACHMENT_MAX_BYTES (20 MB unless configured).",
    )


# --- Views ---------------------------------------------------------------------------------------


class FileRenderer(renderers.BaseRenderer):
    """Lets a download be asked for with any Accept header: the file answers as itself (a
    FileResponse is never rendered); an error still answers as JSON."""

    media_type = "*/*"
    format = "file"
    charset = None

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return json.dumps(data).encode()


class CandidateDocumentsViewSet(viewsets.GenericViewSet):
    """A candidate's quote and its attachments, beside the candidate's own endpoints."""

    permission_classes = [IsAuthenticated]
    serializer_class = QuoteSerializer
    pagination_class = CataloguePagination
    filter_backends: list = []
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Candidate]:
        return Candidate.objects.for_user(self.request.user).select_related(
            "shortlist", "quote__recorded_by"
        )

    @extend_schema(
        methods=["GET"],
        summary="A candidate's quote",
        request=None,
        responses={200: QuoteSerializer, 403: NOT_SIGNED_IN, 404: QUOTE_NOT_FOUND},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Record a candidate's quote, replacing any before it",
        description="The same fields for every provider. The price and currency are needed; "
        "the others may be null. A currency is an ISO 4217 code of a currency in common use "
        "(any case, stored upper case); a validity date in the past is accepted and makes the "
        "quote expired. Saving the same quote again changes and logs nothing.",
        request=QuoteInputSerializer,
        responses={
            200: QuoteSerializer,
            201: QuoteSerializer,
            400: FIELD_ERRORS,
            403: REFUSED,
            404: CANDIDATE_NOT_FOUND,
        },
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Withdraw a candidate's quote",
        description="The log keeps what it was.",
        request=None,
        responses={204: None, 403: REFUSED, 404: QUOTE_NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["get", "put", "delete"],
        url_path="quote",
        url_name="quote",
        parser_classes=[JSONParser, FormParser, MultiPartParser],
    )
    def quote(self, request: Request, pk: str | None = None) -> Response:
        candidate = self.get_object()
        existing = documents.quote_of(candidate)
        if request.method == "GET":
            if existing is None:
                raise NotFound(NO_QUOTE)
            return Response(QuoteSerializer(existing).data)
        require_change(request)
        if request.method == "DELETE":
            if existing is None:
                raise NotFound(NO_QUOTE)
            with pipeline_errors():
                documents.withdraw_quote(candidate, request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        given = QuoteInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        with pipeline_errors():
            saved = documents.save_quote(candidate, request.user, **given.validated_data)
        return Response(
            QuoteSerializer(saved).data,
            status=status.HTTP_200_OK if existing is not None else status.HTTP_201_CREATED,
        )

    @extend_schema(
        methods=["GET"],
        summary="The files attached to a candidate, newest first",
        request=None,
        responses={
            200: AttachmentSerializer(many=True),
            400: FIELD_ERRORS,
            403: NOT_SIGNED_IN,
            404: CANDIDATE_NOT_FOUND,
        },
    )
    @extend_schema(
        methods=["POST"],
        summary="Attach a file to a candidate",
        description="multipart/form-data with `kind` and `file`. Accepted: "
        f"{documents.ACCEPTED_LIST}; the content must be what the extension says (a renamed "
        "file is refused) and text files UTF-8. Refused files are a 400 on `file` saying why.",
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={
            201: AttachmentSerializer,
            400: FIELD_ERRORS,
            403: REFUSED,
            404: CANDIDATE_NOT_FOUND,
        },
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="attachments",
        url_name="attachments",
        parser_classes=[MultiPartParser, FormParser],
    )
    def attachments(self, request: Request, pk: str | None = None) -> Response:
        candidate = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            page = self.paginate_queryset(
                candidate.attachments.select_related("uploaded_by").order_by("-created_at", "-id")
            )
            return self.get_paginated_response(
                AttachmentSerializer(page, many=True, context=context).data
            )
        require_change(request)
        given = AttachmentUploadSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        with pipeline_errors():
            attachment = documents.attach(
                candidate, request.user, given.validated_data["file"], given.validated_data["kind"]
            )
        data = AttachmentSerializer(attachment, context=context).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})


@extend_schema_view(
    retrieve=extend_schema(
        summary="An attached file's details",
        responses={200: AttachmentSerializer, 403: NOT_SIGNED_IN, 404: ATTACHMENT_NOT_FOUND},
    ),
    destroy=extend_schema(
        summary="Delete an attached file",
        description="The file leaves the storage; the log keeps that it was there.",
        responses={204: None, 403: REFUSED, 404: ATTACHMENT_NOT_FOUND},
    ),
)
class AttachmentViewSet(
    mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    permission_classes = [IsAuthenticated]
    serializer_class = AttachmentSerializer
    filter_backends: list = []
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Attachment]:
        return Attachment.objects.filter(
            candidate__in=Candidate.objects.for_user(self.request.user)
        ).select_related("candidate__shortlist", "uploaded_by")

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        attachment = self.get_object()
        require_change(request)
        documents.detach(attachment, request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Download an attached file",
        description="Always as a download under its own name (Content-Disposition: attachment), "
        "as the type its name says, with `X-Content-Type-Options: nosniff` and "
        "`Content-Security-Policy: sandbox`. Viewers may download.",
        request=None,
        responses={
            (200, "*/*"): OpenApiResponse(response=OpenApiTypes.BINARY, description="The file."),
            (403, "application/json"): NOT_SIGNED_IN,
            (404, "application/json"): ATTACHMENT_NOT_FOUND,
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="download",
        url_name="download",
        renderer_classes=[renderers.JSONRenderer, FileRenderer],
    )
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        return documents.file_response(self.get_object())
