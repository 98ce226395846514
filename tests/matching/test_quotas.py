"""An organisation's quota of match runs: at most MATCHING_MAX_CONCURRENT_RUNS queued or running at
once and MATCHING_MAX_RUNS_PER_DAY started per UTC day. Beyond either, the brief's page says why
and the API answers 429 naming the limit and when it resets; the check holds when many requests
start runs at the same moment (PostgreSQL)."""

import datetime
import re
import threading

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.choices import JobStatus
from matching import quotas, runs
from matching.models import Run
from tests.factories import RunFactory
from tests.matching.conftest import phase2_mab_brief

pytestmark = pytest.mark.usefixtures("fresh_catalogue_index")

CONCURRENT_MESSAGE = (
    "Your organisation has 3 runs in progress; the limit is 3. Try again when one finishes."
)


@pytest.fixture(autouse=True)
def _default_limits(settings):
    settings.MATCHING_MAX_CONCURRENT_RUNS = 3
    settings.MATCHING_MAX_RUNS_PER_DAY = 200


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _in_progress(brief, count: int) -> None:
    for status in [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.QUEUED][:count]:
        RunFactory(brief=brief, status=status)


# --- The API -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_refuses_a_fourth_run_in_progress_with_429_naming_the_limit(helix, brief):
    _in_progress(brief, 3)

    response = _api(helix).post(f"/api/briefs/{brief.pk}/runs/", {}, format="json")

    assert response.status_code == 429
    assert response.json() == {
        "detail": CONCURRENT_MESSAGE,
        "limit": "concurrent_runs",
        "maximum": 3,
        "current": 3,
        "resets_at": None,
    }
    assert Run.objects.filter(brief=brief).count() == 3


@pytest.mark.django_db
def test_the_api_says_when_the_daily_limit_resets(helix, brief, settings):
    settings.MATCHING_MAX_RUNS_PER_DAY = 2
    for _ in range(2):
        RunFactory(brief=brief, status=JobStatus.DONE)

    response = _api(helix).post(f"/api/briefs/{brief.pk}/runs/", {}, format="json")

    assert response.status_code == 429
    body = response.json()
    assert body["limit"] == "runs_per_day"
    assert (body["maximum"], body["current"]) == (2, 2)
    assert "started 2 runs today; the limit is 2 a day" in body["detail"]
    tomorrow = (timezone.now() + datetime.timedelta(days=1)).date()
    resets_at = datetime.datetime.fromisoformat(body["resets_at"])
    assert resets_at == datetime.datetime.combine(tomorrow, datetime.time(), tzinfo=datetime.UTC)
    seconds = (resets_at - timezone.now()).total_seconds()
    assert 0 < int(response["Retry-After"]) <= seconds + 2


@pytest.mark.django_db
def test_finished_runs_and_other_organisations_runs_leave_room(
    helix, northwind, brief, django_capture_on_commit_callbacks
):
    RunFactory(brief=brief, status=JobStatus.DONE)
    RunFactory(brief=brief, status=JobStatus.FAILED)
    RunFactory(brief=brief, status=JobStatus.QUEUED)
    _in_progress(phase2_mab_brief(northwind.membership.organisation), 3)

    with django_capture_on_commit_callbacks(execute=False):
        response = _api(helix).post(f"/api/briefs/{brief.pk}/runs/", {}, format="json")

    assert response.status_code == 202


@pytest.mark.django_db
def test_a_limit_of_zero_is_no_limit(helix, brief, settings, django_capture_on_commit_callbacks):
    settings.MATCHING_MAX_CONCURRENT_RUNS = 0
    settings.MATCHING_MAX_RUNS_PER_DAY = 0
    _in_progress(brief, 3)

    with django_capture_on_commit_callbacks(execute=False):
        response = _api(helix).post(f"/api/briefs/{brief.pk}/runs/", {}, format="json")

    assert response.status_code == 202


@pytest.mark.django_db
def test_the_schema_documents_the_429(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    answers = schema["paths"]["/api/briefs/{id}/runs/"]["post"]["responses"]
    assert "429" in answers
    body = answers["429"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"detail", "limit", "maximum", "current", "resets_at"}


# --- The brief's page ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_run_match_at_the_limit_says_why_on_the_briefs_page(client, helix, brief):
    # Runs of the organisation's other briefs (one of this brief would be followed instead).
    _in_progress(phase2_mab_brief(brief.organisation), 3)
    client.force_login(helix)

    response = client.post(
        reverse("matching:run-start", kwargs={"pk": brief.pk}), {"method": "weighted"}, follow=True
    )

    assert response.redirect_chain[-1][0] == brief.get_absolute_url()
    page = response.content.decode()
    assert f"Not run: {CONCURRENT_MESSAGE}" in page
    assert not Run.objects.filter(brief=brief).exists()


@pytest.mark.django_db
def test_the_briefs_page_warns_before_the_click(client, helix, brief):
    client.force_login(helix)
    assert 'id="run-quota"' not in client.get(brief.get_absolute_url()).content.decode()

    _in_progress(brief, 3)
    page = client.get(brief.get_absolute_url()).content.decode()

    assert 'id="run-quota"' in page
    assert CONCURRENT_MESSAGE in page


def _run_match_button(page: str) -> str:
    form = re.search(r'<form [^>]*class="run-start".*?</form>', page, re.S)
    assert form is not None
    button = re.search(r"<button [^>]*>Run match</button>", form.group())
    assert button is not None
    return button.group()


@pytest.mark.django_db
def test_run_match_is_disabled_while_the_briefs_page_says_the_limit_is_reached(
    client, helix, brief
):
    client.force_login(helix)
    free = _run_match_button(client.get(brief.get_absolute_url()).content.decode())

    _in_progress(brief, 3)
    page = client.get(brief.get_absolute_url()).content.decode()
    blocked = _run_match_button(page)

    assert " disabled" not in free
    assert "aria-describedby" not in free
    assert " disabled" in blocked
    assert 'aria-describedby="run-quota"' in blocked
    assert page.count(CONCURRENT_MESSAGE) == 1


# --- The domain function -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_rerun_the_product_starts_itself_may_be_exempted(helix, brief):
    _in_progress(brief, 3)

    with pytest.raises(quotas.QuotaExceeded):
        runs.start_run(brief, helix)
    run = runs.start_run(brief, None, exempt_from_quota=True)

    assert run.status == JobStatus.QUEUED
    assert run.automatic
    # It counts against none of the runs people start: still three in progress.
    with pytest.raises(quotas.QuotaExceeded) as exceeded:
        runs.start_run(brief, helix)
    assert exceeded.value.current == 3


@pytest.mark.django_db
def test_the_products_own_reruns_never_block_the_runs_people_start(helix, brief, settings):
    settings.MATCHING_MAX_RUNS_PER_DAY = 2
    for _ in range(5):
        runs.start_run(brief, None, exempt_from_quota=True)

    # Five automatic runs queued today, yet a member starts two, as the limits allow.
    assert quotas.blocking_message(brief.organisation_id) is None
    runs.start_run(brief, helix)
    runs.start_run(brief, helix)
    with pytest.raises(quotas.QuotaExceeded) as exceeded:
        runs.start_run(brief, helix)
    assert exceeded.value.limit == quotas.PER_DAY
    assert exceeded.value.current == 2


@pytest.mark.django_db
def test_the_day_is_a_utc_calendar_day(brief, settings):
    settings.MATCHING_MAX_RUNS_PER_DAY = 1
    yesterday = RunFactory(brief=brief, status=JobStatus.DONE)
    Run.objects.filter(pk=yesterday.pk).update(
        created_at=quotas.day_start(timezone.now()) - datetime.timedelta(seconds=1)
    )

    quotas.check(brief.organisation_id)  # yesterday's run does not count
    RunFactory(brief=brief, status=JobStatus.DONE)
    with pytest.raises(quotas.QuotaExceeded):
        quotas.check(brief.organisation_id)


# --- Many requests at once -----------------------------------------------------------------------


@pytest.fixture
def vocabulary(transactional_db):
    """Tests outside a transaction see the tables an earlier one emptied: vocabulary included."""
    from partners.models import DeaSchedule, Phase, Term
    from partners.vocabulary import install_vocabulary

    install_vocabulary(Term, Phase, DeaSchedule)


@pytest.mark.django_db(transaction=True)
def test_runs_started_at_the_same_moment_never_pass_the_limit(vocabulary, helix):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks to race for")
    brief = phase2_mab_brief(helix.membership.organisation, created_by=helix)
    attempts = 12
    barrier = threading.Barrier(attempts)
    outcomes: list[str] = []
    lock = threading.Lock()

    def start() -> None:
        try:
            barrier.wait()
            try:
                runs.start_run(brief, helix)
                outcome = "started"
            except quotas.QuotaExceeded:
                outcome = "refused"
            with lock:
                outcomes.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=start) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused"] * (attempts - 3) + ["started"] * 3
    assert Run.objects.filter(brief=brief).count() == 3


@pytest.mark.django_db
def test_retrying_a_failed_run_waits_for_a_free_place_like_a_new_run(client, helix, brief):
    _in_progress(phase2_mab_brief(brief.organisation), 3)
    failed = RunFactory(brief=brief, status=JobStatus.FAILED, error="stopped")
    client.force_login(helix)

    api = _api(helix).post(f"/api/runs/{failed.pk}/retry/")
    page = client.post(f"/runs/{failed.pk}/retry/", follow=True)

    assert api.status_code == 429
    assert api.json()["limit"] == "concurrent_runs"
    assert f"Not retried: {CONCURRENT_MESSAGE}" in page.content.decode()
    failed.refresh_from_db()
    assert failed.status == JobStatus.FAILED
