"""Who may do what in an organisation: the one place the roles are checked.

Reading is scoped by organisation (`for_user` querysets: another organisation's things are a
404); changing also needs a role that may change (admin or member): a viewer gets a 403.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied

from matching.choices import Role
from matching.models import Membership

VIEWER_REFUSED = "Viewers can read the organisation's work but not change it."


def membership_of(user: AbstractBaseUser | AnonymousUser) -> Membership | None:
    """The user's membership (with its organisation), or None."""
    if not user.is_authenticated:
        return None
    return Membership.objects.select_related("organisation").filter(user_id=user.pk).first()


def can_change(user: AbstractBaseUser | AnonymousUser) -> bool:
    membership = membership_of(user)
    return membership is not None and membership.can_change


def is_admin(user: AbstractBaseUser | AnonymousUser) -> bool:
    membership = membership_of(user)
    return membership is not None and membership.role == Role.ADMIN


def require_change(user: AbstractBaseUser | AnonymousUser) -> None:
    """Raise PermissionDenied (a 403) unless the user may change the organisation's work."""
    if not can_change(user):
        raise PermissionDenied(VIEWER_REFUSED)
