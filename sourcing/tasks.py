"""Procurement background jobs: the watches' sweeps. Thin: each calls a domain function
(sourcing/saved_searches.py, sourcing/watching/) and returns what it counted."""

import logging

import django.db
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from kombu.exceptions import OperationalError as BrokerError

from sourcing import saved_searches

logger = logging.getLogger(__name__)

# --- Saved searches (sourcing/saved_searches.py) -------------------------------------------------

# Every five minutes (config/settings.py): a minute at most, warned ten seconds before. Both
# limits are set, since a soft limit inherited from the settings (25 minutes) above a hard limit
# of one minute makes Celery refuse to send the task at all.
SAVED_SEARCH_CHECK_TIME_LIMIT = 60
SAVED_SEARCH_CHECK_SOFT_TIME_LIMIT = 50


@shared_task(
    acks_late=True,
    time_limit=SAVED_SEARCH_CHECK_TIME_LIMIT,
    soft_time_limit=SAVED_SEARCH_CHECK_SOFT_TIME_LIMIT,
    # A broker or database briefly away: tried again a few times, backing off, before the next
    # sweep comes round anyway.
    autoretry_for=(BrokerError, django.db.OperationalError),
    retry_backoff=5,
    retry_backoff_max=60,
    max_retries=3,
)
def check_saved_searches() -> int:
    """Tell the owners of watched saved searches of the sites newly matching them. Idempotent
    (each search is claimed by a conditional update, and an alert's key makes it once:
    tests/sourcing/test_saved_searches.py runs it twice), hence acknowledged late. Returns how
    many searches had new sites (or -1 when it ran out of time).

    A sweep that runs out of time keeps what it did: each search's check is stored as it
    ends, and the searches left stay due for the next sweep."""
    try:
        return saved_searches.check_saved_searches()
    except SoftTimeLimitExceeded:
        logger.warning("The saved searches' check ran out of time; the next sweep goes on")
        return -1
