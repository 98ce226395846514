"""Decision records: a team selects one candidate of a shortlist, or two for dual sourcing, and
says why. The record is frozen when it is made — the brief as it was, the run's scores, the
comparison, the quotes, the team scores and the notes, who decided and when — so that it reads
the same whatever later changes in the catalogue, the brief or the shortlist.

Recording a decision shows the team's scores to everyone in the organisation (it reveals them, as
an admin can, and the activity says so): the record keeps every score, and its readers see them.
So nobody reads the others' scores through a decision while they stay hidden from them.

The record lists every candidate on the shortlist when it was made (its stage, and why it left
the race), besides the comparison of at most six.

A shortlist has at most one standing decision. Reopening it marks the record reopened (it stays,
as it was) and puts the chosen candidates back where they were; the next decision is a new
record with the next number. A candidate becomes "selected" only through a decision
(sourcing/pipeline.py's `move` refuses that stage).

Views and the API call these; bad input raises Django's ValidationError keyed by the field it
concerns, and changes nothing.
"""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django_countries import countries

from core.quantities import format_quantity
from matching.choices import Criterion as BriefCriterion
from matching.engine.criteria import CRITERIA
from matching.models import Brief, Run
from matching.must_haves import must_have_item_labels
from partners.choices import CertificationKind, Region
from sourcing import comparison, scoring
from sourcing.choices import EXITS, Stage, Verb
from sourcing.models import Candidate, Decision, Note, Quote, Shortlist
from sourcing.pipeline import _actor, _log, _named

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# One candidate, or two for dual sourcing.
MAX_CHOSEN = 2
# The comparison kept with a record: as many candidates as the comparison page shows.
MAX_COMPARED = comparison.MAX_CANDIDATES

RATIONALE_MISSING = "Say why these were chosen: the rationale is kept with the record."
REASON_MISSING = "Say why the decision is reopened: the reason is kept with the record."
# The non-field key, as the API names it.
NON_FIELD = "non_field_errors"

# What a brief's record leaves out: the organisation is the shortlist's own.
BRIEF_FIELDS_LEFT_OUT = ("organisation",)
# How the brief's lists of codes read: certificate kinds, regions and countries by name.
_COUNTRY_NAMES = dict(countries)
LIST_LABELS: dict[str, dict[str, str]] = {
    "required_certifications": {kind.value: str(kind.label) for kind in CertificationKind},
    "preferred_regions": {region.value: str(region.label) for region in Region},
    "preferred_countries": _COUNTRY_NAMES,
    "excluded_countries": _COUNTRY_NAMES,
}


def standing_decision(shortlist: Shortlist) -> Decision | None:
    """The shortlist's decision that stands (not reopened), if any."""
    return shortlist.decisions.filter(reopened_at__isnull=True).first()


def _when(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


# --- What a record keeps ------------------------------------------------------------------------


def _field_value(brief: Brief, field: models.Field) -> tuple[Any, str]:
    """The field's stored value as JSON, and as a person reads it."""
    if field.many_to_many:
        related = sorted(getattr(brief, field.name).all(), key=lambda term: str(term))
        return [item.pk for item in related], ", ".join(str(item) for item in related)
    if field.many_to_one:
        related = getattr(brief, field.name)
        return (related.pk if related else None), (str(related) if related else "")
    value = getattr(brief, field.attname)
    if field.choices:
        text = str(getattr(brief, f"get_{field.name}_display")()) if value else ""
    elif isinstance(value, bool):
        text = "Yes" if value else "No"
    elif isinstance(value, datetime):
        local = timezone.localtime(value)
        text = f"{local.day} {local:%b %Y, %H:%M}"
    elif isinstance(value, date):
        text = f"{value.day} {value:%b %Y}"
    elif isinstance(value, list):
        labels = LIST_LABELS.get(field.name, {})
        text = ", ".join(str(labels.get(item, item)) for item in value)
    elif isinstance(value, dict):
        text = ", ".join(f"{key}: {item}" for key, item in value.items())
    elif value is None:
        text = ""
    else:
        text = format_quantity(value) if isinstance(value, float) else str(value)
    if isinstance(value, datetime | date):
        value = value.isoformat()
    elif isinstance(value, Decimal):
        value = str(value)
    return value, text


def brief_as_it_was(brief: Brief) -> dict[str, Any]:
    """Every stored field of the brief, read generically from its model (a field added to Brief
    later is kept too), each with its label, its value and how it reads, and the matching
    criteria with their weights and must-haves."""
    fields = []
    for field in [*Brief._meta.concrete_fields, *Brief._meta.many_to_many]:
        if field.name in BRIEF_FIELDS_LEFT_OUT:
            continue
        value, text = _field_value(brief, field)
        label = str(field.verbose_name)[:1].upper() + str(field.verbose_name)[1:]
        if field.name == "must_have_items":
            # Item by item, as the brief's page reads them: "EU GMP certificate, US market".
            label, text = "Must-haves", ", ".join(must_have_item_labels(brief)) or "None"
        fields.append({"name": field.name, "label": label, "value": value, "text": text})
    labels = dict(BriefCriterion.choices)
    must_haves = set(brief.must_haves or [])
    criteria = [
        {
            "name": name,
            "label": str(labels.get(name, name)),
            "weight": (brief.weights or {}).get(name),
            "must_have": name in must_haves,
        }
        for name in CRITERIA
    ]
    return {"id": brief.pk, "title": brief.title, "fields": fields, "criteria": criteria}


def _run(run: Run | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "id": run.pk,
        "finished_at": _when(run.finished_at),
        "method": run.method,
        "method_label": str(run.get_method_display()),
    }


def _candidate(candidate: Candidate, chosen: set[int]) -> dict[str, Any]:
    return {
        "id": candidate.pk,
        "site_id": candidate.site_id,
        "site_name": candidate.site_name,
        "provider_name": candidate.provider_name,
        "stage": candidate.stage,
        "stage_label": str(Stage(candidate.stage).label),
        "exit_reason": candidate.exit_reason,
        "exit_reason_label": str(candidate.get_exit_reason_display()),
        "owner": _username(candidate.owner),
        "due_on": _when(candidate.due_on),
        "run_id": candidate.run_id,
        "score": candidate.score,
        "rank": candidate.rank,
        "breakdown": candidate.breakdown or [],
        "scored_at": _when(candidate.scored_at),
        "chosen": candidate.pk in chosen,
    }


def _on_the_shortlist(
    on_list: dict[int, Candidate], chosen: set[int], compared: set[int]
) -> list[dict[str, Any]]:
    """Every candidate on the shortlist when the decision was made, in the order they were
    added: names, stage, and why one left the race."""
    ordered = sorted(on_list.values(), key=lambda candidate: (candidate.created_at, candidate.pk))
    return [
        {
            "candidate_id": candidate.pk,
            "site_name": candidate.site_name,
            "provider_name": candidate.provider_name,
            "stage": candidate.stage,
            "stage_label": str(Stage(candidate.stage).label),
            "exit_reason": candidate.exit_reason,
            "exit_reason_label": str(candidate.get_exit_reason_display()),
            "chosen": candidate.pk in chosen,
            "compared": candidate.pk in compared,
        }
        for candidate in ordered
    ]


REVEALED_BY_DECISION = "of “{title}”: recording decision {number} shows them to everyone"


def _reveal(shortlist: Shortlist, user: "User | AnonymousUser", number: int) -> None:
    """Show the team's scores to everyone, as the decision's record does (once)."""
    if shortlist.scores_revealed:
        return
    shortlist.scores_revealed_at = timezone.now()
    shortlist.scores_revealed_by = _actor(user)
    shortlist.save(update_fields=["scores_revealed_at", "scores_revealed_by", "updated_at"])
    _log(
        shortlist,
        user,
        Verb.REVEALED,
        REVEALED_BY_DECISION.format(title=shortlist.title, number=number),
        decision=number,
    )


def _quote(quote: Quote | None) -> dict[str, Any] | None:
    if quote is None:
        return None
    return {
        "price": str(quote.price),
        "currency": quote.currency,
        "batches": quote.batches,
        "scale_l": quote.scale_l,
        "lead_time_weeks": quote.lead_time_weeks,
        "minimum_order_batches": quote.minimum_order_batches,
        "valid_until": _when(quote.valid_until),
        "expired": quote.expired,
        "assumptions": quote.assumptions,
        "recorded_by": _username(quote.recorded_by),
        "updated_at": _when(quote.updated_at),
    }


def _quotes(compared: list[Candidate]) -> list[dict[str, Any]]:
    quotes = {
        quote.candidate_id: quote
        for quote in Quote.objects.filter(candidate__in=compared).select_related("recorded_by")
    }
    return [
        {
            "candidate_id": candidate.pk,
            "site_name": candidate.site_name,
            "provider_name": candidate.provider_name,
            "quote": _quote(quotes.get(candidate.pk)),
        }
        for candidate in compared
    ]


def _notes(compared: list[Candidate]) -> list[dict[str, Any]]:
    names = {candidate.pk: candidate for candidate in compared}
    notes = Note.objects.filter(candidate__in=compared).select_related("author")
    ordered = sorted(
        notes, key=lambda note: (list(names).index(note.candidate_id), note.created_at)
    )
    return [
        {
            "candidate_id": note.candidate_id,
            "site_name": names[note.candidate_id].site_name,
            "author": _username(note.author),
            "created_at": _when(note.created_at),
            "text": note.text,
        }
        for note in ordered
    ]


def _latest_run(compared: list[Candidate]) -> Run | None:
    """The run the candidates' scores came from: the latest of theirs."""
    runs = [candidate.run for candidate in compared if candidate.run is not None]
    if not runs:
        return None
    return max(runs, key=lambda run: (run.finished_at or run.created_at, run.pk))


# --- Deciding -----------------------------------------------------------------------------------


def _ids(values: Iterable[Any], field: str) -> list[int]:
    try:
        return list(dict.fromkeys(int(value) for value in values))
    except (TypeError, ValueError):
        raise ValidationError(
            {field: "Candidates are named by their ids, whole numbers."}
        ) from None


def _in_race_ids(shortlist: Shortlist) -> list[int]:
    return list(
        shortlist.candidates.exclude(stage__in=EXITS)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def decide(
    shortlist: Shortlist,
    user: "User | AnonymousUser",
    chosen_candidate_ids: Iterable[Any],
    rationale: str,
    compared_ids: Iterable[Any] | None = None,
) -> Decision:
    """Select one candidate of the shortlist, or two for dual sourcing, for the reason given,
    and freeze the record of what the decision was made on. `compared_ids` are the candidates
    whose comparison the record keeps (the chosen first, at most six); by default the chosen
    and every other candidate still in the race."""
    # One decision at a time per shortlist: the numbering and the "one standing" rule.
    shortlist = Shortlist.objects.select_for_update().get(pk=shortlist.pk)
    errors: dict[str, str] = {}
    chosen_ids = _ids(chosen_candidate_ids, "chosen")
    rationale = rationale.strip()
    on_list = {
        candidate.pk: candidate
        for candidate in shortlist.candidates.select_related("owner", "run", "shortlist")
    }
    standing = standing_decision(shortlist)
    if standing is not None:
        errors[NON_FIELD] = (
            f"Reopen the current decision first: decision {standing.number} stands on this "
            "shortlist. Reopen it, saying why, to record a new one."
        )
    if not chosen_ids:
        errors["chosen"] = "Choose the candidate selected, or two for dual sourcing."
    elif len(chosen_ids) > MAX_CHOSEN:
        errors["chosen"] = f"Choose one candidate, or two for dual sourcing, not {len(chosen_ids)}."
    else:
        for candidate_id in chosen_ids:
            candidate = on_list.get(candidate_id)
            if candidate is None:
                errors["chosen"] = f"No candidate of this shortlist has the id {candidate_id}."
                break
            if candidate.out_of_the_race:
                errors["chosen"] = (
                    f"{_named(candidate)} is out of the race "
                    f"({Stage(candidate.stage).label.lower()}): move it back into the race "
                    "before choosing it."
                )
                break
    if not rationale:
        errors["rationale"] = RATIONALE_MISSING
    if compared_ids is None:
        others = [pk for pk in _in_race_ids(shortlist) if pk not in chosen_ids]
        compared_list = [*chosen_ids, *others][:MAX_COMPARED]
    else:
        compared_list = list(dict.fromkeys([*chosen_ids, *_ids(compared_ids, "compared")]))
        unknown = [pk for pk in compared_list if pk not in on_list]
        if unknown and "chosen" not in errors:
            errors["compared"] = f"No candidate of this shortlist has the id {unknown[0]}."
        elif len(compared_list) > MAX_COMPARED:
            errors["compared"] = (
                f"A record keeps the comparison of at most {MAX_COMPARED} candidates, "
                f"the chosen included; {len(compared_list)} were given."
            )
    if errors:
        raise ValidationError(errors)

    chosen = [on_list[pk] for pk in chosen_ids]
    compared = [on_list[pk] for pk in compared_list]
    number = (shortlist.decisions.aggregate(last=Max("number"))["last"] or 0) + 1
    _reveal(shortlist, user, number)
    snapshot = {
        "brief": brief_as_it_was(shortlist.brief) if shortlist.brief is not None else None,
        "run": _run(_latest_run(compared)),
        "candidates": [_candidate(candidate, set(chosen_ids)) for candidate in compared],
        "shortlist": _on_the_shortlist(on_list, set(chosen_ids), set(compared_list)),
        "chosen": [
            {
                "candidate_id": candidate.pk,
                "site_name": candidate.site_name,
                "provider_name": candidate.provider_name,
                "previous_stage": candidate.stage,
                "previous_stage_label": str(Stage(candidate.stage).label),
            }
            for candidate in chosen
        ],
        # Nothing to compare with a candidate alone in the race.
        "comparison": (
            comparison.build(shortlist, compared_list, user, reveal_all=True)
            if len(compared_list) >= comparison.MIN_CANDIDATES
            else None
        ),
        "quotes": _quotes(compared),
        "team_scores": scoring.snapshot(
            scoring.team_scores(shortlist, compared_list, user, reveal_all=True)
        ),
        "notes": _notes(compared),
    }
    actor = _actor(user)
    decision = Decision.objects.create(
        shortlist=shortlist,
        number=number,
        rationale=rationale,
        snapshot=snapshot,
        decided_by=actor,
        decided_by_name=_username(actor) or "",
        decided_at=timezone.now(),
    )
    decision.chosen.set(chosen)
    Candidate.objects.filter(pk__in=chosen_ids).update(
        stage=Stage.SELECTED, exit_reason="", exit_note="", updated_at=timezone.now()
    )
    for candidate in chosen:
        alongside = [_named(other) for other in chosen if other.pk != candidate.pk]
        summary = f"to select {_named(candidate)} — decision {number}"
        if alongside:
            summary += f", with {alongside[0]} for dual sourcing"
        _log(
            shortlist,
            user,
            Verb.DECIDED,
            summary,
            candidate,
            decision=number,
            chosen=chosen_ids,
            previous_stage=candidate.stage,
        )
    Shortlist.objects.filter(pk=shortlist.pk).update(updated_at=timezone.now())
    return decision


@transaction.atomic
def reopen(decision: Decision, user: "User | AnonymousUser", reason: str) -> None:
    """Reopen a standing decision, saying why: the record stays as it was, marked reopened, and
    each chosen candidate still selected goes back to the stage it had before. The shortlist's
    next decision is a new record."""
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    reason = reason.strip()
    errors = {}
    if not decision.standing:
        errors[NON_FIELD] = (
            f"Decision {decision.number} was already reopened on "
            f"{timezone.localtime(decision.reopened_at):%d %b %Y}."
        )
    if not reason:
        errors["reason"] = REASON_MISSING
    if errors:
        raise ValidationError(errors)
    decision.reopened_at = timezone.now()
    decision.reopened_by = _actor(user)
    decision.reopen_reason = reason
    decision.save(update_fields=["reopened_at", "reopened_by", "reopen_reason"])
    previous = {
        entry["candidate_id"]: entry["previous_stage"]
        for entry in decision.snapshot.get("chosen", [])
    }
    # A chosen candidate since removed from the shortlist has nothing to go back to.
    for candidate in decision.chosen.filter(stage=Stage.SELECTED):
        stage = previous.get(candidate.pk, Stage.AUDITED)
        if stage in EXITS or stage not in Stage.values:
            stage = Stage.AUDITED
        candidate.stage = stage
        candidate.save(update_fields=["stage", "updated_at"])
    names = " and ".join(
        f"{entry['site_name']} ({entry['provider_name']})"
        for entry in decision.snapshot.get("chosen", [])
    )
    _log(
        decision.shortlist,
        user,
        Verb.REOPENED,
        f"no. {decision.number}, which selected {names} — {reason}",
        None,
        decision=decision.number,
    )
