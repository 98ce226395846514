"""`manage.py export_catalogue FILE`: write the catalogue as JSON Lines (FILE `-` is stdout)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from partners.importers.catalogue.export import export_catalogue


class Command(BaseCommand):
    help = (
        "Write every provider, its sites and their records as a catalogue file "
        "(JSON Lines, one provider per line). FILE may be - for standard output."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="path of the file to write, or - for standard output")

    def handle(self, *args, file: str, **options) -> None:
        if file == "-":
            count = export_catalogue(self.stdout)
            # Standard output carries the file itself: the count goes to standard error.
            self.stderr.write(f"Exported {count.providers} providers, {count.sites} sites.")
            return
        target = Path(file)
        # Written beside the target and moved into place, so a failed export never leaves a
        # half-written file that a later import would take for the whole catalogue.
        partial = target.with_name(f".{target.name}.partial")
        try:
            with partial.open("w", encoding="utf-8", newline="\n") as out:
                count = export_catalogue(out)
            partial.replace(target)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise CommandError(f"cannot write {file}: {error.strerror or error}") from error
        self.stdout.write(f"Exported {count.providers} providers, {count.sites} sites to {file}.")
