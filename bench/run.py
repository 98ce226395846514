"""Benchmark of matching on a seeded catalogue in PostgreSQL: one brief scored, a full run stored.

    DATABASE_URL=postgres://... .venv/bin/python -m bench.run [--providers 5000] [--runs 5]

Seeds the catalogue when it is smaller than asked (bench/setup.py). `make bench` runs it twice:
on 5,000 providers (about 20,000 sites) and, in a second database, on 24,500 providers (about
100,000 sites). Every figure is a median, printed with the catalogue's size:

- bare SQL: the statements the catalogue index reads the catalogue with (captured from
  `build_catalogue_index`), replayed through a plain cursor, their rows fetched as the index
  fetches them (execute, then fetchmany of BATCH_ROWS, with the garbage collector paused): the
  floor for anything that reads these sites from the database. The other figures are also
  given as a ratio to it. The same replay with fetchall and the collector running (as this
  benchmark measured the floor before the index fetched in batches) is printed beside it,
  with the stored runs' ratios to it.
- index build: those reads and the NumPy index made of them (a worker's first run after a
  catalogue change pays it).
- engine: `score_catalogue` for one brief, both ranking methods, against the index built from
  this database, warm. Targets (DESIGN.md, issue item 8): under 100 ms at 20,000 sites, under
  500 ms at 100,000.
- full run, stored: `execute_run` end to end as a worker runs it (claim, score, the
  sentences of every eligible site, a result row for every site, in one transaction), once
  with the worker's index warm, as it is between catalogue changes, and once cold (dropped
  before each run). Target:
  under 2 s at 20,000 sites, judged on the warm run; the cold run is printed beside it.
"""

import argparse
import statistics
import time
from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.setup import median_ms, seeded_catalogue  # sets Django up first
from core.choices import JobStatus
from matching.engine.scoring import score_catalogue
from matching.index import (
    BATCH_ROWS,
    build_catalogue_index,
    clear_catalogue_index,
    collector_paused,
    get_catalogue_index,
)
from matching.models import Brief, Organisation, Result, Run
from matching.runs import execute_run
from partners.models import Term

# Targets by the catalogue size they are set for; a catalogue is judged by the nearest size.
ENGINE_TARGET_MS = {20_000: 100, 100_000: 500}
RUN_TARGET_S = {20_000: 2.0}


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


def _catalogue_statements() -> list[str]:
    """The SQL the index is built with, as sent to the server."""
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as captured:
        build_catalogue_index(today)
    return [query["sql"] for query in captured.captured_queries]


def _bare_sql(statements: list[str], *, as_the_index_reads: bool = True) -> Callable[[], int]:
    """The statements replayed through a plain cursor, their rows fetched as the index fetches
    them (BATCH_ROWS at a time, the garbage collector paused), or whole with fetchall and the
    collector running, as this benchmark replayed them before the index fetched in batches.
    Returns how many rows were read."""

    def read() -> int:
        rows = 0
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
                if as_the_index_reads:
                    while batch := cursor.fetchmany(BATCH_ROWS):
                        rows += len(batch)
                else:
                    rows += len(cursor.fetchall())
        return rows

    def read_collector_paused() -> int:
        with collector_paused():
            return read()

    return read_collector_paused if as_the_index_reads else read


def _stored_runs(brief: Brief, runs: int, *, warm: bool) -> tuple[list[float], Run]:
    """Seconds per `execute_run`, alternating the two methods, after one run to warm up. The
    results table is vacuumed first: every run adds its rows and deletes them, and each run
    finds a table full of dead rows a little slower to write to than the one before, so each
    series starts from the same clean table (without it, the cold runs, measured after the
    warm ones, paid for the warm runs' dead rows; autovacuum may be off or lag behind)."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE matching_result")
    samples = []
    clear_catalogue_index()
    for method in ["weighted"] + ["weighted", "topsis"] * runs:
        if warm:
            get_catalogue_index()
        else:
            clear_catalogue_index()
        run = Run.objects.create(brief=brief, organisation=brief.organisation, method=method)
        started = time.perf_counter()
        assert execute_run(run.pk)
        samples.append(time.perf_counter() - started)
        run.refresh_from_db()
        assert run.status == JobStatus.DONE, run.error
        assert Result.objects.filter(run=run).count() == run.sites_scored
        Run.objects.filter(pk=run.pk).delete()
    return samples[1:], run


def _verdict(value: float, target: float | None, unit: str) -> str:
    if target is None:
        return "no target at this size"
    return f"< {target:g} {unit}: {'met' if value < target else 'MISSED'}"


def main() -> None:
    parser = argparse.ArgumentParser(description="Matching on the database: engine and run.")
    parser.add_argument("--providers", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5, help="Stored runs per method and index.")
    parser.add_argument("--engine-runs", type=int, default=30)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark runs on PostgreSQL: set DATABASE_URL.")

    seeded_catalogue(args.providers, args.seed)
    brief = _brief()
    Run.objects.filter(brief=brief).delete()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    statements = _catalogue_statements()
    catalogue_rows = _bare_sql(statements)()
    sql_ms = median_ms(_bare_sql(statements), max(5, args.engine_runs // 3))
    fetchall_ms = median_ms(
        _bare_sql(statements, as_the_index_reads=False), max(5, args.engine_runs // 3)
    )
    build_ms = median_ms(
        lambda: build_catalogue_index(timezone.localdate()), max(3, args.engine_runs // 6)
    )

    index = get_catalogue_index()
    sites = index.site_count
    nominal = min(ENGINE_TARGET_MS, key=lambda size: abs(size - sites))
    criteria = brief.to_criteria()
    engine_ms = {
        method: median_ms(
            lambda method=method: score_catalogue(criteria, index, method=method),
            args.engine_runs,
        )
        for method in ("weighted", "topsis")
    }
    warm, run = _stored_runs(brief, args.runs, warm=True)
    cold, _ = _stored_runs(brief, args.runs, warm=False)
    warm_ms = statistics.median(warm) * 1000
    cold_ms = statistics.median(cold) * 1000
    slowest_engine_ms = max(engine_ms.values())

    print(
        f"Matching on PostgreSQL: {sites:,} sites ({args.providers:,} providers), "
        f"{run.eligible:,} eligible for the benchmark brief"
    )
    print(f"{'':<42}{'median':>10}{'x bare SQL':>12}  target")
    print(
        f"{'bare SQL reading the catalogue':<42}{sql_ms:>7.0f} ms{1:>12.1f}  "
        f"({len(statements)} statements, {catalogue_rows:,} rows, execute + fetchmany as "
        "the index fetches)"
    )
    print(
        f"{'bare SQL, fetchall, collector running':<42}{fetchall_ms:>7.0f} ms"
        f"{fetchall_ms / sql_ms:>12.1f}  (the floor as measured before the index fetched in "
        "batches)"
    )
    print(f"{'index build (reads + NumPy)':<42}{build_ms:>7.0f} ms{build_ms / sql_ms:>12.1f}")
    print(
        f"{'engine, one brief, warm index':<42}{slowest_engine_ms:>7.1f} ms"
        f"{slowest_engine_ms / sql_ms:>12.2f}  "
        f"{_verdict(slowest_engine_ms, ENGINE_TARGET_MS[nominal], 'ms')} "
        f"(weighted {engine_ms['weighted']:.1f} ms, topsis {engine_ms['topsis']:.1f} ms; "
        f"median of {args.engine_runs})"
    )
    run_target = RUN_TARGET_S.get(nominal)
    print(
        f"{'full run stored, warm index':<42}{warm_ms:>7.0f} ms{warm_ms / sql_ms:>12.1f}  "
        f"{_verdict(warm_ms / 1000, run_target, 's')} "
        f"(median of {len(warm)}, worst {max(warm) * 1000:.0f} ms)"
    )
    print(
        f"{'full run stored, cold index':<42}{cold_ms:>7.0f} ms{cold_ms / sql_ms:>12.1f}  "
        f"(median of {len(cold)}, worst {max(cold) * 1000:.0f} ms; the first run after a "
        "catalogue change; the target is judged on the warm run)"
    )
    print(
        f"{'':<42}against the fetchall floor: warm {warm_ms / fetchall_ms:.1f}x, "
        f"cold {cold_ms / fetchall_ms:.1f}x"
    )


if __name__ == "__main__":
    main()
