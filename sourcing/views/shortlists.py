"""Shortlists as pages: an organisation's shortlists, each as a board of the
pipeline's stages or as a table, a candidate's page, the activity log, and the "add to
shortlist" control that the run page, the profiles and the directory load from here (htmx).

Every shortlist and candidate is looked up through `for_user`, so another organisation's is a
404; every change needs a role that may change (`require_change`, a 403 for viewers), is a POST
and is made by sourcing/pipeline.py, whose errors are shown beside the field they name.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.forms.models import model_to_dict
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from core.http import HtmxHttpRequest
from matching.models import Membership, Run
from matching.results import BreakdownLine
from matching.roles import can_change, membership_of, require_change
from partners.models import Site
from sourcing import decisions, exports, pipeline, scoring
from sourcing.choices import EXITS, PIPELINE, Stage
from sourcing.documents import CURRENCIES, quote_of
from sourcing.forms import (
    AddForm,
    AssignForm,
    AttachmentForm,
    MoveForm,
    NoteForm,
    QuoteForm,
    ShortlistForm,
    returns_to,
)
from sourcing.models import Activity, Candidate, Shortlist

ACTIVITY_PER_PAGE = 50
# The event a new shortlist sends the page (htmx): its other "add" controls reload to offer it.
SHORTLISTS_CHANGED = "shortlists-changed"
# The latest entries of a candidate's log shown on its page; the shortlist's log has them all.
CANDIDATE_ACTIVITY_SHOWN = 30

NO_ORGANISATION = (
    "Your account does not belong to a sponsor organisation, so it has no shortlists. Ask an "
    "administrator to add you to your organisation."
)


def _can_change(membership: Membership | None) -> bool:
    return membership is not None and membership.can_change


def _shortlist(request: HttpRequest, pk: int) -> Shortlist:
    return get_object_or_404(
        Shortlist.objects.for_user(request.user).select_related("brief", "organisation"), pk=pk
    )


def _candidate(request: HttpRequest, pk: int, cid: int) -> Candidate:
    candidates = Candidate.objects.for_user(request.user).select_related(
        "shortlist__brief",
        "shortlist__organisation",
        "site__provider",
        "owner",
        "run",
        "quote__recorded_by",
    )
    return get_object_or_404(candidates, pk=cid, shortlist_id=pk)


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# --- The organisation's shortlists -------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def shortlist_list(request: HttpRequest) -> HttpResponse:
    """The organisation's shortlists, with a form to create one."""
    membership = membership_of(request.user)
    organisation = membership.organisation if membership else None
    form = ShortlistForm(request.POST or None, organisation=organisation)
    if request.method == "POST":
        require_change(request.user)
        assert organisation is not None  # require_change refused anyone without one
        if form.is_valid():
            shortlist = form.apply(
                pipeline.create_shortlist,
                organisation,
                request.user,
                form.cleaned_data["title"],
                brief=form.cleaned_data["brief"],
            )
            if shortlist is not None:
                messages.success(request, f"Shortlist “{shortlist.title}” created.")
                return redirect(shortlist)
    in_race = [stage for stage in PIPELINE if stage != Stage.SELECTED]
    latest = Activity.objects.filter(shortlist=OuterRef("pk")).order_by("-created_at", "-id")
    shortlists = (
        Shortlist.objects.for_user(request.user)
        .select_related("brief")
        .annotate(
            in_race=Count("candidates", filter=Q(candidates__stage__in=in_race)),
            selected=Count("candidates", filter=Q(candidates__stage=Stage.SELECTED)),
            out=Count("candidates", filter=Q(candidates__stage__in=EXITS)),
            last_activity_at=Subquery(latest.values("created_at")[:1]),
            last_activity=Subquery(latest.values("summary")[:1]),
            last_verb=Subquery(latest.values("verb")[:1]),
        )
    )
    return render(
        request,
        "sourcing/shortlist_list.html",
        {
            "organisation": organisation,
            "shortlists": shortlists,
            "form": form,
            "can_change": _can_change(membership),
            "no_organisation": NO_ORGANISATION,
        },
        status=400 if form.errors else 200,
    )


# --- A shortlist as a board or a table ---------------------------------------------------------


@dataclass
class Card:
    """A candidate with its move control."""

    candidate: Candidate
    form: MoveForm


@dataclass
class Column:
    """A column of the board: one stage of the pipeline, or everything out of the race."""

    key: str
    label: str
    cards: list[Card]


def _move_form(candidate: Candidate, view: str) -> MoveForm:
    return MoveForm(
        initial={
            "stage": candidate.stage,
            "exit_reason": candidate.exit_reason,
            "exit_note": candidate.exit_note,
            "view": view,
        },
        auto_id=f"c{candidate.pk}-%s",
    )


def _view_of(request: HttpRequest) -> str:
    return "table" if request.GET.get("view") == "table" else "board"


def _candidates_context(
    request: HttpRequest,
    shortlist: Shortlist,
    view: str,
    failed: MoveForm | None = None,
    failed_id: int | None = None,
) -> dict[str, Any]:
    """What the board or table region shows; `failed` is the move form in error, for the
    candidate `failed_id`."""
    candidates = list(
        shortlist.candidates.select_related("site__provider", "owner").order_by("created_at", "id")
    )
    cards = [
        Card(
            candidate,
            failed
            if failed is not None and candidate.pk == failed_id
            else _move_form(candidate, view),
        )
        for candidate in candidates
    ]
    columns = [
        Column(stage.value, stage.label, [card for card in cards if card.candidate.stage == stage])
        for stage in PIPELINE
    ]
    columns.append(
        Column(
            "out",
            "Out of the race",
            [card for card in cards if card.candidate.stage in EXITS],
        )
    )
    return {
        "shortlist": shortlist,
        "view": view,
        "cards": cards,
        "columns": columns,
        "can_change": can_change(request.user),
    }


@login_required
@require_GET
def shortlist_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The shortlist as a board (a column per stage) or, with `?view=table`, as a table."""
    shortlist = _shortlist(request, pk)
    context = _candidates_context(request, shortlist, _view_of(request))
    context["standing"] = decisions.standing_decision(shortlist)
    return render(request, "sourcing/shortlist_detail.html", context)


@login_required
@require_GET
def activity(request: HttpRequest, pk: int) -> HttpResponse:
    """The shortlist's whole log, newest first, paged."""
    shortlist = _shortlist(request, pk)
    entries = shortlist.activity.select_related("actor", "candidate").order_by("-created_at", "-id")
    page = Paginator(entries, ACTIVITY_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "sourcing/activity.html", {"shortlist": shortlist, "page": page})


# --- A candidate ---------------------------------------------------------------------------------


def _breakdown(candidate: Candidate) -> list[BreakdownLine]:
    """The stored breakdown's criteria that bore on the score."""
    lines = []
    for part in candidate.breakdown or []:
        try:
            line = BreakdownLine(
                criterion=part["criterion"],
                sub_score=float(part["sub_score"]),
                weight=float(part["weight"]),
                must_have=bool(part.get("must_have", False)),
                sentence=part.get("sentence", ""),
            )
        except (KeyError, TypeError, ValueError):
            continue
        if line.counts:
            lines.append(line)
    return lines


def _render_candidate(
    request: HttpRequest,
    candidate: Candidate,
    *,
    move_form: MoveForm | None = None,
    assign_form: AssignForm | None = None,
    note_form: NoteForm | None = None,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The candidate's page; `extra` replaces parts of its context (a refused form of another
    part of the workspace, with its errors)."""
    shortlist = candidate.shortlist
    site = candidate.site
    profile_url = (
        f"{reverse('partners:provider', args=[site.provider.slug])}#site-{site.pk}"
        if site is not None
        else ""
    )
    if move_form is None:
        move_form = MoveForm(
            initial={
                "stage": candidate.stage,
                "exit_reason": candidate.exit_reason,
                "exit_note": candidate.exit_note,
                "view": "candidate",
            },
            auto_id="move-%s",
        )
    if assign_form is None:
        assign_form = AssignForm(
            initial={"owner": candidate.owner_id, "due_on": candidate.due_on},
            organisation=shortlist.organisation,
            auto_id="assign-%s",
        )
    if note_form is None:
        note_form = NoteForm(auto_id="note-%s")
    context = {
        "shortlist": shortlist,
        "candidate": candidate,
        "site": site,
        "profile_url": profile_url,
        "breakdown": _breakdown(candidate),
        "notes": candidate.notes.select_related("author"),
        "entries": candidate.activity.select_related("actor").order_by("-created_at", "-id")[
            :CANDIDATE_ACTIVITY_SHOWN
        ],
        "move_form": move_form,
        "assign_form": assign_form,
        "note_form": note_form,
        "can_change": can_change(request.user),
        **_documents_context(candidate),
        **_team_score_context(request, candidate),
    }
    context.update(extra or {})
    return render(request, "sourcing/candidate_detail.html", context, status=status)


def _team_score_context(request: HttpRequest, candidate: Candidate) -> dict[str, Any]:
    """The team's weighted mean of the candidate, where the viewer may see it (three queries)."""
    team = scoring.team_scores(candidate.shortlist, [candidate.pk], request.user)
    return {"team_score": team.by_candidate[candidate.pk], "team_criteria": team.criteria}


def _documents_context(candidate: Candidate) -> dict[str, Any]:
    """The candidate's quote and attached files, with the forms that record and attach them."""
    quote = quote_of(candidate)
    initial = model_to_dict(quote, exclude=["id", "candidate", "recorded_by"]) if quote else {}
    return {
        "quote": quote,
        "quote_form": QuoteForm(initial=initial, auto_id="quote-%s"),
        "attachments": candidate.attachments.select_related("uploaded_by"),
        "attachment_form": AttachmentForm(auto_id="attachment-%s"),
        "currencies": sorted(CURRENCIES),
    }


@login_required
@require_GET
def candidate_detail(request: HttpRequest, pk: int, cid: int) -> HttpResponse:
    return _render_candidate(request, _candidate(request, pk, cid))


@login_required
@require_POST
def move(request: HtmxHttpRequest, pk: int, cid: int) -> HttpResponse:
    """Move the candidate to a stage, or out of the race with a reason. From the board or the
    table with htmx, the region is swapped; without, the page it came from is shown again."""
    candidate = _candidate(request, pk, cid)
    require_change(request.user)
    view = returns_to(request.POST)
    form = MoveForm(
        request.POST, auto_id="move-%s" if view == "candidate" else f"c{candidate.pk}-%s"
    )
    moved = None
    if form.is_valid():
        moved = form.apply(
            pipeline.move,
            candidate,
            form.cleaned_data["stage"],
            request.user,
            exit_reason=form.cleaned_data["exit_reason"],
            exit_note=form.cleaned_data["exit_note"],
        )
    if moved is not None:
        done = f"{candidate.site_name} moved to {candidate.get_stage_display()}."
        if view != "candidate" and _is_htmx(request):
            context = _candidates_context(request, candidate.shortlist, view)
            context |= {"status": done, "moved_id": candidate.pk}  # its link takes the focus
            return render(request, "sourcing/_candidates.html", context)
        messages.success(request, done)
        if view == "candidate":
            return redirect(candidate)
        url = candidate.shortlist.get_absolute_url()
        return redirect(f"{url}?view=table" if view == "table" else url)
    # The pipeline refuses before it changes anything: the candidate is as it was.
    if view == "candidate":
        return _render_candidate(request, candidate, move_form=form, status=400)
    context = _candidates_context(request, candidate.shortlist, view, form, candidate.pk)
    template = (
        "sourcing/_candidates.html" if _is_htmx(request) else "sourcing/shortlist_detail.html"
    )
    return render(request, template, context, status=400)


@login_required
@require_POST
def assign(request: HttpRequest, pk: int, cid: int) -> HttpResponse:
    """Set who owns the candidate's next step and when it is due."""
    candidate = _candidate(request, pk, cid)
    require_change(request.user)
    form = AssignForm(
        request.POST, organisation=candidate.shortlist.organisation, auto_id="assign-%s"
    )
    assigned = None
    if form.is_valid():
        assigned = form.apply(
            pipeline.assign,
            candidate,
            request.user,
            owner=form.cleaned_data["owner"],
            due_on=form.cleaned_data["due_on"],
        )
    if assigned is not None:
        messages.success(request, f"Next step of {candidate.site_name} saved.")
        return redirect(candidate)
    # What was refused may have been set on the instance: show what is saved.
    candidate.refresh_from_db(fields=["owner", "due_on"])
    return _render_candidate(request, candidate, assign_form=form, status=400)


@login_required
@require_POST
def note(request: HttpRequest, pk: int, cid: int) -> HttpResponse:
    candidate = _candidate(request, pk, cid)
    require_change(request.user)
    form = NoteForm(request.POST, auto_id="note-%s")
    written = None
    if form.is_valid():
        written = form.apply(pipeline.add_note, candidate, request.user, form.cleaned_data["text"])
    if written is not None:
        messages.success(request, "Note saved.")
        return redirect(f"{candidate.get_absolute_url()}#notes-heading")
    return _render_candidate(request, candidate, note_form=form, status=400)


@login_required
@require_POST
def remove(request: HttpRequest, pk: int, cid: int) -> HttpResponse:
    """Take the candidate off the shortlist (the log keeps that it was there)."""
    candidate = _candidate(request, pk, cid)
    require_change(request.user)
    shortlist = candidate.shortlist
    name = candidate.site_name
    pipeline.remove(candidate, request.user)
    messages.success(request, f"{name} removed from the shortlist.")
    return redirect(shortlist)


# --- Add to shortlist: the control other pages load, and what it posts to ----------------------


def _ids(values: list[str]) -> list[int]:
    """The whole numbers among the values (a bad one is a 404: nothing names it)."""
    try:
        return [int(value) for value in values if value.strip()]
    except ValueError:
        raise Http404("Ids are whole numbers.") from None


def _run_of(request: HttpRequest, value: Any) -> Run | None:
    """The run of the user's organisation with this id; None when none is named."""
    if value in (None, ""):
        return None
    try:
        run_id = int(value)
    except (TypeError, ValueError):
        raise Http404("Run ids are whole numbers.") from None
    return get_object_or_404(Run.objects.for_user(request.user).select_related("brief"), pk=run_id)


@dataclass
class ShortlistChoice:
    """A shortlist the control offers, and whether it holds every one of the sites already."""

    shortlist: Shortlist
    holds_all: bool


def _control_context(
    request: HttpRequest, sites: list[Site], run: Run | None, form: AddForm | None = None
) -> dict[str, Any]:
    """The shortlists the sites may go on, those of the run's brief first, each marked when it
    holds them all already."""
    site_ids = [site.pk for site in sites]
    shortlists = list(
        Shortlist.objects.for_user(request.user)
        .select_related("brief")
        .annotate(holding=Count("candidates", filter=Q(candidates__site_id__in=site_ids)))
        .order_by("-created_at", "-id")
    )
    if run is not None:
        shortlists.sort(key=lambda shortlist: shortlist.brief_id != run.brief_id)
    choices = [
        ShortlistChoice(shortlist, bool(site_ids) and shortlist.holding >= len(site_ids))
        for shortlist in shortlists
    ]
    selected = form["shortlist"].value() if form is not None else None
    key = "-".join(str(site_id) for site_id in site_ids[:3]) or "none"
    query: list[tuple[str, int]] = [("site", site_id) for site_id in site_ids]
    if run is not None:
        query.append(("run", run.pk))
    return {
        "refresh_url": f"{reverse('sourcing:add-control')}?{urlencode(query)}",
        "sites": sites,
        "run": run,
        "choices": choices,
        "listed_in": [choice.shortlist for choice in choices if choice.holds_all],
        # Shortlists that would gain a site: with none, only a new shortlist is offered.
        "open_choices": sum(1 for choice in choices if not choice.holds_all),
        "selected": str(selected) if selected not in (None, "") else "",
        "new_title": form["new_title"].value() if form is not None else "",
        "errors": form.labelled_errors() if form is not None else [],
        "key": f"add-{key}-{run.pk if run else 0}",
    }


@login_required
@require_GET
def add_control(request: HttpRequest) -> HttpResponse:
    """The "add to shortlist" fragment for `?site=<id>` (repeated) or `?provider=<id>` (its
    sites), with `&run=<id>` when the sites come from a run, shown open with `&open=1`. Empty
    (204) for viewers and people without an organisation, who cannot add."""
    if not can_change(request.user):
        return HttpResponse(status=204)
    run = _run_of(request, request.GET.get("run"))
    sites_query = Site.objects.select_related("provider").order_by("name", "pk")
    provider_ids = _ids(request.GET.getlist("provider"))
    site_ids = _ids(request.GET.getlist("site"))
    if provider_ids:
        sites = list(sites_query.filter(provider_id__in=provider_ids))
    else:
        sites = list(sites_query.filter(pk__in=site_ids))
        if len(sites) < len(set(site_ids)):
            raise Http404("No site has that id.")
    if not sites:
        return HttpResponse(status=204)
    context = _control_context(request, sites, run)
    return render(request, "sourcing/_add_control.html", {**context, "open": "open" in request.GET})


@login_required
@require_POST
def add(request: HtmxHttpRequest) -> HttpResponse:
    """Put `site` (one or more) on the shortlist `shortlist`, or on a new one titled
    `new_title` (for the run's brief), from the run `run` if given. With htmx, a confirmation
    replaces the control; without, the shortlist's page follows."""
    require_change(request.user)
    membership = membership_of(request.user)
    assert membership is not None  # require_change refused anyone without one
    form = AddForm(request.POST)
    run = _run_of(request, request.POST.get("run"))
    shortlist: Shortlist | None = None
    added: pipeline.Added | None = None
    if form.is_valid():
        title = form.cleaned_data["new_title"]
        if not title:
            shortlist = get_object_or_404(
                Shortlist.objects.for_user(request.user), pk=form.cleaned_data["shortlist"]
            )
        with transaction.atomic():
            if title:
                shortlist = form.apply(
                    pipeline.create_shortlist,
                    membership.organisation,
                    request.user,
                    title,
                    brief=run.brief if run is not None else None,
                )
            if shortlist is not None:
                added = form.apply(
                    pipeline.add_sites, shortlist, form.cleaned_data["site"], request.user, run=run
                )
            if added is None:
                transaction.set_rollback(True)
    if shortlist is not None and added is not None:
        count = len(added.candidates)
        if count:
            done = f"Added {count} site{'s' if count != 1 else ''} to “{shortlist.title}”."
        else:
            done = f"Already on “{shortlist.title}”."
        if _is_htmx(request):
            response = render(
                request,
                "sourcing/_added.html",
                {"shortlist": shortlist, "added": added, "count": count},
            )
            if form.cleaned_data["new_title"]:
                trigger_client_event(response, SHORTLISTS_CHANGED)
            return response
        messages.success(request, done)
        return redirect(shortlist)
    site_ids = form.cleaned_data.get("site") or []
    sites = list(Site.objects.select_related("provider").filter(pk__in=site_ids))
    context = _control_context(request, sites, run, form)
    template = "sourcing/_add_control.html" if _is_htmx(request) else "sourcing/add.html"
    return render(request, template, {**context, "open": True}, status=400)


# --- Exports ------------------------------------------------------------------------------------


def _export_format(fmt: str) -> str:
    if fmt not in exports.FORMATS:
        raise Http404("Exports are CSV or XLSX files.")
    return fmt


@login_required
@require_GET
def run_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    """A run's results as CSV or XLSX: the eligible sites ranked, then the excluded ones. A run
    of another organisation is a 404; viewers may export."""
    fmt = _export_format(fmt)
    run = get_object_or_404(Run.objects.for_user(request.user), pk=pk)
    return exports.download(exports.run_table(run), fmt)


@login_required
@require_GET
def shortlist_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    """A shortlist's candidates as CSV or XLSX, logged on the shortlist; viewers may export."""
    fmt = _export_format(fmt)
    shortlist = _shortlist(request, pk)
    exports.record_export(shortlist, request.user, fmt)
    # Team scores as the exporting user may see them on the page (exports.shortlist_table).
    return exports.download(exports.shortlist_table(shortlist, request.user), fmt)
