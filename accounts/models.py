"""API tokens: one row per token a user made, holding only the token's digest."""

from datetime import datetime

from django.db import models
from knox.models import AbstractAuthToken


class ApiToken(AbstractAuthToken):
    """A user's API token (django-rest-knox's digest, prefix, user, `created` and `expiry`),
    with the name its owner gave it, whether it may only read, and when it was last used.

    The token itself is shown once, when made; only its SHA-512 digest is stored.
    """

    name: "models.CharField[str, str]" = models.CharField(max_length=100)
    read_only: "models.BooleanField[bool, bool]" = models.BooleanField(
        default=False, help_text="A read-only token may only read (GET, HEAD, OPTIONS)."
    )
    # Written at most once a minute per token (accounts/authentication.py), so reading it is
    # cheap and using a token does not write on every call.
    last_used_at: "models.DateTimeField[datetime | None, datetime | None]" = models.DateTimeField(
        null=True, blank=True
    )

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"
        indexes = [
            # The tokens page: a user's tokens, newest first (ApiToken.objects.filter(user=…)).
            models.Index(fields=["user", "-created"], name="accounts_apitoken_user_created"),
        ]
        constraints = [
            # Every token expires: a forgotten one stops working by itself.
            models.CheckConstraint(
                condition=models.Q(expiry__isnull=False), name="%(app_label)s_%(class)s_expires"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_key}…)"
