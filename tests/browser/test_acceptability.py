"""Rank acceptability in the browser: a member starts the analysis on a done run's page and reads
the table of shares and the leaders' central weights; the page passes axe-core with no serious
or critical violation. Tasks run eagerly in tests, so the analysis is done by the time the
section answers."""

import pytest
from playwright.sync_api import Browser, expect

from core.choices import JobStatus
from matching import tasks
from matching.index import clear_catalogue_index
from matching.models import Run
from tests.browser.conftest import axe_violations
from tests.factories import PASSWORD, MembershipFactory
from tests.matching.conftest import mab_site, phase2_mab_brief

SCREENSHOT = "/tmp/acceptability-run-page.png"


@pytest.fixture
def done_run(transactional_db):
    """A done run of Helix's phase 2 mAb brief over six sites that differ in compliance, scale
    and country, so that the weights decide who leads."""
    clear_catalogue_index()
    helen = MembershipFactory(user__username="helen", organisation__name="Helix")
    for name, country, compliance, volume in [
        ("Berlin", "DE", 95, 500),
        ("Cork", "IE", 70, 5000),
        ("Munich", "DE", 60, 2000),
        ("Leiden", "NL", 85, 3000),
        ("Boston", "US", 99, 1000),
        ("Basel", "CH", 75, 2500),
    ]:
        mab_site(name, country, "phase2", compliance=compliance, max_volume_l=volume)
    brief = phase2_mab_brief(helen.organisation, created_by=helen.user)
    brief.batch_size = 2000
    brief.batch_unit = "L"
    brief.save()
    run = Run.objects.create(brief=brief, organisation=helen.organisation)
    tasks.execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.DONE, run.error
    yield run
    clear_catalogue_index()


def test_a_member_analyses_a_runs_ranking_and_reads_the_shares(
    live_server, browser: Browser, done_run
):
    base = live_server.url
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("helen")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/**")

    page.goto(f"{base}/runs/{done_run.pk}/")
    section = page.locator("#acceptability")
    expect(section).to_contain_text("No analysis yet.")
    section.get_by_label("Weightings").select_option("uniform")
    section.get_by_label("How many").fill("5000")
    section.get_by_label("Seed").fill("7")
    section.get_by_role("button", name="Analyse the ranking").click()

    table = section.locator("table.acceptability-table")
    expect(table).to_be_visible()
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(done_run.eligible)
    first_row = rows.first.inner_text()
    assert "%" in first_row
    # Every site is within the top ten of six.
    assert first_row.rstrip().endswith("100.0 %")
    expect(section.locator("table.acceptability-leaders")).to_contain_text("The brief's weights")
    expect(section).to_contain_text("5,000 weightings, uniform over all weightings, seed 7")
    assert axe_violations(page) == []

    # The same after a reload, and the form keeps the analysis's values.
    page.reload()
    expect(page.locator("table.acceptability-table tbody tr")).to_have_count(done_run.eligible)
    expect(page.get_by_label("Seed")).to_have_value("7")
    page.locator("#acceptability").scroll_into_view_if_needed()
    page.locator("#acceptability").screenshot(path=SCREENSHOT)
