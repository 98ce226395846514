"""Keep derived data current after ORM changes to the catalogue (a curator's edit in the admin,
an import): every change bumps the catalogue version (partners/catalogue_version.py), a saved
site takes the regulator records of its FEI (partners/regulatory/linking.py), and a site whose
records change has its compliance score recomputed once the transaction commits.

A saved site (or a renamed provider) relinks the records of its FEI in bulk, and the sites
that gained or lost records are rescored after the commit, as for a saved record: the profile,
the directory, the admin and the API then agree. Other bulk writes (`bulk_create`, queryset
`update`) send no signals: their scores catch up with the nightly recompute, unless the writer
recomputes itself, as `seed_demo` and the importers do.
"""

from collections.abc import Iterable, Sequence
from functools import partial

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from partners.catalogue_version import bump_catalogue_version
from partners.models import (
    Certification,
    Citation,
    Inspection,
    Provider,
    Published483,
    Published483RecordId,
    RegulatoryAction,
    Site,
    SiteCapability,
    Term,
)
from partners.regulatory.linking import regulator_records_imported, relink_regulatory_records
from partners.tasks import link_regulatory_records, recompute_compliance

CATALOGUE_MODELS = [
    Provider,
    Site,
    SiteCapability,
    Certification,
    Inspection,
    RegulatoryAction,
    Published483,
    Published483RecordId,
    Citation,
    Term,
]

# The records the compliance score reads (partners/regulatory/stored_scores.py).
SCORED_RECORD_MODELS = [Inspection, RegulatoryAction]
# Where a database connection keeps the ids of the sites to recompute when it next commits.
PENDING = "_compliance_sites_to_recompute"


def _catalogue_changed(sender, **kwargs) -> None:
    if kwargs.get("raw"):  # loading fixtures
        return
    bump_catalogue_version()


def _note_site_fei_before_save(sender, instance, raw: bool = False, **kwargs) -> None:
    """Remember a site's FEI before this save: the other holders of its old FEI may take back
    records it shared with them."""
    if raw or instance.pk is None:
        return
    instance._fei_before_save = (
        Site.objects.filter(pk=instance.pk).values_list("fei_number", flat=True).first() or ""
    )


def _site_saved(sender, instance, created: bool = False, raw: bool = False, **kwargs) -> None:
    """A site that got, changed or lost its FEI (or its name, which decides between the holders
    of a shared FEI) takes the regulator records of its FEI, and gives back those of its old one;
    the sites that gained or lost records are rescored after the commit. A changed FEI is
    relinked again after the commit, for the records an import committed meanwhile."""
    if raw:  # loading fixtures
        return
    old_fei = instance.__dict__.pop("_fei_before_save", "")
    _relink_sites([instance.pk], [old_fei])
    if old_fei != instance.fei_number or (created and instance.fei_number):
        _relink_after_commit([instance.pk], [old_fei, instance.fei_number])


def _site_deleted(sender, instance, **kwargs) -> None:
    """The records of a deleted site are unlinked by the database; the other holders of its FEI
    may take them."""
    if instance.fei_number:
        _relink_sites([], [instance.fei_number])


def _note_provider_name_before_save(sender, instance, raw: bool = False, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    instance._name_before_save = (
        Provider.objects.filter(pk=instance.pk).values_list("name", flat=True).first()
    )


def _provider_saved(sender, instance, raw: bool = False, **kwargs) -> None:
    """A renamed provider's sites may now match, or no longer match, the firm named by records
    of an FEI they share with other sites."""
    before = instance.__dict__.pop("_name_before_save", None)
    if raw or before is None or before == instance.name:
        return
    _relink_sites(list(instance.sites.exclude(fei_number="").values_list("pk", flat=True)))


def _relink_sites(site_ids: list[int], feis: Sequence[str] = ()) -> None:
    """Relink these sites' records now; rescore, after the commit, the sites gaining or losing
    records (the relink writes in bulk, so no record's signal does)."""
    if site_ids or feis:
        _recompute_after_commit(relink_regulatory_records(site_ids, feis).site_ids)


def _site_sets_changed(sender, action: str, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        bump_catalogue_version()


def _note_site_before_save(sender, instance, raw: bool = False, **kwargs) -> None:
    """Remember which site a record belonged to before this save: a changed FEI moves it to
    another site (or to none), and the site it left needs its score recomputed too."""
    if raw or instance.pk is None:
        return
    instance._compliance_site_before_save = (
        sender.objects.filter(pk=instance.pk).values_list("site_id", flat=True).first()
    )


def _record_saved(sender, instance, raw: bool = False, **kwargs) -> None:
    if raw:  # loading fixtures
        return
    before = instance.__dict__.pop("_compliance_site_before_save", None)
    _recompute_after_commit({instance.site_id, before})


def _record_deleted(sender, instance, **kwargs) -> None:
    _recompute_after_commit({instance.site_id})


def _recompute_after_commit(site_ids: Iterable[int | None]) -> None:
    """Recompute these sites' scores once the transaction commits (so the task reads the saved
    records, and nothing runs if it rolls back): one task per transaction, however many records
    it saved, since a catalogue import saves hundreds in one."""
    pending = {site_id for site_id in site_ids if site_id is not None}
    if not pending:
        return
    connection = transaction.get_connection()
    connection.__dict__.setdefault(PENDING, set()).update(pending)
    # A flush per save rather than per transaction: a rolled-back savepoint discards the
    # callbacks registered in it, and a later save's flush must still run. The first flush
    # takes every pending site; ids left over from a rolled-back transaction are recomputed at
    # the next commit, which is harmless.
    transaction.on_commit(partial(_flush_pending_recomputes, connection))


def _flush_pending_recomputes(connection) -> None:
    site_ids = connection.__dict__.pop(PENDING, None)
    if site_ids:
        recompute_compliance.delay(sorted(site_ids))


# Where a database connection keeps what to relink once it next commits: site ids and FEIs, or
# EVERYTHING.
PENDING_RELINK = "_regulatory_records_to_relink"
EVERYTHING = "everything"


def _relink_after_commit(site_ids: Iterable[int] | None = None, feis: Iterable[str] = ()) -> None:
    """Relink these sites' records (all records when `site_ids` is None) again once the
    transaction commits, and rescore the sites that gain or lose records.

    The relink made inside a transaction sees only what was committed when it ran: an import
    committing records of an FEI after a curator's transaction gave a site that FEI (or the
    reverse) leaves them linked as the first to commit saw them. Of the two transactions, the
    one committing last sees both, so each queues this. One task per transaction, however many
    sites it saved.
    """
    connection = transaction.get_connection()
    pending = connection.__dict__.setdefault(PENDING_RELINK, {"site_ids": set(), "feis": set()})
    if site_ids is None:
        pending[EVERYTHING] = True
    else:
        pending["site_ids"].update(site_ids)
        pending["feis"].update(fei for fei in feis if fei)
    # A flush per call, as for the scores above: a rolled-back savepoint drops
    # the callbacks registered in it, and the first flush to run takes everything pending.
    transaction.on_commit(partial(_flush_pending_relink, connection))


def _flush_pending_relink(connection) -> None:
    pending = connection.__dict__.pop(PENDING_RELINK, None)
    if not pending:
        return
    if pending.get(EVERYTHING):
        link_regulatory_records.delay()
    elif pending["site_ids"] or pending["feis"]:
        link_regulatory_records.delay(sorted(pending["site_ids"]), sorted(pending["feis"]))


def _records_imported(sender, **kwargs) -> None:
    _relink_after_commit()


def connect() -> None:
    for model in CATALOGUE_MODELS:
        post_save.connect(_catalogue_changed, sender=model, dispatch_uid=f"catalogue-{model}")
        post_delete.connect(_catalogue_changed, sender=model, dispatch_uid=f"catalogue-d-{model}")
    pre_save.connect(_note_site_fei_before_save, sender=Site, dispatch_uid="site-relink-p")
    post_save.connect(_site_saved, sender=Site, dispatch_uid="site-relink")
    post_delete.connect(_site_deleted, sender=Site, dispatch_uid="site-relink-d")
    pre_save.connect(_note_provider_name_before_save, sender=Provider, dispatch_uid="prov-relink-p")
    post_save.connect(_provider_saved, sender=Provider, dispatch_uid="provider-relink")
    for through in (Site.phases.through, Site.dea_schedules.through):
        m2m_changed.connect(_site_sets_changed, sender=through, dispatch_uid=f"catalogue-{through}")
    for model in SCORED_RECORD_MODELS:
        pre_save.connect(_note_site_before_save, sender=model, dispatch_uid=f"compliance-p-{model}")
        post_save.connect(_record_saved, sender=model, dispatch_uid=f"compliance-{model}")
        post_delete.connect(_record_deleted, sender=model, dispatch_uid=f"compliance-d-{model}")
    regulator_records_imported.connect(_records_imported, dispatch_uid="records-imported-relink")
