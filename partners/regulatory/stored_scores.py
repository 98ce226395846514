"""Keeps each site's stored compliance score current: loads records, scores them, saves changes.

The scoring itself is plain Python in partners/regulatory/compliance.py; this is its ORM side.
The score is derived data that decays with time, so it is recomputed nightly and written with
queryset updates: no `save()`, so no history row and no new `updated_at`, and only the rows whose
value changed.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from django.db import transaction
from django.utils import timezone

from partners.catalogue_version import bump_catalogue_version
from partners.models import Inspection, RegulatoryAction, Site
from partners.regulatory.compliance import ActionEvent, InspectionEvent, compute_compliance

# Sites read per round trip: three queries per batch, whatever its size.
BATCH_SIZE = 2000

# A stored value: (compliance_score, compliance_state).
Stored = tuple[float | None, str]


# An event's fields are named after the model fields they are read from: the one mapping from
# rows to events, used by the nightly job (values_list) and by the profile (prefetched rows).
INSPECTION_EVENT_FIELDS = tuple(event_field.name for event_field in fields(InspectionEvent))
ACTION_EVENT_FIELDS = tuple(event_field.name for event_field in fields(ActionEvent))


@dataclass(slots=True)
class SiteHistory:
    """A site's regulator record as the compliance score reads it."""

    inspections: list[InspectionEvent] = field(default_factory=list)
    actions: list[ActionEvent] = field(default_factory=list)


def recompute_compliance_scores(
    site_ids: Iterable[int] | None = None, as_of: datetime.date | None = None
) -> int:
    """Score the given sites (every site when None) as of a date (today when None).

    Writes only the sites whose score or state changed, or that were never scored; returns how
    many. Idempotent: a second run on the same day writes nothing.
    """
    as_of = as_of or timezone.localdate()
    if site_ids is None:
        ids = list(Site.objects.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted(set(site_ids))
    changes: dict[Stored, list[int]] = defaultdict(list)
    for start in range(0, len(ids), BATCH_SIZE):
        for site_id, value in _changed_scores(ids[start : start + BATCH_SIZE], as_of):
            changes[value].append(site_id)
    _write(changes, as_of)
    return sum(len(site_ids) for site_ids in changes.values())


def load_histories(site_ids: list[int]) -> dict[int, SiteHistory]:
    """The inspections and actions of these sites, in two queries."""
    histories: dict[int, SiteHistory] = defaultdict(SiteHistory)
    # `order_by()`: the models' default ordering would only make the database sort for nothing.
    inspection_rows = (
        Inspection.objects.filter(site_id__in=site_ids)
        .order_by()
        .values_list("site_id", *INSPECTION_EVENT_FIELDS)
    )
    for site_id, *row in inspection_rows:
        histories[site_id].inspections.append(InspectionEvent(*row))
    action_rows = (
        RegulatoryAction.objects.filter(site_id__in=site_ids)
        .order_by()
        .values_list("site_id", *ACTION_EVENT_FIELDS)
    )
    for site_id, *row in action_rows:
        histories[site_id].actions.append(ActionEvent(*row))
    return histories


def inspection_events(inspections: Iterable[Inspection]) -> list[InspectionEvent]:
    """Inspection rows already loaded (a prefetch, say) as the score reads them."""
    return [
        InspectionEvent(*(getattr(row, name) for name in INSPECTION_EVENT_FIELDS))
        for row in inspections
    ]


def action_events(actions: Iterable[RegulatoryAction]) -> list[ActionEvent]:
    """Regulatory action rows already loaded as the score reads them."""
    return [ActionEvent(*(getattr(row, name) for name in ACTION_EVENT_FIELDS)) for row in actions]


def _changed_scores(site_ids: list[int], as_of: datetime.date) -> Iterable[tuple[int, Stored]]:
    """The sites among these whose stored score differs from today's, with today's."""
    histories = load_histories(site_ids)
    nothing = SiteHistory()
    stored = (
        Site.objects.filter(pk__in=site_ids)
        .order_by()
        .values_list("pk", "compliance_score", "compliance_state", "compliance_as_of")
    )
    for site_id, score, state, scored_as_of in stored:
        history = histories.get(site_id, nothing)
        result = compute_compliance(history.inspections, history.actions, as_of)
        # The as-of date alone does not make a row worth rewriting: it stays the date the
        # stored value was first computed for, and the value is the same on both dates.
        if scored_as_of is None or (score, state) != (result.score, result.state):
            yield site_id, (result.score, result.state)


def _write(changes: dict[Stored, list[int]], as_of: datetime.date) -> None:
    """One UPDATE per distinct value, not per site: scores have one decimal, so there are at most
    1,002 values (0.0 to 100.0, and unknown) however many sites changed. `bulk_update` would
    build a CASE branch per site, which costs more in Python than the update in the database."""
    if not changes:
        return
    with transaction.atomic():
        # The version row first, as every bulk writer takes it: one lock order, no deadlock.
        bump_catalogue_version()
        # In a fixed order, so two runs over the same sites lock their rows in the same order.
        for (score, state), site_ids in sorted(changes.items(), key=_by_value):
            for start in range(0, len(site_ids), BATCH_SIZE):
                Site.objects.filter(pk__in=site_ids[start : start + BATCH_SIZE]).update(
                    compliance_score=score, compliance_state=state, compliance_as_of=as_of
                )


def _by_value(change: tuple[Stored, list[int]]) -> tuple[bool, float, str]:
    (score, state), _ = change
    return (score is None, score or 0.0, state)
