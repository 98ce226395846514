from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and sign-in"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Sign-in starts the session clocks and notes what two-factor asks of the user.
        from accounts import sessions, two_factor  # noqa: F401
