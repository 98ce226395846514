"""Saved directory searches as pages: the "Save this search" control the directory loads (htmx),
the user's list of saved searches, and watching one or not, or deleting it.

A saved search is its user's own, not an organisation's: any signed-in user may save searches,
and every one is looked up among the user's own (`searches_of`), so another user's is a 404.
Every change is a POST; sourcing/saved_searches.py decides, and its errors are shown beside
the field they name.
"""

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.http import HtmxHttpRequest
from partners.catalogue_version import one_catalogue_version
from sourcing import saved_searches
from sourcing.forms import PipelineForm
from sourcing.models import SavedSearch


class SaveSearchForm(PipelineForm):
    """A directory search to save: its query string (as the directory's address has it), the
    name it is listed by, and whether new sites matching it are told."""

    query = forms.CharField(required=False, widget=forms.HiddenInput, label="Filters")
    name = forms.CharField(
        required=False,  # sourcing/saved_searches.py names it by its filters when left blank
        strip=False,
        label="Name",
        help_text="Left blank, the search is named by its filters.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    watched = forms.BooleanField(
        required=False, initial=True, label="Tell me when new sites match these filters"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Ids of their own: the control sits on the directory's page, beside its filters.
        kwargs.setdefault("auto_id", "save-search-%s")
        super().__init__(*args, **kwargs)


def _directory_paths() -> set[str]:
    return {reverse("partners:directory"), reverse("partners:home")}


def _asked_query(request: HtmxHttpRequest) -> QueryDict:
    """The directory search the control is for: that of the directory page that loaded it
    (htmx sends the page's address, which changes with each filter, as HX-Current-URL), or,
    opened as a page of its own, the directory parameters it was given."""
    if request.htmx and request.htmx.current_url:
        address = urlsplit(request.htmx.current_url)
        if address.path in _directory_paths():
            return QueryDict(address.query)
    return request.GET


def _control_context(request: HtmxHttpRequest, query: str, form: SaveSearchForm) -> dict:
    return {
        "form": form,
        "query": query,
        "summary": saved_searches.describe_query(query),
        "refused": saved_searches.refusal(query) if not form.is_bound else "",
        "saved": saved_searches.saved_as(request.user, query),
        "htmx": bool(request.htmx),
    }


@login_required
@require_http_methods(["GET", "POST"])
def save_search(request: HtmxHttpRequest) -> HttpResponse:
    """GET: the "Save this search" control for the directory search asked (`_asked_query`),
    or, when it is saved already, where to find it. POST: save `query` as `name`. With htmx the
    control is answered (a refusal as a 400 the control swaps in all the same); without, the
    list of saved searches follows, or this page with the errors."""
    template = "sourcing/_save_search.html" if request.htmx else "sourcing/save_search.html"
    if request.method == "GET":
        query = saved_searches.normalise_query(_asked_query(request))
        form = SaveSearchForm(initial={"query": query, "watched": True})
        return render(request, template, _control_context(request, query, form))
    form = SaveSearchForm(request.POST)
    query = saved_searches.normalise_query(request.POST.get("query", ""))
    saved: SavedSearch | None = None
    already = False
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = form.apply(
                saved_searches.save_search,
                request.user,
                data["query"],
                data["name"],
                data["watched"],
            )
        except saved_searches.AlreadySaved as found:
            saved, already = found.search, True
    if saved is None:
        return render(request, template, _control_context(request, query, form), status=400)
    if request.htmx:
        context = {**_control_context(request, query, form), "just_saved": not already}
        return render(request, template, context)
    if already:
        messages.info(request, f"This search is saved already, as “{saved.name}”.")
    else:
        messages.success(request, f"Saved “{saved.name}”.")
    return redirect("sourcing:saved-searches")


@login_required
@require_GET
def saved_search_list(request: HtmxHttpRequest) -> HttpResponse:
    """The user's saved searches: each with its link back to the directory, whether it is
    watched, when it was last checked and how many sites matched then. One query for the list
    (and one for the vocabulary its summaries name, when the catalogue changed)."""
    return _list_page(request)


def _list_page(request: HtmxHttpRequest, status: int = 200) -> HttpResponse:
    searches = list(saved_searches.searches_of(request.user).order_by("name", "pk"))
    with one_catalogue_version():
        rows: list[dict[str, Any]] = [
            {
                "search": search,
                "summary": saved_searches.describe_query(search.query),
                "matching": saved_searches.matching_now(search),
            }
            for search in searches
        ]
    return render(request, "sourcing/saved_search_list.html", {"rows": rows}, status=status)


@login_required
@require_POST
def watch(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Watch the search (`watched=true`) or stop (`watched=false`); back to the list."""
    search = get_object_or_404(saved_searches.searches_of(request.user), pk=pk)
    wanted = request.POST.get("watched", "").strip().lower()
    if wanted not in {"true", "false"}:
        messages.error(request, "Watching: choose to watch the search (true) or to stop (false).")
        return _list_page(request, status=400)
    saved_searches.set_watched(search, wanted == "true")
    if search.watched:
        messages.success(request, f"Watching “{search.name}”: you will be told of new sites.")
    else:
        messages.success(request, f"Stopped watching “{search.name}”.")
    return redirect("sourcing:saved-searches")


@login_required
@require_POST
def delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Delete the saved search (its alerts go with it); back to the list."""
    search = get_object_or_404(saved_searches.searches_of(request.user), pk=pk)
    name = search.name
    search.delete()
    messages.success(request, f"Deleted the saved search “{name}”.")
    return redirect("sourcing:saved-searches")
