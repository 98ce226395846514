"""Sponsor organisations, their members and their briefs: what a sponsor asks the catalogue for."""

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse

from core.choices import JobStatus
from core.models import TimeStamped
from matching.choices import BatchUnit, Role, default_weights
from matching.engine.criteria import BriefCriteria, brief_criteria
from matching.querysets import BriefQuerySet
from matching.validation import (
    validate_batch_size,
    validate_certification_kinds,
    validate_country_codes,
    validate_market_codes,
    validate_must_haves,
    validate_oel,
    validate_regions,
    validate_weights,
)
from partners.choices import DEA_SCHEDULES, PHASES, TermKind
from partners.regions import REGION_HELP

if TYPE_CHECKING:
    # The project keeps Django's user model (no AUTH_USER_MODEL of its own).
    from django.contrib.auth.models import AnonymousUser, User

__all__ = [
    "Acceptability",
    "Brief",
    "Invitation",
    "InvitationQuerySet",
    "Membership",
    "Organisation",
    "Result",
    "ResultKey",
    "Run",
    "RunMethod",
    "organisation_of",
]


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
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        ordering = ["organisation_id", "user_id"]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation} ({self.role})"

    @property
    def can_change(self) -> bool:
        """Whether the member may change the organisation's briefs, runs and shortlists."""
        return self.role in (Role.ADMIN, Role.MEMBER)


class InvitationQuerySet(models.QuerySet):
    def open(self) -> "InvitationQuerySet":
        """Neither accepted nor revoked (an open invitation may have expired)."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)

    def pending(self, now: datetime) -> "InvitationQuerySet":
        """Open and not yet expired at `now`: the link still works."""
        return self.open().filter(expires_at__gt=now)


class Invitation(TimeStamped):
    """An admin's invitation to an e-mail address to join the organisation with a role.

    The link mailed to the address carries a random token; only its SHA-256 is stored, so the
    table alone cannot be used to join. A link works once, until `expires_at`, unless revoked.
    Addresses are stored lower-cased: an organisation has one open invitation per address,
    whatever its case (matching/invitations.py replaces an open one when the address is invited
    again).
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The accept page looks an invitation up by the hash of its link's token; the
            # unique index serves that lookup.
            models.UniqueConstraint(
                fields=["token_hash"], name="%(app_label)s_%(class)s_unique_token_hash"
            ),
            models.UniqueConstraint(
                "organisation",
                Lower("email"),
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="%(app_label)s_%(class)s_one_open_per_email",
                violation_error_message="This address already has an open invitation.",
            ),
            models.CheckConstraint(
                condition=Q(email=Lower("email")),
                name="%(app_label)s_%(class)s_email_lower_case",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="%(app_label)s_%(class)s_not_accepted_and_revoked",
            ),
        ]
        indexes = [
            # The members page's pending invitations and the daily count of an organisation's
            # invitations: its invitations, newest first.
            models.Index(
                fields=["organisation", "-created_at"], name="matching_invit_org_created_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.organisation} ({self.role})"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


def organisation_of(user: "User | AnonymousUser") -> Organisation | None:
    """The organisation the user belongs to, or None (anonymous, or not a member of any)."""
    if not user.is_authenticated:
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
        null=True,
        blank=True,
        validators=[validate_batch_size],
        help_text="Per batch, in the unit: from 0.001 to 100,000.",
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
        validators=[validate_oel],
        help_text="The product's occupational exposure limit, from 0.001 to 100,000 µg/m³; a "
        "site must contain down to it.",
    )
    dea_schedule = models.CharField("DEA schedule", max_length=3, choices=DEA_SCHEDULES, blank=True)

    # Where
    preferred_regions = models.JSONField(
        default=list, blank=True, validators=[validate_regions], help_text=REGION_HELP
    )
    preferred_countries = models.JSONField(
        default=list, blank=True, validators=[validate_country_codes]
    )
    excluded_countries = models.JSONField(
        default=list, blank=True, validators=[validate_country_codes]
    )

    # Weights and must-haves
    weights = models.JSONField(default=default_weights, validators=[validate_weights])
    must_haves = models.JSONField(default=list, blank=True, validators=[validate_must_haves])
    # Must-haves per item of the brief's lists (dosage forms, services, technologies, target
    # markets, certifications): {"required_certifications": ["eu-gmp"], "dosage_forms":
    # ["injectable"], ...}; an item of those lists not named here is a nice-to-have.
    must_have_items = models.JSONField(default=dict, blank=True)
    needed_by = models.DateField(
        "needed by",
        null=True,
        blank=True,
        help_text="When the first batch is needed: sites with capacity free by then score higher.",
    )

    # For the owners: a change of the product that altered what the brief asks (regions that
    # now follow UN M49, migration 0011), shown on the brief's page.
    notice = models.TextField(
        blank=True,
        editable=False,
        help_text="A dated note on a change that altered what the brief asks, for its owners.",
    )

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
        """The brief as the plain data the engine reads (term sets through prefetches if any)."""
        return brief_criteria(self)


# --- Match runs ----------------------------------------------------------------------------------


class RunMethod(models.TextChoices):
    WEIGHTED = "weighted", "Weighted mean"
    TOPSIS = "topsis", "TOPSIS"


class RunQuerySet(models.QuerySet):
    def for_user(self, user: object) -> "RunQuerySet":
        """The runs of the user's organisation; none for anyone else (a 404, as for briefs)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(organisation__memberships__user=user)


class Run(models.Model):
    """One brief scored against the whole catalogue by a Celery task (matching/runs.py).

    The organisation is the brief's, copied so that scoping a run needs no join through the brief.
    `heartbeat_at` is written at every progress step: a RUNNING run whose heartbeat is stale
    belongs to a worker that died, and may be taken over (matching/runs.py explains).
    """

    brief = models.ForeignKey(Brief, on_delete=models.CASCADE, related_name="runs")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="runs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    method = models.CharField(max_length=10, choices=RunMethod.choices, default=RunMethod.WEIGHTED)
    # Started by the product itself (a kept brief's re-run), not by a person: outside the
    # organisation's quota, and not counted against the runs people start (matching/quotas.py).
    automatic = models.BooleanField(default=False, editable=False)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="0 to 100.")
    catalogue_version = models.CharField(
        max_length=64, blank=True, help_text="The catalogue version token the run scored."
    )
    sites_scored = models.PositiveIntegerField(null=True, blank=True)
    eligible = models.PositiveIntegerField(null=True, blank=True)
    excluded = models.PositiveIntegerField(null=True, blank=True)
    funnel = models.JSONField(default=list, blank=True)
    relaxation = models.JSONField(null=True, blank=True)
    # How much the top of the ranking depends on the weights (matching/engine/stability.py):
    # per criterion the weight range keeping the leader first, per adjacent pair the smallest
    # weight change that swaps them.
    stability = models.JSONField(null=True, blank=True)
    # The run's scores as a histogram (bucket counts over 0-100), for its page.
    distribution = models.JSONField(null=True, blank=True)
    error = models.TextField(
        blank=True, help_text="Why the run failed; while queued, why it has not started yet."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # Which worker owns the run: one more with each worker that takes it, never reset (a
    # retry resets `attempts`), so a worker whose claim has been passed writes nothing.
    claim = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100),
                name="%(app_label)s_%(class)s_progress_at_most_100",
            ),
        ]
        indexes = [
            models.Index(fields=["brief", "-created_at"], name="matching_run_brief_created_idx"),
            # The sweeps: queued runs never picked up, running runs whose worker went quiet.
            models.Index(fields=["status", "heartbeat_at"], name="matching_run_status_beat_idx"),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} of {self.brief_id} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("matching:run", kwargs={"pk": self.pk})

    @property
    def active(self) -> bool:
        """Queued or running: its page follows the progress."""
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)


class ResultQuerySet(models.QuerySet):
    """Result rows read as model instances come with `breakdown` and `reason` as the run wrote
    them, whether stored in full or compactly (matching/stored_results.py)."""

    _key_run: "Run | None" = None
    # Fills compact rows' breakdown and reason: matching.stored_results.expand, set by the
    # app's ready() (the codec reads ResultKey rows, so this module cannot import it).
    expand_rows: ClassVar[Callable[[list, "Run | None"], None] | None] = None

    def of_run(self, run: "Run") -> "ResultQuerySet":
        """The run's rows, read with the run's key kept on `run`: the readers of one run's
        rows (its page: ranked, excluded, summary) read its key once."""
        clone = self.filter(run=run)
        clone._key_run = run
        return clone

    def _clone(self) -> "ResultQuerySet":
        clone = super()._clone()  # type: ignore[misc]
        clone._key_run = self._key_run
        return clone

    def _fetch_all(self) -> None:
        fetched = self._result_cache is None
        super()._fetch_all()
        expand = ResultQuerySet.expand_rows
        if fetched and self._result_cache and isinstance(self._result_cache[0], Result):
            assert expand is not None, "matching.apps.MatchingConfig.ready() sets expand_rows"
            expand(self._result_cache, self._key_run)


class Result(models.Model):
    """One site's place in a run: ranked with its breakdown, or excluded with the reason.

    The site's and provider's names are copied, so a run still reads after the catalogue
    changes (the site link is nulled if the site is deleted). `breakdown` is a list of
    {criterion, sub_score, weight, must_have, sentence, verdict}, one per criterion, for every
    eligible site.

    A run stores its rows compactly (matching/stored_results.py): `parts` points into the
    run's ResultKey (per criterion its part, or for an excluded site its reason) and `verdicts`
    has a letter per criterion, while `breakdown` is null and `reason` empty; reading the rows
    as instances gives both back in full. Rows stored before, or made through the ORM, keep
    them in full and have no `parts`.
    """

    # No index of its own on `run`: the unique (run, site) and the (run, rank) indexes lead
    # with it, and a run writes thousands of rows at once.
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="results", db_index=False)
    # No database constraint: checking one per row is a good part of a run's write, and the
    # link is nulled by Django when a site is deleted (on_delete), the names staying.
    site = models.ForeignKey(
        "partners.Site",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    site_name = models.CharField(max_length=300, blank=True)
    provider_name = models.CharField(max_length=300, blank=True)
    eligible = models.BooleanField()
    rank = models.PositiveIntegerField(null=True, blank=True)  # 1 = best; null when excluded
    score = models.FloatField(null=True, blank=True)  # 0-100; null when excluded
    # Null in a compact row (its `parts` say it); read as instances, the breakdown in full.
    breakdown = models.JSONField(default=list, blank=True, null=True)
    reason = models.TextField(blank=True)  # why an excluded site is excluded
    # The constraint behind `reason`: the first the site failed, in the funnel's order (a
    # criterion name, an item must-have such as "required_certifications:eu-gmp", "modality" or
    # "excluded_countries"); "" when the site is eligible.
    excluded_by = models.CharField(max_length=100, blank=True, db_default="")
    # A compact row's indexes into its run's ResultKey, as unsigned varints: an eligible site's
    # part per criterion, an excluded site's reason. Null in a row stored in full.
    parts = models.BinaryField(null=True, blank=True, editable=False)
    # A compact eligible row's verdicts, a letter per criterion in the breakdown's order
    # (stored_results.VERDICT_LETTERS), so that the database can count who meets what.
    verdicts = models.CharField(max_length=32, blank=True, db_default="")

    objects = ResultQuerySet.as_manager()

    class Meta:
        ordering = ["run_id", "rank", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "site"], name="%(app_label)s_%(class)s_unique_site_per_run"
            ),
        ]
        indexes = [
            # Only the ranked rows have a rank: the excluded ones are read by (run, site).
            models.Index(
                fields=["run", "rank"],
                name="matching_result_ranked_idx",
                condition=Q(eligible=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site_name} in run {self.run_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A compact row read in full and saved is stored in full: what the instance holds."""
        if getattr(self, "_expanded", False):
            self.parts = None
            self.verdicts = ""
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "parts", "verdicts"}
        super().save(*args, **kwargs)


class ResultKey(models.Model):
    """What a run's compact result rows point into (matching/stored_results.py): the criteria
    in the breakdown's order with the weight and must-have flag the run used, each criterion's
    distinct parts (sub-score, sentence, verdict), and the distinct reasons of the excluded
    sites. A run's eligible sites share most of their parts, so each is stored once per run
    rather than once per site."""

    run = models.OneToOneField(
        Run, on_delete=models.CASCADE, primary_key=True, related_name="result_key"
    )
    criteria = models.JSONField(default=list)  # [[criterion, weight, must_have], ...]
    parts = models.JSONField(default=list)  # per criterion: [[sub_score, sentence, verdict], ...]
    reasons = models.JSONField(default=list)  # [reason, ...]

    def __str__(self) -> str:
        return f"Result key of run {self.run_id}"


class Acceptability(models.Model):
    """A rank-acceptability analysis of a done run (SMAA-2, Lahdelma & Salminen 2001), computed by
    a Celery job: weightings sampled (uniformly over all weightings, or around the brief's own)
    and, for each of the run's top sites, the share of them under which it ranks first, in the
    top three and in the top ten, with the central weights of the leaders. Reproducible: the
    same seed and samples give the same shares."""

    class Sampling(models.TextChoices):
        UNIFORM = "uniform", "Uniform over all weightings"
        AROUND = "around", "Around the brief's weights"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="acceptability")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    sampling = models.CharField(max_length=8, choices=Sampling.choices, default=Sampling.UNIFORM)
    samples = models.PositiveIntegerField(default=10_000)
    seed = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="0 to 100.")
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "acceptability analyses"
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100),
                name="%(app_label)s_%(class)s_progress_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(samples__gte=100, samples__lte=1_000_000),
                name="%(app_label)s_%(class)s_samples_range",
            ),
        ]
        indexes = [
            # A run's analyses, newest first (its page).
            models.Index(fields=["run", "-created_at"], name="matching_accept_run_idx"),
            # The sweeps: queued jobs never picked up, running ones whose worker went quiet.
            models.Index(fields=["status", "heartbeat_at"], name="matching_accept_status_idx"),
        ]

    def __str__(self) -> str:
        return f"Acceptability {self.pk} of run {self.run_id} ({self.status})"

    @property
    def active(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)
