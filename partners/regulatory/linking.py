"""Link regulator records (inspections, actions, published 483s, citations) to the sites that
carry their FEI."""

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, Subquery

from partners.catalogue_version import bump_catalogue_version
from partners.models import Citation, Inspection, Published483, RegulatoryAction, Site


def link_regulatory_records(site_ids: Iterable[int] | None = None) -> int:
    """Point every record that names an FEI at the site carrying that FEI, or at no site.

    With `site_ids`, only the records these sites hold or should hold are considered (a site
    that just got, changed or lost its FEI). Returns how many records were relinked.
    Records without an FEI (entered for a site that has none) are left with their site.
    """
    # Saying `fei_number <> ''` lets the databases use the partial unique index on the FEI.
    sites_with_fei = Site.objects.exclude(fei_number="").filter(fei_number=OuterRef("fei_number"))
    site_with_fei = sites_with_fei.values("pk")[:1]
    # Only records whose link is wrong: unlinked ones some site now claims, and linked ones
    # whose site no longer carries their FEI. The nightly relink then rewrites almost nothing.
    misplaced = (Q(site__isnull=True) & Exists(sites_with_fei)) | (
        Q(site__isnull=False)
        & ~Exists(
            Site.objects.exclude(fei_number="").filter(
                pk=OuterRef("site_id"), fei_number=OuterRef("fei_number")
            )
        )
    )
    scope = Q()
    if site_ids is not None:
        site_ids = list(site_ids)
        feis = Site.objects.filter(pk__in=site_ids).exclude(fei_number="").values("fei_number")
        scope = Q(site_id__in=site_ids) | Q(fei_number__in=feis)
    stale = [
        model.objects.filter(scope).exclude(fei_number="").filter(misplaced)
        for model in (Inspection, RegulatoryAction, Published483, Citation)
    ]
    if not any(records.exists() for records in stale):
        return 0
    # The version row first, as every bulk writer takes it: one lock order, no deadlock.
    bump_catalogue_version()
    return sum(records.update(site_id=Subquery(site_with_fei)) for records in stale)
