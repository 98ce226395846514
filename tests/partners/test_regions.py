"""Regions follow UN M49: in the region module, the directory, a brief's scoring, the API, and
the note that tells the owners of a saved brief whose preferred regions changed meaning."""

import datetime
import importlib

import numpy as np
import pytest
from django.apps import apps
from django.http import QueryDict
from django.utils import timezone
from django_countries import countries

from matching.engine.scoring import explain, score_catalogue
from matching.index import build_catalogue_index
from matching.models import Brief
from partners.choices import Region
from partners.directory.facets import facet_counts
from partners.filtersets import ProviderFilterSet
from partners.models import Provider, Term
from partners.regions import REGION_STANDARD, countries_in, region_of
from tests.factories import (
    BriefFactory,
    MembershipFactory,
    ProviderFactory,
    SiteCapabilityFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db

_migration = importlib.import_module("matching.migrations.0011_brief_notice_m49_regions")


# --- Which country is in which region ---------------------------------------------------------


@pytest.mark.parametrize("code", ["MX", "PR", "CU", "VI", "GT", "BR"])
def test_mexico_central_america_and_the_caribbean_are_latin_america(code):
    assert region_of(code) == Region.LATIN_AMERICA


def test_northern_america_is_the_us_canada_bermuda_greenland_and_saint_pierre():
    assert countries_in(Region.NORTH_AMERICA) == {"US", "CA", "BM", "GL", "PM"}


@pytest.mark.parametrize("code", ["GE", "AM", "AZ", "CY", "TR", "IL", "AE"])
def test_western_asia_is_middle_east_and_africa_not_europe(code):
    assert region_of(code) == Region.MIDDLE_EAST_AFRICA


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("IR", Region.ASIA_PACIFIC),  # M49 Southern Asia
        ("TW", Region.ASIA_PACIFIC),
        ("NZ", Region.ASIA_PACIFIC),
        ("JE", Region.EUROPE),  # M49 Northern Europe
        ("GB", Region.EUROPE),
        ("EG", Region.MIDDLE_EAST_AFRICA),  # M49 Northern Africa
        ("ZA", Region.MIDDLE_EAST_AFRICA),
    ],
)
def test_other_countries_follow_their_m49_sub_region(code, region):
    assert region_of(code) == region


def test_every_iso_country_is_in_exactly_one_region():
    memberships = {code: [r for r in Region if code in countries_in(r)] for code, _ in countries}

    assert {code: found for code, found in memberships.items() if len(found) != 1} == {}


def test_a_code_outside_iso_3166_is_in_no_region():
    assert region_of("ZZ") == ""


def test_the_label_says_northern_america_and_the_stored_value_is_unchanged():
    assert (Region.NORTH_AMERICA.value, Region.NORTH_AMERICA.label) == (
        "north-america",
        "Northern America",
    )
    assert Region.LATIN_AMERICA.label == "Latin America and the Caribbean"


# --- The directory, the engine, the API --------------------------------------------------------


@pytest.fixture
def americas(db):
    """A provider with one site in Mexico and one with a site in the United States."""
    mexican = ProviderFactory(slug="toluca", name="Toluca Farma", country="MX")
    SiteFactory(provider=mexican, name="Toluca", country="MX", city="Toluca")
    american = ProviderFactory(slug="raleigh", name="Raleigh Labs", country="US")
    SiteFactory(provider=american, name="Raleigh", country="US", city="Raleigh")
    return {"mexican": mexican, "american": american}


def _listed(query: str) -> list[str]:
    filterset = ProviderFilterSet(QueryDict(query), queryset=Provider.objects.all())
    assert filterset.is_valid(), filterset.errors
    return sorted(filterset.qs.values_list("slug", flat=True))


def test_the_directory_finds_a_mexican_site_under_latin_america_only(americas):
    assert _listed("region=latin-america") == ["toluca"]
    assert _listed("region=north-america") == ["raleigh"]


def test_the_region_facet_counts_a_mexican_site_in_latin_america(americas):
    filterset = ProviderFilterSet(QueryDict(""), queryset=Provider.objects.all())
    assert filterset.is_valid()

    counts = facet_counts(filterset)["region"]

    assert (counts.get("latin-america"), counts.get("north-america")) == (1, 1)


def test_a_saved_north_america_link_still_filters_the_directory_page(client, americas):
    response = client.get("/providers/", {"region": "north-america"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Raleigh Labs" in html
    assert "Toluca Farma" not in html


def test_the_api_region_filter_follows_m49(client, americas):
    latin = client.get("/api/providers/", {"region": "latin-america"})
    northern = client.get("/api/providers/", {"region": "north-america"})

    assert [p["slug"] for p in latin.json()["results"]] == ["toluca"]
    assert [p["slug"] for p in northern.json()["results"]] == ["raleigh"]


def test_the_api_taxonomy_names_northern_america(client):
    regions = client.get("/api/taxonomy/").json()["regions"]

    assert {"value": "north-america", "label": "Northern America"} in regions


def test_the_api_schema_says_regions_follow_m49(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    parameters = schema["paths"]["/api/providers/"]["get"]["parameters"]
    region = next(p for p in parameters if p["name"] == "region")
    brief_fields = schema["components"]["schemas"]["Brief"]["properties"]
    assert REGION_STANDARD in region["description"]
    assert REGION_STANDARD in brief_fields["preferred_regions"]["description"]


def test_a_brief_preferring_north_america_no_longer_counts_a_mexican_site_as_in_it(americas):
    for provider in americas.values():
        SiteCapabilityFactory(
            site=provider.sites.get(), term=Term.objects.get(slug="mab"), max_volume_l=2000
        )
    brief = BriefFactory(preferred_regions=["north-america"], must_haves=["geography"])

    outcome = score_catalogue(brief.to_criteria(), build_catalogue_index(timezone.localdate()))

    toluca = int(np.flatnonzero(outcome.index.site_ids == americas["mexican"].sites.get().pk)[0])
    geography = next(e for e in explain(outcome, toluca) if e.criterion == "geography")
    assert outcome.eligible_site_ids.tolist() == [americas["american"].sites.get().pk]
    assert geography.failed
    assert geography.sentence.startswith("is in Mexico, outside the preferred")


# --- The brief form and the note on saved briefs ----------------------------------------------


def test_the_brief_form_says_which_standard_the_regions_follow(client):
    member = MembershipFactory().user
    client.force_login(member)

    response = client.get("/briefs/new/")

    assert response.status_code == 200
    assert REGION_STANDARD in response.content.decode()


def test_the_migration_notes_the_moved_countries_on_an_affected_brief_only():
    north = BriefFactory(preferred_regions=["north-america"])
    europe = BriefFactory(preferred_regions=["europe"])
    anywhere = BriefFactory(preferred_regions=[], preferred_countries=["MX"])
    edited = Brief.objects.get(pk=north.pk).updated_at

    _migration.add_region_notices(apps, None)

    north.refresh_from_db()
    europe.refresh_from_db()
    anywhere.refresh_from_db()
    assert "Mexico and Puerto Rico moved from North America to Latin America and the Caribbean" in (
        north.notice
    )
    assert "“North America” is now called “Northern America”" in north.notice
    assert "Cyprus" not in north.notice
    assert "Armenia, Azerbaijan, Cyprus and Georgia moved from Europe to Middle East & Africa" in (
        europe.notice
    )
    assert "Mexico" not in europe.notice
    assert anywhere.notice == ""
    assert north.updated_at == edited


def test_the_note_is_dated_and_says_which_standard():
    notice = _migration.region_notice(["latin-america"], datetime.date(2026, 12, 2))

    assert notice.startswith("2 December 2026: regions now follow the UN M49 standard")
    assert "Anguilla" in notice
    assert _migration.region_notice([], datetime.date(2026, 12, 2)) == ""


def test_the_brief_page_shows_the_note_to_its_owners(client):
    membership = MembershipFactory()
    noted = BriefFactory(organisation=membership.organisation, preferred_regions=["north-america"])
    plain = BriefFactory(organisation=membership.organisation)
    _migration.add_region_notices(apps, None)
    client.force_login(membership.user)

    shown = client.get(noted.get_absolute_url()).content.decode()
    not_shown = client.get(plain.get_absolute_url()).content.decode()

    assert "Changed since this brief was saved" in shown
    assert "Mexico and Puerto Rico moved" in shown
    assert "Northern America" in shown  # the preferred region, by its new name
    assert "Changed since this brief was saved" not in not_shown


@pytest.mark.django_db
def test_the_directory_says_which_standard_its_regions_follow(client):
    response = client.get("/providers/")
    assert "Regions follow the UN M49 standard." in response.content.decode()
