"""Catalogue pages."""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from core.http import HtmxHttpRequest
from partners.directory.entries import directory_entries
from partners.directory.facets import directory_facets
from partners.directory.profile import KIND_HINTS, provider_for_profile, site_profiles
from partners.filtersets import ProviderFilterSet
from partners.models import Provider
from partners.regulatory.methodology import describe_methodology

DIRECTORY_PAGE_SIZE = 20


def directory(request: HtmxHttpRequest) -> HttpResponse:
    """The directory: filters with facet counts beside a sorted, paged list of providers.

    Every state is a URL (a GET form). HTMX requests get the directory fragment only.
    """
    filterset = ProviderFilterSet(request.GET, queryset=Provider.objects.all())
    context: dict = {"filterset": filterset, "page": None, "facets": [], "page_error": ""}
    if filterset.is_valid():
        paginator = Paginator(filterset.qs, DIRECTORY_PAGE_SIZE)
        try:
            page = paginator.page(request.GET.get("page") or 1)
        except PageNotAnInteger:
            context["page_error"] = "The page number must be a whole number."
        except EmptyPage:
            pages = paginator.num_pages
            context["page_error"] = (
                f"Page {request.GET['page']} does not exist: this list has "
                f"{pages} page{'s' if pages != 1 else ''}."
            )
        else:
            page.object_list = list(page.object_list)  # read once, however often it is used
            context["page"] = page
            context["entries"] = directory_entries(page.object_list)
        context["facets"] = directory_facets(filterset)
        context["total_providers"] = paginator.count
    query = request.GET.copy()
    query.pop("page", None)
    context["query"] = query.urlencode()
    # htmx asks for the fragment, except when restoring history it has no copy of.
    fragment = request.htmx and not request.htmx.history_restore_request
    template = "partners/_directory.html" if fragment else "partners/directory.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def provider_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A provider's profile: per site, what it makes, under which certificates, and its record."""
    provider = get_object_or_404(provider_for_profile(), slug=slug)
    context = {
        "provider": provider,
        "kind_hint": KIND_HINTS.get(provider.kind, ""),
        "site_profiles": site_profiles(provider, timezone.localdate()),
    }
    return render(request, "partners/provider_detail.html", context)


def methodology(request: HttpRequest) -> HttpResponse:
    """The compliance score's published method, read from partners/regulatory/compliance.py, and
    a worked example scored by it today."""
    context = {"methodology": describe_methodology(timezone.localdate())}
    return render(request, "partners/methodology.html", context)
