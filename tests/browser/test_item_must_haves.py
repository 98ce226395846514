"""A sponsor makes one certificate of a brief a must-have with the toggle beside it, runs the
brief, and reads the excluded site's reason naming that certificate; with accessibility checks
and screenshots of the form and the run page."""

import os

import pytest
from playwright.sync_api import Page, expect

from matching import runs
from matching.index import clear_catalogue_index
from matching.models import Brief, Membership, Organisation
from partners.models import Term
from tests.browser.conftest import axe_violations
from tests.factories import (
    CertificationFactory,
    ProviderFactory,
    SiteCapabilityFactory,
    SiteFactory,
)

PASSWORD = "item-pass-2026"
# Screenshots go outside the repository, for a person to look at.
SHOTS = os.environ.get("SCREENSHOT_DIR", "/tmp")


@pytest.fixture
def sponsor(transactional_db, django_user_model):
    clear_catalogue_index()
    mab = Term.objects.get(slug="mab")
    for name, country, kinds in [
        ("Rhine Biologics", "DE", ["eu-gmp", "iso-9001"]),
        ("Cork Antibodies", "IE", ["iso-9001"]),
        ("Basel Bio", "CH", ["eu-gmp"]),
    ]:
        site = SiteFactory(
            name=f"{name} plant",
            provider=ProviderFactory(name=name),
            country=country,
            compliance_state="scored",
            compliance_score=80,
        )
        SiteCapabilityFactory(site=site, term=mab, max_volume_l=5000)
        for kind in kinds:
            CertificationFactory(site=site, kind=kind)
    organisation = Organisation.objects.create(name="Helix Therapeutics", slug="helix")
    user = django_user_model.objects.create_user("helen", password=PASSWORD)
    Membership.objects.create(user=user, organisation=organisation)
    yield user
    clear_catalogue_index()


def test_an_item_must_have_set_in_the_form_excludes_the_site_naming_the_item(
    live_server, page: Page, sponsor
):
    brief = Brief.objects.create(
        organisation=sponsor.membership.organisation,
        title="Phase 2 mAb",
        modality=Term.objects.get(slug="mab"),
        required_certifications=["eu-gmp", "iso-9001"],
    )

    page.goto(f"{live_server.url}/accounts/login/?next=/briefs/{brief.pk}/edit/")
    page.get_by_label("Username").fill("helen")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    toggle = page.get_by_role("checkbox", name="Must-have: EU GMP certificate")
    expect(toggle).not_to_be_checked()
    toggle.check()
    # The live preview drops Cork, which holds no EU GMP certificate.
    preview = page.locator("#brief-preview")
    expect(preview).to_contain_text("Dropping the EU GMP certificate must-have would admit 1")
    expect(preview).not_to_contain_text("Cork Antibodies plant")
    # Ticking ISO 9001's must-have alone ticks ISO 9001 too; unticking the item unticks it.
    iso_toggle = page.get_by_role("checkbox", name="Must-have: ISO 9001")
    iso_toggle.check()
    iso_toggle.uncheck()
    assert axe_violations(page) == []
    page.locator("fieldset.item-group").first.scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/item-must-haves-form.png", full_page=True)
    page.locator("fieldset.item-group", has_text="Required certifications").screenshot(
        path=f"{SHOTS}/item-must-haves-certifications.png"
    )
    page.get_by_role("button", name="Save brief").click()

    expect(page.locator(".must-have-items")).to_contain_text("EU GMP certificate")
    brief.refresh_from_db()
    assert brief.must_have_items == {"required_certifications": ["eu-gmp"]}

    run = runs.start_run(brief, None)
    runs.execute_run(run.pk)
    page.goto(f"{live_server.url}/runs/{run.pk}/")

    funnel = page.locator(".run-funnel")
    expect(funnel).to_contain_text("EU GMP certificate")
    excluded = page.get_by_role("row", name="Cork Antibodies plant")
    expect(excluded).to_contain_text("Must-have certificate: holds no valid EU GMP certificate.")
    assert axe_violations(page) == []
    page.screenshot(path=f"{SHOTS}/item-must-haves-run.png", full_page=True)
