"""The directory page: empty states, filters as removable chips, a title that says what is
shown, a skip link, and the site view (one row per site) beside the provider view."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from matching.choices import Role
from partners.models import Provider, Site
from tests.factories import (
    CertificationFactory,
    MembershipFactory,
    ProviderFactory,
    SiteFactory,
    UserFactory,
)
from tests.partners.catalogue import _capability, build_small_catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    providers = build_small_catalogue()
    Site.objects.filter(name="Leverkusen").update(compliance_score=91, compliance_state="scored")
    Site.objects.filter(name="Hyderabad").update(compliance_score=12, compliance_state="scored")
    return providers


def _html(response) -> str:
    assert response.status_code == 200
    return unescape(response.content.decode())


def _chips(html: str) -> dict[str, str]:
    """Each removable filter's accessible name -> the URL its link leads to."""
    links = re.findall(r'<a class="filter-chip" href="([^"]*)" hx-get="[^"]*">(.*?)</a>', html)
    return {
        re.sub(
            r"\s+", " ", re.sub(r"<span[^>]*aria-hidden[^>]*>.*?</span>|<[^>]+>", "", inner)
        ).strip(): href
        for href, inner in links
    }


def test_a_search_finding_nothing_says_0_providers_and_offers_to_remove_it(client, catalogue):
    html = _html(client.get("/?q=zzzz"))

    assert "<strong>0</strong> providers" in html
    assert "No provider matches this filter." in html
    assert "Remove the last filter: Search “zzzz”" in html


def test_many_filters_finding_nothing_show_the_empty_state_and_each_filter_removable(
    client, catalogue
):
    html = _html(client.get("/providers/?modality=mab&country=JP&certification=eu-gmp"))

    assert "<strong>0</strong> providers" in html
    assert "No provider matches all these filters." in html
    assert set(_chips(html)) == {
        "Remove filter: Modality Monoclonal antibody",
        "Remove filter: Country Japan",
        "Remove filter: Certificate EU GMP certificate",
    }
    assert "clear all filters" in html


def test_the_empty_state_removes_the_filter_the_user_added_last(client, catalogue):
    # The user had Japan and mAb; ticking EU GMP left nothing. The form sends its fields in
    # page order, so only the page the request came from tells which one was new.
    response = client.get(
        "/providers/?modality=mab&certification=eu-gmp&country=JP",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/providers/?modality=mab&country=JP",
    )

    html = _html(response)
    button = re.search(
        r'<a class="button" href="([^"]*)"[^>]*>Remove the last filter: ([^<]*)<', html
    )
    assert button.group(2) == "Certificate EU GMP certificate"
    assert button.group(1) == "/providers/?modality=mab&country=JP"


def test_without_a_previous_page_the_last_filter_in_the_url_is_offered(client, catalogue):
    html = _html(client.get("/providers/?country=JP&modality=mab"))

    assert "Remove the last filter: Modality Monoclonal antibody" in html


def test_active_filters_are_chips_each_linking_to_the_url_without_its_value(client, catalogue):
    html = _html(client.get("/providers/?modality=mab&country=de&country=IE&ordering=-name&page=1"))

    chips = _chips(html)
    assert chips == {
        "Remove filter: Modality Monoclonal antibody": (
            "/providers/?country=de&country=IE&ordering=-name"
        ),
        "Remove filter: Country Germany": "/providers/?modality=mab&country=IE&ordering=-name",
        "Remove filter: Country Ireland": "/providers/?modality=mab&country=de&ordering=-name",
    }


def test_chips_read_searches_scales_dates_and_verification_as_people_write_them(client, catalogue):
    html = _html(
        client.get(
            "/providers/",
            {
                "q": "rhine",
                "min_volume_l": "2000",
                "max_oel": "0.5",
                "clean_since": "2021-01-01",
                "verified": "true",
                "min_batch_kg": "",
            },
        )
    )

    assert set(_chips(html)) == {
        "Remove filter: Search “rhine”",
        "Remove filter: Volume of at least 2,000 L",
        "Remove filter: Contains an OEL of 0.5 µg/m³",
        "Remove filter: Clean record since 1 Jan 2021",
        "Remove filter: Verification Verified by a curator",
    }
    # The empty field the form sent is left out of every chip's link.
    assert all("min_batch_kg" not in href for href in _chips(html).values())


def test_no_filter_no_chips(client, catalogue):
    html = _html(client.get("/providers/"))

    assert 'class="filter-chip"' not in html
    assert "Remove the last filter" not in html


def test_the_page_title_names_the_filters_and_the_count(client, catalogue):
    html = _html(client.get("/providers/?modality=mab&country=DE"))

    assert "<title>Monoclonal antibody, Germany — 1 provider — CDMO Match</title>" in html


def test_the_title_without_filters_counts_the_catalogue(client, catalogue):
    html = _html(client.get("/providers/"))

    assert "<title>Contract manufacturers — 4 providers — CDMO Match</title>" in html


def test_htmx_answers_carry_the_new_title_for_htmx_to_apply(client, catalogue):
    html = _html(client.get("/providers/?modality=mab", HTTP_HX_REQUEST="true"))

    # After the form, at the top level of the fragment, where htmx looks for it.
    assert html.rstrip().endswith(
        "</form>\n<title>Monoclonal antibody — 2 providers — CDMO Match</title>"
    )


def test_a_skip_link_leads_past_the_filters_to_the_results(client, catalogue):
    html = _html(client.get("/providers/"))

    assert '<a class="skip-link" href="#results-list">Skip to results</a>' in html
    assert 'id="results-list" tabindex="-1"' in html


def test_an_empty_catalogue_says_so(client):
    html = _html(client.get("/providers/"))

    assert "<strong>0</strong> providers" in html
    assert "The catalogue has no providers yet." in html
    assert "No site country among these providers." in html


def test_site_view_lists_one_row_per_site_meeting_every_filter(client, catalogue):
    html = _html(client.get("/providers/?view=sites&modality=mab"))

    assert "<strong>2</strong> sites" in html
    rows = re.findall(r'<tr class="site-row">(.*?)</tr>', html, re.S)
    assert len(rows) == 2
    leverkusen, cork = rows  # by provider name: Rhine, then Split
    assert ">Leverkusen</a>" in leverkusen
    assert "Rhine Biologics" in leverkusen
    assert "Germany" in leverkusen
    assert "Monoclonal antibody" in leverkusen
    assert "Sterile injectable" in leverkusen or "sterile" in leverkusen.lower()
    assert "12,000 L volume" in leverkusen
    assert "EU GMP certificate" in leverkusen
    assert '<span class="score">91</span>' in leverkusen
    assert ">Cork</a>" in cork
    assert "2,000 L volume" in cork
    assert "None valid today" in cork
    assert "Unknown" in cork


def test_site_view_asks_every_site_filter_of_the_site_itself(client, catalogue):
    # Split has mAbs at Cork and EU GMP at Dublin: neither site meets both.
    html = _html(client.get("/providers/?view=sites&modality=mab&certification=eu-gmp"))

    rows = re.findall(r'<tr class="site-row">(.*?)</tr>', html, re.S)
    assert len(rows) == 1
    assert ">Leverkusen</a>" in rows[0]


def test_site_view_applies_provider_filters_through_the_provider(client, catalogue):
    html = _html(client.get("/providers/?view=sites&kind=cmo"))

    names = re.findall(r'<th scope="row" data-label="Site"><a [^>]*>([^<]*)</a>', html)
    assert names == ["Hyderabad", "Cork", "Dublin"]


def test_site_view_orders_by_compliance_worst_unknown_last(client, catalogue):
    html = _html(client.get("/providers/?view=sites&ordering=-compliance"))

    names = re.findall(r'<th scope="row" data-label="Site"><a [^>]*>([^<]*)</a>', html)
    assert names[:2] == ["Leverkusen", "Hyderabad"]
    assert len(names) == 5


def test_site_view_orders_by_worst_compliance_and_latest_inspection(client, catalogue):
    worst = _html(client.get("/providers/?view=sites&ordering=compliance"))
    inspected = _html(client.get("/providers/?view=sites&ordering=-inspected"))

    def names(html: str) -> list[str]:
        return re.findall(r'<th scope="row" data-label="Site"><a [^>]*>([^<]*)</a>', html)

    assert names(worst)[:2] == ["Hyderabad", "Leverkusen"]
    # Osaka (last year), Leverkusen (2023), Hyderabad (2022), then the never inspected.
    assert names(inspected) == ["Osaka", "Leverkusen", "Hyderabad", "Cork", "Dublin"]


def test_site_view_counts_sites_in_its_facets(client, catalogue):
    providers_html = _html(client.get("/providers/"))
    sites_html = _html(client.get("/providers/?view=sites"))

    def ireland(html: str) -> str:
        return re.search(
            r'id="f-country-IE">.*?<span class="count" aria-label="([^"]*)"', html, re.S
        )[1]

    assert ireland(providers_html) == "1 provider"
    assert ireland(sites_html) == "2 sites"  # Split's Cork and Dublin


def test_site_view_facets_count_sites_over_the_other_filters(client, catalogue):
    galway = SiteFactory(provider=catalogue["split"], name="Galway", country="IE")
    _capability(galway, "mab", max_volume_l=500)

    sites = client.get("/providers/?view=sites&modality=mab&country=IE")
    providers = client.get("/providers/?modality=mab&country=IE")

    def counts(response, name: str) -> dict[str, int]:
        facet = next(facet for facet in response.context["facets"] if facet.name == name)
        return {option.value: option.count for option in facet.options if option.count}

    # Countries counted without the country filter: the mAb sites in each (Cork and Galway).
    assert counts(sites, "country") == {"IE": 2, "DE": 1}
    assert counts(providers, "country") == {"IE": 1, "DE": 1}
    # Modalities counted without the modality filter: the Irish sites making each.
    assert counts(sites, "modality") == {"mab": 2}
    assert counts(sites, "dosage_form") == {}


def test_the_view_is_kept_by_chips_paging_the_switch_and_clear_all(client, catalogue):
    html = _html(client.get("/providers/?view=sites&kind=cmo&kind=cdmo"))

    assert all("view=sites" in href for href in _chips(html).values())
    assert '<input type="hidden" name="view" value="sites">' in html
    assert 'id="view-providers" href="/providers/?kind=cmo&kind=cdmo"' in html
    assert 'id="view-sites" href="/providers/?view=sites&kind=cmo&kind=cdmo"' in html
    sites_only = "/providers/?view=sites"
    assert f'href="{sites_only}" hx-get="{sites_only}" class="button secondary">Clear all' in html


def test_site_view_pages_keep_the_view(client, catalogue):
    for _ in range(21):
        SiteFactory(provider=catalogue["osaka"], country="JP")

    html = _html(client.get("/providers/?view=sites&country=JP"))

    assert "<strong>22</strong> sites · page 1 of 2" in html
    assert 'href="?view=sites&country=JP&page=2#results"' in html


def test_site_view_search_finds_sites_by_their_city(client, catalogue):
    Site.objects.filter(name="Cork").update(city="Ballincollig")

    html = _html(client.get("/providers/?view=sites&q=Ballincollig"))

    names = re.findall(r'<th scope="row" data-label="Site"><a [^>]*>([^<]*)</a>', html)
    assert names == ["Cork"]


def test_an_unknown_view_is_explained(client, catalogue):
    html = _html(client.get("/providers/?view=map"))

    assert "View: choose “providers” or “sites”." in html
    assert "Rhine Biologics" not in html


def test_site_view_query_count_does_not_grow_with_the_page(
    client, catalogue, django_assert_max_num_queries
):
    query = {"view": "sites", "region": "europe", "modality": "mab"}
    with CaptureQueriesContext(connection) as few:
        client.get("/providers/", query)
    for _ in range(25):
        site = SiteFactory(provider=ProviderFactory(), country="FR")
        _capability(site, "mab", max_volume_l=500)
        _capability(site, "lyophilized")
        CertificationFactory(site=site)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/providers/", query)

    assert response.context["page"].paginator.count == 27
    assert len(response.context["rows"]) == 20


def test_provider_view_query_count_with_chips_is_pinned(
    client, catalogue, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20):
        response = client.get("/providers/", {"modality": "mab", "country": ["DE", "IE"]})

    assert len(response.context["chips"]) == 3


def test_a_page_seen_before_is_served_from_the_cache_with_one_query(client, catalogue):
    query = {"modality": "mab", "country": ["DE", "IE"]}
    first = _html(client.get("/providers/", query))

    with CaptureQueriesContext(connection) as queries:
        again = _html(client.get("/providers/", query))

    def listed(html: str) -> str:  # the page but its layout (a CSRF token masked anew)
        return html[html.index('<form id="directory"') : html.index("</form>")]

    assert "provider-card" in listed(again)
    assert listed(again) == listed(first)
    assert len(queries) == 1  # the catalogue version


def test_a_curators_edit_shows_on_the_next_request(client, catalogue):
    client.get("/providers/", {"modality": "mab"})
    provider = Provider.objects.filter(sites__capabilities__term__slug="mab").first()
    provider.name = "Renamed Biologics"
    provider.save()

    html = _html(client.get("/providers/", {"modality": "mab"}))

    assert "Renamed Biologics" in html


def test_the_cached_list_keeps_each_viewer_s_own_controls(client, catalogue):
    member = UserFactory()
    MembershipFactory(user=member, role=Role.MEMBER)
    client.get("/providers/")  # cached for an anonymous visitor first

    client.force_login(member)
    as_member = _html(client.get("/providers/"))
    client.logout()
    anonymous = _html(client.get("/providers/"))

    assert "shortlist-slot" in as_member
    assert "shortlist-slot" not in anonymous


def test_a_full_page_is_never_answered_with_the_htmx_fragment(client, catalogue):
    fragment = client.get("/providers/", {"modality": "mab"}, headers={"HX-Request": "true"})
    page = client.get("/providers/", {"modality": "mab"})

    assert "<html" not in fragment.content.decode()
    assert "<html" in page.content.decode()
    assert page.content.decode().count('id="directory"') == 1
