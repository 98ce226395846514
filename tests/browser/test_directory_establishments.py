"""A buyer widens the directory from contract manufacturers to every FDA-registered
establishment, then to the ancillary ones, at a desktop's and a phone's width; each state passes
axe-core and is a URL with a chip."""

import datetime
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from partners.choices import DataSource
from partners.models import DeaSchedule, Phase, Term
from partners.vocabulary import install_vocabulary
from tests.browser.conftest import axe_violations
from tests.factories import (
    ProviderFactory,
    RegulatoryActionFactory,
    SiteCapabilityFactory,
    SiteFactory,
)

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
# Where screenshots go when asked for (SCREENSHOT_DIR), to be looked at.
SHOTS = os.environ.get("SCREENSHOT_DIR", "")


@pytest.fixture
def catalogue(transactional_db):
    # Each live-server test ends by emptying the tables, the migrated vocabulary included.
    install_vocabulary(Term, Phase, DeaSchedule)
    demo = SiteFactory(
        provider=ProviderFactory(
            name="Rhine Biologics", slug="rhine", kind="cdmo", source=DataSource.DEMO
        ),
        name="Leverkusen",
        source=DataSource.DEMO,
    )
    SiteCapabilityFactory(site=demo, term=Term.objects.get(slug="mab"))
    registered = {"kind": "unclassified", "source": DataSource.FDA_REGISTRATION}
    halol = SiteFactory(
        provider=ProviderFactory(
            name="Halol Pharma", slug="halol-pharma", country="IN", **registered
        ),
        name="Halol Pharma (Halol)",
        country="IN",
        city="Halol",
        fei_number="3002809586",
        duns_number="725959238",
        registered_operations=["ANALYSIS", "MANUFACTURE"],
        source=DataSource.FDA_REGISTRATION,
    )
    RegulatoryActionFactory(
        fei_number="3002809586",
        site=halol,
        action_type="warning-letter",
        action_date=datetime.date(2015, 12, 17),
        case_id="458804",
    )
    SiteFactory(
        provider=ProviderFactory(
            name="Tulsa Gases", slug="tulsa-gases", country="US", **registered
        ),
        name="Tulsa Gases (Tulsa)",
        country="US",
        duns_number="650123452",
        registered_operations=["TRANSFILL"],
        ancillary_only=True,
        source=DataSource.FDA_REGISTRATION,
    )


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("size", SIZES)
def test_a_buyer_widens_the_directory_to_registered_establishments(live_server, page: Page, size):
    page.set_viewport_size(SIZES[size])
    page.goto(f"{live_server.url}/providers/")

    cards = page.locator(".provider-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Demo data")
    expect(page.get_by_label("Contract manufacturers")).to_be_checked()
    expect(page.locator("#f-scope-registered ~ .count")).to_have_text("1")
    assert axe_violations(page) == []
    _shot(page, f"directory-default-{size}")

    page.get_by_label("All FDA-registered establishments").check()

    expect(page).to_have_url(re.compile(r"scope=registered"))
    expect(page.get_by_role("heading", level=1)).to_have_text("FDA-registered establishments")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Halol Pharma")
    expect(cards.first).to_contain_text("FDA registration")
    expect(page.locator(".filter-chip")).to_contain_text("All FDA-registered establishments")
    expect(page.locator("#f-include_ancillary-true ~ .count")).to_have_text("2")
    assert axe_violations(page) == []
    _shot(page, f"directory-registered-{size}")

    page.get_by_label(re.compile("Include medical-gas")).check()

    expect(page).to_have_url(re.compile(r"include_ancillary=true"))
    expect(cards).to_have_count(2)
    expect(page.get_by_role("link", name="Tulsa Gases")).to_be_visible()
    assert axe_violations(page) == []

    page.locator(".filter-chip", has_text="Including").click()

    expect(cards).to_have_count(1)
    page.get_by_role("link", name="Sites", exact=True).click()

    expect(page).to_have_url(re.compile(r"view=sites"))
    rows = page.locator(".site-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("FDA registration")
    assert axe_violations(page) == []
    _shot(page, f"directory-registered-sites-{size}")

    rows.first.get_by_role("link", name="Halol Pharma", exact=True).click()

    expect(page.get_by_role("heading", name="Halol Pharma", level=1)).to_be_visible()
    expect(page.locator(".site-card")).to_contain_text("Registered with FDA for")
    expect(page.locator(".site-card")).to_contain_text("Warning letter")
    assert axe_violations(page) == []
    _shot(page, f"profile-registered-{size}")
