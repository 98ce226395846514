"""A member keeps a brief matching from its page; after a catalogue change the beat job re-runs
it, the page says when and links the comparison, which the member follows. Checked with axe
and screenshotted (to look at)."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from matching import runs
from matching.index import clear_catalogue_index
from matching.models import Brief, Membership, Organisation
from partners.models import Phase, Term
from sourcing import tasks
from sourcing.models import Alert, KeptBrief
from tests.browser.conftest import look_and_check
from tests.factories import ProviderFactory, SiteCapabilityFactory, SiteFactory

PASSWORD = "kept-pass-2026"
SHOTS = Path("/tmp/shots/kept-briefs")


def _mab_site(name: str, country: str, phase: str, compliance: float):
    site = SiteFactory(
        name=f"{name} plant",
        provider=ProviderFactory(name=name),
        country=country,
        phases=[Phase.objects.get(slug=phase)],
        compliance_state="scored",
        compliance_score=compliance,
    )
    SiteCapabilityFactory(site=site, term=Term.objects.get(slug="mab"), max_volume_l=5000)
    return site


@pytest.fixture
def sponsor(transactional_db, django_user_model):
    clear_catalogue_index()
    for name, country, phase, compliance in [
        ("Rhine Biologics", "DE", "phase2", 90),
        ("Cork Antibodies", "IE", "phase2", 70),
        ("Basel Bio", "CH", "phase3", 85),
    ]:
        _mab_site(name, country, phase, compliance)
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


def test_a_member_keeps_a_brief_matching_and_follows_its_rerun_to_the_comparison(
    live_server, page: Page, sponsor
):
    brief = Brief.objects.create(
        organisation=sponsor.membership.organisation,
        title="Phase 2 mAb",
        modality=Term.objects.get(slug="mab"),
        phase="phase2",
        preferred_countries=["DE"],
        must_haves=["phase"],
    )
    first = runs.start_run(brief, sponsor)
    runs.execute_run(first.pk)

    _sign_in(page, live_server, brief.get_absolute_url())
    panel = page.locator("#kept-brief")
    expect(panel).to_contain_text("Not kept matching.")
    panel.get_by_role("button", name="Keep matching").click()

    expect(panel).to_contain_text("Kept matching Re-run when the catalogue changes, at most daily")
    expect(panel).to_contain_text(f"no re-run yet: the next one is compared with run {first.pk}")
    expect(panel.get_by_role("button", name="Stop keeping matching")).to_be_visible()
    assert KeptBrief.objects.get(brief=brief).active

    # A site joins the catalogue and the beat job comes round (its runs run in-process).
    _mab_site("Munich Mabs", "DE", "phase2", 95)
    assert tasks.rerun_kept_briefs() == 1
    rerun = KeptBrief.objects.get(brief=brief).last_run
    assert Alert.objects.get().key == f"brief-rerun:{rerun.pk}"

    page.reload()
    expect(panel).to_contain_text("last re-run")
    page.set_viewport_size({"width": 1280, "height": 900})
    look_and_check(page, SHOTS, "brief-kept")
    panel.get_by_role("link", name=f"run {first.pk}").click()

    expect(page.get_by_role("heading", name="How the ranking changed")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Munich Mabs")
    look_and_check(page, SHOTS, "rerun-comparison")


def test_a_member_stops_keeping_a_brief_from_a_phone(live_server, page: Page, sponsor):
    brief = Brief.objects.create(
        organisation=sponsor.membership.organisation,
        title="Phase 2 mAb",
        modality=Term.objects.get(slug="mab"),
        phase="phase2",
    )
    run = runs.start_run(brief, sponsor)
    runs.execute_run(run.pk)
    from sourcing import kept_briefs

    kept_briefs.keep(brief, sponsor)
    page.set_viewport_size({"width": 390, "height": 844})

    _sign_in(page, live_server, brief.get_absolute_url())
    panel = page.locator("#kept-brief")
    panel.get_by_role("button", name="Stop keeping matching").click()

    expect(panel).to_contain_text("Not kept matching.")
    look_and_check(page, SHOTS, "brief-not-kept-phone")
    assert not KeptBrief.objects.get(brief=brief).active
