"""What every database benchmark starts with: the PostgreSQL database, Django, a catalogue.

Importing this module creates the database named by DATABASE_URL when the server lacks it, then
sets Django up, so a benchmark imports it before any model.
"""

import os

import django
import psycopg

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def _ensure_database(url: str) -> None:
    """Create the benchmark database when the server does not have it yet."""
    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')


if os.environ.get("DATABASE_URL", "").startswith("postgres"):
    _ensure_database(os.environ["DATABASE_URL"])
django.setup()

from bench.timing import median_ms  # noqa: E402

__all__ = ["median_ms", "seeded_catalogue"]


def seeded_catalogue(providers: int, seed: int) -> None:
    """Migrate, and seed and score the catalogue when it is smaller than asked."""
    from django.core.management import call_command

    from partners.models import Provider
    from partners.regulatory.stored_scores import recompute_compliance_scores

    call_command("migrate", verbosity=0)
    if Provider.objects.count() < providers:
        call_command("seed_demo", providers=providers, seed=seed)
        recompute_compliance_scores()
        # Fresh statistics, or the planner's first guesses about the new rows time the benchmark.
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
