"""A sponsor's briefs as pages: list, create, read, edit and delete, within the user's organisation.

Every brief is looked up through `Brief.objects.for_user`, so another organisation's brief is a
404, whoever asks.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from matching.choices import Criterion
from matching.forms import BriefForm
from matching.index import get_catalogue_index
from matching.models import Brief, organisation_of
from matching.preview import preview

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
    return render(
        request,
        "matching/brief_list.html",
        {
            "organisation": organisation,
            "briefs": _briefs(request),
            "no_organisation": NO_ORGANISATION,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def brief_create(request: HttpRequest) -> HttpResponse:
    organisation = organisation_of(request.user)
    if organisation is None:
        return render(
            request, "matching/no_organisation.html", {"message": NO_ORGANISATION}, status=403
        )
    form = BriefForm(request.POST or None, instance=Brief(organisation=organisation))
    if request.method == "POST" and form.is_valid():
        brief = form.save(commit=False)
        brief.created_by = request.user
        brief.save()
        form.save_m2m()
        messages.success(request, f"Brief “{brief.title}” saved.")
        return redirect(brief)
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
    weights = [
        (criterion.label, brief.weights.get(criterion.value), criterion.value in brief.must_haves)
        for criterion in Criterion
    ]
    return render(request, "matching/brief_detail.html", {"brief": brief, "weights": weights})


@login_required
@require_http_methods(["GET", "POST"])
def brief_edit(request: HttpRequest, pk: int) -> HttpResponse:
    brief = get_object_or_404(
        _briefs(request).prefetch_related("dosage_forms", "services", "technologies"), pk=pk
    )
    form = BriefForm(request.POST or None, instance=brief)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Brief “{brief.title}” saved.")
        return redirect(brief)
    return render(
        request,
        "matching/brief_form.html",
        {"form": form, "brief": brief, **_preview_context(form, brief)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def brief_delete(request: HttpRequest, pk: int) -> HttpResponse:
    brief = get_object_or_404(_briefs(request), pk=pk)
    if request.method == "POST":
        title = brief.title
        brief.delete()
        messages.success(request, f"Brief “{title}” deleted.")
        return redirect("matching:brief-list")
    return render(request, "matching/brief_confirm_delete.html", {"brief": brief})
