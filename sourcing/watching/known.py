"""What a watched site's record is known to hold: its events (KnownEvent keys) and the inputs of
its compliance score as last read (WatchedSite.compliance_inputs).

A site's record is known from the moment its watch begins (`baseline`); the sweep
(detection.py) announces what it gains past that, and makes it known in turn.
"""

import datetime
from collections.abc import Iterable

from django.utils import timezone

from partners.regulatory.compliance import ActionEvent, InspectionEvent, compute_compliance
from partners.regulatory.stored_scores import SiteHistory, load_histories
from sourcing.models import KnownEvent, WatchedSite
from sourcing.watching.events import current_events

# Rows written per INSERT.
BATCH_SIZE = 2000


def compliance_inputs(history: SiteHistory) -> dict:
    """A site's compliance inputs as stored (JSON): sorted, so that equal records compare equal."""
    return {
        "inspections": sorted(
            [
                row.authority,
                row.classification,
                row.end_date.isoformat(),
                row.inspection_id,
                row.project_area,
            ]
            for row in history.inspections
        ),
        "actions": sorted(
            [row.authority, row.action_type, row.action_date.isoformat(), row.case_id]
            for row in history.actions
        ),
    }


def score_of(inputs: dict, as_of: datetime.date) -> float | None:
    """The compliance score of stored inputs as of a day (None: unknown)."""
    inspections = [
        InspectionEvent(authority, classification, datetime.date.fromisoformat(day), ident, area)
        for authority, classification, day, ident, area in inputs.get("inspections", [])
    ]
    actions = [
        ActionEvent(authority, action_type, datetime.date.fromisoformat(day), case_id)
        for authority, action_type, day, case_id in inputs.get("actions", [])
    ]
    return compute_compliance(inspections, actions, as_of).score


def baseline(site_ids: Iterable[int], today: datetime.date | None = None) -> int:
    """Make known what these sites' records hold now, for those not watched yet. Returns how
    many sites began to be watched. The caller holds the sweep's lock."""
    today = today or timezone.localdate()
    site_ids = set(site_ids) - set(
        WatchedSite.objects.filter(site_id__in=list(site_ids)).values_list("site_id", flat=True)
    )
    if not site_ids:
        return 0
    events = current_events(site_ids, today)
    histories = load_histories(sorted(site_ids))
    WatchedSite.objects.bulk_create(
        [
            WatchedSite(site_id=site_id, compliance_inputs=compliance_inputs(histories[site_id]))
            for site_id in sorted(site_ids)
        ],
        ignore_conflicts=True,
        batch_size=BATCH_SIZE,
    )
    KnownEvent.objects.bulk_create(
        [KnownEvent(site_id=site_id, key=key) for site_id in events for key in events[site_id]],
        ignore_conflicts=True,
        batch_size=BATCH_SIZE,
    )
    return len(site_ids)


def forget(site_ids: Iterable[int]) -> None:
    """Stop watching these sites: what their records held is forgotten, and a watch that
    begins again starts from what they hold then."""
    site_ids = list(site_ids)
    KnownEvent.objects.filter(site_id__in=site_ids).delete()
    WatchedSite.objects.filter(site_id__in=site_ids).delete()
