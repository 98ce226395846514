"""Catalogue background jobs. Thin: load ids, call the domain function, return."""

from celery import shared_task

from partners.compliance_store import recompute_compliance_scores
from partners.importers import uploads
from partners.linking import link_regulatory_records as link_records


@shared_task(acks_late=True, ignore_result=False)
def link_regulatory_records(site_ids: list[int] | None = None) -> int:
    """Re-link inspections and actions to sites by FEI. Idempotent, so safe to acknowledge late."""
    return link_records(site_ids)


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
    """Import an uploaded regulator file (a RegulatorImport). Returns whether this run did it.

    Idempotent: the run claims the row with a conditional update, so a task delivered twice
    imports the file once; safe to acknowledge late.
    """
    return uploads.run_regulator_import(import_id)
