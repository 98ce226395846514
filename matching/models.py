"""Sponsor organisations, their members and their briefs: what a sponsor asks the catalogue for."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from matching.choices import BatchUnit, default_weights
from matching.criteria import BriefCriteria
from matching.querysets import BriefQuerySet
from matching.validation import (
    validate_certification_kinds,
    validate_country_codes,
    validate_market_codes,
    validate_must_haves,
    validate_positive,
    validate_regions,
    validate_weights,
)
from partners.choices import DEA_SCHEDULES, PHASES, TermKind

__all__ = ["Brief", "Membership", "Organisation", "organisation_of"]


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Organisation(TimeStamped):
    """A drug sponsor: its members share its briefs, runs and results; no one else sees them."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)

    class Meta:
        ordering = ["name", "slug"]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStamped):
    """A user's place in a sponsor organisation; a user belongs to one organisation at most."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )

    class Meta:
        ordering = ["organisation_id", "user_id"]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation}"


def organisation_of(user: object) -> Organisation | None:
    """The organisation the user belongs to, or None (anonymous, or not a member of any)."""
    if not getattr(user, "is_authenticated", False):
        return None
    membership = Membership.objects.select_related("organisation").filter(user=user).first()
    return membership.organisation if membership else None


class Brief(TimeStamped):
    """A sponsor's needs, which the matching engine scores every site of the catalogue against."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="briefs")
    title = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    # What
    modality = models.ForeignKey(
        "partners.Term",
        on_delete=models.PROTECT,
        limit_choices_to={"kind": TermKind.MODALITY},
        related_name="+",
    )
    dosage_forms = models.ManyToManyField(
        "partners.Term",
        blank=True,
        limit_choices_to={"kind": TermKind.DOSAGE_FORM},
        related_name="+",
    )
    services = models.ManyToManyField(
        "partners.Term",
        blank=True,
        limit_choices_to={"kind": TermKind.SERVICE},
        related_name="+",
    )
    technologies = models.ManyToManyField(
        "partners.Term",
        blank=True,
        limit_choices_to={"kind": TermKind.TECHNOLOGY},
        related_name="+",
    )
    development_needed = models.BooleanField(
        default=False, help_text="The sponsor needs process or formulation development (a CDMO)."
    )

    # Scale and phase
    phase = models.CharField(max_length=20, choices=PHASES, blank=True)
    batch_size = models.FloatField(
        null=True, blank=True, validators=[validate_positive], help_text="Per batch, in the unit."
    )
    batch_unit = models.CharField(max_length=2, choices=BatchUnit.choices, default=BatchUnit.KG)

    # Markets and quality
    target_markets = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_market_codes],
        help_text="Market codes: US, EU, UK, JP, CA, AU, BR, CN, WHO.",
    )
    required_certifications = models.JSONField(
        default=list, blank=True, validators=[validate_certification_kinds]
    )
    max_oel_ug_m3 = models.FloatField(
        "OEL to contain (µg/m³)",
        null=True,
        blank=True,
        validators=[validate_positive],
        help_text="The product's occupational exposure limit; a site must contain down to it.",
    )
    dea_schedule = models.CharField("DEA schedule", max_length=3, choices=DEA_SCHEDULES, blank=True)

    # Where
    preferred_regions = models.JSONField(default=list, blank=True, validators=[validate_regions])
    preferred_countries = models.JSONField(
        default=list, blank=True, validators=[validate_country_codes]
    )
    excluded_countries = models.JSONField(
        default=list, blank=True, validators=[validate_country_codes]
    )

    # Weights and must-haves
    weights = models.JSONField(default=default_weights, validators=[validate_weights])
    must_haves = models.JSONField(default=list, blank=True, validators=[validate_must_haves])

    objects = BriefQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(batch_size__isnull=True) | Q(batch_size__gt=0),
                name="%(app_label)s_%(class)s_batch_size_positive",
                violation_error_message="The batch size must be greater than 0.",
            ),
            models.CheckConstraint(
                condition=Q(max_oel_ug_m3__isnull=True) | Q(max_oel_ug_m3__gt=0),
                name="%(app_label)s_%(class)s_oel_positive",
                violation_error_message="The OEL must be a positive number of µg/m³.",
            ),
        ]
        indexes = [
            # The brief list: an organisation's briefs, most recently edited first.
            models.Index(
                fields=["organisation", "-updated_at", "-id"],
                name="matching_brief_org_updated_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("matching:brief", kwargs={"pk": self.pk})

    def to_criteria(self) -> BriefCriteria:
        """The brief as the plain data the engine reads.

        Reads the term sets through prefetched relations when the caller prefetched them
        (`dosage_forms`, `services`, `technologies`, with `modality` selected).
        """
        return BriefCriteria(
            modality=self.modality.slug,
            dosage_forms=tuple(sorted(term.slug for term in self.dosage_forms.all())),
            services=tuple(sorted(term.slug for term in self.services.all())),
            technologies=tuple(sorted(term.slug for term in self.technologies.all())),
            phase=self.phase or None,
            batch_size=self.batch_size,
            batch_unit=self.batch_unit,
            target_markets=tuple(self.target_markets),
            required_certifications=tuple(self.required_certifications),
            max_oel_ug_m3=self.max_oel_ug_m3,
            dea_schedule=self.dea_schedule or None,
            preferred_regions=tuple(self.preferred_regions),
            preferred_countries=tuple(self.preferred_countries),
            excluded_countries=tuple(self.excluded_countries),
            development_needed=self.development_needed,
            weights={name: float(weight) for name, weight in self.weights.items()},
            must_haves=frozenset(self.must_haves),
        )
