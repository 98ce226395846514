"""A sponsor reads a done run: each ranked site's verdict per requirement, how many sites meet
every requirement, the score histogram and what making phase or scale a must-have would do."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from matching.index import clear_catalogue_index
from matching.models import Brief, Membership, Organisation, Run
from matching.runs import execute_run
from partners.models import Phase, Term
from tests.browser.conftest import axe_violations
from tests.factories import ProviderFactory, SiteCapabilityFactory, SiteFactory

PASSWORD = "verdicts-pass-2026"
# Screenshots land here when set (looked at by hand), else in the test's temporary folder.
SHOTS = os.environ.get("VERDICT_SHOTS", "")


@pytest.fixture
def done_run(transactional_db, django_user_model):
    """A phase 2, 2,000 L mAb brief stated softly, run over five full fits and a
    Commercial-only 200 L site."""
    clear_catalogue_index()
    mab = Term.objects.get(slug="mab")
    sites = [
        ("Rhine Biologics", "DE", "phase2", 92, 4000),
        ("Elbe Antibodies", "DE", "phase2", 88, 2000),
        ("Main Bio", "DE", "phase2", 85, 3000),
        ("Oder Biologics", "DE", "phase2", 80, 2000),
        ("Weser Bio", "DE", "phase2", 75, 6000),
        ("Pune Pharma", "IN", "commercial", 66, 200),
    ]
    for name, country, phase, compliance, volume in sites:
        site = SiteFactory(
            name=f"{name} plant",
            provider=ProviderFactory(name=name),
            country=country,
            phases=[Phase.objects.get(slug=phase)],
            compliance_state="scored",
            compliance_score=compliance,
        )
        SiteCapabilityFactory(site=site, term=mab, max_volume_l=volume)
    organisation = Organisation.objects.create(name="Helix Therapeutics", slug="helix")
    user = django_user_model.objects.create_user("helen", password=PASSWORD)
    Membership.objects.create(user=user, organisation=organisation)
    brief = Brief.objects.create(
        organisation=organisation,
        created_by=user,
        title="Phase 2 mAb, 2,000 L",
        modality=mab,
        phase="phase2",
        batch_size=2000,
        batch_unit="L",
        preferred_countries=["DE"],
    )
    run = Run.objects.create(brief=brief, organisation=organisation)
    assert execute_run(run.pk)
    yield run
    clear_catalogue_index()


def _shot(page: Page, tmp_path, name: str) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    page.screenshot(path=folder / f"verdicts-{name}.png", full_page=True)


def test_a_done_runs_page_gives_verdicts_the_summary_and_the_histogram(
    live_server, page: Page, done_run, tmp_path
):
    page.goto(f"{live_server.url}/accounts/login/?next=/runs/{done_run.pk}/")
    page.get_by_label("Username").fill("helen")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="How the sites fit the brief")).to_be_visible()

    summary = page.locator(".run-summary")
    expect(summary).to_contain_text("5 of 6 eligible sites meet every requirement you stated")
    expect(summary).to_contain_text("make Phase 2 a must-have: \N{MINUS SIGN}1 site")
    expect(summary).to_contain_text("make 2,000 L scale a must-have: \N{MINUS SIGN}1 site")
    # Five meet everything: what separates them, by compliance first.
    expect(page.locator(".separated-table tbody tr").first).to_contain_text("Rhine Biologics")

    pune = page.locator(".result", has_text="Pune Pharma plant")
    fit = page.locator(".result", has_text="Rhine Biologics plant")
    pune_verdicts = pune.get_by_role("list", name="Requirements of the brief, for Pune Pharma")
    expect(pune_verdicts).to_contain_text("Phase: does not")
    expect(pune_verdicts).to_contain_text("Scale: does not")
    expect(fit.locator(".verdicts")).to_contain_text("Phase: meets")
    expect(fit.locator(".verdicts")).to_contain_text("Scale: meets")
    expect(pune.locator(".key-facts")).to_contain_text("Max 200 L for a 2,000 L batch")
    score = float(pune.locator(".score-num").inner_text())
    assert score < float(fit.locator(".score-num").inner_text()) - 20

    histogram = page.get_by_role("img", name="Score distribution")
    expect(histogram).to_be_visible()
    expect(page.locator("#histogram-text")).to_contain_text("Scores of the 6 eligible sites")
    page.get_by_text("The counts as a table").click()
    expect(page.locator(".histogram-table tbody tr")).to_have_count(20)

    assert axe_violations(page) == []
    _shot(page, tmp_path, "desktop")

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, tmp_path, "phone")

    pune.get_by_role("link", name="The site on its profile").click()
    expect(page.locator(".site-card:target")).to_contain_text("Pune Pharma plant")
