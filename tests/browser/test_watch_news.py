"""What `make demo` then `make demo-news` show, in Chromium: FDA's warning letters are loaded
up to a cut-off day, a real establishment with a later letter is on the team's shortlist, and
importing the full letters file tells its members. The buyer signs in, sees the bell's count,
opens the notification and follows it to the letter on the establishment's profile."""

import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from partners.importers.fda.importer import import_fda_file
from partners.models import RegulatoryAction
from sourcing import pipeline
from tests.browser.conftest import look_and_check, sign_in
from tests.factories import MembershipFactory, ShortlistFactory, SiteFactory

SHOTS = Path("/tmp/shots/watch-news")
LETTERS = Path(__file__).resolve().parents[2] / "partners/demo/fda/warning_letters_2025.csv"
CUTOFF = "2025-05-31"


@pytest.fixture
def buyer(transactional_db):
    return MembershipFactory(user__username="buyer", organisation__name="Helix").user


@pytest.fixture
def huahai(buyer):
    """Zhejiang Huahai's establishment, on Helix's shortlist since before FDA's June letter."""
    site = SiteFactory(
        name="Zhejiang Huahai Pharmaceutical Co., Ltd.",
        city="Taizhou",
        country="CN",
        fei_number="3003999190",
        provider__name="Zhejiang Huahai Pharmaceutical Co., Ltd.",
    )
    import_fda_file(LETTERS, until=datetime.date.fromisoformat(CUTOFF))
    shortlist = ShortlistFactory(
        brief=None, organisation=buyer.membership.organisation, title="API second source"
    )
    pipeline.add_sites(shortlist, [site.pk], buyer)
    return site


def test_the_letter_after_the_cut_off_reaches_the_buyer_and_leads_to_the_profile(
    page: Page, live_server, buyer, huahai
):
    assert not RegulatoryAction.objects.filter(site=huahai).exists()

    import_fda_file(LETTERS)  # its commit sends the watch sweep (in-process here)

    letter = RegulatoryAction.objects.get(site=huahai, case_id="707145")
    sign_in(page, live_server.url, "buyer")
    bell = page.get_by_role("link", name="Notifications, 1 unread")
    expect(bell).to_be_visible()

    bell.click()
    notice = page.get_by_role(
        "link", name="Warning letter: Zhejiang Huahai Pharmaceutical Co., Ltd. — Taizhou"
    )
    expect(notice).to_be_visible()
    expect(page.get_by_text("FDA warning letter 707145 dated 2025-06-06")).to_be_visible()
    look_and_check(page, SHOTS, "notifications")

    notice.click()
    page.wait_for_url(f"**/providers/{huahai.provider.slug}/#action-{letter.pk}")
    row = page.locator(f"#action-{letter.pk}")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Warning letter")
    expect(row).to_contain_text("707145")
    expect(row).to_be_in_viewport()
    look_and_check(page, SHOTS, "letter-on-profile")
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
