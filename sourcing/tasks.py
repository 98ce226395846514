"""Sourcing's background jobs. Thin: take ids, call the domain function, and send what it
returns to be run."""

import logging

from celery import shared_task
from django.db import InterfaceError
from django.db import OperationalError as DatabaseOperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError

from matching.tasks import send_run
from sourcing import kept_briefs

logger = logging.getLogger(__name__)

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
