"""Every task Celery beat sends in production can be sent, with the settings' time limits, and runs.

Celery refuses to send a task whose soft time limit (its own or the settings') is above its hard
limit: beat then logs the error every time and the task never runs. These tests send each task
of the beat schedule the way beat does (`apply_async`), with the limits production uses.
"""

import pytest
from django.conf import settings

from config.celery import app

# A worker and beat import every app's tasks module at start: do as they do.
app.loader.import_default_modules()

SCHEDULE = settings.CELERY_BEAT_SCHEDULE
OUR_TASKS = sorted(
    name for name in app.tasks if name.split(".", 1)[0] in {"partners", "matching", "sourcing"}
)


def _limits(task) -> tuple[float | None, float | None]:
    """A task's (soft, hard) limits as a worker applies them: its own, else the settings'."""
    soft = task.soft_time_limit or app.conf.task_soft_time_limit
    hard = task.time_limit or app.conf.task_time_limit
    return soft, hard


def test_the_schedule_names_only_registered_tasks():
    assert SCHEDULE
    for entry in SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


@pytest.mark.parametrize("name", OUR_TASKS)
def test_every_task_warns_before_it_is_killed(name):
    soft, hard = _limits(app.tasks[name])

    assert soft is not None
    assert hard is not None
    assert soft <= hard, f"{name}: soft time limit {soft} s above the hard limit {hard} s"


def test_the_production_limits_are_the_ones_tested():
    # The settings' defaults, as production reads them when the environment sets none.
    assert app.conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT
    assert app.conf.task_soft_time_limit == settings.CELERY_TASK_SOFT_TIME_LIMIT
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT <= settings.CELERY_TASK_TIME_LIMIT


@pytest.mark.django_db
@pytest.mark.parametrize("entry", SCHEDULE.values(), ids=list(SCHEDULE))
def test_every_scheduled_task_is_sent_and_runs(entry):
    # Sent as beat sends it; run in this process (the worker tests run them on a real worker).
    task = app.tasks[entry["task"]]
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        result = task.apply_async(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}))
    finally:
        app.conf.task_always_eager = eager

    assert result.successful(), result.traceback


def test_the_job_sweeps_are_scheduled_every_minute_with_their_own_limits():
    # A run or a regulator import stranded by a broker outage or a dead worker is sent again
    # by these, and notifications wait for these no longer than a minute; each must end before
    # beat sends it again.
    sweeps = {
        "matching.tasks.requeue_stale_runs",
        "matching.tasks.recover_stuck_runs",
        "partners.tasks.sweep_regulator_imports",
        # Notifications whose users chose an e-mail at once.
        "sourcing.tasks.send_notification_emails",
    }
    entries = {entry["task"]: entry for entry in SCHEDULE.values()}
    assert sweeps <= set(entries)
    for name in sweeps:
        task = app.tasks[name]
        assert entries[name]["schedule"] == settings.JOB_SWEEP_SECONDS == 60
        assert task.soft_time_limit < task.time_limit <= entries[name]["schedule"], name
