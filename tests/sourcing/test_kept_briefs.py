"""Briefs kept matching: kept from the brief's page, re-run by the beat job when the catalogue
changes (at most once a day, outside the quota, once however many workers look), their owners
told what changed with why and a link to the comparison, the compared runs kept by the
retention, and a broker outage delaying the news without losing it."""

import datetime
from unittest import mock

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from core.choices import JobStatus
from matching import quotas, retention, runs
from matching import tasks as matching_tasks
from matching.choices import Role
from matching.index import clear_catalogue_index
from matching.models import Run
from partners.catalogue_version import current_catalogue_version
from partners.models import Phase
from sourcing import kept_briefs, tasks
from sourcing.choices import AlertKind
from sourcing.models import Alert, KeptBrief, Notification
from tests.factories import MembershipFactory
from tests.matching.conftest import mab_site, phase2_mab_brief
from tests.sourcing.conftest import client_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_catalogue_index():
    clear_catalogue_index()
    yield
    clear_catalogue_index()


@pytest.fixture
def catalogue():
    """Berlin then Cork eligible for the phase 2 brief; Basel (phase 3) and Lyon (phase 1)
    fail its phase must-have; Suzhou is in an excluded country."""
    return {
        "berlin": mab_site("Berlin", "DE", "phase2"),
        "cork": mab_site("Cork", "IE", "phase2"),
        "basel": mab_site("Basel", "DE", "phase3"),
        "lyon": mab_site("Lyon", "FR", "phase1"),
        "suzhou": mab_site("Suzhou", "CN", "phase2"),
    }


@pytest.fixture
def brief(helen, catalogue):
    return phase2_mab_brief(helen.membership.organisation, created_by=helen)


@pytest.fixture
def baseline(brief, helen) -> Run:
    """A member's done run of the brief."""
    return _done_run(brief, helen)


def _done_run(brief, user=None) -> Run:
    run = runs.start_run(brief, user)
    assert runs.execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.DONE
    return run


def _keep(client, brief, keep="on", **headers):
    return client.post(
        reverse("sourcing:keep-matching", args=[brief.pk]), {"keep": keep}, **headers
    )


def _beat(django_capture_on_commit_callbacks) -> int:
    """The beat job, its runs sent and executed in-process as they commit."""
    with django_capture_on_commit_callbacks(execute=True):
        return tasks.rerun_kept_briefs()


def _change_the_catalogue(catalogue) -> None:
    """Munich joins (a better site than Berlin), Cork now serves phase 1 only (out: the phase
    must-have), Basel now serves phase 2 as well (in)."""
    mab_site("Munich", "DE", "phase2", compliance=95)
    catalogue["cork"].phases.set([Phase.objects.get(slug="phase1")])
    catalogue["basel"].phases.add(Phase.objects.get(slug="phase2"))


def _a_day_later(kept: KeptBrief) -> None:
    KeptBrief.objects.filter(pk=kept.pk).update(
        last_rerun_at=timezone.now() - kept_briefs.RERUN_INTERVAL - datetime.timedelta(minutes=1)
    )


# Keeping a brief


def test_a_member_keeps_a_brief_and_its_latest_done_run_is_the_baseline(helen, brief, baseline):
    response = _keep(client_of(helen), brief)

    assert response.status_code == 302
    assert response["Location"] == brief.get_absolute_url()
    kept = KeptBrief.objects.get(brief=brief)
    assert kept.active
    assert kept.kept_by == helen
    assert kept.baseline_run == baseline
    assert kept.last_run is None
    assert kept.catalogue_version == baseline.catalogue_version
    assert Run.objects.filter(brief=brief).count() == 1  # no run started


def test_stopping_keeps_the_row_but_no_longer_reruns(helen, brief, baseline, catalogue):
    client = client_of(helen)
    _keep(client, brief)

    response = _keep(client, brief, "off", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "Not kept matching." in response.content.decode()
    assert not KeptBrief.objects.get(brief=brief).active
    mab_site("Munich", "DE", "phase2")
    assert kept_briefs.due_reruns() == []


def test_keeping_a_brief_never_run_starts_its_first_run_as_any_run_within_the_quota(
    helen, brief, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _keep(client_of(helen), brief)

    assert response.status_code == 302
    kept = KeptBrief.objects.get(brief=brief)
    first = kept.last_run
    assert first is not None
    assert not first.automatic  # a person's click: it counts against the limits
    first.refresh_from_db()
    assert first.status == JobStatus.DONE
    # The first run is the baseline to come: nothing told, its catalogue seen.
    kept.refresh_from_db()
    assert kept.baseline_run is None
    assert kept.catalogue_version == first.catalogue_version
    assert not Alert.objects.exists()


def test_keeping_a_brief_never_run_at_the_daily_limit_is_refused_and_keeps_nothing(
    helen, brief, settings
):
    settings.MATCHING_MAX_RUNS_PER_DAY = 1
    other = phase2_mab_brief(helen.membership.organisation)
    _done_run(other, helen)  # the organisation is at its daily limit
    assert quotas.blocking_message(brief.organisation_id)

    response = _keep(client_of(helen), brief, HTTP_HX_REQUEST="true")

    assert response.status_code == 429
    assert "Not kept: " in response.content.decode()
    assert not KeptBrief.objects.filter(brief=brief, active=True).exists()
    assert not Run.objects.filter(brief=brief).exists()


def test_the_switch_is_a_panel_htmx_swaps_and_says_what_is_kept(helen, brief, baseline):
    client = client_of(helen)

    response = _keep(client, brief, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    status = " ".join(page.select_one(".kept-brief-status").get_text().split())
    assert status.startswith("Kept matching Re-run when the catalogue changes, at most daily;")
    assert f"the next one is compared with run {baseline.pk}" in status
    assert page.select_one("button").get_text() == "Stop keeping matching"
    assert page.select_one("input[name=keep]")["value"] == "off"


def test_a_bad_value_is_refused_saying_which(helen, brief):
    response = _keep(client_of(helen), brief, "maybe", HTTP_HX_REQUEST="true")

    assert response.status_code == 400
    assert "Keep matching: say “on” or “off”." in response.content.decode()
    assert not KeptBrief.objects.exists()


def test_a_viewer_reads_whether_it_is_kept_but_cannot_switch(helen, vera, brief, baseline):
    kept_briefs.keep(brief, helen)
    client = client_of(vera)

    page = client.get(reverse("sourcing:keep-matching", args=[brief.pk]), HTTP_HX_REQUEST="true")
    refused = _keep(client, brief, "off")

    assert page.status_code == 200
    assert "Kept matching" in page.content.decode()
    assert "<form" not in page.content.decode()
    assert refused.status_code == 403
    assert KeptBrief.objects.get(brief=brief).active


def test_another_organisation_finds_no_such_brief(otto, brief):
    client = client_of(otto)

    assert client.get(reverse("sourcing:keep-matching", args=[brief.pk])).status_code == 404
    assert _keep(client, brief).status_code == 404
    assert not KeptBrief.objects.exists()


def test_the_brief_page_loads_the_panel_and_links_it_without_htmx(helen, brief):
    url = reverse("sourcing:keep-matching", args=[brief.pk])

    page = client_of(helen).get(brief.get_absolute_url()).content.decode()
    alone = client_of(helen).get(url)

    assert f'hx-get="{url}"' in page
    assert alone.status_code == 200
    assert "<h1>Keep matching: Phase 2 mAb</h1>" in alone.content.decode()


# When a kept brief is re-run


def test_a_catalogue_change_makes_a_kept_brief_due_and_it_is_rerun_once_a_day(
    helen, brief, baseline, catalogue, django_capture_on_commit_callbacks
):
    kept_briefs.keep(brief, helen)
    kept = KeptBrief.objects.get(brief=brief)
    assert kept_briefs.due_reruns() == []  # nothing changed since its baseline

    mab_site("Munich", "DE", "phase2")  # saved through the ORM: a new catalogue version
    assert kept_briefs.due_reruns() == [kept.pk]
    assert _beat(django_capture_on_commit_callbacks) == 1

    kept.refresh_from_db()
    rerun = kept.last_run
    assert rerun.status == JobStatus.DONE
    assert rerun.automatic
    assert kept.catalogue_version == rerun.catalogue_version == current_catalogue_version()
    # Another change within the day: no second re-run until 24 hours have passed.
    mab_site("Hamburg", "DE", "phase2")
    assert kept_briefs.due_reruns() == []
    assert _beat(django_capture_on_commit_callbacks) == 0
    assert Run.objects.filter(brief=brief).count() == 2

    _a_day_later(kept)
    assert kept_briefs.due_reruns() == [kept.pk]
    assert _beat(django_capture_on_commit_callbacks) == 1
    kept.refresh_from_db()
    # The next re-run is compared with the one before it.
    assert kept.baseline_run == rerun
    assert kept.last_run != rerun


def test_the_beat_job_sent_twice_starts_one_rerun(
    helen, brief, baseline, catalogue, django_capture_on_commit_callbacks
):
    kept_briefs.keep(brief, helen)
    mab_site("Munich", "DE", "phase2")

    with (
        mock.patch.object(matching_tasks.execute_run, "apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = tasks.rerun_kept_briefs()
        second = tasks.rerun_kept_briefs()

    assert (first, second) == (1, 0)
    assert Run.objects.filter(brief=brief, automatic=True).count() == 1
    send.assert_called_once()


def test_two_workers_claiming_the_same_rerun_start_one(helen, brief, baseline, catalogue):
    kept_briefs.keep(brief, helen)
    kept = KeptBrief.objects.get(brief=brief)
    mab_site("Munich", "DE", "phase2")
    # Both read the kept brief as due; the other worker claims it between this one's read and
    # its claim.
    checked = []

    def other_worker_first(brief):
        if not checked:
            checked.append(brief.pk)
            assert kept_briefs.start_rerun(kept.pk) is not None
        return {}

    with mock.patch.object(kept_briefs, "stored_brief_errors", side_effect=other_worker_first):
        assert kept_briefs.start_rerun(kept.pk) is None

    assert Run.objects.filter(brief=brief, automatic=True).count() == 1


def test_the_rerun_is_outside_the_quota_and_blocks_no_ones_runs(
    helen, brief, baseline, catalogue, settings, django_capture_on_commit_callbacks
):
    kept_briefs.keep(brief, helen)
    mab_site("Munich", "DE", "phase2")
    settings.MATCHING_MAX_RUNS_PER_DAY = 2
    settings.MATCHING_MAX_CONCURRENT_RUNS = 1
    runs.start_run(brief, helen)  # one in progress: the organisation is at its concurrent limit
    assert quotas.blocking_message(brief.organisation_id)

    with mock.patch.object(matching_tasks.execute_run, "apply_async"):
        assert _beat(django_capture_on_commit_callbacks) == 1

    rerun = KeptBrief.objects.get(brief=brief).last_run
    assert rerun.status == JobStatus.QUEUED
    assert rerun.automatic
    # Counted: the baseline and the member's queued run, not the re-run.
    Run.objects.filter(brief=brief, created_by=helen, status=JobStatus.QUEUED).delete()
    assert quotas.blocking_message(brief.organisation_id) is None
    runs.start_run(brief, helen)


def test_the_owners_are_told_what_entered_left_and_moved_and_why(
    helen, vera, otto, brief, baseline, catalogue, django_capture_on_commit_callbacks
):
    admin = MembershipFactory(organisation=brief.organisation, role=Role.ADMIN).user
    kept_briefs.keep(brief, helen)
    _change_the_catalogue(catalogue)

    _beat(django_capture_on_commit_callbacks)

    kept = KeptBrief.objects.get(brief=brief)
    rerun = kept.last_run
    alert = Alert.objects.get()
    assert alert.key == f"brief-rerun:{rerun.pk}"
    assert alert.kind == AlertKind.BRIEF_RERUN
    assert alert.kept_brief_id == kept.pk
    assert (
        alert.title == "“Phase 2 mAb” re-run: 2 newly eligible, 1 dropped out, 1 move in the top 10"
    )
    texts = [item["text"] for item in alert.items]
    munich = next(text for text in texts if text.startswith("Munich"))
    assert f"became eligible, ranked 1. Not in the catalogue when run {baseline.pk}" in munich
    basel = next(text for text in texts if text.startswith("Basel"))
    assert f"became eligible, ranked 3. Excluded in run {baseline.pk}: Must-have Phase" in basel
    cork = next(text for text in texts if text.startswith("Cork"))
    assert f"dropped out (ranked 2 before). Excluded in run {rerun.pk}: Must-have Phase" in cork
    berlin = next(text for text in texts if text.startswith("Berlin"))
    assert "moved down from 1 to 2." in berlin
    compare_url = reverse("matching:run-compare", kwargs={"pk": rerun.pk, "other": baseline.pk})
    assert alert.url == compare_url
    assert {item["url"] for item in alert.items} == {compare_url}
    # Told: the organisation's admins and members; not its viewers, nor another organisation.
    told = set(Notification.objects.values_list("recipient_id", flat=True))
    assert told == {helen.pk, admin.pk}
    # The comparison renders for an owner.
    page = client_of(helen).get(compare_url)
    assert page.status_code == 200
    assert "Munich" in page.content.decode()
    assert client_of(otto).get(compare_url).status_code == 404


def test_the_member_who_kept_it_is_told_even_as_a_viewer_now(
    helen, vera, brief, baseline, catalogue, django_capture_on_commit_callbacks
):
    kept_briefs.keep(brief, vera)
    _change_the_catalogue(catalogue)

    _beat(django_capture_on_commit_callbacks)

    told = set(Notification.objects.values_list("recipient_id", flat=True))
    assert told == {helen.pk, vera.pk}


def test_a_rerun_that_changes_nothing_tells_no_one_but_becomes_the_baseline(
    helen, brief, baseline, catalogue, django_capture_on_commit_callbacks
):
    kept_briefs.keep(brief, helen)
    mab_site("Porto", "PT", "phase3")  # a new site the brief's must-have excludes

    _beat(django_capture_on_commit_callbacks)

    assert not Alert.objects.exists()
    kept = KeptBrief.objects.get(brief=brief)
    rerun = kept.last_run
    assert rerun.status == JobStatus.DONE
    _a_day_later(kept)
    mab_site("Munich", "DE", "phase2", compliance=95)
    _beat(django_capture_on_commit_callbacks)
    kept.refresh_from_db()
    assert kept.baseline_run == rerun
    assert Alert.objects.get().url == reverse(
        "matching:run-compare", kwargs={"pk": kept.last_run_id, "other": rerun.pk}
    )


def test_the_brief_page_says_when_it_was_rerun_and_links_the_comparison(
    helen, brief, baseline, catalogue, django_capture_on_commit_callbacks
):
    kept_briefs.keep(brief, helen)
    _change_the_catalogue(catalogue)
    _beat(django_capture_on_commit_callbacks)
    rerun = KeptBrief.objects.get(brief=brief).last_run

    response = client_of(helen).get(
        reverse("sourcing:keep-matching", args=[brief.pk]), HTTP_HX_REQUEST="true"
    )

    page = BeautifulSoup(response.content, "html.parser")
    status = " ".join(page.select_one(".kept-brief-status").get_text().split())
    when = timezone.localtime(rerun.created_at).strftime("%-d %b %Y, %H:%M")
    assert f"last re-run {when}, compared with run {baseline.pk}." in status
    link = page.select_one(".kept-brief-status a")
    assert link["href"] == reverse(
        "matching:run-compare", kwargs={"pk": rerun.pk, "other": baseline.pk}
    )


def test_the_retention_keeps_both_runs_a_kept_brief_compares(
    helen, brief, baseline, catalogue, settings, django_capture_on_commit_callbacks
):
    kept_briefs.keep(brief, helen)
    _change_the_catalogue(catalogue)
    _beat(django_capture_on_commit_callbacks)
    rerun = KeptBrief.objects.get(brief=brief).last_run
    # Two later runs of a member's: the brief's two latest, which matching keeps itself.
    later = [_done_run(brief, helen), _done_run(brief, helen)]
    old = [_done_run(brief, helen)]
    long_ago = timezone.now() - datetime.timedelta(days=settings.MATCHING_RUN_RETENTION_DAYS + 30)
    Run.objects.filter(pk__in=[baseline.pk, rerun.pk, old[0].pk]).update(created_at=long_ago)
    Run.objects.filter(pk__in=[run.pk for run in later]).update(created_at=timezone.now())

    expired = set(retention.expired_runs().values_list("pk", flat=True))
    assert expired == {baseline.pk, rerun.pk, old[0].pk}
    assert retention.protected_among(expired) == {baseline.pk, rerun.pk}
    assert retention.delete_expired_runs() == 1

    assert set(Run.objects.filter(brief=brief).values_list("pk", flat=True)) == {
        baseline.pk,
        rerun.pk,
        *(run.pk for run in later),
    }


def test_a_broker_outage_delays_the_rerun_and_its_news_and_loses_neither(
    helen, brief, baseline, catalogue, django_capture_on_commit_callbacks
):
    kept_briefs.keep(brief, helen)
    _change_the_catalogue(catalogue)
    down = OperationalError("Error 111 connecting to localhost:6379. Connection refused.")

    with mock.patch.object(matching_tasks.execute_run, "apply_async", side_effect=down):
        assert _beat(django_capture_on_commit_callbacks) == 1

    rerun = KeptBrief.objects.get(brief=brief).last_run
    assert (rerun.status, rerun.error) == (JobStatus.QUEUED, runs.BROKER_DOWN)
    assert not Alert.objects.exists()
    # The beat again, broker still down: the re-run is waiting, not started twice.
    assert _beat(django_capture_on_commit_callbacks) == 0
    # The broker is back: the runs' own sweep sends it, and the owners are told.
    with django_capture_on_commit_callbacks(execute=True):
        assert matching_tasks.requeue_stale_runs() == 1

    rerun.refresh_from_db()
    assert rerun.status == JobStatus.DONE
    assert Alert.objects.get().key == f"brief-rerun:{rerun.pk}"
    assert Notification.objects.filter(recipient=helen).count() == 1


def test_a_rerun_whose_report_failed_is_reported_by_the_next_beat(
    helen, brief, baseline, catalogue, django_capture_on_commit_callbacks
):
    kept_briefs.keep(brief, helen)
    _change_the_catalogue(catalogue)
    with mock.patch.object(kept_briefs, "report_rerun", side_effect=RuntimeError("mail down")):
        _beat(django_capture_on_commit_callbacks)
    assert not Alert.objects.exists()
    rerun = KeptBrief.objects.get(brief=brief).last_run
    assert kept_briefs.unreported_reruns() == [rerun.pk]

    assert _beat(django_capture_on_commit_callbacks) == 0

    assert Alert.objects.get().key == f"brief-rerun:{rerun.pk}"
    assert kept_briefs.unreported_reruns() == []
    # Reported once, however often it is asked again.
    assert kept_briefs.report_rerun(rerun.pk) is None
    assert Notification.objects.count() == 1


def test_a_top_ten_move_the_comparison_does_not_list_is_told_all_the_same(
    helen, brief, baseline, catalogue, monkeypatch, django_capture_on_commit_callbacks
):
    # A large catalogue change moves more sites than the comparison lists (the largest moves
    # first): here it lists none.
    monkeypatch.setattr("matching.run_comparison.SHOWN", 0)
    kept_briefs.keep(brief, helen)
    berlin = catalogue["berlin"]
    berlin.compliance_score = 20  # Berlin falls behind Cork
    berlin.save()

    _beat(django_capture_on_commit_callbacks)

    alert = Alert.objects.get()
    assert alert.title == "“Phase 2 mAb” re-run: 2 moves in the top 10"
    berlin_moved, cork_moved = (item["text"] for item in alert.items)
    assert berlin_moved.startswith("Berlin (")
    assert berlin_moved.endswith(") moved down from 1 to 2. Compliance sub-score 0.80 → 0.20.")
    assert cork_moved.startswith("Cork (")
    assert cork_moved.endswith(
        ") moved up from 2 to 1. Its sub-scores are unchanged; sites around it moved, entered "
        "or left."
    )
