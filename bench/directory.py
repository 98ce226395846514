"""Benchmark of the directory and profile pages on a 5,000-provider catalogue (PostgreSQL).

    DATABASE_URL=postgres://... .venv/bin/python -m bench.directory [--providers 5000] [--runs 30]

Seeds the catalogue when it is smaller than asked (seed_demo is idempotent), then prints the
median server time of each page, measured through the whole Django stack in-process, beside the
median time of bare SQL:

- the directory with three filters: the hand-written query that finds the same first page;
- the directory with a search and three filters, and the site view: the same page of rows
  fetched by their keys (the ids the page lists, read with what a card or row shows).
  The list is cached under the catalogue version, the day and the URL (partners/views.py):
  each page is also timed as a first request (its cached copy gone; the facet index and
  the catalogue's words still current), and the search as a query new to this catalogue
  version (the search itself run again);
- the profile of the provider with the most sites: its sites and their capabilities. The page is
  cached under the catalogue version and the day, so most requests are served from the cache:
  the bench also times the first request after a catalogue change or at midnight, which builds
  the page, each run with an empty cache of its own.
"""

import argparse
import warnings
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import caches
from django.db import connection, reset_queries
from django.db.models import Count
from django.http import QueryDict
from django.test import Client, override_settings

from bench.setup import median_ms, seeded_catalogue  # sets Django up first
from partners.directory.search import catalogue_words
from partners.directory.sites import matching_site_list
from partners.filtersets import ProviderFilterSet
from partners.models import Provider

DIRECTORY_QUERY = {"modality": "mab", "region": "europe", "certification": "eu-gmp"}
SEARCH_QUERY = {**DIRECTORY_QUERY, "q": "monoclonal"}
SITE_VIEW_QUERY = {**DIRECTORY_QUERY, "view": "sites"}
PAGE_SIZE = 20

# The same first page of providers, written by hand: the floor the directory is compared with.
BARE_DIRECTORY_SQL = """
SELECT p.id, p.name, p.slug, p.kind, p.country
FROM partners_provider p
WHERE EXISTS (
    SELECT 1 FROM partners_site s
    WHERE s.provider_id = p.id
      AND s.country = ANY(%(countries)s)
      AND EXISTS (SELECT 1 FROM partners_sitecapability c JOIN partners_term t ON t.id = c.term_id
                  WHERE c.site_id = s.id AND t.slug = 'mab')
      AND EXISTS (SELECT 1 FROM partners_certification e
                  WHERE e.site_id = s.id AND e.kind = 'eu-gmp' AND e.status = 'active'
                    AND (e.issued_on IS NULL OR e.issued_on <= CURRENT_DATE)
                    AND (e.valid_until IS NULL OR e.valid_until >= CURRENT_DATE)))
ORDER BY p.name, p.slug
LIMIT 20
"""
# A page of providers by their keys, with their sites' countries and compliance scores.
BARE_PROVIDERS_BY_KEY_SQL = """
SELECT p.id, p.name, p.slug, p.kind, p.country, s.country, s.compliance_score
FROM partners_provider p LEFT JOIN partners_site s ON s.provider_id = p.id
WHERE p.id = ANY(%(ids)s)
"""
# A page of sites by their keys, with their providers' names.
BARE_SITES_BY_KEY_SQL = """
SELECT s.id, s.name, s.country, s.compliance_score, p.name, p.slug
FROM partners_site s JOIN partners_provider p ON p.id = s.provider_id
WHERE s.id = ANY(%(ids)s)
"""
BARE_PROFILE_SQL = """
SELECT s.id, s.name, c.max_batch_kg, c.max_volume_l, t.slug
FROM partners_site s
LEFT JOIN partners_sitecapability c ON c.site_id = s.id
LEFT JOIN partners_term t ON t.id = c.term_id
WHERE s.provider_id = %(provider_id)s
"""


def _sql(statement: str, params: dict) -> Callable[[], list]:
    def run() -> list:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall()

    return run


def _page(client: Client, path: str, params: dict | None = None) -> Callable[[], None]:
    def get() -> None:
        response = client.get(path, params or {})
        assert response.status_code == 200, response.status_code
        reset_queries()

    return get


# A cache of the bench's own, emptied before each run: a first request, nothing shared cleared.
FIRST_REQUEST_CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "bench-first-request",
    }
}


def _first_request(get: Callable[[], None], new_search: bool = False) -> Callable[[], None]:
    """The page built anew: its cached copy gone (and, with `new_search`, the ids its search
    found), the catalogue's indexes still current."""

    def run() -> None:
        with override_settings(CACHES=FIRST_REQUEST_CACHES):
            caches["default"].clear()
            if new_search:
                catalogue_words().memo.clear()
            get()

    return run


def _rebuild_index() -> None:
    from django.utils import timezone

    from partners.directory.facet_index import build_facet_index

    build_facet_index("benchmark", timezone.localdate())


def main() -> None:
    parser = argparse.ArgumentParser(description="Directory and profile benchmark.")
    parser.add_argument("--providers", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark runs on PostgreSQL: set DATABASE_URL.")

    seeded_catalogue(args.providers, args.seed)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    settings.ALLOWED_HOSTS = ["testserver"]
    warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic needed
    # Measure production mode (DEBUG off) without requiring a collectstatic run first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client = Client()
    from partners.regions import countries_in

    providers = Provider.objects.count()
    # The provider with the most sites: the heaviest profile.
    profile = (
        Provider.objects.annotate(site_count=Count("sites"))
        .order_by("-site_count", "pk")
        .values_list("slug", "pk", "site_count")
        .first()
    )
    providers_all = Provider.objects.all()
    searched = ProviderFilterSet(QueryDict(urlencode(SEARCH_QUERY)), queryset=providers_all)
    search_ids = list(searched.qs.values_list("pk", flat=True)[:PAGE_SIZE])
    filters = ProviderFilterSet(QueryDict(urlencode(DIRECTORY_QUERY)), queryset=providers_all)
    assert filters.is_valid(), filters.errors
    site_ids = list(
        matching_site_list(filters.form.cleaned_data).values_list("pk", flat=True)[:PAGE_SIZE]
    )
    directory_sql_ms = median_ms(
        _sql(BARE_DIRECTORY_SQL, {"countries": sorted(countries_in("europe"))}), args.runs
    )
    search_sql_ms = median_ms(_sql(BARE_PROVIDERS_BY_KEY_SQL, {"ids": search_ids}), args.runs)
    sites_sql_ms = median_ms(_sql(BARE_SITES_BY_KEY_SQL, {"ids": site_ids}), args.runs)
    directory = _page(client, "/providers/", DIRECTORY_QUERY)
    search = _page(client, "/providers/", SEARCH_QUERY)
    site_view = _page(client, "/providers/", SITE_VIEW_QUERY)
    rows = [
        (
            "directory, 3 filters + facets, cached",
            median_ms(directory, args.runs),
            directory_sql_ms,
            150,
        ),
        ("  first request", median_ms(_first_request(directory), args.runs), directory_sql_ms, 150),
        (
            "directory, search + 3 filters, cached",
            median_ms(search, args.runs),
            search_sql_ms,
            None,
        ),
        ("  first request", median_ms(_first_request(search), args.runs), search_sql_ms, None),
        (
            "  first request, a new search",
            median_ms(_first_request(search, True), args.runs),
            search_sql_ms,
            None,
        ),
        (
            "site view, 3 filters + facets, cached",
            median_ms(site_view, args.runs),
            sites_sql_ms,
            None,
        ),
        ("  first request", median_ms(_first_request(site_view), args.runs), sites_sql_ms, None),
        (
            f"profile page ({profile[2]} sites), cached",
            median_ms(_page(client, f"/providers/{profile[0]}/"), args.runs),
            profile_sql_ms := median_ms(
                _sql(BARE_PROFILE_SQL, {"provider_id": profile[1]}), args.runs
            ),
            None,
        ),
        (
            "  first request",
            median_ms(_first_request(_page(client, f"/providers/{profile[0]}/")), args.runs),
            profile_sql_ms,
            None,
        ),
    ]
    rebuild_ms = median_ms(_rebuild_index, max(3, args.runs // 6))
    print(f"Catalogue: {providers:,} providers on PostgreSQL; medians of {args.runs} runs")
    print(f"{'page':<42}{'server ms':>11}{'bare SQL ms':>13}{'ratio':>8}  target")
    for name, page_ms, sql_ms, target in rows:
        verdict = ""
        if target is not None:
            verdict = f"< {target} ms: {'met' if page_ms < target else 'MISSED'}"
        print(f"{name:<42}{page_ms:>11.1f}{sql_ms:>13.2f}{page_ms / sql_ms:>8.1f}  {verdict}")
    print(
        f"The first directory request after a catalogue change also rebuilds the facet index: "
        f"{rebuild_ms:.0f} ms (median)."
    )


if __name__ == "__main__":
    main()
