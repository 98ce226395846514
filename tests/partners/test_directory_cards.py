"""The directory's provider cards are built once per catalogue version and reused by every query
that lists the provider: correct after any catalogue change, and never one viewer's card (with
its shortlist control) shown to another who may not shortlist."""

import pytest

from matching.choices import Role
from partners import views
from partners.models import Term
from tests.factories import MembershipFactory, ProviderFactory, SiteCapabilityFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_mab_makers():
    mab = Term.objects.get(slug="mab")
    providers = []
    for name, country in (("Alpha Biologics", "DE"), ("Beta Biologics", "FR")):
        provider = ProviderFactory(name=name, slug=name.lower().replace(" ", "-"))
        SiteCapabilityFactory(site=SiteFactory(provider=provider, country=country), term=mab)
        providers.append(provider)
    return providers


@pytest.fixture
def cards_built(monkeypatch):
    """The providers whose cards the directory had to build, request after request."""
    built: list[list[str]] = []
    original = views.directory_entries

    def counting(providers):
        built.append([provider.name for provider in providers])
        return original(providers)

    monkeypatch.setattr(views, "directory_entries", counting)
    return built


def test_a_card_built_for_one_query_is_reused_by_another(client, two_mab_makers, cards_built):
    first = client.get("/?modality=mab")
    second = client.get("/?modality=mab&region=europe")

    for page in (first.text, second.text):
        assert "Alpha Biologics" in page
        assert "Beta Biologics" in page
    assert cards_built == [["Alpha Biologics", "Beta Biologics"]]


def test_a_catalogue_change_shows_at_once(client, two_mab_makers, cards_built):
    client.get("/?modality=mab")
    alpha = two_mab_makers[0]
    alpha.name = "Alpha Biologics Europe"
    alpha.save()

    page = client.get("/?modality=mab&region=europe").text

    assert "Alpha Biologics Europe" in page
    assert len(cards_built) == 2


def test_a_member_who_may_shortlist_and_a_visitor_never_see_each_others_cards(
    client, two_mab_makers
):
    member = MembershipFactory(role=Role.MEMBER).user
    viewer = MembershipFactory(role=Role.VIEWER).user

    client.force_login(member)
    members_page = client.get("/?modality=mab").text
    client.logout()
    visitors_page = client.get("/?modality=mab&region=europe").text
    client.force_login(viewer)
    viewers_page = client.get("/?modality=mab&sort=name").text

    assert members_page.count('class="shortlist-slot"') == 2
    assert 'class="shortlist-slot"' not in visitors_page
    assert 'class="shortlist-slot"' not in viewers_page


def test_a_term_a_curator_adds_is_offered_and_filters_at_once(client, two_mab_makers):
    assert "Lipid nanoparticles" not in client.get("/").text
    lnp = Term.objects.create(kind="modality", slug="lnp", name="Lipid nanoparticles")
    SiteCapabilityFactory(site=two_mab_makers[1].sites.get(), term=lnp)

    page = client.get("/?modality=lnp")
    api = client.get("/api/providers/", {"modality": "lnp"})

    assert page.status_code == 200
    assert 'value="lnp"' in page.text
    assert "Beta Biologics" in page.text
    assert "Alpha Biologics" not in page.text
    assert [provider["name"] for provider in api.json()["results"]] == ["Beta Biologics"]


def test_a_page_reads_the_catalogue_version_once(client, two_mab_makers, django_assert_num_queries):
    """The page's key, its cards and its facet index are checked against one reading of the
    version, and the form's vocabulary is not read again while the catalogue is unchanged."""
    client.get("/?modality=mab")  # the vocabulary, facet index and cards are built

    # The version, then the new query's count and page; its cards are cached already.
    with django_assert_num_queries(3) as context:
        client.get("/?modality=mab&region=europe")

    version_reads = [
        query["sql"] for query in context.captured_queries if "catalogueversion" in query["sql"]
    ]
    assert len(version_reads) == 1
