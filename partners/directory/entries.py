"""The directory's list entries: one summary card per provider of the page.

A card shows the provider's sites' countries and compliance scores, the modalities and dosage
forms they make, the certificates valid today and their risk flags (partners/directory/risk.py):
what templates/partners/_provider_card.html shows. The summaries of every provider are read
together, in four queries of plain values, and kept per process until the catalogue version or
the day changes (as the facet index is): a page's cards then need no query at all, whichever
providers it lists.

A card shows the range of its sites' compliance scores, worst first: a provider is as risky as
its worst site, and the best one alone would hide it.
"""

import datetime
from collections import defaultdict

from django_countries import countries

from partners.catalogue_version import CatalogueCache
from partners.choices import CertificationKind, TermKind
from partners.directory.risk import every_provider_risk_flags
from partners.models import Certification, Provider, Site, SiteCapability

# The capability kinds a directory entry shows as chips.
SUMMARY_TERM_KINDS = [TermKind.MODALITY, TermKind.DOSAGE_FORM]

# A provider with no site, capability, certificate or flag on record.
_NOTHING: dict = {
    "site_count": 0,
    "site_countries": [],
    "modalities": [],
    "dosage_forms": [],
    "certifications": [],
    "worst_compliance": None,
    "best_compliance": None,
    "unscored_sites": 0,
    "flags": [],
}


def directory_entries(providers: list[Provider]) -> list[dict]:
    """One summary per provider of the page, from the summaries of the current catalogue."""
    summaries = _summaries.get()
    return [{"provider": p, **summaries.get(p.pk, _NOTHING)} for p in providers]


def read_summaries(version: str, today: datetime.date) -> dict[int, dict]:
    """Every provider's summary (but the provider itself) by provider id, as of `today`;
    providers with nothing on record are absent."""
    sites: dict[int, list[tuple[str, float | None]]] = defaultdict(list)
    for provider_id, country, score in Site.objects.order_by().values_list(
        "provider_id", "country", "compliance_score"
    ):
        sites[provider_id].append((country, score))
    terms: dict[tuple[int, str], set[str]] = defaultdict(set)
    shown_terms = (
        SiteCapability.objects.filter(term__kind__in=SUMMARY_TERM_KINDS)
        .order_by()
        .values_list("site__provider_id", "term__kind", "term__name")
        .distinct()
    )
    for provider_id, kind, name in shown_terms:
        terms[provider_id, kind].add(name)
    certifications: dict[int, set[str]] = defaultdict(set)
    valid = (
        Certification.objects.valid_on(today)
        .filter(site__isnull=False)
        .order_by()
        .values_list("site__provider_id", "kind")
        .distinct()
    )
    for provider_id, kind in valid:
        certifications[provider_id].add(CertificationKind(kind).label)
    flags = every_provider_risk_flags(today)

    summaries = {}
    country_names: dict[str, str] = {}
    for provider_id in sites.keys() | {p for p, _ in terms} | certifications.keys() | flags.keys():
        provider_sites = sites.get(provider_id, [])
        scores = [score for _, score in provider_sites if score is not None]
        codes = {code for code, _ in provider_sites}
        for code in codes - country_names.keys():
            country_names[code] = countries.name(code)
        summaries[provider_id] = {
            "site_count": len(provider_sites),
            "site_countries": sorted(country_names[code] for code in codes),
            "modalities": sorted(terms.get((provider_id, TermKind.MODALITY), ())),
            "dosage_forms": sorted(terms.get((provider_id, TermKind.DOSAGE_FORM), ())),
            "certifications": sorted(certifications.get(provider_id, ())),
            "worst_compliance": min(scores) if scores else None,
            "best_compliance": max(scores) if scores else None,
            "unscored_sites": len(provider_sites) - len(scores),
            "flags": flags.get(provider_id, []),
        }
    return summaries


_summaries = CatalogueCache(read_summaries)
