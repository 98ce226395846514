"""The organisation's members and invitations in the JSON API: everyone in it lists the members;
an admin changes roles, removes members, invites, lists and revokes invitations; others are
refused (403), another organisation's rows are a 404, and bad input a 400 naming the field."""

import re

import pytest
from rest_framework.test import APIClient

from matching import invitations
from matching.choices import Role
from matching.invitations import invite
from matching.models import Invitation, Membership
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(helix):
    Membership.objects.filter(user=helix).update(role=Role.ADMIN)
    helix.refresh_from_db()
    return helix


def _api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _colleague(admin, role, username):
    return MembershipFactory(
        organisation=admin.membership.organisation, role=role, user__username=username
    )


def _invitation(admin, email="ada@example.com"):
    invitation, _ = invite(
        admin.membership.organisation, admin, email, link_for=lambda t: f"http://x/{t}/"
    )
    return invitation


# Members


def test_everyone_in_the_organisation_lists_its_members_admins_first(admin, northwind):
    vera = _colleague(admin, Role.VIEWER, "vera")
    _colleague(admin, Role.MEMBER, "bob")

    response = _api(vera.user).get("/api/organisation/members/")

    assert response.status_code == 200
    rows = [(row["username"], row["role"]) for row in response.json()["results"]]
    assert rows == [("helen", "admin"), ("bob", "member"), ("vera", "viewer")]


def test_the_member_list_keeps_its_queries_with_more_members(admin, django_assert_max_num_queries):
    client = _api(admin)
    _colleague(admin, Role.MEMBER, "bob")
    with django_assert_max_num_queries(10) as few:
        client.get("/api/organisation/members/")
    for number in range(8):
        _colleague(admin, Role.VIEWER, f"viewer{number}")

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/api/organisation/members/")
    assert response.json()["count"] == 10


def test_an_admin_changes_a_role_and_the_last_admin_stays(admin):
    bob = _colleague(admin, Role.MEMBER, "bob")
    client = _api(admin)

    changed = client.patch(f"/api/organisation/members/{bob.pk}/", {"role": "viewer"})
    unknown = client.patch(f"/api/organisation/members/{bob.pk}/", {"role": "owner"})
    last = client.patch(f"/api/organisation/members/{admin.membership.pk}/", {"role": "member"})

    assert (changed.status_code, changed.json()["role"]) == (200, "viewer")
    assert unknown.status_code == 400
    assert list(unknown.json()) == ["role"]
    assert last.status_code == 400
    assert "only admin of Helix" in last.json()["role"][0]
    assert Membership.objects.get(user=admin).role == Role.ADMIN


def test_an_admin_removes_a_member(admin):
    bob = _colleague(admin, Role.MEMBER, "bob")

    response = _api(admin).delete(f"/api/organisation/members/{bob.pk}/")

    assert response.status_code == 204
    assert not Membership.objects.filter(pk=bob.pk).exists()


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_change_no_one(admin, role):
    colleague = _colleague(admin, role, "colleague")
    client = _api(colleague.user)

    patched = client.patch(f"/api/organisation/members/{admin.membership.pk}/", {"role": "viewer"})
    deleted = client.delete(f"/api/organisation/members/{admin.membership.pk}/")

    assert (patched.status_code, deleted.status_code) == (403, 403)
    assert patched.json()["detail"].startswith("Only an admin of the organisation can change")
    assert Membership.objects.get(user=admin).role == Role.ADMIN


def test_another_organisations_member_is_a_404(admin, northwind):
    response = _api(admin).patch(
        f"/api/organisation/members/{northwind.membership.pk}/", {"role": "viewer"}
    )

    assert response.status_code == 404


def test_anonymous_users_and_loners_are_refused(admin):
    assert _api().get("/api/organisation/members/").status_code == 401
    assert _api(UserFactory()).get("/api/organisation/members/").status_code == 403
    assert _api(UserFactory()).get("/api/organisation/invitations/").status_code == 403


# Invitations


def test_an_admin_invites_and_the_answer_has_no_token(
    admin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _api(admin).post(
            "/api/organisation/invitations/", {"email": "Ada@Example.com", "role": "viewer"}
        )

    assert response.status_code == 201
    body = response.json()
    assert (body["email"], body["role"], body["invited_by"]) == (
        "ada@example.com",
        "viewer",
        "helen",
    )
    assert not any("token" in key for key in body)
    (mail,) = mailoutbox
    assert re.search(r"http://testserver/invitations/[\w-]{40,}/", mail.body)


def test_an_address_already_in_an_organisation_is_a_400_on_email(admin, northwind):
    northwind.email = "nora@northwind.example"
    northwind.save()

    response = _api(admin).post(
        "/api/organisation/invitations/", {"email": "nora@northwind.example"}
    )

    assert response.status_code == 400
    assert "belongs to an account of another organisation" in response.json()["email"][0]
    assert not Invitation.objects.exists()


def test_an_admin_lists_and_revokes_invitations(admin):
    invitation = _invitation(admin)
    client = _api(admin)

    listed = client.get("/api/organisation/invitations/")
    revoked = client.delete(f"/api/organisation/invitations/{invitation.pk}/")
    after = client.get("/api/organisation/invitations/")

    assert [row["email"] for row in listed.json()["results"]] == ["ada@example.com"]
    assert revoked.status_code == 204
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert after.json()["results"] == []


def test_revoking_an_invitation_accepted_meanwhile_is_a_400_and_it_stays_accepted(
    admin, monkeypatch
):
    invitation = _invitation(admin)
    ada = UserFactory(username="ada", email="ada@example.com")
    real_revoke = invitations.revoke

    def accepted_first(stale):
        # Accepted between the API's look-up of the invitation and its withdrawal.
        MembershipFactory(user=ada, organisation=admin.membership.organisation)
        Invitation.objects.filter(pk=stale.pk).update(accepted_at=stale.created_at, accepted_by=ada)
        return real_revoke(stale)

    monkeypatch.setattr(invitations, "revoke", accepted_first)
    response = _api(admin).delete(f"/api/organisation/invitations/{invitation.pk}/")

    assert response.status_code == 400
    assert response.json()["non_field_errors"] == [
        "ada@example.com accepted the invitation before it could be withdrawn; remove the new "
        "member from the organisation if they should not be in it."
    ]
    invitation.refresh_from_db()
    assert (invitation.accepted_by, invitation.revoked_at) == (ada, None)


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_invitations_are_for_admins_only(admin, role):
    invitation = _invitation(admin)
    client = _api(_colleague(admin, role, "colleague").user)

    listed = client.get("/api/organisation/invitations/")
    assert listed.status_code == 403
    assert listed.json()["detail"] == invitations.ADMINS_ONLY
    assert (
        client.post("/api/organisation/invitations/", {"email": "x@example.com"}).status_code == 403
    )
    assert client.delete(f"/api/organisation/invitations/{invitation.pk}/").status_code == 403
    invitation.refresh_from_db()
    assert invitation.is_open


def test_another_organisations_invitation_is_a_404(admin, northwind):
    invitation = _invitation(admin)
    Membership.objects.filter(user=northwind).update(role=Role.ADMIN)

    response = _api(northwind).delete(f"/api/organisation/invitations/{invitation.pk}/")

    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.is_open
