"""Who may sign in and how: API tokens, sign-in throttling, two-factor sign-in, sessions.

The top layer: it may read organisation roles from `matching`, and nothing imports it except
settings (authentication classes and middleware are named there as strings) and the URLconf.
"""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and sign-in"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Sign-in starts the session clocks and notes what two-factor asks of the user; `schema`
        # registers the token scheme with drf-spectacular's schema generator.
        from accounts import schema, sessions, two_factor  # noqa: F401
