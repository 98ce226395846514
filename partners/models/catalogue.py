"""The catalogue model (DESIGN.md): providers, sites, capabilities and the regulator's record."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from partners.choices import (
    ActionType,
    Authority,
    CertificationKind,
    CertificationStatus,
    Classification,
    ComplianceState,
    ImportStatus,
    Provenance,
    ProviderKind,
    TermKind,
    VerificationStatus,
)
from partners.fei import normalize_fei
from partners.querysets import (
    CertificationQuerySet,
    RegulatorRecordQuerySet,
)

__all__ = [
    "CatalogueVersion",
    "Certification",
    "Citation",
    "DeaSchedule",
    "Inspection",
    "Phase",
    "Provider",
    "Published483",
    "RegulatorImport",
    "RegulatoryAction",
    "Site",
    "SiteCapability",
    "Term",
]


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Term(TimeStamped):
    """A term of the capability vocabulary: a modality, dosage form, service or technology."""

    kind = models.CharField(max_length=20, choices=TermKind.choices)
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)

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


class Provider(TimeStamped):
    """A contract manufacturer: a CMO runs established processes, a CDMO also develops them."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=4, choices=ProviderKind.choices)
    country = CountryField(help_text="Country of the headquarters.")
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    verification_status = models.CharField(
        max_length=12, choices=VerificationStatus.choices, default=VerificationStatus.UNVERIFIED
    )
    verified_on = models.DateField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "slug"]
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


class Site(TimeStamped):
    """A provider's manufacturing facility: where the work happens and what regulators inspect."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=200)
    country = CountryField()
    city = models.CharField(max_length=120, blank=True)
    fei_number = models.CharField(
        "FEI number",
        max_length=20,
        blank=True,
        help_text="FDA Establishment Identifier; digits only, unique across the catalogue.",
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
    # Derived from the site's inspections and actions by partners/compliance.py and recomputed
    # nightly (it decays with time): nobody edits it, and its history is its inputs' history.
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
                fields=["fei_number"],
                condition=~Q(fei_number=""),
                name="%(app_label)s_%(class)s_unique_fei",
                violation_error_message="Another site already has this FEI number.",
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
            # Directory filter `max_oel`: sites containing at or below a given OEL.
            models.Index(fields=["oel_ug_m3"], name="partners_site_oel_idx"),
            # Directory ordering `-compliance`: providers by their best site's score,
            # Max(sites__compliance_score) per provider, read from this index alone.
            models.Index(fields=["provider", "compliance_score"], name="partners_site_compl_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.provider.name} — {self.name}"

    def save(self, *args, **kwargs) -> None:
        self.fei_number = normalize_fei(self.fei_number)
        super().save(*args, **kwargs)
        from partners.linking import link_regulatory_records

        link_regulatory_records([self.pk])


class SiteCapability(TimeStamped):
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


class Certification(TimeStamped):
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


class RegulatorRecord(TimeStamped):
    """Fields shared by regulator records (inspections, actions, published 483s, citations): the
    FEI links them to a site when one has it; the name and place are the regulator's own words,
    kept so that curators can tell whose a record is before any site carries its FEI."""

    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    authority = models.CharField(max_length=8, choices=Authority.choices)
    fei_number = models.CharField("FEI number", max_length=20, blank=True)
    legal_name = models.CharField(
        max_length=250, blank=True, help_text="As the regulator gives it."
    )
    state = models.CharField(max_length=80, blank=True, help_text="As the regulator gives it.")
    country_area = models.CharField(
        "country/area", max_length=80, blank=True, help_text="As the regulator gives it."
    )
    product_type = models.CharField(max_length=80, blank=True)
    source = models.CharField(max_length=200, blank=True, help_text="Where the record came from.")
    retrieved_at = models.DateTimeField(null=True, blank=True)

    objects = RegulatorRecordQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        self.fei_number = normalize_fei(self.fei_number)
        if self.fei_number:
            # A record naming an FEI belongs to the site carrying it, or to none yet.
            self.site = (
                Site.objects.exclude(fei_number="").filter(fei_number=self.fei_number).first()
            )
        super().save(*args, **kwargs)


class Inspection(RegulatorRecord):
    """One inspection of a facility by an authority, for one project area (FDA's row shape)."""

    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="inspections"
    )
    inspection_id = models.CharField("inspection ID", max_length=40)
    end_date = models.DateField()
    classification = models.CharField(max_length=3, choices=Classification.choices)
    project_area = models.CharField(max_length=120, blank=True)
    # FDA's inspections-classification export gives these; other authorities leave them empty.
    city = models.CharField(max_length=120, blank=True, help_text="As the regulator gives it.")
    zip_code = models.CharField("ZIP code", max_length=20, blank=True)
    fiscal_year = models.PositiveSmallIntegerField(null=True, blank=True)
    posted_citations = models.BooleanField(
        null=True, blank=True, help_text="Whether FDA has published the inspection's citations."
    )
    additional_details = models.TextField(blank=True)
    fmd145_date = models.DateField(
        "FMD-145 date",
        null=True,
        blank=True,
        help_text="When FDA sent the firm its letter giving the final classification.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-end_date", "inspection_id", "project_area"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "inspection_id", "project_area"],
                name="%(app_label)s_%(class)s_unique_per_project_area",
            ),
        ]
        indexes = [
            # Linking records to sites, and the curators' list of unmatched FEIs.
            models.Index(fields=["fei_number"], name="partners_insp_fei_idx"),
            # A site's inspection history, newest first (profile page, compliance score).
            models.Index(fields=["site", "-end_date"], name="partners_insp_site_date_idx"),
            # Directory filter `inspected_by`.
            models.Index(fields=["authority", "site"], name="partners_insp_authority_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.authority} inspection {self.inspection_id} ({self.classification})"


class RegulatoryAction(RegulatorRecord):
    """An enforcement action: warning letter, injunction, seizure, import alert, EU non-compliance.

    Linked to a site through the FEI, like inspections.
    """

    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions"
    )
    action_type = models.CharField(max_length=20, choices=ActionType.choices)
    action_date = models.DateField()
    case_id = models.CharField("case ID", max_length=40, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-action_date", "action_type", "case_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "fei_number", "action_type", "case_id"],
                condition=~Q(fei_number="") & ~Q(case_id=""),
                name="%(app_label)s_%(class)s_unique_case",
            ),
        ]
        indexes = [
            # Linking records to sites, and the curators' list of unmatched FEIs.
            models.Index(fields=["fei_number"], name="partners_action_fei_idx"),
            # A site's action history, newest first; directory filter `clean_since`.
            models.Index(fields=["site", "-action_date"], name="partners_action_site_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_type_display()} {self.case_id} ({self.action_date})"


class Published483(RegulatorRecord):
    """A Form FDA 483 (inspectional observations) that FDA has published, with its download link.

    Linked to a site through the FEI, like inspections; FDA publishes a few 483s without an FEI,
    which are kept unlinked.
    """

    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="published_483s"
    )
    authority = models.CharField(max_length=8, choices=Authority.choices, default=Authority.FDA)
    record_id = models.CharField("record ID", max_length=40)
    record_type = models.CharField(max_length=40, blank=True)
    record_date = models.DateField(null=True, blank=True)
    publish_date = models.DateField()
    download_url = models.URLField("download URL", max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-publish_date", "record_id"]
        verbose_name = "published 483"
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "record_id"], name="%(app_label)s_%(class)s_unique_record"
            ),
        ]
        indexes = [
            # Linking records to sites, and the curators' list of unmatched FEIs.
            models.Index(fields=["fei_number"], name="partners_483_fei_idx"),
            # A site's published 483s, newest first (profile page).
            models.Index(fields=["site", "-record_date"], name="partners_483_site_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.authority} {self.record_type or '483'} {self.record_id} ({self.legal_name})"


class Citation(RegulatorRecord):
    """One observation cited at an inspection: the act or CFR section and FDA's description."""

    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="citations"
    )
    authority = models.CharField(max_length=8, choices=Authority.choices, default=Authority.FDA)
    inspection_id = models.CharField("inspection ID", max_length=40)
    inspection_end_date = models.DateField(null=True, blank=True)
    program_area = models.CharField(max_length=120, blank=True)
    cfr_number = models.CharField("act/CFR number", max_length=80, blank=True)
    # Part of the key; FDA's short descriptions are a line long, well within an index entry.
    short_description = models.CharField(max_length=500, blank=True)
    long_description = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-inspection_end_date", "inspection_id", "cfr_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "inspection_id", "cfr_number", "short_description"],
                name="%(app_label)s_%(class)s_unique_per_inspection",
            ),
        ]
        indexes = [
            # Linking records to sites, and the curators' list of unmatched FEIs.
            models.Index(fields=["fei_number"], name="partners_cit_fei_idx"),
            # A site's citations, newest inspection first (profile page).
            models.Index(
                fields=["site", "-inspection_end_date"], name="partners_cit_site_date_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.authority} inspection {self.inspection_id}: {self.cfr_number}"


class CatalogueVersion(models.Model):
    """A token that changes whenever the catalogue does: in-process indexes built from the
    catalogue (directory facets, the matching index) compare it to know when to rebuild.

    One row. The token is random rather than a counter, so a rolled-back change can never
    make an old token current again.
    """

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"catalogue {self.token} ({self.changed_at:%Y-%m-%d %H:%M:%S})"


class RegulatorImport(models.Model):
    """A regulator export a curator uploaded (an FDA Data Dashboard file), its import's progress
    and the importer's report.

    The file's bytes are kept in the database, not on a disk: the worker that imports it may run
    on another machine, and PostgreSQL is the one source of truth. partners/importers/uploads.py
    runs it.
    """

    file_name = models.CharField(max_length=255)
    content = models.BinaryField(help_text="The uploaded file, byte for byte.")
    size = models.PositiveBigIntegerField("size (bytes)")
    status = models.CharField(
        max_length=8, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    rows_done = models.IntegerField(default=0)
    rows_total = models.IntegerField(
        null=True, blank=True, help_text="Rows the file holds; an estimate until the import ends."
    )
    report = models.JSONField(
        default=dict, blank=True, help_text="The importer's report, as plain data."
    )
    error = models.TextField(blank=True, help_text="Why the import failed.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="uploaded by",
    )
    created_at = models.DateTimeField("uploaded at", auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done__gte=0),
                name="%(app_label)s_%(class)s_rows_done_not_negative",
                violation_error_message="The number of rows done cannot be negative.",
            ),
        ]
        indexes = [
            # The admin's list of imports, newest first (the default ordering).
            models.Index(fields=["-created_at"], name="partners_regimport_created_idx"),
        ]

    def __str__(self) -> str:
        return self.file_name

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def percent_done(self) -> int | None:
        """How far the import is, 0 to 100, or None while the number of rows is unknown."""
        if self.status == ImportStatus.DONE:
            return 100
        if not self.rows_total:
            return None
        return min(100, self.rows_done * 100 // self.rows_total)
