"""The providers API's pages are cached under the catalogue version, the day, the address and
the query: a repeated query reads no catalogue table, and any catalogue change shows at once."""

import pytest

from partners.models import Term
from tests.factories import ProviderFactory, SiteCapabilityFactory, SiteFactory

pytestmark = pytest.mark.django_db

URL = "/api/providers/?modality=mab"


@pytest.fixture
def mab_maker():
    provider = ProviderFactory(name="Alpha Biologics", slug="alpha-biologics")
    site = SiteFactory(provider=provider, country="DE")
    SiteCapabilityFactory(site=site, term=Term.objects.get(slug="mab"))
    return provider


def _names(response) -> list[str]:
    assert response.status_code == 200
    return [provider["name"] for provider in response.json()["results"]]


def test_a_repeated_query_reads_only_the_catalogue_version(
    client, mab_maker, django_assert_num_queries
):
    first = client.get(URL)

    with django_assert_num_queries(1):  # the catalogue version, nothing else
        again = client.get(URL)

    assert again.json() == first.json()
    assert _names(again) == ["Alpha Biologics"]


def test_a_catalogue_change_shows_at_once(client, mab_maker):
    client.get(URL)
    mab_maker.name = "Alpha Biologics Europe"
    mab_maker.save()

    assert _names(client.get(URL)) == ["Alpha Biologics Europe"]


def test_each_address_gets_its_own_links(client, mab_maker):
    on_testserver = client.get(URL).json()["results"][0]["html_url"]
    on_localhost = client.get(URL, HTTP_HOST="localhost").json()["results"][0]["html_url"]

    assert on_testserver.startswith("http://testserver/")
    assert on_localhost.startswith("http://localhost/")


def test_a_refused_query_is_not_cached(client, mab_maker):
    assert client.get("/api/providers/?min_batch_kg=-1").status_code == 400
    assert client.get("/api/providers/?min_batch_kg=-1").status_code == 400


def test_a_cached_page_holds_plain_json_values_not_model_instances(client, mab_maker, monkeypatch):
    """A serializer's links are strings carrying their model instance: cached as such, every
    read of the page would rebuild the instances."""
    from partners.api import views

    stored = []
    original = views.cache.set
    monkeypatch.setattr(
        views.cache,
        "set",
        lambda key, value, *a, **k: (stored.append(value), original(key, value, *a, **k)),
    )

    first = client.get(URL)

    (page,) = stored
    assert _plain_types(page)
    assert page["results"][0]["url"] == first.json()["results"][0]["url"]
    assert client.get(URL).json() == first.json()


def _plain_types(value) -> bool:
    if isinstance(value, dict):
        return all(type(k) is str and _plain_types(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain_types(v) for v in value)
    return type(value) in (str, int, float, bool, type(None))
