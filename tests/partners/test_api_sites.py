"""The catalogue API's site endpoint: a site with its provider, what it makes, its certificates
with their validity, its compliance score and its latest inspections, in a fixed number of
queries."""

import datetime

import pytest
from django.utils import timezone

from partners.models import Term
from tests.factories import (
    CertificationFactory,
    InspectionFactory,
    ProviderFactory,
    RegulatoryActionFactory,
    SiteCapabilityFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
# The site, its provider, the provider's sites and their modalities, then one per prefetch of
# the site (capabilities, certifications, latest inspections, actions, published 483s, phases,
# DEA schedules).
SITE_QUERIES = 11


@pytest.fixture
def site():
    """A Leverkusen mAb site of Rhine Biologics, which has a second site in Cork."""
    provider = ProviderFactory(slug="rhine", name="Rhine Biologics")
    site = SiteFactory(
        provider=provider,
        name="Leverkusen",
        country="DE",
        fei_number="3001",
        phases=["phase2", "phase3"],
        compliance_state="scored",
        compliance_score=84.5,
    )
    SiteCapabilityFactory(site=site, term=Term.objects.get(slug="mab"), max_volume_l=2000)
    SiteFactory(provider=provider, name="Cork", country="IE")
    return site


def test_a_site_comes_with_its_provider_capabilities_certificates_and_score(client, site):
    CertificationFactory(site=site, kind="eu-gmp", reference="GMP-1")
    CertificationFactory(
        site=site,
        kind="iso-9001",
        authority="",
        reference="ISO-1",
        issued_on=TODAY - 900 * DAY,
        valid_until=TODAY - DAY,
    )

    response = client.get(f"/api/sites/{site.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == site.pk
    assert body["url"] == f"http://testserver/api/sites/{site.pk}/"
    assert body["html_url"] == f"http://testserver/providers/rhine/#site-{site.pk}"
    assert body["name"] == "Leverkusen"
    assert body["country"] == {"code": "DE", "name": "Germany"}
    assert body["phases"] == ["phase2", "phase3"]
    assert body["compliance_score"] == 84.5
    assert body["compliance_state"] == "scored"
    provider = body["provider"]
    assert (provider["slug"], provider["name"], provider["site_count"]) == (
        "rhine",
        "Rhine Biologics",
        2,
    )
    assert provider["modalities"] == ["mab"]
    assert provider["url"] == "http://testserver/api/providers/rhine/"
    assert [(c["slug"], c["max_volume_l"]) for c in body["capabilities"]] == [("mab", 2000.0)]
    validity = {c["reference"]: c["validity"] for c in body["certifications"]}
    assert validity == {"GMP-1": "valid", "ISO-1": "expired"}


def test_a_site_lists_its_latest_inspections_and_counts_them_all(client, site):
    for age in range(12):
        InspectionFactory(fei_number="3001", end_date=TODAY - (age + 1) * 30 * DAY)
    RegulatoryActionFactory(fei_number="3001")

    body = client.get(f"/api/sites/{site.pk}/").json()

    assert body["inspection_count"] == 12
    dates = [inspection["end_date"] for inspection in body["inspections"]]
    assert len(dates) == 10
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == (TODAY - 30 * DAY).isoformat()
    assert len(body["actions"]) == 1


def test_an_unknown_site_is_a_json_404(client, site):
    for pk in (site.pk + 1000, "leverkusen"):
        response = client.get(f"/api/sites/{pk}/")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": f"No site has the id “{pk}”."}


def test_a_site_takes_as_many_queries_with_many_records_as_with_few(
    client, site, django_assert_max_num_queries
):
    with django_assert_max_num_queries(SITE_QUERIES) as few:
        client.get(f"/api/sites/{site.pk}/")
    for slug in ("lyophilized", "peptide"):
        SiteCapabilityFactory(site=site, term=Term.objects.get(slug=slug))
    for n in range(8):
        CertificationFactory(site=site)
        InspectionFactory(fei_number="3001", end_date=TODAY - (n + 1) * DAY)
        RegulatoryActionFactory(fei_number="3001")
        sibling = SiteFactory(provider=site.provider)
        SiteCapabilityFactory(site=sibling, term=Term.objects.get(slug="mab"))

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(f"/api/sites/{site.pk}/")

    assert response.json()["inspection_count"] == 8
    assert response.json()["provider"]["site_count"] == 10
