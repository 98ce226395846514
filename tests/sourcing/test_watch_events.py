"""Watched sites: what their records gain is told to their watchers once, and only that.

Helix (helen, a member; vera, a viewer) has a shortlist; otto of Northwind watches nothing. The
sweep is called as the beat calls it; `_shortlist` adds a site as the shortlist page does.
"""

import datetime
import threading
from pathlib import Path

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from core.locks import hold_transaction_lock
from partners.catalogue_version import bump_catalogue_version
from partners.importers.fda.importer import import_fda_file
from partners.models import (
    DeaSchedule,
    Phase,
    Published483,
    Published483RecordId,
    RegulatoryAction,
    Term,
)
from partners.vocabulary import install_vocabulary
from sourcing import pipeline, tasks
from sourcing.choices import AlertKind
from sourcing.models import Alert, Notification, NotificationSettings, Watch
from sourcing.watching import detection
from sourcing.watching.watchers import SWEEP_LOCK
from tests.factories import (
    CertificationFactory,
    InspectionFactory,
    ProviderFactory,
    RegulatoryActionFactory,
    SiteFactory,
)

FDA_FILES = Path(__file__).resolve().parents[2] / "partners" / "demo" / "fda"
TODAY = timezone.localdate()


def _told(user) -> list[Alert]:
    return [n.alert for n in Notification.objects.filter(recipient=user).select_related("alert")]


@pytest.fixture
def vocabulary(transactional_db):
    """Tests outside a transaction see the tables an earlier one emptied: vocabulary included."""
    install_vocabulary(Term, Phase, DeaSchedule)


@pytest.fixture
def site(db):
    return SiteFactory(
        name="Leverkusen", provider=ProviderFactory(name="Rhine Pharma"), fei_number="3001234567"
    )


@pytest.fixture
def watched(site, helix_list, helen, vera):
    """The site, on Helix's shortlist, with a clean inspection and an old warning letter."""
    InspectionFactory(site=site, fei_number=site.fei_number, classification="NAI")
    RegulatoryActionFactory(site=site, fei_number=site.fei_number, case_id="500001")
    pipeline.add_sites(helix_list, [site.pk], helen)
    return site


def test_a_new_warning_letter_on_a_shortlisted_site_is_told_to_every_member_once(
    watched, helen, vera, otto
):
    letter = RegulatoryActionFactory(
        site=watched, fei_number=watched.fei_number, case_id="710232", action_date=TODAY
    )

    detection.sweep()
    detection.sweep()

    for member in (helen, vera):
        (alert,) = _told(member)
        assert alert.kind == AlertKind.WARNING_LETTER
        assert alert.title == "Warning letter: Rhine Pharma — Leverkusen"
        assert alert.url == f"/providers/{watched.provider.slug}/#action-{letter.pk}"
        assert alert.items[0]["text"] == f"FDA warning letter 710232 dated {TODAY.isoformat()}"
    assert _told(otto) == []


def test_what_a_record_held_when_the_watch_began_is_not_told(watched, helen):
    detection.sweep()

    assert _told(helen) == []


def test_a_corrected_action_is_not_a_new_event(watched, helen):
    letter = watched.actions.get()
    letter.action_date = letter.action_date - datetime.timedelta(days=2)
    letter.product_type = "Drugs"
    letter.save()

    detection.sweep()

    assert _told(helen) == []


def test_an_oai_inspection_is_one_event_however_many_project_areas(watched, helen):
    for area in ("Drug Quality Assurance", "Bioresearch Monitoring", "Compliance"):
        InspectionFactory(
            site=watched,
            fei_number=watched.fei_number,
            inspection_id="9990001",
            project_area=area,
            classification="OAI",
            end_date=TODAY - datetime.timedelta(days=10),
        )
    detection.sweep()
    InspectionFactory(
        site=watched,
        fei_number=watched.fei_number,
        inspection_id="9990001",
        project_area="Pharmacy",
        classification="OAI",
        end_date=TODAY - datetime.timedelta(days=10),
    )
    detection.sweep()

    (alert,) = _told(helen)
    inspection_items = [item for item in alert.items if item["kind"] == AlertKind.INSPECTION]
    ended = (TODAY - datetime.timedelta(days=10)).isoformat()
    assert [item["text"] for item in inspection_items] == [
        f"FDA inspection 9990001 classified OAI, ended {ended}"
    ]
    # The first row the profile shows it on: "Bioresearch Monitoring" sorts first.
    first = watched.inspections.get(inspection_id="9990001", project_area="Bioresearch Monitoring")
    assert inspection_items[0]["url"].endswith(f"#inspection-{first.pk}")


def test_an_nai_inspection_is_no_event(watched, helen):
    InspectionFactory(
        site=watched, fei_number=watched.fei_number, classification="NAI", end_date=TODAY
    )

    detection.sweep()

    assert _told(helen) == []


def test_a_483_is_told_once_even_when_fda_publishes_it_again_under_a_new_record_id(watched, helen):
    document = Published483.objects.create(
        fei_number=watched.fei_number,
        legal_name="Rhine Pharma",
        record_type="483",
        record_date=TODAY - datetime.timedelta(days=30),
        publish_date=TODAY,
        download_url="https://www.fda.gov/media/1/download",
    )
    Published483RecordId.objects.create(document=document, record_id="1001")
    detection.sweep()
    Published483RecordId.objects.create(document=document, record_id="2002")
    detection.sweep()

    (alert,) = _told(helen)
    assert alert.kind == AlertKind.FORM_483
    assert alert.url.endswith(f"#483-{document.pk}")


def test_records_an_fei_change_attaches_arrive_as_one_summary(helix_list, helen):
    site = SiteFactory(name="Basel", provider=ProviderFactory(name="Alpine Bio"), fei_number="")
    pipeline.add_sites(helix_list, [site.pk], helen)
    RegulatoryActionFactory(fei_number="3009999999", case_id="620001", action_date=TODAY)
    RegulatoryActionFactory(
        fei_number="3009999999", action_type="import-alert", case_id="66-40", action_date=TODAY
    )
    InspectionFactory(
        fei_number="3009999999", classification="OAI", end_date=TODAY - datetime.timedelta(days=5)
    )

    site.fei_number = "3009999999"
    site.save()  # the curator's edit: the site takes the records of its FEI
    detection.sweep()

    (alert,) = _told(helen)
    assert alert.title == "3 new records on Alpine Bio — Basel, most serious: Warning letter"
    assert sorted(item["kind"] for item in alert.items) == [
        AlertKind.IMPORT_ALERT,
        AlertKind.INSPECTION,
        AlertKind.WARNING_LETTER,
    ]


def test_an_inspection_made_oai_is_told_again_with_the_score_it_cost(watched, helen):
    inspection = InspectionFactory(
        site=watched,
        fei_number=watched.fei_number,
        classification="VAI",
        end_date=TODAY - datetime.timedelta(days=60),
    )
    detection.sweep()  # the VAI inspection, told
    Notification.objects.all().delete()

    inspection.classification = "OAI"  # FDA's final classification: same inspection, worse
    inspection.save()
    detection.sweep()

    (alert,) = _told(helen)
    assert alert.kind == AlertKind.INSPECTION
    assert alert.title == "OAI or VAI inspection: Rhine Pharma — Leverkusen"
    assert [item["kind"] for item in alert.items] == [
        AlertKind.INSPECTION,
        AlertKind.COMPLIANCE_DROP,
    ]
    assert alert.items[1]["text"].startswith("Compliance score fell from ")


def test_a_known_letter_redated_is_no_new_letter_but_the_score_it_costs_is_told(watched, helen):
    letter = watched.actions.get()  # case 500001, three years old: the watch knows it
    letter.action_date = TODAY - datetime.timedelta(days=10)  # a curator's correction
    letter.save()

    detection.sweep()

    (alert,) = _told(helen)
    assert alert.kind == AlertKind.COMPLIANCE_DROP
    assert alert.title.startswith("Compliance score fell from ")
    assert alert.title.endswith(": Rhine Pharma — Leverkusen")
    assert [item["kind"] for item in alert.items] == [AlertKind.COMPLIANCE_DROP]


def test_the_scores_decay_with_time_is_not_told(watched, helen):
    InspectionFactory(
        site=watched, fei_number=watched.fei_number, classification="NAI", end_date=TODAY
    )
    detection.sweep(TODAY)
    Notification.objects.all().delete()

    detection.sweep(TODAY + datetime.timedelta(days=3 * 365))

    assert _told(helen) == []


def test_a_certificate_is_told_when_it_enters_its_last_90_days_and_when_it_expires(
    site, helix_list, helen
):
    CertificationFactory(
        site=site, reference="DE_GMP_1", valid_until=TODAY + datetime.timedelta(days=200)
    )
    pipeline.add_sites(helix_list, [site.pk], helen)

    detection.sweep(TODAY + datetime.timedelta(days=100))
    detection.sweep(TODAY + datetime.timedelta(days=120))
    detection.sweep(TODAY + datetime.timedelta(days=201))

    texts = [alert.items[0]["text"] for alert in reversed(_told(helen))]
    until = (TODAY + datetime.timedelta(days=200)).isoformat()
    assert texts == [
        f"EU GMP certificate DE_GMP_1 expires on {until}",
        f"EU GMP certificate DE_GMP_1 expired on {until}",
    ]


def test_a_user_watching_a_provider_is_told_of_its_sites(site, otto):
    Watch.objects.create(user=otto, provider=site.provider)
    RegulatoryActionFactory(site=site, fei_number=site.fei_number, action_date=TODAY)

    detection.sweep()

    assert [alert.kind for alert in _told(otto)] == [AlertKind.WARNING_LETTER]


def test_a_site_nobody_watches_raises_nothing_and_a_later_watch_starts_afresh(site, otto):
    RegulatoryActionFactory(site=site, fei_number=site.fei_number, action_date=TODAY)
    detection.sweep()
    Watch.objects.create(user=otto, site=site)

    detection.sweep()

    assert Alert.objects.count() == 0


def test_a_member_who_turned_a_kind_off_is_not_told_of_it(watched, helen, vera):
    NotificationSettings.objects.create(
        user=vera, kinds=[kind for kind in AlertKind.values if kind != AlertKind.WARNING_LETTER]
    )
    RegulatoryActionFactory(site=watched, fei_number=watched.fei_number, action_date=TODAY)

    detection.sweep()

    assert len(_told(helen)) == 1
    assert _told(vera) == []


def test_an_inactive_user_is_not_told(watched, helen, vera):
    vera.is_active = False
    vera.save()
    RegulatoryActionFactory(site=watched, fei_number=watched.fei_number, action_date=TODAY)

    detection.sweep()

    assert _told(vera) == []


def test_the_sweep_task_delivered_twice_tells_once(watched, helen):
    RegulatoryActionFactory(site=watched, fei_number=watched.fei_number, action_date=TODAY)

    tasks.scan_certificates.apply()
    tasks.scan_certificates.apply()

    assert Notification.objects.filter(recipient=helen).count() == 1


def test_an_edit_sends_the_sweep_when_it_commits(
    watched, helen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        RegulatoryActionFactory(site=watched, fei_number=watched.fei_number, action_date=TODAY)

    assert [alert.kind for alert in _told(helen)] == [AlertKind.WARNING_LETTER]


def test_a_broker_outage_delays_the_notification_and_loses_none(
    watched, helen, django_capture_on_commit_callbacks, monkeypatch
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    with monkeypatch.context() as patched:
        patched.setattr(tasks.sweep_watched_sites, "apply_async", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            RegulatoryActionFactory(site=watched, fei_number=watched.fei_number, action_date=TODAY)
    assert _told(helen) == []

    tasks.sweep_watched_sites.apply()  # the beat's next sweep, the broker back

    assert [alert.kind for alert in _told(helen)] == [AlertKind.WARNING_LETTER]


def test_importing_fda_letters_tells_once_and_importing_them_again_tells_nothing(helix_list, helen):
    site = SiteFactory(name="Kabana", fei_number="3015118914")
    pipeline.add_sites(helix_list, [site.pk], helen)
    letters = FDA_FILES / "warning_letters_2025.csv"

    import_fda_file(letters)
    detection.sweep()
    import_fda_file(letters)
    detection.sweep()

    (alert,) = _told(helen)
    assert alert.kind == AlertKind.WARNING_LETTER
    assert "710232" in alert.items[0]["text"]


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_tell_once(vocabulary, helen, helix_list):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time anyway")
    sites = [SiteFactory(fei_number=f"30000000{n:02d}") for n in range(20)]
    pipeline.add_sites(helix_list, [site.pk for site in sites], helen)
    for site in sites:
        RegulatoryActionFactory(site=site, fei_number=site.fei_number, action_date=TODAY)
    workers = 4
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait()
            detection.sweep()
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Notification.objects.filter(recipient=helen).count() == 20
    assert Alert.objects.count() == 20


def test_fdas_corrections_of_known_actions_are_no_events_and_its_new_letters_are(helix_list, helen):
    # 83 actions of compliance_actions.csv come back in warning_letters_2025.csv renamed or
    # redated (NATCO's letter 672564 moved a day), on FEIs with no new letter; Glenmark's
    # letter 708270 of July 2025 is new.
    import_fda_file(FDA_FILES / "compliance_actions.csv")
    natco = SiteFactory(name="NATCO Pharma Limited", fei_number="3004540906")
    zinctek = SiteFactory(name="Advance Zinctek Limited", fei_number="3025978151")
    glenmark = SiteFactory(name="Glenmark Pharmaceuticals Limited", fei_number="3008565058")
    pipeline.add_sites(helix_list, [natco.pk, zinctek.pk, glenmark.pk], helen)

    report = import_fda_file(FDA_FILES / "warning_letters_2025.csv")
    detection.sweep()

    assert report.updated == 87
    (alert,) = _told(helen)
    assert alert.site_id == glenmark.pk
    assert "708270" in alert.items[0]["text"]


@pytest.mark.django_db(transaction=True)
def test_a_sweep_sent_while_another_runs_skips_and_the_next_finds_the_news(
    vocabulary, helen, helix_list
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time anyway")
    site = SiteFactory(fei_number="3000000077")
    pipeline.add_sites(helix_list, [site.pk], helen)
    # Written in bulk, as the importers do: no signal sends a sweep of its own.
    RegulatoryAction.objects.bulk_create(
        [RegulatoryActionFactory.build(site=site, fei_number=site.fei_number, action_date=TODAY)]
    )
    bump_catalogue_version()
    holding, release = threading.Event(), threading.Event()

    def sweep_under_way() -> None:
        try:
            with transaction.atomic():
                hold_transaction_lock(SWEEP_LOCK)
                holding.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    other = threading.Thread(target=sweep_under_way)
    other.start()
    holding.wait(timeout=30)
    try:
        skipped = detection.sweep_if_changed()
    finally:
        release.set()
        other.join()

    assert skipped.skipped
    assert _told(helen) == []
    assert not detection.sweep_if_changed().skipped  # the next one is not skipped
    assert [alert.kind for alert in _told(helen)] == [AlertKind.WARNING_LETTER]


def test_an_establishment_named_after_its_firm_is_named_by_its_city(helix_list, helen):
    site = SiteFactory(
        name="Zhejiang Huahai Pharmaceutical Co., Ltd. (Linhai)",
        city="Linhai",
        provider=ProviderFactory(name="Zhejiang Huahai Pharmaceutical Co., Ltd."),
        fei_number="3003999190",
    )
    pipeline.add_sites(helix_list, [site.pk], helen)
    RegulatoryActionFactory(site=site, fei_number=site.fei_number, action_date=TODAY)

    detection.sweep()

    (alert,) = _told(helen)
    assert alert.title == "Warning letter: Zhejiang Huahai Pharmaceutical Co., Ltd. — Linhai"
