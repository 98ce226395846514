"""FDA's drug establishment registrations (DECRS, drls_reg.txt as FDA ships it): each
establishment becomes a site keyed by its DUNS, each registrant a provider; the real file imports
whole, again without a change, and as XLSX alike; personal columns are never stored."""

import datetime
import io
import logging
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, models, transaction
from openpyxl import Workbook

from core.choices import JobStatus
from partners.choices import (
    CertificationKind,
    DataSource,
    Provenance,
    ProviderKind,
)
from partners.forms import RegulatorImportUploadForm
from partners.importers.fda.importer import import_fda_file
from partners.importers.fda.registrations import ancillary_only, country_and_city
from partners.importers.fda.uploads import run_regulator_import
from partners.models import (
    Certification,
    Provider,
    RegulatorImport,
    Site,
    SiteCapability,
)
from tests.factories import InspectionFactory, ProviderFactory, SiteFactory

REAL_FILE = (
    Path(__file__).resolve().parents[2] / "partners" / "demo" / "fda" / "drug_establishments.txt"
)
HEADER_LINE, *DATA_LINES = REAL_FILE.read_bytes().split(b"\r\n")[:-1]
COLUMNS = HEADER_LINE.decode().split("\t")
PERSONAL = [
    "ESTABLISHMENT_CONTACT_NAME",
    "ESTABLISHMENT_CONTACT_EMAIL",
    "AGENT_DETAILS",
    "REGISTRANT_CONTACT_NAME",
    "REGISTRANT_CONTACT_EMAIL",
]
# Lines of the real file (the header is line 1) that a small cut of it keeps, besides the first
# 200: the other establishment of line 19's FEI (written there with leading zeros), a second
# DUNS of line 29's registrant name, the address ending "Czechia", a blank FEI, a sterilizer.
CUT_EXTRA_LINES = (759, 8420, 8734, 10211, 2104)
CUT_LINES = (*range(2, 201), *CUT_EXTRA_LINES)


def data_line(number: int) -> list[str]:
    """The cells of a line of the real file, by its number in the file."""
    return DATA_LINES[number - 2].decode().split("\t")


def write_lines(path: Path, rows: list[list[str]]) -> Path:
    """A registration file laid out as FDA ships it: tabs, CRLF, the trailing empty field."""
    path.write_bytes(b"\r\n".join([HEADER_LINE, *("\t".join(r).encode() for r in rows)]) + b"\r\n")
    return path


@pytest.fixture
def cut(tmp_path) -> Path:
    return write_lines(tmp_path / "drls_reg.txt", [data_line(n) for n in CUT_LINES])


def as_workbook(path: Path, target: Path) -> Path:
    """The same columns and rows as an XLSX workbook, the header's leading space kept."""
    workbook = Workbook()
    sheet = workbook.active
    for line in path.read_bytes().split(b"\r\n"):
        if line:
            sheet.append(line.decode().split("\t")[: len(COLUMNS)])
    workbook.save(target)
    return target


def catalogue_state() -> dict:
    """What the import wrote, comparable between two imports (no ids, no times)."""
    return {
        "providers": sorted(
            Provider.objects.values_list("registrant_duns", "name", "slug", "kind", "country")
        ),
        "sites": sorted(
            Site.objects.values_list(
                "duns_number",
                "provider__registrant_duns",
                "name",
                "country",
                "city",
                "fei_number",
                "registered_operations",
                "ancillary_only",
                "source",
            ),
            key=str,
        ),
        "capabilities": sorted(
            SiteCapability.objects.values_list("site__duns_number", "term__slug", "provenance")
        ),
        "registrations": sorted(
            Certification.objects.values_list(
                "site__duns_number", "kind", "authority", "reference", "valid_until", "source"
            )
        ),
    }


def text_columns_containing(needles: list[str]) -> list[str]:
    """Every "table.column: needle" where a text column of any table holds a needle."""
    found = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            for field in model._meta.concrete_fields:
                if not isinstance(field, models.CharField | models.TextField | models.JSONField):
                    continue
                table, column = model._meta.db_table, field.column
                for needle in needles:
                    cursor.execute(
                        f"SELECT 1 FROM {quote(table)} "
                        f"WHERE LOWER(CAST({quote(column)} AS TEXT)) LIKE %s LIMIT 1",
                        [f"%{needle.lower()}%"],
                    )
                    if cursor.fetchone():
                        found.append(f"{table}.{column}: {needle}")
    return found


# -- The real file, whole -------------------------------------------------------------------------


@pytest.fixture(scope="class")
def real_file_imported_twice(django_db_setup, django_db_blocker):
    """The real file imported into an empty catalogue, then again: once for the class, rolled
    back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        first = import_fda_file(REAL_FILE)
        second = import_fda_file(REAL_FILE)
        yield first, second
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.usefixtures("real_file_imported_twice")
class TestTheRealFile:
    def test_every_establishment_is_a_site_and_every_registrant_a_provider(
        self, real_file_imported_twice
    ):
        first, _ = real_file_imported_twice
        registrants = {line.decode().split("\t")[10] for line in DATA_LINES}

        assert (first.rows_read, first.created, first.rejected) == (10_439, 10_439, 0)
        assert Site.objects.count() == 10_439
        assert Site.objects.exclude(source=DataSource.FDA_REGISTRATION).count() == 0
        assert set(Provider.objects.values_list("registrant_duns", flat=True)) == registrants
        assert Provider.objects.count() == len(registrants) == 7_044
        assert set(Provider.objects.values_list("kind", "source").distinct()) == {
            (ProviderKind.NOT_CLASSIFIED, DataSource.FDA_REGISTRATION)
        }

    def test_importing_it_again_changes_nothing(self, real_file_imported_twice):
        _, second = real_file_imported_twice

        assert (second.created, second.updated, second.unchanged) == (0, 0, 10_439)
        assert "Unchanged: 10,439" in "\n".join(second.summary())
        assert second.providers_created == second.capabilities_added == 0

    def test_blank_and_all_zero_feis_are_no_fei_and_shared_feis_two_sites(self):
        assert Site.objects.filter(fei_number="").count() == 234
        assert Site.objects.get(duns_number="695293236").fei_number == ""  # "0000000"
        # "0001038593" and "1038593": one FEI, two establishments.
        assert sorted(
            Site.objects.filter(fei_number="1038593").values_list("duns_number", flat=True)
        ) == ["052284072", "837181338"]
        shared = (
            Site.objects.exclude(fei_number="")
            .values("fei_number")
            .annotate(sites=models.Count("pk"))
            .filter(sites__gt=1)
        )
        assert (len(shared), sum(row["sites"] for row in shared)) == (243, 565)

    def test_country_from_the_alpha3_code_or_the_country_name(self):
        czech = Site.objects.get(duns_number="495848938")  # "..., Praha,  149 00, Czechia"
        korean = Site.objects.get(
            duns_number="695293236"
        )  # "..., Seoul, - 05855, Korea, South (KOR)"

        assert (czech.country.code, czech.city) == ("CZ", "Praha")
        assert (korean.country.code, korean.city) == ("KR", "Seoul")
        assert Site.objects.filter(country="").count() == 0

    def test_a_registrant_name_of_several_duns_gets_distinct_slugs(self):
        linde = Provider.objects.filter(name="Linde Gas & Equipment Inc.").order_by("slug")

        assert list(linde.values_list("slug", "registrant_duns")) == [
            ("linde-gas-equipment-inc", "042845636"),
            ("linde-gas-equipment-inc-805568339", "805568339"),
        ]

    def test_the_establishments_of_a_registrant_sharing_a_firm_name_are_told_apart(self):
        airgas = Provider.objects.get(registrant_duns="078301808")
        names = list(airgas.sites.values_list("name", flat=True))

        assert len(names) == len(set(names)) == 476
        assert "AIRGAS USA, LLC (Abilene)" in names

    def test_operations_that_are_terms_become_regulator_record_capabilities(self):
        def terms(duns: str) -> set[tuple[str, str]]:
            return set(
                SiteCapability.objects.filter(site__duns_number=duns).values_list(
                    "term__slug", "provenance"
                )
            )

        regulator = Provenance.REGULATOR_RECORD
        assert terms("121798074") == {("micronization", regulator)}  # PARTICLE SIZE REDUCTION
        assert terms("627064850") == {("radiopharmaceutical", regulator)}  # PET
        assert terms("412779339") == {("packaging-labeling", regulator)}  # LABEL; MANUFACTURE
        assert terms("117764612") == {("qc-release-testing", regulator)}  # ANALYSIS
        assert terms("119190377") == set()  # MANUFACTURE; STERILIZE
        assert Site.objects.get(duns_number="119190377").registered_operations == [
            "MANUFACTURE",
            "STERILIZE",
        ]

    def test_the_registration_shows_as_a_certificate_expired_after_its_date(self):
        registration = Certification.objects.get(site__duns_number="119190377")

        assert registration.kind == CertificationKind.FDA_REGISTRATION
        assert registration.valid_until == datetime.date(2025, 12, 31)
        assert registration.reference == "FEI 2410861"
        assert "DECRS" in registration.source
        assert registration.is_valid_on(datetime.date(2025, 12, 31))
        assert not registration.is_valid_on(datetime.date(2026, 1, 1))
        assert Certification.objects.count() == 10_439

    def test_medical_gas_feed_and_analysis_only_sites_are_ancillary(self):
        def ancillary(**filters) -> set[bool]:
            return set(Site.objects.filter(**filters).values_list("ancillary_only", flat=True))

        assert ancillary(provider__registrant_duns="078301808") == {True}  # Airgas, 476 sites
        assert ancillary(provider__registrant_duns="806578337") == {True}  # Purina: animal feed
        assert ancillary(duns_number="117764612") == {True}  # ANALYSIS only
        assert ancillary(duns_number="125366778") == {True}  # TRANSFILL only
        assert ancillary(duns_number="119190377") == {False}  # MANUFACTURE; STERILIZE
        assert ancillary(provider__registrant_duns="093149750") == {True, False}  # Lonza


# -- A cut of the real file -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_xlsx_form_of_the_columns_imports_alike(cut, tmp_path):
    with transaction.atomic():
        text_report = import_fda_file(cut)
        from_text = catalogue_state()
        transaction.set_rollback(True)

    report = import_fda_file(as_workbook(cut, tmp_path / "drls_reg.xlsx"))

    assert report.file_format == "XLSX"
    assert text_report.file_format == "tab-separated text"
    assert (report.created, report.rejected) == (text_report.created, 0) == (len(CUT_LINES), 0)
    assert catalogue_state() == from_text
    assert import_fda_file(cut).unchanged == len(CUT_LINES)


@pytest.mark.django_db
def test_personal_columns_are_never_stored_reported_or_logged(tmp_path, caplog):
    rows = [data_line(n) for n in CUT_LINES[:40]]
    sentinels = []
    for number, row in enumerate(rows):
        for column in PERSONAL:
            value = f"Zebedee Quarrington{number} {column.lower()}"
            if column.endswith("EMAIL"):
                value = f"zebedee.q{number}.{column.lower()}@sentinel.example"
            row[COLUMNS.index(column)] = value
            sentinels.append(value)
    # A line break inside the agent's details splits a row in two: both halves are rejected,
    # and neither the report nor its reasons repeat what the agent's details say.
    broken = data_line(201)
    broken[COLUMNS.index("AGENT_DETAILS")] = "Agent Zebedee\r\nzebedee.agent@sentinel.example"
    rows.append(broken)
    path = write_lines(tmp_path / "drls_reg.txt", rows)
    upload = RegulatorImport.objects.create(
        file_name=path.name, content=path.read_bytes(), size=path.stat().st_size, rows_total=41
    )

    with caplog.at_level(logging.DEBUG):
        run_regulator_import(upload.pk)

    upload.refresh_from_db()
    assert upload.status == JobStatus.DONE
    assert (upload.report["created"], upload.report["rejected"]) == (40, 2)
    assert text_columns_containing([*sentinels, "zebedee", "sentinel.example"]) == []
    assert "zebedee" not in caplog.text.lower()


@pytest.mark.django_db
def test_a_site_a_curator_created_is_matched_by_duns_then_by_fei(cut):
    curator = ProviderFactory(name="Curated Holdings", slug="curated-holdings")
    by_duns = SiteFactory(provider=curator, name="Plant A", duns_number="412779339", fei_number="")
    # Line 6: FEI 0000000360, no site with that DUNS.
    by_fei = SiteFactory(provider=curator, name="Plant B", fei_number="360", duns_number="")

    report = import_fda_file(cut)

    assert (report.created, report.updated, report.matched_curated) == (len(CUT_LINES) - 2, 2, 2)
    assert Site.objects.count() == len(CUT_LINES)
    by_duns.refresh_from_db()
    by_fei.refresh_from_db()
    assert (by_duns.provider, by_duns.name, by_duns.source) == (curator, "Plant A", "curated")
    assert by_duns.registered_operations == ["LABEL", "MANUFACTURE"]
    assert by_fei.duns_number == "271408412"
    assert by_fei.provider == curator
    assert by_fei.certifications.get().kind == CertificationKind.FDA_REGISTRATION
    assert by_fei.history.first().history_change_reason == "FDA import: drls_reg.txt"


@pytest.mark.django_db
def test_a_site_a_curator_moved_to_their_provider_stays_there_on_the_next_import(tmp_path):
    path = write_lines(tmp_path / "drls_reg.txt", [data_line(2104)])
    import_fda_file(path)
    cdmo = ProviderFactory(name="Endo Contract Services", slug="endo-contract-services")
    site = Site.objects.get(duns_number="119190377")
    site.provider, site.name = cdmo, "Rochester"
    site.save()

    report = import_fda_file(path)

    site.refresh_from_db()
    assert (report.unchanged, site.provider, site.name) == (1, cdmo, "Rochester")


@pytest.mark.django_db
def test_an_fei_two_sites_without_duns_share_matches_neither(cut):
    first = SiteFactory(fei_number="360", duns_number="")
    second = SiteFactory(fei_number="360", duns_number="")

    report = import_fda_file(cut)

    assert report.created == len(CUT_LINES)
    assert Site.objects.filter(fei_number="360").count() == 3
    assert {first.pk, second.pk}.isdisjoint(
        Site.objects.filter(duns_number="271408412").values_list("pk", flat=True)
    )
    assert any("FEI 360 is held by 2 sites without a DUNS number" in n for n in report.notes)


@pytest.mark.django_db
def test_regulator_records_of_an_imported_fei_link_at_once_and_are_rescored(cut):
    inspection = InspectionFactory(site=None, fei_number="2410861")

    report = import_fda_file(cut)

    inspection.refresh_from_db()
    site = Site.objects.get(duns_number="119190377")
    assert inspection.site == site
    assert report.linked >= 1
    assert site.pk in report.rescore_site_ids


@pytest.mark.django_db
def test_a_site_losing_records_to_an_establishment_sharing_its_fei_is_rescored(tmp_path):
    curated = SiteFactory(name="Rochester", fei_number="2410861", duns_number="999999999")
    inspection = InspectionFactory(site=curated, fei_number="2410861", legal_name="Endo USA, Inc.")
    Site.objects.filter(pk=curated.pk).update(compliance_score=58, compliance_state="scored")

    report = import_fda_file(write_lines(tmp_path / "drls_reg.txt", [data_line(2104)]))

    inspection.refresh_from_db()
    endo = Site.objects.get(duns_number="119190377")
    assert inspection.site == endo  # its firm name is the record's legal name
    assert set(report.rescore_site_ids) == {curated.pk, endo.pk}


@pytest.mark.django_db
def test_malformed_rows_are_rejected_with_their_line_and_reason(tmp_path):
    good = data_line(6)
    no_duns = data_line(7)
    no_duns[1] = "N/A"
    no_country = data_line(8)
    no_country[3] = "Somewhere Road, Nowhere"
    bad_date = data_line(9)
    bad_date[4] = "31/31/2025"
    no_firm = data_line(10)
    no_firm[2] = ""
    twice = data_line(6)
    path = write_lines(
        tmp_path / "drls_reg.txt", [good, no_duns, no_country, bad_date, no_firm, twice]
    )

    report = import_fda_file(path)

    assert (report.created, report.rejected) == (1, 5)
    problems = "\n".join(report.problems())
    assert "drls_reg.txt, line 3: DUNS_NUMBER: is not a DUNS number (nine digits)" in problems
    assert "line 4: ADDRESS: no country" in problems
    assert "line 5: EXPIRATION_DATE: '31/31/2025' is not a date" in problems
    assert "line 6: FIRM_NAME: missing (the establishment's name)" in problems
    assert "line 7: DUNS_NUMBER: 271408412 is also the DUNS of line 2" in problems


@pytest.mark.django_db
def test_an_operation_fda_drops_removes_its_capability_on_the_next_import(tmp_path):
    row = data_line(64)  # ANALYSIS only
    import_fda_file(write_lines(tmp_path / "drls_reg.txt", [row]))
    row[COLUMNS.index("OPERATIONS")] = "MANUFACTURE"

    report = import_fda_file(write_lines(tmp_path / "drls_reg.txt", [row]))

    site = Site.objects.get(duns_number="117764612")
    assert (report.updated, report.capabilities_removed) == (1, 1)
    assert (site.registered_operations, site.ancillary_only) == (["MANUFACTURE"], False)
    assert not site.capabilities.exists()


@pytest.mark.django_db
def test_the_command_imports_the_file_and_reports_it(cut):
    out = io.StringIO()

    call_command("import_fda", str(cut), stdout=out)

    assert "FDA drug establishment registrations (tab-separated text, UTF-8" in out.getvalue()
    assert f"Created: {len(CUT_LINES)}" in out.getvalue()


def test_the_admin_upload_accepts_the_registration_file_as_fda_ships_it():
    form = RegulatorImportUploadForm(
        data={}, files={"file": SimpleUploadedFile("drls_reg.txt", HEADER_LINE + b"\r\n")}
    )

    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (
            "6200 W 51st Street, Chicago, Illinois (IL) 60638, United States (USA)",
            ("US", "Chicago"),
        ),
        ("Avda. Extremadura, 3, Aranda De Duero,  09400, Spain (ESP)", ("ES", "Aranda De Duero")),
        ("Dublin Road, Loughrea, Co Galway H62 FH90, Ireland (IRL)", ("IE", "Loughrea")),
        (
            'Pol. Ind., St Quintí (Barcelona), "-" 08777, Spain (ESP)',
            ("ES", "St Quintí (Barcelona)"),
        ),
        ("2348/1 Líbalova, Praha,  149 00, Czechia", ("CZ", "Praha")),
        ("Somewhere Road, Nowhere", ("", "")),
    ],
)
def test_country_and_city_are_read_from_the_address(address, expected):
    assert country_and_city(address) == expected


@pytest.mark.parametrize(
    ("operations", "registrant", "expected"),
    [
        (["MANUFACTURE"], "Airgas Usa, LLC", True),
        (["API MANUFACTURE", "MANUFACTURE"], "Messer LLC", True),
        (["MANUFACTURE", "TRANSFILL"], "ROTECH HEALTHCARE INC", True),
        (["MEDICATED ANIMAL FEED MANUFACTURE"], "Cargill, Incorporated", True),
        (["LABEL", "PACK", "REPACK"], "Repackers Inc.", True),
        (["ANALYSIS", "DISTRIBUTE"], "Lab Inc.", True),
        (["ANALYSIS", "MANUFACTURE"], "Lonza Biologics Inc", False),
        (["PARTICLE SIZE REDUCTION"], "Micron Technologies", False),
        (["MANUFACTURE", "STERILIZE"], "Sterile Gas Products Inc", False),
        (["ANALYSIS", "LABEL", "MANUFACTURE", "PACK"], "OXYGEN DEVELOPMENT, L.L.C.", False),
        (["LABEL", "MANUFACTURE"], "Shenzhen Deshijian Medical Equipment Co., Ltd", False),
    ],
)
def test_ancillary_only_rule(operations, registrant, expected):
    assert ancillary_only(operations, registrant) is expected
