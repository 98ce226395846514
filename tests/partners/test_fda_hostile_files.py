"""FDA files a curator should never have to debug: a spreadsheet formula where an FEI belongs, a
stray NUL byte in one row, and the same file uploaded twice at once. Each is reported row by row
or imported once, never stored wrong and never shown as a database error."""

import threading

import pytest
from django.db import connection, connections

from partners.importers.fda.importer import import_fda_file
from partners.models import Inspection, RegulatoryAction, Site
from tests.factories import SiteFactory
from tests.partners.test_fda_registrations import data_line, write_lines
from tests.partners.test_import_fda import (
    ACTIONS_HEADER,
    INSPECTIONS_HEADER,
    inspection_row,
    write_csv,
)

pytestmark = pytest.mark.django_db


def action_row(fei: str, case_id: str) -> str:
    return f'{fei},"Rhine Valley Pharma GmbH",-,Germany,Drugs,2024-03-02,Warning Letter,{case_id}'


def test_a_formula_in_the_fei_column_is_rejected_not_computed(tmp_path):
    wrong_site = SiteFactory(fei_number="11")  # what "=1+1" used to become
    path = write_csv(
        tmp_path / "actions.csv",
        ACTIONS_HEADER,
        action_row("=1+1", "CMS-1"),
        action_row("3001234567", "CMS-2"),
    )

    report = import_fda_file(path)

    assert (report.created, report.rejected) == (1, 1)
    problems = "\n".join(report.problems())
    assert "line 2: FEI Number: '=1+1' is not an FEI number" in problems
    assert not RegulatoryAction.objects.filter(fei_number="11").exists()
    assert not wrong_site.actions.exists()


def test_a_nul_byte_in_one_row_rejects_that_row_and_imports_the_rest(tmp_path):
    path = tmp_path / "inspections.csv"
    lines = [
        INSPECTIONS_HEADER,
        inspection_row(inspection_id="1"),
        inspection_row(inspection_id="2", name="Rhine\x00Valley"),
        inspection_row(inspection_id="3"),
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())

    report = import_fda_file(path)

    assert report.error == ""
    assert (report.created, report.rejected) == (2, 1)
    problems = "\n".join(report.problems())
    assert "line 3: a NUL character (byte 0) in column 2: the file is damaged there" in problems
    assert set(Inspection.objects.values_list("inspection_id", flat=True)) == {"1", "3"}


def test_a_nul_byte_in_a_registration_row_rejects_that_row(tmp_path):
    damaged = data_line(7)
    damaged[2] = damaged[2][:3] + "\x00" + damaged[2][3:]
    path = write_lines(tmp_path / "drls_reg.txt", [data_line(6), damaged])

    report = import_fda_file(path)

    assert (report.created, report.rejected) == (1, 1)
    assert "line 3: a NUL character (byte 0) in column 3" in "\n".join(report.problems())
    assert Site.objects.count() == 1


def test_a_file_full_of_nul_bytes_is_still_called_binary(tmp_path):
    path = tmp_path / "inspections.csv"
    path.write_bytes(INSPECTIONS_HEADER.encode("utf-16-le"))  # no byte-order mark: NULs everywhere

    report = import_fda_file(path)

    assert report.error == "this is a binary file, not a CSV or XLSX export"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite runs one writer at a time anyway"
)
@pytest.mark.django_db(transaction=True)
def test_the_same_file_imported_twice_at_once_imports_once_without_an_error(tmp_path):
    path = write_csv(
        tmp_path / "inspections.csv",
        INSPECTIONS_HEADER,
        *(inspection_row(inspection_id=str(n), fei=f"30012345{n:02d}") for n in range(40)),
    )
    reports = []
    start = threading.Barrier(2)

    def upload() -> None:
        try:
            start.wait()
            reports.append(import_fda_file(path))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert [report.error for report in reports] == ["", ""]
    assert sorted(report.created for report in reports) == [0, 40]
    assert sorted(report.unchanged for report in reports) == [0, 40]
    assert Inspection.objects.count() == 40
