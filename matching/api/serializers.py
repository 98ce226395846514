"""JSON shape of a brief: vocabulary slugs in and out, checked by the rules the form uses."""

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from matching.api.result_sites import RESULT_SITE_FIELDS, ResultSiteFields
from matching.choices import default_weights
from matching.engine.stability import BY_ROUNDING, BY_SITE_ID, DOWN, UP
from matching.engine.stability import current as current_stability
from matching.engine.verdicts import VERDICTS
from matching.models import Brief, Organisation, Result, Run, RunMethod
from matching.results import stored_verdict
from matching.validation import (
    MUST_HAVE_NEEDS,
    brief_errors,
    per_item_must_haves,
    validate_certification_kinds,
    validate_country_codes,
    validate_market_codes,
    validate_must_have_items,
    validate_must_haves,
    validate_regions,
    validate_weights,
)
from partners.choices import TermKind
from partners.models import Term
from partners.regions import REGION_HELP


class TermSlugField(serializers.SlugRelatedField):
    """A capability term by its slug, among the terms of one kind (see `/api/taxonomy/`)."""

    def __init__(self, kind: TermKind, **kwargs) -> None:
        kwargs.setdefault(
            "error_messages",
            {
                "does_not_exist": f"Unknown {kind.label.lower()} “{{value}}”: "
                f"use a {kind.value} slug from /api/taxonomy/.",
                "invalid": f"Give the {kind.label.lower()} as a slug string.",
            },
        )
        super().__init__(slug_field="slug", queryset=Term.objects.filter(kind=kind), **kwargs)


def _codes(validator, help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(), required=False, validators=[validator], help_text=help_text
    )


# The fields the rules across fields read (matching.validation.brief_errors).
BRIEF_RULE_FIELDS = (
    "preferred_countries",
    "excluded_countries",
    "must_haves",
    "weights",
    *sorted({name for fields, _ in MUST_HAVE_NEEDS.values() for name in fields}),
)


class BriefSerializer(serializers.ModelSerializer):
    """A brief. The organisation is the user's, set on create; weights left out default to 3."""

    url = serializers.HyperlinkedIdentityField(view_name="matching-api:brief-detail")
    organisation: serializers.SlugRelatedField[Organisation] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    modality = TermSlugField(TermKind.MODALITY)
    dosage_forms = TermSlugField(TermKind.DOSAGE_FORM, many=True, required=False)
    services = TermSlugField(TermKind.SERVICE, many=True, required=False)
    technologies = TermSlugField(TermKind.TECHNOLOGY, many=True, required=False)
    target_markets = _codes(
        validate_market_codes, "Market codes: US, EU, UK, JP, CA, AU, BR, CN, WHO."
    )
    required_certifications = _codes(
        validate_certification_kinds, "Certification kinds, as `/api/taxonomy/` lists them."
    )
    preferred_regions = _codes(
        validate_regions, f"Regions, as `/api/taxonomy/` lists them. {REGION_HELP}"
    )
    preferred_countries = _codes(validate_country_codes, "ISO 3166 alpha-2 country codes.")
    excluded_countries = _codes(
        validate_country_codes, "ISO 3166 alpha-2 country codes; never both preferred and excluded."
    )
    weights = serializers.DictField(
        child=serializers.FloatField(),
        required=False,
        validators=[validate_weights],
        help_text="Criterion → weight from 0 to 5; criteria left out weigh 3.",
    )
    must_haves = _codes(
        validate_must_haves,
        "Criterion names a site must pass. Capability, markets or certifications here make each "
        "item of their lists a must-have (stored in `must_have_items`).",
    )
    must_have_items = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        validators=[validate_must_have_items],
        help_text="List name → the items of that list a site must have, e.g. "
        '{"required_certifications": ["eu-gmp"], "target_markets": ["US"]}; the lists are '
        "dosage_forms, services, technologies (slugs), target_markets and "
        "required_certifications. The lists' other items are nice-to-haves.",
    )

    class Meta:
        model = Brief
        fields = [
            "id",
            "url",
            "title",
            "organisation",
            "created_by",
            "modality",
            "dosage_forms",
            "services",
            "technologies",
            "development_needed",
            "phase",
            "batch_size",
            "batch_unit",
            "needed_by",
            "target_markets",
            "required_certifications",
            "max_oel_ug_m3",
            "dea_schedule",
            "preferred_regions",
            "preferred_countries",
            "excluded_countries",
            "weights",
            "must_haves",
            "must_have_items",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {
            "phase": {
                "error_messages": {
                    "invalid_choice": "Unknown phase “{input}”: use preclinical, phase1, "
                    "phase2, phase3 or commercial."
                }
            },
            "dea_schedule": {
                "error_messages": {
                    "invalid_choice": "Unknown DEA schedule “{input}”: use I, II, III, IV or V."
                }
            },
            "batch_size": {
                "error_messages": {"invalid": "Enter the batch size as a number greater than 0."}
            },
            "max_oel_ug_m3": {
                "error_messages": {"invalid": "Enter the OEL as a number of µg/m³ greater than 0."}
            },
        }

    def validate_weights(self, value: dict[str, float]) -> dict[str, float]:
        current = self.instance.weights if self.instance else default_weights()
        return {**default_weights(), **current, **value}

    def validate(self, attrs: dict) -> dict:
        # On a partial update the rules see the stored values of the fields not sent.
        merged = {
            field: attrs.get(field, getattr(self.instance, field, None))
            for field in BRIEF_RULE_FIELDS
        }
        merged.update(self._must_have_item_values(attrs))
        errors = brief_errors(merged)
        if errors:
            raise serializers.ValidationError(errors)
        if "must_haves" in attrs or "must_have_items" in attrs:
            sent = attrs.get("must_haves", getattr(self.instance, "must_haves", None))
            attrs["must_haves"], attrs["must_have_items"] = per_item_must_haves(
                {**merged, "must_haves": sent}
            )
        return attrs

    def _must_have_item_values(self, attrs: dict) -> dict:
        """The item must-haves and the lists they name, as sent or else as stored; criterion
        must-haves sent on capability, markets or certifications count as per item."""
        lists = ("dosage_forms", "services", "technologies")
        values = {
            name: attrs[name]
            if name in attrs
            else (list(getattr(self.instance, name).all()) if self.instance else [])
            for name in lists
        }
        for name in ("target_markets", "required_certifications", "must_haves", "must_have_items"):
            values[name] = attrs.get(name, getattr(self.instance, name, None))
        values["must_have_items"] = per_item_must_haves(values)[1]
        # The criterion must-haves as sent: the rules check each has something to test.
        del values["must_haves"]
        return values


# --- Match runs ----------------------------------------------------------------------------------


class RunStartSerializer(serializers.Serializer):
    """What POST /api/briefs/<id>/runs/ accepts: the ranking method, weighted by default."""

    method = serializers.ChoiceField(
        choices=RunMethod.choices,
        default=RunMethod.WEIGHTED,
        error_messages={"invalid_choice": "Unknown method “{input}”: use weighted or topsis."},
    )


class FunnelStepSerializer(serializers.Serializer):
    constraint = serializers.CharField(help_text="A criterion name, or excluded_countries.")
    # A declared field named like Field.label: the serializer's metaclass moves declared fields
    # out of the class's attributes, so the two never meet at runtime.
    label = serializers.CharField()  # type: ignore[assignment]
    removed = serializers.IntegerField(help_text="Sites removed among those the steps before left.")
    removed_alone = serializers.IntegerField(help_text="Every site failing this constraint.")
    relaxable = serializers.BooleanField()


class RelaxationSerializer(serializers.Serializer):
    criterion = serializers.CharField(help_text="The must-have to drop.")
    admitted = serializers.IntegerField(help_text="How many more sites dropping it admits.")
    requirement = serializers.CharField(
        required=False, help_text="What the must-have asks, in a few words: “EU GMP certificate”."
    )
    suggestion = serializers.CharField()


class StabilityCriterionSerializer(serializers.Serializer):
    criterion = serializers.CharField()
    weight = serializers.FloatField(help_text="The brief's weight, 0 to 5.")
    low = serializers.FloatField(
        help_text="The lowest weight at which no site is ahead of the top site (it may tie there)."
    )
    high = serializers.FloatField(help_text="The highest such weight.")
    top3_low = serializers.FloatField(
        allow_null=True,
        help_text="The lowest weight keeping the top three in their order (none of them "
        "overtaken); null with fewer than three eligible sites.",
    )
    top3_high = serializers.FloatField(allow_null=True)
    low_by = serializers.IntegerField(
        allow_null=True,
        help_text="The rank of the site most ahead of the top site just below `low`; null "
        "when `low` is the end of the scale (nothing overtakes it that way), or unknown (runs "
        "stored before version 2).",
    )
    high_by = serializers.IntegerField(allow_null=True, help_text="The same above `high`.")
    low_ties = serializers.IntegerField(
        allow_null=True,
        help_text="When `low` is the end of the scale: how many other eligible sites, behind "
        "the top site now, score the same as it there (a tie, not an overtaking); 0 otherwise; "
        "null when unknown (runs stored before version 2).",
    )
    high_ties = serializers.IntegerField(allow_null=True, help_text="The same at `high`.")
    top3_low_ties = serializers.IntegerField(
        allow_null=True,
        help_text="When `top3_low` is the end of the scale: how many of the orders the top "
        "three keep (#1 before #2, #2 before #3, #3 before each other site) become ties there; "
        "null with fewer than three eligible sites, or when unknown.",
    )
    top3_high_ties = serializers.IntegerField(allow_null=True, help_text="The same at `top3_high`.")


class StabilityPairSerializer(serializers.Serializer):
    upper_rank = serializers.IntegerField()
    lower_rank = serializers.IntegerField()
    criterion = serializers.CharField(
        allow_null=True,
        help_text="The criterion whose weight needs the smallest change for the lower site to "
        "overtake the upper one (score strictly more); null when no change of one weight from "
        "0 to 5 does (reaching a tie is not overtaking).",
    )
    weight = serializers.FloatField(allow_null=True, help_text="That criterion's weight now.")
    swap_at = serializers.FloatField(
        allow_null=True,
        help_text="The weight at which the two tie; past it, in `direction`, the lower site is "
        "ahead. Equal to `weight` when they tie now.",
    )
    direction = serializers.ChoiceField(
        choices=[UP, DOWN],
        allow_null=True,
        help_text="Which way the weight moves for the lower site to overtake; null when none "
        "does (or, for a tie now in a run stored before version 2, not recorded).",
    )
    tied = serializers.BooleanField(
        help_text="The two score the same at the brief's weights; the engine lists equal "
        "scores by site id, lowest first."
    )
    always_tied = serializers.BooleanField(
        help_text="They tie under every weighting: the same sub-score on every criterion."
    )
    tie_break = serializers.ChoiceField(
        choices=[BY_SITE_ID, BY_ROUNDING],
        allow_null=True,
        help_text="When tied, what put the upper one first: `site id` (equal scores), or "
        "`rounding` (scores equal but for the last digits of the arithmetic); null otherwise.",
    )


class StabilitySerializer(serializers.Serializer):
    """How much the top of the ranking depends on the weights, one weight changed at a time.

    A site overtakes another only by scoring strictly more; equal scores are a tie. Runs stored
    before version 2 are given in today's form, what they did not record as null."""

    version = serializers.IntegerField(help_text="The form of this data: 2.")
    method = serializers.ChoiceField(choices=RunMethod.choices)
    precision = serializers.FloatField(
        allow_null=True,
        help_text="Null for the weighted mean (exact); for TOPSIS, found numerically (a sweep "
        "in steps of 0.05, then bisection), the bounds' precision in weight points.",
    )
    scale = serializers.ListField(
        child=serializers.FloatField(), help_text="The weights' scale, [0, 5]."
    )
    criteria = StabilityCriterionSerializer(many=True)
    pairs = StabilityPairSerializer(many=True, help_text="#1/#2, #2/#3, ... #9/#10.")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return super().to_representation(current_stability(instance))


class RunSerializer(serializers.ModelSerializer):
    """A match run: its status (queued, running, done, failed), progress and counts."""

    url = serializers.HyperlinkedIdentityField(view_name="matching-api:run-detail")
    results_url = serializers.HyperlinkedIdentityField(view_name="matching-api:run-results")
    brief: serializers.PrimaryKeyRelatedField[Brief] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    funnel = FunnelStepSerializer(many=True, read_only=True)
    relaxation = RelaxationSerializer(read_only=True, allow_null=True)
    stability = StabilitySerializer(
        read_only=True,
        allow_null=True,
        help_text="Per criterion, the weight range keeping the top site first (and the top "
        "three in order); per adjacent pair of the top ten, the smallest change of one weight "
        "that swaps them. Null until the run is done.",
    )

    class Meta:
        model = Run
        fields = [
            "id",
            "url",
            "results_url",
            "brief",
            "created_by",
            "method",
            "status",
            "progress",
            "catalogue_version",
            "sites_scored",
            "eligible",
            "excluded",
            "funnel",
            "relaxation",
            "stability",
            "error",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class RunAcceptedSerializer(RunSerializer):
    """A run just started or retried, with what happens next."""

    message = serializers.CharField(
        read_only=True, help_text="What happens next; says so when the task queue is unavailable."
    )

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "message"]
        read_only_fields = fields


class BreakdownSerializer(serializers.Serializer):
    criterion = serializers.CharField()
    sub_score = serializers.FloatField(help_text="From 0 to 1.")
    weight = serializers.FloatField(help_text="The weight in the mean; 0 when not asked.")
    # Runs stored before every site's sentences were kept lack both past their 200th site.
    must_have = serializers.BooleanField(required=False)
    sentence = serializers.CharField(
        required=False, help_text="Why the site scores what it does on it."
    )
    verdict = serializers.SerializerMethodField(
        help_text="Whether the site meets what the brief states on this criterion: meets, "
        "partly, does not, or unknown (the site gives no data); empty when the brief does not "
        "ask about it."
    )

    @extend_schema_field(serializers.ChoiceField(choices=["", *VERDICTS]))
    def get_verdict(self, part: dict) -> str:
        return stored_verdict(part)


class RankedResultSerializer(ResultSiteFields, serializers.ModelSerializer):
    """An eligible site, by rank."""

    breakdown = BreakdownSerializer(many=True, read_only=True)

    class Meta:
        model = Result
        fields = [
            "rank",
            "score",
            "site",
            "site_name",
            "provider_name",
            *RESULT_SITE_FIELDS,
            "breakdown",
        ]
        read_only_fields = fields


class ExcludedResultSerializer(ResultSiteFields, serializers.ModelSerializer):
    """An excluded site and why."""

    class Meta:
        model = Result
        fields = [
            "site",
            "site_name",
            "provider_name",
            *RESULT_SITE_FIELDS,
            "reason",
            "excluded_by",
        ]
        read_only_fields = fields


class ExcludedPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        help_text="Every excluded site of the run, or those `excluded_by` names."
    )
    results = ExcludedResultSerializer(
        many=True,
        help_text="The first 100: nearest misses first (removed late in the funnel), then by "
        "site name. `url` pages through them all.",
    )
    url = serializers.URLField(
        help_text="The run's excluded sites a page at a time (`/api/runs/<id>/excluded/`), "
        "with the same `excluded_by`."
    )


class RunResultsSerializer(serializers.Serializer):
    """A done run's results: a page of ranked sites, then the excluded ones, funnel and
    relaxation suggestion."""

    run = serializers.IntegerField()
    method = serializers.CharField()
    catalogue_version = serializers.CharField()
    count = serializers.IntegerField(help_text="Eligible sites in all.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = RankedResultSerializer(many=True)
    excluded = ExcludedPageSerializer()
    funnel = FunnelStepSerializer(many=True)
    relaxation = RelaxationSerializer(allow_null=True)
