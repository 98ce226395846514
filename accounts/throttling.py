"""The API's rate limits (DRF throttles), with the rates read when a request comes.

DRF's own classes read `DEFAULT_THROTTLE_RATES` once, when imported; these read the current
settings, so a deployment's environment and a test's override both apply. Counters live in
the default cache, which production shares between processes (CACHES in config/settings.py).
A refused call is a 429 whose Retry-After says how many seconds to wait.
"""

from typing import TYPE_CHECKING

from rest_framework import throttling
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.settings import api_settings

if TYPE_CHECKING:  # rest_framework.views imports this module (DEFAULT_THROTTLE_CLASSES)
    from rest_framework.views import APIView


class CurrentRatesMixin:
    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)  # type: ignore[attr-defined]
        return None if rate is None else str(rate)


class AnonymousRateThrottle(CurrentRatesMixin, throttling.AnonRateThrottle):
    """Anonymous callers (the public catalogue), counted per client address."""


class UserRateThrottle(CurrentRatesMixin, throttling.UserRateThrottle):
    """Signed-in callers, by session or token, counted per user."""


class ScopedRateThrottle(CurrentRatesMixin, throttling.ScopedRateThrottle):
    """A tighter rate per user on the views (or actions) that set `throttle_scope`, such as
    starting a match run (`run-start`), which scores the whole catalogue in a worker.

    Only calls that change something count: an action's GET shares its URL and its settings
    (the brief's run list beside starting a run) and is left to the general rates.
    """

    def allow_request(self, request: Request, view: "APIView") -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)
