"""What regulators publish about a site: inspections, regulatory actions, published 483s (with
the Record IDs FDA gave them) and citations. Each names the regulator's FEI and is linked to the
site carrying it, if any."""

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.models import bounded_text
from partners.choices import ActionType, Authority, Classification
from partners.fei import normalize_fei
from partners.models.catalogue import Historied, Site
from partners.querysets import RegulatorRecordQuerySet
from partners.regulatory.fei_rule import FeiHolders

# The longest free text of a regulator's record kept (an inspection's additional details, a
# citation's long description): FDA's run to a paragraph; a file with more is rejected per row.
REGULATOR_TEXT_MAX_LENGTH = 20_000


class RegulatorRecord(Historied):
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
            # A record naming an FEI belongs to the site the linking rule gives, or to none yet.
            holders = FeiHolders.of_sites(Site.objects.filter(fei_number=self.fei_number))
            self.site_id = holders.site_for(self.fei_number, self.legal_name)
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
    additional_details = bounded_text(REGULATOR_TEXT_MAX_LENGTH, blank=True)
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


def fda_numbering(record_id: str) -> tuple[int, int, str]:
    """Where a Record ID comes in FDA's numbering, for sorting: FDA numbers the documents it
    publishes in sequence, so a document it published again (renumbered) has a higher Record ID
    than the one it first had. IDs that are not numbers (none of FDA's are) sort first, by text."""
    if record_id.isdigit():
        return (1, int(record_id), "")
    return (0, 0, record_id)


class Published483(RegulatorRecord):
    """A Form FDA 483 (inspectional observations) that FDA has published, with its download link.

    One document, however many times FDA has published it: FDA has renumbered documents, giving
    the same one (same FEI, record date and download URL) a new Record ID, so a document keeps
    every Record ID it was given (Published483RecordId) and is identified by its FEI, record date
    and download URL. A document without a download URL has nothing to tell it from another 483
    of the same FEI and day, so it is identified by its Record IDs alone.

    Linked to a site through the FEI, like inspections; FDA publishes a few 483s without an FEI,
    which are kept unlinked.
    """

    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="published_483s"
    )
    authority = models.CharField(max_length=8, choices=Authority.choices, default=Authority.FDA)
    record_type = models.CharField(max_length=40, blank=True)
    record_date = models.DateField(null=True, blank=True)
    publish_date = models.DateField()
    download_url = models.URLField("download URL", max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-publish_date", "pk"]
        verbose_name = "published 483"
        constraints = [
            # One document per FEI, record date and download URL. FDA leaves some record dates
            # out, and NULLs never clash in a unique index, hence the undated twin.
            models.UniqueConstraint(
                fields=["fei_number", "record_date", "download_url"],
                condition=~Q(download_url="") & Q(record_date__isnull=False),
                name="%(app_label)s_%(class)s_unique_document",
            ),
            models.UniqueConstraint(
                fields=["fei_number", "download_url"],
                condition=~Q(download_url="") & Q(record_date__isnull=True),
                name="%(app_label)s_%(class)s_unique_undated_document",
            ),
        ]
        indexes = [
            # Linking records to sites, and the curators' list of unmatched FEIs.
            models.Index(fields=["fei_number"], name="partners_483_fei_idx"),
            # A site's published 483s, newest first (profile page).
            models.Index(fields=["site", "-record_date"], name="partners_483_site_date_idx"),
        ]

    def __str__(self) -> str:
        record_date = f", {self.record_date:%Y-%m-%d}" if self.record_date else ""
        return f"{self.authority} {self.record_type or '483'} of {self.legal_name}{record_date}"

    @property
    def record_id_list(self) -> list[str]:
        """Every Record ID FDA has given the document, in FDA's numbering order (prefetch
        `record_ids` when listing documents)."""
        return sorted((row.record_id for row in self.record_ids.all()), key=fda_numbering)


class Published483RecordId(Historied):
    """A Record ID under which FDA published a 483: a document FDA renumbered has several."""

    document = models.ForeignKey(Published483, on_delete=models.CASCADE, related_name="record_ids")
    record_id = models.CharField("record ID", max_length=40)

    history = HistoricalRecords()

    class Meta:
        ordering = ["document", "record_id"]
        verbose_name = "published 483 record ID"
        constraints = [
            # A Record ID names one document; the importer finds documents by it.
            models.UniqueConstraint(fields=["record_id"], name="%(app_label)s_%(class)s_unique"),
        ]

    def __str__(self) -> str:
        return self.record_id


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
    long_description = bounded_text(REGULATOR_TEXT_MAX_LENGTH, blank=True)

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
