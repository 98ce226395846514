"""Benchmark of the FDA import: generated inspections-classification exports on PostgreSQL.

    DATABASE_URL=postgres://... .venv/bin/python -m bench.fda_import [--rows 20000 100000]

For each size, writes a CSV in FDA's format (a title and a filter line above the header,
"No Action Indicated (NAI)", quoted names with commas, "-" for a missing state) to a temporary
file, and imports it with `import_fda_file` in a fresh process, so that each size's peak memory
(resource.getrusage) is its own: the import streams, so it should not grow with the file. The
largest file is then imported a second time, when every row is unchanged.

The bench keeps to itself in a shared benchmark database: its sites belong to one provider of its
own, its FEIs (38xxxxxxxx) and inspection ids (8 digits) are ones no seeded or real record has,
and it deletes everything it wrote when it ends. About one FEI in ten is a bench site's, so
linking and the compliance recomputation of the linked sites are part of what is measured.

Then FDA's drug establishment registrations (partners/demo/fda/drug_establishments.txt, 10,439
establishments, the file `make demo` loads) are imported twice in a fresh process, inside a
transaction rolled back at the end, so the shared database keeps none of its sites: the first
pass creates the sites and providers, the second finds them all unchanged. Its peak memory, next
to the process's at the start, shows the file is streamed rather than read whole.
"""

import argparse
import csv
import datetime
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.core.management import call_command
from django.db import connection, transaction

import bench.setup  # noqa: F401  (creates the database, sets Django up)
from partners.importers.fda.importer import SOURCE_PREFIX
from partners.models import Inspection, Provider, Site

REGISTRATION_FILE = (
    Path(__file__).resolve().parent.parent / "partners" / "demo" / "fda" / "drug_establishments.txt"
)
BENCH_PROVIDER = "fda-import-bench"
BENCH_FILE_PREFIX = "fda_bench_"
FIRST_FEI = 3_800_000_000
FIRST_INSPECTION_ID = 80_000_000
TARGET_SECONDS = 60
HEADER = [
    "FEI Number",
    "Legal Name",
    "City",
    "State",
    "Zip",
    "Country/Area",
    "Fiscal Year",
    "Inspection ID",
    "Posted Citations",
    "Inspection End Date",
    "Classification",
    "Project Area",
    "Product Type",
    "Additional Details",
    "FMD-145 Date",
]
CLASSIFICATIONS = [
    ("No Action Indicated (NAI)", 0.55),
    ("Voluntary Action Indicated (VAI)", 0.37),
    ("Official Action Indicated (OAI)", 0.08),
]
PROJECT_AREAS = [
    "Drug Quality Assurance",
    "Biologics",
    "Compliance: Devices",
    "Foods and Cosmetics",
    "Bioresearch Monitoring",
]
PLACES = [
    ("Leverkusen", "-", "51373", "Germany"),
    ("Hyderabad", "-", "500032", "India"),
    ("Suzhou", "-", "215000", "China"),
    ("Durham", "North Carolina", "27709", "United States"),
    ("Cork", "-", "T12", "Ireland"),
    ("San Juan", "Puerto Rico", "00920", "United States"),
]


def write_export(path: Path, rows: int, feis: int, seed: int) -> None:
    """An inspections-classification export of `rows` rows over `feis` establishments, written
    row by row: one inspection has one to three project areas, as in FDA's export."""
    rng = random.Random(seed)
    labels, weights = zip(*CLASSIFICATIONS, strict=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["Inspections Classification"])
        writer.writerow(["Filters: Fiscal Year 2009-2025; Product Type: All"])
        writer.writerow(HEADER)
        inspection_id = FIRST_INSPECTION_ID
        written = 0
        while written < rows:
            inspection_id += 1
            fei = FIRST_FEI + rng.randrange(feis)
            city, state, zip_code, country = PLACES[fei % len(PLACES)]
            end = datetime.date(2009, 1, 1) + datetime.timedelta(days=rng.randrange(6000))
            fiscal_year = end.year + (end.month >= 10)
            areas = rng.sample(PROJECT_AREAS, k=min(rng.choice((1, 1, 2, 3)), rows - written))
            for area in areas:
                writer.writerow(
                    [
                        str(fei),
                        f"Bench Pharma {fei % 100_000}, Inc.",
                        city,
                        state,
                        zip_code,
                        country,
                        fiscal_year,
                        inspection_id,
                        rng.choice(("Yes", "No")),
                        end.isoformat() if rng.random() < 0.8 else end.strftime("%m/%d/%Y"),
                        rng.choices(labels, weights)[0],
                        area,
                        "Drugs",
                        "",
                        (end + datetime.timedelta(days=60)).isoformat(),
                    ]
                )
                written += 1


def ensure_bench_sites(count: int) -> None:
    """`count` sites of the bench's own provider, carrying one FEI in ten of the pool. Written in
    bulk: no history rows or signals for what is removed again at the end."""
    if not Provider.objects.filter(slug=BENCH_PROVIDER).exists():
        Provider.objects.bulk_create(
            [Provider(slug=BENCH_PROVIDER, name="FDA bench (temporary)", kind="cdmo", country="US")]
        )
    provider = Provider.objects.get(slug=BENCH_PROVIDER)
    have = set(Site.objects.filter(provider=provider).values_list("fei_number", flat=True))
    Site.objects.bulk_create(
        Site(provider=provider, name=f"Bench site {n}", country="US", fei_number=fei)
        for n in range(count)
        if (fei := str(FIRST_FEI + n * 10)) not in have
    )


def remove_bench_data() -> None:
    """Delete what the bench wrote, in SQL: the ORM would send a signal and write a history row
    for each deleted row."""
    source = f"{SOURCE_PREFIX}: inspections classification ({BENCH_FILE_PREFIX}%"
    provider = Provider.objects.filter(slug=BENCH_PROVIDER).values_list("pk", flat=True).first()
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (Inspection, Inspection.history.model):
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE source LIKE %s", [source])
        if provider is not None:
            site_table, provider_table = Site._meta.db_table, Provider._meta.db_table
            cursor.execute(f"DELETE FROM {site_table} WHERE provider_id = %s", [provider])
            cursor.execute(f"DELETE FROM {provider_table} WHERE id = %s", [provider])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def measure(path: Path, passes: int) -> None:
    """In a fresh process: import the file `passes` times; print one JSON line per pass."""
    from partners.importers.fda.importer import import_fda_file
    from partners.regulatory.stored_scores import recompute_compliance_scores

    Inspection.objects.exists()  # connect before the baseline
    baseline = peak_rss_mb()
    for _ in range(passes):
        started = time.perf_counter()
        report = import_fda_file(path)
        seconds = time.perf_counter() - started
        # What the import's caller queues (partners.tasks.recompute_compliance), timed apart.
        started = time.perf_counter()
        if report.rescore_site_ids:
            recompute_compliance_scores(report.rescore_site_ids)
        rescore_seconds = time.perf_counter() - started
        assert report.ok, report.problems()[:5] or report.error
        result = {
            "rows": report.rows_read,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "linked": report.linked,
            "sites": report.sites_to_rescore,
            "seconds": seconds,
            "rescore_seconds": rescore_seconds,
            "baseline_mb": baseline,
            "peak_mb": peak_rss_mb(),
        }
        print(json.dumps(result), flush=True)


def measure_registrations(path: Path, passes: int) -> None:
    """In a fresh process: import the registration file `passes` times in one transaction, rolled
    back at the end; print one JSON line per pass."""
    from partners.importers.fda.importer import import_fda_file

    Site.objects.exists()  # connect before the baseline
    baseline = peak_rss_mb()
    with transaction.atomic():
        for _ in range(passes):
            started = time.perf_counter()
            report = import_fda_file(path)
            seconds = time.perf_counter() - started
            assert report.ok, report.problems()[:5] or report.error
            result = {
                "rows": report.rows_read,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "linked": report.linked,
                "sites": report.sites_to_rescore,
                "seconds": seconds,
                "rescore_seconds": 0.0,
                "baseline_mb": baseline,
                "peak_mb": peak_rss_mb(),
            }
            print(json.dumps(result), flush=True)
        transaction.set_rollback(True)


def run_child(path: Path, passes: int, *, registrations: bool = False) -> list[dict]:
    flag = "--measure-registrations" if registrations else "--measure"
    command = [sys.executable, "-m", "bench.fda_import", flag, str(path)]
    command += ["--passes", str(passes)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def main() -> None:
    parser = argparse.ArgumentParser(description="FDA import benchmark.")
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--sites", type=int, default=2_000, help="bench sites carrying an FEI")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure-registrations", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--passes", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark runs on PostgreSQL: set DATABASE_URL.")
    if args.measure:
        measure(args.measure, args.passes)
        return
    if args.measure_registrations:
        measure_registrations(args.measure_registrations, args.passes)
        return

    call_command("migrate", verbosity=0)
    print(
        f"FDA import on PostgreSQL: generated inspections-classification CSVs; {args.sites:,} "
        "sites carry one FEI in ten; each size imported in a fresh process"
    )
    print(
        f"{'rows':>9} {'file MB':>8} {'pass':>10} {'import s':>9} {'rows/s':>8} "
        f"{'of which rescoring s':>21} {'peak RSS MB':>12} {'at start MB':>12}"
    )
    largest = max(args.rows)
    results = {}
    try:
        with tempfile.TemporaryDirectory() as directory:
            for rows in args.rows:
                remove_bench_data()
                ensure_bench_sites(args.sites)
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
                path = Path(directory) / f"{BENCH_FILE_PREFIX}{rows}.csv"
                write_export(path, rows, feis=args.sites * 10, seed=args.seed)
                passes = 2 if rows == largest else 1
                for number, result in enumerate(run_child(path, passes)):
                    results[(rows, number)] = result
                    print(
                        f"{rows:>9,} {path.stat().st_size / 1e6:>8.1f} "
                        f"{'first' if number == 0 else 'again':>10} "
                        f"{result['seconds']:>9.1f} {result['rows'] / result['seconds']:>8,.0f} "
                        f"{result['rescore_seconds']:>21.1f} {result['peak_mb']:>12.0f} "
                        f"{result['baseline_mb']:>12.0f}"
                    )
    finally:
        remove_bench_data()
    first = results[(largest, 0)]
    verdict = "met" if first["seconds"] < TARGET_SECONDS else "MISSED"
    print(
        f"Target: {largest:,} rows under {TARGET_SECONDS} s: {verdict} ({first['seconds']:.1f} s; "
        f"{first['created']:,} created, {first['linked']:,} rows linked, "
        f"{first['sites']:,} sites rescored); second pass: {results[(largest, 1)]['unchanged']:,} "
        "unchanged"
    )
    smallest = min(args.rows)
    if smallest != largest:
        grown = results[(largest, 0)]["peak_mb"] - results[(smallest, 0)]["peak_mb"]
        print(
            f"Peak memory: {results[(smallest, 0)]['peak_mb']:.0f} MB for {smallest:,} rows, "
            f"{results[(largest, 0)]['peak_mb']:.0f} MB for {largest:,} ({grown:+.0f} MB)"
        )
    bench_registrations()


def bench_registrations() -> None:
    """FDA's drug establishment registrations: the real file, imported twice, rolled back."""
    size_mb = REGISTRATION_FILE.stat().st_size / 1e6
    print(
        f"\nFDA drug establishment registrations: {REGISTRATION_FILE.name} ({size_mb:.1f} MB), "
        "imported twice in a fresh process, rolled back after"
    )
    print(
        f"{'rows':>9} {'pass':>6} {'import s':>9} {'rows/s':>8} {'created':>8} {'unchanged':>10} "
        f"{'peak RSS MB':>12} {'at start MB':>12}"
    )
    passes = run_child(REGISTRATION_FILE, 2, registrations=True)
    for number, result in enumerate(passes):
        print(
            f"{result['rows']:>9,} {'first' if number == 0 else 'again':>6} "
            f"{result['seconds']:>9.1f} {result['rows'] / result['seconds']:>8,.0f} "
            f"{result['created']:>8,} {result['unchanged']:>10,} {result['peak_mb']:>12.0f} "
            f"{result['baseline_mb']:>12.0f}"
        )
    first = passes[0]
    verdict = "met" if first["seconds"] < TARGET_SECONDS else "MISSED"
    print(
        f"Target: the registration file under {TARGET_SECONDS} s: {verdict} "
        f"({first['seconds']:.1f} s); peak memory {first['peak_mb'] - first['baseline_mb']:+.0f} "
        f"MB over the process at start, for a {size_mb:.1f} MB file"
    )


if __name__ == "__main__":
    main()
