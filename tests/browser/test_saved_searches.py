"""A buyer saves a directory search in the browser: the control beside the directory follows the
filters, refuses a name already used (saying so beside the field), saves the search watched,
and the "Saved searches" page lists it, stops watching it and deletes it. The directory with the
control, the refused form and the list pass axe-core with no serious or critical violation."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from partners.models import Term
from sourcing import saved_searches
from sourcing.models import SavedSearch
from tests.browser.conftest import look_and_check, sign_in
from tests.factories import (
    ProviderFactory,
    SiteCapabilityFactory,
    SiteFactory,
    UserFactory,
)

SHOTS = Path("/tmp/shots/saved-searches")


@pytest.fixture
def sam(transactional_db):
    """sam, a buyer, with a saved search "EU mAb" already, and a catalogue of two mAb sites."""
    user = UserFactory(username="sam")
    mab = Term.objects.get(slug="mab")
    for name, country in [("Rhine Biologics", "DE"), ("Cork Antibodies", "IE")]:
        site = SiteFactory(provider=ProviderFactory(name=name), country=country)
        SiteCapabilityFactory(site=site, term=mab)
    saved_searches.save_search(user, "modality=mab&region=europe", "EU mAb")
    return user


def test_a_buyer_saves_a_search_and_manages_it(live_server, page: Page, sam):
    base = live_server.url
    sign_in(page, base, "sam")

    # The control follows the filters: a saved search says where it is, a new one offers saving
    page.goto(f"{base}/providers/?modality=mab&region=europe")
    expect(page.locator(".save-search")).to_contain_text("This search is saved as “EU mAb”")
    page.get_by_label("Ireland").check()
    expect(page).to_have_url(re.compile(r"country=IE"))
    control = page.locator(".save-search")
    control.get_by_text("Save this search").click()
    name = control.get_by_label("Name", exact=True)
    expect(name).to_have_value("Monoclonal antibody · Ireland · Europe")
    expect(control).to_contain_text("Filters: Monoclonal antibody · Ireland · Europe")
    look_and_check(page, SHOTS, "saved-search-control")

    # A name already used is refused beside the field
    name.fill("EU mAb")
    control.get_by_role("button", name="Save search").click()
    expect(control.locator(".form-errors")).to_contain_text(
        "Name: You have a saved search named “EU mAb” already: choose another name."
    )
    expect(control.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")
    look_and_check(page, SHOTS, "saved-search-refused")

    control.get_by_label("Name", exact=True).fill("Irish mAb")
    control.get_by_role("button", name="Save search").click()
    expect(control).to_contain_text("Saved as “Irish mAb”, watched for new sites.")
    search = SavedSearch.objects.get(name="Irish mAb")
    assert search.query == "country=IE&modality=mab&region=europe"
    assert len(search.known_site_ids) == 1

    # The list: each search, its link back, watching, deleting
    control.get_by_role("link", name="Your saved searches").click()
    expect(page.get_by_role("heading", name="Saved searches", level=1)).to_be_visible()
    rows = page.locator(".saved-searches-table tbody tr")
    expect(rows).to_have_count(2)
    irish = rows.filter(has_text="Irish mAb")
    expect(irish.locator("td.num")).to_have_text("1")
    look_and_check(page, SHOTS, "saved-search-list")

    irish.get_by_role("button", name="Stop watching Irish mAb").click()
    expect(page.locator(".messages")).to_contain_text("Stopped watching “Irish mAb”.")
    expect(rows.filter(has_text="Irish mAb").get_by_role("button")).to_have_count(2)
    assert SavedSearch.objects.get(name="Irish mAb").watched is False

    rows.filter(has_text="EU mAb").get_by_role("button", name="Delete EU mAb").click()
    expect(page.locator(".messages")).to_contain_text("Deleted the saved search “EU mAb”.")
    expect(rows).to_have_count(1)

    page.get_by_role("link", name="Irish mAb").click()
    expect(page).to_have_url(re.compile(r"/providers/\?country=IE&modality=mab&region=europe$"))
    expect(page.locator(".provider-card")).to_have_count(1)
