"""The sweep: what watched sites' records gained since they were last known, told to their
watchers once.

Run after every import and curator edit (sourcing/signals.py sends it when the transaction
commits), every minute by beat in case that send was lost, and daily for certificates that ran
into their last 90 days with no edit at all. Each run compares every watched site's record with
what is known of it (known.py), so it needs no log of changes: whatever wrote the record (the FDA
importer, the admin, the relinking of records to a site given their FEI) is seen alike, a
re-import that changes nothing finds nothing, and a correction that keeps an event's key (a
known action's new date) is no new event.

Exactly once: the sweep holds a transaction-scoped lock (PostgreSQL advisory lock), so two
workers sweeping at once run one after the other and the second finds the events known; the
alerts' and notifications' unique keys stand behind it.

What a site gains in one sweep arrives as one alert: one event is told as itself; several (the
records an FEI given to a site attached at once, or an import bringing a letter and a 483) as
one summary listing them, led by the most serious.
"""

import datetime
import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from core.locks import hold_transaction_lock, try_hold_transaction_lock
from partners.catalogue_version import current_catalogue_version
from partners.regulatory.stored_scores import load_histories
from sourcing.choices import AlertKind
from sourcing.models import KnownEvent, WatchedSite
from sourcing.watching import known
from sourcing.watching.alerts import AlertSpec, raise_alerts
from sourcing.watching.events import SEVERITY, SiteEvent, current_events, profile_urls
from sourcing.watching.watchers import SWEEP_LOCK, watched_site_ids, watchers_of

logger = logging.getLogger(__name__)

# A compliance score falling by this many points or more, because of a new record or an edit,
# is an event (its decay with time is not: both scores are computed as of the same day).
COMPLIANCE_DROP_POINTS = 10
# Sites read per round of queries.
BATCH_SIZE = 1000
# Where the last sweep notes the catalogue version and day it saw: a sweep finding both
# unchanged has nothing to look at (an optimisation only: a lost note costs one full sweep).
SWEPT_KEY = "sourcing:watch-swept"


@dataclass
class SweepResult:
    """What a sweep did: sites watched and newly watched, events found, notifications written."""

    watched: int = 0
    started: int = 0
    events: int = 0
    alerts: int = 0
    notifications: int = 0
    skipped: bool = False


def sweep_if_changed(today: datetime.date | None = None) -> SweepResult:
    """Sweep, unless the catalogue and the day are those of the last sweep."""
    today = today or timezone.localdate()
    seen = (current_catalogue_version(), today.isoformat())
    if cache.get(SWEPT_KEY) == list(seen):
        return SweepResult(skipped=True)
    result = sweep(today, wait=False)
    if not result.skipped:
        cache.set(SWEPT_KEY, list(seen), timeout=24 * 60 * 60)
    return result


def sweep(today: datetime.date | None = None, *, wait: bool = True) -> SweepResult:
    """Find what every watched site's record gained, make it known, and tell the watchers.

    Sweeps run one at a time. Without `wait`, a sweep finding another under way skips (the
    one under way, or the beat's next, finds what this one would have) rather than hold a
    worker while it waits."""
    today = today or timezone.localdate()
    result = SweepResult()
    with transaction.atomic():
        if wait:
            hold_transaction_lock(SWEEP_LOCK)
        elif not try_hold_transaction_lock(SWEEP_LOCK):
            return SweepResult(skipped=True)
        watched = watched_site_ids()
        result.watched = len(watched)
        was_watched = set(WatchedSite.objects.values_list("site_id", flat=True))
        known.forget(was_watched - watched)
        # A site whose watch began without `start_watching` (it always should) starts here.
        result.started = known.baseline(watched - was_watched, today)
        found: dict[int, list[SiteEvent]] = {}
        ids = sorted(watched & was_watched)
        for start in range(0, len(ids), BATCH_SIZE):
            found.update(_new_events(ids[start : start + BATCH_SIZE], today))
        result.events = sum(len(events) for events in found.values())
        if found:
            watchers = watchers_of(found)
            places = profile_urls(found)
            batch = [
                (_alert_spec(site_id, events, places[site_id]), watchers.get(site_id, ()))
                for site_id, events in sorted(found.items())
                if site_id in places
            ]
            alerts, result.notifications = raise_alerts(batch)
            result.alerts = len(alerts)
    if result.events:
        logger.info(
            "Watch sweep: %s events on %s sites, %s notifications",
            result.events,
            len(found),
            result.notifications,
        )
    return result


def _new_events(site_ids: list[int], today: datetime.date) -> dict[int, list[SiteEvent]]:
    """The events these sites' records hold past what is known, made known (with the
    compliance inputs now read), by site id."""
    current = current_events(site_ids, today)
    known_keys: dict[int, set[str]] = defaultdict(set)
    for site_id, key in KnownEvent.objects.filter(site_id__in=site_ids).values_list(
        "site_id", "key"
    ):
        known_keys[site_id].add(key)
    histories = load_histories(site_ids)
    watched = {row.site_id: row for row in WatchedSite.objects.filter(site_id__in=site_ids)}
    found: dict[int, list[SiteEvent]] = {}
    changed: list[WatchedSite] = []
    for site_id in site_ids:
        new = [
            event
            for key, event in sorted(current.get(site_id, {}).items())
            if key not in known_keys[site_id]
        ]
        row = watched.get(site_id)
        inputs = known.compliance_inputs(histories[site_id])
        if row is not None and inputs != row.compliance_inputs:
            drop = _compliance_drop(site_id, row.compliance_inputs, inputs, today)
            if drop is not None and drop.key not in known_keys[site_id]:
                new.append(drop)
            row.compliance_inputs = inputs
            changed.append(row)
        if new:
            found[site_id] = new
    KnownEvent.objects.bulk_create(
        [
            KnownEvent(site_id=site_id, key=event.key)
            for site_id in found
            for event in found[site_id]
        ],
        ignore_conflicts=True,
        batch_size=known.BATCH_SIZE,
    )
    WatchedSite.objects.bulk_update(changed, ["compliance_inputs"], batch_size=known.BATCH_SIZE)
    return found


def _compliance_drop(
    site_id: int, before: dict, after: dict, today: datetime.date
) -> SiteEvent | None:
    """The event of a score falling by COMPLIANCE_DROP_POINTS or more between two sets of
    inputs, both scored as of today (so that the decay with time cancels out), or None."""
    score_before = known.score_of(before, today)
    score_after = known.score_of(after, today)
    if score_before is None or score_after is None:
        return None
    if score_before - score_after < COMPLIANCE_DROP_POINTS:
        return None
    digest = hashlib.sha256(repr(after).encode()).hexdigest()[:24]
    return SiteEvent(
        key=f"compliance:{digest}",
        kind=AlertKind.COMPLIANCE_DROP,
        text=(
            f"Compliance score fell from {score_before:.0f} to {score_after:.0f} "
            "with a new or changed record"
        ),
        date=today,
        source="",
        anchor=f"site-{site_id}-why",
    )


def _alert_spec(site_id: int, events: list[SiteEvent], place: tuple[str, str, str]) -> AlertSpec:
    """One alert for what a site gained in one sweep."""
    profile_url, site_name, provider_name = place
    # The records first, the most serious leading; a score that fell with them comes last.
    events = sorted(events, key=_severity)
    records = [event for event in events if event.kind != AlertKind.COMPLIANCE_DROP]
    lead = events[0]
    where = f"{provider_name} — {site_name}"
    if len(events) == 1:
        key = f"site:{site_id}:{lead.key}"
    else:
        keys = "\n".join(sorted(event.key for event in events))
        key = f"site:{site_id}:batch:{hashlib.sha256(keys.encode()).hexdigest()[:32]}"
    if not records:
        title = f"{lead.text}: {where}"
    elif len(records) == 1:
        title = f"{AlertKind(lead.kind).label}: {where}"
    else:
        label = AlertKind(lead.kind).label
        title = f"{len(records)} new records on {where}, most serious: {label}"
    if len(key) > 190:
        key = f"site:{site_id}:{hashlib.sha256(key.encode()).hexdigest()}"
    return AlertSpec(
        key=key,
        kind=lead.kind,
        title=title,
        items=[event.item(profile_url) for event in events],
        url=f"{profile_url}#{lead.anchor}",
        occurred_on=lead.date,
        site_id=site_id,
        site_name=site_name,
        provider_name=provider_name,
    )


def _severity(event: SiteEvent) -> tuple[int, int]:
    """The most serious first, then the latest (an undated event last)."""
    rank = SEVERITY.index(event.kind) if event.kind in SEVERITY else len(SEVERITY)
    return (rank, -event.date.toordinal() if event.date is not None else 0)
