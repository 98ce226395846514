"""A real task, sent through Redis to a real Celery worker started by the test suite.

Runs when REDIS_URL is set (CI sets it, with DATABASE_URL on PostgreSQL); skipped, with the
reason shown, otherwise.
"""

import datetime
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.utils import timezone

from config.celery import app
from core.choices import JobStatus
from matching import runs
from matching.models import Run
from matching.tasks import requeue_stale_runs
from partners.models import DeaSchedule, Inspection, Phase, Site, Term
from partners.tasks import link_regulatory_records
from partners.vocabulary import install_vocabulary
from tests.factories import InspectionFactory, RunFactory, SiteFactory

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="REDIS_URL is not set: no broker for a real Celery worker",
    ),
]


def _test_database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{db['NAME']}"


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup):
    """A worker on a queue of its own, connected to the test database."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    hostname = f"{queue}@localhost"
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "CELERY_QUEUE": queue}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
         "-Q", queue, "-n", hostname, "--without-gossip", "--without-mingle", "-l", "warning"],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[hostname], timeout=1):
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not start (exit status {worker.poll()})")
        yield worker
    finally:
        app.conf.task_default_queue = previous_queue
        worker.terminate()
        worker.wait(timeout=30)


def _wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_real_worker_links_records_sent_through_redis(celery_worker_process):
    # Given a site whose FEI was set behind the model's back, and an inspection naming that FEI
    site = SiteFactory(fei_number="")
    inspection = InspectionFactory(fei_number="3001234567")
    Site.objects.filter(pk=site.pk).update(fei_number="3001234567")
    assert Inspection.objects.get(pk=inspection.pk).site_id is None

    # When the relinking task goes through Redis to the worker
    link_regulatory_records.delay([site.pk])

    # Then the worker's write shows up in the database
    assert _wait_for(lambda: Inspection.objects.get(pk=inspection.pk).site_id == site.pk)


@pytest.mark.django_db(transaction=True)
def test_the_scheduled_sweep_sent_as_beat_sends_it_gets_a_stranded_run_done(
    celery_worker_process,
):
    # Given a run left queued past the requeue threshold (its message was lost: broker down),
    # of a brief on the vocabulary the migrations install (a test before may have flushed it)
    install_vocabulary(Term, Phase, DeaSchedule)
    run = RunFactory()
    Run.objects.filter(pk=run.pk).update(
        queued_at=timezone.now() - runs.REQUEUE_AFTER - datetime.timedelta(seconds=5)
    )

    # When beat's every-minute sweep goes through Redis to the worker, with the settings' limits
    requeue_stale_runs.apply_async()

    # Then the worker sends the run again and runs it to the end
    assert _wait_for(lambda: Run.objects.get(pk=run.pk).status == JobStatus.DONE, timeout=60)
