"""Regulator files uploaded in the admin: store them, decide where they run, run them.

A curator's upload becomes a RegulatorImport row holding the file's bytes (workers may run on
other machines; PostgreSQL is the one source of truth). A small file is imported at once, in the
request; a big one (over BIG_FILE_BYTES, or more than BIG_FILE_ROWS rows) is queued as a Celery
task, so that no upload holds a web worker for minutes:

    upload = RegulatorImport.objects.create(**stored_upload(file), created_by=user)
    if runs_in_worker(upload):
        tasks.send_regulator_import(upload.pk)   # after commit; partners/admin.py does this
    else:
        tasks.run_regulator_import(upload.pk)    # here and now

`run_regulator_import(import_id)` is the one function that imports: it claims the row with a
conditional update (so a task delivered twice imports once), runs the FDA importer
(partners/importers/fda/importer.py) with a progress callback, and ends the row `done` with the
report or `failed` with the reason, never left `running`. The report lists the sites whose
compliance scores the import changed (`sites_to_rescore`); the task queues their recomputation.

Recovering from failures, as match runs do (matching/runs.py), by a beat job every minute
(partners.tasks.sweep_regulator_imports):

- Broker down when the file is uploaded: the row stays `queued` with BROKER_DOWN in `error`,
  which its admin page shows; `requeue_stale_imports` sends it again at the next sweep, so it
  starts within a minute of the broker coming back. An import whose task did reach the broker
  is sent again only once `requeue_after()` has passed (core/jobs.py says why).
- Worker killed mid-import: the import is one transaction, so the dead worker wrote nothing.
  `recover_stuck_imports` puts a row `running` for longer than `stale_after()` back in the queue,
  or, after MAX_ATTEMPTS, fails it with the reason.
"""

import dataclasses
import datetime
import io
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, connection
from django.db.models import F, Q
from django.utils import timezone

from core import jobs
from core.choices import JobStatus
from partners.importers.fda.importer import FdaImportReport, import_fda_file
from partners.importers.fda.registrations import RegistrationReport
from partners.models import RegulatorImport

logger = logging.getLogger(__name__)

# A file bigger than this, or with more rows, is imported by a worker, not in the request.
BIG_FILE_BYTES = 5 * 1024 * 1024
BIG_FILE_ROWS = 20_000
# The largest file the admin accepts.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# FDA ships its drug establishment registrations as tab-separated text (drls_reg.txt).
UPLOAD_EXTENSIONS = ("csv", "txt", "xlsx")
# Progress is written at most this often (in rows): one cheap UPDATE each time.
PROGRESS_EVERY_ROWS = 1000
# The task's time limits (partners.tasks.run_regulator_import). The importer reads 100,000 rows
# in well under a minute; the largest upload accepted has a few hundred thousand.
SOFT_TIME_LIMIT = 20 * 60
TIME_LIMIT = 25 * 60
# A worker that died leaves its import running; it is started this many times in all.
MAX_ATTEMPTS = 3

BROKER_DOWN = (
    "The task queue is unavailable just now: the file is saved and its import will start by "
    "itself once the queue is back (within a minute or two)."
)


def stale_after() -> datetime.timedelta:
    """A row still `running` this long after it started belongs to a worker that died (past the
    task's hard time limit, by default): it may be claimed again. The import is one
    transaction, so the dead worker wrote nothing."""
    return datetime.timedelta(seconds=settings.REGULATOR_IMPORT_STALE_SECONDS)


def requeue_after() -> datetime.timedelta:
    """A queued import whose task reached the broker this long ago, and which no worker has
    taken, is sent to the broker again."""
    return jobs.resend_after()


def stored_upload(file: UploadedFile) -> dict[str, Any]:
    """The fields of a RegulatorImport for an uploaded file: its name, bytes, size and an
    estimate of its rows (None when unknown)."""
    content = file.read()
    return {
        "file_name": file.name,
        "content": content,
        "size": len(content),
        "rows_total": estimate_rows(content),
    }


def estimate_rows(content: bytes) -> int | None:
    """How many rows the file holds, counted cheaply, header and title lines included.

    A CSV's lines are counted (a quoted value spanning lines counts each: an upper bound); a
    workbook's rows are as its sheet states them. None when a workbook cannot say.
    """
    if content.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _workbook_rows(content)
    if not content:
        return 0
    return content.count(b"\n") + (not content.endswith(b"\n"))


def _workbook_rows(content: bytes) -> int | None:
    from openpyxl import load_workbook

    try:
        # Read-only mode reads the sheet's stated dimensions, not its rows.
        workbook = load_workbook(io.BytesIO(content), read_only=True)
    except Exception:  # openpyxl raises many kinds on a bad archive; the importer reports them
        return None
    try:
        sheet = workbook.active or workbook.worksheets[0]
        return sheet.max_row
    except (IndexError, KeyError, ValueError):
        return None
    finally:
        workbook.close()


def runs_in_worker(upload: RegulatorImport) -> bool:
    """Whether the file is too big to import in the request. A workbook whose size in rows is
    unknown goes to a worker too: it could hold any number."""
    return (
        upload.size > BIG_FILE_BYTES
        or upload.rows_total is None
        or upload.rows_total > BIG_FILE_ROWS
    )


def note_broker_down(import_id: int) -> None:
    """The import's task could not be sent: it stays queued with BROKER_DOWN in `error`, for the
    curator to read, until `requeue_stale_imports` sends it again."""
    RegulatorImport.objects.filter(pk=import_id, status=JobStatus.QUEUED).update(error=BROKER_DOWN)


def requeue_stale_imports(now: datetime.datetime | None = None) -> list[int]:
    """The queued imports to send again (core/jobs.py says which: their last send failed, or
    reached the broker over `requeue_after()` ago and may have been lost), each marked as sent
    now: the ids to send. An import delivered twice runs once (the claim)."""
    now = now or timezone.now()
    # An import queued before imports recorded when they were sent: from its upload time.
    never_sent = Q(queued_at__isnull=True, created_at__lt=now - requeue_after())
    return jobs.claim_resends(RegulatorImport, BROKER_DOWN, now, also_due=never_sent)


def recover_stuck_imports(now: datetime.datetime | None = None) -> tuple[list[int], int]:
    """Deal with imports running for longer than `stale_after()` (their worker died): queue each
    again while it has attempts left, else fail it with the reason. Returns the ids queued
    again, to send, and how many failed."""
    now = now or timezone.now()
    cutoff = now - stale_after()
    requeued: list[int] = []
    failed = 0
    stuck = RegulatorImport.objects.filter(status=JobStatus.RUNNING, started_at__lt=cutoff)
    for import_id, attempts in stuck.values_list("pk", "attempts"):
        same = RegulatorImport.objects.filter(
            pk=import_id, status=JobStatus.RUNNING, attempts=attempts, started_at__lt=cutoff
        )
        if attempts < MAX_ATTEMPTS:
            if same.update(status=JobStatus.QUEUED, queued_at=now, rows_done=0):
                requeued.append(import_id)
        elif same.update(
            status=JobStatus.FAILED,
            finished_at=now,
            error=f"the workers importing it stopped {attempts} times; nothing was imported. "
            "Upload the file again, or split it and upload the parts.",
        ):
            failed += 1
    return requeued, failed


def run_regulator_import(import_id: int) -> bool:
    """Import the stored file of this RegulatorImport, unless another run has claimed it (or it
    is gone). Returns whether this call ran it. Never raises for a bad file or a failed import:
    the row ends `failed` with the reason."""
    started = timezone.now()
    claimed = (
        RegulatorImport.objects.filter(pk=import_id)
        .filter(
            Q(status=JobStatus.QUEUED)
            | Q(status=JobStatus.RUNNING, started_at__lt=started - stale_after())
        )
        .update(
            status=JobStatus.RUNNING,
            started_at=started,
            rows_done=0,
            error="",
            attempts=F("attempts") + 1,
        )
    )
    if not claimed:
        return False
    attempt = (
        RegulatorImport.objects.filter(pk=import_id).values_list("attempts", flat=True).first()
    )
    if attempt is not None and attempt > MAX_ATTEMPTS:
        _finish(
            import_id,
            JobStatus.FAILED,
            error=f"the workers importing it stopped {MAX_ATTEMPTS} times; nothing was imported. "
            "Upload the file again, or split it and upload the parts.",
        )
        return True
    try:
        upload = RegulatorImport.objects.select_related("created_by").get(pk=import_id)
        with ProgressWriter(import_id, upload.rows_total) as progress:
            report = import_fda_file(
                io.BytesIO(bytes(upload.content)),
                upload.file_name,
                progress=progress,
                user=upload.created_by,
            )
    except SoftTimeLimitExceeded:
        _finish(
            import_id,
            JobStatus.FAILED,
            error=f"the import took longer than {SOFT_TIME_LIMIT // 60} minutes and was stopped. "
            "Split the file and upload the parts.",
        )
        return True
    except Exception as error:  # anything unexpected must still end the row, not leave it running
        logger.exception("Regulator import %s failed", import_id)
        _finish(
            import_id,
            JobStatus.FAILED,
            error=f"the import stopped on an unexpected error ({type(error).__name__}: {error}).",
        )
        return True
    if report.error:
        _finish(import_id, JobStatus.FAILED, error=report.error, report=report_as_data(report))
    else:
        _finish(
            import_id,
            JobStatus.DONE,
            report=report_as_data(report),
            rows_done=report.rows_read,
            rows_total=report.rows_read,
        )
    return True


def _finish(import_id: int, status: JobStatus, **fields: Any) -> None:
    # An update, not save(): a row deleted meanwhile stays deleted.
    RegulatorImport.objects.filter(pk=import_id).update(
        status=status, finished_at=timezone.now(), **fields
    )


def sites_to_rescore(import_id: int) -> list[int]:
    """The sites whose compliance scores the import changed, as its stored report lists them."""
    report = RegulatorImport.objects.filter(pk=import_id).values_list("report", flat=True).first()
    return list((report or {}).get("rescore_site_ids", []))


def report_as_data(report: FdaImportReport | RegistrationReport) -> dict[str, Any]:
    """The importer's report as JSON-serialisable data (what RegulatorImport.report holds)."""
    return {**dataclasses.asdict(report), "ok": report.ok}


class ProgressWriter:
    """The importer's progress callback: writes rows done (and the total, when the importer
    knows it) to the RegulatorImport row, at most every PROGRESS_EVERY_ROWS rows.

    The importer writes the whole file in one transaction, and a row written inside it is
    invisible to the web requests polling the progress until it commits. So, when the import
    starts outside any transaction (in a worker) on a database that lets two connections write
    at once, progress goes through a connection of its own, in a thread that holds it. SQLite
    allows one writer: there progress is written in the import's transaction and shows when it
    commits (as it does when a small file is imported inside the request's transaction).
    """

    def __init__(self, import_id: int, rows_total: int | None) -> None:
        self.import_id = import_id
        self.rows_total = rows_total
        self.written = 0
        self.executor: ThreadPoolExecutor | None = None

    def __enter__(self) -> "ProgressWriter":
        if connection.vendor != "sqlite" and not connection.in_atomic_block:
            self.executor = ThreadPoolExecutor(1, thread_name_prefix="import-progress")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.executor is not None:
            self.executor.submit(_close_thread_connection).result()
            self.executor.shutdown()

    def __call__(self, rows_done: int, rows_total: int | None) -> None:
        total = rows_total if rows_total is not None else self.rows_total
        if total is not None and rows_done > total:
            total = None  # the estimate was short: unknown until the end
        if rows_done - self.written < PROGRESS_EVERY_ROWS and rows_done != total:
            return
        self.written = rows_done
        if self.executor is None:
            self._write(rows_done, total)
        else:
            self.executor.submit(self._write_aside, rows_done, total).result()

    def _write(self, rows_done: int, rows_total: int | None) -> None:
        RegulatorImport.objects.filter(pk=self.import_id, status=JobStatus.RUNNING).update(
            rows_done=rows_done, rows_total=rows_total
        )

    def _write_aside(self, rows_done: int, rows_total: int | None) -> None:
        try:
            self._write(rows_done, rows_total)
        except DatabaseError:
            # A progress bar that lags is no reason to stop the import.
            logger.warning("Could not write the progress of import %s", self.import_id)


def _close_thread_connection() -> None:
    connection.close()
