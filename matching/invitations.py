"""Invitations by e-mail: an admin invites a colleague's address to the organisation with a role;
the mailed link works once, until it expires, and lets someone without an account create one.

The link carries a random token (`secrets.token_urlsafe`); only its SHA-256 is stored. A person
belongs to one organisation at most, so an address that already belongs to an account of any
organisation is refused when invited, and an account that already belongs to one cannot accept.
Only an account with the invited address accepts: someone signed in with another account (or one
without an address) is refused and told to sign in with the invited address, or to sign out and
create an account through the link, which fixes its address to the invited one.
Bad input raises Django's ValidationError naming the field, and changes nothing; who may invite
(an admin of the organisation) is checked here as well as by the pages.
"""

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from matching.choices import Role
from matching.models import Invitation, Membership, Organisation

# An organisation sends at most this many invitations in any 24 hours: enough for a team
# joining at once, too few for the mail to be used to spam.
INVITATIONS_PER_DAY = 50

ALREADY_MEMBER = "{email} is already a member of {organisation}."
OTHER_ORGANISATION = (
    "{email} belongs to an account of another organisation; a person can be a member of one "
    "organisation only."
)
TOO_MANY = (
    "{organisation} has sent {limit} invitations in the last 24 hours, the most allowed; "
    "try again tomorrow."
)
ADMINS_ONLY = "Only an admin of the organisation can invite colleagues or revoke invitations."

# Why a link cannot be used, by ValidationError code; the pages add whom to ask.
UNKNOWN = "This invitation link is not valid: it may have been mistyped or cut short."
USED = "This invitation has already been accepted; it works once."
REVOKED = "This invitation was withdrawn by an admin of {organisation}."
EXPIRED = "This invitation expired on {expires}."
MEMBER_ALREADY = "You are already a member of {organisation}."
# The invited address is shown in full, to whoever holds the link: the link is the secret, and
# its holder sees the address anyway (the page names it, and the account form shows it fixed),
# while the invitee with two accounts needs to know which one to sign in with.
OTHER_ADDRESS = (
    "This invitation is for {email}, and you are signed in as {username} ({own}). Sign out and "
    "open the link again to create an account with {email}, or sign in as {email}."
)
NO_ADDRESS = (
    "This invitation is for {email}, and your account {username} has no e-mail address, so it "
    "cannot be told apart from anyone else's. Ask whoever runs this CDMO Match site to set "
    "{email} as its address, or sign out and open the link again to create an account with {email}."
)
ACCOUNT_ELSEWHERE = (
    "Your account belongs to {other}; a person can be a member of one organisation only. Ask an "
    "admin of {other} to remove you first, or create a new account with the invited address."
)

ROLE_SENTENCES = {
    Role.ADMIN: "As an admin you can manage its members as well as its work.",
    Role.MEMBER: "As a member you can write briefs, run matches and work shortlists.",
    Role.VIEWER: "As a viewer you can read its briefs, runs and shortlists.",
}


def hash_token(raw_token: str) -> str:
    """The SHA-256 (hex) of a link's token: what is stored and looked up."""
    return hashlib.sha256(raw_token.encode()).hexdigest()


def pending(organisation: Organisation) -> list[Invitation]:
    """The organisation's invitations whose link still works, newest first, with who sent them."""
    return list(
        Invitation.objects.filter(organisation=organisation)
        .pending(timezone.now())
        .select_related("invited_by")
    )


def expiry_text(invitation: Invitation) -> str:
    return date_format(timezone.localtime(invitation.expires_at), "j F Y, H:i T")


def _email_error(message: str, code: str) -> ValidationError:
    return ValidationError({"email": ValidationError(message, code=code)})


def _clean_email(email: str) -> str:
    address = (email or "").strip().lower()
    if not address:
        raise _email_error("Enter the colleague's e-mail address.", "required")
    try:
        validate_email(address)
    except ValidationError as error:
        raise _email_error(f"“{email.strip()}” is not an e-mail address.", "invalid") from error
    return address


def _refuse_taken(organisation: Organisation, address: str) -> None:
    """Refuse an address that belongs to a member, here or in another organisation."""
    members = Membership.objects.filter(user__email__iexact=address)
    if members.filter(organisation=organisation).exists():
        raise _email_error(
            ALREADY_MEMBER.format(email=address, organisation=organisation), "already_member"
        )
    if members.exists():
        raise _email_error(OTHER_ORGANISATION.format(email=address), "other_organisation")


def _refuse_too_many(organisation: Organisation, now) -> None:
    sent = Invitation.objects.filter(
        organisation=organisation, created_at__gt=now - timedelta(hours=24)
    ).count()
    if sent >= INVITATIONS_PER_DAY:
        raise ValidationError(
            TOO_MANY.format(organisation=organisation, limit=INVITATIONS_PER_DAY), code="throttled"
        )


def invite(
    organisation: Organisation,
    inviter: User,
    email: str,
    role: str = Role.MEMBER,
    *,
    link_for: Callable[[str], str],
) -> tuple[Invitation, str]:
    """Invite `email` to the organisation with `role`; return the invitation and its token.

    `link_for` turns a token into the absolute address of its accept page (the mail's link).
    An open invitation to the same address is revoked and replaced, with a new link. The mail
    goes once the transaction commits.
    """
    if not Membership.objects.filter(
        user_id=inviter.pk, organisation=organisation, role=Role.ADMIN
    ).exists():
        raise PermissionDenied(ADMINS_ONLY)
    address = _clean_email(email)
    if role not in Role.values:
        known = ", ".join(label.lower() for label in Role.labels)
        raise ValidationError(
            {"role": ValidationError(f"Unknown role “{role}”: use one of {known}.", code="role")}
        )
    _refuse_taken(organisation, address)
    now = timezone.now()
    raw_token = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            _refuse_too_many(organisation, now)
            Invitation.objects.open().filter(organisation=organisation, email=address).update(
                revoked_at=now, updated_at=now
            )
            invitation = Invitation.objects.create(
                organisation=organisation,
                email=address,
                role=role,
                token_hash=hash_token(raw_token),
                invited_by=inviter,
                expires_at=now + timedelta(hours=settings.INVITATION_VALID_HOURS),
            )
    except IntegrityError as error:
        # Another admin invited the same address at the same moment: theirs stands.
        raise _email_error(
            f"{address} was invited by someone else just now; reload the page.", "concurrent"
        ) from error
    link = link_for(raw_token)
    transaction.on_commit(lambda: _send(invitation, link))
    return invitation, raw_token


def _send(invitation: Invitation, link: str) -> None:
    inviter = invitation.invited_by
    who = (inviter.get_full_name() or inviter.get_username()) if inviter else "An admin"
    organisation = invitation.organisation
    role = Role(invitation.role)
    body = (
        f"{who} invited you to join {organisation} on CDMO Match as {_article(role.label)} "
        f"{role.label.lower()}.\n"
        f"{ROLE_SENTENCES[role]}\n\n"
        f"Accept the invitation (you can create an account there if you have none):\n"
        f"{link}\n\n"
        f"The link works once, until {expiry_text(invitation)}. If you did not expect this "
        f"invitation, ignore this mail and nothing happens.\n"
    )
    send_mail(
        f"Join {organisation} on CDMO Match",
        body,
        settings.DEFAULT_FROM_EMAIL,
        [invitation.email],
    )


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def find(raw_token: str) -> Invitation:
    """The invitation of that link's token, usable or not; ValidationError (code "unknown")
    when there is none."""
    invitation = (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(token_hash=hash_token(raw_token))
        .first()
    )
    if invitation is None:
        raise ValidationError(UNKNOWN, code="unknown")
    return invitation


def check_usable(invitation: Invitation) -> None:
    """Raise ValidationError (code "used", "revoked" or "expired") unless the link works."""
    organisation = invitation.organisation
    if invitation.accepted_at is not None:
        raise ValidationError(USED, code="used")
    if invitation.revoked_at is not None:
        raise ValidationError(REVOKED.format(organisation=organisation), code="revoked")
    if invitation.expires_at <= timezone.now():
        raise ValidationError(EXPIRED.format(expires=expiry_text(invitation)), code="expired")


def check_address(invitation: Invitation, user: User) -> None:
    """Raise ValidationError (code "other_address") unless the account's e-mail address is the
    invited one, whatever its case; an account without an address is refused too."""
    own = (user.email or "").strip()
    if own.lower() == invitation.email:
        return
    message = OTHER_ADDRESS if own else NO_ADDRESS
    raise ValidationError(
        message.format(email=invitation.email, username=user.get_username(), own=own),
        code="other_address",
    )


def check_can_join(invitation: Invitation, user: User) -> None:
    """Raise ValidationError (code "has_organisation") when the user belongs to one already."""
    membership = Membership.objects.select_related("organisation").filter(user_id=user.pk).first()
    if membership is None:
        return
    if membership.organisation_id == invitation.organisation_id:
        message = MEMBER_ALREADY.format(organisation=membership.organisation)
    else:
        message = ACCOUNT_ELSEWHERE.format(other=membership.organisation)
    raise ValidationError(message, code="has_organisation")


@transaction.atomic
def accept(raw_token: str, user: User) -> Membership:
    """Make the user a member of the invitation's organisation, with its role. Works once, and
    only for an account with the invited address."""
    invitation = find(raw_token)
    check_usable(invitation)
    check_address(invitation, user)
    check_can_join(invitation, user)
    now = timezone.now()
    # Claimed with a conditional update, so two clicks on the link cannot both join.
    claimed = (
        Invitation.objects.open()
        .filter(pk=invitation.pk, expires_at__gt=now)
        .update(accepted_at=now, accepted_by=user, updated_at=now)
    )
    if not claimed:
        raise ValidationError(USED, code="used")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                user=user, organisation=invitation.organisation, role=invitation.role
            )
    except IntegrityError as error:
        # The user joined an organisation in the meantime (a membership is one per user).
        raise ValidationError(
            "Your account joined an organisation in the meantime.", code="has_organisation"
        ) from error
    return membership


def revoke(invitation: Invitation) -> Invitation:
    """Withdraw an open invitation: its link stops working.

    Withdrawn with a conditional update, like `accept` claims it, so a link accepted at the same
    moment is either accepted or withdrawn, never both."""
    now = timezone.now()
    withdrawn = (
        Invitation.objects.open().filter(pk=invitation.pk).update(revoked_at=now, updated_at=now)
    )
    if not withdrawn:
        invitation.refresh_from_db()
        if invitation.accepted_at is not None:
            message = (
                f"{invitation.email} accepted the invitation before it could be withdrawn; "
                "remove the new member from the organisation if they should not be in it."
            )
        else:
            message = f"The invitation to {invitation.email} is no longer open."
        raise ValidationError(message, code="not_open")
    invitation.revoked_at = invitation.updated_at = now
    return invitation
