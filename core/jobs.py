"""Background jobs left queued: which to send to the broker again, and when.

Match runs (matching/runs.py) and regulator imports (partners/importers/fda/uploads.py) share
the fields this reads: `status`, `queued_at` (when the job's task was last sent, or last tried)
and `error` (the job's "broker down" note while its task could not be sent).

A queued job is sent again in two cases:

- its last send failed (the broker was down): at the next sweep, so it starts within one sweep
  interval of the broker coming back;
- its last send reached the broker longer than `resend_after()` ago: the broker may have lost
  the message (an unsaved Redis restarted empty). Not sooner, since a job waiting behind a busy
  queue still has its message in the broker and each resend would add a duplicate to it.

Each job sent again is claimed with a conditional update on the `queued_at` that was read, so two
sweeps at once send it once; and a job delivered twice runs once anyway (its task's claim).
"""

import datetime

from django.conf import settings
from django.db.models import Model, Q

from core.choices import JobStatus


def resend_after() -> datetime.timedelta:
    """A queued job whose task reached the broker this long ago is sent again."""
    return datetime.timedelta(seconds=settings.JOB_REQUEUE_SECONDS)


def claim_resends(
    model: type[Model],
    broker_down: str,
    now: datetime.datetime,
    also_due: Q | None = None,
) -> list[int]:
    """The ids of the queued jobs of `model` to send again now, each marked as sent now (its
    `queued_at` set to `now`, its `broker_down` note cleared: the send about to be made puts it
    back if it fails too). `also_due` adds jobs due for another reason."""
    due = Q(queued_at__lt=now - resend_after()) | Q(error=broker_down)
    if also_due is not None:
        due |= also_due
    jobs = model._default_manager
    to_send = []
    for job_id, queued_at in jobs.filter(due, status=JobStatus.QUEUED).values_list(
        "pk", "queued_at"
    ):
        if jobs.filter(pk=job_id, status=JobStatus.QUEUED, queued_at=queued_at).update(
            queued_at=now, error=""
        ):
            to_send.append(job_id)
    return to_send
