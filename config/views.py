"""Operational endpoints."""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from config.celery import app


def _database_state() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the detail says which
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}".strip()}
    return {"ok": True, "detail": connection.vendor}


def _broker_state() -> dict:
    if app.conf.task_always_eager:
        return {"ok": True, "detail": "no broker: tasks run in-process"}
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception as exc:
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}".strip()}
    return {"ok": True, "detail": "redis"}


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with each part's state when all is well; 503 naming what is down."""
    checks = {"database": _database_state(), "broker": _broker_state()}
    down = [name for name, state in checks.items() if not state["ok"]]
    body = {"status": "ok" if not down else "down", "down": down, "checks": checks}
    return JsonResponse(body, status=503 if down else 200)
