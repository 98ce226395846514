"""Catalogue background jobs. Thin: load ids, call the domain function, return."""

from celery import shared_task

from partners.linking import link_regulatory_records as link_records


@shared_task(acks_late=True, ignore_result=False)
def link_regulatory_records(site_ids: list[int] | None = None) -> int:
    """Re-link inspections and actions to sites by FEI. Idempotent, so safe to acknowledge late."""
    return link_records(site_ids)
