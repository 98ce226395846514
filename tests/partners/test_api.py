"""The catalogue API: the directory's filters as JSON, profiles, vocabulary, errors, schema."""

import datetime
import re

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partners.choices import (
    DEA_SCHEDULE_CODES,
    PHASE_SLUGS,
    ActionType,
    Authority,
    CertificationKind,
    Classification,
    DataSource,
    Provenance,
    ProviderKind,
    Region,
)
from partners.filtersets import ProviderFilterSet
from partners.models import Published483, Term
from partners.vocabulary import CAPABILITY_TERMS
from tests.factories import (
    CertificationFactory,
    InspectionFactory,
    ProviderFactory,
    RegulatoryActionFactory,
    SiteCapabilityFactory,
    SiteFactory,
)
from tests.partners.catalogue import build_small_catalogue

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
# Not `TODAY.replace(year=...)`, which fails on 29 February.
YEAR = datetime.timedelta(days=365)

# Queries of one list page: the catalogue version (the page's cache key), the count, the
# providers, their sites, the sites' modalities.
LIST_QUERIES = 5
# Queries of one profile: the provider, then one per prefetch (sites, capabilities,
# certifications, inspections, actions, published 483s, phases, DEA schedules).
DETAIL_QUERIES = 9


def _capability(site, slug, **fields):
    return SiteCapabilityFactory(site=site, term=Term.objects.get(slug=slug), **fields)


def _slugs(response) -> list[str]:
    return [provider["slug"] for provider in response.json()["results"]]


@pytest.fixture
def catalogue():
    return build_small_catalogue()


def _add_providers(count: int) -> None:
    """Providers with two sites each and something in every prefetched relation."""
    for _ in range(count):
        provider = ProviderFactory()
        for country in ("FR", "US"):
            site = SiteFactory(provider=provider, country=country)
            _capability(site, "mab", max_volume_l=500)
            _capability(site, "lyophilized")
            site.phases.set(["phase1", "phase2"])
            CertificationFactory(site=site)


# The list


def test_list_gives_each_provider_in_the_directory_shape(client, catalogue):
    response = client.get("/api/providers/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 4
    assert _slugs(response) == ["ganges", "osaka", "rhine", "split"]  # by name
    split = body["results"][3]
    assert split == {
        "slug": "split",
        "name": "Split Pharma",
        "kind": "cmo",
        "country": {"code": "IE", "name": "Ireland"},
        "website": "",
        "verification_status": "unverified",
        "verified_on": None,
        "source": "curated",
        "site_count": 2,
        "site_countries": [{"code": "IE", "name": "Ireland"}],
        "modalities": ["mab"],
        "url": "http://testserver/api/providers/split/",
        "html_url": "http://testserver/providers/split/",
    }
    assert body["results"][0]["verified_on"] == "2025-01-15"


def test_the_api_says_where_a_provider_and_its_sites_come_from(client):
    provider = ProviderFactory(
        slug="registrant", source=DataSource.FDA_REGISTRATION, registrant_duns="080136346"
    )
    SiteFactory(
        provider=provider,
        source=DataSource.FDA_REGISTRATION,
        duns_number="150483782",
        registered_operations=["MANUFACTURE", "ANALYSIS"],
    )
    ProviderFactory(slug="demo-one", source=DataSource.DEMO)

    listed = {
        p["slug"]: p["source"]
        for p in client.get("/api/providers/?scope=registered").json()["results"]
    }
    detail = client.get("/api/providers/registrant/").json()

    assert listed == {"registrant": "fda-registration"}
    assert client.get("/api/providers/demo-one/").json()["source"] == "demo"
    assert (detail["source"], detail["registrant_duns"]) == ("fda-registration", "080136346")
    site = detail["sites"][0]
    assert site["source"] == "fda-registration"
    assert site["duns_number"] == "150483782"
    assert site["registered_operations"] == ["MANUFACTURE", "ANALYSIS"]


def test_list_links_resolve_to_the_profile_and_the_page(client, catalogue):
    rhine = client.get("/api/providers/", {"q": "rhine"}).json()["results"][0]

    assert client.get(rhine["url"]).json()["slug"] == "rhine"
    assert client.get(rhine["html_url"]).status_code == 200


def test_site_filters_must_hold_at_one_and_the_same_site(client, catalogue):
    # Split makes mAbs at Cork and holds EU GMP at Dublin: not a match for both together.
    both = client.get("/api/providers/", {"modality": "mab", "certification": "eu-gmp"})

    assert _slugs(both) == ["rhine"]
    assert _slugs(client.get("/api/providers/", {"modality": "mab"})) == ["rhine", "split"]
    assert _slugs(client.get("/api/providers/", {"certification": "eu-gmp"})) == [
        "rhine",
        "split",
    ]


def test_repeated_parameter_ors_its_values_and_parameters_are_anded(client, catalogue):
    either = client.get("/api/providers/?modality=mab&modality=hpapi")
    either_cmo = client.get("/api/providers/?modality=mab&modality=hpapi&kind=cmo")

    assert _slugs(either) == ["ganges", "rhine", "split"]
    assert _slugs(either_cmo) == ["ganges", "split"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=potent", ["ganges"]),
        ("kind=cdmo", ["osaka", "rhine"]),
        ("dosage_form=oral-solid", ["split"]),
        ("service=process-development", ["rhine"]),
        ("technology=continuous-manufacturing", ["ganges"]),
        ("phase=phase1&phase=commercial", ["ganges", "rhine"]),
        ("country=ie", ["split"]),
        ("region=asia-pacific", ["ganges", "osaka"]),
        ("certification=eu-gmp", ["rhine", "split"]),  # Ganges's certificate has expired
        ("inspected_by=PMDA", ["osaka"]),
        ("clean_since=2022-06-01", ["osaka", "rhine", "split"]),
        ("min_batch_kg=500", ["ganges", "osaka"]),
        ("min_volume_l=5000", ["rhine"]),
        ("max_oel=1", ["ganges"]),
        ("dea_schedule=II", ["ganges"]),
        ("verified=true", ["ganges"]),
        ("ordering=-name", ["split", "rhine", "osaka", "ganges"]),
        ("ordering=country", ["rhine", "split", "ganges", "osaka"]),
    ],
)
def test_each_directory_parameter_filters_the_api_list(client, catalogue, query, expected):
    response = client.get(f"/api/providers/?{query}")

    assert response.status_code == 200
    assert _slugs(response) == expected


def test_pages_link_to_each_other_and_keep_the_filters(client, catalogue):
    first = client.get("/api/providers/", {"kind": "cmo", "page_size": 1}).json()
    second = client.get(first["next"]).json()

    assert first["count"] == 2
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/providers/?kind=cmo&page=2&page_size=1"
    assert [p["slug"] for p in first["results"]] == ["ganges"]
    assert [p["slug"] for p in second["results"]] == ["split"]
    assert second["next"] is None
    assert second["previous"] == "http://testserver/api/providers/?kind=cmo&page_size=1"


def test_page_size_defaults_to_25_and_is_capped_at_100(client):
    ProviderFactory.create_batch(101)

    default = client.get("/api/providers/").json()
    capped = client.get("/api/providers/", {"page_size": 1000}).json()

    assert len(default["results"]) == 25
    assert len(capped["results"]) == 100
    assert capped["next"].endswith("page=2&page_size=1000")


def test_list_query_count_does_not_grow_with_the_page_size(client, django_assert_max_num_queries):
    _add_providers(2)
    with CaptureQueriesContext(connection) as two:
        small = client.get("/api/providers/", {"page_size": 30})
    _add_providers(28)

    with django_assert_max_num_queries(LIST_QUERIES) as thirty:
        large = client.get("/api/providers/", {"page_size": 30})

    assert len(small.json()["results"]) == 2
    assert len(large.json()["results"]) == 30
    assert len(thirty) == len(two)


def test_filtered_list_query_count_is_fixed(client, catalogue, django_assert_max_num_queries):
    _add_providers(30)

    # Plus the vocabulary table read by the `modality` filter's choices.
    with django_assert_max_num_queries(LIST_QUERIES + 1):
        response = client.get(
            "/api/providers/", {"modality": "mab", "region": "europe", "page_size": 50}
        )

    assert response.json()["count"] == 32


# The profile


@pytest.fixture
def profiled():
    """A provider whose one site has a record of every kind the profile shows."""
    provider = ProviderFactory(
        slug="rhine",
        name="Rhine Biologics",
        country="DE",
        description="Biologics from cell line to fill-finish.",
    )
    site = SiteFactory(
        provider=provider,
        name="Leverkusen",
        country="DE",
        city="Leverkusen",
        fei_number="3001",
        oel_ug_m3=0.5,
        capacity_available_from=datetime.date(2027, 1, 1),
        phases=["commercial", "phase1", "phase3"],
        dea_schedules=["II", "IV"],
    )
    _capability(site, "mab", max_volume_l=12000, provenance=Provenance.CURATOR_VERIFIED)
    _capability(site, "small-molecule-api", max_batch_kg=500)
    CertificationFactory(
        site=site,
        kind="eu-gmp",
        reference="DE_NW_01",
        issued_on=TODAY - YEAR,
        valid_until=TODAY + 2 * YEAR,
        source="EudraGMDP",
    )
    CertificationFactory(
        site=site,
        kind="mhra-gmp",
        authority="MHRA",
        reference="UK-GMP-1",
        issued_on=TODAY - 2 * YEAR,
        valid_until=TODAY + datetime.timedelta(days=30),
    )
    CertificationFactory(
        site=site,
        kind="iso-9001",
        authority="",
        reference="ISO-1",
        issued_on=TODAY - 4 * YEAR,
        valid_until=TODAY - datetime.timedelta(days=1),
    )
    CertificationFactory(site=site, kind="who-pq", authority="WHO", status="suspended")
    InspectionFactory(
        fei_number="3001",
        inspection_id="1234567",
        classification="VAI",
        end_date=datetime.date(2023, 3, 2),
        product_type="Drugs",
        source="FDA Data Dashboard",
    )
    RegulatoryActionFactory(
        fei_number="3001",
        case_id="580123",
        product_type="Drugs",
        action_date=datetime.date(2019, 7, 1),
        source="FDA compliance actions",
    )
    return provider


def test_profile_gives_sites_with_scale_provenance_validity_and_record(client, profiled):
    response = client.get("/api/providers/rhine/")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Rhine Biologics"
    assert body["description"] == "Biologics from cell line to fill-finish."
    assert body["url"] == "http://testserver/api/providers/rhine/"
    assert body["html_url"] == "http://testserver/providers/rhine/"
    [site] = body["sites"]
    assert site["name"] == "Leverkusen"
    assert site["country"] == {"code": "DE", "name": "Germany"}
    assert site["fei_number"] == "3001"
    assert site["phases"] == ["phase1", "phase3", "commercial"]  # in rank order
    assert site["oel_ug_m3"] == 0.5
    assert site["dea_schedules"] == ["II", "IV"]
    assert site["capacity_available_from"] == "2027-01-01"
    assert site["compliance_state"] == "unknown"
    assert site["compliance_score"] is None
    assert {c["slug"]: c for c in site["capabilities"]} == {
        "mab": {
            "slug": "mab",
            "kind": "modality",
            "name": "Monoclonal antibody",
            "max_batch_kg": None,
            "max_volume_l": 12000.0,
            "provenance": "curator-verified",
        },
        "small-molecule-api": {
            "slug": "small-molecule-api",
            "kind": "modality",
            "name": "Small-molecule API",
            "max_batch_kg": 500.0,
            "max_volume_l": None,
            "provenance": "self-reported",
        },
    }
    validity = {c["kind"]: c["validity"] for c in site["certifications"]}
    assert validity == {
        "eu-gmp": "valid",
        "mhra-gmp": "expiring",
        "iso-9001": "expired",
        "who-pq": "suspended",
    }
    eu_gmp = next(c for c in site["certifications"] if c["kind"] == "eu-gmp")
    assert eu_gmp["reference"] == "DE_NW_01"
    assert eu_gmp["source"] == "EudraGMDP"
    assert eu_gmp["valid_until"] == (TODAY + 2 * YEAR).isoformat()
    [inspection] = site["inspections"]
    assert inspection["inspection_id"] == "1234567"
    assert inspection["classification"] == "VAI"
    assert inspection["end_date"] == "2023-03-02"
    assert inspection["project_area"] == "Drug Quality Assurance"
    assert inspection["source"] == "FDA Data Dashboard"
    assert inspection["retrieved_at"] is not None
    assert site["actions"] == [
        {
            "authority": "FDA",
            "type": "warning-letter",
            "date": "2019-07-01",
            "case_id": "580123",
            "product_type": "Drugs",
            "source": "FDA compliance actions",
            "retrieved_at": None,
        }
    ]


def test_profile_query_count_does_not_grow_with_sites_or_records(
    client, profiled, django_assert_max_num_queries
):
    with CaptureQueriesContext(connection) as one_site:
        client.get("/api/providers/rhine/")
    for n in range(5):
        site = SiteFactory(provider=profiled, fei_number=f"40{n}", phases=["phase2"])
        _capability(site, "peptide", max_batch_kg=10)
        CertificationFactory(site=site)
        InspectionFactory(fei_number=f"40{n}")
        RegulatoryActionFactory(fei_number=f"40{n}")

    with django_assert_max_num_queries(DETAIL_QUERIES) as six_sites:
        response = client.get("/api/providers/rhine/")

    assert len(response.json()["sites"]) == 6
    assert len(six_sites) == len(one_site)


@pytest.mark.django_db
def test_a_sites_published_483s_are_in_the_provider_and_site_endpoints(client):
    site = SiteFactory(fei_number="3000000340")
    document = Published483.objects.create(
        fei_number="3000000340",
        record_type="Form 483",
        record_date=datetime.date(2025, 11, 20),
        publish_date=datetime.date(2026, 1, 10),
        download_url="https://www.fda.gov/media/483-9/download",
        source="FDA 483 database",
    )
    document.record_ids.create(record_id="483-9")
    expected = {
        "authority": "FDA",
        "record_ids": ["483-9"],
        "record_type": "Form 483",
        "record_date": "2025-11-20",
        "publish_date": "2026-01-10",
        "download_url": "https://www.fda.gov/media/483-9/download",
        "product_type": "",
        "source": "FDA 483 database",
        "retrieved_at": None,
    }

    provider = client.get(f"/api/providers/{site.provider.slug}/").json()
    alone = client.get(f"/api/sites/{site.pk}/").json()

    assert provider["sites"][0]["published_483s"] == [expected]
    assert alone["published_483s"] == [expected]


def test_unknown_slug_is_a_json_404(client, catalogue):
    response = client.get("/api/providers/no-such-provider/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "No provider has the slug “no-such-provider”."}


# The vocabulary


def test_taxonomy_lists_exactly_the_vocabulary(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        response = client.get("/api/taxonomy/")

    body = response.json()

    def values(name: str) -> list[str]:
        return [choice["value"] for choice in body[name]]

    assert response.status_code == 200
    assert {
        kind: sorted(term["slug"] for term in terms) for kind, terms in body["capabilities"].items()
    } == {kind: sorted(slug for slug, _ in terms) for kind, terms in CAPABILITY_TERMS.items()}
    assert {"slug": "mab", "name": "Monoclonal antibody"} in body["capabilities"]["modality"]
    assert [phase["slug"] for phase in body["phases"]] == PHASE_SLUGS
    assert values("dea_schedules") == DEA_SCHEDULE_CODES
    assert values("certification_kinds") == CertificationKind.values
    assert values("authorities") == Authority.values
    assert values("regions") == Region.values
    assert values("provider_kinds") == ProviderKind.values
    assert values("classifications") == Classification.values
    assert values("action_types") == ActionType.values
    assert values("provenance") == Provenance.values
    assert values("certification_validity") == [
        "valid",
        "expiring",
        "expired",
        "not-yet-valid",
        "suspended",
        "withdrawn",
    ]
    assert {"value": "eu-gmp", "label": "EU GMP certificate"} in body["certification_kinds"]


# Bad input


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("modality=monoclonal", "modality", "Select a valid choice"),
        ("kind=cmo&kind=pharma", "kind", "Select a valid choice"),
        ("clean_since=2024-13-45", "clean_since", "Enter a valid date."),
        ("min_batch_kg=-5", "min_batch_kg", "Enter a number greater than zero."),
        ("min_volume_l=0", "min_volume_l", "Enter a number greater than zero."),
        ("max_oel=abc", "max_oel", "Enter a number."),
        ("country=XX", "country", "Select a valid choice"),
        ("ordering=price", "ordering", "Select a valid choice"),
        ("page=9", "page", "Page 9 does not exist: there is 1 page."),
        ("page=0", "page", "Page 0 does not exist"),
        ("page=two", "page", "The page number must be a whole number."),
        ("page_size=0", "page_size", "Enter a whole number from 1 to 100."),
        ("page_size=ten", "page_size", "Enter a whole number from 1 to 100."),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(client, catalogue, query, field, message):
    response = client.get(f"/api/providers/?{query}")

    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field]
    assert body[field][0].startswith(message)


def test_page_past_the_end_counts_the_pages(client):
    _add_providers(3)

    response = client.get("/api/providers/", {"page_size": 2, "page": 9})

    assert response.status_code == 400
    assert response.json() == {"page": ["Page 9 does not exist: there are 2 pages."]}


def test_every_bad_filter_is_reported_at_once(client, catalogue):
    response = client.get("/api/providers/?modality=monoclonal&max_oel=-1")

    assert response.status_code == 400
    assert set(response.json()) == {"modality", "max_oel"}


# Schema and docs


def test_schema_is_openapi_3_and_documents_every_filter(client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3")
    assert set(schema["paths"]) == {
        "/api/providers/",
        "/api/providers/{slug}/",
        "/api/taxonomy/",
        "/api/briefs/",
        "/api/briefs/{id}/",
        "/api/briefs/{id}/runs/",
        "/api/briefs/{id}/duplicate/",
        "/api/runs/{id}/",
        "/api/runs/{id}/compare/{other}/",
        "/api/runs/{id}/results/",
        "/api/runs/{id}/retry/",
        "/api/runs/{id}/excluded/",
        "/api/runs/{id}/acceptability/",
        "/api/sites/{id}/",
        "/api/organisation/members/",
        "/api/organisation/members/{id}/",
        "/api/organisation/invitations/",
        "/api/organisation/invitations/{id}/",
        "/api/shortlists/",
        "/api/shortlists/{id}/",
        "/api/shortlists/{id}/candidates/",
        "/api/shortlists/{id}/activity/",
        "/api/candidates/{id}/",
        "/api/candidates/{id}/move/",
        "/api/candidates/{id}/assign/",
        "/api/candidates/{id}/notes/",
        "/api/candidates/{id}/quote/",
        "/api/candidates/{id}/attachments/",
        "/api/attachments/{id}/",
        "/api/attachments/{id}/download/",
        "/api/candidates/{id}/scores/",
        "/api/shortlists/{id}/criteria/",
        "/api/shortlists/{id}/scores/",
        "/api/shortlists/{id}/scores/reveal/",
        "/api/shortlists/{id}/comparison/",
        "/api/shortlists/{id}/comparison/{fmt}/",
        "/api/shortlists/{id}/export/{fmt}/",
        "/api/runs/{id}/export/{fmt}/",
        "/api/shortlists/{shortlist_pk}/decisions/",
        "/api/shortlists/{shortlist_pk}/decisions/{number}/",
        "/api/shortlists/{shortlist_pk}/decisions/{number}/reopen/",
        "/api/notifications/",
        "/api/notifications/{id}/",
        "/api/notifications/{id}/read/",
        "/api/notifications/read-all/",
        "/api/watches/",
        "/api/watches/{id}/",
    }
    parameters = {p["name"] for p in schema["paths"]["/api/providers/"]["get"]["parameters"]}
    assert parameters == {*ProviderFilterSet.base_filters, "page", "page_size"}


def test_docs_page_loads_its_assets_from_our_static_files(client):
    response = client.get("/api/docs/")

    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert response.status_code == 200
    assert assets  # the Swagger UI bundle, its stylesheet and favicon, the script starting it
    for asset in assets:
        if asset == "/api/docs/?script=":  # the start-up script, a file of its own (CSP)
            script = client.get(asset)
            assert script["Content-Type"].startswith("application/javascript")
            html += script.content.decode()
            continue
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), asset
    assert "/api/schema/" in html
    # No address elsewhere (a CDN's): every URL the page or its script names is ours. (The CSRF
    # token the script carries is random text, which may spell "cdn".)
    assert not re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html.lower())
