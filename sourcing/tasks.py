"""Sourcing's background jobs. Thin: call the domain function and return what it did.

Watches (sourcing/watching/): the sweep that tells watchers what their sites' records gained,
sent after every catalogue change and run every minute by beat, and the daily certificate scan.
"""

import logging

from celery import shared_task
from django.db import DatabaseError, transaction
from kombu.exceptions import OperationalError

from sourcing.watching import detection

logger = logging.getLogger(__name__)

# A sweep reads every watched site's record: seconds for thousands of sites. Soft limit first,
# so the transaction rolls back cleanly and the next sweep starts over.
SWEEP_TIME_LIMIT = 10 * 60
SWEEP_SOFT_TIME_LIMIT = 9 * 60


@shared_task(
    acks_late=True,
    time_limit=SWEEP_TIME_LIMIT,
    soft_time_limit=SWEEP_SOFT_TIME_LIMIT,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=3,
)
def sweep_watched_sites() -> dict:
    """Tell watchers what their sites' records gained since the last sweep (skipped when the
    catalogue and the day are unchanged). Idempotent: an event is made known and told once, so
    a sweep delivered twice, or run by two workers at once, tells it once."""
    return vars(detection.sweep_if_changed())


@shared_task(
    acks_late=True,
    time_limit=SWEEP_TIME_LIMIT,
    soft_time_limit=SWEEP_SOFT_TIME_LIMIT,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=3,
)
def scan_certificates() -> dict:
    """The daily sweep, whatever changed: certificates run into their last 90 days, or past
    their end, by the calendar alone. Idempotent, like the sweep."""
    return vars(detection.sweep())


def send_sweep() -> None:
    """Send a sweep once the current transaction commits. When the broker cannot be reached,
    nothing is lost: the sweep compares records with what is known, and the beat's next sweep
    (every minute) finds what this one would have."""

    def send() -> None:
        try:
            sweep_watched_sites.apply_async()
        except (OperationalError, OSError):
            logger.warning("Could not send the watch sweep to the broker", exc_info=True)

    transaction.on_commit(send)
