"""An idle session in Chromium: after SESSION_IDLE_TIMEOUT without a request, the next page
asks to sign in again and says why; the page passes axe-core."""

from pathlib import Path

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from playwright.sync_api import Page, expect

from accounts.sessions import LAST_ACTIVITY_KEY
from tests.browser.conftest import axe_violations
from tests.factories import PASSWORD, MembershipFactory

SHOTS = Path("/tmp/shots/mfa")


@pytest.fixture
def member(transactional_db, settings):
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    return MembershipFactory(user__username="mel").user


def test_an_idle_session_asks_to_sign_in_again_and_says_why(live_server, page: Page, member):
    base = live_server.url
    page.goto(f"{base}/accounts/login/?next=/briefs/")
    page.get_by_label("Username").fill("mel")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/briefs/")

    # Half an hour and a second pass without a request.
    (session,) = Session.objects.all()
    store = SessionStore(session_key=session.session_key)
    store[LAST_ACTIVITY_KEY] -= 30 * 60 + 1
    store.save()
    page.reload()

    expect(page).to_have_url(f"{base}/accounts/login/?next=/briefs/")
    expect(page.locator(".message")).to_have_text(
        "You were signed out after 30 minutes without activity."
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "signed-out-idle.png"), full_page=True)
    assert axe_violations(page) == []
