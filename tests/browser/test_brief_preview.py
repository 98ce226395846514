"""A sponsor signs in, writes a brief, and watches the preview of its best sites change."""

import pytest
from playwright.sync_api import Page, expect

from matching.index import clear_catalogue_index
from matching.models import Membership, Organisation
from partners.models import DeaSchedule, Phase, Term
from partners.vocabulary import install_vocabulary
from tests.factories import (
    CertificationFactory,
    ProviderFactory,
    SiteCapabilityFactory,
    SiteFactory,
)

PASSWORD = "preview-pass-2026"


@pytest.fixture
def sponsor(transactional_db, django_user_model):
    # Each live-server test ends by emptying the tables, the migrated vocabulary included.
    install_vocabulary(Term, Phase, DeaSchedule)
    # The live server shares this process and its cached index; every save below bumps the
    # catalogue version anyway, so this only keeps a stale index from lingering in memory.
    clear_catalogue_index()
    mab = Term.objects.get(slug="mab")
    for name, slug, country, compliance, eu_gmp in [
        ("Rhine Biologics", "rhine-biologics", "DE", 90, True),
        ("Cork Antibodies", "cork", "IE", 70, False),
        ("Basel Bio", "basel-bio", "CH", 50, True),
    ]:
        site = SiteFactory(
            name=f"{name} plant",
            provider=ProviderFactory(name=name, slug=slug),
            country=country,
            compliance_state="scored",
            compliance_score=compliance,
        )
        SiteCapabilityFactory(site=site, term=mab, max_volume_l=5000)
        if eu_gmp:
            CertificationFactory(site=site, kind="eu-gmp")
    organisation = Organisation.objects.create(name="Helix Therapeutics", slug="helix")
    user = django_user_model.objects.create_user("helen", password=PASSWORD)
    Membership.objects.create(user=user, organisation=organisation)
    yield user
    clear_catalogue_index()


def test_sponsor_watches_the_preview_change_as_a_must_have_is_added(
    live_server, page: Page, sponsor
):
    page.goto(f"{live_server.url}/accounts/login/?next=/briefs/new/")
    page.get_by_label("Username").fill("helen")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="New brief")).to_be_visible()

    preview = page.locator("#brief-preview")
    expect(preview).to_contain_text("Choose a modality")

    page.get_by_label("Modality").select_option(label="Monoclonal antibody")

    sites = preview.locator(".preview-site")
    expect(sites).to_have_count(3)
    expect(sites.first).to_contain_text("Rhine Biologics plant")
    expect(preview.locator(".preview-counts")).to_have_text("3 sites eligible, 0 excluded")

    page.get_by_label("EU GMP certificate").check()
    page.locator("input[name=must_haves][value=certifications]").check()

    expect(sites).to_have_count(2)
    expect(preview).not_to_contain_text("Cork Antibodies plant")
    expect(preview.locator(".preview-counts")).to_have_text("2 sites eligible, 1 excluded")
    expect(preview).to_contain_text("Dropping the Certifications must-have would admit 1 more site")

    # The per-criterion lines of a site are one click away.
    sites.first.get_by_text("Why this score").click()
    expect(sites.first.locator(".explanations")).to_contain_text("Certifications (must-have)")
