"""Which sites are watched, and by whom.

A site is watched by the members of every organisation with the site on one of its shortlists
(whatever the candidate's stage: a rejected candidate's quality record still matters to the
decision record), and by every user who watches the site, or its provider, from a profile.

A site starts being watched with what its record holds then: `start_watching` records its
events as known, so that only what comes later is announced.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q

from core.locks import hold_transaction_lock
from matching.models import Membership
from partners.models import Site
from sourcing.models import Candidate, Watch
from sourcing.watching import known

# The lock every writer of a watched site's known events holds: the sweep (detection.py) and
# `start_watching`, so that a watch beginning while an import is swept neither loses an event
# nor announces an old one.
SWEEP_LOCK = "sourcing-watch-sweep"


def watched_site_ids() -> set[int]:
    """Every site someone watches: three queries, whatever the number of watchers."""
    shortlisted = Candidate.objects.filter(site__isnull=False).values_list("site_id", flat=True)
    watched = set(shortlisted.distinct().order_by())
    watched |= set(
        Watch.objects.filter(site__isnull=False).values_list("site_id", flat=True).order_by()
    )
    providers = Watch.objects.filter(provider__isnull=False).values("provider_id")
    watched |= set(
        Site.objects.filter(provider_id__in=providers).values_list("pk", flat=True).order_by()
    )
    return watched


def watchers_of(site_ids: Iterable[int]) -> dict[int, set[int]]:
    """The users watching each of these sites, by site id: four queries."""
    site_ids = set(site_ids)
    found: dict[int, set[int]] = defaultdict(set)
    if not site_ids:
        return found
    organisations: dict[int, set[int]] = defaultdict(set)
    shortlisted = (
        Candidate.objects.filter(site_id__in=site_ids)
        .values_list("site_id", "shortlist__organisation_id")
        .distinct()
        .order_by()
    )
    for site_id, organisation_id in shortlisted:
        organisations[organisation_id].add(site_id)
    members = Membership.objects.filter(organisation_id__in=organisations).values_list(
        "organisation_id", "user_id"
    )
    for organisation_id, user_id in members:
        for site_id in organisations[organisation_id]:
            found[site_id].add(user_id)
    providers = dict(Site.objects.filter(pk__in=site_ids).values_list("pk", "provider_id"))
    watches = Watch.objects.filter(
        Q(site_id__in=site_ids) | Q(provider_id__in=set(providers.values()))
    ).values_list("user_id", "site_id", "provider_id")
    sites_of_provider: dict[int, list[int]] = defaultdict(list)
    for site_id, provider_id in providers.items():
        sites_of_provider[provider_id].append(site_id)
    for user_id, site_id, provider_id in watches:
        for watched in [site_id] if site_id else sites_of_provider[provider_id]:
            found[watched].add(user_id)
    return found


def start_watching(site_ids: Iterable[int]) -> None:
    """Record what these sites' records hold now, for those not watched already, so that only
    later events are announced. Called where a watch begins (a site shortlisted or watched);
    the sweep also catches a site that began to be watched another way. Inside the caller's
    transaction: a rolled-back shortlisting leaves nothing."""
    site_ids = set(site_ids)
    if not site_ids:
        return
    with transaction.atomic():
        hold_transaction_lock(SWEEP_LOCK)
        known.baseline(site_ids)
