"""A run stuck RUNNING on a worker that died: its owner retries it, on its page and through the
API, and starting the brief again restarts it rather than following it for ever."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from core.choices import JobStatus
from matching import runs
from matching.models import Run
from tests.factories import RunFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_catalogue_index")]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(response) -> str:
    return " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())


def _stalled_run(brief, attempts: int = 1) -> Run:
    """A run its worker left RUNNING: no heartbeat for longer than the stale threshold."""
    quiet_since = timezone.now() - runs.stale_after() - datetime.timedelta(seconds=30)
    return RunFactory(
        brief=brief,
        status=JobStatus.RUNNING,
        progress=30,
        attempts=attempts,
        claim=attempts,
        started_at=quiet_since,
        heartbeat_at=quiet_since,
    )


def test_the_owner_retries_a_stalled_run_on_its_page(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    run = _stalled_run(brief, attempts=runs.MAX_ATTEMPTS)
    client = _client(helix)

    page = client.get(f"/runs/{run.pk}/")
    assert "The run stopped responding" in _text(page)
    assert f'action="/runs/{run.pk}/retry/"' in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/runs/{run.pk}/retry/", follow=True)

    assert "it is queued again" in _text(response)
    run.refresh_from_db()
    # A fresh count of attempts: the owner's retry is not the dead workers' last straw.
    assert (run.status, run.attempts, run.eligible) == (JobStatus.DONE, 1, 2)


def test_the_owner_retries_a_stalled_run_through_the_api(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    run = _stalled_run(brief)
    client = APIClient()
    client.force_authenticate(helix)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/runs/{run.pk}/retry/")

    assert response.status_code == 202
    run.refresh_from_db()
    assert run.status == JobStatus.DONE


def test_a_run_on_a_live_worker_is_not_retried_and_says_why(helix, brief, catalogue):
    run = RunFactory(brief=brief, status=JobStatus.RUNNING, attempts=1, heartbeat_at=timezone.now())
    client = APIClient()
    client.force_authenticate(helix)

    response = client.post(f"/api/runs/{run.pk}/retry/")

    assert response.status_code == 409
    assert "its worker is alive" in response.json()["detail"]
    page = _client(helix).get(f"/runs/{run.pk}/")
    assert "The run stopped responding" not in _text(page)
    assert Run.objects.get(pk=run.pk).status == JobStatus.RUNNING


def test_run_match_restarts_a_stalled_run_instead_of_following_it(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    run = _stalled_run(brief)
    client = _client(helix)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/briefs/{brief.pk}/runs/", {"method": "weighted"})

    assert response["Location"] == f"/runs/{run.pk}/"
    run.refresh_from_db()
    assert run.status == JobStatus.DONE
    assert "it is restarted here" in _text(client.get(response["Location"]))


def test_a_viewer_cannot_retry_a_stalled_run(helix, brief, catalogue, django_user_model):
    from matching.models import Membership

    run = _stalled_run(brief)
    viewer = django_user_model.objects.create_user("vic", password="pw")
    Membership.objects.create(
        user=viewer, organisation=helix.membership.organisation, role="viewer"
    )

    response = _client(viewer).post(f"/runs/{run.pk}/retry/")

    assert response.status_code == 403
    assert Run.objects.get(pk=run.pk).status == JobStatus.RUNNING


def test_the_worker_whose_stalled_run_was_retried_writes_nothing(brief, catalogue, monkeypatch):
    """A retry starts the count of attempts again, yet the worker that stalled can never take
    the run back: ownership is the claim, one more with each worker, never reset."""
    run = _stalled_run(brief)
    stalled_claim = run.claim
    assert runs.retry_run(run)
    during_the_new_run = {}

    def new_worker_runs(run_id: int, claim: int) -> None:
        during_the_new_run["claim"] = claim
        # The stalled worker wakes up: its progress and its failure are refused.
        with pytest.raises(runs._TakenOver):
            runs._step(run_id, stalled_claim, 50)
        runs._fail(run_id, stalled_claim, "the stalled worker's late failure")
        during_the_new_run["run"] = Run.objects.values("status", "progress", "error").get(pk=run_id)
        raise RuntimeError("the new worker stops here")

    monkeypatch.setattr(runs, "_run", new_worker_runs)
    assert runs.execute_run(run.pk)

    assert during_the_new_run["claim"] == stalled_claim + 1
    assert during_the_new_run["run"] == {"status": JobStatus.RUNNING, "progress": 0, "error": ""}
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED
    assert "the new worker stops here" in run.error
    assert run.attempts == 1
