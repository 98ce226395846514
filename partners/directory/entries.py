"""The directory's list entries: one summary card per provider of the page.

`directory_entries` reads, for a page of providers, their sites' countries and compliance
scores, the modalities and dosage forms they make, the certificates valid today and their risk
flags (partners/directory/risk.py), in four queries of plain values whatever the page size, and
returns what templates/partners/_provider_card.html shows on each card.

A card shows the range of its sites' compliance scores, worst first: a provider is as risky as
its worst site, and the best one alone would hide it.
"""

from collections import defaultdict

from django.utils import timezone
from django_countries import countries

from partners.choices import CertificationKind, TermKind
from partners.directory.risk import provider_risk_flags
from partners.models import Certification, Provider, Site, SiteCapability

# The capability kinds a directory entry shows as chips.
SUMMARY_TERM_KINDS = [TermKind.MODALITY, TermKind.DOSAGE_FORM]


def directory_entries(providers: list[Provider]) -> list[dict]:
    """One summary per provider of the page: four queries of plain values, whatever the page."""
    ids = [provider.pk for provider in providers]
    sites: dict[int, list[tuple[str, float | None]]] = defaultdict(list)
    for provider_id, country, score in Site.objects.filter(provider_id__in=ids).values_list(
        "provider_id", "country", "compliance_score"
    ):
        sites[provider_id].append((country, score))
    terms: dict[tuple[int, str], set[str]] = defaultdict(set)
    shown_terms = (
        SiteCapability.objects.filter(site__provider_id__in=ids, term__kind__in=SUMMARY_TERM_KINDS)
        .order_by()
        .values_list("site__provider_id", "term__kind", "term__name")
        .distinct()
    )
    for provider_id, kind, name in shown_terms:
        terms[provider_id, kind].add(name)
    certifications: dict[int, set[str]] = defaultdict(set)
    today = timezone.localdate()
    valid = (
        Certification.objects.valid_on(today)
        .filter(site__provider_id__in=ids)
        .order_by()
        .values_list("site__provider_id", "kind")
        .distinct()
    )
    for provider_id, kind in valid:
        certifications[provider_id].add(CertificationKind(kind).label)
    flags = provider_risk_flags(ids, today)

    entries = []
    for provider in providers:
        provider_sites = sites[provider.pk]
        scores = [score for _, score in provider_sites if score is not None]
        entries.append(
            {
                "provider": provider,
                "site_count": len(provider_sites),
                "site_countries": sorted({countries.name(code) for code, _ in provider_sites}),
                "modalities": sorted(terms[provider.pk, TermKind.MODALITY]),
                "dosage_forms": sorted(terms[provider.pk, TermKind.DOSAGE_FORM]),
                "certifications": sorted(certifications[provider.pk]),
                "worst_compliance": min(scores) if scores else None,
                "best_compliance": max(scores) if scores else None,
                "unscored_sites": len(provider_sites) - len(scores),
                "flags": flags.get(provider.pk, []),
            }
        )
    return entries
