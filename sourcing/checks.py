"""System checks of the sourcing app, run by `manage.py check` (`--deploy` for the deploy ones)."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_site_url(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """Notification e-mails link back to the app, and an unsubscribe link must work: their
    address is SITE_URL, or else https:// and the first of ALLOWED_HOSTS, which must then name
    a host rather than a pattern."""
    if settings.DEBUG or (
        settings.SITE_URL.startswith(("http://", "https://"))
        and not any(mark in settings.SITE_URL for mark in ("*", "://."))
    ):
        return []
    return [
        Warning(
            f"Notification e-mails would link to {settings.SITE_URL!r}, which is no address a "
            "reader can open: their links and unsubscribe links would not work.",
            hint="Set SITE_URL to the address users reach the app at, e.g. "
            "https://cdmo.example.com.",
            id="cdmo.W004",
        )
    ]
