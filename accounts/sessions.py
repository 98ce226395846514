"""Session lifetime: signed out after a while without activity, and at the latest some hours
after signing in, however active.

The time of the last request is kept in the session itself, written at most once a minute, so a
busy session costs no extra database write per request. The sign-out happens before the view
runs: a page that needs a signed-in user then sends the browser to the sign-in page (an htmx
request gets core.middleware.HtmxSignedOutMiddleware's 401), and that page says why.
"""

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

# Unix times (whole seconds) kept in the session.
LAST_ACTIVITY_KEY = "accounts_last_activity"
SIGNED_IN_AT_KEY = "accounts_signed_in_at"
# How stale the stored last-activity time may get before it is written again.
ACTIVITY_WRITE_INTERVAL = 60


def idle_message(idle_seconds: int) -> str:
    minutes = max(1, idle_seconds // 60)
    unit = "minute" if minutes == 1 else "minutes"
    return f"You were signed out after {minutes} {unit} without activity."


def max_age_message(max_age_seconds: int) -> str:
    hours = max_age_seconds / 3600
    span = (
        f"{hours:g} hour{'' if hours == 1 else 's'}"
        if max_age_seconds >= 3600
        else f"{max(1, max_age_seconds // 60)} minutes"
    )
    return f"You were signed out: a session lasts {span} at most. Sign in again to go on."


@receiver(user_logged_in, dispatch_uid="accounts.sessions.start_session_clock")
def start_session_clock(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    """A new sign-in starts both clocks."""
    if request is None or not hasattr(request, "session"):
        return
    now = int(time.time())
    request.session[SIGNED_IN_AT_KEY] = now
    request.session[LAST_ACTIVITY_KEY] = now


def reason_to_end(session: Any, now: int) -> str | None:
    """Why a signed-in session must end now (the message to show), or None while it may go on."""
    last_activity = session.get(LAST_ACTIVITY_KEY)
    if last_activity is not None and now - last_activity > settings.SESSION_IDLE_TIMEOUT:
        return idle_message(settings.SESSION_IDLE_TIMEOUT)
    signed_in_at = session.get(SIGNED_IN_AT_KEY)
    if signed_in_at is not None and now - signed_in_at > settings.SESSION_COOKIE_AGE:
        return max_age_message(settings.SESSION_COOKIE_AGE)
    return None


class IdleSessionTimeoutMiddleware:
    """Signs out a session idle longer than SESSION_IDLE_TIMEOUT or older than
    SESSION_COOKIE_AGE, and leaves a message saying which for the next page drawn.

    Goes after MessageMiddleware (it adds a message) and AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        # Only a session with a signed-in user has clocks; anonymous requests cost nothing here.
        if SESSION_KEY in session:
            now = int(time.time())
            reason = reason_to_end(session, now)
            if reason is not None:
                logout(request)
                messages.info(request, reason)
            else:
                last_activity = session.get(LAST_ACTIVITY_KEY)
                if last_activity is None or now - last_activity >= ACTIVITY_WRITE_INTERVAL:
                    session[LAST_ACTIVITY_KEY] = now
                if SIGNED_IN_AT_KEY not in session:
                    # A session from before the clocks existed: its age counts from now.
                    session[SIGNED_IN_AT_KEY] = now
        return self.get_response(request)
