"""A shortlist's decision records at `/api/shortlists/<id>/decisions/`, within the user's
organisation.

- `GET /api/shortlists/<id>/decisions/`: the records, newest first (paged), each with what was
  chosen and why, who decided and when, and whether it stands.
- `POST /api/shortlists/<id>/decisions/`: record a decision (sourcing/decisions.py's `decide`):
  one candidate, or two for dual sourcing, and the rationale. Recording the decision shows the
  team's scores to everyone in the organisation (the record keeps every member's scores).
- `GET /api/shortlists/<id>/decisions/<number>/`: one record with its frozen snapshot (the
  brief as it was, the run's scores, the comparison, the quotes, the team scores, the notes).
- `POST /api/shortlists/<id>/decisions/<number>/reopen/`: reopen the standing decision, with a
  reason.

Another organisation's shortlist is a 404; a viewer reads and gets a 403 on each change, after
the 404 check and before the input is read; bad input is a 400 naming the field.
"""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.pagination import CataloguePagination
from sourcing import decisions
from sourcing.api.serializers import UserSerializer
from sourcing.api.views import (
    FIELD_ERRORS,
    NOT_FOUND,
    NOT_SIGNED_IN,
    REFUSED,
    pipeline_errors,
    require_change,
)
from sourcing.models import (
    RATIONALE_MAX_LENGTH,
    REOPEN_REASON_MAX_LENGTH,
    Decision,
    Shortlist,
)

CHOSEN_KEYS = ("candidate_id", "site_name", "provider_name", "previous_stage")


def _id() -> serializers.IntegerField:
    # Within a BigAutoField's range: a larger number is no candidate, not a database error.
    return serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class ChosenSerializer(serializers.Serializer):
    """A chosen candidate as the record keeps it (its names as they were)."""

    candidate_id = serializers.IntegerField()
    site_name = serializers.CharField()
    provider_name = serializers.CharField()
    previous_stage = serializers.CharField(
        help_text="Its stage before the decision (one of a candidate's stages); reopening "
        "restores it."
    )


class DecisionSerializer(serializers.ModelSerializer):
    """A decision record: what was chosen and why, who decided and when, and whether it stands
    (`reopened_at` null) or was reopened, by whom and why."""

    url = serializers.SerializerMethodField()
    shortlist: serializers.PrimaryKeyRelatedField[Shortlist] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    chosen = serializers.SerializerMethodField()
    decided_by = UserSerializer(read_only=True, allow_null=True)
    decided_by_name = serializers.CharField(
        read_only=True, help_text="The user name of who decided, as it was then."
    )
    standing = serializers.BooleanField(read_only=True)
    reopened_by = UserSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            "url",
            "shortlist",
            "number",
            "chosen",
            "rationale",
            "decided_by",
            "decided_by_name",
            "decided_at",
            "standing",
            "reopened_at",
            "reopened_by",
            "reopen_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, decision: Decision) -> str:
        path = reverse(
            "sourcing-api:decision-detail",
            kwargs={"shortlist_pk": decision.shortlist_id, "number": decision.number},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(ChosenSerializer(many=True))
    def get_chosen(self, decision: Decision) -> list[dict[str, Any]]:
        return [
            {key: entry.get(key) for key in CHOSEN_KEYS}
            for entry in decision.snapshot.get("chosen", [])
        ]


class DecisionDetailSerializer(DecisionSerializer):
    snapshot = serializers.JSONField(
        read_only=True,
        help_text="What the decision was made on, frozen: `brief` (every field and criterion as "
        "it was; null for a standalone shortlist), `run` (the run the scores came from), "
        "`candidates` (each compared candidate: names, stage before, owner, run score, rank, "
        "breakdown), `shortlist` (every candidate on the shortlist then, "
        "out of the race included: names, stage, exit reason, whether chosen and compared), "
        "`chosen`, `comparison` (as GET .../compare/ gives it; null when one "
        "candidate alone was considered), `quotes`, `team_scores` and `notes`.",
    )

    class Meta(DecisionSerializer.Meta):
        fields = [*DecisionSerializer.Meta.fields, "snapshot"]
        read_only_fields = fields


class DecideSerializer(serializers.Serializer):
    """What POST /api/shortlists/<id>/decisions/ accepts."""

    # Too few, too many or the wrong candidates are the domain's to refuse, with its message.
    chosen = serializers.ListField(
        child=_id(), help_text="The chosen candidates' ids: one, or two for dual sourcing."
    )
    rationale = serializers.CharField(
        allow_blank=True, max_length=RATIONALE_MAX_LENGTH, help_text="Why these were chosen."
    )
    compared = serializers.ListField(
        child=_id(),
        required=False,
        allow_null=True,
        help_text="The candidates whose comparison the record keeps, the chosen included, at "
        "most six; by default the chosen and every other candidate still in the race.",
    )


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(
        allow_blank=True,
        max_length=REOPEN_REASON_MAX_LENGTH,
        help_text="Why the decision no longer stands; kept with the record.",
    )


SHORTLIST_PARAMETER = OpenApiParameter(
    "shortlist_pk", int, OpenApiParameter.PATH, description="The shortlist's id."
)
NUMBER_PARAMETER = OpenApiParameter(
    "number", int, OpenApiParameter.PATH, description="The decision's number on the shortlist."
)


@extend_schema(parameters=[SHORTLIST_PARAMETER])
@extend_schema_view(
    list=extend_schema(
        summary="A shortlist's decision records, newest first",
        responses={
            200: DecisionSerializer(many=True),
            400: FIELD_ERRORS,
            403: NOT_SIGNED_IN,
            404: NOT_FOUND,
        },
    ),
    retrieve=extend_schema(
        summary="A decision record, with what it was made on",
        parameters=[NUMBER_PARAMETER],
        responses={200: DecisionDetailSerializer, 403: NOT_SIGNED_IN, 404: NOT_FOUND},
    ),
)
class DecisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = DecisionSerializer
    pagination_class = CataloguePagination
    filter_backends: list = []
    lookup_field = "number"
    lookup_value_regex = r"\d+"

    def shortlist(self) -> Shortlist:
        """The shortlist named in the URL, of the user's organisation (else a 404)."""
        return get_object_or_404(
            Shortlist.objects.for_user(self.request.user), pk=self.kwargs["shortlist_pk"]
        )

    def get_queryset(self) -> QuerySet[Decision]:
        if getattr(self, "swagger_fake_view", False):
            return Decision.objects.none()
        return (
            Decision.objects.filter(shortlist=self.shortlist())
            .select_related("decided_by", "reopened_by")
            .order_by("-number")
        )

    def get_serializer_class(self) -> Any:
        if self.action == "retrieve":
            return DecisionDetailSerializer
        return DecisionSerializer

    @extend_schema(
        summary="Record a decision",
        description="Recording the decision shows the team's scores to everyone in the "
        "organisation: it reveals them (as an administrator can, logged in the activity) and the "
        "record keeps every member's scores. "
        "Selects one candidate, or two for dual sourcing, with the rationale, and "
        "freezes what the decision was made on. The chosen move to “selected”. Refused while "
        "the shortlist has a standing decision: reopen it first.",
        request=DecideSerializer,
        responses={201: DecisionDetailSerializer, 400: FIELD_ERRORS, 403: REFUSED, 404: NOT_FOUND},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        shortlist = self.shortlist()
        require_change(request)
        given = DecideSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        with pipeline_errors():
            decision = decisions.decide(
                shortlist,
                request.user,
                given.validated_data["chosen"],
                given.validated_data["rationale"],
                compared_ids=given.validated_data.get("compared") or None,
            )
        data = DecisionDetailSerializer(decision, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})

    @extend_schema(
        summary="Reopen the standing decision",
        description="The record stays as it was, marked reopened with the reason; the chosen go "
        "back to the stage they had before. The next decision is a new record.",
        parameters=[NUMBER_PARAMETER],
        request=ReopenSerializer,
        responses={200: DecisionSerializer, 400: FIELD_ERRORS, 403: REFUSED, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], url_path="reopen", url_name="reopen")
    def reopen(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        decision = self.get_object()
        require_change(request)
        given = ReopenSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        with pipeline_errors():
            decisions.reopen(decision, request.user, given.validated_data["reason"])
        decision.refresh_from_db()
        return Response(DecisionSerializer(decision, context=self.get_serializer_context()).data)
