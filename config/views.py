"""Operational endpoints: liveness and readiness.

`/healthz` says the process answers, and nothing else: it touches neither the database nor the
broker, so a load balancer may call it often. `/healthz/ready` checks every part a request or a
job needs (config/health.py) and answers 503 naming the parts that are down. What went wrong
(exception text, which may name hosts and ports) is shown only to staff and to a monitor that
sends HEALTHZ_TOKEN.
"""

import hmac

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config import health


@require_safe
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico on pages that name no icon (JSON answers, for one). The
    static file's name is read per request: in production it carries its hash (the manifest)."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: 200 whenever the process can answer."""
    return JsonResponse({"status": "ok"})


READY_CACHE_KEY = "healthz-ready"
READY_CACHE_SECONDS = 5


def may_read_details(request: HttpRequest) -> bool:
    """Staff, or a request bearing the configured token (compared in constant time)."""
    token = settings.HEALTHZ_TOKEN
    if token:
        offered = request.headers.get("X-Healthz-Token", "")
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if not offered and scheme.lower() == "bearer":
            offered = credentials.strip()
        if offered and hmac.compare_digest(offered.encode(), token.encode()):
            return True
    user = getattr(request, "user", None)
    if user is None or not (user.is_active and user.is_staff):
        return False
    # Staff who still owe their second factor have given only a password.
    return not settings.TWO_FACTOR_REQUIRED or bool(getattr(user, "is_verified", lambda: True)())


@never_cache
@require_safe
def healthz_ready(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when the database, the broker, a worker and the queue are well; 503 naming
    the parts that are down. Details for staff and token bearers only."""
    details = may_read_details(request)
    if not details:
        # Anyone may ask: a few seconds' answer is shared, so that callers cannot keep the
        # workers busy pinging the broker and the Celery workers.
        cached = cache.get(READY_CACHE_KEY)
        if cached is not None:
            return JsonResponse(cached, status=503 if cached["down"] else 200)
    checks = health.readiness()
    down = [name for name, check in checks.items() if not check.ok]
    body: dict[str, object] = {"status": "ok" if not down else "down", "down": down}
    if not details:
        cache.set(READY_CACHE_KEY, body, READY_CACHE_SECONDS)
    if details:
        body["checks"] = {
            name: {"ok": check.ok, "detail": check.detail, **check.data}
            for name, check in checks.items()
        }
    return JsonResponse(body, status=503 if down else 200)
