"""A sponsor whose organisation already has its three runs in progress reads, on the brief's page,
why no run starts, next to a Run match button that is disabled; a run asked for all the same is
refused. With the accessibility check and a screenshot."""

import os

from playwright.sync_api import Page, expect

from core.choices import JobStatus
from matching.models import Brief, Membership, Organisation, Run
from partners.models import Term
from tests.browser.conftest import axe_violations

PASSWORD = "quota-pass-2026"
SHOTS = os.environ.get("SCREENSHOT_DIR", "/tmp")
MESSAGE = "Your organisation has 3 runs in progress; the limit is 3. Try again when one finishes."


def test_the_brief_page_says_the_organisation_is_at_its_limit_of_runs(
    live_server, page: Page, django_user_model, settings
):
    settings.MATCHING_MAX_CONCURRENT_RUNS = 3
    organisation = Organisation.objects.create(name="Helix Therapeutics", slug="helix")
    user = django_user_model.objects.create_user("helen", password=PASSWORD)
    Membership.objects.create(user=user, organisation=organisation)
    mab = Term.objects.get(slug="mab")
    brief = Brief.objects.create(organisation=organisation, title="Phase 2 mAb", modality=mab)
    busy = Brief.objects.create(organisation=organisation, title="Fill-finish", modality=mab)
    for _ in range(3):
        Run.objects.create(brief=busy, organisation=organisation, status=JobStatus.QUEUED)

    page.goto(f"{live_server.url}/accounts/login/?next=/briefs/{brief.pk}/")
    page.get_by_label("Username").fill("helen")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.locator("#run-quota")).to_have_text(MESSAGE)
    run_match = page.get_by_role("button", name="Run match")
    expect(run_match).to_be_disabled()
    expect(run_match).to_have_accessible_description(MESSAGE)
    expect(page.get_by_text(MESSAGE)).to_have_count(1)
    assert axe_violations(page) == []
    page.screenshot(path=f"{SHOTS}/run-quota-brief.png", full_page=True)

    # A request sent all the same (here: the button enabled by hand) is refused by the server.
    run_match.evaluate("button => button.removeAttribute('disabled')")
    run_match.click()

    expect(page).to_have_url(f"{live_server.url}/briefs/{brief.pk}/")
    expect(page.locator(".messages")).to_contain_text(f"Not run: {MESSAGE}")
    assert not Run.objects.filter(brief=brief).exists()
