"""Two runs of the same brief compared: which sites entered, left or moved, and why; as a domain
function, a page and an API endpoint, scoped to the organisation."""

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from rest_framework.test import APIClient

from core.choices import JobStatus
from matching import runs
from matching.models import Brief, Run
from matching.run_comparison import ComparisonError, compare_runs, other_done_run
from tests.factories import MembershipFactory, RunFactory
from tests.matching.conftest import mab_site, phase2_mab_brief

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_catalogue_index")]


def _run(brief: Brief, method: str = "weighted") -> Run:
    run = runs.start_run(brief, None, method)
    assert runs.execute_run(run.pk)
    run.refresh_from_db()
    return run


@pytest.fixture
def two_runs(brief, catalogue) -> tuple[Run, Run]:
    """Run 1 of the phase 2 brief (phase a must-have); then the phase must-have dropped, the
    geography weight raised and Cork's compliance record worse; run 2."""
    first = _run(brief)
    brief.must_haves = []
    brief.weights = {**brief.weights, "geography": 5}
    brief.save()
    cork = catalogue["cork"]
    cork.compliance_score = 20
    cork.save()
    return first, _run(brief)


def _by_name(changes) -> dict:
    return {change.site_name: change for change in changes}


# The domain function


def test_sites_that_entered_say_why_they_were_excluded_before(two_runs):
    comparison = compare_runs(*two_runs)

    entered = _by_name(comparison.entered)
    assert set(entered) == {"Basel", "Lyon"}
    assert entered["Basel"].why.startswith(f"Excluded in run {two_runs[0].pk}: Must-have Phase")
    assert entered["Basel"].rank_before is None
    assert entered["Basel"].rank_after is not None
    assert comparison.entered_count == 2
    assert comparison.left == []


def test_a_site_that_moved_names_the_criterion_that_changed_most(two_runs):
    comparison = compare_runs(*two_runs)

    cork = _by_name(comparison.moved)["Cork"]
    assert cork.criterion == "compliance"
    assert cork.why == "Compliance sub-score 0.80 → 0.20."
    assert cork.places is not None
    assert cork.places < 0


def test_the_brief_changes_and_the_catalogue_change_are_read_from_the_runs(two_runs):
    comparison = compare_runs(*two_runs)

    assert "The geography weight changed: 3 → 5." in comparison.reasons
    assert "Phase is no longer a must-have." in comparison.reasons
    assert comparison.catalogue_changed
    assert any(reason.startswith("The catalogue changed") for reason in comparison.reasons)
    assert comparison.brief_edited_between
    assert not comparison.method_changed


def test_the_order_given_does_not_matter(two_runs):
    first, second = two_runs

    forwards, backwards = compare_runs(first, second), compare_runs(second, first)

    assert backwards.before == first
    assert backwards.after == second
    assert _by_name(forwards.entered).keys() == _by_name(backwards.entered).keys()


def test_sites_that_left_say_why_they_are_excluded_now(brief, catalogue):
    brief.must_haves = []
    brief.save()
    first = _run(brief)
    brief.must_haves = ["phase"]
    brief.save()
    second = _run(brief)

    comparison = compare_runs(first, second)

    left = _by_name(comparison.left)
    assert set(left) == {"Basel", "Lyon"}
    assert left["Lyon"].why.startswith(f"Excluded in run {second.pk}: Must-have Phase")
    assert "Phase became a must-have." in comparison.reasons


def test_a_site_new_to_the_catalogue_entered_because_it_was_not_there(brief, catalogue):
    first = _run(brief)
    mab_site("Munich", "DE", "phase2")
    second = _run(brief)

    munich = _by_name(compare_runs(first, second).entered)["Munich"]

    assert munich.why == f"Not in the catalogue when run {first.pk} was made."


def test_a_moved_site_with_unchanged_sub_scores_points_at_the_method(brief, catalogue):
    comparison = compare_runs(_run(brief, "weighted"), _run(brief, "topsis"))

    assert comparison.method_changed
    for change in comparison.moved:
        assert change.criterion is None


def test_two_identical_runs_have_nothing_to_explain(brief, catalogue):
    comparison = compare_runs(_run(brief), _run(brief))

    assert comparison.reasons == []
    assert (comparison.entered, comparison.left, comparison.moved) == ([], [], [])
    assert comparison.unchanged_count == 2


def test_runs_of_different_briefs_are_refused(helix, brief, catalogue):
    other = phase2_mab_brief(helix.membership.organisation)

    with pytest.raises(ComparisonError, match="different briefs"):
        compare_runs(_run(brief), _run(other))


def test_a_run_not_done_is_refused(brief, catalogue):
    queued = RunFactory(brief=brief)

    with pytest.raises(ComparisonError, match="queued: only done runs"):
        compare_runs(_run(brief), queued)


def test_the_other_done_run_is_the_latest_before_else_after(brief, catalogue):
    first = _run(brief)
    assert other_done_run(first) is None
    RunFactory(brief=brief, status=JobStatus.FAILED)
    second = _run(brief)
    third = _run(brief)

    assert other_done_run(third) == second
    assert other_done_run(first) == third


# The page


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_run_page_links_to_the_comparison_when_the_brief_has_another_done_run(helix, two_runs):
    first, second = two_runs

    page = BeautifulSoup(_client(helix).get(f"/runs/{second.pk}/").content, "html.parser")

    link = page.select_one(".run-compare-link a")
    assert link["href"] == f"/runs/{second.pk}/compare/{first.pk}/"


def test_the_run_page_has_no_link_without_another_done_run(helix, brief, catalogue):
    only = _run(brief)

    page = BeautifulSoup(_client(helix).get(f"/runs/{only.pk}/").content, "html.parser")

    assert page.select_one(".run-compare-link") is None


def test_the_comparison_page_lists_the_changes_and_why(helix, two_runs):
    first, second = two_runs

    response = _client(helix).get(f"/runs/{second.pk}/compare/{first.pk}/")

    assert response.status_code == 200
    text = " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())
    assert "The geography weight changed: 3 → 5." in text
    assert "Compliance sub-score 0.80 → 0.20." in text
    assert "Must-have Phase" in text


def test_the_comparison_page_costs_a_fixed_number_of_queries(
    helix, two_runs, django_assert_max_num_queries
):
    first, second = two_runs
    client = _client(helix)
    client.get(f"/runs/{second.pk}/compare/{first.pk}/")
    for n in range(30):
        mab_site(f"Extra {n}", "DE", "phase2")
    third = _run(first.brief)

    with django_assert_max_num_queries(12):
        response = client.get(f"/runs/{third.pk}/compare/{first.pk}/")

    assert response.status_code == 200
    assert len(response.context["comparison"].entered) == 32


def test_runs_of_different_briefs_get_a_400_page_saying_so(helix, brief, catalogue):
    other = phase2_mab_brief(helix.membership.organisation)
    a, b = _run(brief), _run(other)

    response = _client(helix).get(f"/runs/{a.pk}/compare/{b.pk}/")

    assert response.status_code == 400
    assert "different briefs" in response.content.decode()


def test_another_organisations_runs_are_a_404(northwind, two_runs):
    first, second = two_runs

    assert _client(northwind).get(f"/runs/{second.pk}/compare/{first.pk}/").status_code == 404


def test_a_viewer_may_read_the_comparison(two_runs):
    first, second = two_runs
    viewer = MembershipFactory(organisation=first.organisation, role="viewer").user

    assert _client(viewer).get(f"/runs/{second.pk}/compare/{first.pk}/").status_code == 200


def test_anonymous_is_sent_to_sign_in(client, two_runs):
    first, second = two_runs

    response = client.get(f"/runs/{second.pk}/compare/{first.pk}/")

    assert response.status_code == 302
    assert "login" in response["Location"]


# The API


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_api_gives_the_comparison(helix, two_runs, django_assert_max_num_queries):
    first, second = two_runs

    with django_assert_max_num_queries(10):
        response = _api(helix).get(f"/api/runs/{second.pk}/compare/{first.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["before"], body["after"]) == (first.pk, second.pk)
    assert body["entered_count"] == 2
    assert {site["site_name"] for site in body["entered"]} == {"Basel", "Lyon"}
    cork = next(site for site in body["moved"] if site["site_name"] == "Cork")
    assert cork["criterion"] == "compliance"
    assert "The geography weight changed: 3 → 5." in body["reasons"]


def test_the_api_refuses_runs_of_different_briefs_with_a_400(helix, brief, catalogue):
    other = phase2_mab_brief(helix.membership.organisation)
    a, b = _run(brief), _run(other)

    response = _api(helix).get(f"/api/runs/{a.pk}/compare/{b.pk}/")

    assert response.status_code == 400
    assert "different briefs" in response.json()["runs"][0]


def test_the_api_hides_another_organisations_runs(northwind, two_runs):
    first, second = two_runs

    response = _api(northwind).get(f"/api/runs/{second.pk}/compare/{first.pk}/")

    assert response.status_code == 404


def test_the_api_refuses_anonymous(two_runs):
    first, second = two_runs

    response = APIClient().get(f"/api/runs/{second.pk}/compare/{first.pk}/")

    assert response.status_code == 401
