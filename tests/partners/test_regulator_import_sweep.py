"""A regulator import uploaded while the task queue is down is saved, the curator is told it
will start, and the sweep beat runs every minute sends it once the queue is back; an import
whose worker died is started again, or failed once out of attempts."""

import datetime
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from core.choices import JobStatus
from partners import tasks
from partners.importers.fda import uploads
from partners.importers.fda.uploads import stored_upload
from partners.models import RegulatorImport, RegulatoryAction
from tests.partners.test_regulator_upload import _compliance_actions_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator(django_user_model):
    user = django_user_model.objects.create_user("cora", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Curators"))
    return user


def _stored(**fields) -> RegulatorImport:
    upload = SimpleUploadedFile("compliance_actions.csv", _compliance_actions_csv())
    return RegulatorImport.objects.create(**{**stored_upload(upload), **fields})


def _broker_down():
    return mock.patch(
        "partners.tasks.run_regulator_import.apply_async",
        side_effect=OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
    )


def test_an_upload_with_the_broker_down_is_saved_and_says_it_will_start(
    client, curator, monkeypatch, django_capture_on_commit_callbacks
):
    # Given a file big enough for a worker, and a broker that refuses connections
    monkeypatch.setattr(uploads, "BIG_FILE_ROWS", 2)
    client.force_login(curator)

    # When a curator uploads it
    with _broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:partners_regulatorimport_add"),
            {
                "file": SimpleUploadedFile("compliance_actions.csv", _compliance_actions_csv()),
                "_save": "Upload",
            },
        )

    # Then no server error: the import is saved, queued, and its page says it will start
    assert response.status_code == 302
    upload = RegulatorImport.objects.get()
    assert upload.status == JobStatus.QUEUED
    assert upload.queued_at is not None
    page = client.get(response.url).content.decode()
    assert "will start by itself once the queue is back" in page
    assert "127.0.0.1" not in page

    # When the queue is back and the next sweep runs, a minute later at most
    with django_capture_on_commit_callbacks(execute=True):
        sent = uploads.requeue_stale_imports(timezone.now() + datetime.timedelta(minutes=1))
        for import_id in sent:
            tasks.send_regulator_import(import_id)

    # Then it is imported
    upload.refresh_from_db()
    assert sent == [upload.pk]
    assert (upload.status, upload.error) == (JobStatus.DONE, "")
    assert RegulatoryAction.objects.count() == 2


def test_the_sweep_sends_only_imports_sent_longer_ago_than_the_interval_or_never_sent():
    now = timezone.now()
    stranded = _stored(queued_at=now - uploads.requeue_after() - datetime.timedelta(seconds=1))
    fresh = _stored(queued_at=now)
    # Its message is still waiting in the broker, behind other work.
    waiting = _stored(queued_at=now - datetime.timedelta(minutes=1))
    # Its send failed a moment ago: the broker was down.
    not_sent = _stored(queued_at=now - datetime.timedelta(seconds=5), error=uploads.BROKER_DOWN)
    # Uploaded before imports recorded when they were sent.
    old = _stored()
    RegulatorImport.objects.filter(pk=old.pk).update(created_at=now - datetime.timedelta(hours=1))
    done = _stored(status=JobStatus.DONE, queued_at=now - datetime.timedelta(hours=1))

    assert sorted(uploads.requeue_stale_imports(now)) == sorted([stranded.pk, old.pk, not_sent.pk])
    # Marked as sent again now: the next sweep waits again before sending them.
    assert uploads.requeue_stale_imports(now) == []
    assert RegulatorImport.objects.get(pk=stranded.pk).queued_at == now
    assert RegulatorImport.objects.get(pk=not_sent.pk).error == ""
    del fresh, waiting, done


def test_the_beat_task_imports_a_stranded_upload(django_capture_on_commit_callbacks):
    upload = _stored(
        queued_at=timezone.now() - uploads.requeue_after() - datetime.timedelta(seconds=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.sweep_regulator_imports.apply_async()

    assert result.get() == [1, 0, 0]
    assert RegulatorImport.objects.get(pk=upload.pk).status == JobStatus.DONE


def test_an_import_whose_worker_died_is_restarted_then_failed_with_the_reason(
    django_capture_on_commit_callbacks,
):
    long_ago = timezone.now() - uploads.stale_after() - datetime.timedelta(minutes=1)
    restartable = _stored(status=JobStatus.RUNNING, started_at=long_ago, attempts=1)
    exhausted = _stored(
        status=JobStatus.RUNNING, started_at=long_ago, attempts=uploads.MAX_ATTEMPTS
    )
    busy = _stored(status=JobStatus.RUNNING, started_at=timezone.now(), attempts=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_regulator_imports() == [0, 1, 1]

    restartable.refresh_from_db()
    exhausted.refresh_from_db()
    assert (restartable.status, restartable.attempts) == (JobStatus.DONE, 2)
    assert exhausted.status == JobStatus.FAILED
    assert "stopped 3 times" in exhausted.error
    assert RegulatorImport.objects.get(pk=busy.pk).status == JobStatus.RUNNING


def test_an_import_delivered_twice_after_a_resend_runs_once(django_capture_on_commit_callbacks):
    upload = _stored(queued_at=timezone.now())

    assert uploads.run_regulator_import(upload.pk) is True
    assert uploads.run_regulator_import(upload.pk) is False
    assert RegulatorImport.objects.get(pk=upload.pk).attempts == 1
