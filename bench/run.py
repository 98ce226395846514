"""Benchmark of a full match run, stored, on a 5,000-provider catalogue (PostgreSQL).

    DATABASE_URL=postgres://... .venv/bin/python -m bench.run [--providers 5000] [--runs 5]

Seeds the catalogue when it is smaller than asked (as bench/directory.py does), then times
`execute_run` end to end, as a worker runs it: reading the catalogue into the index (cold: the
index is dropped before each run), scoring, writing sentences for the best sites, and storing a
result row for every site. Target (DESIGN.md, issue item 8): under 2 s at about 20,000 sites.
"""

import argparse
import statistics
import time

from django.db import connection

from bench.setup import seeded_catalogue  # sets Django up first
from matching.index import clear_catalogue_index
from matching.models import Brief, Organisation, Result, Run, RunStatus
from matching.runs import execute_run
from partners.models import Site, Term

TARGET_S = 2.0


def _brief() -> Brief:
    organisation, _ = Organisation.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    brief, _ = Brief.objects.update_or_create(
        organisation=organisation,
        title="Benchmark: phase 2 mAb",
        defaults={
            "modality": Term.objects.get(slug="mab"),
            "phase": "phase2",
            "batch_size": 2000,
            "batch_unit": "L",
            "target_markets": ["US", "EU"],
            "required_certifications": ["eu-gmp"],
            "preferred_regions": ["europe"],
            "excluded_countries": ["CN"],
            "must_haves": ["capability"],
        },
    )
    return brief


def main() -> None:
    parser = argparse.ArgumentParser(description="Match run benchmark.")
    parser.add_argument("--providers", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark runs on PostgreSQL: set DATABASE_URL.")

    seeded_catalogue(args.providers, args.seed)
    brief = _brief()
    Run.objects.filter(brief=brief).delete()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    samples = []
    for method in ["weighted"] + ["weighted", "topsis"] * args.runs:
        clear_catalogue_index()
        run = Run.objects.create(brief=brief, organisation=brief.organisation, method=method)
        started = time.perf_counter()
        assert execute_run(run.pk)
        elapsed = time.perf_counter() - started
        run.refresh_from_db()
        assert run.status == RunStatus.DONE, run.error
        assert Result.objects.filter(run=run).count() == run.sites_scored
        samples.append(elapsed)
        Run.objects.filter(pk=run.pk).delete()
    samples = samples[1:]  # the first warms connections and imports

    median = statistics.median(samples)
    print(
        f"Full match run, stored: {Site.objects.count():,} sites, {run.eligible:,} eligible "
        f"(last run); median of {len(samples)} cold-index runs {median:.2f} s, "
        f"worst {max(samples):.2f} s; < {TARGET_S:.0f} s: "
        f"{'met' if median < TARGET_S else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
