"""FDA Data Dashboard exports: recognised by their header, upserted by their natural keys (the
real files import exactly), linked to sites by FEI, and bad input reported row by row or file by
file, never half-written."""

import datetime
import io
import random
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from openpyxl import Workbook

from partners.importers.fda import importer as fda
from partners.importers.fda.importer import import_fda_file
from partners.models import Citation, Inspection, Published483, RegulatoryAction, Site
from partners.tasks import recompute_compliance
from tests.factories import InspectionFactory, SiteFactory
from tests.partners.commits import catalogue_callbacks

pytestmark = pytest.mark.django_db

FDA_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "fda"
needs_fda_data = pytest.mark.skipif(
    not FDA_DATA.is_dir(),
    reason=f"the real FDA exports are not here: {FDA_DATA} (the repo's sibling `shared/`)",
)

INSPECTIONS_HEADER = (
    "FEI Number,Legal Name,City,State,Zip,Country/Area,Fiscal Year,Inspection ID,"
    "Posted Citations,Inspection End Date,Classification,Project Area,Product Type,"
    "Additional Details,FMD-145 Date"
)
ACTIONS_HEADER = (
    "FEI Number,Legal Name,State,Country/Area,Product Type,Action Taken Date,Action Type,"
    "Case/Injunction ID"
)
PUBLISHED_483S_HEADER = (
    "Record Date",
    "FEI Number",
    "Legal Name",
    "Record Type",
    "Publish Date",
    "Download",
    "Record ID",
)
CITATIONS_HEADER = (
    "Inspection ID,FEI Number,Legal Name,Inspection End Date,Program Area,Act/CFR Number,"
    "Short Description,Long Description"
)
RECENT = (timezone.localdate() - datetime.timedelta(days=60)).isoformat()


# -- Helpers -----------------------------------------------------------------------------------


def run_import(*paths: Path | str) -> tuple[str, str, CommandError | None]:
    """The command's standard output, standard error and the CommandError it raised, if any."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_fda", *map(str, paths), stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error
    return out.getvalue(), err.getvalue(), None


def write_csv(path: Path, *lines: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def inspection_row(
    fei: str = "3001234567",
    inspection_id: str = "1200001",
    end_date: str = "2024-03-02",
    classification: str = "No Action Indicated (NAI)",
    project_area: str = "Drug Quality Assurance",
    name: str = "Rhine Valley Pharma GmbH",
) -> str:
    return (
        f'{fei},"{name}",Leverkusen,-,51373,Germany,2024,{inspection_id},Yes,{end_date},'
        f"{classification},{project_area},Drugs,,2024-05-01"
    )


# -- The real files ----------------------------------------------------------------------------


@needs_fda_data
def test_real_compliance_actions_then_later_warning_letters_import_exactly():
    out, err, error = run_import(FDA_DATA / "compliance_actions.csv")
    assert error is None, err
    assert RegulatoryAction.objects.count() == 4233
    assert "Created: 4,233. Updated: 0. Unchanged: 0. Rejected: 0." in out

    out, err, error = run_import(FDA_DATA / "warning_letters_2025.csv")

    assert error is None, err
    assert "Rows read: 2,685. Created: 251. Updated: 87. Unchanged: 2,347. Rejected: 0." in out
    assert RegulatoryAction.objects.count() == 4233 + 251
    renamed = RegulatoryAction.objects.get(fei_number="3025978151", case_id="674495")
    assert renamed.legal_name == "Advance Zinctek Limited"  # was "Antaria Pty., Ltd."
    assert renamed.source == "FDA Data Dashboard: compliance actions (warning_letters_2025.csv)"
    redated = RegulatoryAction.objects.get(fei_number="3004540906", case_id="672564")
    assert redated.action_date == datetime.date(2024, 4, 8)  # was 2024-04-09
    assert redated.history.first().legal_name == redated.legal_name
    assert redated.history.last().action_date == datetime.date(2024, 4, 9)
    # FDA's own words for the place: a "-" is no state.
    glenmark = RegulatoryAction.objects.get(fei_number="3008565058", case_id="708270")
    assert (glenmark.state, glenmark.country_area, glenmark.product_type) == ("", "India", "Drugs")
    assert glenmark.legal_name == "Glenmark Pharmaceuticals Limited"


@needs_fda_data
def test_importing_a_real_file_again_changes_nothing():
    run_import(FDA_DATA / "compliance_actions.csv")
    history_rows = RegulatoryAction.history.count()

    out, _, error = run_import(FDA_DATA / "compliance_actions.csv")

    assert error is None
    assert "Created: 0. Updated: 0. Unchanged: 4,233. Rejected: 0." in out
    assert RegulatoryAction.objects.count() == 4233
    assert RegulatoryAction.history.count() == history_rows


@needs_fda_data
@pytest.mark.parametrize(
    ("file_name", "rows"), [("published_483s.csv", 1723), ("published_483s_2025.xlsx", 1851)]
)
def test_real_published_483s_import_with_no_rejected_row(file_name, rows):
    out, err, error = run_import(FDA_DATA / file_name)

    assert error is None, err
    assert (
        f"Rows read: {rows:,}. Created: {rows:,}. Updated: 0. Merged: 0. Unchanged: 0. Rejected: 0."
        in out
    )
    assert Published483.objects.count() == rows
    # Record dates and FEIs FDA left out ("-" in the workbook) are kept as unknown.
    assert Published483.objects.filter(record_date__isnull=True).exists()
    assert Published483.objects.filter(fei_number="").exists()

    out, _, error = run_import(FDA_DATA / file_name)

    assert error is None
    assert f"Unchanged: {rows:,}. Rejected: 0." in out
    assert Published483.objects.count() == rows


@needs_fda_data
def test_a_company_name_in_the_fei_column_of_a_real_483_is_kept_without_fei_and_noted():
    out, _, error = run_import(FDA_DATA / "published_483s.csv")

    assert error is None
    unico = Published483.objects.get(record_ids__record_id="270222")
    assert (unico.fei_number, unico.legal_name) == ("", "Unico Holdings, Inc.")
    assert "Note: line 55: FEI Number 'Unico Holdings, Inc.' is not an FEI number" in out


@needs_fda_data
def test_real_workbook_fei_and_dates_become_numbers_and_days():
    run_import(FDA_DATA / "published_483s_2025.xlsx")

    natco = Published483.objects.get(record_ids__record_id="287101")
    assert natco.fei_number == "3004540906"
    assert natco.record_date == datetime.date(2025, 6, 19)
    assert natco.publish_date == datetime.date(2025, 7, 10)
    assert natco.download_url == "https://www.fda.gov/media/187496/download"
    assert natco.record_type == "483"


# -- Recognising the export --------------------------------------------------------------------


def test_inspections_export_with_title_and_filter_lines_and_older_company_name(tmp_path):
    path = write_csv(
        tmp_path / "inspections.csv",
        "Inspections Classification",
        '"Filters: Fiscal Year 2024, Product Type: Drugs"',
        INSPECTIONS_HEADER.replace("Legal Name", "Company Name"),
        inspection_row(),
        inspection_row(project_area="Compliance: Devices", classification="VAI"),
    )

    out, err, error = run_import(path)

    assert error is None, err
    assert "FDA inspections classification (CSV, UTF-8, header on line 3)" in out
    inspection = Inspection.objects.get(project_area="Drug Quality Assurance")
    assert inspection.classification == "NAI"
    assert inspection.legal_name == "Rhine Valley Pharma GmbH"
    assert (inspection.city, inspection.state, inspection.zip_code) == ("Leverkusen", "", "51373")
    assert inspection.country_area == "Germany"
    assert (inspection.fiscal_year, inspection.posted_citations) == (2024, True)
    assert inspection.end_date == datetime.date(2024, 3, 2)
    assert inspection.fmd145_date == datetime.date(2024, 5, 1)
    assert Inspection.objects.get(project_area="Compliance: Devices").classification == "VAI"


@pytest.mark.parametrize(
    "written",
    [
        "2019-07-01",
        "07/01/2019",
        "7/1/2019",
        "2019-07-01 00:00:00",
        "2019-07-01T00:00:00Z",
        "7/1/2019 12:00:00 AM",
        "43647",  # an Excel serial number, as Excel writes an unformatted date cell to CSV
    ],
)
def test_dates_in_the_forms_fda_exports_write(tmp_path, written):
    path = write_csv(
        tmp_path / "actions.csv",
        ACTIONS_HEADER,
        f"3001234567,Rhine Valley Pharma,-,Germany,Drugs,{written},Warning Letter,580123",
    )

    _, err, error = run_import(path)

    assert error is None, err
    assert RegulatoryAction.objects.get().action_date == datetime.date(2019, 7, 1)


def test_workbook_dates_as_cells_or_serial_numbers_and_fei_as_float(tmp_path):
    path = write_xlsx(
        tmp_path / "483s.xlsx",
        [
            ["Published 483s"],
            [*PUBLISHED_483S_HEADER],
            # A workbook's date cell reads as a naive datetime.
            [datetime.datetime(2025, 6, 19), 3004540906.0, "NATCO", 483, 45848, "https://x", 1],  # noqa: DTZ001
            ["-", "0003004540906", "NATCO", 483, datetime.date(2025, 7, 9), None, 2.0],
        ],
    )

    out, err, error = run_import(path)

    assert error is None, err
    assert "(XLSX, header on row 2)" in out
    first, second = Published483.objects.order_by("record_ids__record_id")
    assert (first.record_id_list, first.fei_number, first.record_type) == (
        ["1"],
        "3004540906",
        "483",
    )
    assert (first.record_date, first.publish_date) == (
        datetime.date(2025, 6, 19),
        datetime.date(2025, 7, 10),
    )
    assert (second.record_id_list, second.fei_number, second.record_date) == (
        ["2"],
        "3004540906",
        None,
    )


def test_windows_1252_text_with_or_without_a_byte_order_mark(tmp_path):
    row = "3001234567,Laboratoires Pharmé,-,France,Drugs,2024-01-02,Warning Letter,{case}"
    write_csv(tmp_path / "a.csv", ACTIONS_HEADER, row.format(case=1), encoding="cp1252")
    write_csv(tmp_path / "b.csv", ACTIONS_HEADER, row.format(case=2), encoding="utf-8-sig")

    out, err, error = run_import(tmp_path / "a.csv", tmp_path / "b.csv")

    assert error is None, err
    assert "(CSV, Windows-1252," in out
    assert "(CSV, UTF-8," in out
    assert set(RegulatoryAction.objects.values_list("legal_name", flat=True)) == {
        "Laboratoires Pharmé"
    }
    assert RegulatoryAction.objects.count() == 2


def test_citations_upsert_on_inspection_cfr_number_and_short_description(tmp_path):
    path = write_csv(
        tmp_path / "citations.csv",
        CITATIONS_HEADER,
        "1200001,3001234567,Rhine,2024-03-02,Drugs,21 CFR 211.22(d),Procedures not in writing,"
        '"The responsibilities and procedures applicable to the quality control unit are not '
        'in writing, fully followed."',
        "1200001,3001234567,Rhine,2024-03-02,Drugs,21 CFR 211.192,Investigations of discrepancies,",
    )

    run_import(path)
    out, _, error = run_import(path)

    assert error is None
    assert "FDA inspection citations" in out
    assert "Unchanged: 2." in out
    citation = Citation.objects.get(cfr_number="21 CFR 211.22(d)")
    assert citation.long_description.startswith("The responsibilities and procedures")
    assert citation.inspection_end_date == datetime.date(2024, 3, 2)


def test_a_key_repeated_in_one_file_is_one_record_with_the_later_values(tmp_path):
    path = write_csv(
        tmp_path / "actions.csv",
        ACTIONS_HEADER,
        "3001234567,Old Name,-,Germany,Drugs,2024-01-02,Warning Letter,580123",
        "3001234567,New Name,-,Germany,Drugs,2024-01-02,Warning Letter,580123",
    )

    out, _, error = run_import(path)

    assert error is None
    assert "Created: 1. Updated: 1. Unchanged: 0." in out
    assert RegulatoryAction.objects.get().legal_name == "New Name"


# -- Linking to sites --------------------------------------------------------------------------


def test_records_link_to_the_site_with_their_fei_whatever_the_zeros_and_punctuation(tmp_path):
    site = SiteFactory(fei_number="3001-234-567")
    path = write_csv(
        tmp_path / "inspections.csv",
        INSPECTIONS_HEADER,
        inspection_row(fei="0003001234567"),
    )

    out, _, error = run_import(path)

    assert error is None
    assert Inspection.objects.get().site == site
    assert "Linked to a site: 1 rows. FEIs matching no site: 0." in out


def test_a_site_given_the_fei_later_picks_up_its_483s_and_citations(tmp_path):
    write_csv(
        tmp_path / "citations.csv",
        CITATIONS_HEADER,
        "1200001,3001234567,Rhine,2024-03-02,Drugs,21 CFR 211.192,Investigations,",
    )
    write_xlsx(
        tmp_path / "483s.xlsx",
        [
            [*PUBLISHED_483S_HEADER],
            [datetime.date(2024, 3, 2), "3001234567", "Rhine", "483", "2024-04-01", "", "9"],
        ],
    )
    run_import(tmp_path / "citations.csv", tmp_path / "483s.xlsx")
    site = SiteFactory(fei_number="")

    site.fei_number = "03001234567"
    site.save()

    assert Citation.objects.get().site == site
    assert Published483.objects.get().site == site


def test_an_unmatched_fei_is_kept_and_listed_with_fdas_name_and_country(tmp_path):
    SiteFactory(fei_number="3001234567")
    path = write_csv(
        tmp_path / "actions.csv",
        ACTIONS_HEADER,
        "3001234567,Rhine Valley Pharma,-,Germany,Drugs,2024-01-02,Warning Letter,580123",
        '3009999999,"Shenzhen Example Co., Ltd.",-,China,Drugs,2024-02-03,Warning Letter,580124',
    )

    out, _, error = run_import(path)

    assert error is None
    unmatched = RegulatoryAction.objects.unlinked().get()
    assert (unmatched.fei_number, unmatched.legal_name, unmatched.country_area) == (
        "3009999999",
        "Shenzhen Example Co., Ltd.",
        "China",
    )
    assert "FEIs matching no site: 1. For example:" in out
    assert "3009999999  Shenzhen Example Co., Ltd. (China)" in out


def test_import_recomputes_affected_sites_scores_and_bumps_the_version_once(
    tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    inspected = SiteFactory(fei_number="3001234567")
    untouched = SiteFactory(fei_number="3007654321")
    bumps = []
    bump = fda.bump_catalogue_version
    monkeypatch.setattr(fda, "bump_catalogue_version", lambda: bumps.append(1) or bump())
    rows = [inspection_row(inspection_id=str(1200000 + n), end_date=RECENT) for n in range(3)]
    path = write_csv(tmp_path / "inspections.csv", INSPECTIONS_HEADER, *rows)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = import_fda_file(path)
        # What its callers (the import_fda command, the upload task) do with the report.
        recompute_compliance.delay_on_commit(report.rescore_site_ids)

    assert report.ok
    assert report.created == 3
    assert report.sites_to_rescore == 1
    assert report.rescore_site_ids == [inspected.pk]
    # One batched recompute task, and one relink for a site given an FEI while it ran.
    assert len(catalogue_callbacks(callbacks)) == 2
    assert len(bumps) == 1
    inspected.refresh_from_db()
    untouched.refresh_from_db()
    assert inspected.compliance_state == "scored"
    assert inspected.compliance_score > 75
    assert untouched.compliance_as_of is None


def test_reimporting_unchanged_rows_queues_no_recompute(
    tmp_path, django_capture_on_commit_callbacks
):
    SiteFactory(fei_number="3001234567")
    path = write_csv(tmp_path / "inspections.csv", INSPECTIONS_HEADER, inspection_row())
    import_fda_file(path)

    with django_capture_on_commit_callbacks() as callbacks:
        report = import_fda_file(path)

    assert report.unchanged == 1
    assert report.sites_to_rescore == 0
    assert report.rescore_site_ids == []
    assert catalogue_callbacks(callbacks) == []


def test_the_import_command_recomputes_the_scores_the_import_changed(
    tmp_path, django_capture_on_commit_callbacks
):
    inspected = SiteFactory(fei_number="3001234567")
    path = write_csv(
        tmp_path / "inspections.csv", INSPECTIONS_HEADER, inspection_row(end_date=RECENT)
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("import_fda", str(path), stdout=io.StringIO())

    # The recompute, and the relink after the import.
    assert len(catalogue_callbacks(callbacks)) == 2
    inspected.refresh_from_db()
    assert inspected.compliance_state == "scored"


def test_progress_is_reported_in_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(fda, "BATCH_SIZE", 2)
    rows = [inspection_row(inspection_id=str(1200000 + n)) for n in range(5)]
    path = write_csv(tmp_path / "inspections.csv", INSPECTIONS_HEADER, *rows)
    calls = []

    import_fda_file(path, progress=lambda done, total: calls.append(done))

    assert calls == [2, 4, 5]
    assert Inspection.objects.count() == 5


# -- Bad input ---------------------------------------------------------------------------------


def test_bad_rows_are_rejected_with_line_and_reason_and_the_rest_imported(tmp_path):
    path = write_csv(
        tmp_path / "inspections.csv",
        "Inspections Classification",
        INSPECTIONS_HEADER,
        inspection_row(inspection_id="1"),
        inspection_row(inspection_id="2", end_date="2024-13-45"),
        inspection_row(inspection_id="3", classification="Pending Review"),
        inspection_row(inspection_id="4", fei=""),
        inspection_row(inspection_id="5", end_date="yesterday"),
        inspection_row(inspection_id="6"),
    )

    out, err, error = run_import(path)

    assert "Rows read: 6. Created: 2. Updated: 0. Unchanged: 0. Rejected: 4." in out
    assert set(Inspection.objects.values_list("inspection_id", flat=True)) == {"1", "6"}
    assert "inspections.csv, line 4: Inspection End Date: '2024-13-45' is not a day" in err
    assert (
        "inspections.csv, line 5: Classification: unknown classification 'Pending Review' "
        "(expected NAI, VAI or OAI" in err
    )
    assert "inspections.csv, line 6: FEI Number: missing" in err
    assert "line 7: Inspection End Date: 'yesterday' is not a date" in err
    assert str(error) == "4 of 6 rows of " + str(path) + " rejected."


def test_a_quoted_value_spanning_lines_counts_its_lines(tmp_path):
    path = write_csv(
        tmp_path / "actions.csv",
        ACTIONS_HEADER,
        '3001234567,"Rhine\nValley",-,Germany,Drugs,2024-01-02,Warning Letter,580123',
        "3001234567,Rhine,-,Germany,Drugs,someday,Warning Letter,580124",
    )

    _, err, error = run_import(path)

    assert error is not None
    assert "actions.csv, line 4: Action Taken Date: 'someday' is not a date" in err


def test_bad_rows_in_a_workbook_are_numbered_as_excel_numbers_them(tmp_path):
    header = ["FEI Number", "Legal Name", "State", "Country/Area", "Product Type"]
    path = write_xlsx(
        tmp_path / "actions.xlsx",
        [
            [*header, "Action Taken Date", "Action Type", "Case/Injunction ID"],
            ["3001234567", "Rhine", "-", "Germany", "Drugs", "2024-01-02", "Warning Letter", 1],
            [],
            ["3001234567", "Rhine", "-", "Germany", "Drugs", "2024-01-02", "Recall", 2],
        ],
    )

    _, err, error = run_import(path)

    assert error is not None
    assert "actions.xlsx, row 4: Action Type: unknown action type 'Recall'" in err
    assert RegulatoryAction.objects.get().case_id == "1"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b"\r\n\r\n", "the file has no rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "a PNG image, not a CSV or XLSX"),
        (random.Random(7).randbytes(4096), "a binary file, not a CSV or XLSX"),
        (b"%PDF-1.7\n", "a PDF document"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "an old Excel workbook (.xls)"),
    ],
    ids=["empty", "blank-lines", "png", "random-bytes", "pdf", "xls"],
)
def test_a_file_that_is_not_an_export_is_reported_and_nothing_written(tmp_path, content, reason):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)

    out, err, error = run_import(path)

    assert out == ""
    assert err.startswith("upload.csv: nothing imported: ")
    assert reason in err
    assert str(error) == f"{path} was not imported."


def test_an_unknown_header_is_reported_with_the_closest_export(tmp_path):
    path = write_csv(
        tmp_path / "actions.csv",
        "FEI Number,Legal Name,State,Country/Area,Product Type,Date,Type,Case",
        "3001234567,Rhine,-,Germany,Drugs,2024-01-02,Warning Letter,580123",
    )

    _, err, error = run_import(path)

    assert error is not None
    assert "actions.csv: nothing imported: unknown header" in err
    assert (
        "closest: the compliance actions export, lacking Action Taken Date, Action Type, "
        "Case/Injunction ID" in err
    )
    assert "The first row reads: 'FEI Number, Legal Name" in err
    assert not RegulatoryAction.objects.exists()


def test_a_truncated_workbook_is_reported_and_nothing_written(tmp_path):
    header = ["FEI Number", "Legal Name", "State", "Country/Area", "Product Type"]
    rows = [[*header, "Action Taken Date", "Action Type", "Case/Injunction ID"]] + [
        ["3001234567", "Rhine", "-", "Germany", "Drugs", "2024-01-02", "Warning Letter", n]
        for n in range(500)
    ]
    whole = write_xlsx(tmp_path / "whole.xlsx", rows).read_bytes()
    path = tmp_path / "actions.xlsx"
    path.write_bytes(whole[: len(whole) * 2 // 3])

    _, err, error = run_import(path)

    assert "actions.xlsx: nothing imported: the XLSX workbook is damaged or truncated" in err
    assert error is not None
    assert not RegulatoryAction.objects.exists()


def test_a_file_that_breaks_off_part_way_writes_nothing(tmp_path, monkeypatch):
    """A workbook damaged in its middle fails while its rows are read, after batches before the
    damage were written: they are rolled back."""
    monkeypatch.setattr(fda, "BATCH_SIZE", 10)
    path = write_csv(
        tmp_path / "inspections.csv",
        INSPECTIONS_HEADER,
        *[inspection_row(inspection_id=str(n)) for n in range(30)],
    )
    real_open_table = fda.open_table

    def breaking_open_table(file):
        table = real_open_table(file)
        read = table.rows

        def rows():
            for number, cells in read:
                if number == 25:
                    raise fda.UnreadableFile("row 25: the XLSX workbook is damaged")
                yield number, cells

        table.rows = rows()
        return table

    monkeypatch.setattr(fda, "open_table", breaking_open_table)

    report = import_fda_file(path)

    assert report.error == "row 25: the XLSX workbook is damaged"
    assert (report.created, report.rows_read) == (0, 0)
    assert not Inspection.objects.exists()


def test_a_missing_file_is_a_clear_message_and_the_other_files_still_import(tmp_path):
    good = write_csv(tmp_path / "good.csv", INSPECTIONS_HEADER, inspection_row())

    out, err, error = run_import(tmp_path / "missing.csv", good)

    assert "missing.csv: nothing imported: no such file" in err
    assert "good.csv: FDA inspections classification" in out
    assert Inspection.objects.count() == 1
    assert "missing.csv was not imported" in str(error)


def test_a_row_with_more_values_than_the_header_is_rejected(tmp_path):
    path = write_csv(
        tmp_path / "actions.csv",
        ACTIONS_HEADER,
        "3001234567,Rhine Valley, Inc.,-,Germany,Drugs,2024-01-02,Warning Letter,580123",
    )

    _, err, error = run_import(path)

    assert error is not None
    assert "9 values where the header has 8 columns" in err
    assert not RegulatoryAction.objects.exists()


def test_existing_records_of_other_sources_are_updated_in_place(tmp_path):
    site = SiteFactory(fei_number="3001234567")
    InspectionFactory(
        fei_number="3001234567",
        inspection_id="1200001",
        project_area="Drug Quality Assurance",
        classification="VAI",
        source="catalogue import",
    )
    path = write_csv(tmp_path / "inspections.csv", INSPECTIONS_HEADER, inspection_row())

    out, _, error = run_import(path)

    assert error is None
    assert "Created: 0. Updated: 1. Unchanged: 0." in out
    inspection = Inspection.objects.get()
    assert (inspection.classification, inspection.site) == ("NAI", site)
    assert inspection.source == "FDA Data Dashboard: inspections classification (inspections.csv)"
    assert Site.objects.count() == 1


def test_extra_columns_are_ignored_and_missing_optional_ones_leave_their_fields_alone(tmp_path):
    InspectionFactory(
        fei_number="3001234567",
        inspection_id="1200001",
        project_area="Drug Quality Assurance",
        fmd145_date=datetime.date(2024, 5, 1),
    )
    path = write_csv(
        tmp_path / "inspections.csv",
        "FEI Number,Legal Name,Inspection ID,Inspection End Date,Classification,Project Area,"
        "Center",
        "3001234567,Rhine,1200001,2024-03-02,OAI,Drug Quality Assurance,CDER",
    )

    out, err, error = run_import(path)

    assert error is None, err
    assert "Updated: 1." in out
    inspection = Inspection.objects.get()
    assert (inspection.classification, inspection.legal_name) == ("OAI", "Rhine")
    assert inspection.fmd145_date == datetime.date(2024, 5, 1)


@needs_fda_data
def test_an_import_until_a_day_leaves_out_the_later_records_and_says_how_many():
    out, err, error = run_import("--until", "2025-05-31", FDA_DATA / "warning_letters_2025.csv")

    assert error is None, err
    latest = RegulatoryAction.objects.order_by("-action_date").values_list("action_date", flat=True)
    assert latest.first() <= datetime.date(2025, 5, 31)
    left_out = int(out.split("Left out as dated after 2025-05-31: ")[1].split(" ")[0])
    assert left_out > 0
    assert RegulatoryAction.objects.count() + left_out == 2685

    out, err, error = run_import(FDA_DATA / "warning_letters_2025.csv")

    assert f"Created: {left_out:,}. Updated: 0." in out
    assert "Left out" not in out


def test_an_until_that_is_no_day_is_refused_with_the_reason(tmp_path):
    with pytest.raises(CommandError, match="'31/05/2025' is not a day"):
        call_command("import_fda", "--until", "31/05/2025", str(tmp_path / "x.csv"))
