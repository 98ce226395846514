"""A run's results and a shortlist's candidates as files, through the API, within the user's
organisation (the comparison's file is beside the comparison, sourcing/api/comparison.py):

- `GET /api/runs/<id>/export/csv/` and `…/xlsx/`: every eligible site ranked with its
  sub-scores, then the excluded sites with the must-have each failed.
- `GET /api/shortlists/<id>/export/csv/` and `…/xlsx/`: the candidates with their stages,
  owners, dates, exit reasons, run scores and team scores (as the caller may see them), logged
  on the shortlist as an export.

Viewers may export; another organisation's run or shortlist is a 404. CSV streams; XLSX has
typed cells and a frozen header; text a spreadsheet would run as a formula is made inert.
"""

from django.db.models import QuerySet
from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request

from matching.models import Run
from sourcing import exports
from sourcing.api.views import DETAIL, NOT_FOUND, NOT_SIGNED_IN
from sourcing.models import Shortlist

FORMAT = OpenApiParameter(
    "fmt",
    str,
    OpenApiParameter.PATH,
    enum=list(exports.FORMATS),
    description="The file's format: `csv` (UTF-8, streamed) or `xlsx` (typed cells).",
)
FILES = {
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The CSV file."),
    (200, exports.CONTENT_TYPES["xlsx"]): OpenApiResponse(
        OpenApiTypes.BINARY, description="The XLSX file."
    ),
    403: NOT_SIGNED_IN,
}
EXPORT_PATH = r"export/(?P<fmt>csv|xlsx)"


class RunExportViewSet(viewsets.GenericViewSet):
    """`/api/runs/<id>/export/<fmt>/` (module docstring)."""

    permission_classes = [IsAuthenticated]
    filter_backends: list = []
    pagination_class = None
    serializer_class = None

    def get_queryset(self) -> QuerySet[Run]:
        return Run.objects.for_user(self.request.user)

    @extend_schema(
        operation_id="runs_export",
        summary="Export a run's results as CSV or XLSX",
        description="Every eligible site ranked with its total and per-criterion sub-scores, "
        "then every excluded site with the must-have it failed.",
        parameters=[FORMAT],
        responses={
            **FILES,
            404: OpenApiResponse(response=DETAIL, description="No such run in your organisation."),
        },
    )
    @action(detail=True, methods=["get"], url_path=EXPORT_PATH, url_name="export")
    def export(self, request: Request, pk: str | None = None, fmt: str = "csv") -> HttpResponseBase:
        return exports.download(exports.run_table(self.get_object()), fmt)


class ShortlistExportViewSet(viewsets.GenericViewSet):
    """`/api/shortlists/<id>/export/<fmt>/` (module docstring)."""

    permission_classes = [IsAuthenticated]
    filter_backends: list = []
    pagination_class = None
    serializer_class = None

    def get_queryset(self) -> QuerySet[Shortlist]:
        return Shortlist.objects.for_user(self.request.user).select_related("brief")

    @extend_schema(
        operation_id="shortlists_export",
        summary="Export a shortlist as CSV or XLSX",
        description="A row per candidate: site, provider, stage, exit reason and note, owner, "
        "due date, the score and rank of the run it came from, when it was added, and the "
        "team's mean per criterion and weighted mean as you may see them. Logged on the "
        "shortlist.",
        parameters=[FORMAT],
        responses={**FILES, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], url_path=EXPORT_PATH, url_name="export")
    def export(self, request: Request, pk: str | None = None, fmt: str = "csv") -> HttpResponseBase:
        shortlist = self.get_object()
        exports.record_export(shortlist, request.user, fmt)
        return exports.download(exports.shortlist_table(shortlist, request.user), fmt)
