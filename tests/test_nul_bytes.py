"""A NUL character in an address is answered with a 400 that says so, never a server error."""

import pytest

from core.middleware import NUL_MESSAGE
from tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db


def test_an_api_slug_with_a_nul_is_a_400_naming_it(client):
    ProviderFactory(slug="ab")

    response = client.get("/api/providers/a%00b/")

    assert response.status_code == 400
    assert response.json() == {"detail": NUL_MESSAGE}


def test_a_directory_search_with_a_nul_is_a_400(client):
    response = client.get("/providers/?q=mab%00")

    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_an_admin_search_with_a_nul_is_a_400(admin_client):
    response = admin_client.get("/admin/partners/provider/?q=%00")

    assert response.status_code == 400


def test_addresses_without_a_nul_are_answered_as_before(client):
    ProviderFactory(slug="ab")

    assert client.get("/api/providers/ab/").status_code == 200
    assert client.get("/providers/?q=mab").status_code == 200
