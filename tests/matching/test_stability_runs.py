"""A run's stability as it is stored, shown on the run's page and given by the run endpoint:
in today's form for new runs, and for runs stored before ties were told apart, read in
today's terms."""

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from rest_framework.test import APIClient

from matching.models import Run
from partners.models import Site
from tests.factories import RunFactory
from tests.matching.conftest import mab_site
from tests.matching.test_stability import LEGACY_TOPSIS, LEGACY_WEIGHTED


def _done_run(user, brief, django_capture_on_commit_callbacks, method="weighted"):
    client = Client()
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/briefs/{brief.pk}/runs/", {"method": method})
    return client, Run.objects.get()


@pytest.fixture
def cork_more_compliant(catalogue):
    """Cork has the better record and Berlin the preferred country:
    D = 3(0.80 - 0.95) + 3(1 - 0.5) = 1.05, so Cork overtakes below a geography weight of 0.9."""
    Site.objects.filter(pk=catalogue["cork"].pk).update(compliance_score=95)
    return catalogue


def _text(element):
    return " ".join(element.get_text(" ").split())


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_catalogue_index", "cork_more_compliant")
def test_a_run_stores_its_stability(helix, brief, django_capture_on_commit_callbacks):
    _, run = _done_run(helix, brief, django_capture_on_commit_callbacks)

    assert run.stability["version"] == 2
    geography = next(c for c in run.stability["criteria"] if c["criterion"] == "geography")
    assert geography == {
        "criterion": "geography",
        "weight": 3.0,
        "low": 0.9,
        "high": 5.0,
        "top3_low": None,
        "top3_high": None,
        "low_by": 2,
        "high_by": None,
        "low_ties": 0,
        "high_ties": 0,
        "top3_low_ties": None,
        "top3_high_ties": None,
    }
    assert run.stability["pairs"] == [
        {
            "upper_rank": 1,
            "lower_rank": 2,
            "criterion": "geography",
            "weight": 3.0,
            "swap_at": 0.9,
            "direction": "down",
            "tied": False,
            "always_tied": False,
            "tie_break": None,
        }
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_catalogue_index", "cork_more_compliant")
def test_the_run_page_says_how_stable_the_ranking_is(
    helix, brief, django_capture_on_commit_callbacks
):
    client, run = _done_run(helix, brief, django_capture_on_commit_callbacks)

    page = BeautifulSoup(client.get(f"/runs/{run.pk}/").content, "html.parser")

    section = page.select_one(".run-stability")
    assert _text(section.select_one(".stability-first")) == (
        "Berlin stays first while the geography weight is between 0.9 and 5 (it is 3; #2 Cork "
        "overtakes it below 0.9); every other weight can take any value from 0 to 5."
    )
    assert [li.get_text() for li in section.select(".stability-swaps li")] == [
        "#2 Cork overtakes #1 Berlin if the geography weight drops from 3 to below 0.9."
    ]
    assert section.select(".stability-ties li") == []


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_catalogue_index", "cork_more_compliant")
def test_sites_that_score_the_same_are_told_as_tied_on_the_page_and_in_the_api(
    helix, brief, django_capture_on_commit_callbacks
):
    # Dresden is Berlin again: same country, phase, scale and record; Berlin's id is lower.
    mab_site("Dresden", "DE", "phase2")
    client, run = _done_run(helix, brief, django_capture_on_commit_callbacks)

    page = BeautifulSoup(client.get(f"/runs/{run.pk}/").content, "html.parser")
    section = page.select_one(".run-stability")
    assert [li.get_text() for li in section.select(".stability-ties li")] == [
        "#1 Berlin and #2 Dresden tie whatever the weights, with the same sub-score on every "
        "criterion; Berlin comes first only because the engine lists equal scores by site id, "
        "lowest first."
    ]
    assert "Dresden ahead of #1 Berlin" not in _text(section)
    assert "Dresden overtakes" not in _text(section)

    api = APIClient()
    api.force_authenticate(helix)
    pair = api.get(f"/api/runs/{run.pk}/").json()["stability"]["pairs"][0]
    assert pair | {"upper_rank": 1, "lower_rank": 2} == pair
    assert (pair["tied"], pair["always_tied"], pair["tie_break"], pair["criterion"]) == (
        True,
        True,
        "site id",
        None,
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_catalogue_index", "cork_more_compliant")
def test_the_run_endpoint_gives_the_stability(helix, brief, django_capture_on_commit_callbacks):
    _, run = _done_run(helix, brief, django_capture_on_commit_callbacks)
    api = APIClient()
    api.force_authenticate(helix)

    stability = api.get(f"/api/runs/{run.pk}/").json()["stability"]

    assert stability["version"] == 2
    assert stability["method"] == "weighted"
    assert stability["precision"] is None
    assert stability["scale"] == [0, 5]
    assert (
        stability["pairs"][0] | {"swap_at": 0.9, "direction": "down", "tied": False}
        == (stability["pairs"][0])
    )
    assert {c["criterion"] for c in stability["criteria"]} >= {"compliance", "geography"}
    geography = next(c for c in stability["criteria"] if c["criterion"] == "geography")
    assert (geography["low_by"], geography["low_ties"]) == (2, 0)


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_catalogue_index", "cork_more_compliant")
def test_a_topsis_run_stores_and_shows_its_stability(
    helix, brief, django_capture_on_commit_callbacks
):
    client, run = _done_run(helix, brief, django_capture_on_commit_callbacks, method="topsis")

    assert run.stability["version"] == 2
    assert run.stability["precision"] == 0.01
    section = BeautifulSoup(client.get(f"/runs/{run.pk}/").content, "html.parser").select_one(
        ".run-stability"
    )
    assert _text(section.select_one(".stability-first")).startswith(
        "Berlin stays first while the geography weight is between "
    )
    assert "to within 0.01 of a weight point" in _text(section)


@pytest.mark.django_db
def test_a_run_not_done_has_no_stability_in_the_api(helix, brief):
    run = RunFactory(brief=brief)
    api = APIClient()
    api.force_authenticate(helix)

    assert api.get(f"/api/runs/{run.pk}/").json()["stability"] is None


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_catalogue_index", "cork_more_compliant")
@pytest.mark.parametrize("legacy", [LEGACY_WEIGHTED, LEGACY_TOPSIS], ids=["weighted", "topsis"])
def test_a_run_stored_before_ties_were_told_apart_still_renders_and_reads_alike(
    helix, brief, django_capture_on_commit_callbacks, legacy
):
    client, run = _done_run(helix, brief, django_capture_on_commit_callbacks)
    Run.objects.filter(pk=run.pk).update(stability=legacy, method=legacy["method"])

    page = client.get(f"/runs/{run.pk}/")
    section = BeautifulSoup(page.content, "html.parser").select_one(".run-stability")
    assert page.status_code == 200
    # Berlin is #1 and Cork #2 in this run; the stored sentences name them by rank.
    assert _text(section.select_one(".stability-first")) == (
        "Berlin stays first whatever the weights, each from 0 to 5."
    )
    assert "overtakes #1" not in _text(section)

    api = APIClient()
    api.force_authenticate(helix)
    stability = api.get(f"/api/runs/{run.pk}/").json()["stability"]
    assert stability["version"] == 2
    first = stability["pairs"][0]
    assert (first["criterion"], first["swap_at"], first["tied"]) == (None, None, False)
    assert all(c["low_by"] is None and c["low_ties"] is None for c in stability["criteria"])
