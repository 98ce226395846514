"""Every task in the beat schedule, and every task the code enqueues, sent through a real broker
to a real Celery worker in production settings (DEBUG off), and seen to do its work.

The broker is a redis-server of the test session's own (tests/ops/services.py), and the worker
opens the test database. Marked `slow`: runs when CI=true, skipped with the reason otherwise.
"""

import datetime
from collections.abc import Callable

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from config.celery import app
from core.choices import JobStatus
from matching import acceptability, runs
from matching import tasks as matching_tasks
from matching.models import Acceptability, Brief, Membership, Organisation, Run
from partners import tasks as partners_tasks
from partners.importers.fda import uploads
from partners.models import (
    Certification,
    DeaSchedule,
    Inspection,
    Phase,
    RegulatorImport,
    RegulatoryAction,
    Site,
    Term,
)
from partners.vocabulary import install_vocabulary
from sourcing import saved_searches
from sourcing.choices import AlertKind, EmailChoice
from sourcing.models import Alert, Notification, NotificationSettings, Watch
from sourcing.watching.alerts import AlertSpec, raise_alert
from tests.factories import InspectionFactory, SiteCapabilityFactory, SiteFactory
from tests.ops import services
from tests.partners.test_regulator_upload import _compliance_actions_csv

# Each test with the worker starts from a flushed database, which takes seconds: so few tests,
# each doing much.

# The sweeps' thresholds in seconds, for the worker and for this process alike.
SHORT_THRESHOLDS = {
    "JOB_SWEEP_SECONDS": "1",
    "JOB_REQUEUE_SECONDS": "2",
    "MATCHING_RUN_STALE_SECONDS": "3",
    "REGULATOR_IMPORT_STALE_SECONDS": "4",
}

app.loader.import_default_modules()
OUR_TASKS = {
    name for name in app.tasks if name.split(".", 1)[0] in {"partners", "matching", "sourcing"}
}


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, redis_server):
    """One worker in production settings for the module, on the session's own Redis."""
    with services.app_broker(redis_server.url):
        process, hostname = services.start_worker(redis_server.url, **SHORT_THRESHOLDS)
    yield hostname
    services.stop(process)


@pytest.fixture
def short_thresholds(settings):
    for name, value in SHORT_THRESHOLDS.items():
        setattr(settings, name, int(value))


def _catalogue_and_brief(django_user_model) -> tuple[Brief, object]:
    """Three mAb sites and a brief they all meet; on the vocabulary the migrations install (a
    test before may have emptied the tables)."""
    install_vocabulary(Term, Phase, DeaSchedule)
    organisation, _ = Organisation.objects.get_or_create(slug="helix", defaults={"name": "Helix"})
    user = django_user_model.objects.filter(username="helen").first()
    if user is None:
        user = django_user_model.objects.create_user("helen", password="pw")
        Membership.objects.create(user=user, organisation=organisation)
    for _ in range(3):
        site = SiteFactory(country="DE", phases=[Phase.objects.get(slug="phase2")])
        SiteCapabilityFactory(site=site, term=Term.objects.get(slug="mab"))
    brief = Brief.objects.create(
        organisation=organisation, title="mAb", modality=Term.objects.get(slug="mab")
    )
    return brief, user


def _unlinked_inspection() -> tuple[Site, Inspection]:
    """A site whose FEI was set behind the model's back, and an inspection naming it."""
    site = SiteFactory(fei_number="")
    inspection = InspectionFactory(fei_number="3001234567")
    Site.objects.filter(pk=site.pk).update(fei_number="3001234567")
    assert Inspection.objects.get(pk=inspection.pk).site_id is None
    return site, inspection


def _stored_import(**fields) -> RegulatorImport:
    upload = SimpleUploadedFile("compliance_actions.csv", _compliance_actions_csv())
    return RegulatorImport.objects.create(**uploads.stored_upload(upload), **fields)


def _done(model, pk) -> Callable[[], bool]:
    return lambda: model.objects.get(pk=pk).status == JobStatus.DONE


# What each scheduled task must be seen doing: set up its work, return the check of its effect.
def _scheduled_link(django_user_model) -> Callable[[], bool]:
    site, inspection = _unlinked_inspection()
    return lambda: Inspection.objects.get(pk=inspection.pk).site_id == site.pk


def _scheduled_recompute(django_user_model) -> Callable[[], bool]:
    site = SiteFactory()
    Site.objects.filter(pk=site.pk).update(compliance_as_of=None)
    return lambda: Site.objects.get(pk=site.pk).compliance_as_of == timezone.localdate()


def _scheduled_requeue(django_user_model) -> Callable[[], bool]:
    brief, user = _catalogue_and_brief(django_user_model)
    run = runs.start_run(brief, user)  # never sent: its message was lost
    Run.objects.filter(pk=run.pk).update(
        queued_at=timezone.now() - runs.requeue_after() - datetime.timedelta(seconds=5)
    )
    return _done(Run, run.pk)


def _scheduled_recover(django_user_model) -> Callable[[], bool]:
    brief, user = _catalogue_and_brief(django_user_model)
    run = runs.start_run(brief, user)
    quiet = timezone.now() - runs.stale_after() - datetime.timedelta(seconds=5)
    Run.objects.filter(pk=run.pk).update(
        status=JobStatus.RUNNING, attempts=1, started_at=quiet, heartbeat_at=quiet
    )
    return _done(Run, run.pk)


def _scheduled_import_sweep(django_user_model) -> Callable[[], bool]:
    upload = _stored_import(queued_at=timezone.now() - datetime.timedelta(minutes=5))
    return _done(RegulatorImport, upload.pk)


def _scheduled_retention(django_user_model) -> Callable[[], bool]:
    brief, user = _catalogue_and_brief(django_user_model)
    long_ago = timezone.now() - datetime.timedelta(days=settings.MATCHING_RUN_RETENTION_DAYS + 30)
    done = [
        Run.objects.create(
            brief=brief, organisation=brief.organisation, created_by=user, status=JobStatus.DONE
        )
        for _ in range(3)
    ]
    for age, run in enumerate(done):  # the oldest first; the brief keeps its two latest
        Run.objects.filter(pk=run.pk).update(
            created_at=long_ago - datetime.timedelta(days=3 - age), finished_at=long_ago
        )
    oldest = done[0].pk
    return lambda: not Run.objects.filter(pk=oldest).exists()


def _watcher_of_new_site(django_user_model, username: str) -> tuple[object, Site]:
    """A user watching a site whose record gains something behind the signals' back (in bulk,
    as seeding does), so only a sweep finds it."""
    user = django_user_model.objects.create_user(username, password="pw")
    site = SiteFactory(fei_number="")
    Watch.objects.create(user=user, site=site)
    return user, site


def _scheduled_watch_sweep(django_user_model) -> Callable[[], bool]:
    user, site = _watcher_of_new_site(django_user_model, "wanda")
    RegulatoryAction.objects.bulk_create(
        [
            RegulatoryAction(
                site=site,
                authority="FDA",
                action_type="warning-letter",
                action_date=timezone.localdate(),
                case_id="990001",
            )
        ]
    )
    return lambda: Notification.objects.filter(
        recipient=user, alert__kind=AlertKind.WARNING_LETTER
    ).exists()


def _scheduled_certificate_scan(django_user_model) -> Callable[[], bool]:
    user, site = _watcher_of_new_site(django_user_model, "carl")
    Certification.objects.bulk_create(
        [
            Certification(
                site=site,
                kind="eu-gmp",
                authority="EMA",
                reference="DE-GMP-9",
                issued_on=timezone.localdate() - datetime.timedelta(days=700),
                valid_until=timezone.localdate() + datetime.timedelta(days=30),
            )
        ]
    )
    return lambda: Notification.objects.filter(
        recipient=user, alert__kind=AlertKind.CERTIFICATE
    ).exists()


def _notified(django_user_model, username: str, **settings_fields) -> Callable[[], bool]:
    """A notification to a user with these settings; the check: it went by e-mail."""
    user = django_user_model.objects.create_user(
        username, email=f"{username}@example.com", password="pw"
    )
    NotificationSettings.objects.create(user=user, **settings_fields)
    alert, _ = raise_alert(
        AlertSpec(key=f"worker:{username}", kind=AlertKind.WARNING_LETTER, title="Warning letter"),
        [user.pk],
    )
    return lambda: Notification.objects.get(alert=alert).emailed_at is not None


def _scheduled_notification_emails(django_user_model) -> Callable[[], bool]:
    return _notified(django_user_model, "mia", email=EmailChoice.AT_ONCE)


def _scheduled_notification_digests(django_user_model) -> Callable[[], bool]:
    # A digest due from midnight in UTC: due whenever the test runs.
    return _notified(
        django_user_model,
        "dora",
        email=EmailChoice.DIGEST,
        digest_time=datetime.time(0, 0),
        time_zone="UTC",
    )


SCHEDULED_EFFECTS = {
    "partners.tasks.link_regulatory_records": _scheduled_link,
    "partners.tasks.recompute_compliance": _scheduled_recompute,
    "matching.tasks.requeue_stale_runs": _scheduled_requeue,
    "matching.tasks.recover_stuck_runs": _scheduled_recover,
    "partners.tasks.sweep_regulator_imports": _scheduled_import_sweep,
    "matching.tasks.delete_expired_runs": _scheduled_retention,
    "sourcing.tasks.sweep_watched_sites": _scheduled_watch_sweep,
    "sourcing.tasks.scan_certificates": _scheduled_certificate_scan,
    "sourcing.tasks.send_notification_emails": _scheduled_notification_emails,
    "sourcing.tasks.send_notification_digests": _scheduled_notification_digests,
}


def _scheduled_saved_search_check(django_user_model) -> Callable[[], bool]:
    """A watched search saved before a site matching it was added: its owner is told."""
    install_vocabulary(Term, Phase, DeaSchedule)
    user = django_user_model.objects.filter(username="sam").first()
    if user is None:
        user = django_user_model.objects.create_user("sam", password="pw")
    search = saved_searches.save_search(user, "modality=mab&country=FR", "French mAb")
    SiteCapabilityFactory(site=SiteFactory(country="FR"), term=Term.objects.get(slug="mab"))
    return lambda: Alert.objects.filter(saved_search=search).exists()


SCHEDULED_EFFECTS["sourcing.tasks.check_saved_searches"] = _scheduled_saved_search_check


def test_every_scheduled_task_has_its_effect_checked_here():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled == set(SCHEDULED_EFFECTS)


@pytest.mark.usefixtures("worker", "broker", "short_thresholds")
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_every_scheduled_task_sent_through_the_broker_does_its_work(django_user_model):
    # Given the work each task is scheduled for
    entries = settings.CELERY_BEAT_SCHEDULE
    done = {
        name: SCHEDULED_EFFECTS[entry["task"]](django_user_model) for name, entry in entries.items()
    }

    # When each is sent through Redis as beat sends it, with the production limits
    for entry in entries.values():
        app.tasks[entry["task"]].apply_async(entry.get("args", ()), entry.get("kwargs", {}))

    # Then the worker does each one's work
    services.wait_for(lambda: all(check() for check in done.values()), timeout=60)
    assert [name for name, check in done.items() if not check()] == []


@pytest.mark.usefixtures("worker", "broker", "short_thresholds")
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_every_task_the_code_enqueues_runs_on_the_worker(django_user_model):
    sent: set[str] = set()
    original_apply_async = app.Task.apply_async

    def recording(task, *args, **kwargs):
        sent.add(task.name)
        return original_apply_async(task, *args, **kwargs)

    app.Task.apply_async = recording  # type: ignore[method-assign]
    try:
        # A run, as its page starts it
        brief, user = _catalogue_and_brief(django_user_model)
        run = runs.start_run(brief, user)
        matching_tasks.send_run(run.pk)
        assert services.wait_for(_done(Run, run.pk), timeout=60), "the run did not finish"

        # Its rank acceptability
        analysis = acceptability.start_analysis(Run.objects.get(pk=run.pk), user, samples=200)
        matching_tasks.send_acceptability(analysis.pk)
        assert services.wait_for(_done(Acceptability, analysis.pk), timeout=60)

        # A regulator file uploaded in the admin, whose import queues the rescoring of a site
        rescored = SiteFactory(fei_number="3002808523")
        Site.objects.filter(pk=rescored.pk).update(compliance_as_of=None)
        upload = _stored_import(queued_at=timezone.now())
        partners_tasks.send_regulator_import(upload.pk)
        assert services.wait_for(_done(RegulatorImport, upload.pk), timeout=60)
        assert services.wait_for(
            lambda: Site.objects.get(pk=rescored.pk).compliance_as_of is not None, timeout=60
        ), "the rescoring the import queued did not run"

        # The relinking a curator's change queues
        site, inspection = _unlinked_inspection()
        partners_tasks.link_regulatory_records.delay([site.pk])
        assert services.wait_for(
            lambda: Inspection.objects.get(pk=inspection.pk).site_id == site.pk, timeout=60
        )

        # The watch sweep a curator's edit sends when it commits
        watcher, watched = _watcher_of_new_site(django_user_model, "walt")
        RegulatoryAction.objects.create(
            site=watched,
            authority="FDA",
            action_type="import-alert",
            action_date=timezone.localdate(),
            case_id="66-40",
        )
        assert services.wait_for(
            lambda: Notification.objects.filter(recipient=watcher).exists(), timeout=60
        ), "the watch sweep the edit sent did not run"
    finally:
        del app.Task.apply_async

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    # Every task of ours was sent through the broker, here or by the test above.
    assert sent | scheduled >= OUR_TASKS, OUR_TASKS - sent - scheduled


def _scheduled_kept_rerun(django_user_model) -> Callable[[], bool]:
    """A brief kept matching, run once; then a site joins the catalogue: the job re-runs the
    brief and its owners are told that the site became eligible."""
    from sourcing import kept_briefs
    from sourcing.models import Alert

    brief, user = _catalogue_and_brief(django_user_model)
    baseline = runs.start_run(brief, user)
    runs.execute_run(baseline.pk)
    kept_briefs.keep(brief, user)
    joined = SiteFactory(country="DE", phases=[Phase.objects.get(slug="phase2")])
    SiteCapabilityFactory(site=joined, term=Term.objects.get(slug="mab"))
    return lambda: Alert.objects.filter(kept_brief__brief=brief, items__isnull=False).exists()


SCHEDULED_EFFECTS["sourcing.tasks.rerun_kept_briefs"] = _scheduled_kept_rerun
