"""JSON shapes of shortlists, candidates, notes and the activity log, and of the changes the API
accepts (sourcing/pipeline.py makes them and checks the rules).

Ids sent by the client (a brief, a run, an owner) are looked up among the user's organisation's
only: another organisation's is "no such id", a 400 naming the field. The serializers read only
what the views select: none of them queries the database per row (a shortlist's detail counts
its stages in one query of its own).
"""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from matching.api.serializers import BreakdownSerializer
from matching.models import Brief, Run
from sourcing.choices import EXITS, PIPELINE, ExitReason, Stage
from sourcing.models import (
    EXIT_NOTE_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    Activity,
    Candidate,
    Note,
    Shortlist,
)

STAGE_CHOICE = "Unknown stage “{input}”: use one of " + ", ".join(Stage.values) + "."
EXIT_REASON_CHOICE = "Unknown reason “{input}”: use one of " + ", ".join(ExitReason.values) + "."


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """An id among what `scope` gives the requesting user: their organisation's objects. The
    field's `queryset` (all of them) only tells the schema the model."""

    def __init__(
        self, what: str, scope: Callable[[Any], QuerySet], not_found: str = "", **kwargs: Any
    ) -> None:
        self.scope = scope
        kwargs.setdefault(
            "error_messages",
            {
                "does_not_exist": not_found
                or f"No {what} of your organisation has the id {{pk_value}}.",
                "incorrect_type": f"Give the {what} as its id, a whole number.",
            },
        )
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        return self.scope(self.context["request"].user)


def members_alongside(user: Any) -> QuerySet[User]:
    """The members of the user's organisation, the user included."""
    return User.objects.filter(membership__organisation__memberships__user=user)


class UserSerializer(serializers.ModelSerializer):
    """A user, as the organisation's members see each other."""

    class Meta:
        model = User
        fields = ["id", "username"]
        read_only_fields = fields


# --- Shortlists ----------------------------------------------------------------------------------


class ShortlistSerializer(serializers.ModelSerializer):
    """A shortlist as the list gives it. `candidate_count` counts every candidate, out of the
    race too."""

    url = serializers.HyperlinkedIdentityField(view_name="sourcing-api:shortlist-detail")
    candidates_url = serializers.HyperlinkedIdentityField(
        view_name="sourcing-api:shortlist-candidates"
    )
    activity_url = serializers.HyperlinkedIdentityField(view_name="sourcing-api:shortlist-activity")
    organisation: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    brief: serializers.PrimaryKeyRelatedField[Brief] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The brief the shortlist answers, or null."
    )
    created_by = UserSerializer(read_only=True, allow_null=True)
    candidate_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Shortlist
        fields = [
            "id",
            "url",
            "candidates_url",
            "activity_url",
            "title",
            "organisation",
            "brief",
            "created_by",
            "candidate_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class StageCountSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    # A declared field named like Field.label: the serializer's metaclass moves declared fields
    # out of the class's attributes, so the two never meet at runtime.
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()
    in_the_race = serializers.BooleanField(help_text="False for the ways out of the race.")


class ShortlistDetailSerializer(ShortlistSerializer):
    """A shortlist with its candidates counted at every stage: the pipeline's steps in order,
    then the ways out of the race."""

    stages = serializers.SerializerMethodField()

    class Meta(ShortlistSerializer.Meta):
        fields = [*ShortlistSerializer.Meta.fields, "stages"]
        read_only_fields = fields

    @extend_schema_field(StageCountSerializer(many=True))
    def get_stages(self, shortlist: Shortlist) -> list[dict[str, Any]]:
        counts = dict(
            shortlist.candidates.order_by()
            .values("stage")
            .annotate(count=Count("id"))
            .values_list("stage", "count")
        )
        return [
            {
                "stage": stage.value,
                "label": stage.label,
                "count": counts.get(stage.value, 0),
                "in_the_race": stage not in EXITS,
            }
            for stage in (*PIPELINE, *EXITS)
        ]


class ShortlistCreateSerializer(serializers.Serializer):
    """What POST /api/shortlists/ accepts: a title, and the brief it answers if any."""

    # Blank titles are the pipeline's to refuse, with its message.
    title = serializers.CharField(max_length=200, allow_blank=True)
    brief = ScopedPrimaryKeyField(
        "brief",
        Brief.objects.for_user,
        queryset=Brief.objects.all(),
        required=False,
        allow_null=True,
        help_text="A brief of your organisation; leave it out for a standalone shortlist.",
    )


class ShortlistUpdateSerializer(serializers.Serializer):
    """What PUT and PATCH /api/shortlists/<id>/ accept: the title."""

    title = serializers.CharField(
        max_length=200, error_messages={"blank": "Give the shortlist a title."}
    )


# --- Candidates ----------------------------------------------------------------------------------


class CandidateSerializer(serializers.ModelSerializer):
    """A site on a shortlist: where it is, who takes its next step and by when, and the score,
    rank and breakdown it had in the run it was added from (all null when it was added without
    one: "not scored"). `site` is null once the catalogue has deleted the site; its names stay."""

    url = serializers.HyperlinkedIdentityField(view_name="sourcing-api:candidate-detail")
    shortlist: serializers.PrimaryKeyRelatedField[Shortlist] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    site: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    provider = serializers.SerializerMethodField()
    exit_reason = serializers.ChoiceField(
        choices=ExitReason.choices,
        allow_blank=True,
        read_only=True,
        help_text="Why it is out of the race; empty while it is in it.",
    )
    owner = UserSerializer(read_only=True, allow_null=True)
    overdue = serializers.BooleanField(
        read_only=True, help_text="The next step is past due and the candidate still in the race."
    )
    run: serializers.PrimaryKeyRelatedField[Run] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    breakdown = BreakdownSerializer(many=True, read_only=True)
    added_by = UserSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Candidate
        fields = [
            "id",
            "url",
            "shortlist",
            "site",
            "site_name",
            "provider",
            "provider_name",
            "stage",
            "exit_reason",
            "exit_note",
            "owner",
            "due_on",
            "overdue",
            "run",
            "score",
            "rank",
            "breakdown",
            "scored_at",
            "added_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_provider(self, candidate: Candidate) -> str | None:
        """The provider's slug (see /api/providers/<slug>/), null once the site is deleted."""
        return candidate.site.provider.slug if candidate.site else None


class AddSitesSerializer(serializers.Serializer):
    """What POST /api/shortlists/<id>/candidates/ accepts: the sites to add, and the run they
    were picked from, whose score, rank and breakdown each keeps."""

    # An empty list is the pipeline's to refuse, with its message.
    sites = serializers.ListField(
        # Within a BigAutoField's range: a larger number is no site, not a database error.
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        help_text="Site ids, at most 200.",
    )
    run = ScopedPrimaryKeyField(
        "run",
        Run.objects.for_user,
        queryset=Run.objects.all(),
        required=False,
        allow_null=True,
        help_text="A run of your organisation; leave it out for sites added unscored.",
    )


class AddedSerializer(serializers.Serializer):
    candidates = CandidateSerializer(many=True, help_text="The candidates created, longlisted.")
    already_listed = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of the sites already on the shortlist."
    )


class MoveSerializer(serializers.Serializer):
    """What POST /api/candidates/<id>/move/ accepts. A stage out of the race (rejected, declined,
    on hold) needs a reason; moving back into the race clears it."""

    stage = serializers.ChoiceField(
        choices=Stage.choices, error_messages={"invalid_choice": STAGE_CHOICE}
    )
    exit_reason = serializers.ChoiceField(
        choices=ExitReason.choices,
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid_choice": EXIT_REASON_CHOICE},
        help_text="Needed for " + ", ".join(EXITS) + "; ignored otherwise.",
    )
    exit_note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=EXIT_NOTE_MAX_LENGTH
    )


class AssignSerializer(serializers.Serializer):
    """What POST /api/candidates/<id>/assign/ accepts: either or both; a field left out stays."""

    owner = ScopedPrimaryKeyField(
        "owner",
        members_alongside,
        "No member of your organisation has the id {pk_value}: the owner must be a member "
        "of the organisation.",
        queryset=User.objects.all(),
        required=False,
        allow_null=True,
        help_text="A member's user id; null for nobody.",
    )
    due_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="When the next step is due: today or later; null for no date.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send the owner, the due date or both.")
        return attrs


# --- Notes and the log ---------------------------------------------------------------------------


class NoteSerializer(serializers.ModelSerializer):
    """A member's note on a candidate."""

    author = UserSerializer(read_only=True, allow_null=True)
    # A blank note is the pipeline's to refuse, with its message.
    text = serializers.CharField(allow_blank=True, max_length=NOTE_MAX_LENGTH)

    class Meta:
        model = Note
        fields = ["id", "candidate", "author", "text", "created_at"]
        read_only_fields = ["id", "candidate", "author", "created_at"]


class ActivitySerializer(serializers.ModelSerializer):
    """An entry of a shortlist's log: the actor, the verb, and the rest of the sentence as it
    was true then. `candidate` is null when the candidate has since been removed."""

    actor = UserSerializer(read_only=True, allow_null=True)
    candidate: serializers.PrimaryKeyRelatedField[Candidate] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    sentence = serializers.SerializerMethodField()

    class Meta:
        model = Activity
        fields = ["id", "actor", "verb", "summary", "sentence", "candidate", "detail", "created_at"]
        read_only_fields = fields

    def get_sentence(self, activity: Activity) -> str:
        """The whole entry as a sentence: “bea moved Milan (Brianza) from Longlisted to …”."""
        actor = activity.actor.get_username() if activity.actor else "Someone"
        return f"{actor} {activity.get_verb_display()} {activity.summary}"
