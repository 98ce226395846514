"""Sites with no capability data are counted apart in a run's funnel, not as failing the
modality: nobody knows what they make yet."""

import pytest
from bs4 import BeautifulSoup
from django.test import Client

from matching.engine.scoring import MODALITY, NOT_PROFILED, score_catalogue
from partners.choices import DataSource
from partners.models import Site
from tests.factories import SiteFactory
from tests.matching.test_engine import brief, make_index, site


def test_sites_without_capability_data_are_counted_apart_from_those_lacking_the_modality():
    # Given two profiled sites making the modality, one profiled making another, and three
    # registered establishments with no capability on record (one a tester: a service only).
    index = make_index(
        site(1),
        site(2),
        site(3, terms={"mab"}),
        site(4, terms=set()),
        site(5, terms=set()),
        site(6, terms={"qc-release-testing"}),
    )

    outcome = score_catalogue(brief(), index)

    steps = {step.constraint: step for step in outcome.funnel}
    assert [step.constraint for step in outcome.funnel] == [NOT_PROFILED, MODALITY]
    assert (steps[NOT_PROFILED].removed, steps[NOT_PROFILED].removed_alone) == (3, 3)
    assert (steps[MODALITY].removed, steps[MODALITY].removed_alone) == (1, 1)
    assert not steps[NOT_PROFILED].relaxable
    assert outcome.constraint_label(NOT_PROFILED) == "not profiled"
    assert outcome.eligible_site_ids.tolist() == [1, 2]
    assert outcome.exclusion_reason(3) == (
        "Not profiled: no capability on record says what it makes."
    )
    assert outcome.exclusion_reason(2).startswith("Modality: does not make")
    assert outcome.exclusion_reasons(outcome.excluded_rows) == [
        outcome.exclusion_reason(row) for row in outcome.excluded_rows.tolist()
    ]


def test_a_fully_profiled_catalogue_has_no_not_profiled_step():
    outcome = score_catalogue(brief(), make_index(site(1), site(2, terms={"mab"})))

    assert [step.constraint for step in outcome.funnel] == [MODALITY]


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_catalogue_index")
def test_the_run_page_counts_unprofiled_sites_apart_and_marks_demo_sites(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    # Given the mAb catalogue, its Berlin site demo data, and two FDA-registered
    # establishments with no capability on record.
    Site.objects.filter(pk=catalogue["berlin"].pk).update(source=DataSource.DEMO)
    for duns in ("650123451", "650123452"):
        SiteFactory(country="DE", duns_number=duns, source=DataSource.FDA_REGISTRATION)
    client = Client()
    client.force_login(helix)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/briefs/{brief.pk}/runs/", {"method": "weighted"})
    page = BeautifulSoup(client.get(response["Location"]).content, "html.parser")

    def text(node) -> str:
        return " ".join(node.get_text(" ").split())

    funnel = [text(li) for li in page.select(".funnel li")]
    assert funnel[:3] == [
        "Catalogue 7",
        "Not profiled : 2 sites with no capability data, so no modality to match \N{MINUS SIGN}2",
        "Modality none",
    ]
    ranked = {
        r.select_one(".result-name strong").get_text(): text(r.select_one(".result-name"))
        for r in page.select(".result-list .result")
    }
    assert "Demo data" in ranked["Berlin"]
    assert "Demo data" not in ranked["Cork"]
