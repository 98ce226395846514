"""Briefs at `/api/briefs/`: list, create, read, update and delete within the user's organisation.

The queryset is `Brief.objects.for_user`, so another organisation's brief is a 404; a user who
belongs to no organisation lists none and is refused (403) when creating one.

Match runs (matching/runs.py): `POST /api/briefs/<id>/runs/` starts one (202 with its id and
URL), `GET` lists the brief's runs, newest first; `/api/runs/<id>/` gives a run's status,
progress and counts; `/api/runs/<id>/results/` its ranked results once done (409 before), with
the first excluded sites, and `/api/runs/<id>/excluded/` all of them a page at a time;
`POST /api/runs/<id>/retry/` queues a failed run again.
Runs are scoped by `Run.objects.for_user`: another organisation's run is a 404 everywhere.
Changing (writing, updating or deleting a brief, starting or retrying a run) also needs a role
that may change (matching/roles.py): a viewer reads, and is refused every change with a 403.
When the broker is down at the start the run is still accepted (202) and saved QUEUED, and the
answer's `message` says it will start once the queue is back (or on retry). An organisation at
its quota of runs in progress or started today (matching/quotas.py) is answered 429, naming the
limit and when it resets.
"""

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from core.api import FIELD_ERRORS
from core.choices import JobStatus
from core.pagination import CataloguePagination
from matching import quotas, roles, runs, tasks
from matching.api.result_sites import with_sites
from matching.api.run_lists import (
    EXCLUDED_BY,
    ExcludedSitesAction,
    excluded_constraint,
    excluded_sites,
    excluded_url,
    not_done,
)
from matching.api.serializers import (
    BriefSerializer,
    ExcludedResultSerializer,
    RankedResultSerializer,
    RunAcceptedSerializer,
    RunResultsSerializer,
    RunSerializer,
    RunStartSerializer,
)
from matching.duplicate import duplicate_brief
from matching.models import Brief, Result, Run, organisation_of
from matching.validation import stored_brief_errors
from matching.views import NO_ORGANISATION

NOT_FOUND = OpenApiResponse(description="No such brief in your organisation.")
VIEWER_REFUSED = OpenApiResponse(description=roles.VIEWER_REFUSED)
QUOTA_EXCEEDED = OpenApiResponse(
    response={
        "type": "object",
        "properties": {
            "detail": {"type": "string"},
            "limit": {"type": "string", "enum": [quotas.CONCURRENT, quotas.PER_DAY]},
            "maximum": {"type": "integer"},
            "current": {"type": "integer"},
            "resets_at": {"type": "string", "format": "date-time", "nullable": True},
        },
        "required": ["detail", "limit", "maximum", "current", "resets_at"],
    },
    description="Your organisation is at a limit of match runs: `limit` names it "
    "(`concurrent_runs`: queued or running at once; `runs_per_day`: started this UTC day), "
    "`maximum` is the limit and `current` the count. `resets_at` is when the daily count "
    "starts again (also sent as Retry-After, in seconds); null for the concurrent limit, which "
    "frees up when one of the runs finishes.",
)


class ChangesNeedARole(generics.GenericAPIView):
    """A change to an object (any method but GET, HEAD and OPTIONS) is refused (403) to a
    viewer, once the object is found in the user's organisation: another's is still a 404."""

    def check_object_permissions(self, request: Request, obj: object) -> None:
        super().check_object_permissions(request, obj)
        if request.method not in SAFE_METHODS:
            roles.require_change(request.user)


@extend_schema_view(
    list=extend_schema(summary="Your organisation's briefs, most recently edited first"),
    create=extend_schema(
        summary="Write a brief",
        responses={
            201: BriefSerializer,
            400: FIELD_ERRORS,
            403: OpenApiResponse(description="You belong to no organisation, or are a viewer."),
        },
    ),
    retrieve=extend_schema(summary="A brief", responses={200: BriefSerializer, 404: NOT_FOUND}),
    update=extend_schema(
        summary="Replace a brief",
        responses={200: BriefSerializer, 400: FIELD_ERRORS, 403: VIEWER_REFUSED, 404: NOT_FOUND},
    ),
    partial_update=extend_schema(
        summary="Change some fields of a brief",
        responses={200: BriefSerializer, 400: FIELD_ERRORS, 403: VIEWER_REFUSED, 404: NOT_FOUND},
    ),
    destroy=extend_schema(
        summary="Delete a brief", responses={204: None, 403: VIEWER_REFUSED, 404: NOT_FOUND}
    ),
)
class BriefViewSet(ChangesNeedARole, viewsets.ModelViewSet):
    permission_classes = [IsAuthenticated]
    # Set on the actions with a rate of their own (DEFAULT_THROTTLE_RATES), run starts.
    throttle_scope: str | None = None
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
        roles.require_change(request.user)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: BaseSerializer[Brief]) -> None:
        serializer.save(
            organisation=organisation_of(self.request.user), created_by=self.request.user
        )

    def perform_destroy(self, instance: Brief) -> None:
        # Safe while one of its runs writes its results.
        runs.delete_brief(instance)

    @extend_schema(
        summary="Start a match run of the brief",
        description="Scores the whole catalogue in a worker. Answers at once with the run; "
        "follow its `url` for the progress. When the task queue is down the run is saved "
        "and starts once it is back: `message` says so. An organisation may have "
        "MATCHING_MAX_CONCURRENT_RUNS runs queued or running at once (3 unless configured) and "
        "start MATCHING_MAX_RUNS_PER_DAY runs a UTC day (200): beyond either the answer is "
        "429, naming the limit and, for the daily one, when it resets (also as Retry-After).",
        request=RunStartSerializer,
        responses={
            202: RunAcceptedSerializer,
            400: FIELD_ERRORS,
            403: VIEWER_REFUSED,
            404: NOT_FOUND,
            429: QUOTA_EXCEEDED,
        },
    )
    # A run scores the whole catalogue in a worker: a rate of its own (API_RATE_RUN_START).
    @action(
        detail=True, methods=["post"], url_path="runs", url_name="runs", throttle_scope="run-start"
    )
    def start_run(self, request: Request, pk: str | None = None) -> Response:
        brief = self.get_object()
        start = RunStartSerializer(data=request.data)
        start.is_valid(raise_exception=True)
        # A brief saved before a rule existed is not run until corrected: 400 naming the fields.
        problems = stored_brief_errors(brief)
        if problems:
            return Response(problems, status=status.HTTP_400_BAD_REQUEST)
        try:
            run = runs.start_run(brief, request.user, start.validated_data["method"])
        except quotas.QuotaExceeded as exceeded:
            return quota_exceeded(exceeded)
        tasks.send_run(run.pk)
        return accepted(run, request)

    @extend_schema(
        summary="The brief's runs, newest first",
        description="Every run of the brief, a page at a time, each with its status and counts; "
        "follow a run's `results_url` for its results.",
        responses={200: RunSerializer(many=True), 400: FIELD_ERRORS, 404: NOT_FOUND},
    )
    @start_run.mapping.get
    def list_runs(self, request: Request, pk: str | None = None) -> Response:
        brief = self.get_object()
        brief_runs = (
            Run.objects.for_user(request.user)
            .filter(brief=brief)
            .select_related("created_by")
            .order_by("-created_at", "-pk")
        )
        page = self.paginate_queryset(brief_runs)
        data = RunSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="Duplicate the brief",
        description="A copy titled “Copy of …” with every field, term and must-have.",
        request=None,
        responses={201: BriefSerializer, 403: VIEWER_REFUSED, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], url_path="duplicate", url_name="duplicate")
    def duplicate(self, request: Request, pk: str | None = None) -> Response:
        copy = duplicate_brief(self.get_object(), request.user)
        copy = self.get_queryset().get(pk=copy.pk)
        data = self.get_serializer(copy).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})


def quota_exceeded(exceeded: quotas.QuotaExceeded) -> Response:
    """429 naming the limit reached, how many runs count against it and when it resets."""
    retry_after = exceeded.retry_after()
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return Response(exceeded.as_data(), status=status.HTTP_429_TOO_MANY_REQUESTS, headers=headers)


def accepted(run: Run, request: Request) -> Response:
    """202 with the run as it stands after the task was sent (or could not be)."""
    run.refresh_from_db()
    data = RunSerializer(run, context={"request": request}).data
    if run.status == JobStatus.QUEUED and run.error:
        data["message"] = run.error
    elif run.status == JobStatus.QUEUED:
        data["message"] = "The run is queued; follow its url for the progress."
    else:
        data["message"] = f"The run is {run.status}."
    return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": str(data["url"])})


RUN_NOT_FOUND = OpenApiResponse(description="No such run in your organisation.")
NOT_DONE = OpenApiResponse(
    response={"type": "object", "properties": {"detail": {"type": "string"}}},
    description="The run is not done (yet): the detail says where it stands.",
)


class RunViewSet(
    ChangesNeedARole, mixins.RetrieveModelMixin, ExcludedSitesAction, viewsets.GenericViewSet
):
    """Match runs of the user's organisation."""

    permission_classes = [IsAuthenticated]
    # The retry action counts against the run-start rate (accounts/throttling.py).
    throttle_scope: str | None = None
    serializer_class = RunSerializer
    pagination_class = CataloguePagination
    filter_backends: list = []
    # Excluded sites listed with the results; `excluded.count` gives them all, and
    # `/api/runs/<id>/excluded/` pages through them (matching/api/run_lists.py).
    excluded_shown = 100

    def get_queryset(self) -> QuerySet[Run]:
        return Run.objects.for_user(self.request.user).select_related("created_by")

    @extend_schema(
        summary="A match run: status, progress and counts",
        responses={200: RunSerializer, 404: RUN_NOT_FOUND},
    )
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="A done run's results",
        description="The eligible sites by rank (paginated) with each criterion's sub-score, "
        "weight and sentence; then the first excluded sites with the "
        "reason (nearest misses first, or only those one constraint removed), the exclusion "
        "funnel and the suggestion of which must-have to relax. Only the first 100 excluded "
        "sites are listed here, with their `count`; `excluded.url` (`/api/runs/<id>/excluded/`) "
        "pages through them all.",
        parameters=[EXCLUDED_BY],
        responses={
            200: RunResultsSerializer,
            400: FIELD_ERRORS,
            404: RUN_NOT_FOUND,
            409: NOT_DONE,
        },
    )
    @action(detail=True, methods=["get"], url_path="results", url_name="results")
    def results(self, request: Request, pk: str | None = None) -> Response:
        run = self.get_object()
        refused = not_done(run)
        if refused is not None:
            return refused
        constraint = excluded_constraint(request, run)
        ranked = with_sites(Result.objects.of_run(run).filter(eligible=True).order_by("rank"))
        page = self.paginate_queryset(ranked)
        excluded = excluded_sites(run, constraint)
        removed = {step["constraint"]: step["removed"] for step in run.funnel}
        paginated = self.get_paginated_response(
            RankedResultSerializer(page, many=True, context={"request": request}).data
        ).data
        return Response(
            {
                "run": run.pk,
                "method": run.method,
                "catalogue_version": run.catalogue_version,
                **paginated,
                "excluded": {
                    "count": removed[constraint] if constraint else run.excluded or 0,
                    "results": ExcludedResultSerializer(
                        excluded[: self.excluded_shown], many=True, context={"request": request}
                    ).data,
                    "url": excluded_url(request, run, constraint),
                },
                "funnel": run.funnel,
                "relaxation": run.relaxation,
            }
        )

    @extend_schema(
        summary="Queue a failed run again",
        description="A failed run, a queued one (sent again) or one stuck running on a worker "
        "that stopped responding; 409 for a run done, or running on a live worker.",
        request=None,
        responses={
            202: RunAcceptedSerializer,
            403: VIEWER_REFUSED,
            404: RUN_NOT_FOUND,
            409: NOT_DONE,
            429: QUOTA_EXCEEDED,
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="retry",
        url_name="retry",
        throttle_scope="run-start",
    )
    def retry(self, request: Request, pk: str | None = None) -> Response:
        run = self.get_object()
        try:
            retried = runs.retry_run(run)
        except quotas.QuotaExceeded as exceeded:
            return quota_exceeded(exceeded)
        if not retried:
            run.refresh_from_db(fields=["status"])
            return Response({"detail": runs.not_retried(run)}, status=status.HTTP_409_CONFLICT)
        tasks.send_run(run.pk)
        return accepted(run, request)
