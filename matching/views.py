"""A sponsor's briefs and match runs as pages, within the user's organisation.

Briefs: list, create, read, edit and delete, with the live preview. Runs: started from a brief's
page, followed on a progress bar, then read as ranked, explained results (matching/results.py).
The organisation's members: listed for everyone in it, managed by its admins (matching/members.py),
who also invite colleagues by e-mail; an invitation's link opens a page that works without an
account (matching/invitations.py).
Every brief and run is looked up through `for_user`, so another organisation's is a 404,
whoever asks; changing one also needs a role that may change (matching/roles.py): a viewer
reads, and is refused every change with a 403.
"""

from typing import cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_countries import countries
from django_htmx.http import HttpResponseClientRefresh

from core.choices import JobStatus
from core.http import HtmxHttpRequest
from matching import (
    acceptability,
    invitations,
    members,
    quotas,
    results,
    roles,
    run_comparison,
    runs,
    tasks,
)
from matching.choices import Criterion, Role
from matching.duplicate import duplicate_brief
from matching.engine.stability import describe as describe_stability
from matching.engine.stability import named_ranks as stability_ranks
from matching.forms import BriefForm, InvitationForm, InvitedAccountForm, RunStartForm
from matching.index import get_catalogue_index
from matching.methodology import describe_ranking_methodology
from matching.models import (
    Acceptability,
    Brief,
    Invitation,
    Membership,
    Run,
    RunMethod,
    organisation_of,
)
from matching.must_haves import item_lists as brief_item_lists
from matching.preview import preview
from matching.summary import run_summary
from matching.validation import stored_brief_errors
from partners.choices import CertificationKind, Region
from partners.directory.risk import RiskFlag, risk_flags

# The runs a brief's page lists, newest first.
RUNS_LISTED = 10

NO_ORGANISATION = (
    "Your account does not belong to a sponsor organisation, so it has no briefs and cannot "
    "write one. Ask an administrator to add you to your organisation."
)


def _briefs(request: HttpRequest) -> QuerySet[Brief]:
    return Brief.objects.for_user(request.user).select_related("modality", "organisation")


def _preview_context(form: BriefForm, brief: Brief | None = None) -> dict:
    """What the preview panel shows: the form's matches, its errors, or the saved brief's."""
    if form.is_bound:
        if not form.is_valid():
            return {"preview": None, "preview_errors": form}
        return {"preview": preview(form.to_criteria(), get_catalogue_index())}
    if brief is not None:
        return {"preview": preview(brief.to_criteria(), get_catalogue_index())}
    return {"preview": None}


@login_required
def brief_list(request: HttpRequest) -> HttpResponse:
    organisation = organisation_of(request.user)
    latest = Run.objects.filter(brief=OuterRef("pk")).order_by("-created_at", "-id")
    briefs = _briefs(request).annotate(
        last_run_id=Subquery(latest.values("pk")[:1]),
        last_run_status=Subquery(latest.values("status")[:1]),
        last_run_eligible=Subquery(latest.values("eligible")[:1]),
    )
    return render(
        request,
        "matching/brief_list.html",
        {
            "organisation": organisation,
            "briefs": briefs,
            "no_organisation": NO_ORGANISATION,
            "can_change": roles.can_change(request.user),
        },
    )


# The brief form keeps an unsaved draft in the browser (static/js/brief-draft.js); a saved brief
# names its draft in this cookie, and the next page the browser opens drops it.
DRAFT_SAVED_COOKIE = "brief_draft_saved"


def _drop_draft(response: HttpResponse, key: str) -> HttpResponse:
    response.set_cookie(DRAFT_SAVED_COOKIE, key, max_age=300, samesite="Lax")
    return response


@login_required
@require_http_methods(["GET", "POST"])
def brief_create(request: HttpRequest) -> HttpResponse:
    organisation = organisation_of(request.user)
    if organisation is None:
        return render(
            request, "matching/no_organisation.html", {"message": NO_ORGANISATION}, status=403
        )
    roles.require_change(request.user)
    form = BriefForm(request.POST or None, instance=Brief(organisation=organisation))
    if request.method == "POST" and form.is_valid():
        brief = form.save(commit=False)
        brief.created_by = request.user
        brief.save()
        form.save_m2m()
        messages.success(request, f"Brief “{brief.title}” saved.")
        return _drop_draft(redirect(brief), "new")
    return render(
        request,
        "matching/brief_form.html",
        {"form": form, "brief": None, **_preview_context(form)},
    )


@login_required
@require_POST
def brief_preview(request: HttpRequest) -> HttpResponse:
    """The brief form's live preview: the form's data scored, never saved (a fragment)."""
    organisation = organisation_of(request.user)
    if organisation is None:
        return render(
            request, "matching/no_organisation.html", {"message": NO_ORGANISATION}, status=403
        )
    form = BriefForm(request.POST, instance=Brief(organisation=organisation))
    # A draft is worth previewing before it has a name.
    form.fields["title"].required = False
    return render(request, "matching/_preview.html", _preview_context(form))


@login_required
def brief_detail(request: HttpRequest, pk: int) -> HttpResponse:
    brief = get_object_or_404(
        _briefs(request).prefetch_related("dosage_forms", "services", "technologies"), pk=pk
    )
    criteria = brief.to_criteria()
    weights = [
        (
            criterion.label,
            brief.weights.get(criterion.value),
            criterion.value in brief.must_haves,
            criteria.is_asked(criterion.value),
        )
        for criterion in Criterion
    ]
    certification_labels = dict(CertificationKind.choices)
    region_labels = dict(Region.choices)
    # Each dosage form, service, technology, market and certification, marked if a must-have.
    item_lists = brief_item_lists(brief)
    can_change = roles.can_change(request.user)
    return render(
        request,
        "matching/brief_detail.html",
        {
            "brief": brief,
            "weights": weights,
            "item_lists": item_lists,
            "must_have_items": [
                label for items in item_lists.values() for label, must in items if must
            ],
            "certifications": [
                certification_labels.get(kind, kind) for kind in brief.required_certifications
            ],
            "regions": [region_labels.get(region, region) for region in brief.preferred_regions],
            "preferred_countries": [
                countries.name(code) or code for code in brief.preferred_countries
            ],
            "excluded_countries": [
                countries.name(code) or code for code in brief.excluded_countries
            ],
            "runs": brief.runs.select_related("created_by")[:RUNS_LISTED],
            "run_form": RunStartForm(),
            "can_change": can_change,
            "brief_problems": stored_brief_errors(brief),
            # Said before anyone clicks Run match; starting a run checks again, under a lock.
            "run_quota": quotas.blocking_message(brief.organisation_id) if can_change else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def brief_edit(request: HttpRequest, pk: int) -> HttpResponse:
    brief = get_object_or_404(
        _briefs(request).prefetch_related("dosage_forms", "services", "technologies"), pk=pk
    )
    roles.require_change(request.user)
    form = BriefForm(request.POST or None, instance=brief)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Brief “{brief.title}” saved.")
        return _drop_draft(redirect(brief), str(brief.pk))
    return render(
        request,
        "matching/brief_form.html",
        {"form": form, "brief": brief, **_preview_context(form, brief)},
    )


@login_required
@require_POST
def brief_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    """Copy the brief with every field and must-have, and open the copy in the edit form."""
    brief = get_object_or_404(_briefs(request), pk=pk)
    roles.require_change(request.user)
    copy = duplicate_brief(brief, request.user)
    messages.success(request, f"Brief copied as “{copy.title}”: change what you want to compare.")
    return redirect("matching:brief-edit", pk=copy.pk)


@login_required
@require_http_methods(["GET", "POST"])
def brief_delete(request: HttpRequest, pk: int) -> HttpResponse:
    brief = get_object_or_404(_briefs(request), pk=pk)
    roles.require_change(request.user)
    if request.method == "POST":
        title = brief.title
        # Safe while one of its runs writes its results (runs.delete_brief).
        runs.delete_brief(brief)
        messages.success(request, f"Brief “{title}” deleted.")
        return redirect("matching:brief-list")
    return render(request, "matching/brief_confirm_delete.html", {"brief": brief})


# --- Match runs ----------------------------------------------------------------------------------


def _runs(request: HttpRequest) -> QuerySet[Run]:
    return Run.objects.for_user(request.user).select_related("brief", "created_by")


@login_required
@require_POST
def run_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Start a match run of the brief and follow it on its page."""
    brief = get_object_or_404(_briefs(request), pk=pk)
    roles.require_change(request.user)
    form = RunStartForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("method", []):
            messages.error(request, f"Ranking method: {error}")
        return redirect(brief)
    method = form.cleaned_data["method"]
    problems = stored_brief_errors(brief)
    if problems:
        # A brief saved before a rule existed: it is not run until corrected.
        for messages_of_field in problems.values():
            for problem in messages_of_field:
                messages.error(request, f"Not run: {problem}")
        return redirect(brief)
    # A second click while the brief is being matched the same way follows that run.
    active = (
        brief.runs.filter(
            method=method,
            status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
            created_at__gte=brief.updated_at,
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if active is not None and runs.is_stalled(active):
        # Its worker died: restarted here rather than followed to a run that never moves.
        if runs.retry_run(active):
            tasks.send_run(active.pk)
        messages.info(
            request,
            "This brief's run stopped responding (its worker went away): it is restarted here.",
        )
        return redirect(active)
    if active is not None:
        messages.info(request, "This brief is already being matched this way: here is that run.")
        return redirect(active)
    # When the task queue is down the run's page says so (its progress card shows `error`).
    try:
        run = runs.start_run(brief, request.user, method)
    except quotas.QuotaExceeded as exceeded:
        messages.error(request, f"Not run: {exceeded.message}")
        return redirect(brief)
    tasks.send_run(run.pk)
    return redirect(run)


@login_required
@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A run: its progress while it runs, then its ranked and excluded sites, the funnel and
    what to relax; the other ranking method is one click away."""
    run = get_object_or_404(_runs(request), pk=pk)
    context: dict = {
        "run": run,
        "brief_edited": results.brief_edited_since(run),
        "other_method": results.other_method(run.method),
        "can_change": roles.can_change(request.user),
        "stalled": runs.is_stalled(run),
    }
    if run.status == JobStatus.DONE:
        comparison = results.method_comparison(run)
        constraints = {step["constraint"] for step in run.funnel}
        excluded_by = request.GET.get("excluded", "")
        excluded_by = excluded_by if excluded_by in constraints else ""
        context |= {
            "comparison": comparison,
            "ranked": results.ranked_page(run, request.GET.get("page"), comparison),
            "excluded_sites": results.excluded_page(
                run, request.GET.get("excluded_page"), excluded_by
            ),
            "exclusion_filters": results.exclusion_filters(run, excluded_by),
            "excluded_by": excluded_by,
            "catalogue_changed": results.catalogue_changed_since(run),
            "top_shown": min(results.TOP_COMPARED, run.eligible or 0),
            "compare_with": run_comparison.other_done_run(run),
            "methods": RunMethod.choices,
            "stability": _stability(run),
            "summary": run_summary(run),
        }
        context |= _acceptability_context(run)
        context["ranked_rows"] = _ranked_rows(context["ranked"].object_list)
    return render(request, "matching/run_detail.html", context)


def _ranked_rows(
    ranked: list[results.RankedSite],
) -> list[tuple[results.RankedSite, list[RiskFlag]]]:
    """Each ranked site of the page with its risk flags (partners/directory/risk.py), in one
    query. The flags are read from the catalogue when the page is shown, not stored with the
    run: a warning letter issued after the run is one a sponsor must see beside the site."""
    # A site deleted since the run keeps its result, unlinked: it has no record to flag.
    site_ids = [site.result.site_id for site in ranked if site.result.site_id is not None]
    flags = risk_flags(site_ids, timezone.localdate())
    return [
        (site, flags.get(site.result.site_id, []) if site.result.site_id is not None else [])
        for site in ranked
    ]


def _stability(run: Run) -> dict | None:
    """The run's stability in sentences, the sites they speak of named (one query)."""
    if not run.stability:
        return None
    ranks = stability_ranks(run.stability)
    names = dict(run.results.filter(eligible=True, rank__in=ranks).values_list("rank", "site_name"))
    return describe_stability(run.stability, names)


@login_required
@require_GET
def run_compare(request: HttpRequest, pk: int, other: int) -> HttpResponse:
    """Two runs of one brief: which sites entered, left or moved, and why."""
    found = {run.pk: run for run in _runs(request).filter(pk__in=(pk, other))}
    if pk not in found or other not in found:
        raise Http404("No such run in your organisation.")
    try:
        comparison = run_comparison.compare_runs(found[pk], found[other])
    except run_comparison.ComparisonError as error:
        return render(
            request,
            "matching/run_comparison.html",
            {"error": str(error), "run": found[pk], "other": found[other]},
            status=400,
        )
    return render(
        request,
        "matching/run_comparison.html",
        {"comparison": comparison, "run": found[pk], "shown": run_comparison.SHOWN},
    )


@login_required
@require_GET
def run_progress(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The progress bar, polled by the run's page; reloads the page once the run has ended."""
    run = get_object_or_404(_runs(request), pk=pk)
    if request.htmx and run.status in (JobStatus.DONE, JobStatus.FAILED):
        return HttpResponseClientRefresh()
    return render(request, "matching/_run_progress.html", {"run": run})


@login_required
@require_POST
def run_retry(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(_runs(request), pk=pk)
    roles.require_change(request.user)
    stalled = runs.is_stalled(run)
    try:
        retried = runs.retry_run(run)
    except quotas.QuotaExceeded as exceeded:
        messages.error(request, f"Not retried: {exceeded.message}")
        return redirect(run)
    if retried:
        tasks.send_run(run.pk)
        messages.success(
            request,
            "The run had stopped responding (its worker went away): it is queued again."
            if stalled
            else "The run is queued again.",
        )
    else:
        run.refresh_from_db(fields=["status"])
        messages.error(request, runs.not_retried(run))
    return redirect(run)


# --- Rank acceptability of a run (matching/acceptability.py) --------------------------------------


def _acceptability_context(run: Run, analysis: Acceptability | None = None) -> dict:
    analysis = analysis or acceptability.latest_for(run)
    return {
        "acceptability": analysis,
        "acceptability_table": acceptability.as_table(analysis),
        "acceptability_samples": acceptability.DEFAULT_SAMPLES,
        "acceptability_samplings": Acceptability.Sampling.choices,
    }


@login_required
@require_POST
def acceptability_start(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Start a rank-acceptability analysis of a done run; the run's page follows it."""
    run = get_object_or_404(_runs(request), pk=pk)
    roles.require_change(request.user)
    values = {
        "sampling": request.POST.get("sampling", ""),
        "samples": request.POST.get("samples", ""),
        "seed": request.POST.get("seed", "") or "0",
    }
    errors: dict[str, list[str]] = {}
    numbers: dict[str, int | None] = {}
    for field in ("samples", "seed"):
        try:
            numbers[field] = int(values[field].replace(",", "").strip())
        except ValueError:
            numbers[field] = None
            errors[field] = ["A whole number."]
    for field, message in acceptability.analysis_errors(
        values["sampling"], numbers["samples"], numbers["seed"]
    ).items():
        errors[field] = [message]
    analysis = None
    if not errors:
        try:
            analysis = acceptability.start_analysis(
                run,
                request.user,
                values["sampling"],
                cast(int, numbers["samples"]),
                cast(int, numbers["seed"]),
            )
        except ValidationError as error:
            errors = error.message_dict
    if analysis is not None:
        tasks.send_acceptability(analysis.pk)
    if request.htmx:
        context = {"run": run, "can_change": True, "form_values": values, "form_errors": errors}
        return render(
            request,
            "matching/_run_acceptability.html",
            context | _acceptability_context(run, analysis),
            status=200 if analysis is not None else 400,
        )
    for field, messages_of in errors.items():
        for message in messages_of:
            messages.error(request, f"{field.capitalize()}: {message}")
    return redirect(f"{run.get_absolute_url()}#acceptability")


@login_required
@require_GET
def acceptability_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The analysis's state, polled by the run's page while it is computed: its progress, then
    its table."""
    run = get_object_or_404(_runs(request), pk=pk)
    return render(
        request,
        "matching/_run_acceptability_state.html",
        {"run": run} | _acceptability_context(run),
    )


# --- The organisation's members ------------------------------------------------------------------

ADMINS_ONLY = "Only an admin of the organisation can change its members' roles or remove them."


def _no_organisation(request: HttpRequest) -> HttpResponse:
    return render(
        request, "matching/no_organisation.html", {"message": NO_ORGANISATION}, status=403
    )


def _members_page(
    request: HttpRequest,
    membership: Membership,
    invite_form: InvitationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    is_admin = membership.role == Role.ADMIN
    return render(
        request,
        "matching/members.html",
        {
            "organisation": membership.organisation,
            "members": members.members_of(membership.organisation_id),
            "me": membership,
            "is_admin": is_admin,
            "roles": Role.choices,
            "invite_form": (invite_form or InvitationForm()) if is_admin else None,
            "invitations": invitations.pending(membership.organisation) if is_admin else [],
            "valid_days": settings.INVITATION_VALID_HOURS // 24,
        },
        status=status,
    )


@login_required
@require_GET
def member_list(request: HttpRequest) -> HttpResponse:
    """The organisation's members and their roles; an admin also changes roles, removes
    members, invites colleagues by e-mail and sees the invitations not yet accepted."""
    membership = roles.membership_of(request.user)
    if membership is None:
        return _no_organisation(request)
    return _members_page(request, membership)


def _managed_member(request: HttpRequest, pk: int) -> Membership | None:
    """The member `pk` of the user's organisation, for its admin; None when the user belongs to
    no organisation. A 403 for anyone else in it, a 404 for another organisation's member."""
    own = roles.membership_of(request.user)
    if own is None:
        return None
    if not roles.is_admin(request.user):
        raise PermissionDenied(ADMINS_ONLY)
    return get_object_or_404(
        Membership.objects.select_related("user", "organisation"),
        pk=pk,
        organisation_id=own.organisation_id,
    )


@login_required
@require_POST
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    member = _managed_member(request, pk)
    if member is None:
        return _no_organisation(request)
    try:
        members.change_role(member, request.POST.get("role", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"{member.user.get_username()}'s role is now {member.get_role_display()}."
        )
    return redirect("matching:members")


@login_required
@require_POST
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    member = _managed_member(request, pk)
    if member is None:
        return _no_organisation(request)
    name, organisation = member.user.get_username(), member.organisation
    try:
        members.remove(member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("matching:members")
    if member.user_id == request.user.pk:
        messages.success(request, f"You have left {organisation}.")
        return redirect("matching:brief-list")
    messages.success(request, f"{name} is no longer a member of {organisation}.")
    return redirect("matching:members")


# --- Invitations -----------------------------------------------------------------------------


def _admin_membership(request: HttpRequest) -> Membership | None:
    """The admin's membership; None when the user belongs to no organisation, a 403 for a
    member or viewer."""
    membership = roles.membership_of(request.user)
    if membership is not None and membership.role != Role.ADMIN:
        raise PermissionDenied(invitations.ADMINS_ONLY)
    return membership


@login_required
@require_POST
def invitation_create(request: HttpRequest) -> HttpResponse:
    """An admin invites a colleague's address: the mail with the link goes after the commit."""
    membership = _admin_membership(request)
    if membership is None:
        return _no_organisation(request)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation, _ = invitations.invite(
                membership.organisation,
                cast(User, request.user),  # signed in: login_required
                form.cleaned_data["email"],
                form.cleaned_data["role"],
                link_for=lambda token: request.build_absolute_uri(
                    reverse("matching:member-invitation", kwargs={"token": token})
                ),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.email} as "
                f"{invitation.get_role_display().lower()}; the link works until "
                f"{invitations.expiry_text(invitation)}.",
            )
            return redirect("matching:members")
    return _members_page(request, membership, invite_form=form, status=400)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _admin_membership(request)
    if membership is None:
        return _no_organisation(request)
    invitation = get_object_or_404(Invitation, pk=pk, organisation_id=membership.organisation_id)
    try:
        invitations.revoke(invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The invitation to {invitation.email} is withdrawn.")
    return redirect("matching:members")


def _inviter_name(invitation: Invitation) -> str:
    inviter = invitation.invited_by
    if inviter is None:
        return ""
    return inviter.get_full_name() or inviter.get_username()


def _unusable(
    request: HttpRequest, invitation: Invitation | None, error: ValidationError, status: int
) -> HttpResponse:
    """Why the link does not work, and whom to ask for a new one."""
    return render(
        request,
        "matching/invitation_unusable.html",
        {
            "invitation": invitation,
            "reason": " ".join(error.messages),
            "inviter_name": _inviter_name(invitation) if invitation else "",
        },
        status=status,
    )


def _joined(request: HttpRequest, membership: Membership) -> HttpResponse:
    messages.success(
        request,
        f"Welcome to {membership.organisation}: you are now "
        f"{'an' if membership.role == Role.ADMIN else 'a'} "
        f"{membership.get_role_display().lower()} of it.",
    )
    return redirect("matching:members")


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation's link, for anyone who has it: someone without an account creates one and
    joins; someone signed in with the invited address and without an organisation joins with a
    button. An unknown link is a 404; a used, withdrawn or expired one a 410, saying whom to
    ask."""
    try:
        invitation = invitations.find(token)
    except ValidationError as error:
        return _unusable(request, None, error, status=404)
    if invitation.accepted_by_id is not None and invitation.accepted_by_id == request.user.pk:
        messages.info(request, f"You have joined {invitation.organisation} already.")
        return redirect("matching:members")
    try:
        invitations.check_usable(invitation)
    except ValidationError as error:
        return _unusable(request, invitation, error, status=410)
    context: dict = {
        "invitation": invitation,
        "inviter_name": _inviter_name(invitation),
        "login_url": f"{reverse('login')}?{urlencode({'next': request.path})}",
    }
    user = request.user
    if not isinstance(user, AnonymousUser):
        # Only the account with the invited address accepts (a 403 otherwise); one that belongs
        # to an organisation already cannot (a 409). Whether signed in before opening the link
        # or through its "sign in" link, the same checks run here and again in `accept`.
        for check, refused in (
            (invitations.check_address, 403),
            (invitations.check_can_join, 409),
        ):
            try:
                check(invitation, user)
            except ValidationError as error:
                context["refusal"] = " ".join(error.messages)
                context["other_address"] = error.code == "other_address"
                status = refused if request.method == "POST" else 200
                return render(request, "matching/invitation_accept.html", context, status=status)
        if request.method == "POST":
            try:
                membership = invitations.accept(token, user)
            except ValidationError as error:
                return _unusable(request, invitation, error, status=410)
            return _joined(request, membership)
        return render(request, "matching/invitation_accept.html", context)
    if User.objects.filter(email__iexact=invitation.email).exists():
        # The address has an account: it signs in to accept rather than make a second one.
        context["has_account"] = True
        return render(request, "matching/invitation_accept.html", context)
    form = InvitedAccountForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                account = form.save()
                membership = invitations.accept(token, account)
        except ValidationError as error:
            return _unusable(request, invitation, error, status=410)
        # The account was just made with the password typed here: the model backend signs it
        # in (naming it is required once several backends are configured).
        login(request, account, backend="django.contrib.auth.backends.ModelBackend")
        return _joined(request, membership)
    context["form"] = form
    status = 400 if form.is_bound else 200
    return render(request, "matching/invitation_accept.html", context, status=status)


def ranking_methodology(request: HttpRequest) -> HttpResponse:
    """How a match run ranks sites, read from the engine's code: public, as the compliance
    score's method is, so that sponsors and providers read the same published scales."""
    context = {"method": describe_ranking_methodology()}
    return render(request, "matching/ranking_methodology.html", context)
