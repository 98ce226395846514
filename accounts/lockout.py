"""Sign-in lockout (django-axes): the back-off and what a locked-out person is told.

Axes counts failed sign-ins per username and per address (AXES_LOCKOUT_PARAMETERS) and refuses
the next attempt once AXES_FAILURE_LIMIT is reached, before the password is checked. The wait
starts at AXES_COOLOFF_MINUTES and doubles with every further AXES_FAILURE_LIMIT failures made
while locked, up to AXES_COOLOFF_MAX_HOURS, so an attacker who keeps guessing waits longer and
longer. A curator or superuser unlocks an account in the admin (accounts/admin.py).
"""

import logging
import math
from datetime import timedelta

from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse

logger = logging.getLogger("accounts.lockout")


def cool_off(request: HttpRequest | None = None) -> timedelta:
    """How long sign-in stays locked for this request's username or address."""
    base = timedelta(minutes=settings.AXES_COOLOFF_MINUTES)
    longest = timedelta(hours=settings.AXES_COOLOFF_MAX_HOURS)
    if request is None:
        return base
    failures = _failures(request)
    rounds = max(failures // max(settings.AXES_FAILURE_LIMIT, 1), 1)
    # Capped before raising 2 to a power that could overflow a timedelta.
    return min(base * 2 ** min(rounds - 1, 20), longest)


def _failures(request: HttpRequest) -> int:
    username = get_client_username(request, getattr(request, "axes_credentials", None))
    address = getattr(request, "axes_ip_address", None)
    if not username or not address:
        return 0
    # Locked by the pair (settings.AXES_LOCKOUT_PARAMETERS): the pair's failures set the wait.
    match = Q(username=username, ip_address=address)
    found = AccessAttempt.objects.filter(match).aggregate(most=Max("failures_since_start"))
    return found["most"] or 0


def lockout_message(wait: timedelta) -> str:
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    span = f"{minutes} minutes" if minutes < 120 else f"{math.ceil(minutes / 60)} hours"
    return (
        "Sign-in is locked after too many failed attempts for this account from this "
        f"address. Try again in {span}; every {settings.AXES_FAILURE_LIMIT} further failed "
        "attempts double the wait. A curator can unlock the account sooner."
    )


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """429 with Retry-After: the sign-in page saying so, or JSON to an API client."""
    wait = cool_off(request)
    message = lockout_message(wait)
    logger.warning(
        "Sign-in locked out: username=%r address=%s path=%s wait=%ss",
        get_client_username(request, credentials),
        getattr(request, "axes_ip_address", None),
        request.path,
        int(wait.total_seconds()),
    )
    response: HttpResponse
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"detail": message, "code": "locked_out"}, status=429)
    else:
        response = TemplateResponse(
            request,
            "registration/login.html",
            {
                "form": AuthenticationForm(request),
                "locked_out_message": message,
                "next": request.POST.get("next", request.GET.get("next", "")),
            },
            status=429,
        )
        response.render()
    response["Retry-After"] = str(int(wait.total_seconds()))
    return response
