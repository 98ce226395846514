"""Sign-in lockout (django-axes): after five wrong passwords for one account the right one is
refused too, on the sign-in page and the admin's, with the app's own "locked" message, a 429
and a Retry-After; each lockout is logged; the wait grows while guessing goes on; a curator
unlocks the account. The API takes no password at all (HTTP Basic is refused)."""

import base64
import logging
import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WRONG = "not-the-password"


def _sign_in(client: Client, url: str, username: str, password: str, **headers: str):
    return client.post(url, {"username": username, "password": password}, headers=headers)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_six_wrong_passwords_then_the_right_one_is_refused_and_logged(url, caplog):
    UserFactory(username="helen", is_staff=True)
    client = Client()
    caplog.set_level(logging.WARNING)

    answers = [_sign_in(client, url, "helen", WRONG).status_code for _ in range(6)]
    right = _sign_in(client, url, "helen", PASSWORD)

    assert answers == [200, 200, 200, 200, 429, 429]
    assert right.status_code == 429
    assert not _signed_in(client)
    assert int(right["Retry-After"]) == 15 * 60
    assert "Sign-in is locked after too many failed attempts" in right.content.decode()
    assert "Try again in 15 minutes" in right.content.decode()
    logged = [r.getMessage() for r in caplog.records if r.name == "accounts.lockout"]
    assert any("Sign-in locked out: username='helen'" in line for line in logged), logged


def test_the_locked_sign_in_page_is_the_apps_own_form_with_the_message():
    UserFactory(username="helen")
    client = Client()
    for _ in range(5):
        _sign_in(client, "/accounts/login/", "helen", WRONG)

    page = client.get("/accounts/login/")  # a visit is not an attempt
    locked = _sign_in(client, "/accounts/login/", "helen", PASSWORD)

    assert page.status_code == 200
    html = locked.content.decode()
    assert 'class="error locked-out" role="alert"' in html
    assert '<button type="submit" class="button">Sign in</button>' in html


def test_a_script_asking_for_json_is_told_in_json():
    UserFactory(username="helen")
    client = Client()
    for _ in range(5):
        _sign_in(client, "/accounts/login/", "helen", WRONG)

    locked = _sign_in(client, "/accounts/login/", "helen", PASSWORD, accept="application/json")

    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    assert "Sign-in is locked" in locked.json()["detail"]


def test_nobody_locks_another_person_out_from_elsewhere():
    """Locked by the pair (username, address): guesses from other addresses lock those
    addresses out of the account, never its owner at theirs."""
    UserFactory(username="helen")
    for n in range(5):
        guesser = Client(REMOTE_ADDR=f"198.51.100.{n}")
        for _ in range(5):
            _sign_in(guesser, "/accounts/login/", "helen", WRONG)

    again = _sign_in(Client(REMOTE_ADDR="198.51.100.0"), "/accounts/login/", "helen", PASSWORD)
    owner = _sign_in(Client(REMOTE_ADDR="203.0.113.9"), "/accounts/login/", "helen", PASSWORD)

    assert again.status_code == 429
    assert owner.status_code == 302


def test_one_persons_failures_do_not_lock_out_colleagues_at_the_same_address():
    UserFactory(username="helen")
    UserFactory(username="omar")
    office = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        _sign_in(office, "/accounts/login/", "omar", WRONG)

    colleague = _sign_in(Client(REMOTE_ADDR="203.0.113.9"), "/accounts/login/", "helen", PASSWORD)

    assert colleague.status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_lockout_by_default():
    """No trusted proxy is configured: X-Forwarded-For is the client's word and is ignored."""
    UserFactory(username="helen")
    client = Client()
    for n in range(5):
        _sign_in(client, "/accounts/login/", "helen", WRONG, x_forwarded_for=f"10.0.0.{n}")

    right = _sign_in(client, "/accounts/login/", "helen", PASSWORD, x_forwarded_for="10.9.9.9")

    assert right.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_guessing_on_while_locked_doubles_the_wait():
    UserFactory(username="helen")
    client = Client()
    answers = [_sign_in(client, "/accounts/login/", "helen", WRONG) for _ in range(10)]

    assert int(answers[4]["Retry-After"]) == 15 * 60
    assert int(answers[9]["Retry-After"]) == 30 * 60
    assert "Try again in 30 minutes" in answers[9].content.decode()


def test_the_wait_is_bounded(settings):
    settings.AXES_COOLOFF_MAX_HOURS = 1
    UserFactory(username="helen")
    client = Client()
    answers = [_sign_in(client, "/accounts/login/", "helen", WRONG) for _ in range(25)]

    assert int(answers[-1]["Retry-After"]) == 60 * 60


def test_sign_in_works_again_once_the_wait_is_over():
    UserFactory(username="helen")
    client = Client()
    for _ in range(5):
        _sign_in(client, "/accounts/login/", "helen", WRONG)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    right = _sign_in(client, "/accounts/login/", "helen", PASSWORD)

    assert right.status_code == 302
    assert _signed_in(client)


def test_a_success_before_the_limit_clears_the_count():
    UserFactory(username="helen")
    client = Client()
    for _ in range(4):
        _sign_in(client, "/accounts/login/", "helen", WRONG)
    assert _sign_in(client, "/accounts/login/", "helen", PASSWORD).status_code == 302
    client.logout()

    for _ in range(4):
        _sign_in(client, "/accounts/login/", "helen", WRONG)

    assert _sign_in(client, "/accounts/login/", "helen", PASSWORD).status_code == 302


def test_a_curator_unlocks_a_locked_account_in_the_admin(caplog):
    UserFactory(username="helen")
    curator = UserFactory(username="cora", is_staff=True)
    curator.groups.add(Group.objects.get(name="Curators"))
    for _ in range(5):
        _sign_in(Client(), "/accounts/login/", "helen", WRONG)
    assert _sign_in(Client(), "/accounts/login/", "helen", PASSWORD).status_code == 429
    admin = Client()
    admin.force_login(curator)
    caplog.set_level(logging.WARNING, logger="accounts.lockout")

    listing = admin.get("/admin/axes/accessattempt/?locked_out=yes")
    unlocked = admin.post(
        "/admin/axes/accessattempt/",
        {
            "action": "unlock",
            "_selected_action": list(AccessAttempt.objects.values_list("pk", flat=True)),
        },
        follow=True,
    )
    helen = Client()
    right = _sign_in(helen, "/accounts/login/", "helen", PASSWORD)

    assert listing.status_code == 200
    assert "helen" in listing.content.decode()
    assert "Sign-in unlocked for helen" in unlocked.content.decode()
    assert not AccessAttempt.objects.exists()
    assert right.status_code == 302
    assert _signed_in(helen)
    assert any("Sign-in unlocked by cora for helen" in r.getMessage() for r in caplog.records)


LONG_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0 SomeCorporateProxyAgent/7.4.2 (build 88213)"
)


def test_the_sign_in_attempts_list_shows_who_where_when_and_how_many(client):
    curator = UserFactory(username="cora", is_staff=True)
    curator.groups.add(Group.objects.get(name="Curators"))
    attempt = AccessAttempt.objects.create(
        username="helen",
        ip_address="203.0.113.7",
        user_agent=LONG_USER_AGENT,
        path_info="/accounts/login/" + "x" * 120,
        failures_since_start=5,
        get_data="",
        post_data="",
        http_accept="text/html",
    )
    client.force_login(curator)

    listing = client.get("/admin/axes/accessattempt/").content.decode()
    detail = client.get(f"/admin/axes/accessattempt/{attempt.pk}/change/").content.decode()

    columns = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', listing)
    assert columns == ["username", "ip_address", "attempt_time", "failures_since_start", "status"]
    assert "helen" in listing
    assert "203.0.113.7" in listing
    assert LONG_USER_AGENT not in listing
    assert '<option value="unlock">' in listing
    assert LONG_USER_AGENT in detail


def test_the_sign_in_log_lists_show_who_where_and_when(client):
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    AccessLog.objects.create(
        username="helen", ip_address="203.0.113.7", user_agent=LONG_USER_AGENT, path_info="/"
    )
    AccessFailureLog.objects.create(
        username="helen", ip_address="203.0.113.7", user_agent=LONG_USER_AGENT, path_info="/"
    )
    client.force_login(superuser)

    for url, last in [
        ("/admin/axes/accesslog/", "logout_time"),
        ("/admin/axes/accessfailurelog/", "locked_out"),
    ]:
        listing = client.get(url).content.decode()
        columns = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', listing)
        assert columns == ["username", "ip_address", "attempt_time", last], url
        assert "helen" in listing
        assert LONG_USER_AGENT not in listing


def test_a_sponsor_cannot_see_or_clear_sign_in_attempts():
    UserFactory(username="helen")
    sponsor = UserFactory(username="sam", is_staff=True)
    for _ in range(5):
        _sign_in(Client(), "/accounts/login/", "helen", WRONG)
    client = Client()
    client.force_login(sponsor)

    assert client.get("/admin/axes/accessattempt/").status_code == 403
    client.post(
        "/admin/axes/accessattempt/",
        {"action": "unlock", "_selected_action": [AccessAttempt.objects.get().pk]},
    )
    assert AccessAttempt.objects.count() == 1


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_the_api_takes_no_password_so_six_wrong_then_the_right_one_are_all_refused():
    """HTTP Basic is off: no password is ever checked on the API, so it cannot be guessed there."""
    UserFactory(username="helen")
    client = Client()

    answers = [
        client.get("/api/briefs/", headers={"authorization": _basic("helen", WRONG)})
        for _ in range(6)
    ]
    right = client.get("/api/briefs/", headers={"authorization": _basic("helen", PASSWORD)})

    assert [answer.status_code for answer in answers] == [401] * 6
    assert right.status_code == 401
    assert right["WWW-Authenticate"] == 'Token realm="api"'
    assert "not a password" in right.json()["detail"]
    assert not AccessAttempt.objects.exists()  # never even tried as a password
