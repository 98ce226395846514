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


@register(Tags.caches, deploy=True)
def check_cache_apart_from_broker(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """The cache and the broker share nothing: a cache evicting keys under memory pressure, or
    cleared, must not take queued tasks with it."""
    location = settings.CACHES["default"].get("LOCATION")
    if not location or location != settings.CELERY_BROKER_URL:
        return []
    return [
        Warning(
            "The cache uses the broker's Redis database (CACHE_URL is unset, so REDIS_URL "
            "serves both): evicting or clearing cache keys could delete queued tasks.",
            hint="Set CACHE_URL to a Redis database of the cache's own, e.g. the broker's "
            "server with another database number (redis://host:6379/1).",
            id="cdmo.W003",
        )
    ]
