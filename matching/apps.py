from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = "Matching"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from matching import checks  # noqa: F401  (registers the system checks)
