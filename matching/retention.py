"""How long match runs are kept: a run older than MATCHING_RUN_RETENTION_DAYS is deleted with its
results and analyses, unless something still refers to it.

    delete_expired_runs()            # the nightly job, and `manage.py delete_expired_runs`

Kept, however old:

- a run still queued or running;
- each brief's latest done run, and the run its page compares it with (the brief's done run
  before it, matching/run_comparison.py `other_done_run`): the brief's two latest done runs;
- every run a later app says it refers to. Matching does not know the apps above it (the
  import rule), so they register a function that, given run ids, returns those they refer
  to (`protect_runs`): sourcing keeps the runs a shortlist candidate was added from and the runs
  a decision record froze (sourcing/apps.py).

Runs are deleted a batch at a time, each batch in a transaction that locks its runs and asks the
registered functions again, so a run referred to since the batch was chosen stays.
"""

import datetime
import logging
from collections.abc import Callable, Collection, Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from core.choices import JobStatus
from matching.models import Run

logger = logging.getLogger(__name__)

# Runs deleted per transaction: a run has a result row per site (some 20,000).
BATCH_SIZE = 20
# Per brief, this many latest done runs are kept: the latest and the one it is compared with.
KEPT_PER_BRIEF = 2

RunProtector = Callable[[Collection[int]], Iterable[int]]
_protectors: list[RunProtector] = []


def protect_runs(protector: RunProtector) -> RunProtector:
    """Register a function that, given run ids, returns those something refers to: they are
    never deleted. Called from an app's `ready()`; usable as a decorator."""
    if protector not in _protectors:
        _protectors.append(protector)
    return protector


def protected_among(run_ids: Collection[int]) -> set[int]:
    """The runs among `run_ids` that a registered function says are referred to."""
    protected: set[int] = set()
    for protector in _protectors:
        protected.update(protector(run_ids))
    return protected & set(run_ids)


def retention_cutoff(
    now: datetime.datetime | None = None, days: int | None = None
) -> datetime.datetime | None:
    """Runs created before this are expired (`days` defaults to MATCHING_RUN_RETENTION_DAYS);
    None when runs are kept for ever."""
    if days is None:
        days = settings.MATCHING_RUN_RETENTION_DAYS
    if days <= 0:
        return None
    return (now or timezone.now()) - datetime.timedelta(days=days)


def latest_done_runs() -> QuerySet[Run]:
    """Each brief's KEPT_PER_BRIEF latest done runs."""
    return (
        Run.objects.filter(status=JobStatus.DONE)
        .annotate(
            place=Window(
                RowNumber(),
                partition_by=[F("brief_id")],
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(place__lte=KEPT_PER_BRIEF)
    )


def expired_runs(now: datetime.datetime | None = None, days: int | None = None) -> QuerySet[Run]:
    """The runs past the retention period that matching itself keeps no reason for (the
    registered functions are asked when they are deleted)."""
    cutoff = retention_cutoff(now, days)
    if cutoff is None:
        return Run.objects.none()
    kept = list(latest_done_runs().values_list("pk", flat=True))
    return (
        Run.objects.filter(created_at__lt=cutoff)
        .exclude(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .exclude(pk__in=kept)
        .order_by("created_at", "id")
    )


def delete_expired_runs(
    now: datetime.datetime | None = None, *, days: int | None = None, dry_run: bool = False
) -> int:
    """Delete the expired runs no one refers to, with their results. Returns how many were
    (with `dry_run`, would be) deleted."""
    candidates = list(expired_runs(now, days).values_list("pk", flat=True))
    deleted = 0
    for start in range(0, len(candidates), BATCH_SIZE):
        batch = candidates[start : start + BATCH_SIZE]
        with transaction.atomic():
            # Locked, then checked again: a run referred to meanwhile, or become a brief's
            # latest, stays.
            locked = list(
                expired_runs(now, days).filter(pk__in=batch).select_for_update().values_list("pk")
            )
            ids = [pk for (pk,) in locked]
            doomed = set(ids) - protected_among(ids)
            if doomed and not dry_run:
                Run.objects.filter(pk__in=doomed).delete()
            deleted += len(doomed)
    if deleted:
        logger.info("Deleted %s match runs past the retention period", deleted)
    return deleted
