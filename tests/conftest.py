"""Shared fixtures: fast hashing; Celery tasks in-process unless a test asks for a real worker.

Property tests (hypothesis) judge behaviour, not speed: on a shared, busy machine an example
may take longer than hypothesis's default deadline, which is no failure of the code. Under CI
the examples are also derandomized, so a failure there is reproduced by running it again.

Tests marked `slow` start their own redis-server on a free port and real Celery processes in
production settings (tests/ops/services.py). They run when CI=true (as .ci/run sets it) and are
skipped, with the reason shown, in a bare `make test`.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

from tests.ops import services

settings.register_profile(
    "cdmo",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=os.environ.get("CI") == "true",
)
settings.load_profile("cdmo")


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    """Uploaded files (attachments) go to a folder of the test's own, never the project's."""
    settings.MEDIA_ROOT = tmp_path / "media"


SLOW_SKIPPED = (
    "slow (its own redis-server and Celery processes, or a long run of generated API requests): "
    "runs when CI=true (CI=true make test, as .ci/run does)"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow: runs only when CI=true: a test with its own redis-server and real Celery "
        "processes, or a long run of generated API requests",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("CI") != "true":
        reason = SLOW_SKIPPED
    elif not services.REDIS_SERVER:
        reason = "slow: redis-server is not installed (apt-get install redis-server)"
    else:
        return
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def redis_server():
    """A redis-server of the session's own, on a free port; stopped by its process id."""
    server = services.RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server):
    """This test's tasks sent through the session's own Redis for real, not run in-process."""
    with services.app_broker(redis_server.url):
        yield redis_server


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Run tasks in-process for every test but those with a broker of their own (the
    `redis_server` fixture) or marked `worker`, which use real ones."""
    from config.celery import app

    if request.node.get_closest_marker("worker") or "redis_server" in request.fixturenames:
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _empty_page_cache():
    """Each test starts with an empty cache: pages cached by an earlier test's catalogue (the
    directory, profiles) must not answer this one's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _api_rates_off(settings):
    """No API rate limit unless a test sets one: a test's calls are not a client's traffic.
    tests/accounts/test_rate_limits.py sets low rates to see the 429s."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None, "run-start": None},
    }
