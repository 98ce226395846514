"""Match runs: one brief scored against the whole catalogue by a worker, its results stored.

    run = start_run(brief, user, method="weighted")   # QUEUED
    tasks.send_run(run.pk)                            # the task, sent after commit

`execute_run(run_id)` is the one function that runs a run (the Celery task
matching.tasks.execute_run calls it). It is safe to deliver twice and to kill at any point:

- It *claims* the run with a conditional update: QUEUED -> RUNNING, or RUNNING whose heartbeat
  is older than `stale_after()` (its worker died) -> RUNNING again, one more attempt. A second
  delivery of the task finds the run claimed, running with a fresh heartbeat, or done, and
  returns without doing anything.
- Every progress step writes `progress` and `heartbeat_at`, guarded by the claim number (one
  more with each worker that takes the run, never reset, unlike `attempts`, which a retry
  resets): a worker whose run was taken over stops at its next step.
- The results are written in one transaction, under a lock on the run row, that deletes the
  run's rows, inserts the new ones (`write_results`: one COPY on PostgreSQL, bulk_create
  elsewhere) and sets the run DONE. So a run has either no results or all of them, and running
  it again gives the same rows.
- It never raises: an error, or the soft time limit, ends the run FAILED with the reason. A
  failed run can be retried (`retry_run`).

What a result stores (Result in matching/models.py): every site the run scored, once (unique per
run and site). An eligible site has its rank, score and a breakdown with each criterion's
sub-score, weight, must-have flag, sentence and verdict, so that a run reads the same however
the brief and the catalogue change afterwards. An excluded site has the reason (its first failed
constraint, in a sentence) and that constraint. Both are stored compactly
(matching/stored_results.py): the run's distinct parts and reasons once, in its ResultKey, and
per row their indexes and the verdicts as letters; about 207 bytes a site at 20,549 sites, 591
in JSON per row before (bench/storage.py).

What a run costs (bench/run.py, PostgreSQL, about 20,000 sites; about 0.4 s with the worker's
index warm, 0.75 s cold, some 3 times the bare SQL that reads the catalogue): scoring takes
milliseconds; the time goes to reading the catalogue into the index when the worker's copy is
stale, and to the database storing a row per site. So the rows are built as plain tuples, made
as one COPY sends them (the sentences of the first rows are written first, the database storing
each batch while the next is made) rather than as model instances. Most of the writing is the
database's own: the table's indexes and, at commit, checking each row's run (its foreign key;
the site link has no constraint).

Recovering from failures (beat jobs, config/settings.py CELERY_BEAT_SCHEDULE, every minute):

- Broker down when a run is started: the run stays QUEUED with a note in `error`, and the API
  says so (matching/api/views.py). `requeue_stale_runs` sends it again at the next sweep, so it
  starts within a minute of the broker coming back; `retry_run` sends it at once. A run whose
  task did reach the broker is sent again only once `requeue_after()` has passed (the broker
  lost the message), not at every sweep: its message is most likely still waiting in the queue.
- Worker killed mid-run: the task is acknowledged late with reject_on_worker_lost, so the broker
  redelivers it (Redis: after its visibility timeout) and the new worker takes the run over once
  its heartbeat is stale. `recover_stuck_runs` does not wait for the broker: it puts a RUNNING
  run with a stale heartbeat back in the queue, or, after MAX_ATTEMPTS, fails it with the
  reason ("stopped: no progress for N minutes ...; retry it").
- A run stuck RUNNING (`is_stalled`) is one its owner may retry at once (`retry_run`), and
  starting the brief again restarts it rather than following it.

So a run whose worker died finishes within MATCHING_RUN_STALE_SECONDS plus one sweep interval
(JOB_SWEEP_SECONDS): 4 + 1 = 5 minutes in production (config/settings.py).
"""

import datetime
import json
import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any, cast

import numpy as np
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Field, Q
from django.utils import timezone

from core import jobs
from core.choices import JobStatus
from matching import quotas
from matching.engine.scoring import (
    MatchOutcome,
    Method,
    explanation_columns,
    score_catalogue,
)
from matching.engine.stability import outcome_stability
from matching.engine.verdicts import verdict_rows
from matching.index import get_catalogue_index
from matching.models import Brief, Result, ResultKey, Run, RunMethod
from matching.signals import run_done
from matching.stored_results import VERDICT_LETTERS, Key, KeyWriter
from partners.catalogue_version import current_catalogue_version
from partners.models import Site

logger = logging.getLogger(__name__)

# The task's time limits (matching.tasks.execute_run). A full run of 20,000 sites takes well
# under two seconds (bench/run.py); these only stop a run that hangs.
SOFT_TIME_LIMIT = 2 * 60
TIME_LIMIT = 3 * 60
# A worker that died leaves its run RUNNING; it is restarted this many times in all.
MAX_ATTEMPTS = 3
# Rows per INSERT when the results are written without COPY (SQLite).
BATCH_SIZE = 2000
# The Result fields `result_rows` gives, in order (`breakdown` null: the rows are compact).
RESULT_FIELDS = (
    "run",
    "site",
    "site_name",
    "provider_name",
    "eligible",
    "rank",
    "score",
    "breakdown",
    "reason",
    "excluded_by",
    "parts",
    "verdicts",
)


# The score histogram's buckets over 0-100 (Run.distribution).
DISTRIBUTION_BUCKETS = 20

BROKER_DOWN = (
    "The task queue is unavailable just now: the run is saved and will start by itself once the "
    "queue is back (within a minute or two), or when you retry it."
)


def stale_after() -> datetime.timedelta:
    """A RUNNING run whose heartbeat is older than this belongs to a dead worker. Longer than
    the task's hard time limit, so a live worker is never taken for a dead one."""
    return datetime.timedelta(seconds=settings.MATCHING_RUN_STALE_SECONDS)


def requeue_after() -> datetime.timedelta:
    """A QUEUED run whose task reached the broker this long ago, and which no worker has taken,
    is sent to the broker again."""
    return jobs.resend_after()


def is_stalled(run: Run, now: datetime.datetime | None = None) -> bool:
    """Whether the run is RUNNING on a worker that went quiet (died): no heartbeat for longer
    than `stale_after()`. The sweep restarts it; its owner may retry it at once."""
    if run.status != JobStatus.RUNNING:
        return False
    now = now or timezone.now()
    beat = run.heartbeat_at or run.started_at or run.created_at
    return beat is not None and beat < now - stale_after()


# --- Starting, retrying and sweeping -------------------------------------------------------------


def start_run(
    brief: Brief,
    user: Any,
    method: str = RunMethod.WEIGHTED,
    *,
    exempt_from_quota: bool = False,
) -> Run:
    """Create a QUEUED run of the brief. The caller sends it (matching.tasks.send_run).

    Raises quotas.QuotaExceeded when the organisation is at its limit of runs in progress or
    started today (matching/quotas.py), unless `exempt_from_quota` (a re-run the product starts
    by itself, not a person): such a run is marked `automatic` and counts against no limit."""
    if method not in RunMethod.values:
        raise ValueError(f"Unknown method {method!r}: {' or '.join(RunMethod.values)}.")
    with transaction.atomic():
        if not exempt_from_quota:
            quotas.reserve(brief.organisation_id)
        return Run.objects.create(
            brief=brief,
            organisation_id=brief.organisation_id,
            created_by=user if getattr(user, "is_authenticated", False) else None,
            method=method,
            automatic=exempt_from_quota,
            queued_at=timezone.now(),
        )


def note_broker_down(run_id: int) -> None:
    """The run's task could not be sent: it stays QUEUED with BROKER_DOWN in `error`, for the
    user to read, until `requeue_stale_runs` sends it again."""
    Run.objects.filter(pk=run_id, status=JobStatus.QUEUED).update(error=BROKER_DOWN)


def retry_run(run: Run) -> bool:
    """Queue a failed run again, with a fresh count of attempts, as a run stuck RUNNING on a
    worker that died (`is_stalled`); or a queued one once more (its task was lost, or the broker
    was down). Returns whether the run is to be sent: False when it is running on a live worker,
    or done. Raises quotas.QuotaExceeded when a failed run would pass the organisation's limit
    of runs in progress. A run sent twice runs once (the claim in `execute_run`). A run counts as
    stalled only past MATCHING_RUN_STALE_SECONDS, above its task's hard time limit, so its old
    worker has been stopped by then (matching/checks.py refuses a shorter threshold)."""
    now = timezone.now()
    stalled = Q(status=JobStatus.RUNNING) & (
        Q(heartbeat_at__lt=now - stale_after())
        | Q(heartbeat_at__isnull=True, started_at__lt=now - stale_after())
    )
    with transaction.atomic():
        if Run.objects.filter(pk=run.pk, status=JobStatus.FAILED).exists():
            # A stalled run is in progress already; a failed one takes a place anew.
            quotas.reserve_for_retry(run.organisation_id)
        failed = Run.objects.filter(Q(status=JobStatus.FAILED) | stalled, pk=run.pk).update(
            status=JobStatus.QUEUED,
            attempts=0,
            progress=0,
            error="",
            queued_at=now,
            finished_at=None,
        )
    # A queued run keeps its attempts: they count the workers that died running it.
    queued = failed or Run.objects.filter(pk=run.pk, status=JobStatus.QUEUED).update(
        error="", queued_at=now
    )
    return bool(queued)


def not_retried(run: Run) -> str:
    """Why `retry_run` left the run as it is, in a sentence."""
    if run.status == JobStatus.RUNNING:
        minutes = max(1, round(stale_after().total_seconds() / 60))
        return (
            "The run is running and its worker is alive: it can be retried once it fails, or "
            f"if its worker stops responding for {minutes} minutes."
        )
    return f"The run is {run.get_status_display().lower()}: only a failed or queued run is retried."


def requeue_stale_runs(now: datetime.datetime | None = None) -> list[int]:
    """The queued runs to send again (core/jobs.py says which: their last send failed, or
    reached the broker over `requeue_after()` ago and may have been lost), each marked as sent
    now: the ids to send. A run delivered twice runs once (the claim)."""
    return jobs.claim_resends(Run, BROKER_DOWN, now or timezone.now())


def recover_stuck_runs(now: datetime.datetime | None = None) -> tuple[list[int], int]:
    """Deal with RUNNING runs whose heartbeat is stale (their worker died): queue each again
    while it has attempts left, else fail it with the reason. Returns the ids of the runs queued
    again, to send, and how many failed."""
    now = now or timezone.now()
    limit = stale_after()
    minutes = max(1, round(limit.total_seconds() / 60))
    requeued: list[int] = []
    failed = 0
    stuck = Run.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=now - limit)
    for run_id, attempts, claim in stuck.values_list("pk", "attempts", "claim"):
        same = Run.objects.filter(
            pk=run_id,
            status=JobStatus.RUNNING,
            claim=claim,
            heartbeat_at__lt=now - limit,
        )
        if attempts < MAX_ATTEMPTS:
            if same.update(status=JobStatus.QUEUED, queued_at=now):
                requeued.append(run_id)
        elif same.update(
            status=JobStatus.FAILED,
            finished_at=now,
            error=f"stopped: no progress for {minutes} minutes, {attempts} times; retry it.",
        ):
            failed += 1
    return requeued, failed


# --- Deleting ------------------------------------------------------------------------------------


def delete_brief(brief: Brief) -> None:
    """Delete the brief, its runs and their results, even while one of its runs is writing its
    results.

    The brief's runs are locked first, as a run's writer locks its run before writing
    (`_run`). A writer that got there first finishes, and the results it wrote are deleted with
    its run; one that comes after finds its run gone and stops quietly. Without the lock, a
    writer could insert results between Django deleting a run's results and deleting the run,
    and the delete would fail on the results' foreign key."""
    with transaction.atomic():
        list(Run.objects.select_for_update().filter(brief=brief).values_list("pk", flat=True))
        brief.delete()


# --- Running -------------------------------------------------------------------------------------


class _TakenOver(Exception):
    """The run is no longer this attempt's: another worker took it over, or it was deleted."""


def execute_run(run_id: int) -> bool:
    """Run the run, unless it is gone, done, or running elsewhere. Returns whether this call
    ran it (to the end, or to a failure it recorded). Never raises for a failed run."""
    now = timezone.now()
    claimed = (
        Run.objects.filter(pk=run_id)
        .filter(
            Q(status=JobStatus.QUEUED)
            | Q(status=JobStatus.RUNNING, heartbeat_at__lt=now - stale_after())
        )
        .update(
            status=JobStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
            progress=0,
            error="",
            attempts=F("attempts") + 1,
            claim=F("claim") + 1,
        )
    )
    if not claimed:
        return False
    taken = Run.objects.filter(pk=run_id).values_list("attempts", "claim").first()
    if taken is None:
        return False
    attempts, claim = taken
    if attempts > MAX_ATTEMPTS:
        _fail(
            run_id,
            claim,
            f"stopped: the workers running it stopped {MAX_ATTEMPTS} times; retry it.",
        )
        return True
    try:
        _run(run_id, claim)
    except _TakenOver:
        return False
    except SoftTimeLimitExceeded:
        _fail(
            run_id,
            claim,
            f"stopped: the run took longer than {SOFT_TIME_LIMIT // 60} minutes; retry it.",
        )
    except Exception as error:  # anything unexpected must still end the run, not leave it running
        logger.exception("Match run %s failed", run_id)
        _fail(
            run_id,
            claim,
            f"the run stopped on an unexpected error ({type(error).__name__}: {error}); retry it.",
        )
    else:
        # Told once the run is stored as done; a receiver's failure is logged, never the run's.
        for receiver, outcome in run_done.send_robust(sender=Run, run_id=run_id):
            if isinstance(outcome, Exception):
                logger.error("After match run %s, %r failed: %r", run_id, receiver, outcome)
    return True


def _run(run_id: int, claim: int) -> None:
    try:
        run = Run.objects.get(pk=run_id)
        brief = (
            Brief.objects.select_related("modality")
            .prefetch_related("dosage_forms", "services", "technologies")
            .get(pk=run.brief_id)
        )
    except (Run.DoesNotExist, Brief.DoesNotExist):
        # Deleted with its brief since it was claimed: nothing to run, nothing to report.
        raise _TakenOver from None
    criteria = brief.to_criteria()
    _step(run_id, claim, 10)

    index = get_catalogue_index()
    _step(run_id, claim, 30, catalogue_version=index.version)

    # RunMethod's values are the engine's method names.
    outcome = score_catalogue(criteria, index, method=cast(Method, run.method))
    # How much the top of the ranking hangs on the weights: a few milliseconds.
    stability = outcome_stability(outcome).as_data()
    # Scored: what is left is writing the rows, made as they are written.
    _step(run_id, claim, 80)

    with transaction.atomic():
        # The lock orders this write after any other attempt's, and the check drops it if
        # another worker took the run over meanwhile.
        mine = (
            Run.objects.select_for_update()
            .filter(pk=run_id, status=JobStatus.RUNNING, claim=claim)
            .exists()
        )
        if not mine:
            raise _TakenOver
        Result.objects.filter(run_id=run_id).delete()
        ResultKey.objects.filter(run_id=run_id).delete()
        key = KeyWriter()
        write_results(result_rows(run_id, outcome, key))
        write_key(run_id, key)
        # A site deleted while the run scored it keeps its row, names and all, unlinked (the
        # link has no database constraint to refuse it). Deleting a site changes the catalogue
        # version, as the index relies on: while it is still the index's, none was deleted
        # since the index read the sites, and the run's rows need no look.
        if current_catalogue_version() != index.version:
            Result.objects.filter(run_id=run_id, site__isnull=False).exclude(
                site_id__in=Site.objects.values("pk")
            ).update(site=None)
        eligible = int(outcome.eligible.sum())
        finished = timezone.now()
        Run.objects.filter(pk=run_id).update(
            status=JobStatus.DONE,
            progress=100,
            catalogue_version=index.version,
            sites_scored=index.site_count,
            eligible=eligible,
            excluded=index.site_count - eligible,
            funnel=funnel_as_data(outcome),
            relaxation=relaxation_as_data(outcome),
            stability=stability,
            distribution=distribution_as_data(outcome),
            error="",
            heartbeat_at=finished,
            finished_at=finished,
        )


def _step(run_id: int, claim: int, progress: int, **fields: Any) -> None:
    """Report progress and that this worker is alive; stop if the run is no longer ours."""
    written = Run.objects.filter(pk=run_id, status=JobStatus.RUNNING, claim=claim).update(
        progress=progress, heartbeat_at=timezone.now(), **fields
    )
    if not written:
        raise _TakenOver
    if settings.MATCHING_RUN_TEST_STEP_DELAY:
        time.sleep(settings.MATCHING_RUN_TEST_STEP_DELAY)


def _fail(run_id: int, claim: int, error: str) -> None:
    Run.objects.filter(pk=run_id, status=JobStatus.RUNNING, claim=claim).update(
        status=JobStatus.FAILED, error=error, finished_at=timezone.now()
    )


# --- What is stored ------------------------------------------------------------------------------


def result_rows(
    run_id: int, outcome: MatchOutcome, key: KeyWriter | None = None
) -> Iterator[tuple]:
    """The run's result rows, unsaved, as tuples of RESULT_FIELDS, in the catalogue's order
    (by site id): the eligible sites with their rank, score and breakdown, the excluded ones
    with their reason and constraint. Stored compactly (matching/stored_results.py): each row's
    `parts` index the pieces `key` collects as the rows are made, to be saved as the run's
    ResultKey once they all are (`write_key`).

    By site id, so that the run's entries in the (run, site) and site indexes come in order and
    fill their pages, rather than splitting them as rows by rank would. Made as they are read:
    the COPY in `write_results` sends each batch of rows to the database, which stores it while
    the next rows are made."""
    key = key if key is not None else KeyWriter()
    index = outcome.index
    ranks = np.zeros(len(outcome.eligible), dtype=np.int64)
    ranks[outcome.ranking] = np.arange(1, len(outcome.ranking) + 1)
    eligible_rows = np.flatnonzero(outcome.eligible)
    compact = _compact_breakdowns(outcome, eligible_rows.tolist(), key)
    excluded = outcome.excluded_rows
    # Each excluded site fails at least one constraint: its first, in the funnel's order.
    first_failed = iter(
        [
            outcome.constraints[column]
            for column in outcome.failures[excluded].argmax(axis=1).tolist()
        ]
    )
    reasons = iter(outcome.exclusion_reasons(excluded))
    scores = outcome.scores.tolist()
    for row, (site_id, site_name, provider_name, eligible, rank) in enumerate(
        zip(
            index.site_ids.tolist(),
            index.site_names.tolist(),
            index.provider_names.tolist(),
            outcome.eligible.tolist(),
            ranks.tolist(),
            strict=True,
        )
    ):
        if eligible:
            parts, verdicts = next(compact)
            yield (
                run_id,
                site_id,
                str(site_name),
                str(provider_name),
                True,
                rank,
                round(scores[row], 2),
                None,
                "",
                "",
                parts,
                verdicts,
            )
        else:
            yield (
                run_id,
                site_id,
                str(site_name),
                str(provider_name),
                False,
                None,
                None,
                None,
                "",
                next(first_failed),
                key.reason_row(next(reasons) or ""),
                "",
            )


def breakdown_texts(outcome: MatchOutcome, rows: list[int]) -> list[str]:
    """Each row's breakdown as JSON text, the very text json.dumps writes for its list of
    {criterion, sub_score, weight, must_have, sentence, verdict}: what a compact row reads
    back as (its parts, expanded by their key)."""
    key = KeyWriter()
    compact = list(_compact_breakdowns(outcome, rows, key))
    read = Key(key.criteria, key.parts, key.reasons)
    return [json.dumps(read.breakdown(parts)) for parts, _ in compact]


def _compact_breakdowns(
    outcome: MatchOutcome, rows: list[int], key: KeyWriter
) -> Iterator[tuple[bytes, str]]:
    """Each row's `parts` and `verdicts`, its parts collected in `key`: a run's eligible sites
    share most of their parts (a criterion's sub-score, sentence and verdict), so each distinct
    part is kept once per criterion and every row that has it points to it.

    The sentences are written for a chunk of rows at a time, the first chunks small: the first
    rows go to the database at once rather than after every sentence of the run is written (a
    row's sentences are the same whatever rows are explained with it)."""
    numbers: range = range(0)
    letters = VERDICT_LETTERS
    part = key.part
    for chunk in _chunks(rows):
        columns = explanation_columns(outcome, chunk)
        if not key.criteria:
            # The same criteria, weights and must-haves in every chunk.
            key.set_criteria(
                [(column.criterion, column.weight, column.must_have) for column in columns]
            )
        numbers = range(len(columns))
        written = key.written
        subscores = outcome.subscores[chunk]
        for row_bits, row_subscores, row_sentences, row_verdicts in zip(
            subscores.view(np.int64).tolist(),
            subscores.tolist(),
            zip(*(column.sentences for column in columns), strict=True),
            verdict_rows(outcome, chunk),
            strict=True,
        ):
            # Most parts are known already: looked up here, the key adding the others.
            yield (
                b"".join(
                    [
                        written[number].get(identity)
                        or part(number, identity, round(subscore, 4), sentence, verdict)
                        for number, identity, subscore, sentence, verdict in zip(
                            numbers,
                            zip(row_bits, row_sentences, row_verdicts, strict=True),
                            row_subscores,
                            row_sentences,
                            row_verdicts,
                            strict=True,
                        )
                    ]
                ),
                "".join(map(letters.__getitem__, row_verdicts)),
            )


def _chunks(rows: list[int], first: int = 64, largest: int = 1024) -> Iterator[list[int]]:
    """`rows` in consecutive chunks, the first of `first` rows, each twice the last up to
    `largest`."""
    start, size = 0, first
    while start < len(rows):
        yield rows[start : start + size]
        start += size
        size = min(size * 2, largest)


def write_results(rows: Iterable[tuple]) -> None:
    """Insert `result_rows` in the current transaction: one COPY on PostgreSQL (the rows are
    most of a run's time), bulk_create elsewhere. The ids come from the table's default."""
    # RESULT_FIELDS name Result's own columns, never a relation's reverse side.
    fields = [cast("Field[Any, Any]", Result._meta.get_field(name)) for name in RESULT_FIELDS]
    if connection.vendor != "postgresql":
        Result.objects.bulk_create(
            [
                Result(**{field.attname: value for field, value in zip(fields, row, strict=True)})
                for row in rows
            ],
            batch_size=BATCH_SIZE,
        )
        return
    quote = connection.ops.quote_name
    statement = (
        f"COPY {quote(Result._meta.db_table)} "
        f"({', '.join(quote(field.column) for field in fields)}) FROM STDIN"
    )
    # The psycopg cursor under Django's wrapper; text format, so the server parses each value
    # as its column's type.
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(statement) as copy,
    ):
        for row in rows:
            copy.write_row(row)


def write_key(run_id: int, key: KeyWriter) -> None:
    """Save the run's key, once `result_rows` made every row with it."""
    ResultKey.objects.create(run_id=run_id, **key.as_data())


def funnel_as_data(outcome: MatchOutcome) -> list[dict[str, Any]]:
    return [
        {
            "constraint": step.constraint,
            "label": outcome.constraint_label(step.constraint),
            "removed": step.removed,
            "removed_alone": step.removed_alone,
            "relaxable": step.relaxable,
        }
        for step in outcome.funnel
    ]


def relaxation_as_data(outcome: MatchOutcome) -> dict[str, Any] | None:
    relaxation = outcome.relaxation
    if relaxation is None:
        return None
    return {
        "criterion": relaxation.criterion,
        "admitted": relaxation.admitted,
        "requirement": relaxation.requirement,
        "suggestion": str(relaxation),
    }


def distribution_as_data(outcome: MatchOutcome) -> dict[str, Any]:
    """The eligible sites' scores as a histogram: DISTRIBUTION_BUCKETS counts over 0-100, the
    last bucket closed (a score of 100 counts in 95-100)."""
    scores = outcome.scores[outcome.eligible]
    counts, _ = np.histogram(scores, bins=DISTRIBUTION_BUCKETS, range=(0, 100))
    return {"bucket_width": 100 // DISTRIBUTION_BUCKETS, "counts": counts.tolist()}
