"""Rate limits on the API: past its rate an anonymous address or a signed-in user gets a 429
with Retry-After; starting match runs has a tighter rate of its own, which reading runs does
not use up; a forged X-Forwarded-For does not make a new address. Counters live in the cache,
shared between processes when CACHE_URL (or REDIS_URL in production) names a Redis."""

import pytest
from django.test import Client

from tests.factories import BriefFactory, MembershipFactory
from tests.test_settings import STRONG_KEY, _manage

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    def set_rates(**rates: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None, "run-start": None} | rates,
        }

    return set_rates


def test_an_anonymous_address_past_its_rate_gets_a_429_with_retry_after(rates):
    rates(anon="3/minute")
    client = Client()

    answers = [client.get("/api/providers/") for _ in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert 0 < int(answers[-1]["Retry-After"]) <= 60
    assert "Request was throttled" in answers[-1].json()["detail"]


def test_a_forged_forwarded_for_header_does_not_reset_the_count(rates):
    rates(anon="2/minute")

    answers = [
        Client().get("/api/providers/", headers={"x-forwarded-for": f"10.0.0.{n}"})
        for n in range(3)
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 429]


def test_a_signed_in_user_past_their_rate_gets_a_429(rates):
    rates(user="2/minute")
    client = Client()
    client.force_login(MembershipFactory().user)

    answers = [client.get("/api/briefs/").status_code for _ in range(3)]

    assert answers == [200, 200, 429]


def test_starting_runs_has_a_rate_of_its_own_which_reading_runs_does_not_use(rates):
    rates(**{"run-start": "2/hour"})
    member = MembershipFactory()
    brief = BriefFactory(organisation=member.organisation, created_by=member.user)
    client = Client()
    client.force_login(member.user)
    url = f"/api/briefs/{brief.pk}/runs/"

    started = [client.post(url, {}, content_type="application/json") for _ in range(2)]
    listed = [client.get(url).status_code for _ in range(3)]
    refused = client.post(url, {}, content_type="application/json")

    assert [answer.status_code for answer in started] == [202, 202]
    assert listed == [200, 200, 200]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600


def test_the_rates_come_from_the_environment():
    code = (
        "from django.conf import settings; print(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'])"
    )
    result = _manage("shell", "-c", code, API_RATE_ANONYMOUS="7/second", API_RATE_RUN_START="3/day")

    rates = result.stdout.strip().splitlines()[-1]
    assert "'anon': '7/second'" in rates
    assert "'run-start': '3/day'" in rates


def test_the_cache_is_shared_redis_when_named_and_never_the_brokers_by_default():
    code = (
        "from django.conf import settings; c = settings.CACHES['default'];"
        "print(c['BACKEND'].rsplit('.', 1)[-1], c.get('LOCATION', ''), c.get('KEY_PREFIX', ''))"
    )
    named = _manage("shell", "-c", code, CACHE_URL="redis://cache.example.com:6379/3")
    local = _manage("shell", "-c", code, CACHE_URL="", REDIS_URL="redis://r.example.com:6379/0")
    production = _manage(
        "shell",
        "-c",
        code,
        CACHE_URL="",
        REDIS_URL="redis://r.example.com:6379/0",
        DEBUG="false",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="cdmo.example.com",
    )

    assert named.stdout.split("\n")[-2] == "RedisCache redis://cache.example.com:6379/3 cdmo-cache"
    assert local.stdout.split("\n")[-2].strip() == "LocMemCache"
    assert production.stdout.split("\n")[-2] == "RedisCache redis://r.example.com:6379/0 cdmo-cache"


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own on a free port, stopped afterwards (never a shared one)."""
    import shutil
    import socket
    import subprocess
    import time

    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(tmp_path)),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_count_lives_in_redis_where_every_web_process_reads_it(rates, settings, own_redis):
    """With a Redis cache the counter is a Redis key (seen here through a connection of its
    own, as another web process would see it), not a process's memory."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": own_redis,
            "KEY_PREFIX": "cdmo-cache",
        }
    }
    rates(anon="2/minute")
    first = Client().get("/api/providers/")
    # Another connection, sharing nothing with the app's cache object but the Redis server.
    other = RedisCache(own_redis, {"KEY_PREFIX": "cdmo-cache"})
    keys = other._cache.get_client().keys("cdmo-cache:*throttle_anon*")
    second = Client().get("/api/providers/")
    third = Client().get("/api/providers/")

    assert isinstance(caches["default"], RedisCache)
    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 429)
    assert len(keys) == 1
    assert "Retry-After" in third
