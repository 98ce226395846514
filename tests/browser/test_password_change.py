"""Changing one's password in Chromium, from the Security page: the app's own pages (not the
admin's), a wrong current password named as such, the new password signing in. Each page
passes axe-core with no serious or critical violation."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from tests.browser.conftest import look_and_check
from tests.factories import PASSWORD, UserFactory

SHOTS = Path("/tmp/shots/password-change")
NEW_PASSWORD = "a sturdy passphrase 42"


@pytest.fixture
def helen(transactional_db):
    return UserFactory(username="helen", email="helen@helix.example")


def _check(page: Page, name: str) -> None:
    look_and_check(page, SHOTS, name)


def test_a_signed_in_user_changes_their_password(live_server, page: Page, helen):
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("helen")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/accounts/security/")
    page.get_by_role("link", name="Change your password").click()

    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    expect(page.get_by_text("Django administration")).to_have_count(0)
    _check(page, "form")
    page.get_by_label("Old password").fill("not my password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change the password").click()
    expect(page.get_by_role("alert")).to_contain_text("old password was entered incorrectly")
    _check(page, "wrong-old-password")

    page.get_by_label("Old password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change the password").click()

    expect(page.get_by_role("heading", name="Your password is changed")).to_be_visible()
    _check(page, "done")
    assert get_user_model().objects.get(username="helen").check_password(NEW_PASSWORD)
