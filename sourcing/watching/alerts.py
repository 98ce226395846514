"""The one way an alert and its notifications are written: once, whoever calls.

An alert is identified by its key; a second caller with the same key (a second worker, a task
delivered twice, a re-import) finds it written and adds no notification a recipient already
has. Each recipient gets the alert only if their settings ask for its kind.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction

from sourcing.models import Alert, Notification, NotificationSettings

# Rows written per INSERT.
BATCH_SIZE = 1000


@dataclass
class AlertSpec:
    """What an alert says: its key (unique), kind, title, one item per event, and its link."""

    key: str
    kind: str
    title: str
    items: list[dict] = field(default_factory=list)
    url: str = ""
    occurred_on: datetime.date | None = None
    site_id: int | None = None
    site_name: str = ""
    provider_name: str = ""
    saved_search_id: int | None = None
    kept_brief_id: int | None = None


def wanting(kind: str, user_ids: Iterable[int]) -> set[int]:
    """The users among these who are told of alerts of this kind (every kind, by default) and
    whose account is active."""
    kinds = _kinds_wanted(set(user_ids))
    return {user_id for user_id, wanted in kinds.items() if wanted is None or kind in wanted}


def _kinds_wanted(user_ids: set[int]) -> dict[int, list[str] | None]:
    """The kinds each active user among these wants (None: every kind, the default): two
    queries."""
    if not user_ids:
        return {}
    active = (
        get_user_model()
        .objects.filter(pk__in=user_ids, is_active=True)
        .values_list("pk", flat=True)
    )
    wanted: dict[int, list[str] | None] = dict.fromkeys(active)
    for user_id, kinds in NotificationSettings.objects.filter(user_id__in=wanted).values_list(
        "user_id", "kinds"
    ):
        wanted[user_id] = kinds or []
    return wanted


def raise_alert(spec: AlertSpec, recipient_ids: Iterable[int]) -> tuple[Alert, int]:
    """Write the alert (or find it written) and notify those recipients who want its kind and
    do not have it yet. Returns the alert and how many notifications this call wrote."""
    alerts, written = raise_alerts([(spec, recipient_ids)])
    return alerts[0], written


def raise_alerts(
    batch: Sequence[tuple[AlertSpec, Iterable[int]]],
) -> tuple[list[Alert], int]:
    """`raise_alert` for many alerts at once, in a fixed number of queries (an import can
    touch hundreds of watched sites). Returns the alerts, in order, and how many notifications
    this call wrote."""
    batch = [(spec, set(recipient_ids)) for spec, recipient_ids in batch]
    if not batch:
        return [], 0
    wanted = _kinds_wanted(set().union(*(recipients for _, recipients in batch)))
    with transaction.atomic():
        Alert.objects.bulk_create(
            [_alert(spec) for spec, _ in batch], ignore_conflicts=True, batch_size=BATCH_SIZE
        )
        keys = [spec.key for spec, _ in batch]
        alerts = {alert.key: alert for alert in Alert.objects.filter(key__in=keys)}
        having = set(
            Notification.objects.filter(alert__in=alerts.values()).values_list(
                "alert_id", "recipient_id"
            )
        )
        new = [
            Notification(alert=alerts[spec.key], recipient_id=user_id)
            for spec, recipients in batch
            for user_id in sorted(recipients)
            if _wants(wanted, user_id, spec.kind) and (alerts[spec.key].pk, user_id) not in having
        ]
        Notification.objects.bulk_create(new, ignore_conflicts=True, batch_size=BATCH_SIZE)
    return [alerts[key] for key in keys], len(new)


def _wants(wanted: dict[int, list[str] | None], user_id: int, kind: str) -> bool:
    """Whether the user is active and told of this kind of alert."""
    if user_id not in wanted:
        return False
    kinds = wanted[user_id]
    return kinds is None or kind in kinds


def _alert(spec: AlertSpec) -> Alert:
    return Alert(
        key=spec.key,
        kind=spec.kind,
        title=spec.title[:300],
        items=spec.items,
        url=spec.url[:500],
        occurred_on=spec.occurred_on,
        site_id=spec.site_id,
        site_name=spec.site_name[:300],
        provider_name=spec.provider_name[:300],
        saved_search_id=spec.saved_search_id,
        kept_brief_id=spec.kept_brief_id,
    )
