"""API authentication: `Authorization: Token <token>` (or `Bearer <token>`), nothing else.

A token is checked by django-rest-knox against its stored digest. A read-only token is refused
(403, saying why) on any method that changes something. Any other scheme, HTTP Basic above
all, is answered 401: the API never takes a password, which could be guessed there without a
lockout and would skip two-factor sign-in.
"""

from datetime import timedelta

from django.utils import timezone
from knox.auth import TokenAuthentication
from rest_framework import exceptions
from rest_framework.authentication import get_authorization_header
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from accounts.models import ApiToken

SCHEMES = (b"token", b"bearer")
# How stale `last_used_at` may get: a token used all day writes once a minute, not per call.
LAST_USED_PRECISION = timedelta(minutes=1)

READ_ONLY_REFUSED = (
    "This API token is read-only: it may only read (GET, HEAD, OPTIONS). "
    "Make a token without “Read only” on the API tokens page to change data."
)
SCHEME_REFUSED = (
    "The API takes an API token, not a password: send `Authorization: Token <token>`. "
    "Make one on the API tokens page (/accounts/tokens/)."
)


class ApiTokenAuthentication(TokenAuthentication):
    """Knox's token check, with read-only tokens, `last_used_at`, and other schemes refused."""

    def authenticate(self, request: Request) -> tuple | None:
        header = get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() not in SCHEMES:
            raise exceptions.AuthenticationFailed(SCHEME_REFUSED)
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid token header: send `Authorization: Token <token>`, one token, no spaces."
            )
        try:
            user, token = self.authenticate_credentials(header[1])
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        if token.read_only and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied(READ_ONLY_REFUSED)
        self._note_use(token)
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Token realm="api"'

    @staticmethod
    def _note_use(token: ApiToken) -> None:
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
            ApiToken.objects.filter(digest=token.digest).update(last_used_at=now)
            token.last_used_at = now
