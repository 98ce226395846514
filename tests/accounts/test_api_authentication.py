"""How the API is signed into: an API token first, then the browser's session; no password.
An anonymous call to a private endpoint is a 401 whose WWW-Authenticate names the token
scheme; HTTP Basic is a 401 saying to use a token, even on public endpoints; the schema
documents the token scheme and no other."""

import base64

import pytest
from django.test import Client

from tests.factories import PASSWORD, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url", ["/api/briefs/", "/api/shortlists/", "/api/organisation/members/", "/api/runs/1/"]
)
def test_an_anonymous_call_to_a_private_endpoint_is_a_401_naming_the_token_scheme(url):
    answer = Client().get(url)

    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == 'Token realm="api"'
    assert answer.json()["detail"] == "Authentication credentials were not provided."


def test_http_basic_is_refused_even_with_the_right_password_and_on_public_endpoints():
    user = MembershipFactory(user__username="helen").user
    basic = "Basic " + base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()

    for url in ("/api/briefs/", "/api/providers/"):
        answer = Client().get(url, headers={"authorization": basic})
        assert answer.status_code == 401, url
        assert answer["WWW-Authenticate"] == 'Token realm="api"'
        assert "send `Authorization: Token <token>`" in answer.json()["detail"]


def test_an_unknown_or_malformed_token_is_a_401():
    for header in ("Token 0123abcd", "Token", "Token a b", "Bearer zz\u00e9"):
        answer = Client().get("/api/providers/", headers={"authorization": header})
        assert answer.status_code == 401, header


def test_the_browsers_session_still_signs_api_calls_in():
    client = Client()
    client.force_login(MembershipFactory().user)

    assert client.get("/api/briefs/").status_code == 200


def test_the_public_catalogue_needs_no_sign_in():
    assert Client().get("/api/providers/").status_code == 200


def test_the_schema_documents_token_authentication_and_no_password_scheme():
    schema = Client().get("/api/schema/", headers={"accept": "application/json"}).json()

    schemes = schema["components"]["securitySchemes"]
    assert set(schemes) == {"tokenAuth", "cookieAuth"}
    assert schemes["tokenAuth"]["in"] == "header"
    assert schemes["tokenAuth"]["name"] == "Authorization"
    assert "Token <token>" in schemes["tokenAuth"]["description"]
    briefs = schema["paths"]["/api/briefs/"]["get"]
    assert {"tokenAuth": []} in briefs["security"]
