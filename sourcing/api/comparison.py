"""Two to six candidates of a shortlist side by side, as JSON and as a file, within the user's
organisation (sourcing/comparison.py builds it):

- `GET /api/shortlists/<id>/comparison/?candidates=1,2,3`: the comparison, the same data the
  page shows and a decision record freezes; team scores as the user may see them.
- `GET /api/shortlists/<id>/comparison/csv/?candidates=…` and `…/comparison/xlsx/?candidates=…`:
  the comparison as a CSV or XLSX file, logged on the shortlist as an export.

Reading needs only membership (viewers too). Fewer than two or more than six candidates, an id
that is not a whole number or is outside the range of ids, or a candidate of another shortlist
is a 400 naming `candidates`; another organisation's shortlist is a 404.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import field_error
from sourcing import comparison as comparisons
from sourcing import exports
from sourcing.api.views import FIELD_ERRORS, NOT_FOUND, NOT_SIGNED_IN
from sourcing.models import Shortlist

NOT_A_LIST = "Give the candidates' ids separated by commas, e.g. 12,15,19; “{value}” is not one."

CANDIDATES = OpenApiParameter(
    "candidates",
    str,
    required=True,
    description=f"The ids of {comparisons.MIN_CANDIDATES} to {comparisons.MAX_CANDIDATES} "
    "candidates of the shortlist, separated by commas, in the order of the columns "
    "(e.g. `12,15,19`).",
)
FORMAT = OpenApiParameter(
    "fmt",
    str,
    OpenApiParameter.PATH,
    enum=list(exports.FORMATS),
    description="The file's format: `csv` (UTF-8, streamed) or `xlsx` (typed cells).",
)


class ComparisonCellSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="What a reader sees.")
    flag = serializers.ChoiceField(
        choices=["", *comparisons.FLAGS],
        help_text="What marks the cell: expired, expiring, warning, missing, good, or empty.",
    )
    value = serializers.JSONField(
        allow_null=True,
        help_text="The typed value an export writes: a number, an ISO date, a string or null.",
    )


class ComparisonRowSerializer(serializers.Serializer):
    # A declared field: the metaclass takes it out of the class, whatever Field.label types.
    label = serializers.CharField()  # type: ignore[assignment]
    differs = serializers.BooleanField(help_text="The candidates' cells are not all the same.")
    cells = ComparisonCellSerializer(many=True, help_text="One per candidate, in their order.")


class ComparisonGroupSerializer(serializers.Serializer):
    name = serializers.CharField(
        help_text="Site, Fit to the brief, Quality, Scores from the run, Quote or Team scores."
    )
    rows = ComparisonRowSerializer(many=True)


class ComparedCandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    site_id = serializers.IntegerField(
        allow_null=True, help_text="Null when the site has left the catalogue."
    )
    site_name = serializers.CharField()
    provider_name = serializers.CharField()
    provider_kind = serializers.CharField(help_text="CDMO or CMO; empty without a site.")
    country = serializers.CharField(help_text="The site's country's name.")
    stage = serializers.CharField()
    stage_label = serializers.CharField()
    href = serializers.CharField(help_text="The candidate's page.")


class ComparedBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class ComparisonSerializer(serializers.Serializer):
    """A comparison as sourcing/comparison.py builds it."""

    built_at = serializers.DateTimeField()
    brief = ComparedBriefSerializer(allow_null=True, help_text="Null for a standalone shortlist.")
    candidates = ComparedCandidateSerializer(many=True)
    groups = ComparisonGroupSerializer(many=True)


def candidate_ids(raw: str) -> list[int]:
    """`12,15,19` as ids; a 400 on `candidates` for anything else."""
    ids = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            ids.append(int(part))
        except ValueError:
            raise field_error("candidates", NOT_A_LIST.format(value=part[:20])) from None
    return ids


class ComparisonViewSet(viewsets.GenericViewSet):
    """`/api/shortlists/<id>/comparison/` and its files (module docstring)."""

    permission_classes = [IsAuthenticated]
    filter_backends: list = []
    pagination_class = None
    serializer_class = ComparisonSerializer

    def get_queryset(self) -> QuerySet[Shortlist]:
        return Shortlist.objects.for_user(self.request.user).select_related("brief", "organisation")

    def _build(self, request: Request) -> tuple[Shortlist, dict[str, Any]]:
        shortlist = self.get_object()
        ids = candidate_ids(request.query_params.get("candidates", ""))
        try:
            return shortlist, comparisons.build(shortlist, ids, request.user)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None

    @extend_schema(
        summary="Compare two to six candidates side by side",
        description="One column per candidate in the order given; rows grouped (site, fit to "
        "the brief, quality, scores from the run, quote, team scores), each cell with its "
        "text, flag and typed value, each row marked when the candidates differ. Team scores "
        "as you may see them: hidden until you have scored, unless an admin revealed them.",
        parameters=[CANDIDATES],
        responses={
            200: ComparisonSerializer,
            400: FIELD_ERRORS,
            403: NOT_SIGNED_IN,
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get"], url_path="comparison", url_name="comparison")
    def comparison(self, request: Request, pk: str | None = None) -> Response:
        _, comparison = self._build(request)
        return Response(comparison)

    @extend_schema(
        operation_id="shortlists_comparison_export",
        summary="Export a comparison as CSV or XLSX",
        description="A row per row of the comparison (group, label, whether the candidates "
        "differ), a column per candidate; numbers as numbers and dates as dates in XLSX, text "
        "a spreadsheet would run as a formula made inert. After each row where a cell is "
        "flagged, a note row (`<label> — note`) gives each cell's flag in words with the text "
        "the page shows (`expiring: expires 2027-03-01 (in 20 days, within 30)`). Logged on "
        "the shortlist.",
        parameters=[FORMAT, CANDIDATES],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The CSV file."),
            (200, exports.CONTENT_TYPES["xlsx"]): OpenApiResponse(
                OpenApiTypes.BINARY, description="The XLSX file."
            ),
            400: FIELD_ERRORS,
            403: NOT_SIGNED_IN,
            404: NOT_FOUND,
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"comparison/(?P<fmt>csv|xlsx)",
        url_name="comparison-export",
    )
    def export(self, request: Request, pk: str | None = None, fmt: str = "csv") -> HttpResponseBase:
        shortlist, comparison = self._build(request)
        exports.record_export(shortlist, request.user, fmt, compared=comparison["candidates"])
        table = exports.comparison_table(comparison, name=f"shortlist-{shortlist.pk}-comparison")
        return exports.download(table, fmt)
