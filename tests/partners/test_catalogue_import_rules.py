"""`import_catalogue` and regulator records: a line never moves one to another provider, records
of an FEI several sites share follow the linking rule, a provider is given once per file, and
importing any file a second time changes nothing."""

import csv
import datetime
import io
import json
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from partners.demo.seeding import seed_catalogue
from partners.models import Inspection, Provider, RegulatoryAction, Site
from partners.regulatory.linking import shared_feis
from tests.factories import (
    InspectionFactory,
    ProviderFactory,
    RegulatoryActionFactory,
    SiteFactory,
)
from tests.partners.test_catalogue_io import (
    export,
    history_counts,
    provider_line,
    run_import,
    updated_ats,
    write_lines,
)

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2026, 6, 30)


def records_by_site() -> dict[str, list]:
    """Each inspection and action, by its key, with the provider slug and site it is linked to."""
    return {
        "inspections": sorted(
            Inspection.objects.values_list(
                "authority", "inspection_id", "project_area", "site__provider__slug", "site__name"
            ),
            key=repr,
        ),
        "actions": sorted(
            RegulatoryAction.objects.values_list(
                "pk", "site__provider__slug", "site__name", "fei_number", "legal_name"
            ),
            key=repr,
        ),
    }


def assert_nothing_written(out: str) -> None:
    """The summary of an import that saved no row."""
    assert "Providers: 0 created, 0 updated," in out, out
    assert "Sites: 0 created, 0 updated," in out, out
    for kind in ("Capabilities", "Certifications", "Inspections", "Actions"):
        assert f"{kind}:" not in out, out


def duplicated_demo_file(tmp_path: Path) -> tuple[Path, str, int]:
    """The demo catalogue's export with its provider of most inspections given again, under a
    new slug and without its actions, on a last line: the file, the original's slug and the
    last line's number."""
    seed_catalogue(8, 42, AS_OF)
    exported = tmp_path / "demo.jsonl"
    export(exported)
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    original = max(lines, key=lambda line: sum(len(site["inspections"]) for site in line["sites"]))
    assert sum(len(site["inspections"]) for site in original["sites"]) > 5
    # Without its actions: a warning letter's case id would clash in the database on its own.
    copy = {
        **original,
        "slug": f"{original['slug']}-copy",
        "sites": [{**site, "actions": []} for site in original["sites"]],
    }
    path = write_lines(tmp_path / "duplicated.jsonl", [*lines, copy])
    return path, original["slug"], len(lines) + 1


# -- A provider duplicated under a new slug (the file) ---------------------------------


def test_a_provider_duplicated_under_a_new_slug_takes_none_of_the_originals_records(tmp_path):
    # Given the demo catalogue, and its export with one provider given again under a new slug
    path, original, copy_line = duplicated_demo_file(tmp_path)
    before = records_by_site()

    # When the file is imported
    out, err, error = run_import(path)

    # Then the copy's line is rejected, naming each record it would take by its key and FEI
    assert error is not None
    inspection = Inspection.objects.filter(site__provider__slug=original).exclude(fei_number="")
    inspection = inspection.first()
    assert inspection is not None
    assert f"line {copy_line}: sites[" in err
    assert f"inspection {inspection.inspection_id}" in err
    assert (
        f"(FEI {inspection.fei_number}) belongs to site {inspection.site.name!r} of provider "
        f"{original!r}" in err
    ), err
    assert "does not move regulator records between providers" in err
    # And every record is where it was; the copy was not created
    assert records_by_site() == before
    assert not Provider.objects.filter(slug=f"{original}-copy").exists()
    assert "Providers: 0 created, 0 updated" in out


def test_a_file_with_a_duplicated_provider_imported_twice_changes_nothing_the_second_time(
    tmp_path,
):
    # Given the duplicated file imported once
    path, _original, copy_line = duplicated_demo_file(tmp_path)
    run_import(path)
    stamps, histories, records = updated_ats(), history_counts(), records_by_site()

    # When it is imported again
    out, err, _error = run_import(path)

    # Then nothing is written, and the same line is rejected again
    assert_nothing_written(out)
    assert updated_ats() == stamps
    assert history_counts() == histories
    assert records_by_site() == records
    assert {line.split(":")[0] for line in err.splitlines()} == {f"line {copy_line}"}


def test_the_demo_catalogue_exported_and_imported_twice_changes_nothing_the_second_time(
    tmp_path,
):
    # Given the demo catalogue, exported, deleted and imported from its export
    seed_catalogue(8, 42, AS_OF)
    before = records_by_site()
    path = tmp_path / "demo.jsonl"
    export(path)
    out, err, error = run_import(path)
    assert error is None, err
    assert_nothing_written(out)
    stamps, histories = updated_ats(), history_counts()

    # When it is imported a second time
    out, err, error = run_import(path)

    # Then nothing changes, and every record is on its site
    assert error is None, err
    assert_nothing_written(out)
    assert updated_ats() == stamps
    assert history_counts() == histories
    assert records_by_site() == before


# -- The demo's real FDA files -----------------------------------------------------------------

FDA_DIR = Path(settings.BASE_DIR) / "partners" / "demo" / "fda"


def _fda_sample(directory: Path) -> list[Path]:
    """The demo's FDA files cut down to the establishments of the FEIs FDA gave to several of
    them that have compliance actions or published 483s, with those records, and the first
    hundred other establishments: bytes and rows as FDA ships them."""
    lines = (FDA_DIR / "drug_establishments.txt").read_bytes().split(b"\r\n")
    header, establishments = lines[0], [line for line in lines[1:] if line]
    holders = Counter(line.split(b"\t")[0].decode() for line in establishments)
    shared = {fei for fei, count in holders.items() if count > 1}
    files = []
    feis: set[str] = set()
    for name, fei_column in (("compliance_actions.csv", 0), ("published_483s.csv", 1)):
        with (FDA_DIR / name).open(newline="", encoding="utf-8") as file:
            rows = list(csv.reader(file))
        kept = [row for row in rows[1:] if row[fei_column] in shared]
        feis.update(row[fei_column] for row in kept)
        files.append(directory / name)
        with files[-1].open("w", newline="", encoding="utf-8") as file:
            csv.writer(file).writerows([rows[0], *kept])
    kept_lines = [line for line in establishments if line.split(b"\t")[0].decode() in feis]
    registrations = directory / "drug_establishments.txt"
    registrations.write_bytes(b"\r\n".join([header, *establishments[:100], *kept_lines, b""]))
    return [registrations, *files]


def test_the_demo_with_its_fda_files_exported_and_imported_twice_changes_nothing(tmp_path):
    # Given the demo catalogue with the demo's FDA registrations, actions and 483s on it (real
    # files: FEIs several establishments share, records naming one of them or none)
    seed_catalogue(4, 42, AS_OF)
    files = _fda_sample(tmp_path)
    call_command("import_fda", *map(str, files), stdout=io.StringIO())
    assert Site.objects.filter(fei_number__in=shared_feis()).exists()
    assert RegulatoryAction.objects.filter(fei_number__in=shared_feis(), site=None).exists()
    before = records_by_site()
    path = tmp_path / "catalogue.jsonl"
    export(path)

    # When its export is imported over it, twice
    first, err, error = run_import(path)
    assert error is None, err
    second, err, error = run_import(path)

    # Then neither run writes anything, and every record is where it was
    assert error is None, err
    assert_nothing_written(first)
    assert_nothing_written(second)
    assert records_by_site() == before


# -- Records a line names ----------------------------------------------------------------------


def test_an_inspection_of_another_providers_site_named_in_a_line_is_rejected_with_its_key(
    tmp_path,
):
    # Given an EMA inspection without an FEI, of a site of provider "incumbent"
    plant = SiteFactory(provider=ProviderFactory(slug="incumbent"), name="Main plant")
    InspectionFactory(site=plant, authority="EMA", inspection_id="INS-DE-2024-1", project_area="")
    # And a file giving it to a site of provider "newcomer"
    line = provider_line("newcomer")
    line["sites"][0]["inspections"] = [
        {
            "authority": "EMA",
            "inspection_id": "INS-DE-2024-1",
            "end_date": "2024-03-01",
            "classification": "NAI",
        }
    ]

    # When it is imported
    _out, err, error = run_import(write_lines(tmp_path / "c.jsonl", [line]))

    # Then the line is rejected, naming the inspection and whose it is, and nothing moved
    assert error is not None
    assert (
        "line 1: sites[0].inspections[0]: EMA inspection INS-DE-2024-1 belongs to site "
        "'Main plant' of provider 'incumbent'" in err
    ), err
    assert Inspection.objects.get().site == plant
    assert not Provider.objects.filter(slug="newcomer").exists()


def test_a_warning_letter_of_another_providers_fei_is_rejected_with_its_case_id(tmp_path):
    # Given a warning letter of the FEI of a site of provider "incumbent"
    plant = SiteFactory(provider=ProviderFactory(slug="incumbent"), fei_number="3001234567")
    RegulatoryActionFactory(fei_number="3001234567", case_id="580123")
    assert plant.actions.count() == 1
    # And a file giving a site of another provider that FEI and that letter
    line = provider_line("newcomer", fei="3001234567")
    line["sites"][0]["actions"] = [
        {"authority": "FDA", "type": "warning-letter", "date": "2023-07-01", "case_id": "580123"}
    ]

    # When it is imported
    _out, err, error = run_import(write_lines(tmp_path / "c.jsonl", [line]))

    # Then the line is rejected, naming the letter by its case id and FEI
    assert error is not None
    assert (
        "line 1: sites[0].actions[0]: FDA warning letter case 580123 (FEI 3001234567) belongs to "
        f"site {plant.name!r} of provider 'incumbent'" in err
    ), err
    assert plant.actions.count() == 1
    assert RegulatoryAction.objects.count() == 1


def test_the_same_inspection_in_two_lines_stays_with_the_first_and_the_second_is_rejected(
    tmp_path,
):
    # Given a file whose two providers both list one inspection (no FEI: the site decides)
    inspection = {
        "authority": "EMA",
        "inspection_id": "INS-FR-2023-7",
        "end_date": "2023-05-01",
        "classification": "VAI",
    }
    first, second = provider_line("first"), provider_line("second")
    first["sites"][0]["inspections"] = [inspection]
    second["sites"][0]["inspections"] = [inspection]
    path = write_lines(tmp_path / "c.jsonl", [first, second])

    # When it is imported twice
    run_import(path)
    stamps = updated_ats()
    out, err, error = run_import(path)

    # Then the inspection is the first provider's, the second line is rejected each time, and
    # the second import writes nothing (it used to move the inspection on every import)
    assert Inspection.objects.get().site.provider.slug == "first"
    assert error is not None
    assert "line 2: sites[0].inspections[0]: EMA inspection INS-FR-2023-7 belongs to" in err
    assert_nothing_written(out)
    assert updated_ats() == stamps


# -- Records of an FEI several sites share: the linking rule decides ---------------------------


def test_a_site_given_another_providers_fei_does_not_take_its_records(tmp_path):
    # Given a site of provider "halvion" carrying an FEI, with an inspection FDA records under
    # the firm's legal name
    plant = SiteFactory(
        provider=ProviderFactory(slug="halvion", name="Halvion Laboratories"),
        name="Ankleshwar",
        fei_number="3952559729",
    )
    InspectionFactory(
        fei_number="3952559729", inspection_id="7061727", legal_name="Halvion Labs Pvt Ltd"
    )
    assert plant.inspections.count() == 1
    # And a file giving a site of another provider, named as that firm, the same FEI
    line = provider_line("copycat", fei="3952559729")
    line["sites"][0]["name"] = "Halvion Labs"

    # When it is imported
    _out, err, error = run_import(write_lines(tmp_path / "c.jsonl", [line]))

    # Then the line is rejected: under the linking rule it would take the inspection
    assert error is not None
    assert (
        "line 1: FDA inspection 7061727, Drug Quality Assurance (FEI 3952559729) would move from "
        "site 'Ankleshwar' of provider 'halvion' to site 'Halvion Labs' of provider 'copycat'"
        in err
    ), err
    assert plant.inspections.count() == 1
    assert not Provider.objects.filter(slug="copycat").exists()


def test_records_of_a_shared_fei_follow_the_linking_rule_and_a_second_import_writes_nothing(
    tmp_path,
):
    # Given an FEI two providers' sites share, and inspections of it: one naming the first
    # provider, one naming neither (linked to no site, for the curators' review queue)
    fei = "3009876543"
    acme = SiteFactory(
        provider=ProviderFactory(slug="acme", name="Acme Pharma"), name="Plant", fei_number=fei
    )
    SiteFactory(
        provider=ProviderFactory(slug="beta", name="Beta Labs"), name="Annex", fei_number=fei
    )
    InspectionFactory(fei_number=fei, inspection_id="1", legal_name="ACME PHARMA INC")
    InspectionFactory(fei_number=fei, inspection_id="2", legal_name="Gamma Contract Services")
    # And a file (an older export) listing both under the first provider's site
    line = provider_line("acme", fei=fei, name="Acme Pharma")
    line["sites"][0]["name"] = "Plant"
    line["sites"][0]["inspections"] = [
        {
            "authority": "FDA",
            "inspection_id": inspection_id,
            "end_date": "2024-01-15",
            "classification": "NAI",
            "project_area": "Drug Quality Assurance",
        }
        for inspection_id in ("1", "2")
    ]
    path = write_lines(tmp_path / "c.jsonl", [line])

    # When it is imported twice
    _out, err, error = run_import(path)
    assert error is None, err
    stamps, histories = updated_ats(), history_counts()
    out, err, error = run_import(path)

    # Then the rule placed each: the first with acme's site, the other with none; and the
    # second import saved nothing (it used to "update" both on every import)
    assert error is None, err
    assert Inspection.objects.get(inspection_id="1").site == acme
    assert Inspection.objects.get(inspection_id="2").site is None
    assert_nothing_written(out)
    assert updated_ats() == stamps
    assert history_counts() == histories


def test_records_an_fei_shared_since_leaves_with_no_site_are_counted_in_the_report(tmp_path):
    # Given a site carrying an FEI, with an inspection under a firm name its provider's is not
    fei = "3001112223"
    plant = SiteFactory(
        provider=ProviderFactory(slug="acme", name="Acme Pharma"), name="Plant", fei_number=fei
    )
    InspectionFactory(fei_number=fei, legal_name="Contract Fill GmbH")
    assert plant.inspections.count() == 1
    # And a file giving a site of another provider the same FEI (FDA gave it to two
    # establishments)
    line = provider_line("beta", fei=fei)

    # When it is imported
    out, err, error = run_import(write_lines(tmp_path / "c.jsonl", [line]))

    # Then the rule links the inspection to neither site, and the report says so
    assert error is None, err
    assert Inspection.objects.get().site is None
    assert "Regulator records now linked to no site: 1" in out
    assert '"Ambiguous FEIs"' in out


# -- One provider, one line --------------------------------------------------------------------


def test_a_provider_given_twice_in_one_file_is_reported_with_both_line_numbers(tmp_path):
    # Given a file giving provider "acme" on lines 1 and 3, differently
    lines = [
        provider_line("acme", website="https://first.example.com"),
        provider_line("other"),
        provider_line("acme", website="https://second.example.com"),
    ]

    # When it is imported
    out, err, error = run_import(write_lines(tmp_path / "c.jsonl", lines))

    # Then line 3 is rejected, naming line 1; the first is the one imported
    assert error is not None
    assert "line 3: slug: provider 'acme' is also given on line 1" in err, err
    assert Provider.objects.get(slug="acme").website == "https://first.example.com"
    assert "Rejected lines: 1" in out
    # And a second import writes nothing and says the same
    again, err_again, _ = run_import(write_lines(tmp_path / "c.jsonl", lines))
    assert_nothing_written(again)
    assert err_again == err
