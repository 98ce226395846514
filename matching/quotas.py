"""How many match runs an organisation may start: at most MATCHING_MAX_CONCURRENT_RUNS queued or
running at once, and at most MATCHING_MAX_RUNS_PER_DAY started in a day (a UTC calendar day; the
count resets at midnight). 0 turns a limit off.

    quotas.reserve(organisation_id)   # in the transaction that creates the run

`reserve` locks the organisation's row (SELECT ... FOR UPDATE on PostgreSQL) before it counts, so
two requests starting runs at the same moment are counted one after the other: the second sees
the first's run, and fifty runs sent within two seconds cannot slip past a limit of three. The
lock is held until the transaction that creates the run commits.

A run the product starts by itself (a kept brief's scheduled re-run, sourcing/kept_briefs.py)
is exempted by its caller (`runs.start_run(..., exempt_from_quota=True)`), which marks it
`automatic`: it counts against no limit, neither its own nor the runs people start, so a kept
brief re-run at night never keeps a member from running a brief.
"""

import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from core.choices import JobStatus
from matching.models import Organisation, Run

CONCURRENT = "concurrent_runs"
PER_DAY = "runs_per_day"


class QuotaExceeded(Exception):
    """The organisation is at one of its limits: which (`limit`), the limit, how many it has,
    and when the limit resets (None: when one of its runs finishes)."""

    def __init__(
        self, limit: str, maximum: int, current: int, resets_at: datetime.datetime | None
    ) -> None:
        self.limit = limit
        self.maximum = maximum
        self.current = current
        self.resets_at = resets_at
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if self.limit == CONCURRENT:
            return (
                f"Your organisation has {_runs(self.current)} in progress; the limit is "
                f"{self.maximum}. Try again when one finishes."
            )
        return (
            f"Your organisation has started {_runs(self.current)} today; the limit is "
            f"{self.maximum} a day. Try again after midnight UTC, when the count starts again."
        )

    def retry_after(self, now: datetime.datetime | None = None) -> int | None:
        """Seconds until the limit resets, for a Retry-After header; None when it depends on a
        run finishing."""
        if self.resets_at is None:
            return None
        now = now or timezone.now()
        return max(1, int((self.resets_at - now).total_seconds()) + 1)

    def as_data(self) -> dict:
        return {
            "detail": self.message,
            "limit": self.limit,
            "maximum": self.maximum,
            "current": self.current,
            "resets_at": self.resets_at.isoformat() if self.resets_at else None,
        }


def _runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"


def day_start(now: datetime.datetime) -> datetime.datetime:
    """The start of `now`'s UTC day: runs created since count against today's limit."""
    return now.astimezone(datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def counted(organisation_id: int) -> QuerySet[Run]:
    """The organisation's runs that count against its limits: those people started (an
    `automatic` run, the product's own re-run, counts against none)."""
    return Run.objects.filter(organisation_id=organisation_id, automatic=False)


def check(organisation_id: int, now: datetime.datetime | None = None) -> None:
    """Raise QuotaExceeded if the organisation may not start a run now. Counts without locking:
    for a page to say so before anyone clicks; `reserve` is the check that holds."""
    now = now or timezone.now()
    runs = counted(organisation_id)
    check_concurrent(organisation_id)
    per_day = settings.MATCHING_MAX_RUNS_PER_DAY
    if per_day > 0:
        start = day_start(now)
        today = runs.filter(created_at__gte=start).count()
        if today >= per_day:
            raise QuotaExceeded(PER_DAY, per_day, today, start + datetime.timedelta(days=1))


def check_concurrent(organisation_id: int) -> None:
    """Raise QuotaExceeded if the organisation has as many runs in progress as it may."""
    concurrent = settings.MATCHING_MAX_CONCURRENT_RUNS
    if concurrent > 0:
        active = (
            counted(organisation_id)
            .filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
            .count()
        )
        if active >= concurrent:
            raise QuotaExceeded(CONCURRENT, concurrent, active, None)


def reserve_for_retry(organisation_id: int) -> None:
    """In the transaction that queues a failed run again: a retry starts no new run today, but
    it puts one more in progress, so it waits for a free place like a new one."""
    list(Organisation.objects.select_for_update().filter(pk=organisation_id).values_list("pk"))
    check_concurrent(organisation_id)


def reserve(organisation_id: int, now: datetime.datetime | None = None) -> None:
    """In the transaction that creates a run: lock the organisation's row, then `check`. Two
    transactions reserving for one organisation take turns, so each counts the other's run."""
    list(Organisation.objects.select_for_update().filter(pk=organisation_id).values_list("pk"))
    check(organisation_id, now)


def blocking_message(organisation_id: int) -> str | None:
    """What stops the organisation from starting a run now, in a sentence; None if nothing."""
    try:
        check(organisation_id)
    except QuotaExceeded as exceeded:
        return exceeded.message
    return None
