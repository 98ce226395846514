"""What sourcing does when something happens elsewhere:

- an attachment's file leaves the storage once the deletion of its row is committed, whichever
  way the row goes (detached, or deleted with its candidate, its shortlist or its organisation);
  a rolled-back deletion keeps it;
- a done match run scores the candidates its brief's shortlists hold "not scored"
  (matching.signals.run_done; pipeline.score_from_run);
- a change to the regulator record or the certificates of any site (an FDA import, a curator's
  edit, a site given an FEI) sends the watch sweep once its transaction commits, one per
  transaction (sourcing/watching/detection.py);
- a site shortlisted one by one, or watched, is watched from then on with what its record holds
  then (sourcing/watching/watchers.py; the shortlist's bulk add does this itself);
- a done re-run of a kept brief tells its owners what changed since the run before
  (kept_briefs.report_rerun)."""

import logging
from functools import partial
from typing import Any

from django.core.files.storage import Storage
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from matching.signals import run_done
from partners.models import Certification, Inspection, Published483, RegulatoryAction, Site
from partners.regulatory.linking import regulator_records_imported
from sourcing import kept_briefs, pipeline, tasks
from sourcing.models import Attachment, Candidate, Watch
from sourcing.watching.watchers import start_watching

logger = logging.getLogger(__name__)


def _delete_file(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:
        # The row is gone either way; a file the storage would not delete is only logged.
        logger.exception("Could not delete the attachment file %s from the storage", name)


@receiver(post_delete, sender=Attachment, dispatch_uid="sourcing.attachment_file_deleted")
def delete_attachment_file(
    sender: type[Attachment], instance: Attachment, using: str, **kwargs: Any
) -> None:
    """Delete the attachment's file once the transaction that deleted its row commits."""
    name = instance.file.name
    if not name:
        return
    storage = instance.file.storage
    transaction.on_commit(lambda: _delete_file(storage, name), using=using)


@receiver(run_done, dispatch_uid="sourcing.score_from_run")
def score_candidates_from_run(sender: Any, run_id: int, **kwargs: Any) -> None:
    pipeline.score_from_run(run_id)


# Where a database connection notes that its transaction owes a watch sweep.
SWEEP_OWED = "_sourcing_watch_sweep_owed"
WATCHED_RECORD_MODELS = (Inspection, RegulatoryAction, Published483, Certification, Site)


def _sweep_after_commit(**kwargs: Any) -> None:
    """Owe a sweep when the transaction commits: the first flush sends it, the others find it
    sent (a rolled-back transaction's debt is paid at the next commit, harmlessly)."""
    if kwargs.get("raw"):  # loading fixtures
        return
    connection = transaction.get_connection()
    connection.__dict__[SWEEP_OWED] = True
    transaction.on_commit(partial(_flush_sweep, connection))


def _flush_sweep(connection: Any) -> None:
    if connection.__dict__.pop(SWEEP_OWED, False):
        tasks.send_sweep()


for _model in WATCHED_RECORD_MODELS:
    post_save.connect(_sweep_after_commit, sender=_model, dispatch_uid=f"watch-sweep-{_model}")
    post_delete.connect(_sweep_after_commit, sender=_model, dispatch_uid=f"watch-sweep-d-{_model}")
regulator_records_imported.connect(_sweep_after_commit, dispatch_uid="watch-sweep-imported")


@receiver(post_save, sender=Candidate, dispatch_uid="sourcing.candidate_watched")
def watch_shortlisted_site(
    sender: type[Candidate], instance: Candidate, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if created and not raw and instance.site_id:
        start_watching([instance.site_id])


@receiver(post_save, sender=Watch, dispatch_uid="sourcing.watch_started")
def watch_started(
    sender: type[Watch], instance: Watch, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if not created or raw:
        return
    if instance.site_id:
        start_watching([instance.site_id])
    elif instance.provider_id is not None:
        start_watching(
            Site.objects.filter(provider_id=instance.provider_id).values_list("pk", flat=True)
        )


@receiver(run_done, dispatch_uid="sourcing.report_kept_brief_rerun")
def report_kept_brief_rerun(sender: Any, run_id: int, **kwargs: Any) -> None:
    """A kept brief's re-run is done: its owners are told what changed (sourcing/kept_briefs.py)."""
    kept_briefs.report_rerun(run_id)
