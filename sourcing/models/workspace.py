"""Shortlists of sites, the candidates on them and what happened to each: where a sourcing
decision is made (DESIGN.md, "Sourcing")."""

from pathlib import PurePath
from uuid import uuid4

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.models import TimeStamped, bounded_text
from sourcing.choices import EXITS, AttachmentKind, ExitReason, Stage, Verb
from sourcing.querysets import CandidateQuerySet, ShortlistQuerySet

__all__ = [
    "Activity",
    "Attachment",
    "Candidate",
    "Criterion",
    "Decision",
    "Note",
    "Quote",
    "Score",
    "Shortlist",
]

# The longest text a member may write in each free-text field: pages of text, far below what a
# form, an API call or a paste could otherwise store (a 10 MB text was accepted).
EXIT_NOTE_MAX_LENGTH = 2_000
NOTE_MAX_LENGTH = 10_000
ASSUMPTIONS_MAX_LENGTH = 5_000
RATIONALE_MAX_LENGTH = 10_000
REOPEN_REASON_MAX_LENGTH = 5_000


class Shortlist(TimeStamped):
    """An organisation's list of candidate sites, usually for one brief, sometimes standalone."""

    organisation = models.ForeignKey(
        "matching.Organisation", on_delete=models.CASCADE, related_name="shortlists"
    )
    brief = models.ForeignKey(
        "matching.Brief",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shortlists",
        help_text="The brief the shortlist answers; empty for a standalone shortlist.",
    )
    title = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # Team scores stay hidden from a member until they have entered their own, unless an admin
    # has revealed them to everyone (viewers included).
    scores_revealed_at = models.DateTimeField(null=True, blank=True, editable=False)
    scores_revealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    objects = ShortlistQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The organisation's shortlists, newest first (the list page).
            models.Index(fields=["organisation", "-created_at"], name="sourcing_shortlist_org_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("sourcing:shortlist", kwargs={"pk": self.pk})

    @property
    def scores_revealed(self) -> bool:
        return self.scores_revealed_at is not None


class Candidate(TimeStamped):
    """A site on a shortlist: where it is in the pipeline, who owns its next step and by when,
    and the score it had in the run it was added from (kept, dated, beside its live data)."""

    shortlist = models.ForeignKey(Shortlist, on_delete=models.CASCADE, related_name="candidates")
    # A deleted site leaves its candidate, and the names below, behind.
    site = models.ForeignKey(
        "partners.Site", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    site_name = models.CharField(max_length=300)
    provider_name = models.CharField(max_length=300)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.LONGLISTED)
    exit_reason = models.CharField(max_length=20, choices=ExitReason.choices, blank=True)
    exit_note = bounded_text(EXIT_NOTE_MAX_LENGTH, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who takes the candidate's next step.",
    )
    due_on = models.DateField("next step due", null=True, blank=True)
    # The run the site was added from and its place there; all empty when the site was added
    # from the directory or a profile ("not scored").
    run = models.ForeignKey(
        "matching.Run", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    score = models.FloatField(null=True, blank=True)
    rank = models.PositiveIntegerField(null=True, blank=True)
    breakdown = models.JSONField(default=list, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    objects = CandidateQuerySet.as_manager()

    class Meta:
        ordering = ["shortlist_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shortlist", "site"],
                condition=Q(site__isnull=False),
                name="%(app_label)s_%(class)s_unique_site_per_shortlist",
                violation_error_message="This site is already on the shortlist.",
            ),
            models.CheckConstraint(
                condition=Q(stage__in=EXITS, exit_reason__gt="")
                | (~Q(stage__in=EXITS) & Q(exit_reason="")),
                name="%(app_label)s_%(class)s_exit_has_a_reason",
                violation_error_message="A candidate out of the race has a reason; others none.",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="%(app_label)s_%(class)s_score_range",
            ),
        ]
        indexes = [
            # The board and the table: a shortlist's candidates by stage.
            models.Index(fields=["shortlist", "stage"], name="sourcing_candidate_stage_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.provider_name} — {self.site_name}"

    def get_absolute_url(self) -> str:
        return reverse("sourcing:candidate", kwargs={"pk": self.shortlist_id, "cid": self.pk})

    @property
    def scored(self) -> bool:
        return self.score is not None

    @property
    def is_selected(self) -> bool:
        return self.stage == Stage.SELECTED

    @property
    def out_of_the_race(self) -> bool:
        return self.stage in EXITS

    @property
    def overdue(self) -> bool:
        """Its next step is past due (and it is still in the race, not yet selected)."""
        return (
            self.due_on is not None
            and self.due_on < timezone.localdate()
            and not self.out_of_the_race
            and self.stage != Stage.SELECTED
        )


class Note(models.Model):
    """A member's note on a candidate."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = bounded_text(NOTE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["candidate_id", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"Note on {self.candidate_id} by {self.author}"


class Activity(models.Model):
    """One entry of a shortlist's log: who did what, to which candidate, when. Never edited."""

    shortlist = models.ForeignKey(Shortlist, on_delete=models.CASCADE, related_name="activity")
    candidate = models.ForeignKey(
        Candidate, on_delete=models.SET_NULL, null=True, blank=True, related_name="activity"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    verb = models.CharField(max_length=12, choices=Verb.choices)
    # The rest of the sentence, as it was true then ("Milan (Brianza Bioservices) from
    # Longlisted to RFI sent"), so that the log reads the same after renames and deletions.
    summary = models.CharField(max_length=500)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "activity"
        indexes = [
            # A shortlist's log, newest first.
            models.Index(fields=["shortlist", "-created_at"], name="sourcing_activity_list_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.actor} {self.get_verb_display()} {self.summary}"


# A quote this close to its end date is flagged as expiring (certificates get 90 days,
# partners/validity.py; a quote is renewed faster than an audit is arranged).
QUOTE_EXPIRY_WARNING_DAYS = 30


class Quote(TimeStamped):
    """A provider's quote for a candidate, in the same fields for every provider, so that
    proposals line up in the comparison. One per candidate: a revised quote replaces it (the
    activity log keeps who recorded each and when)."""

    candidate = models.OneToOneField(Candidate, on_delete=models.CASCADE, related_name="quote")
    price = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, help_text="ISO 4217 code, e.g. EUR, USD, CHF.")
    batches = models.PositiveIntegerField(
        "batches covered", null=True, blank=True, help_text="How many batches the price covers."
    )
    scale_l = models.FloatField(
        "batch scale (L)", null=True, blank=True, help_text="The batch size the price is for."
    )
    lead_time_weeks = models.PositiveIntegerField("lead time (weeks)", null=True, blank=True)
    minimum_order_batches = models.PositiveIntegerField(
        "minimum order (batches)", null=True, blank=True
    )
    valid_until = models.DateField(null=True, blank=True)
    assumptions = bounded_text(
        ASSUMPTIONS_MAX_LENGTH, blank=True, help_text="What the provider assumed in pricing."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["candidate_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0), name="%(app_label)s_%(class)s_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(scale_l__isnull=True) | Q(scale_l__gt=0),
                name="%(app_label)s_%(class)s_scale_positive",
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"),
                name="%(app_label)s_%(class)s_currency_code",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.price} for {self.candidate}"

    @property
    def expired(self) -> bool:
        return self.valid_until is not None and self.valid_until < timezone.localdate()

    @property
    def expiring(self) -> bool:
        """Still valid, but for QUOTE_EXPIRY_WARNING_DAYS days at most."""
        if self.valid_until is None:
            return False
        days = (self.valid_until - timezone.localdate()).days
        return 0 <= days <= QUOTE_EXPIRY_WARNING_DAYS


# The most UTF-8 bytes of a stored file's name: file systems take 255 bytes per name (not
# characters: "é" is two, a kanji three), and a storage may add a suffix to make it unique.
MAX_STORED_NAME_BYTES = 200
MAX_STORED_SUFFIX_BYTES = 20


def _stored_name(filename: str) -> str:
    """The file's name cut to MAX_STORED_NAME_BYTES UTF-8 bytes, never inside a character,
    keeping its extension (the attachment's `name` keeps the whole name)."""
    name = PurePath(filename).name
    if len(name.encode()) <= MAX_STORED_NAME_BYTES:
        return name
    suffix = PurePath(name).suffix
    if len(suffix.encode()) > MAX_STORED_SUFFIX_BYTES:
        suffix = ""
    stem = name.removesuffix(suffix) if suffix else name
    room = MAX_STORED_NAME_BYTES - len(suffix.encode())
    return stem.encode()[:room].decode(errors="ignore").rstrip(" .") + suffix


def attachment_path(attachment: "Attachment", filename: str) -> str:
    """Where an attachment's file is stored: a folder per organisation, then a random one, so
    that two files of the same name never collide and no path can be guessed; the name cut to
    what any file system takes."""
    organisation_id = attachment.candidate.shortlist.organisation_id
    return f"sourcing/{organisation_id}/{uuid4().hex}/{_stored_name(filename)}"


class Attachment(models.Model):
    """A file attached to a candidate (an RFI answer, a proposal, an audit report), served only
    to members of the candidate's organisation."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=20, choices=AttachmentKind.choices)
    file = models.FileField(upload_to=attachment_path, max_length=500)
    name = models.CharField(max_length=255, help_text="The file's name as it was uploaded.")
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["candidate_id", "-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Criterion(models.Model):
    """One of a shortlist's own evaluation criteria (quote, responsiveness, technical answer,
    audit outcome…) with its weight in the team's score."""

    shortlist = models.ForeignKey(Shortlist, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(max_length=100)
    weight = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["shortlist_id", "position", "id"]
        verbose_name_plural = "criteria"
        constraints = [
            models.UniqueConstraint(
                fields=["shortlist", "name"],
                name="%(app_label)s_%(class)s_unique_name",
                violation_error_message="The shortlist already has a criterion of that name.",
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=1, weight__lte=100),
                name="%(app_label)s_%(class)s_weight_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Score(TimeStamped):
    """One member's score, 1 to 5, of one candidate on one of the shortlist's criteria. A
    criterion a member has not scored has no row: missing, never zero."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="scores")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    value = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["candidate_id", "criterion_id", "member_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "criterion", "member"],
                name="%(app_label)s_%(class)s_one_per_member",
            ),
            models.CheckConstraint(
                condition=Q(value__gte=1, value__lte=5),
                name="%(app_label)s_%(class)s_value_range",
            ),
        ]
        indexes = [
            # Has this member scored anything on the shortlist yet (what they may see).
            models.Index(fields=["member", "candidate"], name="sourcing_score_member_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.member} gave {self.candidate} {self.value} on {self.criterion}"


class Decision(models.Model):
    """A frozen record of a selection: the brief as it was, the run's scores, the comparison,
    the quotes, the team scores and the notes, who decided, when and why. It reads the same
    whatever later changes in the catalogue or the brief; reopening the decision marks this
    record reopened (it stays) and the next selection makes a new one."""

    shortlist = models.ForeignKey(Shortlist, on_delete=models.CASCADE, related_name="decisions")
    number = models.PositiveIntegerField(help_text="1 for the shortlist's first decision, …")
    # Which candidates were chosen (one, or two for dual sourcing), for lookups; the record
    # itself reads from the snapshot, which keeps their names should they be removed.
    chosen = models.ManyToManyField(Candidate, related_name="decisions", blank=True)
    rationale = bounded_text(RATIONALE_MAX_LENGTH)
    snapshot = models.JSONField(default=dict)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_by_name = models.CharField(max_length=150)
    decided_at = models.DateTimeField(default=timezone.now, editable=False)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reopen_reason = bounded_text(REOPEN_REASON_MAX_LENGTH, blank=True)

    class Meta:
        ordering = ["shortlist_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["shortlist", "number"], name="%(app_label)s_%(class)s_unique_number"
            ),
            models.UniqueConstraint(
                fields=["shortlist"],
                condition=Q(reopened_at__isnull=True),
                name="%(app_label)s_%(class)s_one_standing",
                violation_error_message="The shortlist already has a standing decision.",
            ),
        ]

    def __str__(self) -> str:
        return f"Decision {self.number} on {self.shortlist}"

    def get_absolute_url(self) -> str:
        return reverse("sourcing:decision", kwargs={"pk": self.shortlist_id, "number": self.number})

    @property
    def standing(self) -> bool:
        return self.reopened_at is None
