"""A done run's excluded sites, a page at a time: `/api/runs/<id>/excluded/`.

The run's results (`/api/runs/<id>/results/`) list the first 100 excluded sites with their
count; this endpoint pages through all of them, in the same order, filtered by the same
`excluded_by`. Both answer 409 while the run is not done and 400 naming `excluded_by` when it
is not one of the run's funnel constraints.
"""

from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import FIELD_ERRORS, field_error
from core.choices import JobStatus
from matching.api.result_sites import with_sites
from matching.api.serializers import ExcludedResultSerializer
from matching.models import Result, Run
from matching.results import excluded_results

EXCLUDED_BY = OpenApiParameter(
    "excluded_by",
    str,
    description="Only the excluded sites this funnel constraint removed "
    "(a `constraint` of the run's `funnel`).",
)
NOT_DONE = OpenApiResponse(
    response={"type": "object", "properties": {"detail": {"type": "string"}}},
    description="The run is not done (yet): the detail says where it stands.",
)


def not_done(run: Run) -> Response | None:
    """409 saying where the run stands, unless it is done."""
    if run.status == JobStatus.DONE:
        return None
    where = {
        JobStatus.QUEUED: "is queued",
        JobStatus.RUNNING: f"is running ({run.progress}% done)",
        JobStatus.FAILED: f"failed: {run.error}",
    }[JobStatus(run.status)]
    return Response(
        {"detail": f"The run {where}; results come when it is done.", "status": run.status},
        status=status.HTTP_409_CONFLICT,
    )


def excluded_constraint(request: Request, run: Run) -> str:
    """The `excluded_by` asked for ("" for none), one of the run's funnel constraints."""
    constraint = request.query_params.get("excluded_by", "")
    constraints = [step["constraint"] for step in run.funnel]
    if constraint and constraint not in constraints:
        known = (
            f"The criteria that excluded sites in this run are: {', '.join(constraints)}."
            if constraints
            else "No criterion excluded any site in this run."
        )
        raise field_error("excluded_by", f"Unknown constraint “{constraint}”. {known}")
    return constraint


def excluded_url(request: Request, run: Run, constraint: str) -> str:
    """The first page of the run's excluded sites, by `constraint` when there is one."""
    path = reverse("matching-api:run-excluded", kwargs={"pk": run.pk})
    if constraint:
        path += "?" + urlencode({"excluded_by": constraint})
    return request.build_absolute_uri(path)


def excluded_sites(run: Run, constraint: str) -> QuerySet[Result]:
    """The run's excluded sites in the results' order, with what each item shows."""
    return with_sites(excluded_results(run, constraint))


class ExcludedSitesAction(generics.GenericAPIView):
    """The `excluded` action, mixed into the runs' view set."""

    @extend_schema(
        summary="A done run's excluded sites, a page at a time",
        description="Every excluded site with the reason and the constraint that removed it: "
        "nearest misses first (removed late in the funnel), then by site name; with "
        "`excluded_by`, only those that constraint removed, by site name. `count` is the "
        "total.",
        parameters=[EXCLUDED_BY],
        responses={
            200: ExcludedResultSerializer(many=True),
            400: FIELD_ERRORS,
            404: OpenApiResponse(description="No such run in your organisation."),
            409: NOT_DONE,
        },
    )
    @action(detail=True, methods=["get"], url_path="excluded", url_name="excluded")
    def excluded(self, request: Request, pk: str | None = None) -> Response:
        run = self.get_object()
        refused = not_done(run)
        if refused is not None:
            return refused
        page = self.paginate_queryset(excluded_sites(run, excluded_constraint(request, run)))
        data = ExcludedResultSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)
