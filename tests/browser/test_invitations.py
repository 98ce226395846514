"""Invitations in Chromium: an admin invites a colleague by e-mail from the members page; the
colleague opens the mailed link without an account, creates one and lands on the organisation's
page as a member. The members page with its invite form and pending invitations, and the link's
page for an anonymous visitor, a signed-in one and one signed in with another address (refused,
offered to sign out), pass axe-core with no serious or critical violation."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from matching.choices import Role
from matching.invitations import invite
from matching.models import Membership
from tests.browser.conftest import axe_violations
from tests.factories import PASSWORD, MembershipFactory, UserFactory

NEW_PASSWORD = "a sturdy passphrase 42"


@pytest.fixture
def helix(transactional_db):
    """helen, the admin of Helix, with a viewer colleague."""
    admin = MembershipFactory(
        user__username="helen",
        user__email="helen@helix.example",
        organisation__name="Helix",
        role=Role.ADMIN,
    )
    MembershipFactory(organisation=admin.organisation, user__username="vera", role=Role.VIEWER)
    return admin


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/**")


def _link_in(message) -> str:
    return re.search(r"https?://\S+/invitations/[\w-]+/", message.body).group(0)


def test_an_invited_colleague_creates_an_account_and_joins(
    live_server, page: Page, browser: Browser, helix
):
    base = live_server.url
    _sign_in(page, base, "helen")
    page.goto(f"{base}/organisation/")

    page.get_by_label("E-mail address").fill("Ada@Example.com")
    page.get_by_label("Role", exact=True).select_option(Role.MEMBER)
    page.get_by_role("button", name="Send invitation").click()

    expect(page.locator(".message")).to_contain_text("Invitation sent to ada@example.com")
    pending = page.locator(".invitations-table tbody tr")
    expect(pending).to_have_count(1)
    expect(pending.first).to_contain_text("ada@example.com")
    assert axe_violations(page) == []

    (message,) = mail.outbox
    assert message.to == ["ada@example.com"]
    link = _link_in(message)
    assert link.startswith(f"{base}/invitations/")

    anonymous = browser.new_context()
    try:
        visitor = anonymous.new_page()
        visitor.goto(link)
        expect(visitor.get_by_role("heading", level=1)).to_have_text("Join Helix")
        expect(visitor.get_by_label("E-mail address")).to_have_value("ada@example.com")
        expect(visitor.get_by_label("E-mail address")).to_be_disabled()
        assert axe_violations(visitor) == []

        visitor.get_by_label("Username").fill("ada")
        visitor.get_by_label("Password (required)", exact=True).fill(NEW_PASSWORD)
        visitor.get_by_label("Password confirmation (required)").fill(NEW_PASSWORD + "!")
        visitor.get_by_role("button", name="Create account and join Helix").click()
        expect(visitor.locator("#id_password2_errors")).to_contain_text("didn")

        visitor.get_by_label("Password (required)", exact=True).fill(NEW_PASSWORD)
        visitor.get_by_label("Password confirmation (required)").fill(NEW_PASSWORD)
        visitor.get_by_role("button", name="Create account and join Helix").click()

        visitor.wait_for_url(f"{base}/organisation/")
        expect(visitor.locator(".message")).to_have_text(
            "Welcome to Helix: you are now a member of it."
        )
        expect(visitor.locator(".members-table")).to_contain_text("ada")
        expect(visitor.locator(".topbar")).to_contain_text("ada")

        # Following the link again leads ada to her organisation; for anyone else it is gone.
        visitor.goto(link)
        assert visitor.url == f"{base}/organisation/"
    finally:
        anonymous.close()
    stranger = browser.new_context()
    try:
        gone = stranger.new_page().goto(link)
        assert gone is not None
        assert gone.status == 410
    finally:
        stranger.close()

    membership = Membership.objects.select_related("user").get(user__username="ada")
    assert (membership.organisation_id, membership.role) == (helix.organisation_id, Role.MEMBER)
    assert membership.user.email == "ada@example.com"
    page.goto(f"{base}/organisation/")
    expect(page.locator(".invitations-table")).to_have_count(0)


def test_the_link_page_for_a_signed_in_user_without_organisation(live_server, page: Page, helix):
    base = live_server.url
    UserFactory(username="sol", email="sol@example.com")
    _, token = invite(
        helix.organisation,
        helix.user,
        "sol@example.com",
        Role.VIEWER,
        link_for=lambda token: f"{base}/invitations/{token}/",
    )
    _sign_in(page, base, "sol")

    page.goto(f"{base}/invitations/{token}/")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Accept and join Helix").click()

    page.wait_for_url(f"{base}/organisation/")
    expect(page.locator(".message")).to_have_text("Welcome to Helix: you are now a viewer of it.")
    assert Membership.objects.get(user__username="sol").role == Role.VIEWER


def test_a_bad_link_page_passes_axe(live_server, page: Page, helix):
    page.goto(f"{live_server.url}/invitations/no-such-token/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Invitation not found")
    assert axe_violations(page) == []


def test_another_account_is_refused_and_signs_out_to_create_one(live_server, page: Page, helix):
    base = live_server.url
    _, token = invite(
        helix.organisation,
        helix.user,
        "boss@example.com",
        Role.ADMIN,
        link_for=lambda token: f"{base}/invitations/{token}/",
    )
    link = f"{base}/invitations/{token}/"
    stranger = UserFactory(username="stranger", email="stranger@other.example")
    _sign_in(page, base, "stranger")

    page.goto(link)
    expect(page.get_by_role("alert")).to_contain_text(
        "This invitation is for boss@example.com, and you are signed in as stranger "
        "(stranger@other.example)."
    )
    expect(page.get_by_role("button", name="Accept and join Helix")).to_have_count(0)
    assert axe_violations(page) == []
    page.screenshot(path="/tmp/invitation-other-account.png", full_page=True)

    page.get_by_role("button", name="Sign out and open the link again").click()
    page.wait_for_url(link)
    expect(page.get_by_label("E-mail address")).to_have_value("boss@example.com")
    assert not Membership.objects.filter(user=stranger).exists()
