"""A sponsor whose saved brief prefers North America reads, on the brief's page, that regions now
follow UN M49 and that Mexico and Puerto Rico moved out of it; the brief form says which standard
its regions follow. With accessibility checks and screenshots."""

import importlib
import os

import pytest
from django.apps import apps
from playwright.sync_api import Page, expect

from matching.models import Brief, Membership, Organisation
from partners.models import Term
from partners.regions import REGION_STANDARD
from tests.browser.conftest import axe_violations

PASSWORD = "region-pass-2026"
# Screenshots go outside the repository, for a person to look at.
SHOTS = os.environ.get("SCREENSHOT_DIR", "/tmp")

_migration = importlib.import_module("matching.migrations.0011_brief_notice_m49_regions")


@pytest.fixture
def sponsor(transactional_db, django_user_model):
    organisation = Organisation.objects.create(name="Helix Therapeutics", slug="helix")
    user = django_user_model.objects.create_user("helen", password=PASSWORD)
    Membership.objects.create(user=user, organisation=organisation)
    return user


def test_the_owner_of_a_brief_whose_region_changed_reads_the_note(live_server, page: Page, sponsor):
    brief = Brief.objects.create(
        organisation=sponsor.membership.organisation,
        title="Fill-finish near the US market",
        modality=Term.objects.get(slug="mab"),
        preferred_regions=["north-america"],
    )
    _migration.add_region_notices(apps, None)

    page.goto(f"{live_server.url}/accounts/login/?next=/briefs/{brief.pk}/")
    page.get_by_label("Username").fill("helen")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    note = page.get_by_role("region", name="Changed since this brief was saved")
    expect(note).to_contain_text(
        "Mexico and Puerto Rico moved from North America to Latin America and the Caribbean"
    )
    expect(page.locator(".profile-facts")).to_contain_text(["Northern America"])
    assert axe_violations(page) == []
    page.screenshot(path=f"{SHOTS}/region-notice-brief.png", full_page=True)

    page.get_by_role("link", name="Edit").click()

    regions = page.get_by_role("group", name="Preferred regions")
    expect(regions).to_contain_text(REGION_STANDARD)
    expect(regions.get_by_label("Latin America and the Caribbean")).to_be_visible()
    assert axe_violations(page) == []
    regions.screenshot(path=f"{SHOTS}/region-notice-form.png")
