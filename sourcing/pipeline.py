"""What a team does to a shortlist: create it, add sites, move candidates through the stages,
assign the next step, write notes, remove. Every change is logged (Activity) with who and when.

Views and the API call these; bad input raises Django's ValidationError keyed by the field it
concerns, with a message saying what is wrong and what would do, and changes nothing.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.choices import JobStatus
from matching.models import Brief, Membership, Organisation, Result, Run
from partners.models import Site
from sourcing.choices import EXITS, ExitReason, Stage, Verb
from sourcing.models import Activity, Candidate, Note, Shortlist
from sourcing.watching.watchers import start_watching

if TYPE_CHECKING:
    # The project keeps Django's user model (no AUTH_USER_MODEL of its own).
    from django.contrib.auth.models import User

MAX_SITES_AT_ONCE = 200


def _actor(user: "User | AnonymousUser") -> "User | None":
    return None if isinstance(user, AnonymousUser) else user


def _log(
    shortlist: Shortlist,
    user: "User | AnonymousUser",
    verb: Verb,
    summary: str,
    candidate: Candidate | None = None,
    **detail: Any,
) -> Activity:
    return Activity.objects.create(
        shortlist=shortlist,
        candidate=candidate,
        actor=_actor(user),
        verb=verb,
        summary=summary[:500],
        detail=detail,
    )


def _named(candidate: Candidate) -> str:
    return f"{candidate.site_name} ({candidate.provider_name})"


@transaction.atomic
def create_shortlist(
    organisation: Organisation, user: "User | AnonymousUser", title: str, brief: Brief | None = None
) -> Shortlist:
    """A new shortlist of the organisation, for the brief if one is given (of the same
    organisation)."""
    title = title.strip()
    if not title:
        raise ValidationError({"title": "Give the shortlist a title."})
    if brief is not None and brief.organisation_id != organisation.pk:
        raise ValidationError({"brief": "The brief belongs to another organisation."})
    shortlist = Shortlist.objects.create(
        organisation=organisation, brief=brief, title=title, created_by=_actor(user)
    )
    _log(shortlist, user, Verb.CREATED, f"“{title}”")
    return shortlist


@dataclass
class Added:
    """What `add_sites` did: the candidates it created, and the sites already on the list."""

    candidates: list[Candidate] = field(default_factory=list)
    already_listed: list[int] = field(default_factory=list)


@transaction.atomic
def add_sites(
    shortlist: Shortlist,
    site_ids: Iterable[int],
    user: "User | AnonymousUser",
    run: Run | None = None,
) -> Added:
    """Put these sites on the shortlist as longlisted candidates. From a run (of the shortlist's
    organisation), each keeps its score, rank and breakdown there, dated; otherwise it is "not
    scored". A site already on the list stays as it is."""
    wanted = list(dict.fromkeys(int(site_id) for site_id in site_ids))
    if not wanted:
        raise ValidationError({"sites": "Choose at least one site to add."})
    if len(wanted) > MAX_SITES_AT_ONCE:
        raise ValidationError({"sites": f"Add at most {MAX_SITES_AT_ONCE} sites at once."})
    if run is not None and run.organisation_id != shortlist.organisation_id:
        raise ValidationError({"run": "The run belongs to another organisation."})
    found = Site.objects.select_related("provider").filter(pk__in=wanted)
    sites = {site.pk: site for site in found}
    unknown = [site_id for site_id in wanted if site_id not in sites]
    if unknown:
        raise ValidationError({"sites": f"No site has the id {unknown[0]}."})
    listed = set(shortlist.candidates.filter(site_id__in=wanted).values_list("site_id", flat=True))
    results = {}
    if run is not None:
        results = {
            result.site_id: result
            for result in Result.objects.filter(run=run, site_id__in=wanted, eligible=True)
        }
    scored_at = run.finished_at if run is not None else None
    new = []
    for site_id in wanted:
        if site_id in listed:
            continue
        site = sites[site_id]
        result = results.get(site_id)
        new.append(
            Candidate(
                shortlist=shortlist,
                site=site,
                site_name=site.name,
                provider_name=site.provider.name,
                run=run if result else None,
                score=result.score if result else None,
                rank=result.rank if result else None,
                breakdown=result.breakdown if result else [],
                scored_at=scored_at if result else None,
                added_by=_actor(user),
            )
        )
    created = Candidate.objects.bulk_create(new)
    Activity.objects.bulk_create(
        Activity(
            shortlist=shortlist,
            candidate=candidate,
            actor=_actor(user),
            verb=Verb.ADDED,
            summary=_named(candidate)
            + (
                f" from run {run.pk}, rank {candidate.rank}, score {candidate.score:.1f}"
                if run is not None and candidate.scored
                else " (not scored)"
            ),
            detail={"site": candidate.site_id, "run": candidate.run_id},
        )
        for candidate in created
    )
    if created:
        Shortlist.objects.filter(pk=shortlist.pk).update(updated_at=timezone.now())
        # The shortlisted sites are watched from now on, with what their records hold now.
        start_watching(candidate.site_id for candidate in created if candidate.site_id is not None)
    return Added(created, sorted(listed))


# A candidate is selected by a decision record, with its rationale (sourcing/decisions.py).
SELECT_BY_DECISION = (
    "A candidate is selected through a decision, with the reason for it: use “Record a "
    "decision” on the shortlist."
)


def score_from_run(run_id: int) -> int:
    """Give the candidates that are "not scored" (added from the directory or a profile) on the
    shortlists of a done run's brief their score, rank and breakdown in that run, dated, where
    the run found their site eligible; logged on each shortlist. Returns how many were scored.
    Candidates scored by an earlier run keep that score: it is the one they were added with."""
    run = Run.objects.filter(pk=run_id, status=JobStatus.DONE).first()
    if run is None:
        return 0
    waiting = list(
        Candidate.objects.filter(
            shortlist__brief_id=run.brief_id, score__isnull=True, site__isnull=False
        ).select_related("shortlist")
    )
    if not waiting:
        return 0
    results = {
        result.site_id: result
        for result in Result.objects.filter(
            run=run, eligible=True, site_id__in={candidate.site_id for candidate in waiting}
        )
    }
    scored = []
    for candidate in waiting:
        result = results.get(candidate.site_id)
        if result is None:
            continue
        candidate.run = run
        candidate.score = result.score
        candidate.rank = result.rank
        candidate.breakdown = result.breakdown
        candidate.scored_at = run.finished_at
        scored.append(candidate)
    with transaction.atomic():
        Candidate.objects.bulk_update(scored, ["run", "score", "rank", "breakdown", "scored_at"])
        Activity.objects.bulk_create(
            Activity(
                shortlist=candidate.shortlist,
                candidate=candidate,
                # Whoever started the run: it scored them.
                actor_id=run.created_by_id,
                verb=Verb.SCORED,
                summary=f"{_named(candidate)} in run {run.pk} of the brief: rank "
                f"{candidate.rank}, score {candidate.score:.1f}",
                detail={"site": candidate.site_id, "run": run.pk},
            )
            for candidate in scored
        )
    return len(scored)


def _stage_error(stage: str) -> str:
    known = ", ".join(Stage.values)
    return f"Unknown stage “{stage}”: use one of {known}."


@transaction.atomic
def move(
    candidate: Candidate,
    stage: str,
    user: "User | AnonymousUser",
    exit_reason: str = "",
    exit_note: str = "",
) -> Candidate:
    """Move the candidate to a stage of the pipeline, or out of the race with a reason (and an
    optional note). Moving back into the race clears the reason. Selecting is a decision's
    (sourcing/decisions.py): this refuses that stage, and moving a candidate that a standing
    decision chose."""
    errors = {}
    if stage not in Stage.values:
        errors["stage"] = _stage_error(stage)
    elif stage in EXITS and not exit_reason:
        reasons = ", ".join(label.lower() for label in ExitReason.labels)
        errors["exit_reason"] = f"Say why the candidate is {Stage(stage).label.lower()}: {reasons}."
    elif exit_reason and exit_reason not in ExitReason.values:
        errors["exit_reason"] = (
            f"Unknown reason “{exit_reason}”: use one of {', '.join(ExitReason.values)}."
        )
    elif stage == Stage.SELECTED and candidate.stage != Stage.SELECTED:
        errors["stage"] = SELECT_BY_DECISION
    elif stage != Stage.SELECTED and candidate.stage == Stage.SELECTED:
        # Its standing decision keeps it selected until the decision is reopened.
        standing = candidate.decisions.filter(reopened_at__isnull=True).first()
        if standing is not None:
            errors["stage"] = (
                f"{_named(candidate)} was chosen by decision {standing.number}: reopen that "
                "decision, saying why, to move it."
            )
    if errors:
        raise ValidationError(errors)
    leaving = stage in EXITS
    reason = exit_reason if leaving else ""
    note = exit_note.strip() if leaving else ""
    if (candidate.stage, candidate.exit_reason, candidate.exit_note) == (stage, reason, note):
        return candidate
    before = Stage(candidate.stage).label
    candidate.stage, candidate.exit_reason, candidate.exit_note = stage, reason, note
    candidate.save(update_fields=["stage", "exit_reason", "exit_note", "updated_at"])
    summary = f"{_named(candidate)} from {before} to {Stage(stage).label}"
    if leaving:
        summary += f" ({ExitReason(reason).label.lower()}{': ' + note if note else ''})"
    _log(
        candidate.shortlist,
        user,
        Verb.MOVED,
        summary,
        candidate,
        stage=stage,
        exit_reason=reason,
    )
    return candidate


_UNSET: Any = object()


@transaction.atomic
def assign(
    candidate: Candidate,
    user: "User | AnonymousUser",
    owner: "User | None" = _UNSET,
    due_on: date | None = _UNSET,
) -> Candidate:
    """Set who owns the candidate's next step and by when. The owner must be a member of the
    shortlist's organisation; a due date, when set or changed, cannot be in the past."""
    errors = {}
    changed = []
    if owner is not _UNSET and owner != candidate.owner:
        organisation_id = candidate.shortlist.organisation_id
        if (
            owner is not None
            and not Membership.objects.filter(
                user_id=owner.pk, organisation_id=organisation_id
            ).exists()
        ):
            errors["owner"] = "The owner must be a member of the organisation."
        else:
            candidate.owner = owner
            changed.append("owner")
    if due_on is not _UNSET and due_on != candidate.due_on:
        if due_on is not None and due_on < timezone.localdate():
            errors["due_on"] = (
                f"The next step cannot be due in the past ({due_on:%d %b %Y}): "
                "give today or a later date."
            )
        else:
            candidate.due_on = due_on
            changed.append("due_on")
    if errors:
        raise ValidationError(errors)
    if not changed:
        return candidate
    candidate.save(update_fields=[*changed, "updated_at"])
    who = candidate.owner.get_username() if candidate.owner else "nobody"
    when = f"{candidate.due_on:%d %b %Y}" if candidate.due_on else "no date"
    _log(
        candidate.shortlist,
        user,
        Verb.ASSIGNED,
        f"{_named(candidate)} to {who}, next step due {when}",
        candidate,
        owner=candidate.owner_id,
        due_on=candidate.due_on.isoformat() if candidate.due_on else None,
    )
    return candidate


@transaction.atomic
def add_note(candidate: Candidate, user: "User | AnonymousUser", text: str) -> Note:
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write the note before saving it."})
    note = Note.objects.create(candidate=candidate, author=_actor(user), text=text)
    _log(candidate.shortlist, user, Verb.NOTED, f"on {_named(candidate)}", candidate)
    return note


@transaction.atomic
def remove(candidate: Candidate, user: "User | AnonymousUser") -> None:
    """Take the candidate off its shortlist; the log keeps that it was there."""
    _log(candidate.shortlist, user, Verb.REMOVED, _named(candidate), None, site=candidate.site_id)
    candidate.delete()
