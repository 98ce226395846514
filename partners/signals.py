"""Any ORM change to the catalogue bumps the catalogue version (partners/catalogue_version.py)."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from partners.catalogue_version import bump_catalogue_version
from partners.models import (
    Certification,
    Inspection,
    Provider,
    RegulatoryAction,
    Site,
    SiteCapability,
    Term,
)

CATALOGUE_MODELS = [
    Provider,
    Site,
    SiteCapability,
    Certification,
    Inspection,
    RegulatoryAction,
    Term,
]


def _catalogue_changed(sender, **kwargs) -> None:
    if kwargs.get("raw"):  # loading fixtures
        return
    bump_catalogue_version()


def _site_sets_changed(sender, action: str, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        bump_catalogue_version()


def connect() -> None:
    for model in CATALOGUE_MODELS:
        post_save.connect(_catalogue_changed, sender=model, dispatch_uid=f"catalogue-{model}")
        post_delete.connect(_catalogue_changed, sender=model, dispatch_uid=f"catalogue-d-{model}")
    for through in (Site.phases.through, Site.dea_schedules.through):
        m2m_changed.connect(_site_sets_changed, sender=through, dispatch_uid=f"catalogue-{through}")
