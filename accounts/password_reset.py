"""Password reset throttling: how many reset mails one address, and one client, may ask for.

Each limit is a rate, "N/hour" (or second, minute, day), read from the settings when a request
comes: PASSWORD_RESET_RATE_EMAIL per e-mail address (lowercased), PASSWORD_RESET_RATE_IP per
client address, found as the sign-in lockout finds it (django-axes: REMOTE_ADDR unless
TRUSTED_PROXY_COUNT says how many proxies append to X-Forwarded-For). A blank rate turns that
limit off. Requests are counted in the default cache (shared by every web process in
production), in fixed windows of the rate's period: a window's counter expires with it.

Past the address's limit no mail is sent, and the page says what it says to everyone ("check
your e-mail"), so the limit tells nobody whether the address has an account. Past the client's
limit the answer is a 429 saying to try again later (accounts/password_reset_views.py).
"""

import dataclasses
import hashlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger("accounts.password_reset")

PERIODS = {"second": 1, "minute": 60, "hour": 60 * 60, "day": 24 * 60 * 60}


@dataclasses.dataclass(frozen=True)
class Rate:
    """At most `requests` in each window of `period` seconds."""

    requests: int
    period: int


@dataclasses.dataclass(frozen=True)
class Count:
    """One request counted: whether it is over the limit, and when its window ends."""

    over: bool
    retry_after: int


def parse_rate(setting: str) -> Rate | None:
    """The rate a setting names ("5/hour"), or None when it is blank (no limit)."""
    value = str(getattr(settings, setting) or "").strip()
    if not value:
        return None
    requests, _, period = value.partition("/")
    try:
        return Rate(int(requests), PERIODS[period.strip().lower()])
    except (KeyError, ValueError) as error:
        raise ImproperlyConfigured(
            f"{setting} must be a number of requests per second, minute, hour or day "
            f"(such as 5/hour), not {value!r}."
        ) from error


def count_request(kind: str, identity: str, rate: Rate, now: float | None = None) -> Count:
    """Count one request by `identity` (an address) against `rate`, in the window `now` falls in.

    The identity is hashed into the key: the cache holds no e-mail address."""
    now = time.time() if now is None else now
    window = math.floor(now / rate.period)
    digest = hashlib.sha256(identity.encode()).hexdigest()
    key = f"password-reset:{kind}:{digest}:{rate.period}:{window}"
    # The window's key outlives it a little, never less: add() starts it at 0 with that expiry
    # and incr() keeps the expiry.
    cache.add(key, 0, timeout=rate.period + 1)
    try:
        requests = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=rate.period + 1)
        requests = 1
    retry_after = max(1, math.ceil((window + 1) * rate.period - now))
    return Count(over=requests > rate.requests, retry_after=retry_after)


def client_over_limit(client_address: str, now: float | None = None) -> Count | None:
    """Count a reset request from this client address; the count when it is over the limit."""
    rate = parse_rate("PASSWORD_RESET_RATE_IP")
    if rate is None or not client_address:
        return None
    counted = count_request("ip", client_address, rate, now)
    if counted.over:
        logger.warning(
            "Password reset refused: too many requests from address %s (limit %s)",
            client_address,
            settings.PASSWORD_RESET_RATE_IP,
        )
        return counted
    return None


def email_over_limit(email: str, client_address: str, now: float | None = None) -> bool:
    """Count a reset request for this e-mail address; whether it is over the limit."""
    rate = parse_rate("PASSWORD_RESET_RATE_EMAIL")
    if rate is None:
        return False
    if count_request("email", normalised(email), rate, now).over:
        logger.warning(
            "Password reset mail not sent: too many requests for %r (limit %s), this one "
            "from address %s",
            normalised(email),
            settings.PASSWORD_RESET_RATE_EMAIL,
            client_address,
        )
        return True
    return False


def normalised(email: str) -> str:
    """The form of an address counted: accounts are found by it whatever its case."""
    return email.strip().lower()
