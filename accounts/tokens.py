"""Making and revoking API tokens (django-rest-knox stores each as a SHA-512 digest).

A token is shown once, when made: `create_token` returns it beside the row, and nothing can
read it back later. Every token expires; its owner picks how soon, within API_TOKEN_MAX_DAYS.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ApiToken

# The lives a token may be given, in days (the form's choices); the longest is also bounded
# by API_TOKEN_MAX_DAYS.
LIFETIME_DAYS = (30, 90, 365)
DEFAULT_LIFETIME_DAYS = 90


def lifetime_choices() -> list[tuple[int, str]]:
    return [(days, f"{days} days") for days in LIFETIME_DAYS if days <= max_lifetime_days()]


def max_lifetime_days() -> int:
    return max(1, settings.API_TOKEN_MAX_DAYS)


def tokens_of(user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """The user's tokens that still work, newest first."""
    return ApiToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created")


def create_token(
    user: AbstractBaseUser, name: str, days: int, *, read_only: bool = False
) -> tuple[ApiToken, str]:
    """A new token for `user`: the stored row and the token itself, which is never stored."""
    if not 1 <= days <= max_lifetime_days():
        raise ValueError(f"A token lives 1 to {max_lifetime_days()} days, not {days}.")
    return ApiToken.objects.create(
        user, expiry=timedelta(days=days), name=name, read_only=read_only
    )


def revoke_token(user: AbstractBaseUser, token_key: str) -> int:
    """Deletes the user's token(s) with this visible prefix; another user's are never touched.

    Returns how many were deleted (0 if the prefix is not one of the user's tokens).
    """
    deleted, _ = ApiToken.objects.filter(user=user, token_key=token_key).delete()
    return deleted
