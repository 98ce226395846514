from django.apps import AppConfig


class SourcingConfig(AppConfig):
    name = "sourcing"
    verbose_name = "Sourcing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the receivers (an attachment's file goes with its row).
        # The match runs a candidate or a decision record refers to outlive the runs' retention.
        from matching.retention import protect_runs
        from sourcing import checks, signals  # noqa: F401  (registers receivers and checks)
        from sourcing.retention import referred_runs

        protect_runs(referred_runs)

        # The two runs a kept brief compares outlive it too.
        from sourcing.kept_briefs import protected_runs

        protect_runs(protected_runs)
