"""Notifications in Chromium: a signed-in member sees the bell's unread count, opens the list,
marks one read (the count falls without a reload), follows another to the site it is about,
watches the provider from its profile, and changes her settings, an error named beside its
field first; the unsubscribe page an e-mail links to works signed out. Every page passes
axe-core with no serious or critical violation; the screenshots are for looking at."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sourcing.choices import AlertKind, EmailChoice
from sourcing.models import NotificationSettings, Watch
from sourcing.watching.alerts import AlertSpec, raise_alert
from tests.browser.conftest import look_and_check, sign_in
from tests.factories import MembershipFactory, SiteFactory

SHOTS = Path("/tmp/shots/notifications")


@pytest.fixture
def helen(transactional_db):
    return MembershipFactory(
        user__username="helen", user__email="helen@example.com", organisation__name="Helix"
    ).user


@pytest.fixture
def leverkusen(transactional_db):
    return SiteFactory(
        name="Leverkusen", city="Leverkusen", country="DE", provider__name="Acme Pharma"
    )


@pytest.fixture
def notified(helen, leverkusen):
    """Two notifications for helen: a warning letter and an import alert at Leverkusen."""
    for key, kind, title, text in [
        (
            "wl",
            AlertKind.WARNING_LETTER,
            "Warning letter to Acme Pharma, Leverkusen",
            "Warning letter 320-26-07: CGMP deviations",
        ),
        (
            "ia",
            AlertKind.IMPORT_ALERT,
            "Import alert on Acme Pharma, Leverkusen",
            "Import alert 66-40: detention without physical examination",
        ),
    ]:
        raise_alert(
            AlertSpec(
                key=f"browser:{key}",
                kind=kind,
                title=title,
                items=[
                    {
                        "text": text,
                        "date": "2026-11-20",
                        "source": "FDA",
                        "url": "https://www.fda.gov/",
                    }
                ],
                url=leverkusen.get_absolute_url(),
                site_id=leverkusen.pk,
                site_name="Leverkusen",
                provider_name="Acme Pharma",
            ),
            [helen.pk],
        )


def test_a_member_reads_her_notifications_watches_and_sets_how_she_is_told(
    live_server, page: Page, helen, leverkusen, notified
):
    base = live_server.url
    sign_in(page, base, "helen")

    # The bell says how many are unread, on every page.
    bell = page.get_by_role("link", name="Notifications, 2 unread")
    expect(bell).to_be_visible()
    bell.click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    expect(page.locator("li.notification.unread")).to_have_count(2)
    look_and_check(page, SHOTS, "list")

    # Marked read in place: the bell's count falls without a reload.
    page.get_by_role("button", name="Mark as read: Import alert on Acme Pharma, Leverkusen").click()
    expect(page.get_by_role("link", name="Notifications, 1 unread")).to_be_visible()
    expect(page.locator("li.notification.unread")).to_have_count(1)
    page.get_by_role("link", name="Unread", exact=True).click()
    expect(page.locator("li.notification")).to_have_count(1)
    look_and_check(page, SHOTS, "list-unread")

    # Following one leads to the site it is about, and reads it.
    page.get_by_role("link", name="Warning letter to Acme Pharma, Leverkusen").click()
    page.wait_for_url(f"{base}{leverkusen.get_absolute_url()}")
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()

    # Watching the provider from its profile.
    page.get_by_role("button", name="Watch Acme Pharma").click()
    expect(page.get_by_role("button", name="Unwatch Acme Pharma")).to_be_visible()
    assert Watch.objects.filter(user=helen, provider=leverkusen.provider).exists()
    expect(page.locator(f"#site-{leverkusen.pk} .watch-control")).to_contain_text(
        "Watched with every site of Acme Pharma"
    )
    look_and_check(page, SHOTS, "profile-watching")

    # The settings: an error is named beside its field, then saved.
    page.goto(f"{base}/notifications/")
    page.get_by_role("link", name="Notification settings").click()
    expect(page.get_by_role("heading", name="Notification settings")).to_be_visible()
    look_and_check(page, SHOTS, "settings")
    page.get_by_label("Digest time").fill("")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Digest time: Give the time the daily digest should go."
    )
    look_and_check(page, SHOTS, "settings-error")
    page.get_by_label("An e-mail at once").check()
    page.get_by_label("Import alert").uncheck()
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Notification settings saved.")).to_be_visible()
    saved = NotificationSettings.objects.get(user=helen)
    assert saved.email == EmailChoice.AT_ONCE
    assert saved.time_zone == "Europe/Berlin"
    assert AlertKind.IMPORT_ALERT not in saved.kinds

    # On a phone the list reads in one column, the bell in the header.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/notifications/")
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    look_and_check(page, SHOTS, "list-phone")


def test_the_unsubscribe_link_works_signed_out(live_server, page: Page, helen):
    settings = NotificationSettings.objects.create(user=helen, email=EmailChoice.DIGEST)

    page.goto(f"{live_server.url}/notifications/unsubscribe/{settings.unsubscribe_token}/")
    expect(page.get_by_role("heading", name="Stop notification e-mails?")).to_be_visible()
    look_and_check(page, SHOTS, "unsubscribe")
    page.get_by_role("button", name="Stop the e-mails").click()
    expect(page.get_by_role("heading", name="Notification e-mails stopped")).to_be_visible()
    look_and_check(page, SHOTS, "unsubscribed")

    settings.refresh_from_db()
    assert settings.email == EmailChoice.NEVER
