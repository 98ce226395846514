"""Benchmark of the procurement workspace: a shortlist's board and table with 200 candidates, and
the side-by-side comparison of six, on a seeded catalogue in PostgreSQL.

    DATABASE_URL=postgres://... .venv/bin/python -m bench.workspace [--candidates 200] [--runs 30]

Builds (once) an organisation of four members with a brief and a shortlist of that many sites of
the catalogue, spread over the pipeline's stages, with owners, due dates, a quote on the six
compared, four evaluation criteria and every member's scores. Then prints the median server time
of each page, measured through the whole Django stack in-process with DEBUG off, beside the
median time of the bare SQL of the same rows: the very statements the page sent, captured once
and replayed on a cursor without Django. The ratio is what Django, the templates and our code
add to the database's own work.
"""

import argparse
import datetime
import warnings
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.setup import median_ms, seeded_catalogue  # sets Django up first
from matching import runs
from matching.choices import Role
from matching.models import Brief, Membership, Organisation, Result
from partners.models import Site, Term
from sourcing import pipeline
from sourcing.choices import EXITS, PIPELINE, ExitReason
from sourcing.models import Candidate, Criterion, Quote, Score, Shortlist

ORGANISATION = "bench-workspace"
MEMBERS = ("ana", "ben", "cleo", "dev")
CRITERIA = (("Quote", 3), ("Responsiveness", 2), ("Technical answer", 3), ("Audit outcome", 3))
COMPARED = 6


def _workspace(candidates: int) -> tuple[Shortlist, list[int]]:
    """The benchmark's shortlist of `candidates` sites and the ids of the six compared."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    organisation, _ = Organisation.objects.get_or_create(
        slug=ORGANISATION, defaults={"name": "Benchmark Biologics"}
    )
    users = []
    for index, username in enumerate(MEMBERS):
        user, _ = User.objects.get_or_create(username=f"{ORGANISATION}-{username}")
        Membership.objects.get_or_create(
            user=user,
            defaults={
                "organisation": organisation,
                "role": Role.ADMIN if index == 0 else Role.MEMBER,
            },
        )
        users.append(user)
    brief, _ = Brief.objects.update_or_create(
        organisation=organisation,
        title="Phase 2 mAb, 2,000 L",
        defaults={
            "created_by": users[0],
            "modality": Term.objects.get(slug="mab"),
            "phase": "phase2",
            "batch_size": 2000,
            "batch_unit": "L",
            "target_markets": ["US", "EU"],
            "required_certifications": ["eu-gmp"],
        },
    )
    shortlist, _ = Shortlist.objects.get_or_create(
        organisation=organisation, brief=brief, title=f"{candidates} candidates"
    )
    if shortlist.candidates.count() < candidates:
        shortlist.candidates.all().delete()
        # The shortlist comes from a run of the brief, as a buyer's would: each candidate keeps
        # its score, rank and breakdown.
        run = runs.start_run(brief, users[0], exempt_from_quota=True)
        runs.execute_run(run.pk)
        site_ids = list(
            Result.objects.filter(run=run, eligible=True)
            .order_by("rank")
            .values_list("site_id", flat=True)[:candidates]
        )
        if len(site_ids) < candidates:
            site_ids += list(
                Site.objects.exclude(pk__in=site_ids)
                .order_by("pk")
                .values_list("pk", flat=True)[: candidates - len(site_ids)]
            )
        pipeline.add_sites(shortlist, site_ids, users[0], run=run)
        stages = [*PIPELINE[:-1], *EXITS]
        today = timezone.localdate()
        added = list(shortlist.candidates.order_by("pk"))
        for index, candidate in enumerate(added):
            candidate.stage = stages[index % len(stages)]
            candidate.exit_reason = ExitReason.COMMERCIAL if candidate.stage in EXITS else ""
            candidate.owner = users[index % len(users)]
            candidate.due_on = today + datetime.timedelta(days=index % 30 - 10)
        Candidate.objects.bulk_update(added, ["stage", "exit_reason", "owner", "due_on"])
    compared = list(
        shortlist.candidates.exclude(stage__in=EXITS).order_by("pk").values_list("pk", flat=True)
    )[:COMPARED]
    if not shortlist.criteria.exists():
        Criterion.objects.bulk_create(
            Criterion(shortlist=shortlist, name=name, weight=weight, position=position)
            for position, (name, weight) in enumerate(CRITERIA)
        )
    criteria = list(shortlist.criteria.all())
    if not Score.objects.filter(candidate__shortlist=shortlist).exists():
        Score.objects.bulk_create(
            Score(
                candidate_id=candidate_id,
                criterion=criterion,
                member=user,
                value=1 + (candidate_id + criterion.pk + user.pk) % 5,
            )
            for candidate_id in compared
            for criterion in criteria
            for user in users
        )
    for position, candidate_id in enumerate(compared):
        Quote.objects.get_or_create(
            candidate_id=candidate_id,
            defaults={
                "price": Decimal(900_000 + 50_000 * position),
                "currency": "EUR",
                "batches": 3,
                "scale_l": 2000,
                "lead_time_weeks": 20 + position,
                "minimum_order_batches": 2,
                "valid_until": timezone.localdate() + datetime.timedelta(days=60 - 30 * position),
                "assumptions": "Drug substance supplied by the sponsor.",
            },
        )
    # Everyone has scored, so every member sees the team's scores.
    shortlist.scores_revealed_at = timezone.now()
    shortlist.save(update_fields=["scores_revealed_at"])
    return shortlist, compared


def _page(client: Client, path: str) -> Callable[[], None]:
    def get() -> None:
        response = client.get(path)
        assert response.status_code == 200, response.status_code
        reset_queries()

    return get


def _statements(client: Client, path: str) -> list[str]:
    """The SQL a page sends, captured once, its parameters bound (psycopg 3 gives the query as
    sent)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def _bare_sql(statements: list[str]) -> Callable[[], int]:
    def read() -> int:
        rows = 0
        with connection.cursor() as cursor:
            for statement in statements:
                if statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                    continue
                cursor.execute(statement)
                if cursor.description is not None:
                    rows += len(cursor.fetchall())
        return rows

    return read


def main() -> None:
    parser = argparse.ArgumentParser(description="Procurement workspace benchmark.")
    parser.add_argument("--providers", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark runs on PostgreSQL: set DATABASE_URL.")

    seeded_catalogue(args.providers, args.seed)
    shortlist, compared = _workspace(args.candidates)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    settings.ALLOWED_HOSTS = ["testserver"]
    warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic needed
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client = Client()
    client.force_login(Membership.objects.get(user__username=f"{ORGANISATION}-{MEMBERS[1]}").user)
    base = shortlist.get_absolute_url()
    compare = f"{base}compare/?" + "&".join(f"c={pk}" for pk in compared)
    pages = [
        (f"board, {args.candidates} candidates", base),
        (f"table, {args.candidates} candidates", f"{base}?view=table"),
        (f"comparison of {len(compared)}", compare),
    ]
    print(
        f"Catalogue: {Site.objects.count():,} sites on PostgreSQL; shortlist of "
        f"{shortlist.candidates.count()} candidates, {len(MEMBERS)} members, "
        f"{len(CRITERIA)} criteria; medians of {args.runs} runs"
    )
    print(f"{'page':<30}{'queries':>8}{'server ms':>11}{'bare SQL ms':>13}{'ratio':>8}")
    for name, path in pages:
        statements = _statements(client, path)
        page_ms = median_ms(_page(client, path), args.runs)
        sql_ms = median_ms(_bare_sql(statements), args.runs)
        print(
            f"{name:<30}{len(statements):>8}{page_ms:>11.1f}{sql_ms:>13.2f}{page_ms / sql_ms:>8.1f}"
        )


if __name__ == "__main__":
    main()
