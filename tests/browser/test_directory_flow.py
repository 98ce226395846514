"""A sponsor narrows the directory with two facets, then opens a profile and its timeline."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from partners.models import DeaSchedule, Phase, Term
from partners.vocabulary import install_vocabulary
from tests.factories import (
    CertificationFactory,
    InspectionFactory,
    ProviderFactory,
    SiteCapabilityFactory,
    SiteFactory,
)


@pytest.fixture
def catalogue(transactional_db):
    # Each live-server test ends by emptying the tables, the migrated vocabulary included.
    install_vocabulary(Term, Phase, DeaSchedule)
    today = timezone.localdate()
    mab, api = Term.objects.get(slug="mab"), Term.objects.get(slug="small-molecule-api")
    rhine = SiteFactory(
        provider=ProviderFactory(name="Rhine Biologics", slug="rhine-biologics"),
        country="DE",
        fei_number="3001234567",
    )
    SiteCapabilityFactory(site=rhine, term=mab, max_volume_l=12000)
    CertificationFactory(
        site=rhine, kind="eu-gmp", valid_until=today + datetime.timedelta(days=700)
    )
    InspectionFactory(
        fei_number="3001234567", classification="VAI", end_date=datetime.date(2023, 3, 2)
    )
    InspectionFactory(
        fei_number="3001234567", classification="NAI", end_date=datetime.date(2019, 6, 1)
    )
    cork = SiteFactory(provider=ProviderFactory(name="Cork Antibodies", slug="cork"), country="IE")
    SiteCapabilityFactory(site=cork, term=mab, max_volume_l=2000)
    ganges = SiteFactory(
        provider=ProviderFactory(name="Ganges Chemicals", slug="ganges"), country="IN"
    )
    SiteCapabilityFactory(site=ganges, term=api, max_batch_kg=500)
    CertificationFactory(
        site=ganges, kind="eu-gmp", valid_until=today + datetime.timedelta(days=350)
    )


def _count(page: Page, facet: str, value: str):
    return page.locator(f"#f-{facet}-{value} ~ .count")


@pytest.mark.usefixtures("catalogue")
def test_sponsor_narrows_the_directory_and_reads_a_profile(live_server, page: Page):
    page.goto(f"{live_server.url}/providers/")
    expect(page.locator(".provider-card")).to_have_count(3)
    expect(_count(page, "certification", "eu-gmp")).to_have_text("2")

    page.get_by_label("Monoclonal antibody").check()

    expect(page).to_have_url(re.compile(r"modality=mab"))
    expect(page.locator(".provider-card")).to_have_count(2)
    # Under the mAb filter only Rhine holds EU GMP at a mAb site.
    expect(_count(page, "certification", "eu-gmp")).to_have_text("1")

    page.get_by_label("EU GMP certificate").check()

    expect(page).to_have_url(re.compile(r"modality=mab.*certification=eu-gmp"))
    expect(page.locator(".provider-card")).to_have_count(1)
    expect(page.locator(".results .total")).to_contain_text("1 provider")
    # Disjunctive: the modality facet is counted without the modality filter, so it shows what
    # another modality would add (Ganges makes small molecules under EU GMP), not zero.
    expect(_count(page, "modality", "mab")).to_have_text("1")
    expect(_count(page, "modality", "small-molecule-api")).to_have_text("1")

    page.get_by_role("link", name="Rhine Biologics").click()

    expect(page).to_have_url(re.compile(r"/providers/rhine-biologics/$"))
    expect(page.get_by_role("heading", name="Rhine Biologics", level=1)).to_be_visible()
    timeline = page.locator("svg.timeline-chart")
    expect(timeline).to_be_visible()
    expect(timeline.locator("title", has_text="VAI")).to_have_count(1)


@pytest.mark.usefixtures("catalogue")
def test_directory_state_is_a_url_a_colleague_can_open(live_server, page: Page):
    page.goto(f"{live_server.url}/providers/?modality=mab&country=IE")

    expect(page.locator(".provider-card")).to_have_count(1)
    expect(page.get_by_label("Monoclonal antibody")).to_be_checked()
    expect(page.get_by_role("link", name="Cork Antibodies")).to_be_visible()
