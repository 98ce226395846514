"""Shortlists of sites, the candidates on them and what happened to each: where a sourcing
decision is made (DESIGN.md, "Sourcing")."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.models import TimeStamped
from sourcing.choices import EXITS, ExitReason, Stage, Verb
from sourcing.querysets import CandidateQuerySet, ShortlistQuerySet

__all__ = ["Activity", "Candidate", "Note", "Shortlist"]


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
    exit_note = models.TextField(blank=True)
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
    text = models.TextField()
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
