"""Benchmark of the exports' memory: a run's results written as XLSX and as CSV.

    DATABASE_URL=postgres://... .venv/bin/python -m bench.exports [--sizes 2000 20000]

Builds, for each size, a finished run of that many result rows (85% eligible, each with a full
breakdown of ten criteria and their sentences, the rest excluded with a reason), bulk-created on
a synthetic catalogue of as many sites, then writes it through sourcing/exports.py as the
views do and prints the peak memory traced (tracemalloc) while writing each file, and the time
it takes untraced. The writers read the rows in chunks of 2,000 and write them one by one, so the
peak is bounded by a chunk or two, not by the rows: from the smallest run to one ten times
larger, it must grow well under tenfold. Runs on any database (SQLite too); the figures are the
Python heap, not the process's resident size.
"""

import argparse
import time
import tracemalloc
from collections.abc import Callable

from django.core.management import call_command
from django.db import connection

import bench.setup  # noqa: F401 (sets Django up first)
from core.choices import JobStatus
from matching.engine.criteria import CRITERIA, DEFAULT_WEIGHT
from matching.models import Brief, Organisation, Result, Run
from partners.models import Provider, Site, Term
from sourcing.exports import csv_lines, run_table, xlsx_file

ORGANISATION = "bench-exports"
SITES_PER_PROVIDER = 10
EXCLUDED_SHARE = 0.15
# Names a run of the real catalogue may hold: accented, non-Latin, formula-like.
NAMES = ("Zürich", "Łódź", "東京", '=HYPERLINK("http://x","y")', "+1+1", "Basel")
COUNTRIES = ("CH", "PL", "JP", "US", "DE", "IE", "IN", "IT")
FUNNEL = [
    {"constraint": "modality", "label": "modality", "removed": 0},
    {"constraint": "markets", "label": "markets", "removed": 0},
    {"constraint": "certifications", "label": "certifications", "removed": 0},
]


def _sites(count: int) -> list[int]:
    """The ids of `count` synthetic sites, created the first time they are asked for."""
    existing = list(
        Site.objects.filter(provider__slug__startswith=f"{ORGANISATION}-")
        .order_by("id")
        .values_list("id", flat=True)[:count]
    )
    if len(existing) >= count:
        return existing
    start = Provider.objects.filter(slug__startswith=f"{ORGANISATION}-").count()
    needed = -(-(count - len(existing)) // SITES_PER_PROVIDER)
    providers = Provider.objects.bulk_create(
        Provider(
            name=f"{NAMES[n % len(NAMES)]} Pharma {n}",
            slug=f"{ORGANISATION}-{n}",
            kind="cdmo",
            country=COUNTRIES[n % len(COUNTRIES)],
        )
        for n in range(start, start + needed)
    )
    Site.objects.bulk_create(
        (
            Site(
                provider=provider,
                name=f"{NAMES[(provider.pk + n) % len(NAMES)]} plant {n}",
                country=COUNTRIES[(provider.pk + n) % len(COUNTRIES)],
            )
            for provider in providers
            for n in range(SITES_PER_PROVIDER)
        ),
        batch_size=2000,
    )
    return _sites(count)


def _run(size: int) -> Run:
    """A finished run of `size` results, replacing the benchmark's run of that size."""
    organisation, _ = Organisation.objects.get_or_create(
        slug=ORGANISATION, defaults={"name": "Bench exports"}
    )
    brief, _ = Brief.objects.get_or_create(
        organisation=organisation,
        title=f"Benchmark: exports of {size:,} results",
        defaults={"modality": Term.objects.get(slug="mab")},
    )
    Run.objects.filter(brief=brief).delete()
    site_ids = _sites(size)
    excluded = int(size * EXCLUDED_SHARE)
    eligible = size - excluded
    run = Run.objects.create(
        brief=brief,
        organisation=organisation,
        status=JobStatus.DONE,
        progress=100,
        sites_scored=size,
        eligible=eligible,
        excluded=excluded,
        funnel=FUNNEL,
    )
    sites = Site.objects.in_bulk(site_ids)
    results = []
    for index, site_id in enumerate(site_ids):
        site = sites[site_id]
        if index < eligible:
            results.append(
                Result(
                    run=run,
                    site=site,
                    site_name=site.name,
                    provider_name=f"Provider of {site.name}",
                    eligible=True,
                    rank=index + 1,
                    score=round(100 - 100 * index / size, 4),
                    breakdown=[
                        {
                            "criterion": criterion,
                            "sub_score": ((index + n) % 101) / 100,
                            "weight": DEFAULT_WEIGHT,
                            "must_have": n == 0,
                            "sentence": f"The site meets the brief's {criterion} in part "
                            f"({(index + n) % 101}%), as its record and capabilities show.",
                        }
                        for n, criterion in enumerate(CRITERIA)
                    ],
                )
            )
        else:
            results.append(
                Result(
                    run=run,
                    site=site,
                    site_name=site.name,
                    provider_name=f"Provider of {site.name}",
                    eligible=False,
                    reason="It holds no active EU GMP certificate, which the brief requires.",
                    excluded_by=FUNNEL[index % len(FUNNEL)]["constraint"],
                )
            )
    Result.objects.bulk_create(results, batch_size=2000)
    return run


def _csv(run: Run) -> int:
    return sum(len(line) for line in csv_lines(run_table(run)))


def _xlsx(run: Run) -> int:
    with xlsx_file(run_table(run)) as file:
        file.seek(0, 2)
        return file.tell()


def _traced(write: Callable[[Run], int], run: Run) -> tuple[int, int]:
    """The peak traced memory above the start while writing, and the bytes written."""
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    written = write(run)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak, written


def _timed(write: Callable[[Run], int], run: Run) -> float:
    """The seconds writing takes untraced (tracing slows it several times over)."""
    started = time.perf_counter()
    write(run)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description="Peak memory of writing a run's exports.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    call_command("migrate", verbosity=0)
    runs = {size: _run(size) for size in sizes}
    # Once untraced, so that imports and caches count in neither size.
    _csv(runs[sizes[0]])
    _xlsx(runs[sizes[0]])

    figures = {
        (size, name): (*_traced(write, runs[size]), _timed(write, runs[size]))
        for size in sizes
        for name, write in (("XLSX", _xlsx), ("CSV", _csv))
    }
    print(f"Exports of a run's results on {connection.vendor}: peak traced memory while writing")
    print(f"{'format':<8}{'results':>10}{'peak':>12}{'file':>12}{'time':>10}")
    for (size, name), (peak, written, seconds) in figures.items():
        print(
            f"{name:<8}{size:>10,}{peak / 2**20:>9.2f} MB{written / 2**20:>9.2f} MB"
            f"{seconds:>8.2f} s"
        )
    smallest, largest = sizes[0], sizes[-1]
    if largest > smallest:
        for name in ("XLSX", "CSV"):
            growth = figures[(largest, name)][0] / figures[(smallest, name)][0]
            rows = largest / smallest
            verdict = "met" if growth < rows else "MISSED"
            print(
                f"{name}: peak x{growth:.2f} for x{rows:g} the rows "
                f"(target: well under x{rows:g}): {verdict}"
            )
    for run in runs.values():
        run.brief.delete()


if __name__ == "__main__":
    main()
