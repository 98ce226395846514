"""`manage.py recompute_compliance`: score every site's regulator record as of today.

Celery beat runs the same recomputation nightly; run this after deploying a new formula or
loading records in bulk.
"""

from django.core.management.base import BaseCommand

from partners.regulatory.stored_scores import recompute_compliance_scores


class Command(BaseCommand):
    help = "Recompute the compliance score of every site (writes only the scores that changed)."

    def handle(self, *args, **options) -> None:
        written = recompute_compliance_scores()
        self.stdout.write(f"Compliance scores recomputed: {written:,} sites changed.")
