"""`manage.py import_catalogue FILE [--atomic]`: upsert a catalogue file (FILE `-` is stdin)."""

import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import BinaryIO

from django.core.management.base import BaseCommand, CommandError

from partners.importers.catalogue.importer import import_catalogue


def _catalogue_source(file: str) -> AbstractContextManager[BinaryIO]:
    """The file, read as bytes (the importer decodes line by line); `-` is standard input."""
    if file == "-":
        return nullcontext(sys.stdin.buffer)
    return Path(file).open("rb")


class Command(BaseCommand):
    help = (
        "Create or update providers, sites and their records from a catalogue file (JSON Lines, "
        "one provider per line). Each line is imported whole or not at all; bad lines are "
        "reported with their line number and the command fails. FILE may be - for standard input."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="path of the catalogue file, or - for standard input")
        parser.add_argument(
            "--atomic",
            action="store_true",
            help="import all lines or none: if any line is rejected, nothing is written",
        )

    def handle(self, *args, file: str, atomic: bool, **options) -> None:
        try:
            source = _catalogue_source(file)
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror or error}") from error
        with source as lines:
            report = import_catalogue(
                lines, atomic=atomic, change_reason=f"import_catalogue {file}"
            )
        for line in report.summary():
            self.stdout.write(line)
        for message in report.rejection_messages():
            self.stderr.write(message)
        if report.rejections:
            rejected = f"{len(report.rejections)} of {report.lines_read} lines rejected"
            if report.rolled_back:
                raise CommandError(f"{rejected}; nothing was imported (--atomic).")
            raise CommandError(f"{rejected}; the other lines were imported.")
