"""The directory: one FilterSet, site filters that hold for one site, disjunctive facet counts."""

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partners.directory.facets import facet_counts
from partners.filtersets import ProviderFilterSet
from partners.models import Provider, Term
from tests.factories import (
    CertificationFactory,
    ProviderFactory,
    SiteCapabilityFactory,
    SiteFactory,
)
from tests.partners.catalogue import build_small_catalogue

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _capability(site, slug, **scale):
    return SiteCapabilityFactory(site=site, term=Term.objects.get(slug=slug), **scale)


def _listed(query: str) -> list[str]:
    from django.http import QueryDict

    filterset = ProviderFilterSet(QueryDict(query), queryset=Provider.objects.all())
    assert filterset.is_valid(), filterset.errors
    return list(filterset.qs.values_list("slug", flat=True))


@pytest.fixture
def catalogue():
    """The small fixed catalogue, and a provider without any site yet, listed only while no
    site filter is active."""
    providers = build_small_catalogue()
    ProviderFactory(slug="nascent", name="Nascent Pharma", kind="cmo", country="US")
    return providers


def test_site_filters_must_hold_for_one_and_the_same_site(catalogue):
    assert _listed("modality=mab&certification=eu-gmp") == ["rhine"]
    assert sorted(_listed("modality=mab")) == ["rhine", "split"]
    assert sorted(_listed("certification=eu-gmp")) == ["rhine", "split"]


def test_values_of_one_parameter_are_ored_and_parameters_anded(catalogue):
    assert sorted(_listed("modality=mab&modality=hpapi")) == ["ganges", "rhine", "split"]
    assert sorted(_listed("modality=mab&modality=hpapi&kind=cmo")) == ["ganges", "split"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=potent", ["ganges"]),
        ("q=osaka", ["osaka"]),
        ("kind=cdmo", ["osaka", "rhine"]),
        ("dosage_form=oral-solid", ["split"]),
        ("service=process-development", ["rhine"]),
        ("technology=continuous-manufacturing", ["ganges"]),
        ("phase=commercial", ["ganges"]),
        ("phase=phase1&phase=commercial", ["ganges", "rhine"]),
        ("country=ie", ["split"]),
        ("region=asia-pacific", ["ganges", "osaka"]),
        ("region=europe", ["rhine", "split"]),
        ("certification=eu-gmp", ["rhine", "split"]),  # Ganges's certificate has expired
        ("inspected_by=PMDA", ["osaka"]),
        ("inspected_by=FDA", ["ganges", "rhine"]),
        ("clean_since=2022-01-01", ["osaka", "rhine", "split"]),
        ("clean_since=2022-06-01", ["osaka", "rhine", "split"]),  # the warning letter is later
        ("clean_since=2022-10-01", ["ganges", "osaka", "rhine", "split"]),
        ("min_batch_kg=1000", ["osaka"]),
        ("min_batch_kg=500", ["ganges", "osaka"]),
        ("min_volume_l=5000", ["rhine"]),
        ("max_oel=1", ["ganges"]),
        ("max_oel=10", ["ganges", "osaka"]),
        ("dea_schedule=II", ["ganges"]),
        ("dea_schedule=I", []),
        ("verified=true", ["ganges"]),
        ("verified=false", ["nascent", "osaka", "rhine", "split"]),
        ("kind=cmo", ["ganges", "nascent", "split"]),
    ],
)
def test_each_filter_narrows_the_list(catalogue, query, expected):
    assert sorted(_listed(query)) == expected


def test_orderings(catalogue):
    assert _listed("ordering=name") == ["ganges", "nascent", "osaka", "rhine", "split"]
    assert _listed("ordering=-name") == ["split", "rhine", "osaka", "nascent", "ganges"]
    assert _listed("ordering=country") == ["rhine", "split", "ganges", "osaka", "nascent"]
    assert _listed("ordering=-sites")[0] == "split"
    assert _listed("ordering=-sites")[-1] == "nascent"


def _nonzero(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {facet: {v: n for v, n in options.items() if n} for facet, options in counts.items()}


def test_best_compliance_record_first_and_unscored_providers_last(catalogue):
    from partners.regulatory.stored_scores import recompute_compliance_scores

    recompute_compliance_scores(as_of=TODAY)

    ordered = _listed("ordering=-compliance")

    # Rhine's site had a clean inspection, Ganges's an OAI and a warning letter; Split's sites
    # were never inspected, so Split has no score and comes last.
    assert ordered.index("rhine") < ordered.index("ganges")
    assert ordered[-1] == "split"


def test_facets_count_each_option_over_the_other_filters(catalogue):
    from django.http import QueryDict

    filterset = ProviderFilterSet(
        QueryDict("modality=mab&certification=eu-gmp"), queryset=Provider.objects.all()
    )
    assert filterset.is_valid()

    counts = _nonzero(facet_counts(filterset))

    # Modality counted under the EU GMP filter only: of the EU GMP sites, only Rhine's does mAbs
    # (Split's Dublin holds EU GMP but makes oral solids; Ganges's certificate has expired).
    assert counts["modality"] == {"mab": 1}
    # Dosage forms counted under both filters: the one site doing mAbs under EU GMP.
    assert counts["dosage_form"] == {"sterile-injectable": 1}
    # Certification counted under the mAb filter only: Rhine holds EU GMP at its mAb site.
    assert counts["certification"] == {"eu-gmp": 1}
    # Provider type counted under both site filters.
    assert counts["kind"] == {"cdmo": 1}
    assert counts["country"] == {"DE": 1}


def test_facets_without_filters_count_every_provider_once(catalogue):
    from django.http import QueryDict

    filterset = ProviderFilterSet(QueryDict(""), queryset=Provider.objects.all())
    assert filterset.is_valid()

    counts = _nonzero(facet_counts(filterset))

    assert counts["kind"] == {"cdmo": 2, "cmo": 3}  # Nascent, without a site, counts too
    assert counts["modality"] == {"mab": 2, "small-molecule-api": 2, "hpapi": 1}
    assert counts["region"] == {"europe": 2, "asia-pacific": 2}
    assert counts["inspected_by"] == {"FDA": 2, "PMDA": 1}
    assert counts["verified"] == {"true": 1, "false": 4}


@pytest.mark.parametrize(
    "query",
    [
        "",
        "modality=mab&certification=eu-gmp",
        "kind=cmo&region=asia-pacific",
        "q=pharma&phase=phase2&phase=commercial",
        "min_batch_kg=100&verified=true",
        "clean_since=2022-06-01&max_oel=10&inspected_by=FDA",
    ],
)
def test_every_facet_count_is_the_size_of_the_list_that_option_gives(catalogue, query):
    """The disjunctive rule, checked against the list itself: ticking an option (alone within
    its facet) lists exactly as many providers as its count said."""
    from django.http import QueryDict

    filterset = ProviderFilterSet(QueryDict(query), queryset=Provider.objects.all())
    assert filterset.is_valid()
    counts = facet_counts(filterset)

    for facet, options in counts.items():
        others = QueryDict(query, mutable=True)
        others.pop(facet, None)
        for value, count in options.items():
            others.setlist(facet, [value])
            assert len(_listed(others.urlencode())) == count, (facet, value)


def test_facet_counts_follow_catalogue_changes(catalogue):
    from django.http import QueryDict

    def mab_count() -> int:
        filterset = ProviderFilterSet(QueryDict(""), queryset=Provider.objects.all())
        assert filterset.is_valid()
        return facet_counts(filterset)["modality"]["mab"]

    assert mab_count() == 2
    site = SiteFactory(provider=catalogue["osaka"], name="Kobe", country="JP")
    _capability(site, "mab")
    assert mab_count() == 3
    site.delete()
    assert mab_count() == 2


def test_directory_page_lists_matches_with_facet_counts(client, catalogue):
    response = client.get("/providers/", {"modality": "mab", "certification": "eu-gmp"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Rhine Biologics" in html
    assert "Split Pharma" not in html
    assert 'id="f-modality-mab" checked' in html
    assert "<strong>1</strong> provider" in html


def test_directory_answers_htmx_with_the_fragment_only(client, catalogue):
    response = client.get("/providers/", {"kind": "cmo"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert not html.lstrip().startswith("<!doctype")
    # The list's form, and the page heading swapped out of band: it names what is listed.
    assert html.lstrip().startswith('<h1 id="directory-heading" hx-swap-oob="true">')
    assert html.count('<form id="directory"') == 1
    assert "<body" not in html
    assert "Ganges Fine Chemicals" in html


def test_history_restore_gets_the_whole_page_and_caches_vary_on_htmx(client, catalogue):
    response = client.get(
        "/providers/",
        {"kind": "cmo"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )

    assert response.content.decode().lstrip().startswith("<!doctype html>")
    assert "HX-Request" in response["Vary"]


def test_home_is_the_directory(client, catalogue):
    assert "Rhine Biologics" in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("modality=monoclonal", "Modality", "Select a valid choice"),
        ("clean_since=2024-13-45", "Clean record since", "Enter a valid date"),
        ("min_batch_kg=-5", "Batch of at least (kg)", "Enter a number greater than zero."),
        ("max_oel=abc", "Contains an OEL of (µg/m³)", "Enter a number"),
        ("country=XX", "Site country", "Select a valid choice"),
        ("ordering=price", "Sort by", "Select a valid choice"),
        ("verified=maybe", "Verified by a curator", "Enter true or false."),
    ],
)
def test_bad_filter_shows_the_error_beside_it_and_no_list(client, catalogue, query, field, message):
    response = client.get(f"/providers/?{query}")

    html = response.content.decode()
    assert response.status_code == 200
    assert "These filters could not be applied" in html
    assert f">{field}</a>: {message}" in html.replace("&#x27;", "'")
    assert "Rhine Biologics" not in html


def test_with_a_bad_filter_the_yes_or_no_filters_stay_checkboxes(client, catalogue):
    """The raw filters shown beside an error: "verified" and "include ancillary sites" are
    checkboxes, ticked as the address says, not text boxes."""
    response = client.get("/providers/?min_batch_kg=-5&verified=true&include_ancillary=false")

    soup = BeautifulSoup(response.content, "html.parser")
    verified = soup.find("input", attrs={"name": "verified"})
    ancillary = soup.find("input", attrs={"name": "include_ancillary"})
    assert (verified["type"], verified.has_attr("checked")) == ("checkbox", True)
    assert (ancillary["type"], ancillary.has_attr("checked")) == ("checkbox", False)
    assert verified["value"] == "true"


def test_page_past_the_end_is_explained_not_listed(client, catalogue):
    response = client.get("/providers/?page=9")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Page 9 does not exist: this list has 1 page." in html
    assert "Rhine Biologics" not in html


def test_query_count_does_not_grow_with_the_page(client, catalogue):
    with CaptureQueriesContext(connection) as few:
        client.get("/providers/", {"region": "europe", "modality": "mab", "phase": "phase2"})
    for _ in range(25):
        site = SiteFactory(provider=ProviderFactory(), country="FR")
        _capability(site, "mab")
        _capability(site, "lyophilized")
        site.phases.set(["phase2"])
        CertificationFactory(site=site)

    with CaptureQueriesContext(connection) as many:
        response = client.get(
            "/providers/", {"region": "europe", "modality": "mab", "phase": "phase2"}
        )

    assert response.context["page"].paginator.count == 26
    assert len(many) == len(few)
    assert len(many) <= 25
