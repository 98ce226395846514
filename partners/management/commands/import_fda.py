"""`manage.py import_fda FILE [FILE ...]`: import FDA Data Dashboard exports (CSV or XLSX) and
FDA's drug establishment registrations (drls_reg.txt as FDA ships it, or its columns as XLSX)."""

import argparse
import datetime

from django.core.management.base import BaseCommand, CommandError

from partners.importers.fda.importer import import_fda_file
from partners.tasks import recompute_compliance


class Command(BaseCommand):
    help = (
        "Create or update inspections, compliance actions, published 483s and citations from FDA "
        "Data Dashboard exports (CSV or XLSX), and sites and providers from FDA's drug "
        "establishment registrations (tab-separated text or XLSX), recognised by their header "
        "row. Importing a file again changes nothing. Bad rows are reported with their line "
        "number and skipped; the command fails if any row was rejected or any file could not be "
        "read."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "files", nargs="+", metavar="FILE", help="an FDA file: CSV, tab-separated text or XLSX"
        )
        parser.add_argument(
            "--until",
            type=_day,
            metavar="YYYY-MM-DD",
            help="leave out the records dated after this day (an inspection's end, an action's "
            "date, a 483's publication): the catalogue as FDA's records stood then",
        )

    def handle(
        self, *args, files: list[str], until: datetime.date | None = None, **options
    ) -> None:
        failed = []
        for path in files:
            report = import_fda_file(path, until=until)
            if report.rescore_site_ids:
                recompute_compliance.delay_on_commit(report.rescore_site_ids)
            for line in report.summary():
                self.stdout.write(line)
            for problem in report.problems():
                self.stderr.write(problem)
            if report.error:
                failed.append(f"{path} was not imported")
            elif report.rejected:
                failed.append(
                    f"{report.rejected:,} of {report.rows_read:,} rows of {path} rejected"
                )
        if failed:
            raise CommandError("; ".join(failed) + ".")


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a day (YYYY-MM-DD)") from None
