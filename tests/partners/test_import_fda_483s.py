"""Published 483s FDA renumbered are one document each: the importer merges a row naming a known
document (same FEI, record date and download URL) under a new Record ID, whichever export comes
first, and says how many it merged; migration 0010 merges those stored twice before."""

import datetime
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from partners.importers.fda import importer as fda
from partners.models import Published483, Published483RecordId, RegulatorImport
from tests.factories import SiteFactory

DATA = Path(__file__).resolve().parent / "data"
# Rows of FDA's two published-483 exports (data/README.md): five documents are in both, under
# a Record ID of each export.
EARLIER = DATA / "published_483s_renumbered.csv"
LATER = DATA / "published_483s_2025_renumbered.xlsx"
# The whole exports, where the repository has its sibling `shared/` (README.md there).
FDA_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "fda"
HEADER = "Record Date,FEI Number,Legal Name,Record Type,Publish Date,Download,Record ID"


def run_import(*paths: Path) -> str:
    """The command's output; fails the test if it raised."""
    out = io.StringIO()
    call_command("import_fda", *map(str, paths), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def write_csv(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def documents() -> list[tuple]:
    """Every stored 483 as its identity, values and Record IDs; not its source, which says
    which file last changed its values."""
    return sorted(
        (
            document.fei_number,
            str(document.record_date),
            document.download_url,
            document.legal_name,
            document.record_type,
            document.publish_date,
            tuple(document.record_id_list),
        )
        for document in Published483.objects.prefetch_related("record_ids")
    )


def document(record_id: str) -> Published483:
    return Published483.objects.get(record_ids__record_id=record_id)


# -- Importing both exports --------------------------------------------------------------------


@pytest.mark.django_db
def test_both_exports_store_a_renumbered_483_once_with_both_record_ids():
    run_import(EARLIER)

    out = run_import(LATER)

    assert Published483.objects.count() == 8 + 3
    assert "Rows read: 8. Created: 3. Updated: 0. Merged: 5. Unchanged: 0. Rejected: 0." in out
    assert "Merged rows name a 483 already stored under another Record ID" in out
    assert Published483RecordId.objects.count() == 8 + 8
    delta = document("269271")
    assert delta.record_id_list == ["269271", "287262"]
    assert (delta.fei_number, delta.legal_name) == ("3004034796", "Delta Pharma, Inc.")
    # Without FEI, and without FEI or record date: the same identity still.
    assert document("269939").record_id_list == ["269939", "287660"]
    assert document("269364").record_id_list == ["269364", "288072"]
    assert document("269364").record_date is None
    # Another download URL, another FEI: other documents, as far as their identity says.
    assert document("269272") != document("287263")
    assert document("270222") != document("287135")


@pytest.mark.django_db
@pytest.mark.skipif(not FDA_DATA.is_dir(), reason=f"no real FDA exports at {FDA_DATA}")
def test_the_whole_exports_hold_1508_renumbered_483s():
    run_import(FDA_DATA / "published_483s.csv")

    out = run_import(FDA_DATA / "published_483s_2025.xlsx")

    assert "Rows read: 1,851. Created: 343. Updated: 0. Merged: 1,508. Unchanged: 0." in out
    assert Published483.objects.count() == 1723 + 343
    assert Published483RecordId.objects.count() == 1723 + 1851


@pytest.mark.django_db
def test_a_merged_483_has_the_values_fda_gives_under_its_latest_record_id_in_either_order():
    run_import(LATER, EARLIER)
    later_first = documents()
    Published483.objects.all().delete()

    out = run_import(EARLIER, LATER)

    assert documents() == later_first
    assert "Merged: 5." in out
    # FDA renamed the firm and dated the posting later under its new Record ID, 287259...
    jubilant = document("269270")
    assert jubilant.legal_name == "Jubilant DraxImage Radiopharmacies Inc. dba Jubilant Radiopharma"
    assert jubilant.publish_date == datetime.date(2024, 6, 13)
    assert jubilant.source.endswith("(published_483s_2025_renumbered.xlsx)")
    # ... and here under 288820 it dated it earlier: the latest Record ID wins, not the date.
    akorn = document("270845")
    assert (akorn.legal_name, akorn.publish_date) == ("Akorn, Inc.", datetime.date(2019, 4, 30))


@pytest.mark.django_db
def test_the_later_export_first_then_the_earlier_one_merges_the_same_five():
    first = run_import(LATER)

    then = run_import(EARLIER)

    assert "Created: 8. Updated: 0. Merged: 0." in first
    assert "Rows read: 8. Created: 3. Updated: 0. Merged: 5. Unchanged: 0. Rejected: 0." in then
    assert Published483.objects.count() == 11
    # An earlier Record ID adds itself and nothing else.
    assert document("287259").legal_name.endswith("dba Jubilant Radiopharma")


@pytest.mark.django_db
def test_importing_either_export_again_changes_nothing():
    run_import(EARLIER, LATER)
    stored = documents()
    history = Published483.history.count() + Published483RecordId.history.count()

    out = run_import(LATER, EARLIER)

    assert out.count("Created: 0. Updated: 0. Merged: 0. Unchanged: 8. Rejected: 0.") == 2
    assert documents() == stored
    assert Published483.history.count() + Published483RecordId.history.count() == history


@pytest.mark.django_db
def test_a_merged_483_is_one_row_of_its_sites_profile_with_both_record_ids(client):
    site = SiteFactory(fei_number="3004034796")
    run_import(EARLIER, LATER)

    html = client.get(reverse("partners:provider", args=[site.provider.slug])).content.decode()

    section = html[html.index(f'id="site-{site.pk}-483s"') :]
    section = section[: section.index("</table>")]
    assert section.count("<tr") == 2  # the header and one document
    assert "269271</span>, <span" in section
    assert section.count("https://www.fda.gov/media/178599/download") == 1


@pytest.mark.django_db
def test_a_merged_483_is_one_item_of_the_api_with_both_record_ids(client):
    site = SiteFactory(fei_number="3004034796")
    run_import(EARLIER, LATER)

    provider = client.get(f"/api/providers/{site.provider.slug}/").json()
    alone = client.get(f"/api/sites/{site.pk}/").json()

    for published in (provider["sites"][0]["published_483s"], alone["published_483s"]):
        assert [item["record_ids"] for item in published] == [["269271", "287262"]]


# -- Rows, one by one --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("batch_size", [1, fda.BATCH_SIZE])
def test_a_row_under_an_earlier_record_id_adds_it_and_changes_nothing_else(
    tmp_path, monkeypatch, batch_size
):
    monkeypatch.setattr(fda, "BATCH_SIZE", batch_size)
    url = "https://www.fda.gov/media/1/download"
    both = write_csv(
        tmp_path / "both.csv",
        f"2024-03-02,3001234567,Rhine Valley Pharma AG,483,2024-04-02,{url},200",
        f"2024-03-02,3001234567,Rhine Pharma,483,2024-04-01,{url},100",
    )

    out = run_import(both)

    assert "Created: 1. Updated: 0. Merged: 1. Unchanged: 0." in out
    rhine = Published483.objects.get()
    assert rhine.record_id_list == ["100", "200"]
    assert (rhine.legal_name, rhine.publish_date) == (
        "Rhine Valley Pharma AG",
        datetime.date(2024, 4, 2),
    )

    earlier = write_csv(
        tmp_path / "earlier.csv",
        f"2024-03-02,3001234567,Rhine Pharma GmbH,483,2024-04-01,{url},100",
    )
    assert "Updated: 0. Merged: 0. Unchanged: 1." in run_import(earlier)
    assert Published483.objects.get().legal_name == "Rhine Valley Pharma AG"

    latest = write_csv(
        tmp_path / "latest.csv",
        f"2024-03-02,3001234567,Rhine Valley Pharma SE,483,2024-04-02,{url},200",
    )
    assert "Updated: 1. Merged: 0. Unchanged: 0." in run_import(latest)
    assert Published483.objects.get().legal_name == "Rhine Valley Pharma SE"


@pytest.mark.django_db
def test_a_483_a_curator_entered_without_record_id_is_found_by_its_identity(tmp_path):
    url = "https://www.fda.gov/media/1/download"
    entered = Published483.objects.create(
        fei_number="3001234567",
        record_date="2024-03-02",
        publish_date="2024-04-01",
        download_url=url,
    )

    out = run_import(
        write_csv(tmp_path / "483s.csv", f"2024-03-02,3001234567,Rhine,483,2024-04-01,{url},7")
    )

    assert "Created: 0. Updated: 0. Merged: 1. Unchanged: 0." in out
    assert document("7") == entered
    assert document("7").legal_name == "Rhine"


@pytest.mark.django_db
def test_483s_without_a_download_url_are_told_apart_by_record_id_alone(tmp_path):
    path = write_csv(
        tmp_path / "483s.csv",
        "2024-03-02,3001234567,Rhine,483,2024-04-01,,1",
        "2024-03-02,3001234567,Rhine,483,2024-04-01,,2",
    )

    out = run_import(path)

    assert "Created: 2. Updated: 0. Merged: 0." in out
    assert Published483.objects.count() == 2


@pytest.mark.django_db
def test_a_known_record_id_moved_onto_another_documents_identity_is_rejected_with_its_line(
    tmp_path,
):
    run_import(
        write_csv(
            tmp_path / "two.csv",
            "2024-03-02,3001234567,Rhine,483,2024-04-01,https://www.fda.gov/media/1/download,1",
            "2024-05-06,3007654321,Basel,483,2024-06-01,https://www.fda.gov/media/2/download,2",
        )
    )
    moved = write_csv(
        tmp_path / "moved.csv",
        "2024-05-06,3007654321,Basel,483,2024-06-01,https://www.fda.gov/media/2/download,2",
        "2024-05-06,3007654321,Basel,483,2024-06-01,https://www.fda.gov/media/2/download,1",
    )

    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 of 2 rows"):
        call_command("import_fda", str(moved), stdout=out, stderr=err)

    assert "Unchanged: 1. Rejected: 1." in out.getvalue()
    assert "moved.csv, line 3: Record ID 1 names a stored 483 with another FEI" in err.getvalue()
    assert "those of the 483 with Record ID 2." in err.getvalue()
    assert document("1").fei_number == "3001234567"


# -- The admin's import report -----------------------------------------------------------------


@pytest.mark.django_db
def test_an_uploaded_export_reports_how_many_483s_it_merged(client, django_user_model):
    curator = django_user_model.objects.create_user("cora", password="pw", is_staff=True)
    curator.groups.add(Group.objects.get(name="Curators"))
    client.force_login(curator)
    add = reverse("admin:partners_regulatorimport_add")
    for path in (EARLIER, LATER):
        client.post(add, {"file": SimpleUploadedFile(path.name, path.read_bytes()), "_save": "1"})

    later = RegulatorImport.objects.get(file_name=LATER.name)
    assert (later.report["created"], later.report["merged"]) == (3, 5)
    page = client.get(reverse("admin:partners_regulatorimport_change", args=[later.pk]))
    assert '<tr><th scope="row">Merged</th><td>5</td></tr>' in page.content.decode()
    listing = client.get(reverse("admin:partners_regulatorimport_changelist")).content.decode()
    assert "3 / 0 / 0 (5 merged)" in listing


# -- The database's word -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("record_date", [datetime.date(2024, 3, 2), None])
def test_the_database_holds_one_483_per_fei_record_date_and_download_url(record_date):
    fields = {"fei_number": "3001234567", "record_date": record_date, "publish_date": "2024-04-01"}
    Published483.objects.create(**fields, download_url="https://www.fda.gov/media/1/download")
    # Without a download URL nothing tells two 483s of one FEI and day apart.
    Published483.objects.create(**fields)
    Published483.objects.create(**fields)

    with pytest.raises(IntegrityError), transaction.atomic():
        Published483.objects.create(**fields, download_url="https://www.fda.gov/media/1/download")


@pytest.mark.django_db
def test_a_record_id_names_one_483():
    first = Published483.objects.create(publish_date="2024-04-01")
    second = Published483.objects.create(publish_date="2024-04-01")
    first.record_ids.create(record_id="269271")

    with pytest.raises(IntegrityError), transaction.atomic():
        second.record_ids.create(record_id="269271")


# -- Migration 0010: the 483s stored twice before ----------------------------------------------

BEFORE = ("partners", "0009_directory_search")
AFTER = ("partners", "0010_published483_record_ids")


@pytest.fixture
def migrator(transactional_db):
    """The database taken back to BEFORE for the test, and forward to the latest migrations
    after it, whatever happens."""
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    yield executor
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_migration_merges_483s_stored_twice_into_the_oldest_with_every_record_id(migrator):
    apps = migrator.loader.project_state([BEFORE]).apps
    Stored = apps.get_model("partners", "Published483")
    StoredHistory = apps.get_model("partners", "HistoricalPublished483")
    delta = {
        "fei_number": "3004034796",
        "record_date": datetime.date(2024, 4, 12),
        "download_url": "https://www.fda.gov/media/178599/download",
    }
    adma = {
        "fei_number": "",
        "record_date": None,
        "download_url": "https://www.fda.gov/media/116164/download",
    }
    # The later numbering stored first (a lower id), the earlier one stored before it in time.
    renumbered = Stored.objects.create(
        **delta,
        record_id="287262",
        legal_name="Delta Pharma, Inc. (new)",
        publish_date="2024-06-13",
    )
    oldest = Stored.objects.create(
        **delta, record_id="269271", legal_name="Delta Pharma, Inc.", publish_date="2024-05-21"
    )
    Stored.objects.filter(pk=oldest.pk).update(
        created_at=renumbered.created_at - datetime.timedelta(days=400)
    )
    StoredHistory.objects.create(
        id=renumbered.pk,
        **delta,
        record_id="287262",
        legal_name="Delta Pharma, Inc. (new)",
        publish_date="2024-06-13",
        created_at=renumbered.created_at,
        updated_at=renumbered.updated_at,
        history_date=renumbered.created_at,
        history_type="+",
    )
    undated = Stored.objects.create(**adma, record_id="269364", publish_date="2024-01-17")
    Stored.objects.create(**adma, record_id="288072", publish_date="2024-01-17")
    no_url = {"fei_number": "3001234567", "record_date": datetime.date(2024, 3, 2)}
    Stored.objects.create(**no_url, record_id="1", publish_date="2024-04-01")
    Stored.objects.create(**no_url, record_id="2", publish_date="2024-04-01")

    migrator = MigrationExecutor(connection)
    migrator.migrate([AFTER])

    apps = migrator.loader.project_state([AFTER]).apps
    Merged = apps.get_model("partners", "Published483")
    RecordId = apps.get_model("partners", "Published483RecordId")
    assert Merged.objects.count() == 4
    kept = Merged.objects.get(pk=oldest.pk)
    assert (kept.legal_name, kept.publish_date) == (
        "Delta Pharma, Inc. (new)",
        datetime.date(2024, 6, 13),
    )
    assert sorted(RecordId.objects.filter(document=kept).values_list("record_id", flat=True)) == [
        "269271",
        "287262",
    ]
    assert sorted(
        RecordId.objects.filter(document=undated.pk).values_list("record_id", flat=True)
    ) == [
        "269364",
        "288072",
    ]
    assert RecordId.objects.count() == 6
    history = apps.get_model("partners", "HistoricalPublished483").objects.filter(id=kept.pk)
    assert {row.history_type for row in history} == {"+", "~"}
    assert "287262" in history.get(history_type="~").history_change_reason
