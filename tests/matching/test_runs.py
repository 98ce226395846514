"""Match runs: started through the API, run by the (eager) task, stored, safe to run twice."""

import datetime
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from core.choices import JobStatus
from matching import runs, tasks
from matching.models import Result, Run
from partners.catalogue_version import current_catalogue_version
from partners.models import Phase, Term
from tests.factories import RunFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_catalogue_index")]


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _rows(run: Run) -> list[tuple]:
    return list(
        Result.objects.filter(run=run)
        .order_by("site_id")
        .values_list(
            "site_id",
            "site_name",
            "provider_name",
            "eligible",
            "rank",
            "score",
            "breakdown",
            "reason",
        )
    )


def _start(client, brief, django_capture_on_commit_callbacks, **data):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(f"/api/briefs/{brief.pk}/runs/", data, format="json")


# A run from start to results


def test_a_run_ends_done_with_ranked_results_exclusions_funnel_and_relaxation(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    client = _api(helix)

    response = _start(client, brief, django_capture_on_commit_callbacks)

    assert response.status_code == 202
    run = Run.objects.get()
    assert response.json()["id"] == run.pk
    assert response["Location"].endswith(f"/api/runs/{run.pk}/")
    # A plain str: WSGI servers refuse header values of any other type (such as DRF's Hyperlink).
    assert type(response["Location"]) is str
    status = client.get(f"/api/runs/{run.pk}/").json()
    assert status["status"] == "done"
    assert status["progress"] == 100
    assert (status["sites_scored"], status["eligible"], status["excluded"]) == (5, 2, 3)
    assert status["catalogue_version"] == current_catalogue_version()
    assert status["method"] == "weighted"
    assert status["attempts"] == 1

    results = client.get(f"/api/runs/{run.pk}/results/").json()
    assert [(r["rank"], r["site_name"]) for r in results["results"]] == [(1, "Berlin"), (2, "Cork")]
    assert results["results"][0]["score"] > results["results"][1]["score"]
    geography = {part["criterion"]: part for part in results["results"][0]["breakdown"]}[
        "geography"
    ]
    assert geography["sentence"] == "is in Germany, a preferred country."
    assert geography["sub_score"] == 1.0
    excluded = {r["site_name"]: r["reason"] for r in results["excluded"]["results"]}
    assert results["excluded"]["count"] == 3
    assert excluded["Suzhou"].startswith("Excluded country: is in China")
    assert excluded["Basel"].startswith("Must-have Phase: does not serve")
    assert excluded["Lyon"].startswith("Must-have Phase:")
    assert [(s["constraint"], s["removed"]) for s in results["funnel"]] == [
        ("modality", 0),  # every site here makes mAbs
        ("excluded_countries", 1),
        ("phase", 2),
    ]
    assert results["relaxation"] == {
        "criterion": "phase",
        "admitted": 2,
        "requirement": "Phase 2",
        "suggestion": "drop the Phase 2 must-have: +2 sites",
    }


def test_a_topsis_run_ranks_the_same_eligible_sites(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    response = _start(_api(helix), brief, django_capture_on_commit_callbacks, method="topsis")

    run = Run.objects.get(pk=response.json()["id"])
    assert (run.method, run.status) == ("topsis", JobStatus.DONE)
    assert Result.objects.filter(run=run, eligible=True).count() == 2


def test_an_unknown_method_is_a_400_naming_it(helix, brief, django_capture_on_commit_callbacks):
    response = _start(_api(helix), brief, django_capture_on_commit_callbacks, method="magic")

    assert response.status_code == 400
    assert "magic" in response.json()["method"][0]
    assert not Run.objects.exists()


def test_results_of_a_run_not_done_are_a_409_saying_where_it_stands(helix, brief):
    run = RunFactory(brief=brief, status=JobStatus.RUNNING, progress=40)

    response = _api(helix).get(f"/api/runs/{run.pk}/results/")

    assert response.status_code == 409
    assert (
        response.json()["detail"] == "The run is running (40% done); results come when it is done."
    )


# Safe to run twice, to kill, to time out


def test_running_the_task_twice_gives_the_same_rows(helix, brief, catalogue):
    run = RunFactory(brief=brief)

    assert tasks.execute_run(run.pk) is True
    first = _rows(run)
    # A second delivery of the same message: the run is done, nothing is redone.
    assert tasks.execute_run(run.pk) is False
    assert _rows(run) == first
    # Even forced to run again (a redelivery after a takeover), it writes the same rows.
    Run.objects.filter(pk=run.pk).update(status=JobStatus.QUEUED)
    assert tasks.execute_run(run.pk) is True

    assert _rows(run) == first
    assert len(first) == 5
    assert Result.objects.filter(run=run).count() == 5


def test_a_done_run_tells_later_apps_once_and_a_failed_one_does_not(helix, brief, catalogue):
    from matching.signals import run_done

    told = []

    def receiver(sender, run_id, **kwargs):
        told.append(run_id)

    run_done.connect(receiver, dispatch_uid="test-run-done")
    try:
        run = RunFactory(brief=brief)
        assert tasks.execute_run(run.pk) is True
        assert tasks.execute_run(run.pk) is False  # a second delivery: not done again
        failing = RunFactory(brief=brief)
        with mock.patch.object(runs, "result_rows", side_effect=RuntimeError("disk full")):
            assert tasks.execute_run(failing.pk) is True
    finally:
        run_done.disconnect(dispatch_uid="test-run-done")

    assert told == [run.pk]
    assert Run.objects.get(pk=failing.pk).status == JobStatus.FAILED


def test_a_run_whose_worker_died_is_taken_over_but_a_live_one_is_not(helix, brief, catalogue):
    now = timezone.now()
    live = RunFactory(brief=brief, status=JobStatus.RUNNING, attempts=1, heartbeat_at=now)
    dead = RunFactory(
        brief=brief, status=JobStatus.RUNNING, attempts=1,
        heartbeat_at=now - runs.stale_after() - datetime.timedelta(seconds=1),
    )  # fmt: skip

    assert tasks.execute_run(live.pk) is False
    assert tasks.execute_run(dead.pk) is True

    live.refresh_from_db()
    dead.refresh_from_db()
    assert live.status == JobStatus.RUNNING
    assert (dead.status, dead.attempts, dead.eligible) == (JobStatus.DONE, 2, 2)


def test_a_stale_run_is_restarted_then_failed_with_the_reason_and_can_be_retried(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    stale = timezone.now() - runs.stale_after() - datetime.timedelta(minutes=1)
    restartable = RunFactory(brief=brief, status=JobStatus.RUNNING, attempts=1, heartbeat_at=stale)
    exhausted = RunFactory(
        brief=brief, status=JobStatus.RUNNING,
        attempts=runs.MAX_ATTEMPTS, heartbeat_at=stale,
    )  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.recover_stuck_runs() == [1, 1]

    restartable.refresh_from_db()
    exhausted.refresh_from_db()
    assert restartable.status == JobStatus.DONE
    assert exhausted.status == JobStatus.FAILED
    assert exhausted.error == "stopped: no progress for 4 minutes, 3 times; retry it."
    assert exhausted.finished_at is not None

    client = _api(helix)
    assert client.get(f"/api/runs/{exhausted.pk}/").json()["error"] == exhausted.error
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/runs/{exhausted.pk}/retry/")

    assert response.status_code == 202
    exhausted.refresh_from_db()
    assert (exhausted.status, exhausted.attempts, exhausted.error) == (JobStatus.DONE, 1, "")


def test_a_run_past_its_soft_time_limit_fails_with_the_reason(helix, brief, catalogue):
    run = RunFactory(brief=brief)

    with mock.patch("matching.runs.score_catalogue", side_effect=SoftTimeLimitExceeded()):
        assert tasks.execute_run(run.pk) is True

    run.refresh_from_db()
    assert run.status == JobStatus.FAILED
    assert run.error == "stopped: the run took longer than 2 minutes; retry it."
    assert not Result.objects.filter(run=run).exists()


def test_an_unexpected_error_fails_the_run_and_a_done_run_is_not_retried(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    run = RunFactory(brief=brief)
    with mock.patch("matching.runs.score_catalogue", side_effect=ValueError("boom")):
        tasks.execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED
    assert "ValueError: boom" in run.error

    client = _api(helix)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/runs/{run.pk}/retry/").status_code == 202
    run.refresh_from_db()
    assert run.status == JobStatus.DONE

    response = client.post(f"/api/runs/{run.pk}/retry/")
    assert response.status_code == 409


# The broker down when the run starts


# Outside a test transaction, as in a request: the task is sent as soon as the run is saved, so
# the answer knows whether the broker took it.
@pytest.fixture
def vocabulary(transactional_db):
    """Tests outside a transaction see the tables an earlier one emptied: vocabulary included."""
    from partners.models import DeaSchedule
    from partners.vocabulary import install_vocabulary

    install_vocabulary(Term, Phase, DeaSchedule)


@pytest.mark.django_db(transaction=True)
def test_a_run_started_with_the_broker_down_is_saved_explained_and_sent_once_it_is_back(
    vocabulary, helix, brief, catalogue, django_capture_on_commit_callbacks
):
    client = _api(helix)
    down = OperationalError("Error 111 connecting to localhost:6379. Connection refused.")
    with mock.patch.object(tasks.execute_run, "apply_async", side_effect=down):
        response = _start(client, brief, django_capture_on_commit_callbacks)

    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert response.json()["message"] == runs.BROKER_DOWN
    run = Run.objects.get()
    assert run.status == JobStatus.QUEUED
    assert client.get(f"/api/runs/{run.pk}/").json()["error"] == runs.BROKER_DOWN

    # A sweep while the broker is still down tries again, and the run still says why it waits.
    with (
        mock.patch.object(tasks.execute_run, "apply_async", side_effect=down),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert tasks.requeue_stale_runs() == 1
    run.refresh_from_db()
    assert (run.status, run.error) == (JobStatus.QUEUED, runs.BROKER_DOWN)
    # The broker is back: the next sweep sends it, without waiting for `requeue_after()`.
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.requeue_stale_runs() == 1

    run.refresh_from_db()
    assert (run.status, run.error) == (JobStatus.DONE, "")


def test_a_run_sent_a_minute_ago_is_not_sent_again(
    helix, brief, django_capture_on_commit_callbacks
):
    # Its message is still waiting in the broker, behind other work.
    run = runs.start_run(brief, helix)
    Run.objects.filter(pk=run.pk).update(queued_at=timezone.now() - datetime.timedelta(minutes=1))

    with (
        mock.patch.object(tasks.execute_run, "apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert tasks.requeue_stale_runs() == 0

    send.assert_not_called()


def test_a_run_sent_longer_ago_than_the_interval_is_sent_again_once(
    helix, brief, settings, django_capture_on_commit_callbacks
):
    settings.JOB_REQUEUE_SECONDS = 300
    run = runs.start_run(brief, helix)
    last_sent = timezone.now() - datetime.timedelta(seconds=301)
    Run.objects.filter(pk=run.pk).update(queued_at=last_sent)

    with (
        mock.patch.object(tasks.execute_run, "apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert tasks.requeue_stale_runs() == 1
        assert tasks.requeue_stale_runs() == 0

    send.assert_called_once_with((run.pk,))
    run.refresh_from_db()
    assert run.status == JobStatus.QUEUED
    assert timezone.now() - run.queued_at < datetime.timedelta(seconds=5)


# Scoping


def test_another_organisations_runs_are_a_404_on_every_endpoint(
    helix, northwind, brief, catalogue, django_capture_on_commit_callbacks
):
    _start(_api(helix), brief, django_capture_on_commit_callbacks)
    run = Run.objects.get()
    Run.objects.filter(pk=run.pk).update(status=JobStatus.FAILED)
    other = _api(northwind)

    assert other.post(f"/api/briefs/{brief.pk}/runs/").status_code == 404
    assert other.get(f"/api/runs/{run.pk}/").status_code == 404
    assert other.get(f"/api/runs/{run.pk}/results/").status_code == 404
    assert other.post(f"/api/runs/{run.pk}/retry/").status_code == 404
    assert Run.objects.count() == 1
    assert Run.objects.get().status == JobStatus.FAILED
    assert list(Run.objects.for_user(northwind)) == []


def test_anonymous_users_are_refused_by_the_run_endpoints(brief):
    run = RunFactory(brief=brief)
    client = APIClient()

    assert client.post(f"/api/briefs/{brief.pk}/runs/").status_code == 401
    assert client.get(f"/api/runs/{run.pk}/").status_code == 401


def test_the_excluded_sites_come_nearest_misses_first_and_filter_by_constraint(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    client = _api(helix)
    _start(client, brief, django_capture_on_commit_callbacks)
    run = Run.objects.get()

    everything = client.get(f"/api/runs/{run.pk}/results/").json()["excluded"]
    assert [(r["site_name"], r["excluded_by"]) for r in everything["results"]] == [
        ("Basel", "phase"),
        ("Lyon", "phase"),
        ("Suzhou", "excluded_countries"),
    ]
    by_country = client.get(f"/api/runs/{run.pk}/results/", {"excluded_by": "excluded_countries"})
    assert by_country.json()["excluded"]["count"] == 1
    assert [r["site_name"] for r in by_country.json()["excluded"]["results"]] == ["Suzhou"]

    unknown = client.get(f"/api/runs/{run.pk}/results/", {"excluded_by": "price"})
    assert unknown.status_code == 400
    assert unknown.json() == {
        "excluded_by": [
            "Unknown constraint “price”. The criteria that excluded sites in this run are: "
            "modality, excluded_countries, phase."
        ]
    }
