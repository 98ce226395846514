"""The organisation's members page: everyone in it reads it; an admin changes roles and removes
members, but the organisation always keeps an admin."""

import pytest
from bs4 import BeautifulSoup
from django.test import Client

from matching.choices import Role
from matching.models import Membership
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation(helix):
    return helix.membership.organisation


@pytest.fixture
def admin(helix):
    """helen, the one admin of Helix."""
    Membership.objects.filter(user=helix).update(role=Role.ADMIN)
    return helix


def _colleague(organisation, role: str, username: str):
    return MembershipFactory(organisation=organisation, role=role, user__username=username)


@pytest.fixture
def bob(organisation):
    """A member of Helix."""
    return _colleague(organisation, Role.MEMBER, "bob")


@pytest.fixture
def vera(organisation):
    """A viewer of Helix."""
    return _colleague(organisation, Role.VIEWER, "vera")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def _messages(response) -> str:
    return " ".join(p.get_text(" ", strip=True) for p in _soup(response).select(".message"))


def _role_of(membership: Membership) -> str:
    return Membership.objects.get(pk=membership.pk).role


# Reading


def test_the_page_lists_the_members_with_their_roles(admin, bob, vera, northwind):
    page = _soup(_client(vera.user).get("/organisation/"))

    rows = [" ".join(row.get_text(" ").split()) for row in page.select(".members-table tbody tr")]
    assert [row.split()[0] for row in rows] == ["helen", "bob", "vera"]
    roles = [page.select(".members-table tbody tr")[i].select("td")[2] for i in range(3)]
    assert [" ".join(cell.get_text().split()) for cell in roles] == ["Admin", "Member", "Viewer"]
    assert "nora" not in page.get_text()
    # A viewer reads: no form to change anything.
    assert not page.select("main form")


def test_an_admin_gets_the_forms(admin, bob):
    page = _soup(_client(admin).get("/organisation/"))

    assert page.select(f'form[action="/organisation/members/{bob.pk}/role/"] select[name=role]')
    assert page.select(f'form[action="/organisation/members/{bob.pk}/remove/"]')
    assert page.select("main form input[name=csrfmiddlewaretoken]")


def test_a_user_without_an_organisation_gets_the_no_organisation_page(django_user_model):
    loner = django_user_model.objects.create_user("lone", password="pw")

    response = _client(loner).get("/organisation/")

    assert response.status_code == 403
    assert "does not belong to a sponsor organisation" in response.content.decode()
    removed = _client(loner).post(f"/organisation/members/{loner.pk}/remove/")
    assert removed.status_code == 403


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get("/organisation/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# An admin manages


def test_an_admin_changes_a_members_role(admin, bob):
    response = _client(admin).post(
        f"/organisation/members/{bob.pk}/role/", {"role": Role.VIEWER}, follow=True
    )

    assert _role_of(bob) == Role.VIEWER
    assert "bob's role is now Viewer." in _messages(response)


def test_an_unknown_role_is_refused_with_a_message(admin, bob):
    response = _client(admin).post(
        f"/organisation/members/{bob.pk}/role/", {"role": "owner"}, follow=True
    )

    assert _role_of(bob) == Role.MEMBER
    assert "Unknown role “owner”: use one of admin, member, viewer." in _messages(response)


def test_an_admin_removes_a_member_and_keeps_the_account(admin, bob):
    response = _client(admin).post(f"/organisation/members/{bob.pk}/remove/", follow=True)

    assert not Membership.objects.filter(pk=bob.pk).exists()
    assert bob.user.__class__.objects.filter(pk=bob.user.pk).exists()
    assert "bob is no longer a member of Helix." in _messages(response)
    assert "bob" not in _soup(response).select_one(".members-table").get_text()


def test_the_last_admin_can_neither_leave_nor_step_down(admin, bob):
    client = _client(admin)
    own = admin.membership

    demoted = client.post(f"/organisation/members/{own.pk}/role/", {"role": "member"}, follow=True)
    removed = client.post(f"/organisation/members/{own.pk}/remove/", follow=True)

    assert _role_of(own) == Role.ADMIN
    expected = "helen is the only admin of Helix: make another member an admin first"
    assert expected in _messages(demoted)
    assert expected in _messages(removed)


def test_with_a_second_admin_an_admin_may_step_down_and_then_leave(admin, bob):
    client = _client(admin)
    own = admin.membership
    client.post(f"/organisation/members/{bob.pk}/role/", {"role": "admin"})

    client.post(f"/organisation/members/{own.pk}/role/", {"role": "viewer"})
    assert _role_of(own) == Role.VIEWER
    # Now a viewer, helen manages nothing; bob, the admin now, removes her.
    assert client.post(f"/organisation/members/{bob.pk}/remove/").status_code == 403
    _client(bob.user).post(f"/organisation/members/{own.pk}/remove/")
    assert not Membership.objects.filter(pk=own.pk).exists()


def test_an_admin_who_leaves_is_sent_to_the_briefs(admin, bob):
    Membership.objects.filter(pk=bob.pk).update(role=Role.ADMIN)

    response = _client(admin).post(f"/organisation/members/{admin.membership.pk}/remove/")

    assert response.status_code == 302
    assert response["Location"] == "/briefs/"
    assert not Membership.objects.filter(user=admin).exists()


# Everyone else is refused


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_cannot_change_roles_or_remove(admin, bob, organisation, role):
    someone = _colleague(organisation, role, "sam")
    client = _client(someone.user)

    promoted = client.post(f"/organisation/members/{someone.pk}/role/", {"role": "admin"})
    demoted = client.post(f"/organisation/members/{admin.membership.pk}/role/", {"role": "viewer"})
    removed = client.post(f"/organisation/members/{bob.pk}/remove/")

    assert (promoted.status_code, demoted.status_code, removed.status_code) == (403, 403, 403)
    assert "Only an admin of the organisation" in removed.content.decode()
    assert (_role_of(someone), _role_of(admin.membership)) == (role, Role.ADMIN)
    assert Membership.objects.filter(pk=bob.pk).exists()


def test_an_admin_of_another_organisation_cannot_touch_a_member(admin, bob, northwind):
    Membership.objects.filter(user=northwind).update(role=Role.ADMIN)
    client = _client(northwind)

    changed = client.post(f"/organisation/members/{bob.pk}/role/", {"role": "viewer"})
    removed = client.post(f"/organisation/members/{bob.pk}/remove/")

    assert (changed.status_code, removed.status_code) == (404, 404)
    assert _role_of(bob) == Role.MEMBER


def test_the_forms_are_posts_only(admin, bob):
    client = _client(admin)

    assert client.get(f"/organisation/members/{bob.pk}/role/").status_code == 405
    assert client.get(f"/organisation/members/{bob.pk}/remove/").status_code == 405


def test_the_forms_need_the_csrf_token(admin, bob):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)

    response = client.post(f"/organisation/members/{bob.pk}/remove/")

    assert response.status_code == 403
    assert Membership.objects.filter(pk=bob.pk).exists()


def test_the_main_navigation_leads_to_the_page_and_marks_it_current(admin):
    client = _client(admin)

    members = _soup(client.get("/organisation/")).select_one("nav[aria-label=Main]")
    briefs = _soup(client.get("/briefs/")).select_one("nav[aria-label=Main]")

    assert members.select_one('a[aria-current="page"]')["href"] == "/organisation/"
    assert briefs.select_one('a[aria-current="page"]')["href"] == "/briefs/"
    assert briefs.select_one('a[href="/organisation/"]').get_text() == "Organisation"
