"""`GET /api/runs/<a>/compare/<b>/`: two done runs of one brief compared
(matching/run_comparison.py).

Both runs are looked up through `Run.objects.for_user`: another organisation's run is a 404.
Runs of different briefs, the same run twice, or a run not done yet are refused with a 400
whose `runs` message says why.
"""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from matching.models import Run
from matching.run_comparison import SHOWN, ComparisonError, compare_runs


class SiteChangeSerializer(serializers.Serializer):
    change = serializers.ChoiceField(choices=["entered", "left", "moved"])
    site = serializers.IntegerField(source="site_id", allow_null=True)
    site_name = serializers.CharField()
    provider_name = serializers.CharField()
    rank_before = serializers.IntegerField(allow_null=True)
    rank_after = serializers.IntegerField(allow_null=True)
    score_before = serializers.FloatField(allow_null=True)
    score_after = serializers.FloatField(allow_null=True)
    places = serializers.IntegerField(
        allow_null=True, help_text="Places gained (positive) or lost; null unless ranked in both."
    )
    why = serializers.CharField(help_text="Why the site's place changed, in a sentence.")
    criterion = serializers.CharField(
        allow_null=True, help_text="The criterion whose sub-score changed most, if one did."
    )


class RunComparisonSerializer(serializers.Serializer):
    before = serializers.IntegerField(source="before.pk", help_text="The earlier run's id.")
    after = serializers.IntegerField(source="after.pk", help_text="The later run's id.")
    brief = serializers.IntegerField(source="before.brief_id")
    catalogue_changed = serializers.BooleanField()
    method_changed = serializers.BooleanField()
    brief_edited_between = serializers.BooleanField()
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text="Why the rankings differ, in sentences."
    )
    entered_count = serializers.IntegerField()
    left_count = serializers.IntegerField()
    moved_count = serializers.IntegerField()
    unchanged_count = serializers.IntegerField()
    entered = SiteChangeSerializer(many=True, help_text=f"At most {SHOWN}, best ranked first.")
    left = SiteChangeSerializer(many=True, help_text=f"At most {SHOWN}, best ranked first.")
    moved = SiteChangeSerializer(many=True, help_text=f"At most {SHOWN}, furthest moved first.")


REFUSED = OpenApiResponse(
    response={
        "type": "object",
        "properties": {"runs": {"type": "array", "items": {"type": "string"}}},
    },
    description="The runs cannot be compared: of different briefs, the same run, or not done.",
)


class RunComparisonView(APIView):
    """Two runs of the same brief: which sites entered, left or moved, and why."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Compare two runs of the same brief",
        responses={
            200: RunComparisonSerializer,
            400: REFUSED,
            404: OpenApiResponse(description="No such run in your organisation."),
        },
    )
    def get(self, request: Request, pk: int, other: int) -> Response:
        found = {
            run.pk: run
            for run in Run.objects.for_user(request.user)
            .select_related("brief")
            .filter(pk__in=(pk, other))
        }
        if pk not in found or other not in found:
            raise Http404("No such run in your organisation.")
        try:
            comparison = compare_runs(found[pk], found[other])
        except ComparisonError as error:
            return Response({"runs": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(RunComparisonSerializer(comparison).data)
