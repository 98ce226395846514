"""Choices shared by both apps."""

from django.db import models


class JobStatus(models.TextChoices):
    """Where a background job is: a match run (matching.Run) or an uploaded regulator file's
    import (partners.RegulatorImport)."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"

    @classmethod
    def finished(cls) -> tuple["JobStatus", "JobStatus"]:
        """The statuses a job ends in."""
        return (cls.DONE, cls.FAILED)
