from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = "Matching"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from matching import checks  # noqa: F401  (registers the system checks)
        from matching.models import ResultQuerySet
        from matching.stored_results import expand

        # Result rows read as instances are expanded from their run's compact key.
        ResultQuerySet.expand_rows = staticmethod(expand)
