"""Catalogue background jobs. Thin: load ids, call the domain function, return."""

import logging
from collections.abc import Callable

from celery import shared_task
from django.db import transaction
from kombu.exceptions import OperationalError

from partners.importers.fda import uploads
from partners.regulatory.linking import relink_regulatory_records
from partners.regulatory.stored_scores import recompute_compliance_scores

logger = logging.getLogger(__name__)

# The sweep runs every minute: a minute at most, warned ten seconds before. Both limits are set:
# a soft limit inherited from the settings (25 minutes) above a hard limit of one minute makes
# Celery refuse to send the task at all.
SWEEP_TIME_LIMIT = 60
SWEEP_SOFT_TIME_LIMIT = 50


@shared_task(acks_late=True, ignore_result=False)
def link_regulatory_records(
    site_ids: list[int] | None = None, feis: list[str] | None = None
) -> int:
    """Re-link regulator records to sites by FEI (all records when neither `site_ids` nor `feis`
    is given), then queue the recomputation of the scores of the sites that gained or lost
    records. Idempotent, so safe to acknowledge late. Returns how many records were relinked."""
    relinked = relink_regulatory_records(site_ids, feis or ())
    if relinked.site_ids:
        recompute_compliance.delay_on_commit(sorted(relinked.site_ids))
    return relinked.records


@shared_task(acks_late=True, ignore_result=False)
def recompute_compliance(site_ids: list[int] | None = None) -> int:
    """Recompute the stored compliance scores of these sites (all when None) as of today.

    Idempotent (a rerun writes only what changed since), so safe to acknowledge late. Returns how
    many sites were written.
    """
    return recompute_compliance_scores(site_ids)


@shared_task(
    acks_late=True,
    soft_time_limit=uploads.SOFT_TIME_LIMIT,
    time_limit=uploads.TIME_LIMIT,
)
def run_regulator_import(import_id: int) -> bool:
    """Import an uploaded regulator file (a RegulatorImport), then queue the recomputation of the
    compliance scores it changed. Returns whether this run did it.

    Idempotent: the run claims the row with a conditional update, so a task delivered twice
    imports the file once; safe to acknowledge late.
    """
    ran = uploads.run_regulator_import(import_id)
    if ran and (site_ids := uploads.sites_to_rescore(import_id)):
        recompute_compliance.delay_on_commit(site_ids)
    return ran


def send_regulator_import(
    import_id: int, when_not_sent: Callable[[], object] | None = None
) -> None:
    """Send the import's task after the current transaction commits (at once outside one).

    When the broker cannot be reached the import stays queued and says so
    (`uploads.note_broker_down`), `when_not_sent` is called (the admin tells the curator), and
    `sweep_regulator_imports` sends it later. Never raises: the upload is saved whatever the
    broker does.
    """

    def send() -> None:
        try:
            run_regulator_import.apply_async((import_id,))
        except (OperationalError, OSError):
            logger.warning("Could not send regulator import %s to the broker", import_id)
            uploads.note_broker_down(import_id)
            if when_not_sent is not None:
                when_not_sent()

    transaction.on_commit(send)


@shared_task(acks_late=True, time_limit=SWEEP_TIME_LIMIT, soft_time_limit=SWEEP_SOFT_TIME_LIMIT)
def sweep_regulator_imports() -> list[int]:
    """Send again the imports that stayed queued (the broker was down), and restart, or fail once
    out of attempts, those whose worker died. Idempotent. Returns [sent again, restarted,
    failed]."""
    to_send = uploads.requeue_stale_imports()
    restarted, failed = uploads.recover_stuck_imports()
    for import_id in [*to_send, *restarted]:
        send_regulator_import(import_id)
    return [len(to_send), len(restarted), failed]
