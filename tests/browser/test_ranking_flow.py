"""A sponsor's whole walk to a ranking it can stake a decision on: it makes the EU GMP certificate
of its phase 2, 2,000 L mAb brief a must-have in the form, runs the brief, and reads on the run
page each row's verdicts per requirement, how many sites meet every requirement, how stable the
ranking is, and, after starting one, the rank acceptability analysis's shares of first place; the
page with all of that shown passes axe-core with no serious or critical violation. Tasks run
in-process in tests, so the run and the analysis are done by the time their pages answer."""

import os
import re

import pytest
from playwright.sync_api import Page, expect

from core.choices import JobStatus
from matching.index import clear_catalogue_index
from matching.models import Brief, Membership, Organisation, Run
from partners.models import Phase, Term
from tests.browser.conftest import axe_violations
from tests.factories import (
    CertificationFactory,
    ProviderFactory,
    SiteCapabilityFactory,
    SiteFactory,
)

PASSWORD = "ranking-pass-2026"
# Screenshots go outside the repository, for a person to look at.
SHOTS = os.environ.get("SCREENSHOT_DIR", "/tmp")


@pytest.fixture
def sponsor(transactional_db, django_user_model):
    """Helix's member and a catalogue of four phase 2 full fits in Germany and a more compliant
    one in Switzerland, all with an EU GMP certificate, a Commercial-only 200 L site in India
    with one, and an Irish full fit without one."""
    clear_catalogue_index()
    mab = Term.objects.get(slug="mab")
    for name, country, phase, compliance, volume, kinds in [
        ("Rhine Biologics", "DE", "phase2", 82, 4000, ["eu-gmp", "iso-9001"]),
        ("Basel Bio", "CH", "phase2", 97, 3000, ["eu-gmp", "iso-9001"]),
        ("Elbe Antibodies", "DE", "phase2", 78, 2000, ["eu-gmp", "iso-9001"]),
        ("Main Bio", "DE", "phase2", 75, 3000, ["eu-gmp"]),
        ("Oder Biologics", "DE", "phase2", 70, 2500, ["eu-gmp", "iso-9001"]),
        ("Pune Pharma", "IN", "commercial", 66, 200, ["eu-gmp", "iso-9001"]),
        ("Cork Antibodies", "IE", "phase2", 95, 5000, ["iso-9001"]),
    ]:
        site = SiteFactory(
            name=f"{name} plant",
            provider=ProviderFactory(name=name),
            country=country,
            phases=[Phase.objects.get(slug=phase)],
            compliance_state="scored",
            compliance_score=compliance,
        )
        SiteCapabilityFactory(site=site, term=mab, max_volume_l=volume)
        for kind in kinds:
            CertificationFactory(site=site, kind=kind)
    organisation = Organisation.objects.create(name="Helix Therapeutics", slug="helix")
    user = django_user_model.objects.create_user("helen", password=PASSWORD)
    Membership.objects.create(user=user, organisation=organisation)
    yield user
    clear_catalogue_index()


def test_sponsor_sets_an_item_must_have_runs_and_reads_a_ranking_to_stake_a_decision_on(
    live_server, page: Page, sponsor
):
    brief = Brief.objects.create(
        organisation=sponsor.membership.organisation,
        created_by=sponsor,
        title="Phase 2 mAb, 2,000 L, EU GMP",
        modality=Term.objects.get(slug="mab"),
        phase="phase2",
        batch_size=2000,
        batch_unit="L",
        preferred_countries=["DE"],
        required_certifications=["eu-gmp", "iso-9001"],
    )
    base = live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/accounts/login/?next=/briefs/{brief.pk}/edit/")
    page.get_by_label("Username").fill("helen")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # The EU GMP certificate becomes a must-have; ISO 9001 stays a nice-to-have.
    page.get_by_role("checkbox", name="Must-have: EU GMP certificate").check()
    expect(page.get_by_role("checkbox", name="Must-have: ISO 9001")).not_to_be_checked()
    page.get_by_role("button", name="Save brief").click()
    expect(page.locator(".must-have-items")).to_contain_text("EU GMP certificate")

    page.get_by_role("button", name="Run match").click()
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    run = Run.objects.get(brief=brief)
    assert run.status == JobStatus.DONE, run.error
    expect(page.locator(".run-funnel")).to_contain_text("EU GMP certificate")
    cork = page.get_by_role("row", name="Cork Antibodies plant")
    expect(cork).to_contain_text("Must-have certificate: holds no valid EU GMP certificate.")

    # Verdicts: the Commercial-only 200 L site falls short on phase and scale, well below a
    # full fit.
    pune = page.locator(".result", has_text="Pune Pharma plant")
    fit = page.locator(".result", has_text="Rhine Biologics plant")
    pune_verdicts = pune.get_by_role("list", name="Requirements of the brief, for Pune Pharma")
    expect(pune_verdicts).to_contain_text("Phase: does not")
    expect(pune_verdicts).to_contain_text("Scale: does not")
    expect(fit.locator(".verdicts")).to_contain_text("Phase: meets")
    expect(fit.locator(".verdicts")).to_contain_text("Scale: meets")
    expect(pune.locator(".key-facts")).to_contain_text("Max 200 L for a 2,000 L batch")
    pune_score = float(pune.locator(".score-num").inner_text())
    assert pune_score < float(fit.locator(".score-num").inner_text()) - 20

    summary = page.locator(".run-summary")
    expect(summary).to_contain_text("3 of 6 eligible sites meet every requirement you stated")

    stability = page.locator("section.run-stability")
    # Basel Bio, more compliant but outside Germany, would lead were geography to matter less.
    expect(stability.locator(".stability-first")).to_contain_text(
        re.compile(r"^Rhine Biologics plant stays first while the geography weight is between ")
    )
    expect(stability.locator(".stability-swaps")).to_contain_text(
        "#4 Basel Bio plant overtakes #3 Oder Biologics plant if the geography weight drops"
    )

    # Rank acceptability, started from the page.
    section = page.locator("#acceptability")
    expect(section).to_contain_text("No analysis yet.")
    section.get_by_label("Weightings").select_option("uniform")
    section.get_by_label("How many").fill("2000")
    section.get_by_label("Seed").fill("11")
    section.get_by_role("button", name="Analyse the ranking").click()
    table = section.locator("table.acceptability-table")
    expect(table).to_be_visible()
    expect(table.locator("thead")).to_contain_text("First")
    expect(table.locator("tbody tr")).to_have_count(6)
    expect(section).to_contain_text("2,000 weightings, uniform over all weightings, seed 11")
    firsts = table.locator("tbody tr td:nth-child(3)").all_inner_texts()
    shares = [float(first.rstrip(" %")) for first in firsts]
    # Each site's share of first place; together they account for every weighting, and the
    # run's leader holds the largest, Basel Bio most of the rest.
    assert sum(shares) == pytest.approx(100, abs=0.5)
    assert shares[0] == max(shares)
    assert 0 < shares[3] < shares[0]
    expect(section.locator("table.acceptability-leaders")).to_contain_text("Basel Bio plant")

    assert axe_violations(page) == []
    page.screenshot(path=f"{SHOTS}/ranking-flow-run-page.png", full_page=True)
    for name, part in [
        ("summary", summary),
        ("stability", stability),
        ("acceptability", section),
        ("rows", page.locator(".result-list")),
        ("funnel", page.locator(".run-funnel")),
    ]:
        part.screenshot(path=f"{SHOTS}/ranking-flow-{name}.png")
