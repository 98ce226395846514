"""Catalogue pages."""

from collections import defaultdict

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from partners.facets import directory_facets
from partners.filtersets import ProviderFilterSet
from partners.models import (
    Certification,
    Provider,
    Site,
    SiteCapability,
)
from partners.profile import KIND_HINTS, provider_for_profile, site_profiles

DIRECTORY_PAGE_SIZE = 20


def directory(request: HttpRequest) -> HttpResponse:
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
            context["page"] = page
            context["entries"] = _directory_entries(page.object_list)
        context["facets"] = directory_facets(filterset)
        context["total_providers"] = paginator.count
    query = request.GET.copy()
    query.pop("page", None)
    context["query"] = query.urlencode()
    template = "partners/_directory.html" if request.htmx else "partners/directory.html"
    return render(request, template, context)


def _directory_entries(providers) -> list[dict]:
    """One summary per provider of the page, from a fixed number of queries."""
    today = timezone.localdate()
    sites = Site.objects.prefetch_related(
        Prefetch(
            "capabilities",
            queryset=SiteCapability.objects.select_related("term").order_by("term__name"),
        ),
        Prefetch(
            "certifications",
            queryset=Certification.objects.valid_on(today),
            to_attr="valid_certifications",
        ),
    ).order_by("name")
    providers = list(providers.prefetch_related(Prefetch("sites", queryset=sites)))
    entries = []
    for provider in providers:
        provider_sites = list(provider.sites.all())
        terms: dict[str, set[str]] = defaultdict(set)
        for site in provider_sites:
            for capability in site.capabilities.all():
                terms[capability.term.kind].add(capability.term.name)
        scores = [
            site.compliance_score for site in provider_sites if site.compliance_score is not None
        ]
        entries.append(
            {
                "provider": provider,
                "site_count": len(provider_sites),
                "site_countries": sorted({site.country.name for site in provider_sites}),
                "modalities": sorted(terms.get("modality", ())),
                "dosage_forms": sorted(terms.get("dosage_form", ())),
                "certifications": sorted(
                    {
                        certification.get_kind_display()
                        for site in provider_sites
                        for certification in site.valid_certifications
                    }
                ),
                "best_compliance": max(scores) if scores else None,
            }
        )
    return entries


def provider_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A provider's profile: per site, what it makes, under which certificates, and its record."""
    provider = get_object_or_404(provider_for_profile(), slug=slug)
    context = {
        "provider": provider,
        "kind_hint": KIND_HINTS.get(provider.kind, ""),
        "site_profiles": site_profiles(provider, timezone.localdate()),
    }
    return render(request, "partners/provider_detail.html", context)
