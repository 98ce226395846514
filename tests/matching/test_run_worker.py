"""A match run whose worker is killed mid-run is completed by another worker, not lost.

Real Celery workers (`--pool=solo`) on a queue of their own, through Redis: the first one is
killed with SIGKILL while the run is RUNNING; the task, acknowledged late, stays unacknowledged
in Redis, which hands it to the second worker after the visibility timeout; that worker takes
the run over once its heartbeat is stale. The timings are shortened for the test through the
workers' environment only (settings: CELERY_VISIBILITY_TIMEOUT, MATCHING_RUN_STALE_SECONDS and
the test-only MATCHING_RUN_TEST_STEP_DELAY, which makes the first worker slow enough to kill).

Runs when REDIS_URL is set; skipped, with the reason shown, otherwise.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from config.celery import app
from core.choices import JobStatus
from matching.models import Brief, Membership, Organisation, Result, Run
from matching.runs import start_run
from matching.tasks import recover_stuck_runs, send_run
from partners.models import DeaSchedule, Phase, Term
from partners.vocabulary import install_vocabulary
from tests.factories import SiteCapabilityFactory, SiteFactory
from tests.test_worker import _test_database_url, _wait_for

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="REDIS_URL is not set: no broker for a real Celery worker",
    ),
]

VISIBILITY_TIMEOUT = 4
STALE_SECONDS = 2


def _worker(queue: str, name: str, **env: str) -> tuple[subprocess.Popen, str]:
    hostname = f"{name}-{queue}@localhost"
    environment = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "CELERY_QUEUE": queue,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "MATCHING_RUN_STALE_SECONDS": str(STALE_SECONDS),
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
         "-Q", queue, "-n", hostname, "--without-gossip", "--without-mingle", "-l", "warning"],
        cwd=ROOT,
        env=environment,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[hostname], timeout=1):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the Celery worker did not start (exit status {process.poll()})")
    return process, hostname


@pytest.fixture
def queue():
    name = f"test-runs-{uuid.uuid4().hex[:8]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = name
    yield name
    app.conf.task_default_queue = previous


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_worker_is_killed_is_completed_by_another_worker(
    queue, django_user_model, settings
):
    settings.MATCHING_RUN_STALE_SECONDS = STALE_SECONDS  # as the workers are told
    # An earlier test outside a transaction may have emptied the tables, vocabulary included.
    install_vocabulary(Term, Phase, DeaSchedule)
    # Given a catalogue, a brief, and a worker slow enough to be killed mid-run
    organisation = Organisation.objects.create(name="Helix", slug="helix")
    user = django_user_model.objects.create_user("helen", password="pw")
    Membership.objects.create(user=user, organisation=organisation)
    for n in range(3):
        site = SiteFactory(country="DE", phases=[Phase.objects.get(slug="phase2")])
        SiteCapabilityFactory(site=site, term=Term.objects.get(slug="mab"))
        del n
    brief = Brief.objects.create(
        organisation=organisation, title="mAb", modality=Term.objects.get(slug="mab")
    )
    slow, _ = _worker(queue, "slow", MATCHING_RUN_TEST_STEP_DELAY="3")
    second = None
    try:
        # When the run starts, and its worker is killed while running it
        run = start_run(brief, user)
        send_run(run.pk)
        assert _wait_for(
            lambda: Run.objects.get(pk=run.pk).status == JobStatus.RUNNING, timeout=30
        ), "the first worker never started the run"
        slow.send_signal(signal.SIGKILL)
        slow.wait(timeout=10)
        assert Run.objects.get(pk=run.pk).status == JobStatus.RUNNING

        # and another worker comes up
        second, _ = _worker(queue, "second")

        # Then the run is completed by the second worker: from the task Redis redelivers once
        # its visibility timeout passes, or from the requeue of the stuck-run job that beat runs
        # every minute (called here in the wait loop), whichever comes first.
        def completed() -> bool:
            recover_stuck_runs()
            return Run.objects.get(pk=run.pk).status == JobStatus.DONE

        assert _wait_for(completed, timeout=90), (
            f"the run was not completed: {Run.objects.get(pk=run.pk).__dict__}"
        )
        run.refresh_from_db()
        assert run.attempts >= 2  # taken over by another worker at least once
        assert run.eligible == 3
        assert Result.objects.filter(run=run).count() == 3
    finally:
        if slow.poll() is None:
            slow.kill()
            slow.wait(timeout=10)
        if second is not None:
            second.terminate()
            second.wait(timeout=30)
