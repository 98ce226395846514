"""A sponsor reads on a done run's page how much its ranking hangs on the weights: the range of
each weight keeping the leader first, the top three's, the neighbours that tie, and the closest
swaps first; with an accessibility check and a screenshot."""

import os

import pytest
from playwright.sync_api import Page, expect

from matching import runs
from matching.engine.stability import describe
from matching.index import clear_catalogue_index
from matching.models import Brief, Membership, Organisation
from partners.models import Phase, Term
from tests.browser.conftest import axe_violations
from tests.factories import ProviderFactory, SiteCapabilityFactory, SiteFactory

PASSWORD = "stable-pass-2026"
# Screenshots go outside the repository, for a person to look at.
SHOTS = os.environ.get("SCREENSHOT_DIR", "/tmp")


@pytest.fixture
def sponsor(transactional_db, django_user_model):
    clear_catalogue_index()
    mab = Term.objects.get(slug="mab")
    for name, country, phase, compliance in [
        ("Rhine Biologics", "DE", "phase2", 80),
        ("Cork Antibodies", "IE", "phase2", 95),
        # Cork again, added later: the two score the same under every weighting.
        ("Galway Antibodies", "IE", "phase2", 95),
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


def test_sponsor_reads_how_stable_the_ranking_is(live_server, page: Page, sponsor):
    brief = Brief.objects.create(
        organisation=sponsor.membership.organisation,
        title="Phase 2 mAb",
        modality=Term.objects.get(slug="mab"),
        phase="phase2",
        preferred_countries=["DE"],
    )
    run = runs.start_run(brief, None)
    runs.execute_run(run.pk)
    run.refresh_from_db()
    names = dict(run.results.filter(rank__lte=10).values_list("rank", "site_name"))
    expected = describe(run.stability, names)

    page.goto(f"{live_server.url}/accounts/login/?next=/runs/{run.pk}/")
    page.get_by_label("Username").fill("helen")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    section = page.locator("section.run-stability")
    expect(section.get_by_role("heading", name="How stable the ranking is"))
    expect(section.locator(".stability-first")).to_have_text(expected["first"])
    assert expected["first"].startswith(
        "Rhine Biologics plant stays first while the geography weight is between "
    )
    expect(section.locator(".stability-first")).to_contain_text(
        "#2 Cork Antibodies plant overtakes it below"
    )
    expect(section.locator(".stability-top3")).to_have_text(expected["top3"])
    # The twins tie, and the page says which comes first and why, rather than calling them
    # a pair no weight can swap.
    ties = section.locator(".stability-ties li")
    expect(ties).to_have_text(expected["ties"])
    expect(ties).to_have_text(
        [
            "#2 Cork Antibodies plant and #3 Galway Antibodies plant tie whatever the weights, "
            "with the same sub-score on every criterion; Cork Antibodies plant comes first only "
            "because the engine lists equal scores by site id, lowest first."
        ]
    )
    swaps = section.locator(".stability-swaps li")
    expect(swaps).to_have_text(expected["swaps"])
    expect(swaps.first).to_contain_text("#2 Cork Antibodies plant overtakes #1 Rhine Biologics")
    expect(swaps.first).to_contain_text("if the geography weight drops from 3 to below")
    expect(section).not_to_contain_text("Galway Antibodies plant ahead of #2")
    expect(section).not_to_contain_text("Galway Antibodies plant overtakes")
    expect(section).to_contain_text("Exact: the weighted mean changes linearly with each weight.")
    expect(section).to_contain_text("A site overtakes another only by scoring strictly more")

    section.scroll_into_view_if_needed()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=f"{SHOTS}/stability-run-page.png", full_page=True)
    section.screenshot(path=f"{SHOTS}/stability-section.png")
    assert axe_violations(page) == []
