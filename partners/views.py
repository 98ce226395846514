"""Catalogue pages."""

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from partners.models import Inspection, Provider, RegulatoryAction, Site


def home(request: HttpRequest) -> HttpResponse:
    """The catalogue at a glance: its size, and the most recently curated providers."""
    stats = {
        "providers": Provider.objects.count(),
        "sites": Site.objects.count(),
        "inspections": Inspection.objects.count(),
        "actions": RegulatoryAction.objects.count(),
    }
    providers = Provider.objects.annotate(site_count=Count("sites")).order_by("-updated_at")[:12]
    return render(request, "partners/home.html", {"stats": stats, "providers": providers})
