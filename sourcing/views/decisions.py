"""Decision records as pages: record a decision (one candidate, or two for dual sourcing, and
why), a shortlist's decisions, a frozen record, and reopening it.

A record's page reads only what the record froze (its snapshot, its rationale, who decided and
when), so it reads the same whatever changes later; only the reopening banner is added. As
elsewhere, every lookup goes through `for_user` (another organisation's is a 404), every change
needs a role that may change (a 403 for viewers) and is made by sourcing/decisions.py, whose
errors are shown beside the field they name.
"""

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from matching.roles import can_change, require_change
from sourcing import decisions
from sourcing.choices import EXITS
from sourcing.forms import IdsField, PipelineForm
from sourcing.models import (
    RATIONALE_MAX_LENGTH,
    REOPEN_REASON_MAX_LENGTH,
    Decision,
    Shortlist,
)

# The brief's fields the record's page does not list as facts: its id, its title (the heading)
# and the weights and must-haves (the criteria table).
HIDDEN_BRIEF_FIELDS = ("id", "title", "weights", "must_haves")


class CandidateIdsField(IdsField):
    """Candidate ids, as repeated values (checkboxes, or hidden inputs)."""

    not_ids = "Candidates are named by their ids."


class DecisionForm(PipelineForm):
    """The candidate chosen (or two), why, and the candidates whose comparison the record
    keeps."""

    chosen = CandidateIdsField(label="Chosen", required=False)
    rationale = forms.CharField(
        label="Rationale",
        required=False,  # decisions.py says what is missing
        max_length=RATIONALE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6, "required": True}),
        help_text="Why these, and not the others: kept with the record as written.",
    )
    compared = CandidateIdsField(label="Compared", required=False)


class ReopenForm(PipelineForm):
    reason = forms.CharField(
        label="Reason",
        required=False,  # decisions.py says what is missing
        max_length=REOPEN_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "required": True}),
        help_text="Why the decision no longer stands. The record stays, marked reopened.",
    )


def _shortlist(request: HttpRequest, pk: int) -> Shortlist:
    return get_object_or_404(
        Shortlist.objects.for_user(request.user).select_related("brief"), pk=pk
    )


def _decision(request: HttpRequest, pk: int, number: int) -> Decision:
    decisions_of_user = Decision.objects.filter(
        shortlist__in=Shortlist.objects.for_user(request.user)
    ).select_related("shortlist__brief", "reopened_by")
    return get_object_or_404(decisions_of_user, shortlist_id=pk, number=number)


# A candidate's id fits a BigAutoField: a larger number names no candidate.
MAX_ID = 2**63 - 1


def _ids(values: list[str]) -> list[int]:
    """The ids among the values, repeated or comma-separated: whole numbers written in ASCII
    digits from 1 to MAX_ID; others ("²", "-1", a huge number) are ignored."""
    found = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if part.isascii() and part.isdigit() and 1 <= int(part) <= MAX_ID:
                found.append(int(part))
    return list(dict.fromkeys(found))


# --- Recording a decision -----------------------------------------------------------------------


def _render_decide(
    request: HttpRequest, shortlist: Shortlist, form: DecisionForm, compared: list[int], status: int
) -> HttpResponse:
    candidates = list(
        shortlist.candidates.exclude(stage__in=EXITS)
        .select_related("site__provider")
        .order_by("created_at", "id")
    )
    names = {candidate.pk: candidate.site_name for candidate in shortlist.candidates.all()}
    chosen = form["chosen"].value() or []
    chosen_ids = {str(value) for value in (chosen if isinstance(chosen, list) else [chosen])}
    return render(
        request,
        "sourcing/decide.html",
        {
            "shortlist": shortlist,
            "candidates": candidates,
            "chosen_ids": chosen_ids,
            "compared": [(pk, names[pk]) for pk in compared if pk in names],
            "form": form,
            "standing": decisions.standing_decision(shortlist),
            "can_change": can_change(request.user),
            "max_compared": decisions.MAX_COMPARED,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The form that records a decision. From the comparison page, `?c=<id>` (repeated) names
    the candidates compared: the record keeps their comparison, and one or two of them are
    chosen already."""
    shortlist = _shortlist(request, pk)
    if request.method == "POST":
        require_change(request.user)
        form = DecisionForm(request.POST, auto_id="decide-%s")
        decision = None
        compared: list[int] = []
        if form.is_valid():
            compared = form.cleaned_data["compared"]
            decision = form.apply(
                decisions.decide,
                shortlist,
                request.user,
                form.cleaned_data["chosen"],
                form.cleaned_data["rationale"],
                compared_ids=compared or None,
            )
        if decision is not None:
            messages.success(request, f"Decision {decision.number} recorded.")
            return redirect(decision)
        return _render_decide(request, shortlist, form, compared, status=400)
    compared = _ids(request.GET.getlist("c"))
    initial = {"compared": compared}
    if 0 < len(compared) <= decisions.MAX_CHOSEN:
        initial["chosen"] = compared
    form = DecisionForm(initial=initial, auto_id="decide-%s")
    return _render_decide(request, shortlist, form, compared, status=200)


# --- The decisions of a shortlist, and one record ------------------------------------------------


@login_required
@require_GET
def decision_list(request: HttpRequest, pk: int) -> HttpResponse:
    shortlist = _shortlist(request, pk)
    records = shortlist.decisions.select_related("reopened_by").order_by("-number")
    return render(
        request,
        "sourcing/decision_list.html",
        {
            "shortlist": shortlist,
            "decisions": records,
            "standing": next((record for record in records if record.standing), None),
            "can_change": can_change(request.user),
        },
    )


@dataclass
class MemberRow:
    name: str
    values: list[int | None]
    weighted: float | None


@dataclass
class TeamTable:
    """One candidate's team scores as the record froze them: a row per member, a column per
    criterion, then the team's means."""

    site_name: str
    members: list[MemberRow]
    means: list[tuple[float | None, bool]]
    weighted_mean: float | None
    # What the weighted mean stands on ("2 of 3 members, on 60% of the weight"); "" for a
    # record made before it was kept.
    coverage: str = ""


@dataclass
class Record:
    """What a decision's page shows, read from its snapshot alone."""

    chosen: list[dict[str, Any]]
    brief: dict[str, Any] | None
    run: dict[str, Any] | None
    candidates: list[dict[str, Any]]
    # Every candidate on the shortlist when the decision was made (older records: empty).
    on_the_shortlist: list[dict[str, Any]]
    comparison: dict[str, Any] | None
    quotes: list[dict[str, Any]]
    criteria: list[dict[str, Any]]
    team: list[TeamTable]
    notes: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)


def _datetime(value: Any) -> Any:
    return parse_datetime(value) if isinstance(value, str) else None


def _date(value: Any) -> Any:
    return parse_date(value) if isinstance(value, str) else None


def _coverage(scores: dict[str, Any]) -> str:
    if "rated_by" not in scores:
        return ""
    total = scores.get("members_total") or 0
    text = f"{scores['rated_by']} of {total} member{'s' * (total != 1)}"
    if scores.get("weight_covered") is not None:
        text += f", on {scores['weight_covered'] * 100:.0f}% of the weight"
    return text


def record_of(snapshot: dict[str, Any]) -> Record:
    """The record's snapshot as its page reads it: dates as dates, the team's scores as
    tables, the notes by candidate."""
    candidates = [
        {**entry, "scored_at": _datetime(entry.get("scored_at"))}
        for entry in snapshot.get("candidates", [])
    ]
    run = snapshot.get("run")
    if run is not None:
        run = {**run, "finished_at": _datetime(run.get("finished_at"))}
    quotes = []
    for entry in snapshot.get("quotes", []):
        quote = entry.get("quote")
        if quote is not None:
            quote = {**quote, "valid_until": _date(quote.get("valid_until"))}
        quotes.append({**entry, "quote": quote})
    team_snapshot = snapshot.get("team_scores") or {}
    criteria = team_snapshot.get("criteria", [])
    team = []
    for candidate in candidates:
        scores = team_snapshot.get("candidates", {}).get(str(candidate["id"]))
        if scores is None:
            continue
        members = [
            MemberRow(
                member["name"],
                [member["values"].get(str(criterion["id"])) for criterion in criteria],
                member.get("weighted"),
            )
            for member in scores.get("members", [])
        ]
        means = [
            (
                scores.get("criterion_means", {}).get(str(criterion["id"])),
                bool(scores.get("disagreement", {}).get(str(criterion["id"]))),
            )
            for criterion in criteria
        ]
        team.append(
            TeamTable(
                candidate["site_name"],
                members,
                means,
                scores.get("weighted_mean"),
                _coverage(scores),
            )
        )
    notes: dict[str, list[dict[str, Any]]] = {}
    for note in snapshot.get("notes", []):
        notes.setdefault(note["site_name"], []).append(
            {**note, "created_at": _datetime(note.get("created_at"))}
        )
    return Record(
        chosen=snapshot.get("chosen", []),
        brief=snapshot.get("brief"),
        run=run,
        candidates=candidates,
        on_the_shortlist=snapshot.get("shortlist", []),
        comparison=snapshot.get("comparison"),
        quotes=quotes,
        criteria=criteria,
        team=team,
        notes=list(notes.items()),
    )


def _render_decision(
    request: HttpRequest,
    decision: Decision,
    reopen_form: ReopenForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "sourcing/decision_detail.html",
        {
            "shortlist": decision.shortlist,
            "decision": decision,
            "record": record_of(decision.snapshot),
            "hidden_brief_fields": HIDDEN_BRIEF_FIELDS,
            "reopen_form": reopen_form or ReopenForm(auto_id="reopen-%s"),
            "can_change": can_change(request.user),
        },
        status=status,
    )


@login_required
@require_GET
def decision_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """The frozen record, as it was made; marked when it has been reopened."""
    return _render_decision(request, _decision(request, pk, number))


@login_required
@require_POST
def reopen(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Reopen the standing decision, with a reason: the chosen go back to where they were."""
    decision = _decision(request, pk, number)
    require_change(request.user)
    form = ReopenForm(request.POST, auto_id="reopen-%s")
    done = False
    if form.is_valid():
        form.apply(decisions.reopen, decision, request.user, form.cleaned_data["reason"])
        done = not form.errors
    if done:
        messages.success(
            request, f"Decision {decision.number} reopened: record the next decision when ready."
        )
        return redirect(decision)
    return _render_decision(request, decision, form, status=400)
