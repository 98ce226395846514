"""Match-run background jobs. Thin: take ids, call the domain function (matching/runs.py), and
send what it returns to be run."""

import logging

from celery import shared_task
from django.db import transaction
from kombu.exceptions import OperationalError

from matching import acceptability, retention, runs

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=runs.SOFT_TIME_LIMIT,
    time_limit=runs.TIME_LIMIT,
)
def execute_run(run_id: int) -> bool:
    """Score the run's brief against the catalogue and store the results. Returns whether this
    delivery ran it.

    Idempotent: the run is claimed with a conditional update and its results are replaced in one
    transaction, so a task delivered twice runs once and a rerun writes the same rows
    (tests/matching/test_runs.py runs it twice). Hence acknowledged late, and a message whose
    worker was killed goes back to the queue (reject_on_worker_lost) for another worker.
    """
    return runs.execute_run(run_id)


def send_run(run_id: int) -> None:
    """Send the run's task after the current transaction commits (at once outside one).

    When the broker cannot be reached the run stays QUEUED and says so (`runs.note_broker_down`);
    the `requeue_stale_runs` job sends it later.
    """

    def send() -> None:
        try:
            execute_run.apply_async((run_id,))
        except (OperationalError, OSError):
            logger.warning("Could not send match run %s to the broker", run_id, exc_info=True)
            runs.note_broker_down(run_id)

    transaction.on_commit(send)


# The sweeps run every minute: a minute at most each, warned ten seconds before. Both limits are
# set, since a soft limit inherited from the settings (25 minutes) above a hard limit of one
# minute makes Celery refuse to send the task at all.
SWEEP_TIME_LIMIT = 60
SWEEP_SOFT_TIME_LIMIT = 50


@shared_task(acks_late=True, time_limit=SWEEP_TIME_LIMIT, soft_time_limit=SWEEP_SOFT_TIME_LIMIT)
def requeue_stale_runs() -> int:
    """Send again the runs that stayed queued (the broker was down). Idempotent. Returns how
    many were sent."""
    to_send = runs.requeue_stale_runs()
    for run_id in to_send:
        send_run(run_id)
    return len(to_send)


@shared_task(acks_late=True, time_limit=SWEEP_TIME_LIMIT, soft_time_limit=SWEEP_SOFT_TIME_LIMIT)
def recover_stuck_runs() -> list[int]:
    """Restart, or fail once out of attempts, the runs whose worker died. Idempotent. Returns
    [requeued, failed]."""
    requeued, failed = runs.recover_stuck_runs()
    for run_id in requeued:
        send_run(run_id)
    return [len(requeued), failed]


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=acceptability.SOFT_TIME_LIMIT,
    time_limit=acceptability.TIME_LIMIT,
)
def execute_acceptability(analysis_id: int) -> bool:
    """Compute a run's rank acceptability. Returns whether this delivery computed it.

    Idempotent: claimed with a conditional update and stored by one guarded update, with the
    same seed giving the same result, so a task delivered twice computes it once
    (tests/matching/test_acceptability.py runs it twice). Hence acknowledged late.
    """
    return acceptability.execute_analysis(analysis_id)


def send_acceptability(analysis_id: int) -> None:
    """Send the analysis's task after the current transaction commits. When the broker cannot be
    reached it stays QUEUED, saying so, and starting it again sends it again."""

    def send() -> None:
        try:
            execute_acceptability.apply_async((analysis_id,))
        except (OperationalError, OSError):
            logger.warning("Could not send acceptability %s to the broker", analysis_id)
            acceptability.note_broker_down(analysis_id)

    transaction.on_commit(send)


# The nightly deletion of old runs: a few minutes at most; the next night resumes what is left.
RETENTION_TIME_LIMIT = 15 * 60
RETENTION_SOFT_TIME_LIMIT = 14 * 60


@shared_task(time_limit=RETENTION_TIME_LIMIT, soft_time_limit=RETENTION_SOFT_TIME_LIMIT)
def delete_expired_runs() -> int:
    """Delete the runs past MATCHING_RUN_RETENTION_DAYS that nothing refers to
    (matching/retention.py). Idempotent. Returns how many were deleted."""
    return retention.delete_expired_runs()
