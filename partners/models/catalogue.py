"""The catalogue's own records (DESIGN.md, "The catalogue model"): the capability vocabulary,
providers, their sites, what each site can do and the certificates it holds."""

import datetime
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django_countries.fields import CountryField
from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords

from core.models import TimeStamped, bounded_text
from partners.choices import (
    Authority,
    CertificationKind,
    CertificationStatus,
    ComplianceState,
    DataSource,
    Provenance,
    ProviderKind,
    TermKind,
    VerificationStatus,
)
from partners.duns import normalize_duns
from partners.fei import normalize_fei
from partners.querysets import CertificationQuerySet

# The longest descriptions kept: a profile's worth of text, far below what a form, an API call or
# an import file could otherwise store (a 10 MB description was accepted).
PROVIDER_DESCRIPTION_MAX_LENGTH = 10_000
TERM_DESCRIPTION_MAX_LENGTH = 2_000


class Historied(TimeStamped):
    """A model whose every change is kept: each concrete one declares its HistoricalRecords."""

    # The manager of the model's history, added by its HistoricalRecords.
    history: ClassVar[HistoryManager]
    # Why the instance changed, recorded in its history when it is next saved or deleted.
    _change_reason: str

    class Meta:
        abstract = True


class Term(Historied):
    """A term of the capability vocabulary: a modality, dosage form, service or technology."""

    kind = models.CharField(max_length=20, choices=TermKind.choices)
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = bounded_text(TERM_DESCRIPTION_MAX_LENGTH, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class Phase(models.Model):
    """A development phase a site serves; the slug is the key, rank gives the order."""

    slug = models.SlugField(max_length=20, primary_key=True)
    name = models.CharField(max_length=40)
    rank = models.PositiveSmallIntegerField(unique=True)

    class Meta:
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name


class DeaSchedule(models.Model):
    """A DEA controlled-substance schedule (I to V) a site is registered to handle."""

    code = models.CharField(max_length=3, primary_key=True)
    name = models.CharField(max_length=40)
    rank = models.PositiveSmallIntegerField(unique=True)

    class Meta:
        ordering = ["rank"]
        verbose_name = "DEA schedule"

    def __str__(self) -> str:
        return self.name


class Provider(Historied):
    """A contract manufacturer: a CMO runs established processes, a CDMO also develops them."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=12, choices=ProviderKind.choices)
    country = CountryField(help_text="Country of the headquarters.")
    website = models.URLField(blank=True)
    description = bounded_text(PROVIDER_DESCRIPTION_MAX_LENGTH, blank=True)
    verification_status = models.CharField(
        max_length=12, choices=VerificationStatus.choices, default=VerificationStatus.UNVERIFIED
    )
    verified_on = models.DateField(
        null=True,
        blank=True,
        help_text="The day a curator last verified the profile; required when verified.",
    )
    registrant_duns = models.CharField(
        "registrant DUNS",
        max_length=9,
        blank=True,
        help_text="The D-U-N-S number of the registrant in FDA's establishment registrations.",
    )
    source = models.CharField(
        max_length=20,
        choices=DataSource.choices,
        default=DataSource.CURATED,
        editable=False,
        help_text="Where the provider entered the catalogue.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "slug"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(verification_status=VerificationStatus.VERIFIED)
                | Q(verified_on__isnull=False),
                name="%(app_label)s_%(class)s_verified_has_date",
                violation_error_message="A verified provider needs the date it was verified.",
            ),
            models.UniqueConstraint(
                fields=["registrant_duns"],
                condition=~Q(registrant_duns=""),
                name="%(app_label)s_%(class)s_unique_registrant_duns",
                violation_error_message="Another provider already has this registrant DUNS.",
            ),
        ]
        indexes = [
            # Directory: the default ordering of the provider list.
            models.Index(fields=["name", "slug"], name="partners_provider_name_idx"),
            # Directory filters `kind`, `country` and `verified`.
            models.Index(fields=["kind"], name="partners_provider_kind_idx"),
            models.Index(fields=["country"], name="partners_provider_country_idx"),
            models.Index(fields=["verification_status"], name="partners_provider_verif_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        """The public profile."""
        return reverse("partners:provider", args=[self.slug])

    def clean(self) -> None:
        super().clean()
        if self.verification_status == VerificationStatus.VERIFIED and self.verified_on is None:
            raise ValidationError(
                {"verified_on": "A verified provider needs the date it was verified."}
            )
        if self.verified_on is not None and self.verified_on > timezone.localdate():
            raise ValidationError({"verified_on": "A provider cannot be verified in the future."})

    def save(self, *args, **kwargs) -> None:
        self.registrant_duns = normalize_duns(self.registrant_duns)
        super().save(*args, **kwargs)

    @property
    def is_verified(self) -> bool:
        return self.verification_status == VerificationStatus.VERIFIED


class Site(Historied):
    """A provider's manufacturing facility: where the work happens and what regulators inspect."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=200)
    country = CountryField()
    city = models.CharField(max_length=120, blank=True)
    fei_number = models.CharField(
        "FEI number",
        max_length=20,
        blank=True,
        help_text="FDA Establishment Identifier; digits only. Two establishments may share one.",
    )
    duns_number = models.CharField(
        "DUNS number",
        max_length=9,
        blank=True,
        help_text="The establishment's D-U-N-S number; nine digits, unique across the catalogue.",
    )
    registered_operations = models.JSONField(
        default=list,
        blank=True,
        help_text="What FDA's establishment registration lists the site for, as FDA words it.",
    )
    ancillary_only = models.BooleanField(
        default=False,
        editable=False,
        help_text="Registered only to supply medical gases, make animal feed, pack or label, or "
        "analyse: hidden from the directory unless asked for.",
    )
    source = models.CharField(
        max_length=20,
        choices=DataSource.choices,
        default=DataSource.CURATED,
        editable=False,
        help_text="Where the site entered the catalogue.",
    )
    oel_ug_m3 = models.FloatField(
        "lowest OEL (µg/m³)",
        null=True,
        blank=True,
        help_text="Lowest occupational exposure limit the site has demonstrated it contains.",
    )
    phases = models.ManyToManyField(Phase, blank=True, related_name="sites")
    dea_schedules = models.ManyToManyField(
        DeaSchedule, blank=True, related_name="sites", verbose_name="DEA schedules"
    )
    capacity_available_from = models.DateField(null=True, blank=True)
    # Derived from the site's inspections and actions by partners/regulatory/compliance.py and
    # recomputed nightly (it decays with time): nobody edits it, and its history is its inputs'
    # history.
    compliance_score = models.FloatField(
        null=True,
        blank=True,
        editable=False,
        help_text="0 to 100, from the inspection and action record; empty when unknown.",
    )
    compliance_state = models.CharField(
        max_length=8,
        choices=ComplianceState.choices,
        default=ComplianceState.UNKNOWN,
        editable=False,
    )
    compliance_as_of = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="The date the stored score was computed for; empty until first computed.",
    )

    history = HistoricalRecords(
        m2m_fields=[phases, dea_schedules],
        excluded_fields=["compliance_score", "compliance_state", "compliance_as_of"],
    )

    class Meta:
        ordering = ["provider_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["duns_number"],
                condition=~Q(duns_number=""),
                name="%(app_label)s_%(class)s_unique_duns",
                violation_error_message="Another site already has this DUNS number.",
            ),
            models.UniqueConstraint(
                fields=["provider", "name"],
                name="%(app_label)s_%(class)s_unique_name_per_provider",
                violation_error_message="This provider already has a site with this name.",
            ),
            models.CheckConstraint(
                condition=Q(oel_ug_m3__isnull=True) | Q(oel_ug_m3__gt=0),
                name="%(app_label)s_%(class)s_oel_positive",
                violation_error_message="The OEL must be a positive number of µg/m³.",
            ),
            models.CheckConstraint(
                condition=Q(compliance_score__isnull=True)
                | Q(compliance_score__gte=0, compliance_score__lte=100),
                name="%(app_label)s_%(class)s_compliance_score_range",
                violation_error_message="The compliance score must be between 0 and 100.",
            ),
            models.CheckConstraint(
                condition=Q(compliance_state=ComplianceState.SCORED, compliance_score__isnull=False)
                | Q(compliance_state=ComplianceState.UNKNOWN, compliance_score__isnull=True),
                name="%(app_label)s_%(class)s_compliance_score_matches_state",
                violation_error_message="A scored site has a score; an unknown one has none.",
            ),
        ]
        indexes = [
            # Directory filters `country` and `region` (region expands to a list of countries).
            models.Index(fields=["country"], name="partners_site_country_idx"),
            # Linking regulator records by FEI, and the directory's search by FEI.
            models.Index(fields=["fei_number"], name="partners_site_fei_idx"),
            # Directory filter `max_oel`: sites containing at or below a given OEL.
            models.Index(fields=["oel_ug_m3"], name="partners_site_oel_idx"),
            # Directory ordering `-compliance`: providers by their best site's score,
            # Max(sites__compliance_score) per provider, read from this index alone.
            models.Index(fields=["provider", "compliance_score"], name="partners_site_compl_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.provider.name} — {self.name}"

    def save(self, *args, **kwargs) -> None:
        # Once saved, the site takes the regulator records of its FEI (partners/signals.py).
        self.fei_number = normalize_fei(self.fei_number)
        self.duns_number = normalize_duns(self.duns_number)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        """The site's section of its provider's public profile."""
        return f"{self.provider.get_absolute_url()}#site-{self.pk}"

    @property
    def compliance_scored(self) -> bool:
        """Whether the stored compliance score is a score, not "unknown"."""
        return self.compliance_state == ComplianceState.SCORED


class SiteCapability(Historied):
    """What a site can do (a vocabulary term), at what scale, and who says so."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="capabilities")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="site_capabilities")
    max_batch_kg = models.FloatField("max batch (kg)", null=True, blank=True)
    max_volume_l = models.FloatField("max vessel or bioreactor volume (L)", null=True, blank=True)
    provenance = models.CharField(
        max_length=20, choices=Provenance.choices, default=Provenance.SELF_REPORTED
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["site_id", "term_id"]
        verbose_name_plural = "site capabilities"
        constraints = [
            models.UniqueConstraint(
                fields=["site", "term"],
                name="%(app_label)s_%(class)s_one_per_site_and_term",
                violation_error_message="The site already lists this capability.",
            ),
            models.CheckConstraint(
                condition=Q(max_batch_kg__isnull=True) | Q(max_batch_kg__gt=0),
                name="%(app_label)s_%(class)s_batch_positive",
                violation_error_message="The maximum batch size must be positive.",
            ),
            models.CheckConstraint(
                condition=Q(max_volume_l__isnull=True) | Q(max_volume_l__gt=0),
                name="%(app_label)s_%(class)s_volume_positive",
                violation_error_message="The maximum volume must be positive.",
            ),
        ]
        indexes = [
            # Directory filters `modality`, `dosage_form`, ...: sites offering a term, at a scale.
            models.Index(fields=["term", "site"], name="partners_sitecap_term_site_idx"),
            models.Index(fields=["term", "max_batch_kg"], name="partners_sitecap_term_kg_idx"),
            models.Index(fields=["term", "max_volume_l"], name="partners_sitecap_term_l_idx"),
        ]

    def __str__(self) -> str:
        # The term alone: shown inline under its site, and no query for the site.
        return str(self.term)


class Certification(Historied):
    """A certificate or registration a site holds; whether it is valid follows from its dates."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="certifications")
    kind = models.CharField(max_length=24, choices=CertificationKind.choices)
    authority = models.CharField(max_length=8, choices=Authority.choices, blank=True)
    reference = models.CharField(max_length=120, blank=True)
    issued_on = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=CertificationStatus.choices, default=CertificationStatus.ACTIVE
    )
    source = models.CharField(max_length=200, blank=True, help_text="Where the fact came from.")
    retrieved_at = models.DateTimeField(null=True, blank=True)

    objects = CertificationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["site_id", "kind", "-issued_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(issued_on__isnull=True)
                | Q(valid_until__gt=F("issued_on")),
                name="%(app_label)s_%(class)s_valid_until_after_issued_on",
                violation_error_message="'Valid until' must be after 'issued on'.",
            ),
        ]
        indexes = [
            # Directory filter `certification`: a kind held valid today.
            models.Index(fields=["kind", "valid_until"], name="partners_cert_kind_valid_idx"),
        ]

    def __str__(self) -> str:
        return " ".join(filter(None, [self.get_kind_display(), self.reference]))

    def is_valid_on(self, date: datetime.date | None = None) -> bool:
        date = date or timezone.localdate()
        return (
            self.status == CertificationStatus.ACTIVE
            and (self.issued_on is None or self.issued_on <= date)
            and (self.valid_until is None or self.valid_until >= date)
        )
