"""Invitations as pages: an admin invites from the members page and sees what is pending; the
link's page lets someone without an account create one and join, and someone signed in with the
invited address and without an organisation join with a button (anyone else signed in is
refused); a bad link says what happened and whom to ask."""

import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from matching.choices import Role
from matching.invitations import invite, revoke
from matching.models import Invitation, Membership
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def admin(helix):
    """helen, the admin of Helix."""
    Membership.objects.filter(user=helix).update(role=Role.ADMIN)
    helix.refresh_from_db()
    return helix


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def _text(response) -> str:
    return " ".join(_soup(response).get_text(" ").split())


def _messages(response) -> str:
    return " ".join(p.get_text(" ", strip=True) for p in _soup(response).select(".message"))


def _invitation(admin, email="ada@example.com", role=Role.MEMBER):
    """An invitation of Helix and the path of its link."""
    invitation, token = invite(
        admin.membership.organisation,
        admin,
        email,
        role,
        link_for=lambda token: f"http://testserver/invitations/{token}/",
    )
    return invitation, f"/invitations/{token}/"


def _colleague(admin, role):
    return MembershipFactory(organisation=admin.membership.organisation, role=role).user


# The members page


def test_an_admin_sees_the_invite_form_and_the_pending_invitations(admin):
    _invitation(admin, "ada@example.com", Role.VIEWER)

    page = _soup(_client(admin).get("/organisation/"))

    form = page.select_one('form[action="/organisation/invitations/"]')
    assert form.select_one("input[type=email][name=email]")
    assert [o["value"] for o in form.select("select[name=role] option")] == Role.values
    rows = [" ".join(r.get_text(" ").split()) for r in page.select(".invitations-table tbody tr")]
    assert len(rows) == 1
    assert rows[0].startswith("ada@example.com Viewer helen on ")
    assert "Revoke the invitation to ada@example.com" in rows[0]


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_see_neither_the_form_nor_the_invitations(admin, role):
    _invitation(admin)
    colleague = _colleague(admin, role)

    page = _soup(_client(colleague).get("/organisation/"))

    assert not page.select('form[action="/organisation/invitations/"]')
    assert "ada@example.com" not in page.get_text()


def test_the_members_page_keeps_its_queries_with_more_invitations(
    admin, django_assert_max_num_queries
):
    client = _client(admin)
    _invitation(admin, "one@example.com")
    with django_assert_max_num_queries(8) as few:
        client.get("/organisation/")
    for number in range(10):
        _invitation(admin, f"more{number}@example.com")

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/organisation/")
    assert len(_soup(response).select(".invitations-table tbody tr")) == 11


# Inviting


def test_an_admin_invites_and_the_mail_carries_an_absolute_link(
    admin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(admin).post(
            "/organisation/invitations/", {"email": "Ada@Example.com", "role": Role.VIEWER}
        )

    assert response.status_code == 302
    assert response["Location"] == "/organisation/"
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role) == ("ada@example.com", Role.VIEWER)
    (mail,) = mailoutbox
    assert re.search(r"http://testserver/invitations/[\w-]{40,}/", mail.body)
    follow = _client(admin).get("/organisation/")
    assert "ada@example.com" in _text(follow)


def test_the_admin_is_told_the_invitation_left(admin, django_capture_on_commit_callbacks):
    client = _client(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/organisation/invitations/",
            {"email": "ada@example.com", "role": Role.MEMBER},
            follow=True,
        )

    assert _messages(response).startswith("Invitation sent to ada@example.com as member;")


def test_an_address_of_a_member_is_refused_beside_the_field(admin, mailoutbox):
    MembershipFactory(organisation=admin.membership.organisation, user__email="bob@helix.example")

    response = _client(admin).post(
        "/organisation/invitations/", {"email": "BOB@helix.example", "role": Role.MEMBER}
    )

    assert response.status_code == 400
    errors = _soup(response).select_one("#id_email_errors")
    assert errors.get_text(strip=True) == "bob@helix.example is already a member of Helix."
    # What was typed stays in the field.
    assert _soup(response).select_one("input[name=email]")["value"] == "BOB@helix.example"
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_an_address_of_another_organisation_is_refused_beside_the_field(admin, northwind):
    northwind.email = "nora@northwind.example"
    northwind.save()

    response = _client(admin).post(
        "/organisation/invitations/", {"email": "nora@northwind.example", "role": Role.MEMBER}
    )

    assert response.status_code == 400
    assert "belongs to an account of another organisation" in (
        _soup(response).select_one("#id_email_errors").get_text()
    )


def test_a_malformed_address_is_refused_beside_the_field(admin):
    response = _client(admin).post(
        "/organisation/invitations/", {"email": "ada at example", "role": Role.MEMBER}
    )

    assert response.status_code == 400
    page = _soup(response)
    assert "Enter an e-mail address" in page.select_one("#id_email_errors").get_text()
    # The page comes back with the keyboard on the address to correct.
    assert [field["name"] for field in page.select("[autofocus]")] == ["email"]


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_are_refused_inviting(admin, role):
    response = _client(_colleague(admin, role)).post(
        "/organisation/invitations/", {"email": "ada@example.com", "role": Role.MEMBER}
    )

    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_anonymous_users_are_sent_to_sign_in_and_loners_refused(admin):
    anonymous = _client().post("/organisation/invitations/", {"email": "a@example.com"})
    loner = _client(UserFactory()).post("/organisation/invitations/", {"email": "a@example.com"})

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    assert loner.status_code == 403
    assert not Invitation.objects.exists()


# Revoking


def test_an_admin_revokes_an_invitation_and_its_link_stops_working(admin):
    invitation, link = _invitation(admin)

    response = _client(admin).post(f"/organisation/invitations/{invitation.pk}/revoke/")

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert _client().get(link).status_code == 410


def test_revoking_is_for_the_admin_of_the_same_organisation(admin, northwind):
    invitation, _ = _invitation(admin)
    Membership.objects.filter(user=northwind).update(role=Role.ADMIN)

    outsider = _client(northwind).post(f"/organisation/invitations/{invitation.pk}/revoke/")
    viewer = _client(_colleague(admin, Role.VIEWER)).post(
        f"/organisation/invitations/{invitation.pk}/revoke/"
    )

    assert (outsider.status_code, viewer.status_code) == (404, 403)
    invitation.refresh_from_db()
    assert invitation.is_open


# The link's page: without an account


def test_the_link_offers_an_account_with_the_invited_address_fixed(admin):
    _, link = _invitation(admin, role=Role.VIEWER)

    response = _client().get(link)

    assert response.status_code == 200
    page = _soup(response)
    assert page.h1.get_text() == "Join Helix"
    assert "helen invited ada@example.com to join Helix on CDMO Match as a viewer" in _text(
        response
    )
    email = page.select_one("input[name=email]")
    assert email["value"] == "ada@example.com"
    assert email.has_attr("disabled")
    assert page.select_one("input[name=password1]")
    assert page.select_one("input[name=password2]")
    sign_in = page.find("a", string="Sign in first")
    assert sign_in["href"] == f"/accounts/login/?next={link.replace('/', '%2F')}"


def test_creating_an_account_through_the_link_signs_in_and_joins(admin):
    invitation, link = _invitation(admin, role=Role.VIEWER)
    client = _client()

    response = client.post(
        link,
        {
            "username": "ada",
            "email": "mallory@example.com",  # disabled: the invited address wins
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
        follow=True,
    )

    assert response.redirect_chain == [("/organisation/", 302)]
    ada = User.objects.get(username="ada")
    assert ada.email == "ada@example.com"
    assert ada.check_password(PASSWORD)
    assert (ada.membership.organisation.name, ada.membership.role) == ("Helix", Role.VIEWER)
    assert response.context["user"] == ada
    assert _messages(response) == "Welcome to Helix: you are now a viewer of it."
    invitation.refresh_from_db()
    assert invitation.accepted_by == ada


@pytest.mark.parametrize(
    ("password1", "password2", "field", "message"),
    [
        (PASSWORD, PASSWORD + "x", "password2", "password fields didn"),
        ("abc", "abc", "password2", "This password is too short."),
        ("ada@example.com", "ada@example.com", "password2", "too similar to the email"),
        ("12345678901", "12345678901", "password2", "This password is entirely numeric."),
    ],
)
def test_a_weak_or_mistyped_password_is_refused_and_no_account_made(
    admin, password1, password2, field, message
):
    _, link = _invitation(admin)

    response = _client().post(
        link, {"username": "ada", "password1": password1, "password2": password2}
    )

    assert response.status_code == 400
    assert message in _soup(response).select_one(f"#id_{field}_errors").get_text()
    assert not User.objects.filter(username="ada").exists()


def test_a_taken_username_is_refused(admin):
    _, link = _invitation(admin)

    response = _client().post(
        link, {"username": "helen", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert response.status_code == 400
    assert "already exists" in _soup(response).select_one("#id_username_errors").get_text()


def test_an_address_with_an_account_already_is_asked_to_sign_in(admin):
    UserFactory(username="ada-old", email="ADA@example.com")
    _, link = _invitation(admin)

    page = _client().get(link)
    posted = _client().post(link, {"username": "ada", "password1": PASSWORD, "password2": PASSWORD})

    assert "exists already: sign in with it to accept" in _text(page)
    assert not _soup(page).select("input[name=password1]")
    sign_in = _soup(page).find("a", string="Sign in to accept")
    assert sign_in["href"].startswith("/accounts/login/?next=%2Finvitations%2F")
    assert posted.status_code == 200
    assert not User.objects.filter(username="ada").exists()


# The link's page: signed in


def test_a_signed_in_user_without_organisation_joins_with_a_button(admin):
    _, link = _invitation(admin)
    ada = UserFactory(username="ada", email="Ada@Example.COM")  # the case does not count
    client = _client(ada)

    page = _soup(client.get(link))
    assert page.select_one("main form button").get_text(strip=True) == "Accept and join Helix"
    assert not page.select("input[name=password1]")
    response = client.post(link)

    assert response.status_code == 302
    assert response["Location"] == "/organisation/"
    assert Membership.objects.get(user=ada).role == Role.MEMBER


def test_a_signed_in_user_of_another_organisation_is_refused_clearly(admin, northwind):
    invitation, link = _invitation(admin)
    northwind.email = "ada@example.com"  # given the invited address after the invitation left
    northwind.save()
    client = _client(northwind)

    page = client.get(link)
    posted = client.post(link)

    assert page.status_code == 200
    assert "Your account belongs to Northwind" in _soup(page).select_one(".error").get_text()
    assert not _soup(page).select("main form")
    assert posted.status_code == 409
    assert Membership.objects.get(user=northwind).organisation.name == "Northwind"
    invitation.refresh_from_db()
    assert invitation.is_open


@pytest.mark.parametrize(
    ("email", "says"),
    [
        (
            "stranger@other.example",
            "This invitation is for boss@example.com, and you are signed in as stranger "
            "(stranger@other.example). Sign out and open the link again to create an account "
            "with boss@example.com, or sign in as boss@example.com.",
        ),
        ("", "your account stranger has no e-mail address"),
    ],
)
def test_a_signed_in_account_without_the_invited_address_is_refused(admin, email, says):
    invitation, link = _invitation(admin, "boss@example.com", Role.ADMIN)
    stranger = UserFactory(username="stranger", email=email)
    client = _client(stranger)

    page = client.get(link)
    posted = client.post(link)

    assert page.status_code == 200
    assert says in _soup(page).select_one(".error").get_text()
    assert not _soup(page).select(".accept-form, input[name=password1]")
    sign_out = _soup(page).select_one("form.sign-out-form")
    assert sign_out["action"] == "/accounts/logout/"
    assert sign_out.select_one("input[name=next]")["value"] == link
    assert posted.status_code == 403
    assert says in _soup(posted).select_one(".error").get_text()
    assert not Membership.objects.filter(user=stranger).exists()
    invitation.refresh_from_db()
    assert invitation.is_open
    stranger.refresh_from_db()
    assert stranger.email == email


def test_signing_out_from_the_refusal_comes_back_to_the_account_form(admin):
    _, link = _invitation(admin)
    client = _client(UserFactory(username="stranger", email="stranger@other.example"))

    response = client.post("/accounts/logout/", {"next": link}, follow=True)

    assert response.redirect_chain[-1][0] == link
    assert _soup(response).select_one("input[name=password1]")


@pytest.mark.parametrize("existing", [False, True], ids=["sign-in-first", "sign-in-to-accept"])
def test_signing_in_from_the_link_as_another_account_is_refused_the_same_way(admin, existing):
    invitation, link = _invitation(admin, "boss@example.com", Role.ADMIN)
    if existing:
        UserFactory(username="boss", email="boss@example.com")
    stranger = UserFactory(username="stranger", email="stranger@other.example")
    client = _client()
    anchor = "Sign in to accept" if existing else "Sign in first"
    login_url = _soup(client.get(link)).find("a", string=anchor)["href"]

    signed_in = client.post(
        login_url, {"username": "stranger", "password": "pw", "next": link}, follow=True
    )
    posted = client.post(link)

    assert signed_in.redirect_chain[-1][0] == link
    assert "This invitation is for boss@example.com" in _text(signed_in)
    assert posted.status_code == 403
    assert not Membership.objects.filter(user=stranger).exists()
    invitation.refresh_from_db()
    assert invitation.is_open


def test_signing_in_from_the_link_with_the_invited_address_joins(admin):
    _, link = _invitation(admin)
    ada = UserFactory(username="ada", email="ada@example.com")
    client = _client()
    login_url = _soup(client.get(link)).find("a", string="Sign in to accept")["href"]

    client.post(login_url, {"username": "ada", "password": "pw", "next": link}, follow=True)
    response = client.post(link)

    assert response.status_code == 302
    assert Membership.objects.get(user=ada).organisation == admin.membership.organisation


def test_following_the_link_again_after_joining_leads_to_the_organisation(admin):
    _, link = _invitation(admin)
    ada = UserFactory(username="ada", email="ada@example.com")
    client = _client(ada)
    client.post(link)

    response = client.get(link)

    assert response.status_code == 302
    assert response["Location"] == "/organisation/"


# Bad links


def test_an_unknown_link_is_a_404_saying_what_to_check(admin):
    response = _client().get("/invitations/not-a-real-token/")

    assert response.status_code == 404
    assert "Invitation not found" in _text(response)
    assert "ask the admin who invited you" in _text(response)


def test_a_used_link_is_gone_and_says_whom_to_ask(admin):
    admin.email = "helen@helix.example"
    admin.save()
    _, link = _invitation(admin)
    _client(UserFactory(username="ada", email="ada@example.com")).post(link)

    response = _client().get(link)

    assert response.status_code == 410
    text = _text(response)
    assert "already been accepted" in text
    assert "Ask helen ( helen@helix.example ) or another admin of Helix" in text


def test_an_expired_link_is_gone_and_cannot_be_used_to_create_an_account(admin):
    invitation, link = _invitation(admin)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(hours=1)
    )

    page = _client().get(link)
    posted = _client().post(link, {"username": "ada", "password1": PASSWORD, "password2": PASSWORD})

    assert page.status_code == posted.status_code == 410
    assert "This invitation expired on" in _text(page)
    assert not User.objects.filter(username="ada").exists()


def test_a_revoked_link_is_gone(admin):
    invitation, link = _invitation(admin)
    revoke(invitation)

    response = _client().get(link)

    assert response.status_code == 410
    assert "withdrawn by an admin of Helix" in _text(response)
