"""Notifications by e-mail, one at once for each, to users who chose so (EmailChoice.AT_ONCE),
and what every notification e-mail shares: its subject, absolute links, the unsubscribe link
and the List-Unsubscribe headers (RFC 2369, and RFC 8058's one-click POST).

Each notification is claimed with a conditional update on `emailed_at` before it is sent, so
two workers sweeping at once never send one twice; a send that fails puts the claim back for
the next sweep to retry.
"""

import logging
import smtplib
import time
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from sourcing.choices import AlertKind, EmailChoice
from sourcing.models import Alert, Notification, NotificationSettings
from sourcing.notifications.inbox import item_lines

logger = logging.getLogger(__name__)

# The most notifications one sweep sends; the rest wait for the next one, a minute later.
SWEEP_BATCH = 200
# A sweep stops taking new mail after this many failures in a row: the mail server is likely
# down, and each attempt would wait for its timeout.
FAILURES_BEFORE_GIVING_UP = 3
APP_NAME = "CDMO Match"


def absolute(path: str) -> str:
    """The path as an address outside the app (an e-mail) can follow: SITE_URL before it."""
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def unsubscribe_url(notification_settings: NotificationSettings) -> str:
    return absolute(
        reverse("sourcing:unsubscribe", kwargs={"token": notification_settings.unsubscribe_token})
    )


def subject_of(alert: Alert) -> str:
    """What happened and where, in a line: "Warning letter: Acme — Leverkusen"."""
    where = " — ".join(name for name in (alert.provider_name, alert.site_name) if name)
    if where:
        subject = f"{AlertKind(alert.kind).label}: {where}" if alert.kind in AlertKind else where
    else:
        subject = alert.title
    return _one_line(subject)


def digest_subject(count: int) -> str:
    return f"{count} notification{'s' if count != 1 else ''} from {APP_NAME}"


def _one_line(text: str, limit: int = 180) -> str:
    # A line break in a header would be refused (BadHeaderError), and a long one wrapped.
    text = " ".join(text.split())
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def compose(
    user: AbstractBaseUser,
    notification_settings: NotificationSettings,
    notifications: Sequence[Notification],
    *,
    digest: bool = False,
    total: int | None = None,
    connection=None,
) -> EmailMultiAlternatives:
    """The e-mail of one notification (or, as a digest, of several, `total` of them in all),
    with HTML and plain-text parts from templates/sourcing/email/."""
    total = len(notifications) if total is None else total
    unsubscribe = unsubscribe_url(notification_settings)
    shown = [
        {
            "notification": notification,
            "alert": notification.alert,
            "kind": _kind_label(notification.alert.kind),
            "lines": item_lines(notification.alert, absolute),
            "link": absolute(notification.get_absolute_url()),
        }
        for notification in notifications
    ]
    context = {
        "user": user,
        "entries": shown,
        "total": total,
        "more": total - len(shown),
        "app_name": APP_NAME,
        "list_url": absolute(reverse("sourcing:notifications")),
        "settings_url": absolute(reverse("sourcing:notification-settings")),
        "unsubscribe_url": unsubscribe,
        "time_zone": notification_settings.time_zone,
    }
    template = "digest" if digest else "notification"
    subject = digest_subject(total) if digest else subject_of(notifications[0].alert)
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"sourcing/email/{template}.txt", context),
        to=[getattr(user, "email", "")],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        connection=connection,
    )
    message.attach_alternative(
        render_to_string(f"sourcing/email/{template}.html", context), "text/html"
    )
    return message


def _kind_label(kind: str) -> str:
    return AlertKind(kind).label if kind in AlertKind else kind


def mailable() -> Q:
    """The recipients an e-mail may go to: active, with an address."""
    return Q(recipient__is_active=True) & ~Q(recipient__email="")


def send_due_immediate(now=None, stop_after: float | None = None) -> int:
    """E-mail each notification not yet e-mailed whose recipient chose "at once", oldest first,
    at most SWEEP_BATCH of them, taking no new one `stop_after` seconds after starting. Users
    without settings have the default, the daily digest, and are left to digest.py. Returns
    how many were sent."""
    now = now or timezone.now()
    started = time.monotonic()
    due = (
        Notification.objects.filter(
            mailable(),
            emailed_at__isnull=True,
            recipient__notification_settings__email=EmailChoice.AT_ONCE,
        )
        .select_related("alert", "recipient", "recipient__notification_settings")
        .order_by("created_at", "pk")[:SWEEP_BATCH]
    )
    sent = failures = 0
    connection = get_connection()
    for notification in due:
        if stop_after is not None and time.monotonic() - started > stop_after:
            break
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            emailed_at=now
        )
        if not claimed:
            continue  # another worker has it
        recipient = notification.recipient
        message = compose(
            recipient, recipient.notification_settings, [notification], connection=connection
        )
        if deliver(message, recipient.pk, [notification.pk], now):
            sent += 1
            failures = 0
        else:
            failures += 1
            if failures >= FAILURES_BEFORE_GIVING_UP:
                break
    return sent


def deliver(
    message: EmailMultiAlternatives, recipient_id: int, claimed_ids: list[int], claimed_at
) -> bool:
    """Send the message. When it fails, the notifications it carried are unclaimed, so that the
    next sweep sends them; a mail server's refusal is logged and answered False, anything else
    (a time limit) is raised once they are unclaimed."""
    try:
        message.send()
    except Exception as error:
        Notification.objects.filter(pk__in=claimed_ids, emailed_at=claimed_at).update(
            emailed_at=None
        )
        if not isinstance(error, smtplib.SMTPException | OSError):
            raise
        logger.warning(
            "Could not e-mail %d notification(s) to user %s; the next sweep tries again",
            len(claimed_ids),
            recipient_id,
            exc_info=True,
        )
        return False
    return True
