"""A buyer reads a provider with many sites: a summary table of the sites at the top, each site
closed until opened (a link to it opens it), its flags, published 483s with FDA's link, one row
per FDA inspection, whole timeline labels and a "Why N?" reached by the keyboard."""

import datetime
import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from matching.index import clear_catalogue_index
from matching.models import Brief, Membership, Organisation, Run
from matching.runs import execute_run
from partners.models import Published483, Term
from partners.regulatory.stored_scores import recompute_compliance_scores
from tests.browser.conftest import axe_violations
from tests.factories import (
    InspectionFactory,
    ProviderFactory,
    RegulatoryActionFactory,
    SiteCapabilityFactory,
    SiteFactory,
)

# Screenshots land here when set (looked at by hand), else in the test's temporary folder.
SHOTS = os.environ.get("PROFILE_SHOTS", "")
PASSWORD = "profile-pass-2026"


def _days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


@pytest.fixture
def many_sites(transactional_db):
    """A provider of six sites; Geneva has a warning letter, an FDA OAI inspection published as
    two project areas, an MHRA inspection and a published 483."""
    provider = ProviderFactory(name="Lakeside Peptides", slug="lakeside-peptides")
    mab = Term.objects.get(slug="mab")
    sites = {}
    for n, name in enumerate(["Bulle", "Geneva", "Lugano", "Visp", "Zug", "Basel"]):
        fei = f"30000090{n:02d}"
        site = SiteFactory(provider=provider, name=name, city=name, country="CH", fei_number=fei)
        SiteCapabilityFactory(site=site, term=mab, max_volume_l=2000 * (n + 1))
        InspectionFactory(fei_number=fei, classification="NAI", end_date=_days_ago(900))
        sites[name] = site
    geneva = sites["Geneva"]
    RegulatoryActionFactory(
        fei_number=geneva.fei_number, action_date=_days_ago(60), source="FDA warning letters"
    )
    for area in ("Drug Quality Assurance", "Pre-License/Pre-Approval Inspection"):
        InspectionFactory(
            fei_number=geneva.fei_number,
            inspection_id="4400001",
            classification="OAI",
            end_date=_days_ago(120),
            project_area=area,
        )
    InspectionFactory(
        fei_number=geneva.fei_number,
        authority="MHRA",
        inspection_id="MHRA-77",
        classification="VAI",
        end_date=_days_ago(1500),
        project_area="",
    )
    Published483.objects.create(
        fei_number=geneva.fei_number,
        record_type="Form 483",
        record_date=_days_ago(120),
        publish_date=_days_ago(90),
        download_url="https://www.fda.gov/media/483-2026-01/download",
        source="FDA 483 database",
        retrieved_at=timezone.now(),
    ).record_ids.create(record_id="483-2026-01")
    recompute_compliance_scores()
    return provider, sites


def _shot(page: Page, tmp_path, name: str) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    page.screenshot(path=folder / f"profile-{name}.png", full_page=True)


def test_summary_table_lists_every_site_and_opens_the_one_clicked(
    live_server, page: Page, many_sites, tmp_path
):
    provider, sites = many_sites
    page.goto(f"{live_server.url}/providers/{provider.slug}/")

    table = page.locator(".site-summary-table")
    expect(table.locator("tbody tr")).to_have_count(6)
    geneva_row = table.locator("tbody tr", has_text="Geneva")
    expect(geneva_row).to_contain_text("Monoclonal antibody")
    expect(geneva_row).to_contain_text("4,000 L")
    expect(geneva_row.locator(".risk-flag")).to_have_count(2)
    # More than three sites: each is closed, its heading and flags still in view.
    geneva = page.locator(f"#site-{sites['Geneva'].pk}")
    expect(geneva).not_to_have_attribute("open", "")
    expect(geneva.locator("> summary")).to_contain_text("Warning letter")
    expect(page.get_by_role("heading", name="Published FDA 483s")).to_have_count(0)
    _shot(page, tmp_path, "closed")

    geneva_row.get_by_role("link", name="Geneva").click()

    expect(geneva).to_have_attribute("open", "")
    expect(geneva.get_by_role("heading", name="Capabilities")).to_be_in_viewport()
    assert page.locator("details.site-card[open]").count() == 1
    assert axe_violations(page) == []


def test_a_link_to_a_site_opens_it(live_server, page: Page, many_sites):
    provider, sites = many_sites
    visp = sites["Visp"]

    page.goto(f"{live_server.url}/providers/{provider.slug}/#site-{visp.pk}")

    section = page.locator(f"#site-{visp.pk}")
    expect(section).to_have_attribute("open", "")
    expect(section.get_by_role("heading", name="Capabilities")).to_be_visible()
    expect(section.locator("> summary")).to_be_in_viewport()


def test_a_sites_record_shows_its_483_grouped_inspections_and_whole_timeline_labels(
    live_server, page: Page, many_sites, tmp_path
):
    provider, sites = many_sites
    geneva = sites["Geneva"]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/providers/{provider.slug}/#site-{geneva.pk}")
    section = page.locator(f"#site-{geneva.pk}")

    # The published 483, with FDA's link and its source.
    row_483 = section.locator("tr", has_text="483-2026-01")
    expect(row_483).to_contain_text("Form 483")
    expect(row_483).to_contain_text("FDA 483 database")
    link = row_483.get_by_role("link", name="FDA's copy")
    expect(link).to_have_attribute("href", "https://www.fda.gov/media/483-2026-01/download")
    # FDA's two rows of one inspection are one, listing both project areas.
    oai_rows = section.locator("table.table-wide tbody tr", has_text="4400001")
    expect(oai_rows).to_have_count(1)
    expect(oai_rows).to_contain_text("Drug Quality Assurance; Pre-License/Pre-Approval Inspection")
    # Every lane label lies whole within the chart.
    chart = section.locator("svg.timeline-chart")
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    labels = section.locator("text.lane-label")
    assert labels.count() == 3  # FDA inspections, MHRA inspections, Actions
    for index in range(labels.count()):
        label = labels.nth(index).bounding_box()
        assert label["x"] >= box["x"]
        assert label["x"] + label["width"] <= box["x"] + box["width"]
        assert label["y"] >= box["y"]
        assert label["y"] + label["height"] <= box["y"] + box["height"]
    expect(labels.nth(1)).to_have_text("MHRAinspections")
    _shot(page, tmp_path, "phone-geneva")
    assert axe_violations(page) == []


def test_why_n_is_reached_and_opened_by_the_keyboard(live_server, page: Page, many_sites):
    provider, sites = many_sites
    lugano = sites["Lugano"]
    page.goto(f"{live_server.url}/providers/{provider.slug}/")
    summary = page.locator(f"#site-{lugano.pk} > summary")

    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#site-{lugano.pk}")).to_have_attribute("open", "")
    why = page.locator(f"#site-{lugano.pk}-why")
    for _ in range(5):
        page.keyboard.press("Tab")
        if why.locator("summary").evaluate("element => element === document.activeElement"):
            break
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused.startswith("Why "), focused
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")

    expect(why).to_have_attribute("open", "")
    expect(why.get_by_text("Base score")).to_be_visible()


@pytest.fixture
def flagged_run(transactional_db, django_user_model):
    """A done mAb run over two sites, one with a warning letter last month."""
    clear_catalogue_index()
    mab = Term.objects.get(slug="mab")
    for name, fei in (("Letter plant", "3000009101"), ("Clean plant", "3000009102")):
        site = SiteFactory(name=name, provider=ProviderFactory(name=f"{name} Co"), fei_number=fei)
        SiteCapabilityFactory(site=site, term=mab, max_volume_l=2000)
    RegulatoryActionFactory(fei_number="3000009101", action_date=_days_ago(30))
    organisation = Organisation.objects.create(name="Helix Therapeutics", slug="helix")
    user = django_user_model.objects.create_user("helen", password=PASSWORD)
    Membership.objects.create(user=user, organisation=organisation)
    brief = Brief.objects.create(
        organisation=organisation, created_by=user, title="mAb", modality=mab
    )
    run = Run.objects.create(brief=brief, organisation=organisation)
    assert execute_run(run.pk)
    yield run
    clear_catalogue_index()


def test_run_result_of_a_site_with_a_recent_warning_letter_shows_the_flag(
    live_server, page: Page, flagged_run, tmp_path
):
    page.goto(f"{live_server.url}/accounts/login/?next=/runs/{flagged_run.pk}/")
    page.get_by_label("Username").fill("helen")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    letter = page.locator("li.result", has_text="Letter plant")
    flag = letter.locator(".risk-flag")
    expect(flag).to_contain_text(f"Warning letter {_days_ago(30).year}")
    expect(flag).to_have_attribute("title", f"Warning letter: FDA, {_days_ago(30):%-d %b %Y}")
    expect(page.locator("li.result", has_text="Clean plant").locator(".risk-flag")).to_have_count(0)
    _shot(page, tmp_path, "run-flags")
    assert axe_violations(page) == []
