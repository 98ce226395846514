"""Team scoring as pages: a shortlist's evaluation criteria (names, weights, order), a member's
scorecard (a select per candidate and criterion) with the team's scores where she may see them,
and an admin's reveal of everyone's scores.

The shortlist is looked up through `for_user` (another organisation's is a 404); a change needs a
role that may change (a viewer gets a 403), revealing needs an admin; sourcing/scoring.py makes
every change and decides who sees what.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from matching.choices import Role
from matching.roles import membership_of, require_change
from sourcing import scoring
from sourcing.forms import CriteriaFormSet, CriterionForm, ScorecardForm, score_field_name
from sourcing.models import Candidate, Criterion, Shortlist

CRITERIA_PREFIX = "criteria"


def _shortlist(request: HttpRequest, pk: int) -> Shortlist:
    return get_object_or_404(
        Shortlist.objects.for_user(request.user).select_related(
            "brief", "organisation", "scores_revealed_by"
        ),
        pk=pk,
    )


def _role(request: HttpRequest) -> str | None:
    membership = membership_of(request.user)
    return membership.role if membership is not None else None


# --- Criteria -----------------------------------------------------------------------------------


def _criteria_formset(criteria: Sequence[Criterion], data: Any = None) -> Any:
    initial = [
        {
            "id": c.pk,
            "name": c.name,
            "weight": c.weight,
            "order": index + 1,
            "score_count": getattr(c, "score_count", 0),
        }
        for index, c in enumerate(criteria)
    ]
    return CriteriaFormSet(data, initial=initial, prefix=CRITERIA_PREFIX)


def _rows_of(
    formset: Any, criteria: Sequence[Criterion]
) -> tuple[list[tuple], list[CriterionForm | None], set[int]]:
    """The criteria the formset asks for, in its order, as sourcing/scoring.py takes them, the
    form each came from, and the criteria removed whose scores may go with them. A criterion the
    page did not show (added meanwhile) is kept, last."""
    known = {c.pk: c for c in criteria}
    kept: list[tuple[int, int, tuple, CriterionForm | None]] = []
    shown: set[int] = set()
    confirmed: set[int] = set()
    for index, form in enumerate(formset.forms):
        data = form.cleaned_data
        criterion_id = data.get("id")
        if criterion_id is not None:
            shown.add(criterion_id)
        if data.get("remove") and data.get("delete_scores") and criterion_id is not None:
            confirmed.add(criterion_id)
        if form.blank or data.get("remove"):
            continue
        order = data.get("order")
        place = order if order is not None else index + 1
        ref = criterion_id if criterion_id in known else None
        kept.append((place, index, (data.get("name") or "", data.get("weight"), ref), form))
    for criterion in criteria:
        if criterion.pk not in shown:
            kept.append((10_000, 10_000, (criterion.name, criterion.weight, criterion.pk), None))
    kept.sort(key=lambda row: (row[0], row[1]))
    return [row[2] for row in kept], [row[3] for row in kept], confirmed


def _criteria_errors(formset: Any) -> list[str]:
    """Every error of the formset, each led by the row and the label of its field."""
    found = [str(error) for error in formset.non_form_errors()]
    for index, form in enumerate(formset.forms):
        for name, errors in form.errors.items():
            label = form[name].label if name in form.fields else None
            where = f"Row {index + 1}, {label.lower()}" if label else f"Row {index + 1}"
            found.extend(f"{where}: {error}" for error in errors)
    return found


@login_required
@require_http_methods(["GET", "POST"])
def criteria(request: HttpRequest, pk: int) -> HttpResponse:
    """The shortlist's evaluation criteria; members and admins edit them (names, weights 1 to
    100, order; add and remove), or start from the default set when there are none."""
    shortlist = _shortlist(request, pk)
    current = list(shortlist.criteria.annotate(score_count=Count("scores")))
    formset = _criteria_formset(current)
    status = 200
    if request.method == "POST":
        require_change(request.user)
        if "defaults" in request.POST:
            try:
                scoring.apply_default_criteria(shortlist, request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, "The default criteria are set: adjust them as you wish.")
            return redirect("sourcing:criteria", pk=shortlist.pk)
        formset = _criteria_formset(current, request.POST)
        if formset.is_valid():
            rows, forms_of, confirmed = _rows_of(formset, current)
            by_id = {form.cleaned_data.get("id"): form for form in formset.forms}
            try:
                scoring.set_criteria(shortlist, request.user, rows, delete_scores=confirmed)
            except ValidationError as error:
                for key, messages_ in error.message_dict.items():
                    parts = key.split(".")
                    form = forms_of[int(parts[1])] if len(parts) == 3 else None
                    if parts[0] == "removed" and by_id.get(int(parts[1])) is not None:
                        # A criterion with scores ticked for removal: said beside its row.
                        by_id[int(parts[1])].add_error("delete_scores", messages_)
                    elif form is not None:
                        form.add_error(parts[2], messages_)
                    else:
                        # A criterion the page did not show, or the list as a whole.
                        formset.forms[0].add_error(None, messages_)
            else:
                messages.success(request, "Criteria saved.")
                return redirect("sourcing:criteria", pk=shortlist.pk)
        status = 400
    role = _role(request)
    return render(
        request,
        "sourcing/criteria.html",
        {
            "shortlist": shortlist,
            "criteria": current,
            "formset": formset,
            "errors": _criteria_errors(formset) if status == 400 else [],
            "can_change": role in (Role.ADMIN, Role.MEMBER),
            "defaults": scoring.DEFAULT_CRITERIA,
            "total_weight": sum(c.weight for c in current),
        },
        status=status,
    )


# --- Scores -------------------------------------------------------------------------------------


@dataclass
class Cell:
    criterion: Criterion
    field: Any  # the BoundField of the member's own score, or None for viewers
    own: int | None


@dataclass
class TeamCell:
    """The team's mean on a criterion, and whether its members disagree."""

    criterion: Criterion
    mean: float | None
    disagree: bool


@dataclass
class MemberRow:
    """A member's scores of a candidate, one per criterion in order (None: not scored)."""

    member: scoring.MemberScore
    values: list[int | None]
    is_you: bool


@dataclass
class ScoreRow:
    """A candidate on the scorecard: the member's own scores, and the team's as far as seen."""

    candidate: Candidate
    cells: list[Cell]
    team: scoring.CandidateTeamScore
    team_cells: list[TeamCell]
    members: list[MemberRow]


def _score_row(
    candidate: Candidate,
    cells: list[Cell],
    team: scoring.CandidateTeamScore,
    criteria: list[Criterion],
    viewer_id: int | None,
) -> ScoreRow:
    return ScoreRow(
        candidate,
        cells,
        team,
        [
            TeamCell(c, team.criterion_means.get(c.pk), team.disagreement.get(c.pk, False))
            for c in criteria
        ],
        [
            MemberRow(m, [m.values.get(c.pk) for c in criteria], m.member_id == viewer_id)
            for m in team.members
        ],
    )


def _scores_context(
    request: HttpRequest, shortlist: Shortlist, form: ScorecardForm | None = None
) -> dict[str, Any]:
    role = _role(request)
    may_score = role in (Role.ADMIN, Role.MEMBER)
    candidates = list(shortlist.candidates.order_by("created_at", "id"))
    team = scoring.team_scores(shortlist, [c.pk for c in candidates], request.user)
    own = {
        cid: (score.own.values if score.own is not None else {})
        for cid, score in team.by_candidate.items()
    }
    if may_score and form is None:
        form = ScorecardForm(
            candidates=candidates, criteria=team.criteria, own=own, auto_id="score-%s"
        )
    rows = [
        _score_row(
            candidate,
            [
                Cell(
                    criterion,
                    form[score_field_name(candidate.pk, criterion.pk)] if form else None,
                    own[candidate.pk].get(criterion.pk),
                )
                for criterion in team.criteria
            ],
            team.by_candidate[candidate.pk],
            team.criteria,
            request.user.pk,
        )
        for candidate in candidates
    ]
    scorers = {m.member_id for row in rows for m in row.team.members}
    return {
        "shortlist": shortlist,
        "criteria": team.criteria,
        "total_weight": sum(c.weight for c in team.criteria),
        "rows": rows,
        "form": form,
        "revealed": team.revealed,
        "may_score": may_score,
        "is_admin": role == Role.ADMIN,
        "any_visible": any(row.team.visible for row in rows),
        "scorer_count": len(scorers),
        "disagreement_gap": scoring.DISAGREEMENT,
    }


@login_required
@require_http_methods(["GET", "POST"])
def scores(request: HttpRequest, pk: int) -> HttpResponse:
    """The signed-in member's scorecard and, per candidate, the team's scores where she may see
    them; a viewer sees the team's scores once revealed, and no form."""
    shortlist = _shortlist(request, pk)
    if request.method == "GET":
        return render(request, "sourcing/scores.html", _scores_context(request, shortlist))
    require_change(request.user)
    candidates = list(shortlist.candidates.order_by("created_at", "id"))
    criteria_ = list(shortlist.criteria.all())
    team = scoring.team_scores(shortlist, [c.pk for c in candidates], request.user)
    own = {
        cid: (score.own.values if score.own is not None else {})
        for cid, score in team.by_candidate.items()
    }
    form = ScorecardForm(
        request.POST, candidates=candidates, criteria=criteria_, own=own, auto_id="score-%s"
    )
    saved = 0
    if form.is_valid():
        by_id = {c.pk: c for c in candidates}
        with transaction.atomic():
            for cid, values in form.sent().items():
                mine = own.get(cid, {})
                if all(mine.get(crit) == value for crit, value in values.items()):
                    continue
                try:
                    scoring.score(by_id[cid], request.user, values)
                except ValidationError as error:
                    for key, messages_ in error.message_dict.items():
                        name = (
                            score_field_name(cid, int(key))
                            if key.isascii() and key.lstrip("-").isdigit()
                            else None
                        )
                        form.add_error(name if name in form.fields else None, messages_)
                saved += 1
            if form.errors:
                transaction.set_rollback(True)
    if not form.errors:
        if saved:
            messages.success(request, "Your scores are saved.")
        else:
            messages.info(request, "Nothing changed: your scores are as they were.")
        return redirect(reverse("sourcing:scores", kwargs={"pk": shortlist.pk}))
    return render(
        request, "sourcing/scores.html", _scores_context(request, shortlist, form), status=400
    )


@login_required
@require_POST
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the team's scores to everyone in the organisation, viewers included (admins only:
    a member or a viewer gets a 403)."""
    shortlist = _shortlist(request, pk)
    require_change(request.user)
    if _role(request) != Role.ADMIN:
        raise PermissionDenied(scoring.ADMIN_ONLY)
    scoring.reveal(shortlist, request.user)
    messages.success(request, "The team's scores are now shown to everyone in the organisation.")
    return redirect("sourcing:scores", pk=shortlist.pk)
