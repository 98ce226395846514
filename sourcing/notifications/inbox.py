"""A user's notifications: the unread count the bell shows, the list, marking read, the user's
settings (their defaults until first saved), watching a site or a provider, and where a
notification's link may lead.

Every read starts from `of_user(user)`, so another user's notification is never found.
"""

import datetime
from collections.abc import Callable
from typing import Any, cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from partners.models import Provider, Site
from sourcing.choices import EmailChoice
from sourcing.models import Alert, Notification, NotificationSettings, Watch

User = AbstractBaseUser | AnonymousUser


def _id(user: User) -> int:
    """The id of a signed-in user (every caller here has one)."""
    return cast(int, user.pk)


def of_user(user: User) -> QuerySet[Notification]:
    """The user's notifications, newest first, with their alerts."""
    return Notification.objects.filter(recipient_id=user.pk).select_related("alert")


def unread_count(user: User) -> int:
    """How many of the user's notifications are unread: one count on the (recipient, read_at)
    index."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def mark_read(notification: Notification, now: datetime.datetime | None = None) -> None:
    """Mark the notification read, unless it already is (its first reading is kept)."""
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )


def mark_all_read(user: User, now: datetime.datetime | None = None) -> int:
    """Mark every unread notification of the user read. Returns how many were unread."""
    return of_user(user).filter(read_at__isnull=True).update(read_at=now or timezone.now())


def local_link(url: str) -> str | None:
    """The alert's link when it is a path on this site, else None: an alert's link is only
    ever followed within the app, never to another host."""
    if url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=set()):
        return url
    return None


def settings_of(user: User) -> NotificationSettings:
    """The user's notification settings: their saved row, or the defaults (unsaved) until they
    first save them."""
    found = NotificationSettings.objects.filter(user_id=_id(user)).first()
    return found if found is not None else NotificationSettings(user_id=_id(user))


def save_settings(settings: NotificationSettings, changes: dict) -> NotificationSettings:
    """Apply the form's changes and save (creating the row on first save). A new e-mail choice
    applies to what comes from now on: what is waiting to be e-mailed under the old choice is
    left in the app rather than sent all at once."""
    previous_email = settings.email  # the default (the digest) until first saved
    for name, value in changes.items():
        setattr(settings, name, value)
    with transaction.atomic():
        settings.save()
        if previous_email != settings.email:
            Notification.objects.filter(
                recipient_id=settings.user_id, emailed_at__isnull=True
            ).update(emailed_at=timezone.now())
    return settings


def unsubscribe(settings: NotificationSettings) -> None:
    """Stop every e-mail to the user; the notifications stay in the app."""
    NotificationSettings.objects.filter(pk=settings.pk).update(email=EmailChoice.NEVER)
    settings.email = EmailChoice.NEVER


def is_watching(user: User, *, site: Site | None = None, provider: Provider | None = None) -> bool:
    """Whether the user watches this site (itself, not through its provider) or this provider."""
    watches = Watch.objects.filter(user_id=_id(user))
    if site is not None:
        return watches.filter(site=site).exists()
    return watches.filter(provider=provider).exists()


def set_watching(
    user: User, want: bool, *, site: Site | None = None, provider: Provider | None = None
) -> bool:
    """Start or stop the user's watch on the site or the provider. A new watch starts from
    what the watched sites' records hold now (sourcing/signals.py calls
    `watchers.start_watching` for every new Watch), so that only what comes after is
    announced. Returns whether the user now watches it."""
    target: dict[str, Any] = {"site": site} if site is not None else {"provider": provider}
    if not want:
        Watch.objects.filter(user_id=_id(user), **target).delete()
        return False
    Watch.objects.get_or_create(user_id=_id(user), **target)
    return True


def item_lines(alert: Alert, absolute: Callable[[str], str] | None = None) -> list[dict]:
    """The alert's items as they are shown: text, date (a date when it reads as one), source,
    and a link only when it is one to follow (an https or http address, or a path on this
    site, made absolute by `absolute` for an e-mail)."""
    lines = []
    for item in alert.items or []:
        if not isinstance(item, dict):
            continue
        url = str(item.get("url") or "")
        if local_link(url):
            url = absolute(url) if absolute else url
        elif not url.startswith(("https://", "http://")):
            url = ""
        raw_date = item.get("date") or ""
        try:
            date: datetime.date | str = datetime.date.fromisoformat(str(raw_date))
        except ValueError:
            date = str(raw_date)
        lines.append(
            {
                "text": str(item.get("text") or ""),
                "date": date,
                "source": str(item.get("source") or ""),
                "url": url,
            }
        )
    return lines
