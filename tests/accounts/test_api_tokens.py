"""API tokens: made on the tokens page and shown once, stored only as a digest, used as
`Authorization: Token …` (or Bearer), revocable, always expiring within the bound, and a
read-only token refused (403, saying why) on anything that changes data."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts import tokens
from accounts.models import ApiToken
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_IN_PAGE = re.compile(r'id="new-token" class="token-value" value="([0-9a-f]+)"')


@pytest.fixture
def helen():
    return MembershipFactory(user__username="helen").user


def _page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _make(client: Client, **fields) -> tuple[object, str]:
    response = client.post(
        "/accounts/tokens/",
        {"name": "Helix ETL", "days": 90, "read_only": ""} | fields,
        follow=True,
    )
    found = TOKEN_IN_PAGE.search(response.content.decode())
    return response, found.group(1) if found else ""


def _api(token: str, scheme: str = "Token") -> Client:
    return Client(headers={"authorization": f"{scheme} {token}"})


def test_a_token_is_shown_once_and_only_its_digest_is_stored(helen):
    client = _page_client(helen)

    made, token = _make(client)
    again = client.get("/accounts/tokens/")

    assert made.redirect_chain == [("/accounts/tokens/", 302)]
    assert made.status_code == 200
    assert "it is shown only this once" in made.content.decode()
    assert len(token) == 64
    stored = ApiToken.objects.get(user=helen)
    assert stored.name == "Helix ETL"
    assert stored.digest == hashlib.sha512(token.encode()).hexdigest()
    assert token not in str(ApiToken.objects.values().get())
    assert token not in again.content.decode()
    assert "Helix ETL" in again.content.decode()
    assert {"private", "no-store"} <= set(made["Cache-Control"].split(", "))
    assert "accounts:new-api-token" not in client.session


def test_a_token_signs_an_api_call_in_as_its_owner_and_notes_its_use(helen):
    _, token = _make(_page_client(helen))

    with_token = _api(token).get("/api/briefs/")
    with_bearer = _api(token, "Bearer").get("/api/briefs/")

    assert with_token.status_code == 200
    assert with_bearer.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def test_a_revoked_token_no_longer_works(helen):
    client = _page_client(helen)
    _, token = _make(client)
    stored = ApiToken.objects.get()

    revoked = client.post(f"/accounts/tokens/{stored.token_key}/revoke/", follow=True)

    assert "The token is revoked" in revoked.content.decode()
    assert not ApiToken.objects.exists()
    refused = _api(token).get("/api/briefs/")
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Invalid token."


def test_nobody_revokes_another_users_token(helen):
    _make(_page_client(helen))
    stored = ApiToken.objects.get()
    other = _page_client(UserFactory())

    answer = other.post(f"/accounts/tokens/{stored.token_key}/revoke/", follow=True)

    assert "No such token among yours" in answer.content.decode()
    assert ApiToken.objects.filter(pk=stored.pk).exists()
    assert "Helix ETL" not in other.get("/accounts/tokens/").content.decode()


def test_a_token_expires_after_the_days_chosen(helen):
    _, token = _make(_page_client(helen), days=30)
    stored = ApiToken.objects.get()

    assert abs(stored.expiry - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    ApiToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    assert _api(token).get("/api/briefs/").status_code == 401
    assert "Helix ETL" not in _page_client(helen).get("/accounts/tokens/").content.decode()


def test_a_lifetime_beyond_the_bound_is_refused(helen, settings):
    settings.API_TOKEN_MAX_DAYS = 90
    client = _page_client(helen)

    refused, token = _make(client, days=365)
    page = client.get("/accounts/tokens/").content.decode()

    assert refused.status_code == 400
    assert token == ""
    assert not ApiToken.objects.exists()
    assert 'value="365"' not in page
    assert 'value="90"' in page
    with pytest.raises(ValueError, match="1 to 90 days"):
        tokens.create_token(helen, "script", 365)


def test_a_token_needs_a_name(helen):
    refused, _ = _make(_page_client(helen), name="   ")

    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()


def test_a_read_only_token_reads_but_may_not_change_anything(helen):
    _, token = _make(_page_client(helen), read_only="on")

    read = _api(token).get("/api/briefs/")
    written = _api(token).post("/api/briefs/", {"title": "x"}, content_type="application/json")

    assert read.status_code == 200
    assert written.status_code == 403
    assert "This API token is read-only" in written.json()["detail"]


def test_a_read_write_token_may_change_data(helen):
    _, token = _make(_page_client(helen))

    written = _api(token).post("/api/briefs/", {}, content_type="application/json")

    assert written.status_code == 400  # past authentication: the brief itself is refused


def test_the_tokens_page_needs_a_sign_in_and_is_linked_from_the_menu(helen):
    assert Client().get("/accounts/tokens/").status_code == 302
    home = _page_client(helen).get("/")
    assert 'href="/accounts/tokens/"' in home.content.decode()


def test_a_curator_sees_and_revokes_tokens_in_the_admin_but_never_reads_one(helen):
    _, token = _make(_page_client(helen))
    admin = _page_client(UserFactory(is_staff=True, is_superuser=True))

    listing = admin.get("/admin/accounts/apitoken/")

    assert listing.status_code == 200
    assert "Helix ETL" in listing.content.decode()
    assert token not in listing.content.decode()
    assert admin.get("/admin/accounts/apitoken/add/").status_code == 403
