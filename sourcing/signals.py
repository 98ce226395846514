"""Keeping the storage in step with the database: an attachment's file leaves the storage
once the deletion of its row is committed, whichever way the row goes (detached, or deleted
with its candidate, its shortlist or its organisation). A rolled-back deletion keeps it."""

import logging
from typing import Any

from django.core.files.storage import Storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

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
