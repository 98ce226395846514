"""Old match runs go with their results (MATCHING_RUN_RETENTION_DAYS), but never one something
refers to: a brief's latest done run and the run its page compares it with, a run still in
progress, the run a shortlist candidate was added from, or a run a decision record froze."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from config.celery import app
from core.choices import JobStatus
from matching import retention, tasks
from matching.models import Result, Run
from sourcing.models import Decision
from tests.factories import CandidateFactory, RunFactory, ShortlistFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _retention(settings):
    settings.MATCHING_RUN_RETENTION_DAYS = 180


def _run(brief, days_old: int, status: str = JobStatus.DONE) -> Run:
    run = RunFactory(brief=brief, status=status)
    Run.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days_old)
    )
    Result.objects.create(run=run, site_name="Berlin", provider_name="Acme", eligible=True, rank=1)
    return run


def _left(*runs: Run) -> set[int]:
    return set(Run.objects.filter(pk__in=[run.pk for run in runs]).values_list("pk", flat=True))


def test_old_runs_go_with_their_results_but_the_briefs_two_latest_done_runs_stay(brief):
    oldest = _run(brief, 400)
    failed = _run(brief, 300, JobStatus.FAILED)
    compared = _run(brief, 250)  # what the latest is compared with on the brief's page
    latest = _run(brief, 200)
    failed_since = _run(brief, 190, JobStatus.FAILED)

    assert retention.delete_expired_runs() == 3

    assert _left(oldest, failed, compared, latest, failed_since) == {compared.pk, latest.pk}
    assert not Result.objects.filter(run_id__in=[oldest.pk, failed.pk, failed_since.pk]).exists()
    assert Result.objects.filter(run=latest).exists()


def test_recent_runs_and_runs_in_progress_stay(brief):
    recent = [_run(brief, days) for days in (1, 2, 3)]
    queued = _run(brief, 500, JobStatus.QUEUED)
    running = _run(brief, 500, JobStatus.RUNNING)

    assert retention.delete_expired_runs() == 0
    assert _left(*recent, queued, running) == {run.pk for run in [*recent, queued, running]}


def test_a_run_a_shortlist_candidate_was_added_from_survives(brief):
    protected = _run(brief, 400)
    unprotected = _run(brief, 390)
    _run(brief, 5)
    _run(brief, 4)
    CandidateFactory(shortlist=ShortlistFactory(brief=brief), run=protected, score=80, rank=1)

    assert retention.delete_expired_runs() == 1

    assert _left(protected, unprotected) == {protected.pk}


def test_a_run_a_decision_record_froze_survives_its_candidates_removal(brief):
    record_run = _run(brief, 400)
    candidates_run = _run(brief, 395)
    other = _run(brief, 390)
    _run(brief, 5)
    _run(brief, 4)
    shortlist = ShortlistFactory(brief=brief)
    Decision.objects.create(
        shortlist=shortlist,
        number=1,
        rationale="Best fit.",
        decided_by_name="helen",
        snapshot={
            "run": {"id": record_run.pk, "method": "weighted"},
            "candidates": [{"id": 1, "run_id": candidates_run.pk}, {"id": 2, "run_id": None}],
        },
    )

    assert retention.delete_expired_runs() == 1

    assert _left(record_run, candidates_run, other) == {record_run.pk, candidates_run.pk}


def test_a_period_of_zero_keeps_every_run(brief, settings):
    settings.MATCHING_RUN_RETENTION_DAYS = 0
    old = _run(brief, 4000, JobStatus.FAILED)

    assert retention.delete_expired_runs() == 0
    assert _left(old) == {old.pk}


def test_the_command_counts_with_dry_run_then_deletes(brief):
    old = _run(brief, 100, JobStatus.FAILED)
    out = []

    call_command("delete_expired_runs", "--days", "90", "--dry-run", stdout=_Lines(out))
    assert out[-1] == "1 match run would be deleted."
    assert _left(old) == {old.pk}

    call_command("delete_expired_runs", stdout=_Lines(out))  # 180 days: kept
    assert out[-1] == "0 match runs deleted."
    call_command("delete_expired_runs", "--days", "90", stdout=_Lines(out))
    assert out[-1] == "1 match run deleted."
    assert _left(old) == set()


def test_the_nightly_task_deletes_them(brief, settings):
    old = _run(brief, 365, JobStatus.FAILED)
    entry = settings.CELERY_BEAT_SCHEDULE["delete-expired-match-runs-nightly"]
    assert entry["task"] == tasks.delete_expired_runs.name

    result = app.tasks[entry["task"]].apply_async()

    assert result.get() == 1
    assert _left(old) == set()


class _Lines:
    """A stdout for call_command that keeps each line written."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def write(self, text: str) -> None:
        self.lines.extend(line for line in text.splitlines() if line)

    def flush(self) -> None:
        pass
