"""Bookkeeping rows of the catalogue: the version token that caches compare, and the regulator
files curators upload with their imports' progress."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.choices import JobStatus


class CatalogueVersion(models.Model):
    """A token that changes whenever the catalogue does: in-process indexes built from the
    catalogue (directory facets, the matching index) compare it to know when to rebuild.

    One row. The token is random rather than a counter, so a rolled-back change can never
    make an old token current again.
    """

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"catalogue {self.token} ({self.changed_at:%Y-%m-%d %H:%M:%S})"


class RegulatorImport(models.Model):
    """A regulator export a curator uploaded (an FDA Data Dashboard file), its import's progress
    and the importer's report.

    The file's bytes are kept in the database, not on a disk: the worker that imports it may run
    on another machine, and PostgreSQL is the one source of truth. partners/importers/fda/uploads.py
    runs it.
    """

    file_name = models.CharField(max_length=255)
    content = models.BinaryField(help_text="The uploaded file, byte for byte.")
    size = models.PositiveBigIntegerField("size (bytes)")
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    rows_done = models.IntegerField(default=0)
    rows_total = models.IntegerField(
        null=True, blank=True, help_text="Rows the file holds; an estimate until the import ends."
    )
    report = models.JSONField(
        default=dict, blank=True, help_text="The importer's report, as plain data."
    )
    error = models.TextField(blank=True, help_text="Why the import failed.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="uploaded by",
    )
    created_at = models.DateTimeField("uploaded at", auto_now_add=True)
    # When the import was last sent to the task queue: the sweep sends again one left queued
    # (the broker was down), as it does match runs (partners/importers/fda/uploads.py).
    queued_at = models.DateTimeField(null=True, blank=True)
    # How many workers started it: one that died is replaced, up to MAX_ATTEMPTS in all.
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # Not stored: set by the admin on upload, whether a worker (not the request) imports it.
    queued: bool

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done__gte=0),
                name="%(app_label)s_%(class)s_rows_done_not_negative",
                violation_error_message="The number of rows done cannot be negative.",
            ),
        ]
        indexes = [
            # The admin's list of imports, newest first (the default ordering).
            models.Index(fields=["-created_at"], name="partners_regimport_created_idx"),
            # The sweep (every minute): imports queued, or running, for too long.
            models.Index(fields=["status", "queued_at"], name="partners_regimport_sweep_idx"),
        ]

    def __str__(self) -> str:
        return self.file_name

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def percent_done(self) -> int | None:
        """How far the import is, 0 to 100, or None while the number of rows is unknown."""
        if self.status == JobStatus.DONE:
            return 100
        if not self.rows_total:
            return None
        return min(100, self.rows_done * 100 // self.rows_total)
