"""What sourcing does when something happens elsewhere:

- an attachment's file leaves the storage once the deletion of its row is committed, whichever
  way the row goes (detached, or deleted with its candidate, its shortlist or its organisation);
  a rolled-back deletion keeps it;
- a done match run scores the candidates its brief's shortlists hold "not scored"
  (matching.signals.run_done; pipeline.score_from_run);
- a done re-run of a kept brief tells its owners what changed since the run before
  (kept_briefs.report_rerun)."""

import logging
from typing import Any

from django.core.files.storage import Storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from matching.signals import run_done
from sourcing import kept_briefs, pipeline
from sourcing.models import Attachment

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


@receiver(run_done, dispatch_uid="sourcing.report_kept_brief_rerun")
def report_kept_brief_rerun(sender: Any, run_id: int, **kwargs: Any) -> None:
    """A kept brief's re-run is done: its owners are told what changed (sourcing/kept_briefs.py)."""
    kept_briefs.report_rerun(run_id)
