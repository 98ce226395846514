"""A sponsor's session ends while a brief is being edited: the live preview shows a banner
instead of drawing the sign-in page inside its panel, and after signing in again the form opens
with the unsaved changes restored, saying so. A refused save's error summary takes the focus
and leads to the field."""

from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import Page, expect

from matching.index import clear_catalogue_index
from partners.models import Term
from tests.factories import PASSWORD, MembershipFactory, SiteCapabilityFactory, SiteFactory

SHOTS = Path("/tmp/shots/a11y")


@pytest.fixture
def sponsor(transactional_db):
    clear_catalogue_index()
    site = SiteFactory(name="Rhine Biologics plant", country="DE")
    SiteCapabilityFactory(site=site, term=Term.objects.get(slug="mab"), max_volume_l=5000)
    member = MembershipFactory(user__username="helen", organisation__name="Helix")
    yield member.user
    clear_catalogue_index()


def _sign_in(page: Page) -> None:
    page.get_by_label("Username").fill("helen")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_an_ended_session_shows_a_banner_and_signing_in_again_restores_the_draft(
    live_server, page: Page, sponsor
):
    page.goto(f"{live_server.url}/accounts/login/?next=/briefs/new/")
    _sign_in(page)
    expect(page.get_by_role("heading", name="New brief")).to_be_visible()
    page.get_by_label("Title").fill("Phase 2 mAb for Europe")
    page.get_by_label("Modality").select_option(label="Monoclonal antibody")
    preview = page.locator("#brief-preview")
    expect(preview.locator(".preview-site")).to_have_count(1)

    # The session ends on the server (expired, or signed out elsewhere) while the form is open.
    Session.objects.all().delete()
    page.get_by_label("Title").fill("Phase 2 mAb for Europe and the US")

    banner = page.locator("#app-alert")
    expect(banner).to_be_visible()
    expect(banner).to_have_text("You were signed out — sign in again")
    expect(preview.locator("form, input[name=password]")).to_have_count(0)
    expect(preview.locator(".preview-site")).to_have_count(1)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "signed-out-banner.png"))

    banner.get_by_role("link", name="sign in again").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/briefs/new/")
    _sign_in(page)

    expect(page.get_by_role("heading", name="New brief")).to_be_visible()
    notice = page.locator(".draft-notice")
    expect(notice).to_contain_text("Restored your unsaved changes from")
    expect(page.get_by_label("Title")).to_have_value("Phase 2 mAb for Europe and the US")
    expect(page.get_by_label("Modality")).to_have_value(str(Term.objects.get(slug="mab").pk))
    expect(preview.locator(".preview-site")).to_have_count(1)
    page.screenshot(path=str(SHOTS / "draft-restored.png"))

    page.get_by_role("button", name="Discard").click()
    expect(notice).to_have_count(0)
    expect(page.get_by_label("Title")).to_have_value("")
    page.reload()
    expect(page.locator(".draft-notice")).to_have_count(0)


def test_a_saved_brief_leaves_no_draft_behind(live_server, page: Page, sponsor):
    page.goto(f"{live_server.url}/accounts/login/?next=/briefs/new/")
    _sign_in(page)
    page.get_by_label("Title").fill("Saved at once")
    page.get_by_label("Modality").select_option(label="Monoclonal antibody")
    expect(page.locator("#brief-preview .preview-site")).to_have_count(1)

    page.get_by_role("button", name="Save brief").click()
    expect(page.get_by_role("heading", name="Saved at once")).to_be_visible()
    page.goto(f"{live_server.url}/briefs/new/")

    expect(page.get_by_label("Title")).to_have_value("")
    expect(page.locator(".draft-notice")).to_have_count(0)


def test_a_csrf_failure_in_the_preview_shows_a_reload_banner(live_server, page: Page, sponsor):
    page.goto(f"{live_server.url}/accounts/login/?next=/briefs/new/")
    _sign_in(page)
    expect(page.get_by_role("heading", name="New brief")).to_be_visible()

    # The browser no longer holds the token the page was drawn with (cookies cleared).
    page.context.clear_cookies(name="csrftoken")
    page.get_by_label("Title").fill("Phase 2 mAb")

    banner = page.locator("#app-alert")
    expect(banner).to_contain_text("This page expired")
    expect(banner.get_by_role("button", name="Reload")).to_be_visible()
    expect(page.locator("#brief-preview")).not_to_contain_text("Forbidden")


def test_a_refused_saves_error_summary_takes_the_focus_and_leads_to_the_field(
    live_server, page: Page, sponsor
):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/?next=/briefs/new/")
    _sign_in(page)
    page.get_by_label("Modality").select_option(label="Monoclonal antibody")
    page.get_by_label("Batch size").fill("-5")

    page.get_by_role("button", name="Save brief").click()

    summary = page.locator("#form-errors")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Title")).to_be_visible()
    page.screenshot(path=str(SHOTS / "error-summary.png"))
    summary.get_by_role("link", name="Batch size").click()
    expect(page.get_by_label("Batch size")).to_be_focused()
