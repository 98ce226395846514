"""Match-run background jobs. Thin: take ids, call the domain function (matching/runs.py)."""

from celery import shared_task

from matching import runs


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


@shared_task(acks_late=True, time_limit=60)
def requeue_stale_runs() -> int:
    """Send again the runs that stayed queued (the broker was down). Idempotent."""
    return runs.requeue_stale_runs()


@shared_task(acks_late=True, time_limit=60)
def recover_stuck_runs() -> list[int]:
    """Restart, or fail once out of attempts, the runs whose worker died. Idempotent."""
    return list(runs.recover_stuck_runs())
