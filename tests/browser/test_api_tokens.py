"""API tokens and sign-in lockout in Chromium: from the user menu a sponsor opens the API tokens
page, makes a read-only token, sees it once, uses it against the API, and revokes it; after
five wrong passwords the sign-in page says that sign-in is locked. On a phone each token's
Revoke button is on the screen. The pages pass axe-core with no serious or critical violation."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Playwright, expect

from accounts.models import ApiToken
from accounts.tokens import create_token
from tests.browser.conftest import axe_violations, look_and_check
from tests.factories import PASSWORD, MembershipFactory

SHOTS = Path("/tmp/shots/auth")


@pytest.fixture
def helen(transactional_db):
    return MembershipFactory(user__username="helen", organisation__name="Helix").user


def _sign_in(page: Page, base: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("helen")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_sponsor_makes_sees_once_uses_and_revokes_a_token(
    live_server, page: Page, playwright: Playwright, helen
):
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    _sign_in(page, base)
    page.wait_for_url(f"{base}/")

    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()
    expect(page.get_by_text("You have no tokens yet.")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_label("Name").fill("Helix ETL")
    page.get_by_label("Expires after").select_option("30")
    page.get_by_label("Read only").check()
    page.get_by_role("button", name="Make the token").click()

    expect(page.get_by_text("Copy it now: it is shown only this once.")).to_be_visible()
    token = page.get_by_label("Token", exact=True).input_value()
    assert len(token) == 64
    row = page.locator(".tokens-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Helix ETL")
    expect(row).to_contain_text("Read only")
    expect(row).to_contain_text("Never")
    assert axe_violations(page) == []
    page.screenshot(path=SHOTS / "tokens-created.png", full_page=True)

    # A script's own client: no cookie of the browser's, only the token.
    script = playwright.request.new_context()
    assert script.get(f"{base}/api/briefs/").status == 401
    used = script.get(f"{base}/api/briefs/", headers={"Authorization": f"Token {token}"})
    assert used.status == 200
    script.dispose()
    page.reload()
    expect(page.get_by_label("Token", exact=True)).to_have_count(0)
    expect(row).not_to_contain_text("Never")
    page.screenshot(path=SHOTS / "tokens-list.png", full_page=True)

    page.get_by_role("button", name="Revoke Helix ETL").click()
    expect(page.locator(".message")).to_contain_text("The token is revoked")
    expect(page.get_by_text("You have no tokens yet.")).to_be_visible()
    assert not ApiToken.objects.exists()


def test_the_sign_in_page_says_when_sign_in_is_locked(live_server, page: Page, helen):
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    for _ in range(5):
        _sign_in(page, base, password="wrong")

    _sign_in(page, base)

    alert = page.locator(".locked-out")
    expect(alert).to_contain_text("Sign-in is locked after too many failed attempts")
    expect(alert).to_contain_text("Try again in 15 minutes")
    assert page.url.startswith(f"{base}/accounts/login/")
    assert axe_violations(page) == []
    page.screenshot(path=SHOTS / "sign-in-locked.png", full_page=True)


def test_on_a_phone_every_tokens_revoke_button_is_on_the_screen(live_server, page: Page, helen):
    phone = {"width": 375, "height": 812}
    create_token(helen, "Helix nightly export to the data warehouse", 90)
    create_token(helen, "ETL", 30, read_only=True)
    page.set_viewport_size(phone)
    base = live_server.url
    _sign_in(page, base)
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/accounts/tokens/")

    revoke = page.get_by_role("button", name=re.compile(r"^Revoke "))
    expect(revoke).to_have_count(2)
    # Where each button is with nothing scrolled sideways (the page, or the table in its box).
    for button in revoke.all():
        box = button.bounding_box()
        assert box is not None
        assert 0 <= box["x"] <= box["x"] + box["width"] <= phone["width"], box
    assert page.evaluate("document.documentElement.scrollWidth") <= phone["width"]
    row = page.locator(".tokens-table tbody tr").filter(has_text="ETL").last
    expect(row).to_contain_text("Read only")
    look_and_check(page, SHOTS, "tokens-phone")

    page.get_by_role("button", name="Revoke ETL").click()
    expect(page.locator(".message")).to_contain_text("The token is revoked")
    assert list(ApiToken.objects.values_list("name", flat=True)) == [
        "Helix nightly export to the data warehouse"
    ]
