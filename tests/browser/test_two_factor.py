"""Two-factor sign-in in Chromium: a curator, required to use it, signs in, is sent to set it
up, scans (here: reads) the key, confirms with a code, saves the recovery codes shown once and
reaches the admin; next time a recovery code gets them in after the password. Both pages show
no menu while the step is owed. Someone setting it up by choice may cancel back to the Security
page, which turns it off. Every page passes axe-core with no serious or critical violation."""

import re
from pathlib import Path

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from tests.accounts.two_factor_support import current_code
from tests.browser.conftest import axe_violations
from tests.factories import PASSWORD, UserFactory

SHOTS = Path("/tmp/shots/mfa")


@pytest.fixture
def curator(transactional_db, settings):
    settings.TWO_FACTOR_REQUIRED = True
    return UserFactory(username="carla", is_staff=True, is_superuser=True)


def _sign_in(page: Page, base: str, next_path: str = "/") -> None:
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.get_by_label("Username").fill("carla")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _check(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert axe_violations(page) == [], name


def test_a_curator_sets_up_two_factor_then_signs_in_with_a_recovery_code(
    live_server, page: Page, curator
):
    base = live_server.url
    _sign_in(page, base, "/admin/")

    expect(page).to_have_url(f"{base}/accounts/two-factor/set-up/?next=/admin/")
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(
        page.get_by_role("img", name="QR code for setting up your authenticator app")
    ).to_be_visible()
    expect(page.locator("#secret-key")).to_have_text(re.compile(r"^[A-Z2-7]{4}( [A-Z2-7]{4}){7}$"))
    # Required of a curator: no way round it, and no menu of pages that would lead back here.
    expect(page.get_by_role("link", name="Cancel")).to_have_count(0)
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    expect(page.locator(".topbar").get_by_role("button", name="Sign out")).to_be_visible()
    _check(page, "enrol")

    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("alert").filter(has_text="That code is not right")).to_be_visible()
    expect(page.get_by_label("Code from the app")).to_have_attribute("aria-invalid", "true")
    _check(page, "enrol-wrong-code")

    device = TOTPDevice.objects.get(user=curator)
    page.wait_for_timeout(1100)  # a wrong code holds the next try back for a second
    page.get_by_label("Code from the app").fill(current_code(device))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()

    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    codes = page.get_by_role("list", name="Your recovery codes").locator("code")
    expect(codes).to_have_count(10)
    recovery_code = codes.first.inner_text()
    _check(page, "recovery-codes")

    page.get_by_role("link", name="I have saved them: continue").click()
    expect(page).to_have_url(f"{base}/admin/")
    expect(page.get_by_role("link", name="Providers").first).to_be_visible()

    # Next sign-in: the password, then a code.
    page.goto(f"{base}/")
    page.get_by_role("button", name="Sign out").click()
    _sign_in(page, base, "/admin/")
    expect(page).to_have_url(f"{base}/accounts/two-factor/verify/?next=/admin/")
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(1)
    _check(page, "verify")
    page.get_by_label("Code", exact=True).fill(recovery_code)
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(f"{base}/admin/")

    page.goto(f"{base}/")
    page.get_by_role("link", name="Security").click()
    expect(page.get_by_role("heading", name="Security")).to_be_visible()
    expect(page.get_by_text("9 recovery codes left")).to_be_visible()
    _check(page, "security-on")

    page.get_by_role("button", name="Make new recovery codes").click()
    expect(page.get_by_role("list", name="Your recovery codes").locator("code")).to_have_count(10)
    page.goto(f"{base}/accounts/two-factor/recovery-codes/")
    expect(page.get_by_role("list", name="Your recovery codes")).to_have_count(0)
    _check(page, "recovery-codes-already-shown")


def test_a_sponsor_turns_two_factor_on_and_off_from_the_security_page(
    live_server, page: Page, transactional_db
):
    UserFactory(username="carla")
    base = live_server.url
    _sign_in(page, base)
    page.get_by_role("link", name="Security").click()
    expect(page.get_by_text("Off.", exact=True)).to_be_visible()
    _check(page, "security-off")

    page.get_by_role("link", name="Set up two-factor sign-in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    _check(page, "enrol-by-choice")
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(f"{base}/accounts/security/")
    expect(page.get_by_text("Off.", exact=True)).to_be_visible()

    page.get_by_role("link", name="Set up two-factor sign-in").click()
    device = TOTPDevice.objects.get(user__username="carla")
    page.get_by_label("Code from the app").fill(current_code(device))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    codes = page.get_by_role("list", name="Your recovery codes").locator("code")
    recovery_code = codes.nth(3).inner_text()
    page.get_by_role("link", name="I have saved them: continue").click()
    expect(page.get_by_text("On.", exact=True)).to_be_visible()

    page.get_by_label("Code", exact=True).fill(recovery_code)
    page.get_by_role("button", name="Turn off").click()
    expect(page.locator(".message")).to_have_text("Two-factor sign-in is off.")
    expect(page.get_by_text("Off.", exact=True)).to_be_visible()
