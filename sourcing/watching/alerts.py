"""The one way an alert and its notifications are written: once, whoever calls.

An alert is identified by its key; a second caller with the same key (a second worker, a task
delivered twice, a re-import) finds it written and adds no notification a recipient already
has. Each recipient gets the alert only if their settings ask for its kind.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction

from sourcing.models import Alert, Notification, NotificationSettings


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
    user_ids = set(user_ids)
    if not user_ids:
        return set()
    active = set(
        get_user_model()
        .objects.filter(pk__in=user_ids, is_active=True)
        .values_list("pk", flat=True)
    )
    declined = {
        user_id
        for user_id, kinds in NotificationSettings.objects.filter(user_id__in=active).values_list(
            "user_id", "kinds"
        )
        if kind not in (kinds or [])
    }
    return active - declined


def raise_alert(spec: AlertSpec, recipient_ids: Iterable[int]) -> tuple[Alert, int]:
    """Write the alert (or find it written) and notify those recipients who want its kind and
    do not have it yet. Returns the alert and how many notifications this call wrote."""
    recipients = wanting(spec.kind, recipient_ids)
    with transaction.atomic():
        alert, _ = Alert.objects.get_or_create(
            key=spec.key,
            defaults={
                "kind": spec.kind,
                "title": spec.title[:300],
                "items": spec.items,
                "url": spec.url,
                "occurred_on": spec.occurred_on,
                "site_id": spec.site_id,
                "site_name": spec.site_name[:300],
                "provider_name": spec.provider_name[:300],
                "saved_search_id": spec.saved_search_id,
                "kept_brief_id": spec.kept_brief_id,
            },
        )
        having = set(
            Notification.objects.filter(alert=alert, recipient_id__in=recipients).values_list(
                "recipient_id", flat=True
            )
        )
        new = sorted(recipients - having)
        Notification.objects.bulk_create(
            [Notification(alert=alert, recipient_id=user_id) for user_id in new],
            ignore_conflicts=True,
        )
    return alert, len(new)
