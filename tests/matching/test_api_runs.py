"""The runs API beyond starting a run: a brief's runs listed, result items with their site's
provider, country and links, and every excluded site a page at a time."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.choices import JobStatus
from matching.models import Result, Run
from partners.models import Site
from tests.factories import ProviderFactory, RunFactory, SiteFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_catalogue_index")]

FUNNEL = [
    {
        "constraint": "phase",
        "label": "Phase",
        "removed": 0,
        "removed_alone": 0,
        "relaxable": True,
    },
    {
        "constraint": "excluded_countries",
        "label": "Excluded countries",
        "removed": 0,
        "removed_alone": 0,
        "relaxable": False,
    },
]


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _start(client, brief, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(f"/api/briefs/{brief.pk}/runs/", {}, format="json")


def _done_run(brief, *, ranked: int, by_phase: int, by_country: int) -> Run:
    """A done run of `brief` with results stored by hand: `ranked` eligible sites, then the
    excluded ones, each at a site of its own provider."""
    funnel = [
        {**FUNNEL[0], "removed": by_phase, "removed_alone": by_phase},
        {**FUNNEL[1], "removed": by_country, "removed_alone": by_country},
    ]
    run = RunFactory(
        brief=brief,
        status=JobStatus.DONE,
        sites_scored=ranked + by_phase + by_country,
        eligible=ranked,
        excluded=by_phase + by_country,
        funnel=funnel,
    )
    rows = []
    for rank in range(1, ranked + 1):
        site = SiteFactory(name=f"Ranked {rank:03d}", country="IE")
        rows.append(
            Result(
                run=run,
                site=site,
                site_name=site.name,
                provider_name=site.provider.name,
                eligible=True,
                rank=rank,
                score=100 - rank / 10,
            )
        )
    for constraint, count in (("phase", by_phase), ("excluded_countries", by_country)):
        for i in range(count):
            site = SiteFactory(name=f"{constraint} {i:03d}", country="FR")
            rows.append(
                Result(
                    run=run,
                    site=site,
                    site_name=site.name,
                    provider_name=site.provider.name,
                    eligible=False,
                    reason=f"fails {constraint}",
                    excluded_by=constraint,
                )
            )
    Result.objects.bulk_create(rows)
    return run


# A brief's runs


def test_a_briefs_runs_are_listed_newest_first_a_page_at_a_time(helix, brief):
    now = timezone.now()
    runs = [RunFactory(brief=brief) for _ in range(3)]
    for age, run in enumerate(runs):
        Run.objects.filter(pk=run.pk).update(created_at=now - datetime.timedelta(hours=age))
    RunFactory()  # another organisation's brief
    client = _api(helix)

    first = client.get(f"/api/briefs/{brief.pk}/runs/", {"page_size": 2})

    assert first.status_code == 200
    body = first.json()
    assert body["count"] == 3
    assert [run["id"] for run in body["results"]] == [runs[0].pk, runs[1].pk]
    assert body["results"][0]["url"] == f"http://testserver/api/runs/{runs[0].pk}/"
    assert body["results"][0]["brief"] == brief.pk
    second = client.get(body["next"]).json()
    assert [run["id"] for run in second["results"]] == [runs[2].pk]
    assert second["next"] is None


def test_another_organisations_runs_are_not_found(helix, northwind, brief):
    run = _done_run(brief, ranked=1, by_phase=1, by_country=0)
    client = _api(northwind)

    assert client.get(f"/api/briefs/{brief.pk}/runs/").status_code == 404
    assert client.get(f"/api/runs/{run.pk}/excluded/").status_code == 404
    assert APIClient().get(f"/api/briefs/{brief.pk}/runs/").status_code == 401


def test_a_bad_page_of_runs_is_a_400_naming_the_parameter(helix, brief):
    RunFactory(brief=brief)
    client = _api(helix)

    assert client.get(f"/api/briefs/{brief.pk}/runs/", {"page_size": "many"}).json() == {
        "page_size": ["Enter a whole number from 1 to 100."]
    }
    assert client.get(f"/api/briefs/{brief.pk}/runs/", {"page": 4}).json() == {
        "page": ["Page 4 does not exist: there is 1 page."]
    }


def test_listing_a_briefs_runs_takes_as_many_queries_for_thirty_runs_as_for_one(
    helix, brief, django_assert_max_num_queries
):
    client = _api(helix)
    RunFactory(brief=brief)
    with django_assert_max_num_queries(6) as few:
        assert client.get(f"/api/briefs/{brief.pk}/runs/").status_code == 200
    for _ in range(29):
        RunFactory(brief=brief, created_by=helix)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(f"/api/briefs/{brief.pk}/runs/", {"page_size": 30})
    assert len(response.json()["results"]) == 30


# Result items


def test_result_items_carry_the_providers_slug_the_sites_country_and_links(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    client = _api(helix)
    _start(client, brief, django_capture_on_commit_callbacks)
    run = Run.objects.get()
    berlin = catalogue["berlin"]
    suzhou = catalogue["suzhou"]

    results = client.get(f"/api/runs/{run.pk}/results/").json()

    first = results["results"][0]
    assert first["site"] == berlin.pk
    assert first["provider_slug"] == berlin.provider.slug
    assert first["country"] == {"code": "DE", "name": "Germany"}
    assert (
        first["profile_url"]
        == f"http://testserver/providers/{berlin.provider.slug}/#site-{berlin.pk}"
    )
    assert first["provider_url"] == f"http://testserver/api/providers/{berlin.provider.slug}/"
    assert first["site_url"] == f"http://testserver/api/sites/{berlin.pk}/"
    excluded = {item["site"]: item for item in results["excluded"]["results"]}
    assert excluded[suzhou.pk]["country"] == {"code": "CN", "name": "China"}
    assert excluded[suzhou.pk]["site_url"] == f"http://testserver/api/sites/{suzhou.pk}/"
    # The links lead where they say.
    assert client.get(first["site_url"]).json()["id"] == berlin.pk
    assert client.get(first["provider_url"]).json()["slug"] == berlin.provider.slug
    page = client.get(first["profile_url"].split("#")[0])
    assert f'id="site-{berlin.pk}"' in page.content.decode()


def test_a_result_whose_site_was_deleted_keeps_its_names_and_no_links(helix, brief):
    run = _done_run(brief, ranked=1, by_phase=0, by_country=0)
    Result.objects.filter(run=run).update(site=None)

    item = _api(helix).get(f"/api/runs/{run.pk}/results/").json()["results"][0]

    assert item["site_name"] == "Ranked 001"
    for field in ("site", "provider_slug", "country", "profile_url", "provider_url", "site_url"):
        assert item[field] is None, field


# Excluded sites, a page at a time


def test_every_excluded_site_can_be_read_a_page_at_a_time_with_the_total(helix, brief):
    run = _done_run(brief, ranked=2, by_phase=110, by_country=20)
    client = _api(helix)

    results = client.get(f"/api/runs/{run.pk}/results/").json()["excluded"]
    assert results["count"] == 130
    assert len(results["results"]) == 100
    assert results["url"] == f"http://testserver/api/runs/{run.pk}/excluded/"

    pages = []
    url = f"{results['url']}?page_size=50"
    while url:
        page = client.get(url).json()
        assert page["count"] == 130
        pages += page["results"]
        url = page["next"]
    assert len(pages) == 130
    assert len({item["site"] for item in pages}) == 130
    # The same order as the results' first hundred: nearest misses (late in the funnel) first.
    assert [item["site"] for item in pages[:100]] == [item["site"] for item in results["results"]]
    assert pages[0]["excluded_by"] == "excluded_countries"
    assert pages[-1]["excluded_by"] == "phase"
    assert pages[0]["country"] == {"code": "FR", "name": "France"}


def test_the_excluded_pages_filter_by_constraint_and_refuse_an_unknown_one(helix, brief):
    run = _done_run(brief, ranked=1, by_phase=3, by_country=2)
    client = _api(helix)

    by_country = client.get(f"/api/runs/{run.pk}/excluded/", {"excluded_by": "excluded_countries"})
    assert by_country.json()["count"] == 2
    assert {item["excluded_by"] for item in by_country.json()["results"]} == {"excluded_countries"}
    from_results = client.get(
        f"/api/runs/{run.pk}/results/", {"excluded_by": "excluded_countries"}
    ).json()["excluded"]
    assert from_results["url"] == (
        f"http://testserver/api/runs/{run.pk}/excluded/?excluded_by=excluded_countries"
    )

    unknown = client.get(f"/api/runs/{run.pk}/excluded/", {"excluded_by": "price"})
    assert unknown.status_code == 400
    assert unknown.json() == {
        "excluded_by": [
            "Unknown constraint “price”. The criteria that excluded sites in this run are: "
            "phase, excluded_countries."
        ]
    }
    past_the_end = client.get(f"/api/runs/{run.pk}/excluded/", {"page": 9})
    assert past_the_end.status_code == 400
    assert list(past_the_end.json()) == ["page"]


def test_an_unknown_constraint_of_a_run_that_excluded_nothing_says_so(helix, brief):
    run = _done_run(brief, ranked=2, by_phase=0, by_country=0)
    run.funnel = []
    run.save(update_fields=["funnel"])

    unknown = _api(helix).get(f"/api/runs/{run.pk}/excluded/", {"excluded_by": "phase"})

    assert unknown.status_code == 400
    assert unknown.json() == {
        "excluded_by": ["Unknown constraint “phase”. No criterion excluded any site in this run."]
    }


def test_another_organisations_brief_and_run_are_not_found_in_the_apps_words(
    helix, northwind, brief
):
    run = _done_run(brief, ranked=1, by_phase=0, by_country=0)
    client = _api(northwind)

    for path in [f"/api/briefs/{brief.pk}/", f"/api/runs/{run.pk}/", "/api/runs/999999/"]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "There is nothing at this address."}, path
    # A 404 the app words itself keeps its words.
    assert APIClient().get("/api/providers/no-such-slug/").json() == {
        "detail": "No provider has the slug “no-such-slug”."
    }


def test_the_excluded_sites_of_a_run_not_done_are_a_409(helix, brief):
    run = RunFactory(brief=brief, status=JobStatus.RUNNING, progress=40)

    response = _api(helix).get(f"/api/runs/{run.pk}/excluded/")

    assert response.status_code == 409
    assert (
        response.json()["detail"] == "The run is running (40% done); results come when it is done."
    )


def test_result_and_excluded_lists_take_as_many_queries_for_many_rows_as_for_few(
    helix, brief, django_assert_max_num_queries
):
    small = _done_run(brief, ranked=2, by_phase=2, by_country=1)
    large = _done_run(brief, ranked=40, by_phase=60, by_country=50)
    client = _api(helix)
    for path in ("results", "excluded"):
        with django_assert_max_num_queries(8) as few:
            assert client.get(f"/api/runs/{small.pk}/{path}/").status_code == 200
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = client.get(f"/api/runs/{large.pk}/{path}/", {"page_size": 100})
        assert len(response.json()["results"]) == (40 if path == "results" else 100)


def test_sites_of_one_provider_share_its_slug_in_the_results(helix, brief):
    run = _done_run(brief, ranked=2, by_phase=0, by_country=0)
    provider = ProviderFactory(slug="rhine-biologics")
    Site.objects.filter(pk__in=Result.objects.filter(run=run).values("site_id")).update(
        provider=provider
    )

    items = _api(helix).get(f"/api/runs/{run.pk}/results/").json()["results"]

    assert {item["provider_slug"] for item in items} == {"rhine-biologics"}
