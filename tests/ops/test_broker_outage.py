"""The broker goes down: match runs and an FDA upload started meanwhile are saved, stay queued
and say they will start; once it is back, everything queued finishes, sent again by the sweeps
beat runs, with no one clicking anything.

Real processes (tests/ops/services.py) in production settings: a redis-server of the session's
own, stopped and started again (empty, as an unsaved Redis comes back), a Celery worker and beat
that outlive the outage. Marked `slow`: runs when CI=true, skipped with the reason otherwise.
"""

import sys
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from core.choices import JobStatus
from matching import runs
from matching.models import Brief, Membership, Organisation, Run
from partners.importers.fda import uploads
from partners.models import DeaSchedule, Phase, RegulatorImport, RegulatoryAction, Term
from partners.vocabulary import install_vocabulary
from tests.factories import SiteCapabilityFactory, SiteFactory
from tests.ops import services
from tests.partners.test_regulator_upload import _compliance_actions_csv

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

THRESHOLDS = {"JOB_SWEEP_SECONDS": "1", "JOB_REQUEUE_SECONDS": "2"}


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def test_jobs_started_while_the_broker_is_down_finish_once_it_is_back(
    broker, django_user_model, settings, monkeypatch
):
    settings.JOB_REQUEUE_SECONDS = 2  # as the processes are told
    # The first upload in the admin is queued for a worker, however small.
    monkeypatch.setattr(uploads, "BIG_FILE_ROWS", 2)
    install_vocabulary(Term, Phase, DeaSchedule)
    # Given a sponsor with a brief, a curator, a worker and beat
    organisation = Organisation.objects.create(name="Helix", slug="helix")
    sponsor = django_user_model.objects.create_user("helen", password="pw")
    Membership.objects.create(user=sponsor, organisation=organisation)
    curator = django_user_model.objects.create_superuser("cora", password="pw")
    for _ in range(2):
        site = SiteFactory(country="DE", phases=[Phase.objects.get(slug="phase2")])
        SiteCapabilityFactory(site=site, term=Term.objects.get(slug="mab"))
    briefs = [
        Brief.objects.create(
            organisation=organisation, title=f"mAb {n}", modality=Term.objects.get(slug="mab")
        )
        for n in range(2)
    ]
    beat, _ = services.start_beat(broker.url, **THRESHOLDS)
    worker, _ = services.start_worker(broker.url, **THRESHOLDS)
    try:
        # When the broker goes down
        broker.stop()

        # and the sponsor starts two runs
        sponsor_client = Client()
        sponsor_client.force_login(sponsor)
        for brief in briefs:
            response = sponsor_client.post(f"/briefs/{brief.pk}/runs/", {"method": "weighted"})
            assert response.status_code == 302
            page = _text(sponsor_client.get(response["Location"]))
            assert "will start by itself once the queue is back" in page
        # and the curator uploads an FDA export
        curator_client = Client()
        curator_client.force_login(curator)
        response = curator_client.post(
            reverse("admin:partners_regulatorimport_add"),
            {
                "file": SimpleUploadedFile("compliance_actions.csv", _compliance_actions_csv()),
                "_save": "Upload",
            },
            follow=True,
        )
        assert response.status_code == 200
        assert "will start by itself once the queue is back" in _text(response)

        # Then everything waits, queued
        assert set(Run.objects.values_list("status", flat=True)) == {JobStatus.QUEUED}
        assert set(Run.objects.values_list("error", flat=True)) == {runs.BROKER_DOWN}
        assert RegulatorImport.objects.get().status == JobStatus.QUEUED

        # When the broker comes back (empty: the messages never reached it)
        broker.start()
        back_at = time.monotonic()

        # Then the sweeps send everything again, and the worker runs it all
        def everything_done() -> bool:
            return (
                set(Run.objects.values_list("status", flat=True)) == {JobStatus.DONE}
                and RegulatorImport.objects.get().status == JobStatus.DONE
            )

        assert services.wait_for(everything_done, timeout=90, every=0.5), (
            list(Run.objects.values("status", "error")),
            list(RegulatorImport.objects.values("status", "error")),
        )
        took = time.monotonic() - back_at
        sys.stderr.write(f"everything done {took:.1f} s after the broker came back\n")
        assert RegulatoryAction.objects.count() == 2
        assert list(Run.objects.values_list("eligible", flat=True)) == [2, 2]
    finally:
        if not broker.answers():
            broker.start()
        services.stop(worker)
        services.stop(beat)
