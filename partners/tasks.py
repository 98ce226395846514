"""Catalogue background jobs. Thin: load ids, call the domain function, return."""

from celery import shared_task

from partners.importers.fda import uploads
from partners.regulatory.linking import relink_regulatory_records
from partners.regulatory.stored_scores import recompute_compliance_scores


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
