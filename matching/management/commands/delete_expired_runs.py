"""Delete the match runs older than the retention period (MATCHING_RUN_RETENTION_DAYS) that
nothing refers to, with their results: what the nightly job does (matching/retention.py says
which runs are kept).

    manage.py delete_expired_runs             # delete them
    manage.py delete_expired_runs --dry-run   # only count them
    manage.py delete_expired_runs --days 90   # another period, this time
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from matching import retention


class Command(BaseCommand):
    help = "Delete match runs past the retention period that nothing refers to."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            help="Keep runs this many days instead of MATCHING_RUN_RETENTION_DAYS.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the runs that would go; delete none."
        )

    def handle(self, *args: Any, days: int | None, dry_run: bool, **options: Any) -> None:
        if days is not None and days < 1:
            raise CommandError("--days must be 1 or more.")
        count = retention.delete_expired_runs(days=days, dry_run=dry_run)
        verb = "would be deleted" if dry_run else "deleted"
        self.stdout.write(f"{count} match run{'' if count == 1 else 's'} {verb}.")
