"""Password reset in Chromium: from the sign-in page's link, an address, the mailed link, a new
password, and signing in with it. Each page passes axe-core with no serious or critical
violation; so do the page of a link that no longer works and the page refusing a client that
asked too often."""

import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from tests.browser.conftest import look_and_check
from tests.factories import UserFactory

SHOTS = Path("/tmp/shots/password-reset")
NEW_PASSWORD = "a sturdy passphrase 42"


@pytest.fixture
def helen(transactional_db):
    return UserFactory(username="helen", email="helen@helix.example")


def _check(page: Page, name: str) -> None:
    look_and_check(page, SHOTS, name)


def test_a_forgotten_password_is_reset_by_mail_and_signs_in(live_server, page: Page, helen):
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    _check(page, "sign-in")
    page.get_by_role("link", name="Forgot your password?").click()

    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    _check(page, "password-reset-form")
    page.get_by_label("E-mail address").fill("helen@helix.example")
    page.get_by_role("button", name="Send the link").click()

    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    _check(page, "password-reset-done")
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/reset/\S+/", mail.outbox[0].body).group(0)

    page.goto(link)
    expect(page.get_by_role("heading", name="Set a new password")).to_be_visible()
    _check(page, "password-reset-confirm")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the password").click()

    expect(page.get_by_role("heading", name="Your new password is set")).to_be_visible()
    _check(page, "password-reset-complete")
    page.get_by_role("link", name="Sign in").last.click()
    page.get_by_label("Username").fill("helen")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.goto(link)
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    _check(page, "password-reset-link-used")


def test_an_unknown_address_is_told_the_same(live_server, page: Page, helen):
    page.goto(f"{live_server.url}/accounts/password_reset/")
    page.get_by_label("E-mail address").fill("nobody@helix.example")
    page.get_by_role("button", name="Send the link").click()

    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    assert mail.outbox == []


def test_too_many_requests_from_one_client_are_refused_with_a_page_saying_so(
    live_server, page: Page, helen, settings
):
    settings.PASSWORD_RESET_RATE_IP = "1/hour"
    page.goto(f"{live_server.url}/accounts/password_reset/")
    page.get_by_label("E-mail address").fill("helen@helix.example")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    page.goto(f"{live_server.url}/accounts/password_reset/")
    page.get_by_label("E-mail address").fill("helen@helix.example")
    page.get_by_role("button", name="Send the link").click()

    expect(page.get_by_role("heading", name="Too many requests")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"Try again in \d+ minutes?\."))
    _check(page, "password-reset-throttled")
    assert len(mail.outbox) == 1
