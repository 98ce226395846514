"""System checks of the matching app, run by `manage.py check` (`--deploy` for the deploy ones)."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"

NO_MAIL = Warning(
    "Invitations cannot be mailed: no SMTP host is set (EMAIL_HOST), so the mail goes to the "
    "console and each invitation link, which lets its holder join the organisation, would be "
    "printed in the server's logs.",
    hint="Set EMAIL_HOST (and EMAIL_HOST_USER, EMAIL_HOST_PASSWORD) to the SMTP server that "
    "should send the invitations.",
    id="cdmo.W001",
)


@register(Tags.security, deploy=True)
def check_invitation_mail(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """In production, invitation links must go by mail rather than into the logs."""
    if settings.DEBUG or settings.EMAIL_BACKEND != CONSOLE_BACKEND:
        return []
    return [NO_MAIL]


@register(Tags.compatibility, deploy=True)
def check_stale_threshold(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """A run is taken for stalled, and restarted, only once its worker can no longer be
    running it: past the run task's hard time limit, when Celery has stopped that worker."""
    from matching import runs

    if settings.MATCHING_RUN_STALE_SECONDS > runs.TIME_LIMIT:
        return []
    return [
        Warning(
            f"MATCHING_RUN_STALE_SECONDS ({settings.MATCHING_RUN_STALE_SECONDS}) is not above a "
            f"run's hard time limit ({runs.TIME_LIMIT} s): a slow run on a live worker could be "
            "restarted on another while it still writes its results.",
            hint=f"Set MATCHING_RUN_STALE_SECONDS above {runs.TIME_LIMIT} (the default is 240).",
            id="cdmo.W002",
        )
    ]
