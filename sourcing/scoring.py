"""Team scoring of a shortlist's candidates: the shortlist's own evaluation criteria with their
weights, each member's scores from 1 to 5, and what a member may see of the others'.

A member sees the others' scores on a candidate once they have entered their own on every
criterion, or once an admin has revealed the shortlist's scores; a viewer sees them once
revealed. A decision record sees everything (`reveal_all`). A criterion a member has not scored
is missing: it is shown as such and never counted as zero in a mean.

The weighted mean of a set of scores is Σ(weight * score) / Σ(weight) over the criteria that have
a score; a member's own is over the criteria they scored, the team's over the criteria's means
(each the plain mean of the members who scored it). Beside it goes its coverage: how many members
scored the candidate (on one criterion or more) and on how much of the criteria's total weight, so
that a mean over one criterion scored by one member does not read like one over everything.

Removing a criterion that has scores deletes them: set_criteria refuses unless that is confirmed.

Views and the API call these; bad input raises Django's ValidationError keyed by what it
concerns and changes nothing; every change is logged in the shortlist's activity.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from matching.choices import Role
from matching.models import Membership
from matching.roles import VIEWER_REFUSED, membership_of
from sourcing.choices import Verb
from sourcing.models import Candidate, Criterion, Score, Shortlist
from sourcing.pipeline import _log, _named

SCORE_RANGE = "Scores run from 1 to 5."
MAX_CRITERIA = 20
# What a team can start from with one click, when its shortlist has no criteria yet.
DEFAULT_CRITERIA: tuple[tuple[str, int], ...] = (
    ("Quote", 3),
    ("Responsiveness", 2),
    ("Technical answer", 3),
    ("Audit outcome", 3),
)
# Two members' scores on a criterion this far apart or more are a disagreement worth a talk.
DISAGREEMENT = 2
ADMIN_ONLY = "Only an administrator of the organisation can reveal the team's scores."


@dataclass(frozen=True)
class MemberScore:
    """One member's scores of one candidate."""

    member_id: int
    member_name: str
    # Criterion id → 1..5; a criterion not scored is absent (missing, never 0).
    values: dict[int, int]
    # The member's weighted mean over the criteria they scored; None if they scored none.
    weighted: float | None


@dataclass(frozen=True)
class CandidateTeamScore:
    """The team's scores of one candidate, as far as the viewer may see them."""

    candidate_id: int
    # Every member who may score, by user name, even those who scored nothing; empty while the
    # viewer may not see the others' scores yet.
    members: list[MemberScore]
    own: MemberScore | None
    criterion_means: dict[int, float | None]
    weighted_mean: float | None
    disagreement: dict[int, bool]
    # How many members have scored the candidate on every criterion.
    scored_by: int
    visible: bool
    # How many members scored it on one criterion or more, of how many who may score.
    rated_by: int = 0
    members_total: int = 0
    # The share (0 to 1) of the criteria's total weight that has at least one score; None while
    # the viewer may not see the others' scores.
    weight_covered: float | None = None

    @property
    def coverage(self) -> str:
        """What the weighted mean stands on, as a person reads it: "2 of 3 members, on 60% of
        the weight"."""
        text = f"{self.rated_by} of {self.members_total} member{'s' * (self.members_total != 1)}"
        if self.weight_covered is not None:
            text += f", on {self.weight_covered * 100:.0f}% of the weight"
        return text


@dataclass(frozen=True)
class TeamScores:
    criteria: list[Criterion]
    revealed: bool
    by_candidate: dict[int, CandidateTeamScore]


def _display_name(user: Any) -> str:
    return user.get_full_name() or user.get_username()


def weighted_mean(values: Mapping[int, float], weights: Mapping[int, int]) -> float | None:
    """Σ(weight * value) / Σ(weight) over the criteria that have a value; None if none has."""
    scored = [cid for cid in values if cid in weights]
    total = sum(weights[cid] for cid in scored)
    if not total:
        return None
    return sum(weights[cid] * values[cid] for cid in scored) / total


def _hidden(criteria: list[Criterion]) -> dict[str, Any]:
    """What a viewer who may not see the others' scores yet is shown of them: nothing."""
    return {
        "members": [],
        "criterion_means": {criterion.pk: None for criterion in criteria},
        "weighted_mean": None,
        "disagreement": {criterion.pk: False for criterion in criteria},
        "weight_covered": None,
    }


def team_scores(
    shortlist: Shortlist,
    candidate_ids: Iterable[int],
    viewer: "User | AnonymousUser",
    *,
    reveal_all: bool = False,
) -> TeamScores:
    """The team's scores of these candidates of the shortlist, as the viewer may see them.

    Three queries (criteria, the organisation's members, the scores), whatever the number of
    candidates and members."""
    ids = list(dict.fromkeys(int(cid) for cid in candidate_ids))
    criteria = list(shortlist.criteria.all())
    weights = {criterion.pk: criterion.weight for criterion in criteria}
    total_weight = sum(weights.values())
    memberships = list(
        Membership.objects.filter(organisation_id=shortlist.organisation_id).select_related("user")
    )
    role = next(
        (m.role for m in memberships if viewer.is_authenticated and m.user_id == viewer.pk), None
    )
    scorers: dict[int, Any] = {
        m.user_id: m.user for m in memberships if m.role in (Role.ADMIN, Role.MEMBER)
    }
    values: dict[int, dict[int, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    scores = Score.objects.filter(
        candidate_id__in=ids, candidate__shortlist=shortlist, criterion__shortlist=shortlist
    ).select_related("member")
    for row in scores:
        values[row.candidate_id][row.member_id][row.criterion_id] = row.value
        # A former member, or one now a viewer, keeps the scores they gave.
        scorers.setdefault(row.member_id, row.member)
    people = sorted(scorers.values(), key=lambda user: (user.get_username(), user.pk))
    revealed = shortlist.scores_revealed
    may_score = role in (Role.ADMIN, Role.MEMBER)

    by_candidate = {}
    for cid in ids:
        given = values.get(cid, {})
        members = [
            MemberScore(
                member_id=user.pk,
                member_name=_display_name(user),
                values=dict(given.get(user.pk, {})),
                weighted=weighted_mean(given.get(user.pk, {}), weights),
            )
            for user in people
        ]
        own = next((m for m in members if m.member_id == viewer.pk), None) if may_score else None
        if may_score and own is None:
            own = MemberScore(viewer.pk or 0, _display_name(viewer), {}, None)
        complete = [m for m in members if criteria and all(c.pk in m.values for c in criteria)]
        own_complete = own is not None and bool(criteria) and len(own.values) == len(criteria)
        visible = reveal_all or revealed or (may_score and own_complete)
        if visible:
            means: dict[int, float | None] = {}
            disagreement = {}
            for criterion in criteria:
                given_here = [m.values[criterion.pk] for m in members if criterion.pk in m.values]
                means[criterion.pk] = sum(given_here) / len(given_here) if given_here else None
                disagreement[criterion.pk] = bool(given_here) and (
                    max(given_here) - min(given_here) >= DISAGREEMENT
                )
            shown: dict[str, Any] = {
                "members": members,
                "criterion_means": means,
                "weighted_mean": weighted_mean(
                    {k: v for k, v in means.items() if v is not None}, weights
                ),
                "disagreement": disagreement,
                "weight_covered": (
                    sum(weights[cid] for cid, mean in means.items() if mean is not None)
                    / total_weight
                    if total_weight
                    else None
                ),
            }
        else:
            shown = _hidden(criteria)
        by_candidate[cid] = CandidateTeamScore(
            candidate_id=cid,
            own=own,
            scored_by=len(complete),
            visible=visible,
            rated_by=sum(1 for m in members if m.values),
            members_total=len(members),
            **shown,
        )
    return TeamScores(criteria=criteria, revealed=revealed, by_candidate=by_candidate)


def snapshot(team: TeamScores) -> dict[str, Any]:
    """The team's scores as JSON-ready data, for a frozen decision record: the criteria with
    their names and weights, and per candidate every member's values, the means and the
    disagreements. Keys are strings; a missing score is absent (never 0)."""

    def member(score: MemberScore) -> dict[str, Any]:
        return {
            "id": score.member_id,
            "name": score.member_name,
            "values": {str(cid): value for cid, value in score.values.items()},
            "weighted": score.weighted,
        }

    return {
        "criteria": [
            {"id": c.pk, "name": c.name, "weight": c.weight, "position": c.position}
            for c in team.criteria
        ],
        "revealed": team.revealed,
        "candidates": {
            str(cid): {
                "visible": score.visible,
                "members": [member(m) for m in score.members],
                "criterion_means": {str(k): v for k, v in score.criterion_means.items()},
                "weighted_mean": score.weighted_mean,
                "disagreement": {str(k): v for k, v in score.disagreement.items()},
                "scored_by": score.scored_by,
                "rated_by": score.rated_by,
                "members_total": score.members_total,
                "weight_covered": score.weight_covered,
            }
            for cid, score in team.by_candidate.items()
        },
    }


def _require_scorer(shortlist: Shortlist, user: "User | AnonymousUser") -> None:
    """Refuse (403) anyone but an admin or member of the shortlist's organisation."""
    if (
        not user.is_authenticated
        or not Membership.objects.filter(
            user_id=user.pk,
            organisation_id=shortlist.organisation_id,
            role__in=(Role.ADMIN, Role.MEMBER),
        ).exists()
    ):
        raise PermissionDenied(VIEWER_REFUSED)


def _weight(raw: Any) -> int | None:
    """A weight as given (an int, or a string from a form), or None if not a whole number."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    try:
        return int(str(raw).strip())
    except ValueError:
        return None


# A criterion to set: (name, weight), or (name, weight, id of the criterion it edits). Without
# an id, a criterion of the same name is kept (with its scores).
CriterionRow = tuple[str, int] | tuple[str, int, int | None]


def removal_refused(name: str, count: int) -> str:
    """Why a criterion with scores is not removed without a confirmation."""
    return (
        f"Removing “{name}” would delete its {count} score{'s' * (count != 1)}: confirm that "
        f"{'they are' if count != 1 else 'it is'} deleted too, or keep the criterion."
    )


def _locked(shortlist: Shortlist) -> Shortlist:
    """The shortlist's row, locked until the transaction ends: one change of its criteria at a
    time (a double click, two editors adding the same name)."""
    return Shortlist.objects.select_for_update().get(pk=shortlist.pk)


@transaction.atomic
def set_criteria(
    shortlist: Shortlist,
    user: "User | AnonymousUser",
    criteria: Sequence[CriterionRow],
    delete_scores: bool | Iterable[int] = False,
) -> list[Criterion]:
    """Make the shortlist's criteria these, in this order: rename, reweigh, reorder, add; a
    criterion left out is removed. A criterion that has scores is removed, with its scores, only
    when confirmed: `delete_scores` True for every one, or the ids of those confirmed. Errors are
    keyed `criteria.<row>.<field>` (rows from 0), `removed.<criterion id>` (a criterion with
    scores left out without confirmation) or `criteria`."""
    _require_scorer(shortlist, user)
    _locked(shortlist)
    existing = {c.pk: c for c in shortlist.criteria.all()}
    by_name = {c.name.casefold(): c for c in existing.values()}
    errors: dict[str, str] = {}
    if len(criteria) > MAX_CRITERIA:
        errors["criteria"] = f"A shortlist has at most {MAX_CRITERIA} criteria."
    rows: list[tuple[str, int, Criterion | None]] = []
    seen: set[str] = set()
    named = {int(row[2]) for row in criteria if len(row) > 2 and row[2] is not None}
    for index, row in enumerate(criteria):
        name = str(row[0] or "").strip()
        raw_weight = row[1]
        ref = row[2] if len(row) > 2 else None
        if not name:
            errors[f"criteria.{index}.name"] = "Give the criterion a name."
        elif len(name) > 100:
            errors[f"criteria.{index}.name"] = "A name has at most 100 characters."
        elif name.casefold() in seen:
            errors[f"criteria.{index}.name"] = f"“{name}” is already a criterion above."
        seen.add(name.casefold())
        weight = _weight(raw_weight) or 0
        if _weight(raw_weight) is None:
            errors[f"criteria.{index}.weight"] = "A weight is a whole number from 1 to 100."
        elif not 1 <= weight <= 100:
            errors[f"criteria.{index}.weight"] = "A weight runs from 1 to 100."
        target = None
        if ref is not None:
            target = existing.get(int(ref))
            if target is None:
                errors[f"criteria.{index}.id"] = "That criterion is no longer on the shortlist."
        else:
            # A new row named like a criterion kept on another row is a duplicate, not that one.
            target = by_name.get(name.casefold())
            if target is not None and target.pk in named:
                target = None
        rows.append((name, weight, target))
    kept_ids = [target.pk for _, _, target in rows if target is not None]
    if len(kept_ids) != len(set(kept_ids)) and not errors:
        errors["criteria"] = "The same criterion is listed twice."
    if isinstance(delete_scores, bool):
        confirmed = set(existing) if delete_scores else set()
    else:
        confirmed = {int(pk) for pk in delete_scores}
    removed = [pk for pk in existing if pk not in kept_ids]
    counts = dict(
        Score.objects.filter(criterion_id__in=removed)
        .values("criterion_id")
        .annotate(count=Count("id"))
        .values_list("criterion_id", "count")
    )
    for pk in removed:
        if counts.get(pk) and pk not in confirmed:
            errors[f"removed.{pk}"] = removal_refused(existing[pk].name, counts[pk])
    if errors:
        raise ValidationError(errors)

    before = [(c.name, c.weight) for c in existing.values()]
    shortlist.criteria.exclude(pk__in=kept_ids).delete()
    kept = [target for _, _, target in rows if target is not None]
    # Names move between rows (a swap), so free them before the unique constraint sees them: a
    # name given is stripped, so none starts with a space.
    for criterion in kept:
        criterion.name = f" {criterion.pk}"
    Criterion.objects.bulk_update(kept, ["name"])
    result = []
    for position, (name, weight, target) in enumerate(rows):
        criterion = target or Criterion(shortlist=shortlist)
        criterion.name, criterion.weight, criterion.position = name, weight, position
        result.append(criterion)
    Criterion.objects.bulk_update(kept, ["name", "weight", "position"])
    Criterion.objects.bulk_create([c for c in result if c.pk is None])
    after = [(c.name, c.weight) for c in result]
    if after != before:
        listed = ", ".join(f"{name} ({weight})" for name, weight in after) or "none"
        deleted = sum(counts.get(pk, 0) for pk in removed)
        summary = f"to {listed}"
        if deleted:
            gone = ", ".join(existing[pk].name for pk in removed if counts.get(pk))
            summary += f"; {deleted} score{'s' * (deleted != 1)} deleted with {gone}"
        _log(
            shortlist,
            user,
            Verb.CRITERIA,
            summary,
            criteria=[{"name": name, "weight": weight} for name, weight in after],
            deleted_scores=deleted,
        )
    return list(shortlist.criteria.all())


ALREADY_SET = "The shortlist already has criteria: edit them instead."


@transaction.atomic
def apply_default_criteria(shortlist: Shortlist, user: "User | AnonymousUser") -> list[Criterion]:
    """Give a shortlist without criteria the default ones (DEFAULT_CRITERIA); refused once it
    has some (a second click of the button included)."""
    _require_scorer(shortlist, user)
    _locked(shortlist)
    if shortlist.criteria.exists():
        raise ValidationError({"criteria": ALREADY_SET})
    return set_criteria(shortlist, user, list(DEFAULT_CRITERIA))


def _value(raw: Any) -> int | None:
    """A score as given (an int, or a string from a form), or None to remove it; ValueError if
    it is not a whole number from 1 to 5."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, float) and not raw.is_integer():
        raise ValueError(raw)
    value = int(raw)
    if not 1 <= value <= 5 or str(raw).strip() not in (str(value), f"{value}.0"):
        raise ValueError(raw)
    return value


@transaction.atomic
def score(
    candidate: Candidate,
    user: "User | AnonymousUser",
    values: Mapping[int, Any],
    comments: Mapping[int, str] | None = None,
) -> dict[int, int]:
    """Set the user's scores of the candidate, criterion id → 1..5; None (or "") removes one,
    back to missing. Errors are keyed by the criterion's id and nothing is changed. Returns the
    user's scores of the candidate after the change. The log names the criteria scored, never
    the values (the others may not see them yet)."""
    shortlist = candidate.shortlist
    _require_scorer(shortlist, user)
    assert isinstance(user, User)
    # One change of a candidate's scores at a time (a double submit of a first score), and the
    # criteria held while they are scored (not removed meanwhile).
    locked = Candidate.objects.select_for_update().filter(pk=candidate.pk)
    if locked.values_list("pk", flat=True).first() is None:
        raise ValidationError({"candidate": "The candidate is no longer on the shortlist."})
    criteria = {c.pk: c for c in shortlist.criteria.select_for_update()}
    comments = comments or {}
    errors: dict[str, str] = {}
    wanted: dict[int, int | None] = {}
    for raw_id, raw in {**dict.fromkeys(comments), **values}.items():
        try:
            cid = int(raw_id)
        except (TypeError, ValueError):
            errors[str(raw_id)] = f"No criterion has the id {raw_id}."
            continue
        if cid not in criteria:
            errors[str(cid)] = f"The shortlist has no criterion with the id {cid}."
            continue
        if raw_id not in values and cid not in values:
            continue  # a comment alone is kept on the score below, if there is one
        try:
            wanted[cid] = _value(raw)
        except (TypeError, ValueError):
            errors[str(cid)] = SCORE_RANGE
    for raw_id, comment in comments.items():
        if len(comment or "") > 500 and str(raw_id) not in errors:
            errors[str(raw_id)] = "A comment has at most 500 characters."
    if errors:
        raise ValidationError(errors)
    notes = {int(cid): (comment or "").strip() for cid, comment in comments.items()}

    mine = {
        row.criterion_id: row
        for row in Score.objects.filter(candidate=candidate, member_id=user.pk).select_for_update()
    }
    now = timezone.now()
    created: list[Score] = []
    updated: list[Score] = []
    removed: list[int] = []
    for cid, value in wanted.items():
        row = mine.get(cid)
        if value is None:
            if row is not None:
                removed.append(row.pk)
                del mine[cid]
        elif row is None:
            mine[cid] = Score(
                candidate=candidate,
                criterion=criteria[cid],
                member=user,
                value=value,
                comment=notes.get(cid, ""),
            )
            created.append(mine[cid])
        elif row.value != value:
            row.value = value
            updated.append(row)
    # A comment goes with a score: kept on it, or on the one just given.
    for cid, comment in notes.items():
        row = mine.get(cid)
        if row is not None and row.pk is not None and row.comment != comment:
            row.comment = comment
            if row not in updated:
                updated.append(row)
    for row in updated:
        row.updated_at = now
    Score.objects.filter(pk__in=removed).delete()
    Score.objects.bulk_create(created)
    Score.objects.bulk_update(updated, ["value", "comment", "updated_at"])
    if created or updated or removed:
        names = [criteria[cid].name for cid in wanted if wanted[cid] is not None]
        cleared = [criteria[cid].name for cid in wanted if wanted[cid] is None]
        summary = _named(candidate)
        if names:
            summary += f" on {', '.join(names)}"
        if removed:
            summary += f"{';' if names else ','} cleared {', '.join(cleared)}"
        _log(shortlist, user, Verb.SCORED, summary, candidate, criteria=sorted(wanted))
    return {cid: row.value for cid, row in mine.items()}


@transaction.atomic
def reveal(shortlist: Shortlist, user: "User | AnonymousUser") -> None:
    """Show the team's scores to everyone in the organisation, viewers included (admins only).
    Revealing again changes nothing."""
    membership = membership_of(user)
    if membership is None or membership.organisation_id != shortlist.organisation_id:
        raise PermissionDenied(ADMIN_ONLY)
    if membership.role != Role.ADMIN:
        raise PermissionDenied(ADMIN_ONLY)
    if shortlist.scores_revealed:
        return
    shortlist.scores_revealed_at = timezone.now()
    shortlist.scores_revealed_by = user  # type: ignore[assignment]
    shortlist.save(update_fields=["scores_revealed_at", "scores_revealed_by", "updated_at"])
    _log(shortlist, user, Verb.REVEALED, f"of “{shortlist.title}”")
