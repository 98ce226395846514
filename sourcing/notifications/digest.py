"""The daily digest: one e-mail a day, at the time the user chose in their own time zone, of
every notification not yet e-mailed, to users on EmailChoice.DIGEST (the default: a user
without settings is on it).

A user's day is claimed with a conditional update of `last_digest_on` before anything is sent,
so two workers never send one day's digest twice; a day with nothing to tell is claimed all the
same and sends nothing. A digest that fails to send gives back its day and its notifications
for the next sweep.
"""

import datetime
import zoneinfo

from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.db.models import Q
from django.utils import timezone

from sourcing.choices import EmailChoice
from sourcing.models import Notification, NotificationSettings
from sourcing.notifications import mail

# The most notifications a digest lists; it says how many more there are and links to them all.
DIGEST_SHOWN = 50
# The furthest ahead of UTC any time zone's date runs (Kiribati, UTC+14).
_AHEAD_OF_UTC = datetime.timedelta(hours=14)


def digest_day(
    notification_settings: NotificationSettings, now: datetime.datetime
) -> datetime.date | None:
    """The day, in the user's time zone, whose digest is due at `now`: the day of the latest
    digest time at or before `now` (today's once it has passed, else yesterday's), when no
    digest went for it. None otherwise. Yesterday's counts: a digest time late in the evening
    may pass between two sweeps that straddle midnight, and its digest then goes at the first
    sweep of the next day rather than never."""
    try:
        zone = zoneinfo.ZoneInfo(notification_settings.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = now.astimezone(zone)
    digest_time = notification_settings.digest_time
    if isinstance(digest_time, str):
        digest_time = datetime.time.fromisoformat(digest_time)
    passed_today = local.time() >= digest_time
    last = notification_settings.last_digest_on
    if last is None:  # a first digest waits for its time
        return local.date() if passed_today else None
    due = local.date() if passed_today else local.date() - datetime.timedelta(days=1)
    if last >= due:
        return None
    return due


def _settings_for_users_without() -> None:
    """Users who never saved settings, with something waiting, are given the defaults' row:
    it holds the digest's day and the unsubscribe link."""
    waiting = (
        get_user_model()
        .objects.filter(
            is_active=True,
            notification_settings__isnull=True,
            notifications__emailed_at__isnull=True,
        )
        .exclude(email="")
        .values_list("pk", flat=True)
        .distinct()
    )
    for user_id in waiting:
        NotificationSettings.objects.get_or_create(user_id=user_id)


def send_due_digests(now: datetime.datetime | None = None) -> int:
    """Send every digest due at `now`. Returns how many e-mails went."""
    now = now or timezone.now()
    _settings_for_users_without()
    latest_day_anywhere = (now + _AHEAD_OF_UTC).date()
    candidates = (
        NotificationSettings.objects.filter(email=EmailChoice.DIGEST, user__is_active=True)
        .exclude(user__email="")
        .filter(Q(last_digest_on__isnull=True) | Q(last_digest_on__lt=latest_day_anywhere))
        .select_related("user")
        .order_by("pk")
    )
    sent = 0
    connection = get_connection()
    for notification_settings in candidates.iterator(chunk_size=500):
        day = digest_day(notification_settings, now)
        if day is None:
            continue
        if _send_digest(notification_settings, day, now, connection):
            sent += 1
    return sent


def _send_digest(
    notification_settings: NotificationSettings,
    day: datetime.date,
    now: datetime.datetime,
    connection,
) -> bool:
    """Claim the user's day, then their waiting notifications, and send them as one e-mail.
    Returns whether an e-mail went."""
    previous = notification_settings.last_digest_on
    claimed_day = (
        NotificationSettings.objects.filter(pk=notification_settings.pk)
        .filter(Q(last_digest_on__isnull=True) | Q(last_digest_on__lt=day))
        .update(last_digest_on=day)
    )
    if not claimed_day:
        return False  # another worker sent today's
    user = notification_settings.user
    waiting = list(
        Notification.objects.filter(recipient=user, emailed_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    if not waiting:
        return False
    Notification.objects.filter(pk__in=waiting, emailed_at__isnull=True).update(emailed_at=now)
    claimed = Notification.objects.filter(pk__in=waiting, emailed_at=now)
    total = claimed.count()
    if not total:
        return False
    claimed_ids = list(claimed.values_list("pk", flat=True))
    delivered = False
    try:
        shown = list(claimed.select_related("alert").order_by("-created_at", "-pk")[:DIGEST_SHOWN])
        message = mail.compose(
            user, notification_settings, shown, digest=True, total=total, connection=connection
        )
        delivered = mail.deliver(message, user.pk, claimed_ids, now)
    finally:
        if not delivered:  # the day goes back with its notifications, for the next sweep
            Notification.objects.filter(pk__in=claimed_ids, emailed_at=now).update(emailed_at=None)
            NotificationSettings.objects.filter(
                pk=notification_settings.pk, last_digest_on=day
            ).update(last_digest_on=previous)
    return delivered
