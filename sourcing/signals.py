"""What sourcing does when something happens elsewhere:

- an attachment's file leaves the storage once the deletion of its row is committed, whichever
  way the row goes (detached, or deleted with its candidate, its shortlist or its organisation);
  a rolled-back deletion keeps it;
- a done match run scores the candidates its brief's shortlists hold "not scored"
  (matching.signals.run_done; pipeline.score_from_run)."""

import logging
from typing import Any

from django.core.files.storage import Storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from matching.signals import run_done
from sourcing import pipeline
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
