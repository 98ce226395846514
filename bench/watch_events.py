"""Benchmark of watch event detection: what the sweep adds to an FDA import, on PostgreSQL.

    DATABASE_URL=postgres://... .venv/bin/python -m bench.watch_events [--rows 100000]

The FDA import bench's generated inspections export (bench/fda_import.py: 100,000 rows, one FEI
in ten a bench site's) is imported in a fresh process with 1,000 of the bench's 2,000 sites
watched (a bench user watches them), then the sweep that tells watchers what their sites'
records gained runs (sourcing/watching/detection.py), timed apart: the target is that it adds
no more than a fifth to the import's time. The same file is then imported and swept again: a
re-import finds nothing to tell.

The bench keeps to itself like the import bench, and deletes what it wrote when it ends.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

import bench.setup  # noqa: F401  (creates the database, sets Django up)
from bench.fda_import import (
    BENCH_FILE_PREFIX,
    BENCH_PROVIDER,
    ensure_bench_sites,
    remove_bench_data,
    write_export,
)
from partners.models import Site
from sourcing.models import Alert, KnownEvent, Notification, Watch, WatchedSite

BENCH_USER = "watch-bench"
TARGET_SHARE = 0.2


def watch_bench_sites(count: int) -> None:
    """A bench user watches `count` of the bench's sites, their records known as they are."""
    from sourcing.watching.watchers import start_watching

    user, _ = get_user_model().objects.get_or_create(username=BENCH_USER)
    site_ids = list(
        Site.objects.filter(provider__slug=BENCH_PROVIDER)
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )
    Watch.objects.bulk_create([Watch(user=user, site_id=site_id) for site_id in site_ids])
    start_watching(site_ids)


def remove_watches() -> None:
    users = get_user_model().objects.filter(username=BENCH_USER)
    sites = Site.objects.filter(provider__slug=BENCH_PROVIDER).values("pk")
    Notification.objects.filter(recipient__in=users).delete()
    Alert.objects.filter(site__in=sites).delete()
    KnownEvent.objects.filter(site__in=sites).delete()
    WatchedSite.objects.filter(site__in=sites).delete()
    Watch.objects.filter(user__in=users).delete()
    users.delete()


def measure(path: Path, passes: int) -> None:
    """In a fresh process: import the file and sweep, `passes` times; one JSON line each."""
    from partners.importers.fda.importer import import_fda_file
    from sourcing import tasks
    from sourcing.watching import detection

    # The sweep the import's commit sends (in this process: no broker) runs apart, timed.
    tasks.send_sweep = lambda: None
    for _ in range(passes):
        started = time.perf_counter()
        report = import_fda_file(path)
        import_seconds = time.perf_counter() - started
        assert report.ok, report.problems()[:5] or report.error
        started = time.perf_counter()
        swept = detection.sweep()
        sweep_seconds = time.perf_counter() - started
        result = {
            "rows": report.rows_read,
            "created": report.created,
            "import_seconds": import_seconds,
            "sweep_seconds": sweep_seconds,
            "watched": swept.watched,
            "events": swept.events,
            "alerts": swept.alerts,
            "notifications": swept.notifications,
        }
        print(json.dumps(result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="Watch event detection benchmark.")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sites", type=int, default=2_000, help="bench sites carrying an FEI")
    parser.add_argument("--watched", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--passes", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark runs on PostgreSQL: set DATABASE_URL.")
    if args.measure:
        measure(args.measure, args.passes)
        return

    call_command("migrate", verbosity=0)
    try:
        remove_watches()
        remove_bench_data()
        ensure_bench_sites(args.sites)
        watch_bench_sites(args.watched)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / f"{BENCH_FILE_PREFIX}{args.rows}.csv"
            write_export(path, args.rows, feis=args.sites * 10, seed=args.seed)
            command = [sys.executable, "-m", "bench.watch_events", "--measure", str(path)]
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            passes = [json.loads(line) for line in done.stdout.splitlines() if line[:1] == "{"]
    finally:
        remove_watches()
        remove_bench_data()
    print(
        f"Watch event detection on PostgreSQL: {args.rows:,} generated FDA inspection rows, "
        f"{args.sites:,} sites carrying one FEI in ten, {args.watched:,} of them watched"
    )
    print(
        f"{'pass':>6} {'import s':>9} {'sweep s':>8} {'share':>6} {'events':>7} {'alerts':>7} "
        f"{'notified':>9}"
    )
    for number, result in enumerate(passes):
        share = result["sweep_seconds"] / result["import_seconds"]
        print(
            f"{'first' if number == 0 else 'again':>6} {result['import_seconds']:>9.1f} "
            f"{result['sweep_seconds']:>8.2f} {share:>6.1%} {result['events']:>7,} "
            f"{result['alerts']:>7,} {result['notifications']:>9,}"
        )
    first = passes[0]
    share = first["sweep_seconds"] / first["import_seconds"]
    verdict = "met" if share <= TARGET_SHARE else "MISSED"
    print(
        f"Target: detection adds at most {TARGET_SHARE:.0%} to the import: {verdict} "
        f"({first['sweep_seconds']:.2f} s after a {first['import_seconds']:.1f} s import, "
        f"{share:.1%}; {first['events']:,} events on {first['watched']:,} watched sites); "
        f"again: {passes[-1]['events']:,} events"
    )


if __name__ == "__main__":
    main()
