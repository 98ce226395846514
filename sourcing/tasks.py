"""Sourcing's background jobs. Thin: take ids, call the domain function, and send what it
returns to be run.

Watches (sourcing/watching/): the sweep that tells watchers what their sites' records gained,
sent after every catalogue change and run every minute by beat, and the daily certificate scan.
Kept briefs (sourcing/kept_briefs.py): their re-runs when the catalogue changes.
Saved searches (sourcing/saved_searches.py): new sites matching them.
Notification e-mails (sourcing/notifications/): at once, and the daily digests.
"""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import DatabaseError, InterfaceError, transaction
from django.db import OperationalError as DatabaseOperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError

from matching.tasks import send_run
from sourcing import kept_briefs, saved_searches
from sourcing.notifications import digest, mail
from sourcing.watching import detection

logger = logging.getLogger(__name__)

# A sweep reads every watched site's record: seconds for thousands of sites. Soft limit first,
# so the transaction rolls back cleanly and the next sweep starts over.
SWEEP_TIME_LIMIT = 10 * 60
SWEEP_SOFT_TIME_LIMIT = 9 * 60
# Idempotent (tests/sourcing/test_watch_events.py runs a sweep twice), hence acknowledged late
# and retried when the database fails; the next beat sweeps anyway.
SWEEP_OPTIONS = {
    "acks_late": True,
    "time_limit": SWEEP_TIME_LIMIT,
    "soft_time_limit": SWEEP_SOFT_TIME_LIMIT,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": True,
    "max_retries": 3,
}


@shared_task(**SWEEP_OPTIONS)
def sweep_watched_sites() -> dict:
    """Tell watchers what their sites' records gained since the last sweep (skipped when the
    catalogue and the day are unchanged). Idempotent: an event is made known and told once, so
    a sweep delivered twice, or run by two workers at once, tells it once."""
    result = detection.sweep_if_changed()
    mail_soon(result.notifications)
    return vars(result)


@shared_task(**SWEEP_OPTIONS)
def scan_certificates() -> dict:
    """The daily sweep, whatever changed: certificates run into their last 90 days, or past
    their end, by the calendar alone. Idempotent, like the sweep."""
    result = detection.sweep()
    mail_soon(result.notifications)
    return vars(result)


def mail_soon(notified: int) -> None:
    """Send the e-mails of notifications just written now, rather than at the next minute's
    sweep (and at all in the demo, which runs no beat). With the broker down the beat's sweep
    sends them later: every notification waits, unsent, until one does."""
    if notified <= 0:
        return
    try:
        send_notification_emails.apply_async()
    except (BrokerOperationalError, OSError):
        logger.warning("Could not send the notification mail sweep to the broker", exc_info=True)


def send_sweep() -> None:
    """Send a sweep once the current transaction commits. When the broker cannot be reached,
    nothing is lost: the sweep compares records with what is known, and the beat's next sweep
    (every minute) finds what this one would have."""

    def send() -> None:
        try:
            sweep_watched_sites.apply_async()
        except (BrokerOperationalError, OSError):
            logger.warning("Could not send the watch sweep to the broker", exc_info=True)

    transaction.on_commit(send)


# Kept briefs (sourcing/kept_briefs.py): the beat sends the job every 15 minutes, so a re-run
# starts at most 15 minutes after a catalogue change has made its brief due. Each start is a
# claim and a row; a few minutes at most, warned a minute before.
KEPT_BRIEFS_SOFT_TIME_LIMIT = 4 * 60
KEPT_BRIEFS_TIME_LIMIT = 5 * 60


@shared_task(
    acks_late=True,
    soft_time_limit=KEPT_BRIEFS_SOFT_TIME_LIMIT,
    time_limit=KEPT_BRIEFS_TIME_LIMIT,
    autoretry_for=(BrokerOperationalError, DatabaseOperationalError, InterfaceError),
    retry_backoff=30,
    max_retries=3,
)
def rerun_kept_briefs() -> int:
    """Report the kept briefs' done re-runs not yet reported, then start the re-runs that are
    due and send them. Returns how many were started.

    Idempotent, hence acknowledged late and retried when the broker or the database fails:
    each re-run is claimed with a conditional update, so the job delivered twice starts each
    once, and a report is an alert unique by its key. A re-run whose send fails stays queued
    and the runs' own sweep sends it (matching.tasks.requeue_stale_runs)."""
    for run_id in kept_briefs.unreported_reruns():
        kept_briefs.report_rerun(run_id)
    started = 0
    for kept_brief_id in kept_briefs.due_reruns():
        run = kept_briefs.start_rerun(kept_brief_id)
        if run is not None:
            send_run(run.pk)
            started += 1
    return started


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
    autoretry_for=(BrokerOperationalError, DatabaseOperationalError),
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
        found = saved_searches.check_saved_searches()
    except SoftTimeLimitExceeded:
        logger.warning("The saved searches' check ran out of time; the next sweep goes on")
        return -1
    mail_soon(found)
    return found


# --- Notification e-mails (sourcing/notifications/) ---------------------------------------------

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
    autoretry_for=(DatabaseOperationalError,),
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
    autoretry_for=(DatabaseOperationalError,),
    retry_backoff=True,
    max_retries=3,
    time_limit=DIGEST_TIME_LIMIT,
    soft_time_limit=DIGEST_SOFT_TIME_LIMIT,
)
def send_notification_digests() -> int:
    """Send the daily digests due now, each at its user's time. Returns how many went."""
    return digest.send_due_digests()
