"""Procurement's background jobs. Thin: each calls a domain function and returns what it did."""

from celery import shared_task
from django.db import OperationalError

from sourcing.notifications import digest, mail

# Notification e-mails: the immediate sweep runs every minute and must end before the next, so
# it takes no new mail after NOTIFICATION_SWEEP_BUDGET seconds; the digests run every five
# minutes. A database that drops the connection mid-sweep is retried a little later; every
# notification is claimed before it is sent, so a sweep run twice sends nothing twice.
NOTIFICATION_SWEEP_TIME_LIMIT = 60
NOTIFICATION_SWEEP_SOFT_TIME_LIMIT = 50
NOTIFICATION_SWEEP_BUDGET = 40
DIGEST_TIME_LIMIT = 5 * 60
DIGEST_SOFT_TIME_LIMIT = 4 * 60


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    time_limit=NOTIFICATION_SWEEP_TIME_LIMIT,
    soft_time_limit=NOTIFICATION_SWEEP_SOFT_TIME_LIMIT,
)
def send_notification_emails() -> int:
    """E-mail the notifications of users who chose "at once". Returns how many went."""
    return mail.send_due_immediate(stop_after=NOTIFICATION_SWEEP_BUDGET)


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    time_limit=DIGEST_TIME_LIMIT,
    soft_time_limit=DIGEST_SOFT_TIME_LIMIT,
)
def send_notification_digests() -> int:
    """Send the daily digests due now, each at its user's time. Returns how many went."""
    return digest.send_due_digests()
