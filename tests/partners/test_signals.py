"""A curator's edit of an inspection or regulatory action recomputes its site's compliance score
once the edit commits (partners/signals.py)."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from partners.models import Inspection, RegulatoryAction, Site
from partners.regulatory.stored_scores import recompute_compliance_scores
from partners.tasks import recompute_compliance
from tests.factories import InspectionFactory, RegulatoryActionFactory, SiteFactory
from tests.partners.commits import catalogue_callbacks

FEI = "3001234567"
OTHER_FEI = "3007654321"


def _days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def _scored_site(fei: str = FEI) -> Site:
    """A site with one recent clean inspection, its score stored as the nightly job would."""
    site = SiteFactory(fei_number=fei)
    InspectionFactory(fei_number=fei, classification="NAI", end_date=_days_ago(200))
    recompute_compliance_scores([site.pk])
    site.refresh_from_db()
    return site


@pytest.mark.django_db
def test_saving_an_oai_inspection_lowers_the_sites_stored_score(
    django_capture_on_commit_callbacks,
):
    # Given a site with a clean record and its stored score
    site = _scored_site()
    before = site.compliance_score

    # When a curator adds an OAI inspection in the admin (which saves the model, as here)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        Inspection(
            authority="FDA",
            fei_number=FEI,
            inspection_id="7100001",
            end_date=_days_ago(30),
            classification="OAI",
        ).save()

    # Then, once it commits, the stored score is recomputed and lower
    assert len(catalogue_callbacks(callbacks)) == 1
    site.refresh_from_db()
    assert site.compliance_score < before - 30
    assert site.compliance_as_of == timezone.localdate()


@pytest.mark.django_db
def test_nothing_is_recomputed_before_the_edit_commits(django_capture_on_commit_callbacks):
    site = _scored_site()
    before = site.compliance_score

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        inspection = Inspection.objects.get(site=site)
        inspection.classification = "OAI"
        inspection.save()

    assert len(catalogue_callbacks(callbacks)) == 1
    site.refresh_from_db()
    assert site.compliance_score == before


@pytest.mark.django_db
def test_changing_a_records_fei_recomputes_the_site_it_left_and_the_one_it_joined(
    django_capture_on_commit_callbacks,
):
    # Given two sites, and a warning letter filed under the first one's FEI
    first = _scored_site(FEI)
    second = _scored_site(OTHER_FEI)
    clean = second.compliance_score
    letter = RegulatoryActionFactory(fei_number=FEI, action_date=_days_ago(60))
    recompute_compliance_scores([first.pk])
    first.refresh_from_db()
    assert first.compliance_score < clean

    # When a curator corrects its FEI to the second site's
    with django_capture_on_commit_callbacks(execute=True):
        letter.fei_number = OTHER_FEI
        letter.save()

    # Then the letter weighs on the second site, and no longer on the first
    first.refresh_from_db()
    second.refresh_from_db()
    assert letter.site_id == second.pk
    assert first.compliance_score == clean
    assert second.compliance_score < clean


@pytest.mark.django_db
def test_deleting_a_warning_letter_recomputes_the_sites_score(
    django_capture_on_commit_callbacks,
):
    site = _scored_site()
    clean = site.compliance_score
    letter = RegulatoryActionFactory(fei_number=FEI, action_date=_days_ago(60))
    recompute_compliance_scores([site.pk])
    site.refresh_from_db()
    assert site.compliance_score < clean

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        letter.delete()

    assert len(catalogue_callbacks(callbacks)) == 1
    site.refresh_from_db()
    assert site.compliance_score == clean


@pytest.mark.django_db
def test_records_of_no_site_and_raw_saves_enqueue_nothing(django_capture_on_commit_callbacks):
    site = SiteFactory(fei_number=FEI)
    with django_capture_on_commit_callbacks() as callbacks:
        # A record whose FEI no site carries yet
        InspectionFactory(fei_number="3009999999")
        # A fixture being loaded (`loaddata` saves raw)
        now = timezone.now()
        raw = RegulatoryAction(
            site=site,
            authority="FDA",
            action_type="warning-letter",
            action_date=_days_ago(5),
            created_at=now,
            updated_at=now,
        )
        raw.save_base(raw=True)

    assert catalogue_callbacks(callbacks) == []
    assert Site.objects.get(pk=site.pk).compliance_as_of is None


@pytest.mark.django_db
def test_one_recompute_per_transaction_however_many_records_it_saves(
    django_capture_on_commit_callbacks, monkeypatch
):
    # Given two sites, and a task queue that records what is sent to it
    first = SiteFactory(fei_number=FEI)
    second = SiteFactory(fei_number=OTHER_FEI)
    sent = []
    monkeypatch.setattr(recompute_compliance, "delay", sent.append)

    # When an import saves five records of the two sites in one transaction
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for n in range(3):
            InspectionFactory(fei_number=FEI, end_date=_days_ago(100 + n))
        for n in range(2):
            RegulatoryActionFactory(fei_number=OTHER_FEI, action_date=_days_ago(50 + n))

    # Then one task recomputes both sites
    assert sent == [sorted([first.pk, second.pk])]


@pytest.mark.django_db
def test_a_rolled_back_savepoint_does_not_lose_the_recompute_of_a_later_save(
    django_capture_on_commit_callbacks,
):
    site = _scored_site()
    before = site.compliance_score

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        try:
            with transaction.atomic():
                InspectionFactory(fei_number=FEI, classification="VAI")
                raise RuntimeError("the import rejects this line")
        except RuntimeError:
            pass
        InspectionFactory(fei_number=FEI, classification="OAI", end_date=_days_ago(10))

    site.refresh_from_db()
    assert site.compliance_score < before - 30
