"""A sponsor reads how the ranking changed between two runs of a brief: from the run page's
link to the comparison, with an accessibility check; and the brief form refusing a brief with
nothing to weigh or test, the errors beside the fields."""

import os

import pytest
from playwright.sync_api import Page, expect

from matching import runs
from matching.index import clear_catalogue_index
from matching.models import Brief, Membership, Organisation
from partners.models import Phase, Term
from tests.browser.conftest import axe_violations
from tests.factories import ProviderFactory, SiteCapabilityFactory, SiteFactory

PASSWORD = "compare-pass-2026"
# Screenshots go outside the repository, for a person to look at.
SHOTS = os.environ.get("SCREENSHOT_DIR", "/tmp")


@pytest.fixture
def sponsor(transactional_db, django_user_model):
    clear_catalogue_index()
    mab = Term.objects.get(slug="mab")
    for name, country, phase, compliance in [
        ("Rhine Biologics", "DE", "phase2", 90),
        ("Cork Antibodies", "IE", "phase2", 70),
        ("Basel Bio", "CH", "phase3", 85),
        ("Lyon Bioprocess", "FR", "phase1", 60),
    ]:
        site = SiteFactory(
            name=f"{name} plant",
            provider=ProviderFactory(name=name),
            country=country,
            phases=[Phase.objects.get(slug=phase)],
            compliance_state="scored",
            compliance_score=compliance,
        )
        SiteCapabilityFactory(site=site, term=mab, max_volume_l=5000)
    organisation = Organisation.objects.create(name="Helix Therapeutics", slug="helix")
    user = django_user_model.objects.create_user("helen", password=PASSWORD)
    Membership.objects.create(user=user, organisation=organisation)
    yield user
    clear_catalogue_index()


def _sign_in(page: Page, live_server, next_url: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill("helen")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _run(brief: Brief):
    run = runs.start_run(brief, None)
    runs.execute_run(run.pk)
    return run


def test_sponsor_follows_the_run_page_to_how_the_ranking_changed(live_server, page: Page, sponsor):
    brief = Brief.objects.create(
        organisation=sponsor.membership.organisation,
        title="Phase 2 mAb",
        modality=Term.objects.get(slug="mab"),
        phase="phase2",
        preferred_countries=["DE"],
        must_haves=["phase"],
    )
    first = _run(brief)
    brief.must_haves = []
    brief.weights = {**brief.weights, "geography": 5}
    brief.save()
    second = _run(brief)

    _sign_in(page, live_server, f"/runs/{second.pk}/")
    page.get_by_role("link", name=f"compare with run {first.pk}").click()

    expect(page.get_by_role("heading", name="How the ranking changed")).to_be_visible()
    expect(page.locator("main")).to_contain_text("The geography weight changed: 3 → 5.")
    entered = page.get_by_role("table").filter(has_text="Why it was not ranked before")
    expect(entered.locator("tbody tr")).to_have_count(2)
    expect(entered).to_contain_text("Must-have Phase")
    page.screenshot(path=f"{SHOTS}/run-comparison.png", full_page=True)
    assert axe_violations(page) == []


def test_the_brief_form_shows_the_guard_rails_beside_the_fields(live_server, page: Page, sponsor):
    _sign_in(page, live_server, "/briefs/new/")
    page.get_by_label("Title").fill("Potent oral")
    page.get_by_label("Modality").select_option(label="Monoclonal antibody")
    page.get_by_label("Batch size").fill("1e30")
    page.locator("input[name=must_haves][value=containment]").check()
    for field in page.locator(".weights input").all():
        field.fill("0")
    page.get_by_role("button", name="Save brief").click()

    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#weights_errors")).to_contain_text("weighs 0")
    expect(page.locator("#id_batch_size_errors")).to_contain_text("100,000 kg or L")
    expect(page.locator("#id_must_haves_errors")).to_contain_text("no OEL to contain")
    page.screenshot(path=f"{SHOTS}/brief-form-guard-rails.png", full_page=True)
    assert axe_violations(page) == []


def test_a_brief_saved_before_the_rules_says_what_to_correct_and_can_be_duplicated(
    live_server, page: Page, sponsor
):
    brief = Brief.objects.create(
        organisation=sponsor.membership.organisation,
        title="Old potent brief",
        modality=Term.objects.get(slug="mab"),
    )
    # Written past the validators, as a brief saved before the rules was.
    Brief.objects.filter(pk=brief.pk).update(
        batch_size=1e30, batch_unit="L", must_haves=["containment"]
    )

    _sign_in(page, live_server, f"/briefs/{brief.pk}/")
    notice = page.locator("#brief-problems")
    expect(notice).to_contain_text("not run until it is corrected")
    expect(notice).to_contain_text("no OEL to contain")
    page.screenshot(path=f"{SHOTS}/brief-problems.png", full_page=True)
    assert axe_violations(page) == []

    page.get_by_role("button", name="Duplicate").click()
    expect(page.get_by_role("heading", name="Edit “Copy of Old potent brief”")).to_be_visible()
    assert Brief.objects.filter(title="Copy of Old potent brief").exists()
