"""Directory search: what buyers type finds providers and sites, best match first.

Runs on SQLite (substring and catalogue-word corrections) and on PostgreSQL (trigram word
similarity and full-text search): every expectation here holds on both.
"""

import datetime
import sqlite3

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from partners.demo.seeding import seed_catalogue
from partners.directory.facets import facet_counts
from partners.directory.search import among, parse_query, search_sites
from partners.filtersets import ProviderFilterSet
from partners.models import Provider, Site, Term
from tests.factories import InspectionFactory, ProviderFactory, SiteCapabilityFactory, SiteFactory

pytestmark = pytest.mark.django_db


def _capability(site, slug):
    return SiteCapabilityFactory(site=site, term=Term.objects.get(slug=slug))


def _scored(site, score: float) -> None:
    Site.objects.filter(pk=site.pk).update(compliance_score=score, compliance_state="scored")


def _filterset(query: str) -> ProviderFilterSet:
    filterset = ProviderFilterSet(QueryDict(query), queryset=Provider.objects.all())
    assert filterset.is_valid(), filterset.errors
    return filterset


def _found(text: str) -> list[str]:
    return sorted(
        _filterset(QueryDict.fromkeys(["q"], text).urlencode()).qs.values_list("slug", flat=True)
    )


def _listed(query: str) -> list[str]:
    return list(_filterset(query).qs.values_list("slug", flat=True))


@pytest.fixture
def catalogue():
    """Six providers, each found by what a buyer types for one capability, place or number."""
    severn = ProviderFactory(
        slug="severn", name="Severn Biologics", kind="cdmo", country="GB", description=""
    )
    park = SiteFactory(
        provider=severn, name="Severn Park", city="Bristol", country="GB", fei_number="3005551234"
    )
    _capability(park, "mab")
    _capability(park, "sterile-injectable")
    harbor = ProviderFactory(slug="harbor", name="Harbor Nucleics", kind="cdmo", country="US")
    seaport = SiteFactory(provider=harbor, name="Seaport", city="Boston", country="US")
    _capability(seaport, "mrna-lnp")
    kestrel = ProviderFactory(slug="kestrel", name="Kestrel Conjugates", kind="cdmo", country="CH")
    _capability(SiteFactory(provider=kestrel, name="Rhine Quay", city="Basel", country="CH"), "adc")
    heron = ProviderFactory(
        slug="heron",
        name="Heron Chemicals",
        kind="cmo",
        country="IN",
        description="Custom synthesis of intermediates at kilo and plant scale.",
    )
    _capability(
        SiteFactory(provider=heron, name="Unit 2", city="Vizag", country="IN"), "small-molecule-api"
    )
    tern = ProviderFactory(slug="tern", name="Tern Laboratories", kind="cmo", country="IN")
    _capability(SiteFactory(provider=tern, name="Chakan", city="Pune", country="IN"), "oral-solid")
    plover = ProviderFactory(slug="plover", name="Plover Pharma", kind="cmo", country="IT")
    _capability(
        SiteFactory(provider=plover, name="Parma", city="Parma", country="IT"), "blow-fill-seal"
    )
    return {"severn": severn, "harbor": harbor, "kestrel": kestrel, "heron": heron}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Capabilities by name, abbreviation or synonym.
        ("monoclonal", ["severn"]),
        ("mAb", ["severn"]),
        ("monoclonal antibody", ["severn"]),
        ("antibody", ["kestrel", "severn"]),  # the ADC is an antibody-drug conjugate
        ("mRNA", ["harbor"]),
        ("LNP", ["harbor"]),
        ("lipid nanoparticles", ["harbor"]),
        ("ADC", ["kestrel"]),
        ("antibody-drug conjugate", ["kestrel"]),
        ("API", ["heron"]),
        ("drug substance", ["heron"]),
        ("active pharmaceutical ingredient", ["heron"]),
        ("OSD", ["tern"]),
        ("tablets", ["tern"]),
        ("oral solid dose", ["tern"]),
        ("BFS", ["plover"]),
        ("blow-fill-seal", ["plover"]),
        ("fill-finish", ["severn"]),
        # Places, names, numbers and descriptions.
        ("Bristol", ["severn"]),
        ("boston", ["harbor"]),
        ("Rhine Quay", ["kestrel"]),
        ("3005551234", ["severn"]),
        ("FEI 3005-551-234", ["severn"]),
        ("Severn", ["severn"]),
        ("synthesis", ["heron"]),
        ("United Kingdom", ["severn"]),
        ("UK", ["severn"]),
        ("India", ["heron", "tern"]),
        ("ADC Switzerland", ["kestrel"]),
        ("mab Switzerland", []),
        # Every word must be found, though not in the same place.
        ("mab bristol", ["severn"]),
        ("mab boston", []),
        ("nothing like it", []),
    ],
)
def test_search_finds_what_buyers_type(catalogue, text, expected):
    assert _found(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sevrn", ["severn"]),
        ("monoclonl", ["severn"]),
        ("bostn", ["harbor"]),
        ("Kestrl", ["kestrel"]),
        ("nucleix", ["harbor"]),
    ],
)
def test_search_forgives_a_typo(catalogue, text, expected):
    assert _found(text) == expected


def test_an_exact_name_comes_first_then_names_starting_with_the_query(catalogue):
    ProviderFactory(slug="osprey-labs", name="Osprey Labs")
    ProviderFactory(slug="osprey", name="Osprey")
    alder = ProviderFactory(slug="alder", name="Alder Pharma")
    SiteFactory(provider=alder, name="Osprey Works")

    assert _listed("q=osprey") == ["osprey", "osprey-labs", "alder"]


def test_a_search_is_ordered_by_relevance_unless_the_user_picks_an_order(catalogue):
    ProviderFactory(slug="osprey-labs", name="Osprey Labs")
    ProviderFactory(slug="osprey", name="Osprey")
    alder = ProviderFactory(slug="alder", name="Alder Pharma")
    SiteFactory(provider=alder, name="Osprey Works")

    searching = _filterset("q=osprey")
    picked = _filterset("q=osprey&ordering=name")

    assert searching.form.cleaned_data["ordering"] == "relevance"
    assert ("relevance", "Relevance (best match first)") in searching.form.fields[
        "ordering"
    ].choices
    assert list(picked.qs.values_list("slug", flat=True)) == ["alder", "osprey", "osprey-labs"]


def test_relevance_is_offered_only_while_searching_and_falls_back_to_names(catalogue):
    # Given the relevance order left chosen after the search box was cleared
    filterset = _filterset("q=&ordering=relevance")

    # Then the list is by name, and the choice is no longer offered
    assert list(filterset.qs.values_list("slug", flat=True)) == sorted(
        ["severn", "harbor", "kestrel", "heron", "tern", "plover"]
    )
    assert "relevance" not in dict(filterset.form.fields["ordering"].choices)


def test_facet_counts_follow_the_search(catalogue):
    counts = facet_counts(_filterset("q=antibody"))

    assert {v: n for v, n in counts["modality"].items() if n} == {"mab": 1, "adc": 1}
    assert counts["dosage_form"].get("sterile-injectable") == 1
    assert sum(counts["kind"].values()) == 2
    # and a typo counts as the list does
    assert facet_counts(_filterset("q=sevrn"))["modality"]["mab"] == 1


def test_facet_counts_of_a_search_and_filters_match_the_list(catalogue):
    counts = facet_counts(_filterset("q=antibody&kind=cdmo"))

    for value, count in counts["modality"].items():
        assert len(_listed(f"q=antibody&kind=cdmo&modality={value}")) == count, value


def test_api_search_follows_the_directory(client, catalogue):
    response = client.get("/api/providers/", {"q": "monoclonl"})

    assert response.status_code == 200
    assert [p["slug"] for p in response.json()["results"]] == ["severn"]


def test_api_orders_a_search_by_relevance(client, catalogue):
    ProviderFactory(slug="osprey-labs", name="Osprey Labs")
    ProviderFactory(slug="osprey", name="Osprey")

    response = client.get("/api/providers/", {"q": "osprey"})

    assert [p["slug"] for p in response.json()["results"]] == ["osprey", "osprey-labs"]


def test_directory_page_finds_a_typo(client, catalogue):
    response = client.get("/providers/", {"q": "sevrn"})

    html = response.content.decode()
    assert "Severn Biologics" in html
    assert "Harbor Nucleics" not in html


def test_most_recent_inspection_first_and_never_inspected_last(catalogue):
    InspectionFactory(site=Site.objects.get(name="Seaport"), end_date=datetime.date(2025, 3, 1))
    InspectionFactory(site=Site.objects.get(name="Severn Park"), end_date=datetime.date(2023, 1, 5))
    InspectionFactory(site=Site.objects.get(name="Unit 2"), end_date=datetime.date(2026, 2, 9))

    ordered = _listed("ordering=-inspected")

    assert ordered[:3] == ["heron", "harbor", "severn"]
    assert sorted(ordered[3:]) == ["kestrel", "plover", "tern"]


def test_worst_compliance_first_reads_the_worst_site(catalogue):
    # Given Severn with a good site and a bad one, Harbor with one middling site
    park = Site.objects.get(name="Severn Park")
    _scored(park, 92)
    _scored(SiteFactory(provider=catalogue["severn"], name="Old Mill"), 12)
    _scored(Site.objects.get(name="Seaport"), 55)

    ordered = _listed("ordering=compliance")

    # Then Severn's worst site puts it first; unscored providers come last
    assert ordered[:2] == ["severn", "harbor"]
    assert "Worst" in dict(_filterset("").form.fields["ordering"].choices)["compliance"]


def test_search_sites_finds_sites_by_their_own_fields_provider_and_capabilities(catalogue):
    SiteFactory(provider=catalogue["severn"], name="Old Mill", city="Gloucester")

    def found(text):
        return sorted(search_sites(Site.objects.all(), text).values_list("name", flat=True))

    assert found("bristol") == ["Severn Park"]
    assert found("3005551234") == ["Severn Park"]
    assert found("monoclonal") == ["Severn Park"]
    assert found("sevrn") == ["Old Mill", "Severn Park"]  # by its provider's name
    assert found("LNP") == ["Seaport"]
    assert search_sites(Site.objects.all(), "  ").count() == Site.objects.count()


def test_search_sites_ranks_an_exact_site_name_first(catalogue):
    SiteFactory(provider=catalogue["kestrel"], name="Parma Annex", city="Parma")

    ranked = search_sites(Site.objects.all(), "parma").order_by("-search_rank", "name")

    assert ranked.values_list("name", flat=True).first() == "Parma"


def test_a_phrase_naming_a_capability_is_read_whole():
    units = parse_query("monoclonal antibody bristol")

    assert [(u.text, sorted(u.term_slugs)) for u in units] == [
        ("monoclonal antibody", ["mab"]),
        ("bristol", []),
    ]


def test_query_count_of_a_search_with_filters_does_not_grow_with_the_page(client, catalogue):
    query = {"q": "monoclonal", "kind": "cdmo", "region": "europe", "modality": "mab"}
    client.get("/providers/", query)  # builds the per-catalogue indexes
    cache.clear()  # the page is built again, not served from the cache
    with CaptureQueriesContext(connection) as few:
        client.get("/providers/", query)
    for number in range(25):
        provider = ProviderFactory(kind="cdmo", name=f"Avon Biologics {number}")
        _capability(SiteFactory(provider=provider, country="FR"), "mab")
    client.get("/providers/", query)
    cache.clear()

    with CaptureQueriesContext(connection) as many:
        response = client.get("/providers/", query)

    assert response.context["page"].paginator.count == 26
    assert len(response.context["page"].object_list) == 20
    assert len(many) == len(few)
    assert len(many) <= 16


def test_the_demo_catalogue_answers_what_buyers_type():
    # Given the demo catalogue (seed_demo's generator, small enough for a test)
    seed_catalogue(60, 42, datetime.date(2025, 6, 30))
    mab_makers = Provider.objects.filter(sites__capabilities__term__slug="mab").distinct()
    mrna_makers = Provider.objects.filter(sites__capabilities__term__slug="mrna-lnp").distinct()
    site = Site.objects.exclude(fei_number="").exclude(city="").order_by("pk").first()

    # Then each query a buyer types finds its providers
    assert _found("monoclonal") == sorted(mab_makers.values_list("slug", flat=True))
    assert _found("mRNA") == sorted(mrna_makers.values_list("slug", flat=True))
    assert site.provider.slug in _found(site.city)
    assert _found(site.fei_number) == [site.provider.slug]
    assert [Provider.objects.get(slug=slug).name for slug in _found("sevrn")] == ["Severn Peptides"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL planner setting")
def test_the_indexed_provider_search_leaves_the_planner_as_it_found_it(catalogue):
    from partners.directory.search import provider_search_ids

    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        before = cursor.fetchone()[0]
        assert provider_search_ids("monoclonal")
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == before == "on"


@pytest.mark.django_db
def test_a_list_of_more_ids_than_a_statement_may_have_parameters_still_filters():
    # Every registered establishment can be listed at once: 40,000 ids in one filter, past
    # SQLite's default limit of 32,766 parameters (some builds raise it: hold it at the default).
    site = SiteFactory()
    ids = (*range(10_000_000, 10_040_000), site.pk)
    limit = None
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        limit = connection.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 32_766)
    try:
        assert list(Site.objects.filter(among(ids)).values_list("pk", flat=True)) == [site.pk]
        assert Site.objects.filter(among(ids[:3])).count() == 0
    finally:
        if limit is not None:
            connection.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)
