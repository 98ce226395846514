"""What `/healthz/ready` checks: the database, the broker, live workers and the age of the oldest
queued job. Each check answers a `Check`; the view (config/views.py) decides who reads the
details.

Each check is bounded in time (a refused or silent broker answers within a few seconds), and
none raises: whatever goes wrong is a part that is down, with the reason as detail text for
those allowed to read it.
"""

import dataclasses
import datetime

from django.conf import settings
from django.db import connection
from django.db.models import Min
from django.db.models.functions import Coalesce
from django.utils import timezone

from config.celery import app
from core.choices import JobStatus
from matching.models import Run
from partners.models import RegulatorImport

# How long a reply from the broker, and then from a worker, is waited for, in seconds.
BROKER_TIMEOUT = 2.0
WORKER_TIMEOUT = 1.0


@dataclasses.dataclass(frozen=True)
class Check:
    ok: bool
    detail: str
    # Figures for a monitor (the oldest queued job's age, in seconds).
    data: dict[str, object] = dataclasses.field(default_factory=dict)


def _failure(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".strip()


def database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure means "down"; the detail says which
        return Check(False, _failure(error))
    return Check(True, connection.vendor)


def broker() -> Check:
    if app.conf.task_always_eager:
        return Check(True, "no broker: tasks run in-process")
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT)
    except Exception as error:
        return Check(False, _failure(error))
    return Check(True, "reachable")


def workers(broker_state: Check) -> Check:
    """Whether at least one worker answers a ping through the broker (the first reply ends the
    wait, so a healthy deployment answers in milliseconds)."""
    if app.conf.task_always_eager:
        return Check(True, "no workers: tasks run in-process")
    if not broker_state.ok:
        return Check(False, "unknown: the broker is down")
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT)
            replies = app.control.ping(timeout=WORKER_TIMEOUT, limit=1, connection=conn)
    except Exception as error:
        return Check(False, _failure(error))
    if not replies:
        return Check(False, f"no worker answered within {WORKER_TIMEOUT:g} s")
    names = sorted(name for reply in replies for name in reply)
    return Check(True, f"{len(names)} answered: {', '.join(names)}")


def queue(now: datetime.datetime | None = None) -> Check:
    """The age of the oldest job waiting for a worker: match runs and regulator imports still
    queued. Down when it is older than HEALTHZ_MAX_QUEUE_AGE_SECONDS (the sweeps send a job
    again within JOB_REQUEUE_SECONDS and a sweep, so an older one means no worker takes them).

    The age runs from the job's last sign of life, never from `queued_at`, which each sweep
    moves forward when it sends the job again: from its creation when no worker ever took it,
    else from its worker's last heartbeat or its start."""
    now = now or timezone.now()
    try:
        oldest_run = Run.objects.filter(status=JobStatus.QUEUED).aggregate(
            oldest=Min(Coalesce("heartbeat_at", "started_at", "created_at"))
        )["oldest"]
        oldest_import = RegulatorImport.objects.filter(status=JobStatus.QUEUED).aggregate(
            oldest=Min(Coalesce("started_at", "created_at"))
        )["oldest"]
    except Exception as error:
        return Check(False, _failure(error))
    ages = {
        kind: round((now - queued_at).total_seconds())
        for kind, queued_at in (("match_run", oldest_run), ("regulator_import", oldest_import))
        if queued_at is not None
    }
    oldest = max(ages.values(), default=None)
    limit = settings.HEALTHZ_MAX_QUEUE_AGE_SECONDS
    data: dict[str, object] = {
        "oldest_queued_seconds": oldest,
        **{f"oldest_{kind}_seconds": age for kind, age in ages.items()},
    }
    if oldest is None:
        return Check(True, "nothing queued", data)
    if oldest > limit:
        return Check(False, f"a job has waited {oldest} s (more than {limit} s)", data)
    return Check(True, f"the oldest job has waited {oldest} s", data)


def readiness() -> dict[str, Check]:
    broker_state = broker()
    return {
        "database": database(),
        "broker": broker_state,
        "workers": workers(broker_state),
        "queue": queue(),
    }
