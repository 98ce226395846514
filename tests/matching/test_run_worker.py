"""A match run whose worker is killed mid-run (SIGKILL) finishes, exactly once, within the stale
threshold plus one sweep interval, with Celery beat running and production settings.

Real processes (tests/ops/services.py): a redis-server of the session's own, beat, a worker
slowed by the test-only MATCHING_RUN_TEST_STEP_DELAY so that it can be killed while the run is
RUNNING, and a second worker (on the queue every run is sent to again). The killed worker's
message stays unacknowledged in Redis for its visibility timeout (35 minutes in production):
what recovers the run is the sweep beat sends every JOB_SWEEP_SECONDS, which puts a run silent
for MATCHING_RUN_STALE_SECONDS back in the queue. In production those are 60 s and 240 s: a
killed run finishes within 5 minutes; here 1 s and 4 s, the same code.

Marked `slow`: runs when CI=true, skipped with the reason otherwise.
"""

import signal
import sys
import time

import pytest

from core.choices import JobStatus
from matching.models import Brief, Membership, Organisation, Result, Run
from matching.runs import start_run
from matching.tasks import execute_run
from partners.models import DeaSchedule, Phase, Term
from partners.vocabulary import install_vocabulary
from tests.factories import SiteCapabilityFactory, SiteFactory
from tests.ops import services

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SWEEP_SECONDS = 1
STALE_SECONDS = 4
# A worker's start, the run itself (well under a second) and a loaded machine's delays.
GRACE_SECONDS = 15
THRESHOLDS = {
    "JOB_SWEEP_SECONDS": str(SWEEP_SECONDS),
    "JOB_REQUEUE_SECONDS": "2",
    "MATCHING_RUN_STALE_SECONDS": str(STALE_SECONDS),
}


def test_a_run_whose_worker_is_killed_finishes_once_within_the_stale_threshold_and_a_sweep(
    broker, django_user_model, settings
):
    settings.MATCHING_RUN_STALE_SECONDS = STALE_SECONDS  # as the processes are told
    # An earlier test outside a transaction may have emptied the tables, vocabulary included.
    install_vocabulary(Term, Phase, DeaSchedule)
    # Given a catalogue, a brief, beat, and a worker slow enough to be killed mid-run
    organisation = Organisation.objects.create(name="Helix", slug="helix")
    user = django_user_model.objects.create_user("helen", password="pw")
    Membership.objects.create(user=user, organisation=organisation)
    for _ in range(3):
        site = SiteFactory(country="DE", phases=[Phase.objects.get(slug="phase2")])
        SiteCapabilityFactory(site=site, term=Term.objects.get(slug="mab"))
    brief = Brief.objects.create(
        organisation=organisation, title="mAb", modality=Term.objects.get(slug="mab")
    )
    # The slow worker alone listens to a queue of its own, so that it takes the run first; the
    # second, on the default queue, is there to take it over. Started at once: each takes
    # seconds to start.
    beat, _ = services.start_beat(broker.url, **THRESHOLDS)
    slow, slow_name = services.spawn_worker(
        broker.url, "slow", queue="slow", MATCHING_RUN_TEST_STEP_DELAY="2", **THRESHOLDS
    )
    second, second_name = services.spawn_worker(broker.url, "second", **THRESHOLDS)
    try:
        services.await_worker(slow, slow_name)
        services.await_worker(second, second_name)
        # When the run starts, and its worker is killed while running it
        run = start_run(brief, user)
        execute_run.apply_async((run.pk,), queue="slow")
        assert services.wait_for(
            lambda: Run.objects.get(pk=run.pk).status == JobStatus.RUNNING, timeout=30
        ), "the first worker never started the run"
        slow.send_signal(signal.SIGKILL)
        slow.wait(timeout=10)
        killed_at = time.monotonic()
        assert Run.objects.get(pk=run.pk).status == JobStatus.RUNNING

        # Then beat's sweep restarts the run, which finishes within the stale threshold plus one
        # sweep interval (and the grace of a busy machine)
        limit = STALE_SECONDS + SWEEP_SECONDS + GRACE_SECONDS
        finished = services.wait_for(
            lambda: Run.objects.get(pk=run.pk).status == JobStatus.DONE, timeout=limit
        )
        took = time.monotonic() - killed_at
        assert finished, f"not done {took:.0f} s after the kill: {Run.objects.get(pk=run.pk)}"
        sys.stderr.write(f"done {took:.1f} s after the kill (limit {limit} s)\n")

        # exactly once: taken over once, all its results, and nothing runs it again after
        run.refresh_from_db()
        assert run.attempts == 2
        assert run.eligible == 3
        results = sorted(Result.objects.filter(run=run).values_list("pk", flat=True))
        assert len(results) == 3
        time.sleep(STALE_SECONDS + 2 * SWEEP_SECONDS)
        again = Run.objects.get(pk=run.pk)
        assert (again.status, again.finished_at, again.attempts) == (
            JobStatus.DONE,
            run.finished_at,
            2,
        )
        assert sorted(Result.objects.filter(run=run).values_list("pk", flat=True)) == results
    finally:
        services.stop(slow, signal.SIGKILL)
        services.stop(second)
        services.stop(beat)
