"""A sponsor signs in, writes a brief, watches the preview of its best sites change, runs the
match, follows its progress bar and reads the explained results."""

from unittest import mock

import pytest
from playwright.sync_api import Page, expect

from core.choices import JobStatus
from matching.index import clear_catalogue_index
from matching.models import Membership, Organisation, Run
from matching.runs import execute_run
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


def test_sponsor_writes_a_brief_previews_it_runs_the_match_and_reads_the_results(
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

    page.get_by_label("EU GMP certificate", exact=True).check()
    page.get_by_label("Must-have: EU GMP certificate").check()

    expect(sites).to_have_count(2)
    expect(preview).not_to_contain_text("Cork Antibodies plant")
    expect(preview.locator(".preview-counts")).to_have_text("2 sites eligible, 1 excluded")
    expect(preview).to_contain_text(
        "Dropping the EU GMP certificate must-have would admit 1 more site"
    )

    # The per-criterion lines of a site are one click away.
    sites.first.get_by_text("Why this score").click()
    expect(sites.first.locator(".explanations")).to_contain_text(
        "Certifications: holds every required certification valid (EU GMP certificate, a must-have)"
    )

    # Saved, the brief is run. The task queue is held here so that the run stays queued
    # until this test plays the worker, one step at a time.
    page.get_by_label("Title").fill("Phase 2 mAb, EU GMP")
    page.get_by_role("button", name="Save brief").click()
    expect(page.get_by_role("heading", name="Phase 2 mAb, EU GMP")).to_be_visible()
    sent = []
    with mock.patch(
        "matching.tasks.execute_run.apply_async", side_effect=lambda args: sent.append(args[0])
    ):
        page.get_by_role("button", name="Run match").click()
        expect(page.get_by_role("heading", name="Waiting for a worker")).to_be_visible()
    run = Run.objects.get()
    assert sent == [run.pk]
    bar = page.get_by_role("progressbar", name="Run progress")
    expect(bar).to_have_attribute("aria-valuenow", "0")

    # The bar follows the run as a worker reports progress, then gives way to the results.
    Run.objects.filter(pk=run.pk).update(status=JobStatus.RUNNING, progress=30)
    expect(page.get_by_role("heading", name="Scoring the catalogue")).to_be_visible()
    expect(bar).to_have_attribute("aria-valuenow", "30")
    Run.objects.filter(pk=run.pk).update(status=JobStatus.QUEUED, progress=0)
    assert execute_run(run.pk)

    results = page.locator(".result-list .result")
    expect(results).to_have_count(2)
    expect(results.first).to_contain_text("Rhine Biologics plant")
    expect(page.locator(".run-stats")).to_contain_text("1 excluded")
    excluded = page.locator(".excluded-table tbody tr")
    expect(excluded).to_have_count(1)
    expect(excluded.first).to_contain_text("Cork Antibodies plant")
    expect(page.locator(".funnel")).to_contain_text("EU GMP certificate \N{MINUS SIGN}1")
    expect(page.locator(".relaxation")).to_contain_text(
        "drop the EU GMP certificate must-have: +1 site"
    )

    breakdown = results.first.locator(".breakdown-table")
    expect(breakdown).to_be_hidden()
    results.first.get_by_text("Why this score").click()
    expect(breakdown).to_be_visible()
    certifications = breakdown.locator("tr", has_text="Certifications")
    expect(certifications).to_contain_text("must-have")
    expect(certifications).to_contain_text("EU GMP")
