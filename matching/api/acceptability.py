"""The rank-acceptability analysis of a run in the API: start one (202), then read its state and,
once done, its result (matching/acceptability.py computes it; matching/engine/smaa.py says how).

    POST /api/runs/<id>/acceptability/   {"sampling": "uniform", "samples": 10000, "seed": 0}
    GET  /api/runs/<id>/acceptability/   the run's newest analysis
"""

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import FIELD_ERRORS
from matching import acceptability, roles, tasks
from matching.models import Acceptability, Run


class CriterionWeightSerializer(serializers.Serializer):
    criterion = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named "label"
    weight = serializers.FloatField(help_text="The brief's weight (0-5 scale).")


class SiteAcceptabilitySerializer(serializers.Serializer):
    site_id = serializers.IntegerField(allow_null=True)
    site_name = serializers.CharField()
    provider_name = serializers.CharField()
    rank = serializers.IntegerField(help_text="The site's rank in the run.")
    first = serializers.FloatField(help_text="Share of weightings ranking it first (0-1).")
    top3 = serializers.FloatField(help_text="Share of weightings ranking it in the top three.")
    top10 = serializers.FloatField(help_text="Share of weightings ranking it in the top ten.")
    central_weights = serializers.DictField(
        child=serializers.FloatField(),
        allow_null=True,
        help_text="The mean weighting (summing to 1, by criterion) of those ranking it first; "
        "null when none does.",
    )


class AcceptabilityResultSerializer(serializers.Serializer):
    method = serializers.CharField(help_text="The run's ranking method, used for every weighting.")
    sampling = serializers.CharField()
    samples = serializers.IntegerField()
    seed = serializers.IntegerField()
    eligible = serializers.IntegerField(help_text="The eligible sites ranked.")
    criteria = CriterionWeightSerializer(many=True, help_text="The criteria weighted.")
    sites = SiteAcceptabilitySerializer(
        many=True,
        help_text="The run's top 20 sites and every other site ranking first under some "
        "weighting, by the run's rank.",
    )


class AcceptabilitySerializer(serializers.ModelSerializer):
    """A rank-acceptability analysis of a run: its state, then its result."""

    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    result = AcceptabilityResultSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Acceptability
        fields = [
            "id",
            "run",
            "created_by",
            "sampling",
            "samples",
            "seed",
            "status",
            "progress",
            "error",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
            "result",
        ]
        read_only_fields = fields


class AcceptabilityStartSerializer(serializers.Serializer):
    sampling = serializers.ChoiceField(
        choices=Acceptability.Sampling.choices,
        default=Acceptability.Sampling.UNIFORM,
        help_text="uniform: every weighting equally likely (uniform on the simplex); around: "
        "a Dirichlet centred on the brief's weights, each weight varying by about a third.",
    )
    samples = serializers.IntegerField(
        default=acceptability.DEFAULT_SAMPLES,
        min_value=acceptability.MIN_SAMPLES,
        max_value=acceptability.MAX_SAMPLES,
    )
    seed = serializers.IntegerField(default=0, min_value=0, max_value=acceptability.MAX_SEED)


NOT_FOUND = OpenApiResponse(description="No such run in your organisation, or no analysis yet.")
NOT_DONE = OpenApiResponse(
    response={"type": "object", "properties": {"detail": {"type": "string"}}},
    description="The run is not done: only a done run's ranking can be analysed.",
)


class RunAcceptabilityView(APIView):
    """The rank acceptability of a run's ranking (SMAA-2)."""

    permission_classes = [IsAuthenticated]
    serializer_class = AcceptabilitySerializer

    def _run(self, request: Request, pk: int) -> Run:
        return get_object_or_404(Run.objects.for_user(request.user), pk=pk)

    @extend_schema(
        summary="A run's newest rank-acceptability analysis: its state, then its result",
        responses={200: AcceptabilitySerializer, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        analysis = acceptability.latest_for(self._run(request, pk))
        if analysis is None:
            return Response(
                {"detail": "No analysis of this run yet: POST here to start one."},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(AcceptabilitySerializer(analysis).data)

    @extend_schema(
        summary="Start a rank-acceptability analysis of a done run",
        description="Samples weightings of the criteria the brief weighs and ranks the run's "
        "eligible sites under each by the run's method. Answers 202 at once; follow the "
        "Location for the progress and the result. The same sampling, samples and seed give "
        "the same result; asking again while that analysis runs answers with it.",
        request=AcceptabilityStartSerializer,
        responses={
            202: AcceptabilitySerializer,
            400: FIELD_ERRORS,
            403: OpenApiResponse(description=roles.VIEWER_REFUSED),
            404: NOT_FOUND,
            409: NOT_DONE,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        run = self._run(request, pk)
        roles.require_change(request.user)
        given = AcceptabilityStartSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        values: dict[str, Any] = dict(given.validated_data)
        try:
            analysis = acceptability.start_analysis(run, request.user, **values)
        except DjangoValidationError as error:
            errors = error.message_dict
            if "run" in errors:
                return Response({"detail": errors["run"][0]}, status=status.HTTP_409_CONFLICT)
            raise ValidationError(errors) from error
        tasks.send_acceptability(analysis.pk)
        location = reverse("matching-api:run-acceptability", kwargs={"pk": run.pk})
        return Response(
            AcceptabilitySerializer(analysis).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": request.build_absolute_uri(location)},
        )
