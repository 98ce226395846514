"""An organisation's members as its admins manage them: change a member's role, remove a member.

The organisation always keeps an admin: the last one can neither be demoted nor removed. Bad
input raises Django's ValidationError with a message saying why, and changes nothing; who may
call these (an admin of the same organisation) is the caller's check (matching/roles.py).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from matching.choices import Role
from matching.models import Membership

LAST_ADMIN = (
    "{name} is the only admin of {organisation}: make another member an admin first, so that "
    "someone can still manage its members."
)
ROLE_ORDER = {role: position for position, role in enumerate(Role.values)}


def members_of(organisation_id: int) -> list[Membership]:
    """The organisation's members with their users: admins first, then members, then viewers,
    each by username."""
    memberships = Membership.objects.filter(organisation_id=organisation_id).select_related("user")
    return sorted(
        memberships,
        key=lambda membership: (
            ROLE_ORDER.get(membership.role, len(ROLE_ORDER)),
            membership.user.get_username().lower(),
        ),
    )


def _admins(membership: Membership) -> QuerySet[Membership]:
    """The organisation's admins, locked until the transaction ends, so that two admins demoting
    each other at once cannot leave it with none."""
    return Membership.objects.select_for_update().filter(
        organisation_id=membership.organisation_id, role=Role.ADMIN
    )


def _refuse_last_admin(membership: Membership) -> None:
    admins = list(_admins(membership).values_list("pk", flat=True))
    if admins == [membership.pk]:
        raise ValidationError(
            LAST_ADMIN.format(
                name=membership.user.get_username(), organisation=membership.organisation
            ),
            code="last_admin",
        )


@transaction.atomic
def change_role(membership: Membership, role: str) -> Membership:
    """Give the member that role (admin, member or viewer)."""
    if role not in Role.values:
        known = ", ".join(label.lower() for label in Role.labels)
        raise ValidationError(f"Unknown role “{role}”: use one of {known}.", code="role")
    if role == membership.role:
        return membership
    if membership.role == Role.ADMIN:
        _refuse_last_admin(membership)
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    return membership


@transaction.atomic
def remove(membership: Membership) -> None:
    """Take the member out of the organisation; their account stays, without an organisation."""
    if membership.role == Role.ADMIN:
        _refuse_last_admin(membership)
    membership.delete()
