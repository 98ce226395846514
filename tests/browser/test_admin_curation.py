"""A curator's admin pages in Chromium on a 1366 x 768 screen: a provider's and a site's change
pages fit its width with their inline tables (no sideways scrolling), and choosing "verified"
fills in today's date."""

import datetime
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import Page, expect

from partners.models import Term
from tests.browser.conftest import axe_violations
from tests.factories import (
    CertificationFactory,
    InspectionFactory,
    ProviderFactory,
    RegulatoryActionFactory,
    SiteCapabilityFactory,
    SiteFactory,
)

# Screenshots land here when set (looked at by hand), else in the test's temporary folder.
SHOTS = os.environ.get("ADMIN_SHOTS", "")
PASSWORD = "curator-pass-2026"
SCREEN = {"width": 1366, "height": 768}


@pytest.fixture
def curator(transactional_db, django_user_model):
    """A curator: staff with the catalogue's permissions (the migrations' "Curators" group is
    emptied with the tables after each live-server test)."""
    user = django_user_model.objects.create_user("cora", password=PASSWORD, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="partners"))
    return user


@pytest.fixture
def busy_site(transactional_db):
    """A provider of eight sites with long names; one site with every kind of inline row, each
    with the longest values its columns meet (FDA's registration, EU non-compliance, FDA's
    longest project area)."""
    provider = ProviderFactory(
        name="Northern Hemisphere Biologics and Sterile Manufacturing", slug="northern"
    )
    sites = [
        SiteFactory(
            provider=provider,
            name=f"Biologics Drug Substance and Fill-Finish Campus {n}",
            city="Saint-Rémy-lès-Chevreuse",
            country="BA" if n % 2 else "GB",  # Bosnia and Herzegovina; the United Kingdom
            fei_number=f"30012345{n:02d}",
        )
        for n in range(8)
    ]
    site = sites[0]
    for slug in ["recombinant-protein", "sterile-injectable", "analytical-development", "mab"]:
        SiteCapabilityFactory(
            site=site,
            term=Term.objects.get(slug=slug),
            max_batch_kg=12500.5,
            max_volume_l=20000,
            provenance="curator-verified",
        )
    today = timezone.localdate()
    for kind, authority, reference in [
        ("fda-registration", "FDA", "DUNS 123456789 registration 2026"),
        ("pmda-accreditation", "PMDA", "AG10400123 foreign manufacturer accreditation"),
        ("eu-gmp", "EMA", "UK_MIA_12345_INS_GMP_2025_0001234"),
    ]:
        CertificationFactory(
            site=site,
            kind=kind,
            authority=authority,
            reference=reference,
            status="suspended",
            valid_until=today + datetime.timedelta(days=30),
        )
    for n, area in enumerate(["Pre-License/Pre-Approval Inspection", "Bioresearch Monitoring"]):
        InspectionFactory(
            fei_number=site.fei_number,
            inspection_id=f"INS-GB-2026-{n:06d}",
            classification="VAI",
            project_area=area,
        )
    RegulatoryActionFactory(
        fei_number=site.fei_number,
        authority="EMA",
        action_type="eu-non-compliance",
        case_id="UK-NCR-2026-000123",
        product_type="Biologics and human drugs",
    )
    return provider, site


def _sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill("cora")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin/")


def _shot(page: Page, tmp_path, name: str) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    page.screenshot(path=folder / f"admin-{name}.png", full_page=True)


def _page_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_provider_page_fits_a_1366_px_screen(live_server, page: Page, curator, busy_site, tmp_path):
    provider, _ = busy_site
    page.set_viewport_size(SCREEN)
    _sign_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/partners/provider/{provider.pk}/change/")

    expect(page.locator("#sites-group tbody tr.has_original")).to_have_count(8)
    _shot(page, tmp_path, "provider-1366")
    assert _page_width(page) <= SCREEN["width"]
    assert axe_violations(page) == []


def test_site_page_fits_a_1366_px_screen(live_server, page: Page, curator, busy_site, tmp_path):
    _, site = busy_site
    page.set_viewport_size(SCREEN)
    _sign_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/partners/site/{site.pk}/change/")
    # An added row takes the same widths.
    page.locator("#certifications-group .add-row a").click()

    for group, rows in [("capabilities", 4), ("certifications", 3), ("inspections", 2)]:
        expect(page.locator(f"#{group}-group tbody tr.has_original")).to_have_count(rows)
    expect(page.locator("#actions-group tbody tr.has_original")).to_have_count(1)
    _shot(page, tmp_path, "site-1366")
    assert _page_width(page) <= SCREEN["width"]
    # Codes in the inline tables, the full names on the records' own pages.
    authorities = page.locator("#certifications-group tr.has_original select[name$=-authority]")
    expect(authorities.locator("option:checked")).to_have_text(["EMA", "FDA", "PMDA"])
    assert axe_violations(page) == []


def test_choosing_verified_fills_in_todays_date(live_server, page: Page, curator, busy_site):
    provider, _ = busy_site
    page.set_viewport_size(SCREEN)
    _sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/admin/partners/provider/{provider.pk}/change/")
    date = page.get_by_label("Verified on")
    expect(date).to_have_value("")

    page.get_by_label("Verification status").select_option("verified")

    expect(date).to_have_value(timezone.localdate().isoformat())
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    provider.refresh_from_db()
    assert provider.verified_on == timezone.localdate()


def test_fei_change_is_confirmed_before_it_is_saved(
    live_server, page: Page, curator, busy_site, tmp_path
):
    _, site = busy_site
    new_fei = "3009876543"
    InspectionFactory(fei_number=new_fei, inspection_id="INS-NEW-1", classification="OAI")
    page.set_viewport_size(SCREEN)
    _sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/admin/partners/site/{site.pk}/change/")

    page.locator("#id_fei_number").fill(new_fei)
    page.locator("#id_city").fill("Cambridge")
    page.get_by_role("button", name="Save", exact=True).click()

    warning = page.get_by_role("region", name="Confirm the FEI change")
    expect(warning).to_contain_text(
        f"Changing the FEI of this site from {site.fei_number} to {new_fei} detaches 3 "
        "regulator records (2 inspections; 1 regulatory action) from it and attaches "
        "1 inspection (OAI)."
    )
    expect(page.locator("#id_city")).to_have_value("Cambridge")
    _shot(page, tmp_path, "fei-change-1366")
    assert _page_width(page) <= SCREEN["width"]
    assert axe_violations(page) == []
    site.refresh_from_db()
    assert (site.fei_number, site.city) == ("3001234500", "Saint-Rémy-lès-Chevreuse")

    warning.get_by_role("button", name="Confirm and save").click()

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    site.refresh_from_db()
    assert (site.fei_number, site.city) == (new_fei, "Cambridge")


def test_site_history_shows_an_inline_edit_with_its_reason(
    live_server, page: Page, curator, busy_site, tmp_path
):
    _, site = busy_site
    page.set_viewport_size(SCREEN)
    _sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/admin/partners/site/{site.pk}/change/")
    pmda = page.locator("#certifications-group tr.has_original").filter(
        has=page.locator("input[value^=AG10400123]")
    )
    before = pmda.locator("input[name$=-valid_until]").input_value()

    pmda.locator("input[name$=-valid_until]").fill("2031-03-31")
    page.get_by_label("Reason for this change").fill("PMDA renewed the accreditation")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    page.get_by_role("link", name="History").click()

    newest = page.locator("#change-history tbody tr").first
    expect(newest).to_contain_text("cora")
    expect(newest).to_contain_text("PMDA renewed the accreditation")
    expect(newest).to_contain_text(
        "Certification PMDA foreign manufacturer accreditation AG10400123 foreign "
        "manufacturer accreditation: "
        f"valid until {before} → 2031-03-31"
    )
    _shot(page, tmp_path, "site-history-1366")
    assert _page_width(page) <= SCREEN["width"]
    assert axe_violations(page) == []


def test_the_sign_in_attempts_list_fits_a_1366_px_screen_with_every_column_in_view(
    live_server, page: Page, curator, tmp_path
):
    from axes.models import AccessAttempt

    curator.user_permissions.add(*Permission.objects.filter(content_type__app_label="axes"))
    for n, username in enumerate(
        ["helen", "a.very.long.username.from.single.sign.on@helix.example"]
    ):
        AccessAttempt.objects.create(
            username=username,
            ip_address=f"2001:db8:85a3::8a2e:370:733{n}",
            user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
            "like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0 CorporateProxy/7.4.2",
            path_info="/accounts/login/",
            failures_since_start=5 + n,
            get_data="",
            post_data="",
            http_accept="text/html",
        )
    page.set_viewport_size(SCREEN)
    _sign_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/axes/accessattempt/")

    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    expect(
        page.get_by_role("option", name="Unlock sign-in for the selected usernames and addresses")
    ).to_be_attached()
    _shot(page, tmp_path, "sign-in-attempts-1366")
    assert _page_width(page) <= SCREEN["width"]
    # Every column in view: the table does not scroll sideways inside its box.
    results = page.locator("#changelist .results")
    assert results.evaluate("box => box.scrollWidth <= box.clientWidth")
    expect(page.locator("#result_list tbody tr").first).to_contain_text("Locked Out")
    assert axe_violations(page) == []
