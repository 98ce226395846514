"""Catalogue pages."""

import hashlib

from django.core.cache import cache
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe

from core.http import HtmxHttpRequest
from partners.catalogue_version import current_catalogue_version, one_catalogue_version
from partners.directory.chips import filter_chips, last_applied, page_title
from partners.directory.entries import directory_entries
from partners.directory.facets import directory_facets, directory_providers
from partners.directory.profile import KIND_HINTS, profile_cache_key, site_profiles
from partners.directory.sites import directory_sites, site_facets, site_rows
from partners.filtersets import SCOPE_REGISTERED, ProviderFilterSet
from partners.models import Provider
from partners.regions import REGION_HELP, REGION_STANDARD
from partners.regulatory.methodology import describe_methodology

DIRECTORY_PAGE_SIZE = 20
# The directory's two views of the same filters: a card per provider, or a row per site.
DIRECTORY_VIEWS = {"providers": "provider", "sites": "site"}


def directory(request: HtmxHttpRequest) -> HttpResponse:
    """The directory: filters with facet counts beside a sorted, paged list of providers, or
    of their sites (`?view=sites`).

    Every state is a URL (a GET form). HTMX requests get the directory fragment only.

    The list with its filters (`partners/_directory.html`) is the same for every viewer of a
    URL but for the shortlist controls, and is built from the catalogue and the day alone: it
    is cached under the catalogue version, the day and the request's query, and built only
    when none of them changed. The version is read once, first, so whatever is read after it is
    at least as new as the key it is cached under.
    """
    # htmx asks for the fragment, except when restoring history it has no copy of.
    fragment = bool(request.htmx and not request.htmx.history_restore_request)
    with one_catalogue_version():  # for the page's key, its cards and its facet index
        key = _directory_cache_key(request, fragment)
        cached = cache.get(key)
        if cached is None:
            context = _directory_context(request)
            context["fragment"] = fragment
            html = render_to_string("partners/_directory.html", context, request)
            cached = (html, context["page_title"])
            cache.set(key, cached, DIRECTORY_CACHE_SECONDS)
    html, title = cached
    if fragment:
        response = HttpResponse(html)
    else:
        # Rendered by the template engine, so escaped already (a cache may return it as str).
        page = {
            "directory_html": mark_safe(html),
            "page_title": title,
            "heading": directory_heading(request.GET.get("scope", "")),
        }
        response = render(request, "partners/directory.html", page)
    patch_vary_headers(response, ["HX-Request"])
    return response


# A day at most: the key changes with the catalogue and the day anyway.
DIRECTORY_CACHE_SECONDS = 24 * 60 * 60


def _directory_cache_key(request: HtmxHttpRequest, fragment: bool) -> str:
    """What the directory's list is cached under: the catalogue version and the day, the query,
    whether it is a fragment, whether the viewer may shortlist, and the
    page an htmx request came from (the empty state offers to undo the last filter added)."""
    membership = getattr(request.user, "membership", None)
    can_change = bool(membership and membership.can_change)
    previous = (request.htmx.current_url or "") if request.htmx else ""
    query = list(request.GET.lists())  # in the URL's order, which the page's links keep
    what = repr((query, fragment, can_change, previous)).encode()
    version = current_catalogue_version()
    day = timezone.localdate().isoformat()
    return f"directory:{version}:{day}:{hashlib.sha256(what).hexdigest()}"


def _provider_cards(request: HtmxHttpRequest, providers: list[Provider]) -> list[dict]:
    """The page's provider cards, each as `{"provider", "html"}`.

    A card depends on its provider, the catalogue and the day, and on whether the viewer may
    shortlist, not on the filters that listed it: a card built for one query is reused by every
    other that lists the provider. Only the providers none has shown yet are read (in the four
    queries of `directory_entries`) and rendered.
    """
    membership = getattr(request.user, "membership", None)
    can_change = bool(membership and membership.can_change)
    prefix = (
        f"directory-card:{current_catalogue_version()}:{timezone.localdate().isoformat()}:"
        f"{int(can_change)}:"
    )
    keys = {provider.pk: f"{prefix}{provider.pk}" for provider in providers}
    cached = cache.get_many(list(keys.values()))
    missing = [provider for provider in providers if keys[provider.pk] not in cached]
    built = {}
    for entry in directory_entries(missing) if missing else []:
        html = render_to_string("partners/_provider_card.html", {"entry": entry}, request)
        built[keys[entry["provider"].pk]] = html
    if built:
        cache.set_many(built, DIRECTORY_CACHE_SECONDS)
    cards = {**cached, **built}
    # Rendered by the template engine, so escaped already (a cache may return it as str).
    return [{"provider": p, "html": mark_safe(cards[keys[p.pk]])} for p in providers]


def _directory_context(request: HtmxHttpRequest) -> dict:
    """What partners/_directory.html shows for the request's filters: the page of the list,
    its facets, chips, links and title."""
    view = request.GET.get("view") or "providers"
    filterset = ProviderFilterSet(request.GET, queryset=Provider.objects.all())
    context: dict = {
        "filterset": filterset,
        "view": view,
        "unit": DIRECTORY_VIEWS.get(view, "provider"),
        "listed": False,
        "page": None,
        "facets": [],
        "chips": [],
        "page_error": "",
        "view_error": "",
        "region_standard": REGION_STANDARD,
        "region_help": REGION_HELP,
        "total": None,
    }
    if view not in DIRECTORY_VIEWS:
        context["view_error"] = "View: choose “providers” or “sites”."
    elif filterset.is_valid():
        listed: QuerySet = (
            directory_sites(filterset) if view == "sites" else directory_providers(filterset)
        )
        paginator = Paginator(listed, DIRECTORY_PAGE_SIZE)
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
            context["listed"] = True  # an empty page is falsy, yet its empty state is shown
            if view == "sites":
                context["rows"] = site_rows(page.object_list)
            else:
                context["entries"] = _provider_cards(request, page.object_list)
        context["facets"] = (
            site_facets(filterset) if view == "sites" else directory_facets(filterset)
        )
        context["total"] = paginator.count
        chips = filter_chips(request.GET, filterset, context["facets"])
        context["chips"] = chips
        previous_url = request.htmx.current_url if request.htmx else None
        context["last_chip"] = last_applied(chips, previous_url)
    context["page_title"] = page_title(context["chips"], context["total"], context["unit"])
    context["heading"] = directory_heading(request.GET.get("scope", ""))
    context.update(_directory_links(request, view))
    return context


def directory_heading(scope: str) -> str:
    """The directory's heading: what it lists (partners/filtersets.py, `scope`)."""
    return (
        "FDA-registered establishments" if scope == SCOPE_REGISTERED else "Contract manufacturers"
    )


def _directory_links(request: HttpRequest, view: str) -> dict[str, str]:
    """Query strings of the directory's links: the page's own without the page number (paging
    adds it), the other view's, and "clear all" (which keeps the view)."""
    query = request.GET.copy()
    query.pop("page", None)
    providers, sites = query.copy(), query.copy()
    providers.pop("view", None)
    sites["view"] = "sites"
    cleared = QueryDict(mutable=True)
    if view == "sites":
        cleared["view"] = "sites"
    return {
        "query": query.urlencode(),
        "providers_query": providers.urlencode(),
        "sites_query": sites.urlencode(),
        "clear_query": cleared.urlencode(),
    }


def provider_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A provider's profile: per site, what it makes, under which certificates, and its record.

    The page is cached under the catalogue version and the day (and whether the viewer gets the
    shortlist controls): its sites are read only when the cached page is stale. The version is
    read first, so that whatever is read after it is at least as new as the key it is cached
    under.
    """
    today = timezone.localdate()
    cache_key = profile_cache_key(current_catalogue_version(), today)
    provider = get_object_or_404(Provider, slug=slug)
    context = {
        "provider": provider,
        "kind_hint": KIND_HINTS.get(provider.kind, ""),
        "site_profiles": SimpleLazyObject(lambda: site_profiles(provider, today)),
        "cache_key": cache_key,
    }
    return render(request, "partners/provider_detail.html", context)


def methodology(request: HttpRequest) -> HttpResponse:
    """The compliance score's published method, read from partners/regulatory/compliance.py, and
    a worked example scored by it today."""
    context = {"methodology": describe_methodology(timezone.localdate())}
    return render(request, "partners/methodology.html", context)
