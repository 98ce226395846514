"""Store compactly the results of runs stored in full, before the compact format existed
(matching/stored_results.py).

    manage.py compact_results [--run ID ...]

Each run in its own transaction; a run whose rows the format cannot hold as they are is left as
it is (it reads as before either way). PostgreSQL reuses the space freed once the table is
vacuumed (autovacuum, or VACUUM matching_result); VACUUM FULL gives it back to the system.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from matching.models import Result
from matching.stored_results import compact_run


class Command(BaseCommand):
    help = "Store the results of runs stored in full compactly; they read the same."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--run", type=int, action="append", help="Only these runs.")

    def handle(self, *args: Any, **options: Any) -> None:
        stored_in_full = Result.objects.filter(parts__isnull=True)
        if options["run"]:
            stored_in_full = stored_in_full.filter(run_id__in=options["run"])
        run_ids = sorted(set(stored_in_full.values_list("run_id", flat=True).order_by()))
        compacted = rows = 0
        for run_id in run_ids:
            done = compact_run(run_id)
            compacted += bool(done)
            rows += done
        self.stdout.write(
            f"Compacted {rows:,} result rows of {compacted:,} runs; "
            f"{len(run_ids) - compacted:,} runs left as stored."
        )
