"""Benchmark of what a stored match run costs in the database: bytes per run, at the catalogue size.

    DATABASE_URL=postgres://... .venv/bin/python -m bench.storage [--providers 5000] [--runs 3]

Seeds the catalogue when it is smaller than asked (bench/setup.py), then stores `--runs` runs of
bench/run.py's brief (alternating the two ranking methods; the brief asks for must-haves, so
every eligible site's row carries its verdicts) on a results table rewritten first (VACUUM FULL,
so the new rows fill fresh pages rather than the free space earlier runs left). The figure is
the growth of the results tables, table + TOAST + indexes (`pg_total_relation_size`), per run,
with its parts and the bytes per site; the runs are deleted afterwards.
"""

import argparse

from django.db import connection

from bench.run import _brief
from bench.setup import seeded_catalogue  # sets Django up first
from core.choices import JobStatus
from matching.index import get_catalogue_index
from matching.models import Result, ResultKey, Run
from matching.runs import execute_run

# The tables a run's results are stored in.
RESULT_TABLES = (Result._meta.db_table, ResultKey._meta.db_table)


def _sizes() -> dict[str, int]:
    """Per part (table, TOAST, indexes), the bytes of the results tables."""
    sizes = {"table": 0, "TOAST": 0, "indexes": 0}
    with connection.cursor() as cursor:
        for table in RESULT_TABLES:
            cursor.execute(
                "SELECT pg_relation_size(c.oid), "
                "coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0), "
                "pg_indexes_size(c.oid) FROM pg_class c WHERE c.oid = %s::regclass",
                [table],
            )
            heap, toast, indexes = cursor.fetchone()
            sizes["table"] += heap
            sizes["TOAST"] += toast
            sizes["indexes"] += indexes
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description="Bytes a stored match run takes.")
    parser.add_argument("--providers", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3, help="Runs stored for the figure.")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark runs on PostgreSQL: set DATABASE_URL.")

    seeded_catalogue(args.providers, args.seed)
    brief = _brief()
    Run.objects.filter(brief=brief).delete()
    get_catalogue_index()
    with connection.cursor() as cursor:
        for table in RESULT_TABLES:
            cursor.execute(f"VACUUM FULL ANALYZE {connection.ops.quote_name(table)}")
    before = _sizes()
    rows = eligible = sites = 0
    stored = []
    for number in range(args.runs):
        method = ("weighted", "topsis")[number % 2]
        run = Run.objects.create(brief=brief, organisation=brief.organisation, method=method)
        assert execute_run(run.pk)
        run.refresh_from_db()
        assert run.status == JobStatus.DONE, run.error
        stored.append(run.pk)
        rows += Result.objects.filter(run=run).count()
        eligible, sites = run.eligible or 0, run.sites_scored or 0
    after = _sizes()
    Run.objects.filter(pk__in=stored).delete()

    grown = {part: (after[part] - before[part]) / args.runs for part in after}
    total = sum(grown.values())
    print(
        f"Stored results on PostgreSQL: {sites:,} sites ({args.providers:,} providers), "
        f"{eligible:,} eligible for the benchmark brief, verdicts included; "
        f"{rows / args.runs:,.0f} result rows per run (mean of {args.runs} runs)"
    )
    for part, size in grown.items():
        print(f"{part:<12}{size / 1e6:>9.2f} MB per run")
    print(
        f"{'total':<12}{total / 1e6:>9.2f} MB per run, {total / max(sites, 1):,.0f} bytes per "
        f"site scored ({total:,.0f} bytes)"
    )


if __name__ == "__main__":
    main()
