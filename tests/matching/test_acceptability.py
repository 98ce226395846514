"""Rank acceptability of a run (matching/acceptability.py): started for a done run, computed by
a task that is safe to deliver twice, shown on the run's page and in the API."""

import json

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from core.choices import JobStatus
from matching import acceptability, tasks
from matching.choices import Role
from matching.models import Acceptability, Result, Run
from tests.factories import MembershipFactory, RunFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_catalogue_index")]

# Three sites on two weighted criteria (compliance weighs 3, scale 1) and one the brief does
# not weigh: A is best on compliance, B on scale, C in between.
SUBSCORES = {"A": (1.0, 0.0), "B": (0.0, 1.0), "C": (0.6, 0.6)}


def _breakdown(compliance: float, scale: float) -> list[dict]:
    return [
        {
            "criterion": "compliance",
            "sub_score": compliance,
            "weight": 3.0,
            "must_have": False,
            "sentence": ".",
        },
        {
            "criterion": "scale",
            "sub_score": scale,
            "weight": 1.0,
            "must_have": False,
            "sentence": ".",
        },
        {
            "criterion": "geography",
            "sub_score": 1.0,
            "weight": 0.0,
            "must_have": False,
            "sentence": "Not asked.",
        },
    ]


@pytest.fixture
def done_run(brief):
    """A done run of Helix's brief ranking A, C, B (weighted mean under the brief's 3:1)."""
    run = RunFactory(brief=brief, status=JobStatus.DONE, eligible=3, excluded=1)
    for rank, name in enumerate(["A", "C", "B"], start=1):
        Result.objects.create(
            run=run,
            site_name=name,
            provider_name=f"{name} Bio",
            eligible=True,
            rank=rank,
            score=50,
            breakdown=_breakdown(*SUBSCORES[name]),
        )
    Result.objects.create(run=run, site_name="X", eligible=False, reason="Excluded.")
    return run


@pytest.fixture
def vera(helix):
    """A viewer of Helix."""
    return MembershipFactory(
        organisation=helix.membership.organisation, role=Role.VIEWER, user__username="vera"
    ).user


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def _text(node) -> str:
    return " ".join(node.get_text(" ").split())


# The domain


def test_the_shares_are_those_of_the_intervals_of_the_compliance_weight(helix, done_run):
    # Weighting (w, 1 - w) on compliance and scale: A scores w, B 1 - w, C 0.6. A is first for
    # w > 0.6, B for w < 0.4, C in between: shares 0.4, 0.4, 0.2.
    analysis = acceptability.start_analysis(done_run, helix, samples=100_000, seed=3)
    assert tasks.execute_acceptability(analysis.pk) is True

    analysis.refresh_from_db()
    assert (analysis.status, analysis.progress) == (JobStatus.DONE, 100)
    result = analysis.result
    assert [part["criterion"] for part in result["criteria"]] == ["compliance", "scale"]
    first = {site["site_name"]: site["first"] for site in result["sites"]}
    assert first == pytest.approx({"A": 0.4, "C": 0.2, "B": 0.4}, abs=0.01)
    assert all(site["top3"] == 1 and site["top10"] == 1 for site in result["sites"])
    central = {site["site_name"]: site["central_weights"] for site in result["sites"]}
    assert central["A"]["compliance"] == pytest.approx(0.8, abs=0.01)
    assert central["C"]["compliance"] == pytest.approx(0.5, abs=0.01)
    assert central["B"]["compliance"] == pytest.approx(0.2, abs=0.01)


def test_around_the_briefs_weights_the_briefs_leader_leads_most(helix, done_run):
    analysis = acceptability.start_analysis(
        done_run, helix, sampling="around", samples=5000, seed=1
    )
    tasks.execute_acceptability(analysis.pk)

    analysis.refresh_from_db()
    first = {site["site_name"]: site["first"] for site in analysis.result["sites"]}
    assert first["A"] > 0.9


def test_a_run_not_done_is_refused_and_so_are_samples_out_of_range(helix, brief, done_run):
    running = RunFactory(brief=brief, status=JobStatus.RUNNING)
    with pytest.raises(ValidationError) as refused:
        acceptability.start_analysis(running, helix)
    assert "run" in refused.value.message_dict

    for samples in (99, 1_000_001):
        with pytest.raises(ValidationError) as refused:
            acceptability.start_analysis(done_run, helix, samples=samples)
        assert list(refused.value.message_dict) == ["samples"]
    with pytest.raises(ValidationError) as refused:
        acceptability.start_analysis(done_run, helix, sampling="gaussian", seed=-1)
    assert set(refused.value.message_dict) == {"sampling", "seed"}
    assert not Acceptability.objects.exists()


def test_starting_the_same_analysis_while_it_runs_gives_that_one(helix, done_run):
    first = acceptability.start_analysis(done_run, helix, samples=1000, seed=2)
    again = acceptability.start_analysis(done_run, helix, samples=1000, seed=2)
    other = acceptability.start_analysis(done_run, helix, samples=1000, seed=3)

    assert again.pk == first.pk
    assert other.pk != first.pk


def test_running_the_task_twice_computes_once_and_a_rerun_stores_the_same(helix, done_run):
    analysis = acceptability.start_analysis(done_run, helix, samples=2000, seed=9)

    assert tasks.execute_acceptability(analysis.pk) is True
    analysis.refresh_from_db()
    stored = analysis.result
    # A second delivery: done, nothing redone.
    assert tasks.execute_acceptability(analysis.pk) is False
    analysis.refresh_from_db()
    assert (analysis.attempts, analysis.result) == (1, stored)
    # Forced to run again (a redelivery after a takeover): the same result.
    Acceptability.objects.filter(pk=analysis.pk).update(status=JobStatus.QUEUED)
    assert tasks.execute_acceptability(analysis.pk) is True
    analysis.refresh_from_db()
    assert analysis.result == stored
    assert analysis.attempts == 2


def test_a_running_analysis_with_a_fresh_heartbeat_is_left_alone_and_a_stale_one_taken_over(
    helix, done_run
):
    from django.utils import timezone

    analysis = acceptability.start_analysis(done_run, helix, samples=500)
    Acceptability.objects.filter(pk=analysis.pk).update(
        status=JobStatus.RUNNING, attempts=1, heartbeat_at=timezone.now()
    )
    assert tasks.execute_acceptability(analysis.pk) is False

    Acceptability.objects.filter(pk=analysis.pk).update(
        heartbeat_at=timezone.now() - acceptability.stale_after() * 2
    )
    assert tasks.execute_acceptability(analysis.pk) is True
    analysis.refresh_from_db()
    assert (analysis.status, analysis.attempts) == (JobStatus.DONE, 2)


def test_a_gone_analysis_is_no_work():
    assert tasks.execute_acceptability(123456) is False


def test_the_subscores_come_from_one_query(helix, done_run, django_assert_num_queries):
    with django_assert_num_queries(1):
        sites, criteria, matrix, weights = acceptability.subscore_matrix(done_run)

    assert [site["site_name"] for site in sites] == ["A", "C", "B"]
    assert criteria == ["compliance", "scale"]
    assert matrix.tolist() == [[1.0, 0.0], [0.6, 0.6], [0.0, 1.0]]
    assert weights.tolist() == [3.0, 1.0]


def test_a_real_run_is_analysed_over_its_eligible_sites(helix, brief, catalogue):
    run = RunFactory(brief=brief)
    tasks.execute_run(run.pk)
    run.refresh_from_db()
    analysis = acceptability.start_analysis(run, helix, samples=300)

    tasks.execute_acceptability(analysis.pk)

    analysis.refresh_from_db()
    assert analysis.status == JobStatus.DONE
    assert analysis.result["eligible"] == run.eligible == 2
    assert sum(site["first"] for site in analysis.result["sites"]) == pytest.approx(1)


# The run's page


def test_a_member_starts_an_analysis_and_reads_its_table(
    helix, done_run, django_capture_on_commit_callbacks
):
    client = _client(helix)
    page = _soup(client.get(f"/runs/{done_run.pk}/"))
    form = page.select_one("form.acceptability-form")
    assert form["action"] == f"/runs/{done_run.pk}/acceptability/"
    assert "No analysis yet." in _text(page.select_one("#acceptability"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/runs/{done_run.pk}/acceptability/",
            {"sampling": "uniform", "samples": "20000", "seed": "4"},
        )
    assert response.status_code == 302
    assert response["Location"] == f"/runs/{done_run.pk}/#acceptability"

    page = _soup(client.get(f"/runs/{done_run.pk}/"))
    rows = [_text(row) for row in page.select(".acceptability-table tbody tr")]
    assert rows[0].startswith("1 A A Bio 40.")
    assert rows[0].endswith("% 100.0 % 100.0 %")
    assert [row.split()[1] for row in rows] == ["A", "C", "B"]
    leaders = [_text(row) for row in page.select(".acceptability-leaders tbody tr")]
    assert leaders[0] == "The brief's weights 75.0 % 25.0 %"
    assert len(leaders) == 4


def test_the_htmx_form_answers_with_the_section_and_errors_beside_their_fields(
    helix, done_run, django_capture_on_commit_callbacks
):
    client = _client(helix)
    response = client.post(
        f"/runs/{done_run.pk}/acceptability/",
        {"sampling": "uniform", "samples": "50", "seed": "x"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    section = _soup(response)
    assert "Between 100 and 1,000,000" in _text(section.select_one("#acceptability-samples-errors"))
    assert "A whole number" in _text(section.select_one("#acceptability-seed-errors"))

    Acceptability.objects.all().delete()
    response = client.post(
        f"/runs/{done_run.pk}/acceptability/",
        {"sampling": "around", "samples": "1000", "seed": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    state = _soup(response).select_one("#acceptability-state")
    # Sent after commit, so still queued when the section is rendered: it polls.
    assert state["hx-get"] == f"/runs/{done_run.pk}/acceptability/progress/"
    assert "Waiting for a worker" in _text(state)


def test_the_progress_fragment_polls_while_running_then_shows_the_table(helix, done_run):
    client = _client(helix)
    analysis = acceptability.start_analysis(done_run, helix, samples=1000)
    Acceptability.objects.filter(pk=analysis.pk).update(status=JobStatus.RUNNING, progress=40)

    state = _soup(client.get(f"/runs/{done_run.pk}/acceptability/progress/")).select_one(
        "#acceptability-state"
    )
    assert state.has_attr("hx-get")
    assert state.select_one("[role=progressbar]")["aria-valuenow"] == "40"

    Acceptability.objects.filter(pk=analysis.pk).update(status=JobStatus.QUEUED)
    tasks.execute_acceptability(analysis.pk)
    state = _soup(client.get(f"/runs/{done_run.pk}/acceptability/progress/")).select_one(
        "#acceptability-state"
    )
    assert not state.has_attr("hx-get")
    assert len(state.select(".acceptability-table tbody tr")) == 3


def test_a_viewer_reads_the_analysis_but_may_not_start_one(vera, helix, done_run):
    analysis = acceptability.start_analysis(done_run, helix, samples=500)
    tasks.execute_acceptability(analysis.pk)
    client = _client(vera)

    page = _soup(client.get(f"/runs/{done_run.pk}/"))
    assert page.select_one("form.acceptability-form") is None
    assert len(page.select(".acceptability-table tbody tr")) == 3
    assert client.get(f"/runs/{done_run.pk}/acceptability/progress/").status_code == 200
    response = client.post(f"/runs/{done_run.pk}/acceptability/", {"samples": "500"})
    assert response.status_code == 403
    assert Acceptability.objects.count() == 1


def test_another_organisation_and_anonymous_get_nothing(northwind, done_run):
    client = _client(northwind)
    assert client.get(f"/runs/{done_run.pk}/acceptability/progress/").status_code == 404
    assert client.post(f"/runs/{done_run.pk}/acceptability/", {"samples": "500"}).status_code == 404

    anonymous = Client()
    assert anonymous.get(f"/runs/{done_run.pk}/acceptability/progress/").status_code == 302
    assert (
        anonymous.post(f"/runs/{done_run.pk}/acceptability/", {"samples": "500"}).status_code == 302
    )
    assert not Acceptability.objects.exists()


def test_the_page_sends_no_more_queries_for_an_analysis_with_many_sites(
    helix, brief, done_run, django_assert_max_num_queries
):
    analysis = acceptability.start_analysis(done_run, helix, samples=500)
    tasks.execute_acceptability(analysis.pk)
    client = _client(helix)
    with django_assert_max_num_queries(4):
        client.get(f"/runs/{done_run.pk}/acceptability/progress/")


# The API


def test_the_api_starts_an_analysis_and_reads_its_result(
    helix, done_run, django_capture_on_commit_callbacks
):
    client = APIClient()
    client.force_authenticate(helix)
    url = f"/api/runs/{done_run.pk}/acceptability/"
    assert client.get(url).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"samples": 10_000, "seed": 5}, format="json")
    assert response.status_code == 202
    assert response["Location"].endswith(url)
    assert response.json()["status"] == "queued"

    body = client.get(url).json()
    assert (body["status"], body["sampling"], body["samples"], body["seed"]) == (
        "done",
        "uniform",
        10_000,
        5,
    )
    sites = body["result"]["sites"]
    assert [site["site_name"] for site in sites] == ["A", "C", "B"]
    assert sites[0]["first"] == pytest.approx(0.4, abs=0.02)
    assert set(sites[0]["central_weights"]) == {"compliance", "scale"}
    json.dumps(body)


def test_the_api_refuses_bad_input_a_run_not_done_viewers_and_outsiders(
    helix, vera, northwind, brief, done_run
):
    client = APIClient()
    client.force_authenticate(helix)
    url = f"/api/runs/{done_run.pk}/acceptability/"
    response = client.post(url, {"samples": 50, "sampling": "gaussian"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"samples", "sampling"}

    running = RunFactory(brief=brief, status=JobStatus.RUNNING)
    response = client.post(f"/api/runs/{running.pk}/acceptability/", {}, format="json")
    assert response.status_code == 409
    assert "running" in response.json()["detail"]

    client.force_authenticate(vera)
    assert client.post(url, {}, format="json").status_code == 403
    client.force_authenticate(northwind)
    assert client.post(url, {}, format="json").status_code == 404
    assert client.get(url).status_code == 404
    client.force_authenticate(None)
    assert client.post(url, {}, format="json").status_code == 401
    assert client.get(url).status_code == 401
    assert not Acceptability.objects.exists()
    assert Run.objects.count() == 2
