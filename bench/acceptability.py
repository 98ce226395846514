"""Benchmark of rank acceptability (SMAA-2) on a stored run of the seeded catalogue in PostgreSQL.

    DATABASE_URL=postgres://... .venv/bin/python -m bench.acceptability [--providers 5000]

Stores one run of bench/run.py's brief per ranking method, then times `execute_analysis` end to
end as a worker runs it (claim, one query for the eligible sites' breakdowns, 10,000 weightings
ranked in chunks with progress written, the result stored), and prints the median seconds, the
part spent ranking, and the peak memory of the ranking (tracemalloc, a separate pass, since
tracing slows it).
"""

import argparse
import statistics
import time
import tracemalloc

from django.db import connection

from bench.run import _brief
from bench.setup import seeded_catalogue  # sets Django up first
from core.choices import JobStatus
from matching import acceptability
from matching.engine import smaa
from matching.index import get_catalogue_index
from matching.models import Acceptability, Run
from matching.runs import execute_run


def _stored_run(method: str) -> Run:
    brief = _brief()
    run = Run.objects.create(brief=brief, organisation=brief.organisation, method=method)
    assert execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.DONE, run.error
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description="Rank acceptability of a stored run.")
    parser.add_argument("--providers", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark runs on PostgreSQL: set DATABASE_URL.")

    seeded_catalogue(args.providers, args.seed)
    Run.objects.filter(brief=_brief()).delete()
    sites = get_catalogue_index().site_count
    print(f"Rank acceptability on PostgreSQL: {sites:,} sites ({args.providers:,} providers)")
    print(f"{'':<44}{'median':>9}  detail")
    for method in ("weighted", "topsis"):
        run = _stored_run(method)
        seconds = []
        for repeat in range(args.repeats):
            analysis = Acceptability.objects.create(
                run=run, samples=args.samples, seed=repeat, sampling="uniform"
            )
            started = time.perf_counter()
            assert acceptability.execute_analysis(analysis.pk)
            seconds.append(time.perf_counter() - started)
            analysis.refresh_from_db()
            assert analysis.status == JobStatus.DONE, analysis.error

        _, criteria, matrix, weights = acceptability.subscore_matrix(run)
        ranking = []
        for repeat in range(args.repeats):
            started = time.perf_counter()
            smaa.rank_acceptability(
                matrix,
                weights,
                method=method,
                samples=args.samples,
                seed=repeat,
            )
            ranking.append(time.perf_counter() - started)
        tracemalloc.start()
        smaa.rank_acceptability(matrix, weights, method=method, samples=args.samples)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(
            f"{f'{args.samples:,} weightings, {method}, job end to end':<44}"
            f"{statistics.median(seconds):>7.2f} s  over {run.eligible:,} eligible sites and "
            f"{len(criteria)} criteria; ranking alone {statistics.median(ranking):.2f} s; "
            f"peak {peak / 2**20:.1f} MiB (median of {args.repeats})"
        )
        Run.objects.filter(pk=run.pk).delete()


if __name__ == "__main__":
    main()
