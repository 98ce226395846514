"""Team scoring in the JSON API, within the user's organisation.

- `/api/shortlists/<id>/criteria/`: GET the shortlist's evaluation criteria in order; PUT makes
  them the list sent (rename, reweigh, reorder, add; a criterion left out is removed, and one
  that has scores only with `"delete_scores": true`, which deletes its scores too).
- `/api/shortlists/<id>/scores/`: GET the team's scores of every candidate, as far as the user
  may see them; `scores/reveal/`: POST shows them to everyone (admins only).
- `/api/candidates/<id>/scores/`: GET the user's own scores of the candidate and the team's where
  visible; PUT sets the user's own (a value of null removes one, back to missing).

A member sees the others' scores of a candidate once she has scored it on every criterion, or
once an admin has revealed them; a viewer once revealed (sourcing/scoring.py decides). Lookups go
through `for_user`, so another organisation's shortlist or candidate is a 404; a change needs a
role that may change (a viewer gets a 403), revealing needs an admin; bad input is a 400 naming
the field, e.g. `{"scores": {"0": {"value": ["Scores run from 1 to 5."]}}}`.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from matching.choices import Role
from sourcing import scoring
from sourcing.api.serializers import UserSerializer
from sourcing.api.views import (
    CANDIDATE_NOT_FOUND,
    DETAIL,
    NOT_FOUND,
    NOT_SIGNED_IN,
    REFUSED,
    require_change,
)
from sourcing.models import Candidate, Criterion, Score, Shortlist

ERRORS = OpenApiResponse(
    response={"type": "object", "additionalProperties": True},
    description="Bad input: the messages for each offending field, keyed by its name; in a "
    "list, keyed by the item's index (from 0).",
)
NOT_ADMIN = OpenApiResponse(
    response=DETAIL,
    description="Not signed in, or not an administrator of the organisation.",
)


# --- Shapes --------------------------------------------------------------------------------------


class CriterionSerializer(serializers.ModelSerializer):
    """One of the shortlist's evaluation criteria; `position` is its place, from 0."""

    class Meta:
        model = Criterion
        fields = ["id", "name", "weight", "position"]


class CriterionInputSerializer(serializers.Serializer):
    """A criterion to keep or add: `id` names one to keep (and rename); without it, a
    criterion of the same name is kept, or a new one is made."""

    id = serializers.IntegerField(required=False, allow_null=True)
    name = serializers.CharField(allow_blank=True, trim_whitespace=True, max_length=100)
    weight = serializers.IntegerField(
        error_messages={"invalid": "A weight is a whole number from 1 to 100."}
    )


class CriteriaInputSerializer(serializers.Serializer):
    criteria = CriterionInputSerializer(many=True, allow_empty=True)
    delete_scores = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Confirms that a criterion left out which has scores is removed with its "
        "scores. Without it, such a removal is refused (a 400 naming the criterion and how many "
        "scores would be deleted) and nothing changes.",
    )


CONFIRM_REMOVAL = ' Send "delete_scores": true to confirm.'


class ScoreValueSerializer(serializers.Serializer):
    """A score given on a criterion."""

    criterion = serializers.IntegerField()
    value = serializers.IntegerField()


class MemberScoreSerializer(serializers.Serializer):
    """A member's scores of a candidate; a criterion not scored is absent from `scores`.
    `weighted`: the member's weighted mean over the criteria they scored."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    scores = ScoreValueSerializer(many=True)
    weighted = serializers.FloatField(allow_null=True)


class CriterionMeanSerializer(serializers.Serializer):
    """The team's mean on a criterion (null when nobody scored it), and whether members'
    scores on it are 2 or more apart."""

    criterion = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)
    disagreement = serializers.BooleanField()


class TeamScoreSerializer(serializers.Serializer):
    """The team's scores of a candidate. While `visible` is false (the user has not scored it on
    every criterion, or is a viewer, and nobody revealed them) `members` is empty and the means
    null. `weighted_mean` = Σ(weight * criterion's mean) / Σ(weight) over the criteria someone
    scored; a missing score is left out, never counted as zero."""

    candidate = serializers.IntegerField()
    visible = serializers.BooleanField()
    scored_by = serializers.IntegerField(help_text="Members who scored it on every criterion.")
    rated_by = serializers.IntegerField(
        help_text="Members who scored it on one criterion or more (the weighted mean's coverage)."
    )
    members_total = serializers.IntegerField(help_text="Members who may score it.")
    weight_covered = serializers.FloatField(
        allow_null=True,
        help_text="The share (0 to 1) of the criteria's total weight with at least one score: "
        "what the weighted mean stands on. Null while not visible.",
    )
    weighted_mean = serializers.FloatField(allow_null=True)
    criteria = CriterionMeanSerializer(many=True)
    members = MemberScoreSerializer(many=True)


class OwnScoreSerializer(serializers.Serializer):
    """One of the user's own scores, with its comment."""

    criterion = serializers.IntegerField()
    value = serializers.IntegerField()
    comment = serializers.CharField(allow_blank=True)


class CandidateScoresSerializer(serializers.Serializer):
    """A candidate's scores as the user sees them: their own (null for a viewer) and the team's."""

    candidate = serializers.IntegerField()
    criteria = CriterionSerializer(many=True)
    revealed = serializers.BooleanField()
    own = OwnScoreSerializer(many=True, allow_null=True)
    team = TeamScoreSerializer()


class ShortlistScoresSerializer(serializers.Serializer):
    """Every candidate's team scores on a shortlist, as the user sees them."""

    criteria = CriterionSerializer(many=True)
    revealed = serializers.BooleanField()
    revealed_at = serializers.DateTimeField(allow_null=True)
    revealed_by = UserSerializer(allow_null=True)
    candidates = TeamScoreSerializer(many=True)


class ScoreInputSerializer(serializers.Serializer):
    """A score to give: 1 to 5, or null to remove it (back to missing)."""

    criterion = serializers.IntegerField(
        error_messages={"invalid": "Give the criterion as its id, a whole number."}
    )
    value = serializers.IntegerField(
        allow_null=True,
        error_messages={
            "invalid": scoring.SCORE_RANGE,
            "min_value": scoring.SCORE_RANGE,
            "max_value": scoring.SCORE_RANGE,
        },
        min_value=1,
        max_value=5,
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=500, trim_whitespace=True
    )


class ScoresInputSerializer(serializers.Serializer):
    scores = ScoreInputSerializer(many=True, allow_empty=True)


def _team(score: scoring.CandidateTeamScore) -> dict[str, Any]:
    return {
        "candidate": score.candidate_id,
        "visible": score.visible,
        "scored_by": score.scored_by,
        "rated_by": score.rated_by,
        "members_total": score.members_total,
        "weight_covered": score.weight_covered,
        "weighted_mean": score.weighted_mean,
        "criteria": [
            {
                "criterion": cid,
                "mean": mean,
                "disagreement": score.disagreement.get(cid, False),
            }
            for cid, mean in score.criterion_means.items()
        ],
        "members": [
            {
                "id": member.member_id,
                "name": member.member_name,
                "scores": [{"criterion": c, "value": v} for c, v in member.values.items()],
                "weighted": member.weighted,
            }
            for member in score.members
        ],
    }


def _row_errors(by_row: dict[int, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
    """Errors of a list's items keyed by the item's index, as DRF's list serializers give them."""
    return {str(index): errors for index, errors in sorted(by_row.items())}


def _criterion_key(key: str) -> int | None:
    """A criterion's id as sourcing/scoring.py keys its errors (negative ones included), or
    None for another key."""
    try:
        return int(key)
    except ValueError:
        return None


# --- Views ---------------------------------------------------------------------------------------


class ShortlistScoringViewSet(viewsets.GenericViewSet):
    """A shortlist's criteria, its team scores and their reveal."""

    permission_classes = [IsAuthenticated]
    serializer_class = CriterionSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Shortlist]:
        return Shortlist.objects.for_user(self.request.user).select_related(
            "organisation", "scores_revealed_by"
        )

    @extend_schema(
        methods=["GET"],
        summary="A shortlist's evaluation criteria, in order",
        request=None,
        responses={200: CriterionSerializer(many=True), 403: NOT_SIGNED_IN, 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Set a shortlist's evaluation criteria",
        description="The criteria become the list sent, in its order: an item with an `id` keeps "
        "that criterion (renamed, reweighed); without one, a criterion of the same name is kept, "
        "or a new one made. A criterion left out is removed; one that has scores only with "
        '`"delete_scores": true` (its scores are deleted with it), otherwise the whole change is '
        "refused with a message naming it and how many scores would go. Names are unique, "
        'weights run from 1 to 100. Errors name the item by its index: `{"criteria": {"1": '
        '{"weight": ["A weight runs from 1 to 100."]}}}`.',
        request=CriteriaInputSerializer,
        responses={
            200: CriterionSerializer(many=True),
            400: ERRORS,
            403: REFUSED,
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get", "put"], url_path="criteria", url_name="criteria")
    def criteria(self, request: Request, pk: str | None = None) -> Response:
        shortlist = self.get_object()
        if request.method == "PUT":
            require_change(request)
            given = CriteriaInputSerializer(data=request.data)
            given.is_valid(raise_exception=True)
            rows = given.validated_data["criteria"]
            try:
                scoring.set_criteria(
                    shortlist,
                    request.user,
                    [(row["name"], row["weight"], row.get("id")) for row in rows],
                    delete_scores=given.validated_data["delete_scores"],
                )
            except DjangoValidationError as error:
                by_row: dict[int, dict[str, list[str]]] = {}
                whole: list[str] = []
                for key, messages in error.message_dict.items():
                    parts = key.split(".")
                    if len(parts) == 3:
                        by_row.setdefault(int(parts[1]), {})[parts[2]] = messages
                    elif parts[0] == "removed":
                        whole.extend(message + CONFIRM_REMOVAL for message in messages)
                    else:
                        whole.extend(messages)
                raise ValidationError({"criteria": whole or _row_errors(by_row)}) from None
        return Response(CriterionSerializer(shortlist.criteria.all(), many=True).data)

    @extend_schema(
        summary="The team's scores of every candidate on a shortlist",
        description="In the order the candidates were added; each as far as you may see it "
        "(see the candidate's scores).",
        request=None,
        responses={200: ShortlistScoresSerializer, 403: NOT_SIGNED_IN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], url_path="scores", url_name="scores")
    def scores(self, request: Request, pk: str | None = None) -> Response:
        return Response(self.read(request, self.get_object()))

    def read(self, request: Request, shortlist: Shortlist) -> dict[str, Any]:
        ids = list(shortlist.candidates.order_by("created_at", "id").values_list("pk", flat=True))
        team = scoring.team_scores(shortlist, ids, request.user)
        data = {
            "criteria": team.criteria,
            "revealed": team.revealed,
            "revealed_at": shortlist.scores_revealed_at,
            "revealed_by": shortlist.scores_revealed_by,
            "candidates": [_team(team.by_candidate[cid]) for cid in ids],
        }
        return ShortlistScoresSerializer(data).data

    @extend_schema(
        summary="Reveal a shortlist's team scores to everyone",
        description="Administrators only: every member, and viewers, then see every score. "
        "Revealing again changes nothing.",
        request=None,
        responses={200: ShortlistScoresSerializer, 403: NOT_ADMIN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], url_path="scores/reveal", url_name="scores-reveal")
    def reveal(self, request: Request, pk: str | None = None) -> Response:
        shortlist = self.get_object()
        membership = require_change(request)
        if membership.role != Role.ADMIN:
            raise PermissionDenied(scoring.ADMIN_ONLY)
        scoring.reveal(shortlist, request.user)
        return Response(self.read(request, shortlist))


class CandidateScoringViewSet(viewsets.GenericViewSet):
    """A candidate's scores: the user's own and the team's."""

    permission_classes = [IsAuthenticated]
    serializer_class = CandidateScoresSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Candidate]:
        return Candidate.objects.for_user(self.request.user).select_related(
            "shortlist__organisation"
        )

    def read(self, request: Request, candidate: Candidate) -> dict[str, Any]:
        team = scoring.team_scores(candidate.shortlist, [candidate.pk], request.user)
        score = team.by_candidate[candidate.pk]
        own = None
        if score.own is not None:
            comments = dict(
                Score.objects.filter(candidate=candidate, member_id=request.user.pk).values_list(
                    "criterion_id", "comment"
                )
            )
            own = [
                {"criterion": cid, "value": value, "comment": comments.get(cid, "")}
                for cid, value in score.own.values.items()
            ]
        data = {
            "candidate": candidate.pk,
            "criteria": team.criteria,
            "revealed": team.revealed,
            "own": own,
            "team": _team(score),
        }
        return CandidateScoresSerializer(data).data

    @extend_schema(
        methods=["GET"],
        summary="A candidate's scores: yours, and the team's where you may see them",
        description="`own` is null for a viewer. The team's scores are visible once you have "
        "scored the candidate on every criterion, or once an admin has revealed them (viewers: "
        "once revealed).",
        request=None,
        responses={200: CandidateScoresSerializer, 403: NOT_SIGNED_IN, 404: CANDIDATE_NOT_FOUND},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Score a candidate",
        description="Each item scores the candidate on one of the shortlist's criteria from 1 to "
        "5, or removes your score with a null `value`; a criterion not sent is left as it is. "
        'Errors name the item by its index: `{"scores": {"0": {"value": ["Scores run from '
        '1 to 5."]}}}`; '
        "nothing is saved then.",
        request=ScoresInputSerializer,
        responses={
            200: CandidateScoresSerializer,
            400: ERRORS,
            403: REFUSED,
            404: CANDIDATE_NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get", "put"], url_path="scores", url_name="scores")
    def scores(self, request: Request, pk: str | None = None) -> Response:
        candidate = self.get_object()
        if request.method == "PUT":
            require_change(request)
            given = ScoresInputSerializer(data=request.data)
            given.is_valid(raise_exception=True)
            rows = given.validated_data["scores"]
            by_row: dict[int, dict[str, list[str]]] = {}
            index_of: dict[int, int] = {}
            for index, row in enumerate(rows):
                if row["criterion"] in index_of:
                    by_row[index] = {"criterion": ["This criterion is scored twice."]}
                index_of[row["criterion"]] = index
            if by_row:
                raise ValidationError({"scores": _row_errors(by_row)})
            values = {row["criterion"]: row["value"] for row in rows}
            comments = {row["criterion"]: row["comment"] for row in rows if "comment" in row}
            try:
                scoring.score(candidate, request.user, values, comments)
            except DjangoValidationError as error:
                whole: list[str] = []
                for key, messages in error.message_dict.items():
                    criterion_id = _criterion_key(key)
                    found = index_of.get(criterion_id) if criterion_id is not None else None
                    if found is None:
                        whole.extend(messages)
                        continue
                    field = "value" if messages == [scoring.SCORE_RANGE] else "criterion"
                    if "comment" in messages[0]:
                        field = "comment"
                    by_row.setdefault(found, {})[field] = messages
                errors: dict[str, Any] = {}
                if by_row:
                    errors["scores"] = _row_errors(by_row)
                if whole:
                    errors["non_field_errors"] = whole
                raise ValidationError(errors) from None
        return Response(self.read(request, candidate))
