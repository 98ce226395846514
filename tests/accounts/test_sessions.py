"""Sessions end after SESSION_IDLE_TIMEOUT seconds without a request, and SESSION_COOKIE_AGE
seconds after signing in however active; the sign-in page then says why. The time of the last
request is written at most once a minute."""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.utils import timezone

from tests.factories import PASSWORD, MembershipFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def member(settings):
    settings.SESSION_IDLE_TIMEOUT = 60 * 60
    settings.SESSION_COOKIE_AGE = 12 * 60 * 60
    return MembershipFactory(user__username="mel").user


def _sign_in(client, user) -> None:
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


def test_an_idle_session_is_signed_out_and_the_sign_in_page_says_why(client, clock, member):
    _sign_in(client, member)
    clock.shift(timedelta(minutes=59))
    assert client.get("/briefs/").status_code == 200

    clock.shift(timedelta(minutes=61))
    response = client.get("/briefs/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/briefs/"
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out after 60 minutes without activity." in page
    assert "_auth_user_id" not in client.session


def test_activity_keeps_a_session_open(client, clock, member):
    _sign_in(client, member)
    for _ in range(4):
        clock.shift(timedelta(minutes=50))
        assert client.get("/briefs/").status_code == 200


def test_an_htmx_request_after_the_timeout_gets_the_signed_out_answer(client, clock, member):
    _sign_in(client, member)
    clock.shift(timedelta(minutes=61))

    response = client.get("/briefs/", headers={"HX-Request": "true"})

    assert response.status_code == 401
    assert response["X-Login-URL"] == "/accounts/login/?next=/briefs/"
    # The reason waits for the next page drawn: the sign-in page.
    assert "without activity" in client.get("/accounts/login/").content.decode()


def test_a_session_ends_at_its_maximum_age_however_active(client, clock, member):
    _sign_in(client, member)
    for _ in range(24):
        clock.shift(timedelta(minutes=30))
        assert client.get("/briefs/").status_code == 200

    clock.shift(timedelta(minutes=1))
    response = client.get("/briefs/")

    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "a session lasts 12 hours at most" in page


def test_the_last_activity_is_written_at_most_once_a_minute(client, clock, member):
    _sign_in(client, member)
    session_key = client.session.session_key

    def stored_expiry():
        # Every save of the session moves its expiry date on.
        return Session.objects.get(session_key=session_key).expire_date

    signed_in = stored_expiry()
    clock.shift(timedelta(seconds=30))
    client.get("/briefs/")
    assert stored_expiry() == signed_in

    clock.shift(timedelta(seconds=31))
    client.get("/briefs/")
    assert stored_expiry() > signed_in


def test_anonymous_visitors_are_not_concerned(client, clock):
    clock.shift(timedelta(hours=13))

    response = client.get("/")

    assert response.status_code == 200
    assert "without activity" not in response.content.decode()


def test_the_timeout_is_read_from_the_environment():
    import subprocess
    import sys

    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SESSION_IDLE_TIMEOUT, settings.SESSION_COOKIE_AGE)"
    )

    def read(**env):
        return subprocess.run(
            [sys.executable, "-c", script],
            env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", **env},
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout.split()

    assert read() == ["3600", "43200"]
    assert read(SESSION_IDLE_TIMEOUT="900", SESSION_COOKIE_AGE="28800") == ["900", "28800"]
