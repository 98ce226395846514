"""Password reset: the app's own pages and mail, sent through the mail settings; the page never
says whether an address has an account; the link sets a new password that then signs in. Mails
are limited per address (silently, the page unchanged) and per client address (a 429 page)."""

import re
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from accounts import password_reset
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

RESET = "/accounts/password_reset/"
SENT = "/accounts/password_reset/done/"


@pytest.fixture
def user():
    return UserFactory(username="helen", email="helen@helix.example", first_name="Helen")


def test_the_sign_in_page_links_to_the_password_reset(client):
    page = client.get("/accounts/login/").content.decode()

    assert f'<a href="{RESET}">Forgot your password?</a>' in page


def test_the_reset_page_is_the_apps_own(client):
    response = client.get(RESET)

    assert response.status_code == 200
    page = response.content.decode()
    assert '<h1 id="reset-title">Reset your password</h1>' in page
    assert 'class="topbar"' in page  # drawn in the app's layout, not Django admin's


def test_a_reset_mail_sets_a_new_password_that_signs_in(client, user, settings):
    settings.DEFAULT_FROM_EMAIL = "CDMO Match <no-reply@cdmo.example>"

    response = client.post(RESET, {"email": "Helen@helix.example"})

    assert response.status_code == 302
    assert response["Location"] == SENT
    assert "If an account uses the address" in client.get(SENT).content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["helen@helix.example"]
    assert message.from_email == "CDMO Match <no-reply@cdmo.example>"
    assert message.subject == "Reset your CDMO Match password"
    assert "Hello Helen," in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)
    assert f'href="http://testserver{link}"' in html

    form_page = client.get(link, follow=True)
    assert "Set a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "a-new-Passphrase-7", "new_password2": "a-new-Passphrase-7"}
    )
    assert done.status_code == 302
    assert "Your new password is set" in client.get(done["Location"]).content.decode()

    old = client.post("/accounts/login/", {"username": "helen", "password": PASSWORD})
    assert old.status_code == 200  # the sign-in page again, with its error
    assert "_auth_user_id" not in client.session
    signed_in = client.post(
        "/accounts/login/", {"username": "helen", "password": "a-new-Passphrase-7"}
    )
    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)

    # The link worked once.
    client.logout()
    used = client.get(link, follow=True).content.decode()
    assert "This link no longer works" in used


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, user):
    known = client.post(RESET, {"email": "helen@helix.example"})
    unknown = client.post(RESET, {"email": "nobody@helix.example"})

    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"] == SENT
    assert len(mail.outbox) == 1


def test_a_mistyped_link_says_it_no_longer_works(client, user):
    response = client.get("/accounts/reset/MQ/set-password/")

    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()


# Throttling: per e-mail address (silently) and per client address (a 429 page).


def _ask(client, email: str, address: str = "192.0.2.10", **headers):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=address, headers=headers)


def test_six_requests_for_one_address_send_five_mails_and_look_the_same(client, user, caplog):
    answers = [_ask(client, "Helen@helix.example", f"192.0.2.{n}") for n in range(6)]

    assert len(mail.outbox) == 5
    assert [answer.status_code for answer in answers] == [302] * 6
    assert {answer["Location"] for answer in answers} == {SENT}
    assert "too many requests for 'helen@helix.example'" in caplog.text


def test_an_address_without_an_account_is_limited_alike(client, user):
    answers = [_ask(client, "nobody@helix.example", f"192.0.2.{n}") for n in range(6)]

    assert [answer["Location"] for answer in answers] == [SENT] * 6
    assert mail.outbox == []


def test_the_twenty_first_request_from_one_client_gets_a_429_page_and_no_mail(client, user, caplog):
    for n in range(19):
        assert _ask(client, f"person{n}@elsewhere.example").status_code == 302
    assert _ask(client, "helen@helix.example").status_code == 302
    assert len(mail.outbox) == 1

    refused = _ask(client, "helen@helix.example")

    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    page = " ".join(refused.content.decode().split())
    assert '<h1 id="reset-throttled-title">Too many requests</h1>' in page
    assert "No link was sent this time. Try again in" in page
    assert len(mail.outbox) == 1
    assert "too many requests from address 192.0.2.10" in caplog.text


def test_a_forged_forwarded_for_header_does_not_make_a_new_client(client, user, settings):
    settings.PASSWORD_RESET_RATE_IP = "2/hour"

    answers = [
        _ask(client, f"person{n}@elsewhere.example", x_forwarded_for=f"10.0.0.{n}")
        for n in range(3)
    ]

    assert [answer.status_code for answer in answers] == [302, 302, 429]


def test_other_addresses_from_other_clients_are_unaffected(client, user, settings):
    settings.PASSWORD_RESET_RATE_IP = "3/hour"
    settings.PASSWORD_RESET_RATE_EMAIL = "1/hour"
    UserFactory(username="omar", email="omar@helix.example")
    for _ in range(4):
        _ask(client, "helen@helix.example", "192.0.2.10")
    assert len(mail.outbox) == 1

    other = _ask(client, "omar@helix.example", "198.51.100.7")

    assert other.status_code == 302
    assert [message.to for message in mail.outbox] == [
        ["helen@helix.example"],
        ["omar@helix.example"],
    ]


def test_the_counts_start_again_in_the_next_window(client, user, settings, monkeypatch):
    settings.PASSWORD_RESET_RATE_EMAIL = "2/hour"
    settings.PASSWORD_RESET_RATE_IP = "3/hour"
    clock = [1_800_000_000.0]  # the start of an hour
    monkeypatch.setattr(password_reset, "time", SimpleNamespace(time=lambda: clock[0]))

    during = [_ask(client, "helen@helix.example").status_code for _ in range(4)]
    assert during == [302, 302, 302, 429]
    assert len(mail.outbox) == 2

    clock[0] += 3600
    again = _ask(client, "helen@helix.example")

    assert again.status_code == 302
    assert len(mail.outbox) == 3


def test_a_window_count_expires_with_its_window():
    rate = password_reset.Rate(requests=1, period=60)
    start = 1_800_000_000.0

    first = password_reset.count_request("email", "a@example.com", rate, start)
    second = password_reset.count_request("email", "a@example.com", rate, start + 59)
    next_minute = password_reset.count_request("email", "a@example.com", rate, start + 60)

    assert (first.over, second.over, next_minute.over) == (False, True, False)
    assert second.retry_after == 1


def test_a_blank_rate_turns_the_limit_off_and_a_malformed_one_is_named(client, user, settings):
    settings.PASSWORD_RESET_RATE_EMAIL = ""
    for _ in range(7):
        _ask(client, "helen@helix.example")
    assert len(mail.outbox) == 7

    settings.PASSWORD_RESET_RATE_EMAIL = "5 an hour"
    with pytest.raises(ImproperlyConfigured, match="PASSWORD_RESET_RATE_EMAIL must be"):
        password_reset.parse_rate("PASSWORD_RESET_RATE_EMAIL")
