"""`manage.py seed_demo`: fill the catalogue with a deterministic demo (partners/demo/).

`make demo` runs it on every start, so a second run with the same arguments adds nothing.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from partners.demo.seeding import seed_catalogue


def _iso_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--as-of must be a date like 2025-06-30, not {value!r}.") from error


class Command(BaseCommand):
    help = (
        "Seed a realistic demo catalogue: providers, sites, capabilities, certifications, "
        "inspections and regulatory actions. The same --seed and --as-of give the same catalogue; "
        "what is already there is skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--providers", type=int, default=400, help="How many providers.")
        parser.add_argument("--seed", type=int, default=42, help="Seed of the random generator.")
        parser.add_argument(
            "--as-of",
            type=_iso_date,
            default=None,
            help="The date every generated date is relative to (YYYY-MM-DD; default today).",
        )

    def handle(self, *args, providers: int, seed: int, as_of: datetime.date | None, **options):
        if providers < 0:
            raise CommandError("--providers must be zero or more.")
        report = seed_catalogue(providers, seed, as_of or timezone.localdate())
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {report.providers:,} providers, {report.sites:,} sites, "
                f"{report.capabilities:,} capabilities, {report.certifications:,} certifications, "
                f"{report.inspections:,} inspections, {report.actions:,} actions "
                f"in {report.seconds:.1f} s"
            )
        )
        if report.skipped_providers:
            self.stdout.write(
                f"Skipped {report.skipped_providers:,} providers already in the catalogue "
                "(same slug), with their sites and records."
            )
        if report.reassigned_feis:
            self.stdout.write(
                f"Gave {report.reassigned_feis:,} sites a fresh FEI: the generated one was "
                "already in the database."
            )
        if report.skipped_inspections or report.skipped_actions:
            self.stdout.write(
                f"Skipped {report.skipped_inspections:,} inspections and "
                f"{report.skipped_actions:,} actions already recorded under the same id."
            )
