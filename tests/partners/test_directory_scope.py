"""What the directory lists at all: contract manufacturers by default, every FDA-registered
establishment when asked, ancillary establishments only when asked; where each entry came from."""

import pytest
from django.http import QueryDict
from django.urls import reverse

from partners.choices import DataSource
from partners.directory.facets import facet_counts, filter_masks
from partners.directory.sites import directory_sites, site_facet_counts
from partners.filtersets import ProviderFilterSet
from partners.models import Provider, Term
from tests.factories import ProviderFactory, SiteCapabilityFactory, SiteFactory

pytestmark = pytest.mark.django_db


def _filterset(query: str) -> ProviderFilterSet:
    filterset = ProviderFilterSet(QueryDict(query), queryset=Provider.objects.all())
    assert filterset.is_valid(), filterset.errors
    return filterset


def _listed_sql(query: str) -> list[str]:
    """The providers the SQL path lists (the API's)."""
    return sorted(_filterset(query).qs.values_list("slug", flat=True))


def _listed_page(client, query: str) -> list[str]:
    """The providers the directory page lists (the facet index's path)."""
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    return sorted(entry["provider"].slug for entry in response.context["entries"])


def _listed_sites(query: str) -> list[str]:
    return sorted(directory_sites(_filterset(query)).values_list("name", flat=True))


@pytest.fixture
def mixed_catalogue():
    """A demo CDMO, a curated CMO with no site yet, and three registrants of FDA-registered
    establishments: a manufacturer, a medical-gas supplier, and one with a manufacturing site
    and a packing-only one."""
    demo = ProviderFactory(slug="demo-cdmo", name="Demo CDMO", kind="cdmo", source=DataSource.DEMO)
    demo_site = SiteFactory(provider=demo, name="Demo Basel", source=DataSource.DEMO)
    SiteCapabilityFactory(site=demo_site, term=Term.objects.get(slug="mab"))
    ProviderFactory(slug="nascent", name="Nascent Pharma", kind="cmo")
    registered = {"kind": "unclassified", "source": DataSource.FDA_REGISTRATION}
    site = {"source": DataSource.FDA_REGISTRATION}
    maker = ProviderFactory(slug="halol-pharma", name="Halol Pharma", **registered)
    SiteFactory(
        provider=maker,
        name="Halol Pharma (Halol)",
        duns_number="650123451",
        registered_operations=["MANUFACTURE", "ANALYSIS"],
        **site,
    )
    gases = ProviderFactory(slug="airgas", name="Airgas", **registered)
    SiteFactory(
        provider=gases,
        name="Airgas (Tulsa)",
        duns_number="650123452",
        registered_operations=["TRANSFILL"],
        ancillary_only=True,
        **site,
    )
    mixed = ProviderFactory(slug="mixed-pharma", name="Mixed Pharma", **registered)
    SiteFactory(
        provider=mixed,
        name="Mixed Plant",
        duns_number="650123453",
        registered_operations=["MANUFACTURE"],
        **site,
    )
    SiteFactory(
        provider=mixed,
        name="Mixed Packing",
        duns_number="650123454",
        registered_operations=["PACK", "LABEL"],
        ancillary_only=True,
        **site,
    )


def test_the_directory_lists_contract_manufacturers_by_default(client, mixed_catalogue):
    expected = ["demo-cdmo", "nascent"]
    assert _listed_page(client, "") == expected
    assert _listed_sql("") == expected
    assert _listed_sites("") == ["Demo Basel"]


def test_the_registered_scope_lists_fda_registered_establishments_not_demo_ones(
    client, mixed_catalogue
):
    expected = ["halol-pharma", "mixed-pharma"]
    assert _listed_page(client, "scope=registered") == expected
    assert _listed_sql("scope=registered") == expected
    # The packing-only site of a registrant with a plant is hidden too.
    assert _listed_sites("scope=registered") == ["Halol Pharma (Halol)", "Mixed Plant"]


def test_ancillary_establishments_show_only_when_asked_for(client, mixed_catalogue):
    query = "scope=registered&include_ancillary=true"
    expected = ["airgas", "halol-pharma", "mixed-pharma"]
    assert _listed_page(client, query) == expected
    assert _listed_sql(query) == expected
    assert _listed_sites(query) == [
        "Airgas (Tulsa)",
        "Halol Pharma (Halol)",
        "Mixed Packing",
        "Mixed Plant",
    ]


def test_a_search_keeps_to_the_scope(client, mixed_catalogue):
    assert _listed_page(client, "q=airgas") == []
    assert _listed_page(client, "q=airgas&scope=registered") == []
    assert _listed_page(client, "q=airgas&scope=registered&include_ancillary=true") == ["airgas"]
    assert _listed_page(client, "q=halol") == []
    assert _listed_page(client, "q=halol&scope=registered") == ["halol-pharma"]


@pytest.mark.parametrize(
    "query", ["", "scope=registered", "include_ancillary=true", "country=DE", "q=pharma"]
)
def test_scope_counts_are_the_size_of_the_list_each_option_gives(mixed_catalogue, query):
    counts = facet_counts(_filterset(query))
    site_counts = site_facet_counts(_filterset(query))
    for name, options in (
        ("scope", counts["scope"]),
        ("include_ancillary", counts["include_ancillary"]),
    ):
        for value, count in options.items():
            others = QueryDict(query, mutable=True)
            others.setlist(name, [value])
            wanted = others.urlencode()
            assert len(_listed_sql(wanted)) == count, (name, value)
            assert len(_listed_sites(wanted)) == site_counts[name][value], (name, value)


def test_scope_counts_read_as_a_user_expects(mixed_catalogue):
    counts = facet_counts(_filterset(""))
    assert counts["scope"] == {"contract": 2, "registered": 2}
    assert counts["include_ancillary"] == {"true": 2}  # contract manufacturers: none ancillary
    registered = facet_counts(_filterset("scope=registered"))
    assert registered["include_ancillary"] == {"true": 3}
    sites = site_facet_counts(_filterset("scope=registered"))
    assert sites["scope"] == {"contract": 1, "registered": 2}
    assert sites["include_ancillary"] == {"true": 4}


def test_the_default_scope_is_no_active_filter(mixed_catalogue):
    assert _filterset("scope=contract").active == {}
    assert _filterset("scope=contract&include_ancillary=false").active == {}
    assert set(_filterset("scope=registered&include_ancillary=true").active) == {
        "scope",
        "include_ancillary",
    }
    assert filter_masks(_filterset("")).filtered  # yet the list is narrowed


def test_the_scope_is_offered_with_counts_and_shown_as_a_removable_chip(client, mixed_catalogue):
    page = client.get("/").content.decode()
    assert 'type="radio" name="scope" value="" id="f-scope-" checked' in page
    assert 'type="radio" name="scope" value="registered"' in page
    assert "All FDA-registered establishments" in page
    assert 'class="filter-chip"' not in page

    response = client.get("/?scope=registered&include_ancillary=true")
    chips = {(chip.label, chip.value_label): chip.query for chip in response.context["chips"]}
    assert chips[("Show", "All FDA-registered establishments")] == "include_ancillary=true"
    assert ("Including", "medical-gas, animal-feed, packing and testing-only sites") in chips
    assert response.context["page_title"].startswith("All FDA-registered establishments, ")
    assert (
        '<h1 id="directory-heading">FDA-registered establishments</h1>' in response.content.decode()
    )
    fragment = client.get("/?scope=registered", headers={"HX-Request": "true"}).content.decode()
    assert (
        '<h1 id="directory-heading" hx-swap-oob="true">FDA-registered establishments</h1>'
        in fragment
    )


def test_an_unknown_scope_is_an_error_not_a_guess(client, mixed_catalogue):
    response = client.get("/api/providers/?scope=everything")
    assert response.status_code == 400
    assert "scope" in response.json()


def test_the_api_lists_by_the_same_rule(client, mixed_catalogue):
    def slugs(query: str) -> list[str]:
        response = client.get(f"/api/providers/?{query}")
        assert response.status_code == 200, response.content
        return sorted(provider["slug"] for provider in response.json()["results"])

    assert slugs("") == ["demo-cdmo", "nascent"]
    assert slugs("scope=registered") == ["halol-pharma", "mixed-pharma"]
    assert slugs("scope=registered&include_ancillary=true&q=airgas") == ["airgas"]


def test_demo_data_and_fda_registrations_are_marked_where_they_show(client, mixed_catalogue):
    card = client.get("/").content.decode()
    assert card.count(">Demo data</span>") == 1  # the demo provider's card, not the curated one

    sites = client.get("/?view=sites&scope=registered").content.decode()
    assert sites.count(">FDA registration</span>") == 2

    demo_profile = client.get(reverse("partners:provider", args=["demo-cdmo"])).content.decode()
    assert demo_profile.count(">Demo data</span>") == 2  # the provider and its site

    profile = client.get(reverse("partners:provider", args=["halol-pharma"])).content.decode()
    assert ">FDA registration</span>" in profile
    assert "Registered with FDA for" in profile
    assert "Manufacture, analysis" in profile
    assert "650123451" in profile
    assert "not yet classified" in profile
    directory = reverse("partners:directory")
    assert f'href="{directory}?scope=registered">FDA-registered establishments</a>' in profile


def test_an_establishment_is_found_by_its_duns_number_as_written_anywhere(client, mixed_catalogue):
    assert _listed_page(client, "scope=registered&q=650123451") == ["halol-pharma"]
    assert _listed_page(client, "scope=registered&q=65-012-3451") == ["halol-pharma"]
    assert _listed_sites("scope=registered&q=DUNS+650123453") == ["Mixed Plant"]
