"""Password reset: the app's own pages and mail, sent through the mail settings; the page never
says whether an address has an account; the link sets a new password that then signs in."""

import re

import pytest
from django.core import mail

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
