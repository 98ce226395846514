"""Curators upload FDA exports in the admin: small files import at once, big ones in a worker
with a progress bar, and both end on a report page; FEIs matching no site are listed for them."""

import datetime
from pathlib import Path

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.choices import JobStatus
from partners.importers.fda import uploads
from partners.importers.fda.uploads import estimate_rows, run_regulator_import, stored_upload
from partners.models import RegulatorImport, RegulatoryAction
from partners.tasks import run_regulator_import as run_regulator_import_task
from tests.factories import InspectionFactory, RegulatoryActionFactory, SiteFactory

pytestmark = pytest.mark.django_db

FDA_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "fda"
HEADER = (
    "FEI Number,Legal Name,State,Country/Area,Product Type,Action Taken Date,Action Type,"
    "Case/Injunction ID\n"
)
MATCHED_FEI = "3002808523"
UNMATCHED_FEI = "3003320065"


def _compliance_actions_csv() -> bytes:
    """Three actions in FDA's compliance-actions format: one for a site in the catalogue, one
    for a firm no site is, one with a date FDA never wrote (line 4)."""
    return (
        HEADER
        + f"{MATCHED_FEI},Rhine Valley Pharma GmbH,-,Germany,Drugs,2024-05-02,Warning Letter,"
        "671234\n"
        + f'{UNMATCHED_FEI},"Laboratorio Magnachem International, S.A.",-,Dominican Republic,'
        "Drugs,2024-06-21,Warning Letter,673796\n"
        + '1720129,"Optikem International, Inc.",Colorado,United States,Drugs,2024-13-45,'
        "Warning Letter,680264\n"
    ).encode()


@pytest.fixture
def curator(django_user_model):
    user = django_user_model.objects.create_user("cora", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Curators"))
    return user


def _upload(client, name: str, content: bytes):
    return client.post(
        reverse("admin:partners_regulatorimport_add"),
        {"file": SimpleUploadedFile(name, content, content_type="text/csv"), "_save": "Upload"},
    )


def _stored(name: str, content: bytes, **fields) -> RegulatorImport:
    return RegulatorImport.objects.create(
        **{**stored_upload(SimpleUploadedFile(name, content)), **fields}
    )


def test_curator_uploads_a_small_file_and_reads_its_report_at_once(client, curator):
    # Given a site carrying one of the file's FEIs
    site = SiteFactory(fei_number=MATCHED_FEI)
    client.force_login(curator)

    # When a curator uploads the file
    response = _upload(client, "compliance_actions.csv", _compliance_actions_csv())

    # Then it is imported in the request, and the curator lands on its report
    upload = RegulatorImport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:partners_regulatorimport_change", args=[upload.pk])
    assert upload.status == JobStatus.DONE
    assert upload.created_by == curator
    assert (upload.rows_done, upload.rows_total) == (3, 3)
    assert upload.report["created"] == 2
    assert upload.report["rejected"] == 1
    assert RegulatoryAction.objects.get(fei_number=MATCHED_FEI).site == site

    page = client.get(response.url).content.decode()
    assert "Rows read" in page
    assert "<progress" not in page
    assert 'hx-trigger="every 1s"' not in page
    # the rejected row, by its line number and reason
    assert '<td class="import-number">4</td>' in page
    assert "is not a day of the calendar" in page
    # the FEI matching no site, as FDA names its holder
    assert UNMATCHED_FEI in page
    assert "Laboratorio Magnachem International, S.A." in page
    assert "Dominican Republic" in page
    assert f"fei_number={UNMATCHED_FEI}" in page  # "add a site with this FEI"


def test_a_big_upload_is_queued_and_the_task_imports_it(
    client, curator, monkeypatch, django_capture_on_commit_callbacks
):
    # Given a threshold the file is over
    monkeypatch.setattr(uploads, "BIG_FILE_ROWS", 2)
    client.force_login(curator)

    # When a curator uploads it
    with django_capture_on_commit_callbacks() as callbacks:
        response = _upload(client, "compliance_actions.csv", _compliance_actions_csv())

    # Then the request only queues it (the task is sent once the upload is committed)...
    upload = RegulatorImport.objects.get()
    assert response.status_code == 302
    assert upload.status == JobStatus.QUEUED
    assert len(callbacks) == 1
    page = client.get(response.url).content.decode()
    assert "<progress" in page
    assert "Waiting for a worker" in page

    # ...and the task (run in-process here) imports it
    callbacks[0]()
    upload.refresh_from_db()
    assert upload.status == JobStatus.DONE
    assert upload.rows_done == upload.rows_total == 3
    assert upload.started_at <= upload.finished_at
    assert RegulatoryAction.objects.count() == 2


def test_a_big_file_in_bytes_goes_to_a_worker_whatever_its_rows(monkeypatch):
    monkeypatch.setattr(uploads, "BIG_FILE_BYTES", 100)
    upload = RegulatorImport(size=101, rows_total=3)

    assert uploads.runs_in_worker(upload)
    assert not uploads.runs_in_worker(RegulatorImport(size=100, rows_total=3))


@pytest.mark.skipif(not FDA_DATA.is_dir(), reason=f"no real FDA exports at {FDA_DATA}")
def test_rows_are_estimated_cheaply_for_csv_and_xlsx():
    assert estimate_rows(_compliance_actions_csv()) == 4
    assert estimate_rows(b"a,b\n1,2") == 2
    # a workbook as its sheet states its size
    workbook = (FDA_DATA / "published_483s_2025.xlsx").read_bytes()
    assert estimate_rows(workbook) == 1852
    # a damaged workbook: unknown, so it goes to a worker
    assert estimate_rows(workbook[:1000]) is None
    assert uploads.runs_in_worker(RegulatorImport(size=1000, rows_total=None))


def test_the_progress_fragment_polls_while_running_and_stops_when_done(client, curator):
    upload = _stored(
        "inspections.csv", b"x", status=JobStatus.RUNNING, rows_done=500, rows_total=2000
    )
    client.force_login(curator)
    url = reverse("admin:partners_regulatorimport_progress", args=[upload.pk])

    running = client.get(url).content.decode()

    assert '<progress max="100" value="25"' in running
    assert "500 of about 2,000 rows (25%)" in running
    assert f'hx-get="{url}"' in running
    assert 'hx-trigger="every 1s"' in running

    RegulatorImport.objects.filter(pk=upload.pk).update(
        status=JobStatus.DONE,
        finished_at=timezone.now(),
        report={"rows_read": 2000, "created": 1990, "rejected": 10, "rejections": []},
    )
    done = client.get(url).content.decode()

    assert "<progress" not in done
    assert "hx-trigger" not in done
    assert "1,990" in done


def test_the_change_page_polls_with_htmx_while_queued(client, curator):
    upload = _stored("inspections.csv", b"x")
    client.force_login(curator)

    page = client.get(reverse("admin:partners_regulatorimport_change", args=[upload.pk]))

    assert b"js/htmx-2.0.11.min.js" in page.content
    assert b'hx-trigger="every 1s"' in page.content
    assert b"<progress" in page.content
    assert b'name="_save"' not in page.content  # an import is read-only


def test_an_unreadable_file_ends_failed_with_the_reason(client, curator):
    client.force_login(curator)

    _upload(client, "export.csv", bytes(range(256)) * 10)

    upload = RegulatorImport.objects.get()
    assert upload.status == JobStatus.FAILED
    assert "binary file" in upload.error
    assert upload.finished_at is not None
    page = client.get(reverse("admin:partners_regulatorimport_change", args=[upload.pk]))
    assert b"Nothing was imported: this is a binary file" in page.content
    assert b"hx-trigger" not in page.content


def test_an_unexpected_error_ends_the_import_failed_not_running(monkeypatch):
    def broken_importer(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(uploads, "import_fda_file", broken_importer)
    upload = _stored("compliance_actions.csv", _compliance_actions_csv())

    assert run_regulator_import(upload.pk) is True

    upload.refresh_from_db()
    assert upload.status == JobStatus.FAILED
    assert "the database went away" in upload.error
    assert upload.finished_at is not None


def test_an_import_over_its_time_limit_ends_failed_with_advice(monkeypatch):
    def slow_importer(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(uploads, "import_fda_file", slow_importer)
    upload = _stored("compliance_actions.csv", _compliance_actions_csv())

    run_regulator_import(upload.pk)

    upload.refresh_from_db()
    assert upload.status == JobStatus.FAILED
    assert "took longer than 20 minutes" in upload.error
    assert "Split the file" in upload.error


def test_running_the_task_twice_imports_once():
    # Given a queued import
    upload = _stored("compliance_actions.csv", _compliance_actions_csv())
    assert run_regulator_import_task.acks_late

    # When its task is delivered twice
    first = run_regulator_import_task.delay(upload.pk).get()
    second = run_regulator_import_task.delay(upload.pk).get()

    # Then only the first claims and runs it
    assert (first, second) == (True, False)
    upload.refresh_from_db()
    assert upload.status == JobStatus.DONE
    assert upload.report["created"] == 2
    assert RegulatoryAction.objects.count() == 2


def test_a_task_for_a_deleted_import_does_nothing():
    assert run_regulator_import(123456) is False


def test_an_import_left_running_by_a_dead_worker_is_claimed_again():
    long_ago = timezone.now() - uploads.stale_after() - datetime.timedelta(minutes=1)
    stale = _stored(
        "a.csv", _compliance_actions_csv(), status=JobStatus.RUNNING, started_at=long_ago
    )
    busy = _stored(
        "b.csv", _compliance_actions_csv(), status=JobStatus.RUNNING, started_at=timezone.now()
    )

    assert run_regulator_import(stale.pk) is True
    assert run_regulator_import(busy.pk) is False
    assert RegulatorImport.objects.get(pk=stale.pk).status == JobStatus.DONE
    assert RegulatorImport.objects.get(pk=busy.pk).status == JobStatus.RUNNING


def test_progress_is_written_as_rows_are_read(monkeypatch):
    upload = _stored("a.csv", b"x", status=JobStatus.RUNNING, rows_total=5000)
    writer = uploads.ProgressWriter(upload.pk, upload.rows_total)

    with writer:
        writer(2000, None)  # a CSV: the importer does not know the total
        writer(2500, None)  # under PROGRESS_EVERY_ROWS since the last write: skipped

    upload.refresh_from_db()
    assert (upload.rows_done, upload.rows_total) == (2000, 5000)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "The file is empty"),
        ("inspections.pdf", b"%PDF-1.7", "is not a CSV or XLSX file"),
    ],
)
def test_a_bad_upload_is_refused_on_the_file_field(client, curator, name, content, message):
    client.force_login(curator)

    response = _upload(client, name, content)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["file"]
    assert message in errors["file"][0]
    assert message in response.content.decode()
    assert not RegulatorImport.objects.exists()


def test_a_file_over_the_limit_is_refused(client, curator, monkeypatch):
    monkeypatch.setattr("partners.forms.MAX_UPLOAD_BYTES", 10)
    client.force_login(curator)

    response = _upload(client, "compliance_actions.csv", _compliance_actions_csv())

    errors = response.context["adminform"].form.errors
    assert "the largest file accepted is 10\xa0bytes" in errors["file"][0]
    assert not RegulatorImport.objects.exists()


def test_staff_without_the_permissions_cannot_upload_or_read_imports(client, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    upload = _stored("a.csv", b"x")
    client.force_login(clerk)

    for url in [
        reverse("admin:partners_regulatorimport_add"),
        reverse("admin:partners_regulatorimport_changelist"),
        reverse("admin:partners_regulatorimport_change", args=[upload.pk]),
        reverse("admin:partners_regulatorimport_progress", args=[upload.pk]),
        reverse("admin:partners_regulatorimport_unmatched_feis"),
    ]:
        assert client.get(url).status_code == 403, url
    response = _upload(client, "compliance_actions.csv", _compliance_actions_csv())
    assert response.status_code == 403
    assert RegulatorImport.objects.count() == 1


def test_curators_may_import():
    permissions = Group.objects.get(name="Curators").permissions.filter(
        content_type__model="regulatorimport"
    )

    assert {p.codename for p in permissions} == {
        "add_regulatorimport",
        "change_regulatorimport",
        "delete_regulatorimport",
        "view_regulatorimport",
    }


def test_unmatched_feis_are_listed_until_a_site_carries_them(
    client, curator, django_assert_max_num_queries
):
    # Given records naming an FEI no site carries (FDA renamed the firm in between)
    RegulatoryActionFactory(
        fei_number="3001234567",
        legal_name="Old Name Labs",
        country_area="India",
        action_date=datetime.date(2019, 7, 1),
    )
    InspectionFactory(
        fei_number="3001234567",
        legal_name="Shreya Life Sciences Pvt. Ltd.",
        country_area="India",
        end_date=datetime.date(2023, 3, 2),
    )
    # and a record of a site that carries its FEI
    RegulatoryActionFactory(fei_number="3009999999", legal_name="Known Pharma")
    SiteFactory(fei_number="3009999999")
    client.force_login(curator)
    url = reverse("admin:partners_regulatorimport_unmatched_feis")

    # When a curator opens the list: session, user, permissions, one query per record model
    with django_assert_max_num_queries(7):
        page = client.get(url).content.decode()

    # Then the FEI is there, with FDA's latest name and country, its records and a way to add it
    assert "3001234567" in page
    assert "Shreya Life Sciences Pvt. Ltd." in page
    assert "Old Name Labs" not in page
    assert "India" in page
    assert "1 inspection, 1 action" in page
    assert "2023-03-02" in page
    assert f"{reverse('admin:partners_site_add')}?fei_number=3001234567&amp;country=IN" in page
    assert "Known Pharma" not in page

    # and searching by name finds it
    assert "3001234567" in client.get(url, {"q": "shreya"}).content.decode()
    assert "3001234567" not in client.get(url, {"q": "nobody"}).content.decode()

    # When a site with that FEI is created, it is gone
    SiteFactory(fei_number="3001234567")
    assert "3001234567" not in client.get(url).content.decode()


def test_the_import_list_links_to_the_unmatched_feis(client, curator):
    _stored("a.csv", b"x")
    client.force_login(curator)

    page = client.get(reverse("admin:partners_regulatorimport_changelist")).content.decode()

    assert reverse("admin:partners_regulatorimport_unmatched_feis") in page
