"""Shortlists at `/api/shortlists/` and their candidates at `/api/candidates/`, within the user's
organisation.

Every query starts from `for_user`, so another organisation's shortlist or candidate is a 404 on
every endpoint, changes included. Reading needs only membership; a change needs a role that may
change (matching/roles.py): a viewer is refused with a 403 that says so, after the 404 check and
before the input is read. The changes are sourcing/pipeline.py's, which logs each one; its
ValidationError becomes a 400 naming the fields, like a serializer's.

- `/api/shortlists/`: list (paged), create (a title, optionally a brief of the organisation);
  `/api/shortlists/<id>/`: read with the candidates counted per stage, rename, delete.
- `/api/shortlists/<id>/candidates/`: the candidates (paged, `?stage=`); POST adds sites, from a
  run of the organisation (each keeps its score, rank and breakdown there) or unscored.
- `/api/shortlists/<id>/activity/`: the log, newest first (paged).
- `/api/candidates/<id>/`: read, DELETE removes it from its shortlist; `move/` to a stage or out
  of the race with a reason; `assign/` the owner and due date of its next step; `notes/`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import FIELD_ERRORS, field_error
from core.pagination import CataloguePagination
from matching.models import Membership
from matching.roles import VIEWER_REFUSED, membership_of
from sourcing import pipeline
from sourcing.api.serializers import (
    STAGE_CHOICE,
    ActivitySerializer,
    AddedSerializer,
    AddSitesSerializer,
    AssignSerializer,
    CandidateSerializer,
    MoveSerializer,
    NoteSerializer,
    ShortlistCreateSerializer,
    ShortlistDetailSerializer,
    ShortlistSerializer,
    ShortlistUpdateSerializer,
)
from sourcing.choices import Stage
from sourcing.models import Candidate, Shortlist

NO_ORGANISATION = (
    "Your account does not belong to an organisation, so it has no shortlists and cannot make "
    "one. Ask an administrator to add you to your organisation."
)

# What a candidate's JSON and the pipeline's changes read: no query per candidate.
CANDIDATE_RELATED = ("shortlist", "owner", "added_by", "site__provider")

DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
REFUSED = OpenApiResponse(
    response=DETAIL,
    description="Not signed in, or a viewer (who may read but not change), or a user of no "
    "organisation.",
)
NOT_SIGNED_IN = OpenApiResponse(response=DETAIL, description="Not signed in.")
NOT_FOUND = OpenApiResponse(response=DETAIL, description="No such shortlist in your organisation.")
CANDIDATE_NOT_FOUND = OpenApiResponse(
    response=DETAIL, description="No such candidate in your organisation."
)


def require_change(request: Request) -> Membership:
    """The user's membership if it may change the organisation's work; otherwise a 403 saying
    why: no organisation, or a viewer (matching/roles.py's refusal)."""
    membership = membership_of(request.user)
    if membership is None:
        raise PermissionDenied(NO_ORGANISATION)
    if not membership.can_change:
        raise PermissionDenied(VIEWER_REFUSED)
    return membership


@contextmanager
def pipeline_errors() -> Iterator[None]:
    """The pipeline's ValidationError, keyed by field, as a 400 `{field: [message]}`."""
    try:
        yield
    except DjangoValidationError as error:
        if hasattr(error, "error_dict"):
            raise ValidationError(error.message_dict) from None
        raise ValidationError({"non_field_errors": error.messages}) from None


@extend_schema_view(
    list=extend_schema(
        summary="Your organisation's shortlists, newest first",
        responses={200: ShortlistSerializer(many=True), 400: FIELD_ERRORS, 403: NOT_SIGNED_IN},
    ),
    retrieve=extend_schema(
        summary="A shortlist, with its candidates counted at every stage",
        responses={200: ShortlistDetailSerializer, 403: NOT_SIGNED_IN, 404: NOT_FOUND},
    ),
    destroy=extend_schema(
        summary="Delete a shortlist, its candidates, notes and log",
        responses={204: None, 403: REFUSED, 404: NOT_FOUND},
    ),
)
class ShortlistViewSet(viewsets.ModelViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = ShortlistSerializer
    pagination_class = CataloguePagination
    # Filtering is by organisation only; the catalogue's default filter backend has nothing to do.
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Shortlist]:
        return (
            Shortlist.objects.for_user(self.request.user)
            .select_related("organisation", "created_by")
            .annotate(candidate_count=Count("candidates"))
            # Meta.ordering is not applied to a query that groups, as the count does.
            .order_by("-created_at", "-id")
        )

    def get_serializer_class(self) -> Any:
        if self.action == "retrieve":
            return ShortlistDetailSerializer
        return ShortlistSerializer

    def read(self, shortlist: Shortlist) -> dict[str, Any]:
        """The shortlist as read, counts included."""
        fresh = self.get_queryset().get(pk=shortlist.pk)
        return ShortlistDetailSerializer(fresh, context=self.get_serializer_context()).data

    @extend_schema(
        summary="Make a shortlist",
        description="For a brief of your organisation, or standalone without one. Its log "
        "starts with its making.",
        request=ShortlistCreateSerializer,
        responses={201: ShortlistDetailSerializer, 400: FIELD_ERRORS, 403: REFUSED},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        membership = require_change(request)
        given = ShortlistCreateSerializer(data=request.data, context=self.get_serializer_context())
        given.is_valid(raise_exception=True)
        with pipeline_errors():
            shortlist = pipeline.create_shortlist(
                membership.organisation,
                request.user,
                given.validated_data["title"],
                given.validated_data.get("brief"),
            )
        data = self.read(shortlist)
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})

    @extend_schema(
        summary="Rename a shortlist",
        request=ShortlistUpdateSerializer,
        responses={200: ShortlistDetailSerializer, 400: FIELD_ERRORS, 403: REFUSED, 404: NOT_FOUND},
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        shortlist = self.get_object()
        require_change(request)
        given = ShortlistUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        given.is_valid(raise_exception=True)
        title = given.validated_data.get("title")
        if title is not None and title != shortlist.title:
            shortlist.title = title
            shortlist.save(update_fields=["title", "updated_at"])
        return Response(self.read(shortlist))

    @extend_schema(
        summary="Rename a shortlist (the title is the one field to change)",
        request=ShortlistUpdateSerializer,
        responses={200: ShortlistDetailSerializer, 400: FIELD_ERRORS, 403: REFUSED, 404: NOT_FOUND},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().partial_update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        shortlist = self.get_object()
        require_change(request)
        shortlist.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["GET"],
        summary="A shortlist's candidates",
        description="In the order they were added; `stage` keeps those at one stage.",
        parameters=[
            OpenApiParameter(
                "stage", str, enum=Stage.values, description="Only the candidates at this stage."
            )
        ],
        request=None,
        responses={
            200: CandidateSerializer(many=True),
            400: FIELD_ERRORS,
            403: NOT_SIGNED_IN,
            404: NOT_FOUND,
        },
    )
    @extend_schema(
        methods=["POST"],
        summary="Add sites to a shortlist",
        description="Each site becomes a longlisted candidate. From a run, it keeps its score, "
        "rank and breakdown there, dated; otherwise it is not scored. Sites already on the "
        "shortlist stay as they are and are listed in `already_listed`; when every site was, "
        "nothing is created and the answer is a 200.",
        request=AddSitesSerializer,
        responses={
            201: AddedSerializer,
            200: AddedSerializer,
            400: FIELD_ERRORS,
            403: REFUSED,
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get", "post"], url_path="candidates", url_name="candidates")
    def candidates(self, request: Request, pk: str | None = None) -> Response:
        shortlist = self.get_object()
        if request.method == "POST":
            return self.add_sites(request, shortlist)
        stage = request.query_params.get("stage", "")
        if stage and stage not in Stage.values:
            raise field_error("stage", STAGE_CHOICE.format(input=stage))
        candidates = shortlist.candidates.select_related(*CANDIDATE_RELATED)
        if stage:
            candidates = candidates.filter(stage=stage)
        page = self.paginate_queryset(candidates)
        context = self.get_serializer_context()
        return self.get_paginated_response(
            CandidateSerializer(page, many=True, context=context).data
        )

    def add_sites(self, request: Request, shortlist: Shortlist) -> Response:
        require_change(request)
        context = self.get_serializer_context()
        given = AddSitesSerializer(data=request.data, context=context)
        given.is_valid(raise_exception=True)
        with pipeline_errors():
            added = pipeline.add_sites(
                shortlist,
                given.validated_data["sites"],
                request.user,
                run=given.validated_data.get("run"),
            )
        candidates = CandidateSerializer(added.candidates, many=True, context=context)
        return Response(
            {"candidates": candidates.data, "already_listed": added.already_listed},
            status=status.HTTP_201_CREATED if added.candidates else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="A shortlist's activity log, newest first",
        description="Who did what to which candidate, and when; each entry's summary as it was "
        "true at the time.",
        request=None,
        responses={
            200: ActivitySerializer(many=True),
            400: FIELD_ERRORS,
            403: NOT_SIGNED_IN,
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get"], url_path="activity", url_name="activity")
    def activity(self, request: Request, pk: str | None = None) -> Response:
        shortlist = self.get_object()
        page = self.paginate_queryset(shortlist.activity.select_related("actor"))
        return self.get_paginated_response(ActivitySerializer(page, many=True).data)


@extend_schema_view(
    retrieve=extend_schema(
        summary="A candidate",
        responses={200: CandidateSerializer, 403: NOT_SIGNED_IN, 404: CANDIDATE_NOT_FOUND},
    ),
    destroy=extend_schema(
        summary="Remove a candidate from its shortlist",
        description="Its notes go with it; the log keeps that it was there.",
        responses={204: None, 403: REFUSED, 404: CANDIDATE_NOT_FOUND},
    ),
)
class CandidateViewSet(
    mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    permission_classes = [IsAuthenticated]
    serializer_class = CandidateSerializer
    pagination_class = CataloguePagination
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Candidate]:
        return Candidate.objects.for_user(self.request.user).select_related(*CANDIDATE_RELATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        candidate = self.get_object()
        require_change(request)
        pipeline.remove(candidate, request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Move a candidate to a stage, or out of the race with a reason",
        description="Rejected, declined and on hold need an `exit_reason` (and take an optional "
        "`exit_note`); moving back into the race clears them. Moving to where it already is "
        "changes nothing and logs nothing.",
        request=MoveSerializer,
        responses={
            200: CandidateSerializer,
            400: FIELD_ERRORS,
            403: REFUSED,
            404: CANDIDATE_NOT_FOUND,
        },
    )
    @action(detail=True, methods=["post"], url_path="move", url_name="move")
    def move(self, request: Request, pk: str | None = None) -> Response:
        candidate = self.get_object()
        require_change(request)
        given = MoveSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        with pipeline_errors():
            pipeline.move(candidate, user=request.user, **given.validated_data)
        return Response(CandidateSerializer(candidate, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Assign a candidate's next step: its owner and due date",
        description="Send either or both; a field left out stays as it is, null clears it. The "
        "owner is a member of your organisation; a due date set or changed is today or later.",
        request=AssignSerializer,
        responses={
            200: CandidateSerializer,
            400: FIELD_ERRORS,
            403: REFUSED,
            404: CANDIDATE_NOT_FOUND,
        },
    )
    @action(detail=True, methods=["post"], url_path="assign", url_name="assign")
    def assign(self, request: Request, pk: str | None = None) -> Response:
        candidate = self.get_object()
        require_change(request)
        context = self.get_serializer_context()
        given = AssignSerializer(data=request.data, context=context)
        given.is_valid(raise_exception=True)
        with pipeline_errors():
            pipeline.assign(candidate, request.user, **given.validated_data)
        return Response(CandidateSerializer(candidate, context=context).data)

    @extend_schema(
        methods=["GET"],
        summary="A candidate's notes, newest first",
        request=None,
        responses={
            200: NoteSerializer(many=True),
            400: FIELD_ERRORS,
            403: NOT_SIGNED_IN,
            404: CANDIDATE_NOT_FOUND,
        },
    )
    @extend_schema(
        methods=["POST"],
        summary="Write a note on a candidate",
        request=NoteSerializer,
        responses={201: NoteSerializer, 400: FIELD_ERRORS, 403: REFUSED, 404: CANDIDATE_NOT_FOUND},
    )
    @action(detail=True, methods=["get", "post"], url_path="notes", url_name="notes")
    def notes(self, request: Request, pk: str | None = None) -> Response:
        candidate = self.get_object()
        if request.method == "POST":
            require_change(request)
            given = NoteSerializer(data=request.data)
            given.is_valid(raise_exception=True)
            with pipeline_errors():
                note = pipeline.add_note(candidate, request.user, given.validated_data["text"])
            return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(candidate.notes.select_related("author"))
        return self.get_paginated_response(NoteSerializer(page, many=True).data)
