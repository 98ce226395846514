"""Invitations by e-mail as plain domain calls (matching/invitations.py): an admin invites an
address with a role, the mail leaves after the commit with an absolute link, and the link works
once, until it expires, for an account with the invited address and without an organisation."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from matching import invitations
from matching.choices import Role
from matching.invitations import INVITATIONS_PER_DAY, accept, hash_token, invite, revoke
from matching.models import Invitation, Membership
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _link(token: str) -> str:
    return f"https://cdmo.example/invitations/{token}/"


@pytest.fixture
def helix_org(helix):
    return helix.membership.organisation


@pytest.fixture
def admin(helix):
    """helen, admin of Helix."""
    Membership.objects.filter(user=helix).update(role=Role.ADMIN)
    helix.refresh_from_db()
    return helix


def _invite(admin, email="Ada@Example.com", role=Role.MEMBER):
    return invite(admin.membership.organisation, admin, email, role, link_for=_link)


def _field_messages(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict


# Inviting


def test_an_invitation_stores_the_address_lower_cased_and_only_the_hash_of_the_token(
    admin, settings
):
    settings.INVITATION_VALID_HOURS = 48
    before = timezone.now()

    invitation, token = _invite(admin, " Ada@Example.COM ", Role.VIEWER)

    invitation.refresh_from_db()
    assert invitation.email == "ada@example.com"
    assert invitation.role == Role.VIEWER
    assert invitation.invited_by == admin
    assert invitation.token_hash == hash_token(token) != token
    assert len(token) >= 40
    assert not Invitation.objects.filter(token_hash=token).exists()
    assert before + timedelta(hours=48) <= invitation.expires_at
    assert invitation.expires_at <= timezone.now() + timedelta(hours=48)


def test_the_mail_leaves_after_the_commit_with_the_absolute_link_and_what_it_offers(
    admin, mailoutbox, django_capture_on_commit_callbacks
):
    admin.first_name, admin.last_name = "Helen", "Hart"
    admin.save()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation, token = _invite(admin, role=Role.ADMIN)
    assert mailoutbox == []
    for callback in callbacks:
        callback()

    (mail,) = mailoutbox
    assert mail.to == ["ada@example.com"]
    assert mail.subject == "Join Helix on CDMO Match"
    assert f"https://cdmo.example/invitations/{token}/" in mail.body
    assert "Helen Hart invited you to join Helix on CDMO Match as an admin." in mail.body
    assert invitations.expiry_text(invitation) in mail.body
    assert "works once" in mail.body


def test_no_mail_leaves_when_the_transaction_rolls_back(
    admin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                _invite(admin)
                raise RuntimeError("the request failed later")
        except RuntimeError:
            pass

    assert mailoutbox == []
    assert not Invitation.objects.exists()


def test_an_address_of_a_member_is_refused_whatever_its_case(admin):
    MembershipFactory(organisation=admin.membership.organisation, user__email="Bob@Helix.example")

    with pytest.raises(ValidationError) as refused:
        _invite(admin, "bob@helix.EXAMPLE")

    assert _field_messages(refused.value) == {
        "email": ["bob@helix.example is already a member of Helix."]
    }
    assert not Invitation.objects.exists()


def test_an_address_of_another_organisations_account_is_refused(admin, northwind):
    northwind.email = "nora@northwind.example"
    northwind.save()

    with pytest.raises(ValidationError) as refused:
        _invite(admin, "NORA@northwind.example")

    assert _field_messages(refused.value) == {
        "email": [
            "nora@northwind.example belongs to an account of another organisation; a person "
            "can be a member of one organisation only."
        ]
    }


def test_an_address_of_an_account_without_organisation_may_be_invited(admin):
    UserFactory(username="solo", email="solo@example.com")

    invitation, _ = _invite(admin, "solo@example.com")

    assert invitation.pk


def test_inviting_an_address_again_replaces_its_open_invitation(admin):
    first, first_token = _invite(admin, "ada@example.com", Role.VIEWER)

    second, second_token = _invite(admin, "ADA@example.com", Role.MEMBER)

    first.refresh_from_db()
    assert first.revoked_at is not None
    assert second_token != first_token
    assert list(Invitation.objects.open().values_list("pk", "role")) == [(second.pk, Role.MEMBER)]


def test_bad_input_names_its_field(admin):
    with pytest.raises(ValidationError) as no_address:
        _invite(admin, "  ")
    with pytest.raises(ValidationError) as not_an_address:
        _invite(admin, "ada at example")
    with pytest.raises(ValidationError) as unknown_role:
        _invite(admin, "ada@example.com", "owner")

    assert list(no_address.value.message_dict) == ["email"]
    assert not_an_address.value.message_dict["email"] == [
        "“ada at example” is not an e-mail address."
    ]
    assert unknown_role.value.message_dict["role"] == [
        "Unknown role “owner”: use one of admin, member, viewer."
    ]


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_only_an_admin_invites(helix, role):
    Membership.objects.filter(user=helix).update(role=role)
    helix.refresh_from_db()

    with pytest.raises(PermissionDenied):
        _invite(helix)


def test_an_admin_of_another_organisation_cannot_invite_to_this_one(admin, northwind):
    Membership.objects.filter(user=northwind).update(role=Role.ADMIN)

    with pytest.raises(PermissionDenied):
        invite(admin.membership.organisation, northwind, "ada@example.com", link_for=_link)


def test_an_organisation_sends_a_limited_number_of_invitations_a_day(admin):
    for number in range(INVITATIONS_PER_DAY):
        _invite(admin, f"colleague{number}@example.com")

    with pytest.raises(ValidationError) as refused:
        _invite(admin, "one.more@example.com")

    assert "50 invitations in the last 24 hours" in " ".join(refused.value.messages)
    # A day later the count starts again.
    Invitation.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert _invite(admin, "one.more@example.com")[0].pk


def test_the_database_keeps_one_open_invitation_per_address(admin):
    invitation, _ = _invite(admin, "ada@example.com")

    with pytest.raises(IntegrityError):
        Invitation.objects.create(
            organisation=invitation.organisation,
            email="ada@example.com",
            token_hash="0" * 64,
            expires_at=invitation.expires_at,
        )


# Accepting


def _ada(**kwargs):
    """An account with the invited address (written with capitals: the case does not count)."""
    return UserFactory(username="ada", email="ADA@example.com", **kwargs)


def test_accepting_makes_the_user_a_member_with_the_role(admin):
    invitation, token = _invite(admin, "ada@example.com", Role.VIEWER)
    ada = _ada()

    membership = accept(token, ada)

    assert (membership.organisation, membership.role) == (invitation.organisation, Role.VIEWER)
    invitation.refresh_from_db()
    assert invitation.accepted_by == ada
    assert invitation.accepted_at is not None


@pytest.mark.parametrize(
    ("email", "says"),
    [
        (
            "stranger@other.example",
            "This invitation is for ada@example.com, and you are signed in as eve "
            "(stranger@other.example). Sign out and open the link again to create an account "
            "with ada@example.com, or sign in as ada@example.com.",
        ),
        ("", "This invitation is for ada@example.com, and your account eve has no e-mail address"),
    ],
)
def test_only_an_account_with_the_invited_address_accepts(admin, email, says):
    invitation, token = _invite(admin, "ada@example.com", Role.ADMIN)
    eve = UserFactory(username="eve", email=email)

    with pytest.raises(ValidationError) as refused:
        accept(token, eve)

    assert refused.value.code == "other_address"
    assert refused.value.messages[0].startswith(says)
    assert not Membership.objects.filter(user=eve).exists()
    invitation.refresh_from_db()
    assert invitation.is_open
    eve.refresh_from_db()
    assert eve.email == email


def test_a_link_works_once(admin):
    _, token = _invite(admin)
    accept(token, _ada())
    Membership.objects.filter(user__username="ada").delete()

    with pytest.raises(ValidationError) as refused:
        accept(token, User.objects.get(username="ada"))

    assert refused.value.code == "used"
    assert "already been accepted" in refused.value.messages[0]
    assert not Membership.objects.filter(user__username="ada").exists()


def test_an_expired_link_says_when_it_expired(admin):
    invitation, token = _invite(admin)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    with pytest.raises(ValidationError) as refused:
        accept(token, _ada())

    assert refused.value.code == "expired"
    assert refused.value.messages[0].startswith("This invitation expired on ")


def test_a_revoked_link_says_so(admin):
    invitation, token = _invite(admin)
    revoke(invitation)

    with pytest.raises(ValidationError) as refused:
        accept(token, _ada())

    assert refused.value.code == "revoked"
    assert refused.value.messages == ["This invitation was withdrawn by an admin of Helix."]


def test_an_unknown_link_is_refused(admin):
    with pytest.raises(ValidationError) as refused:
        accept("not-a-token", UserFactory(username="ada"))

    assert refused.value.code == "unknown"


def test_an_account_of_another_organisation_cannot_accept(admin, northwind):
    invitation, token = _invite(admin)
    northwind.email = "ada@example.com"  # given the invited address after the invitation left
    northwind.save()

    with pytest.raises(ValidationError) as refused:
        accept(token, northwind)

    assert refused.value.code == "has_organisation"
    assert "Your account belongs to Northwind" in refused.value.messages[0]
    invitation.refresh_from_db()
    assert invitation.is_open
    assert northwind.membership.organisation.name == "Northwind"


def test_a_member_of_the_organisation_is_told_so(admin):
    _, token = _invite(admin)
    bob = MembershipFactory(
        organisation=admin.membership.organisation, user__email="ada@example.com"
    ).user

    with pytest.raises(ValidationError) as refused:
        accept(token, bob)

    assert refused.value.messages == ["You are already a member of Helix."]


def test_revoking_a_closed_invitation_is_refused(admin):
    invitation, token = _invite(admin)
    accept(token, _ada())
    invitation.refresh_from_db()

    with pytest.raises(ValidationError):
        revoke(invitation)


def test_revoking_an_invitation_accepted_since_it_was_read_keeps_it_accepted(admin):
    invitation, token = _invite(admin)
    stale = Invitation.objects.get(pk=invitation.pk)  # the admin's page, read before the accept
    accept(token, _ada())

    with pytest.raises(ValidationError) as refused:
        revoke(stale)

    assert refused.value.code == "not_open"
    assert refused.value.messages == [
        "ada@example.com accepted the invitation before it could be withdrawn; remove the new "
        "member from the organisation if they should not be in it."
    ]
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert invitation.revoked_at is None
    assert Membership.objects.filter(user__username="ada").exists()


def test_pending_lists_open_unexpired_invitations_newest_first(admin):
    _invite(admin, "old@example.com")
    expired, _ = _invite(admin, "expired@example.com")
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    revoked, _ = _invite(admin, "revoked@example.com")
    revoke(revoked)
    _invite(admin, "new@example.com")

    assert [i.email for i in invitations.pending(admin.membership.organisation)] == [
        "new@example.com",
        "old@example.com",
    ]


def test_an_account_address_written_with_capitals_still_counts_as_taken(admin):
    MembershipFactory(user__email="CAPS@Example.com")

    with pytest.raises(ValidationError):
        _invite(admin, "caps@example.com")

    assert User.objects.filter(email__iexact="caps@example.com").count() == 1
