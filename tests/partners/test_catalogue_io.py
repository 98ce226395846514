"""The catalogue file: export then import is lossless, importing twice changes nothing, bad lines
are rejected one by one with their line number and reason, and --atomic imports all or nothing."""

import copy
import datetime
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models

from partners.models import (
    Certification,
    Inspection,
    Phase,
    Provider,
    RegulatoryAction,
    Site,
    SiteCapability,
    Term,
)
from tests.factories import (
    CertificationFactory,
    InspectionFactory,
    ProviderFactory,
    RegulatoryActionFactory,
    SiteCapabilityFactory,
    SiteFactory,
)

CATALOGUE_MODELS = [Provider, Site, SiteCapability, Certification, Inspection, RegulatoryAction]
UTC = datetime.UTC


# -- Helpers -----------------------------------------------------------------------------------


def term(slug: str) -> Term:
    return Term.objects.get(slug=slug)


def phases(*slugs: str) -> list[Phase]:
    return list(Phase.objects.filter(slug__in=slugs))


def build_rich_catalogue() -> None:
    """Three providers covering every key of the format, nulls, unicode and awkward floats."""
    rhine = ProviderFactory(
        name="Rhine Valley Pharma",
        slug="rhine-valley-pharma",
        kind="cdmo",
        country="DE",
        website="https://rhine.example.com",
        description='Small molecules & HPAPI.\nSays "we scale".',
        verification_status="verified",
        verified_on=datetime.date(2025, 2, 3),
        registrant_duns="315123456",
        source="fda-registration",
    )
    leverkusen = SiteFactory(
        provider=rhine,
        name="Leverkusen",
        country="DE",
        city="Leverkusen",
        fei_number="3001234567",
        duns_number="150483782",
        registered_operations=["MANUFACTURE", "ANALYSIS", "PARTICLE SIZE REDUCTION"],
        source="fda-registration",
        oel_ug_m3=0.05,
        capacity_available_from=datetime.date(2027, 1, 1),
        phases=phases("phase1", "phase2", "commercial"),
        dea_schedules=["II", "IV"],
    )
    SiteCapabilityFactory(
        site=leverkusen,
        term=term("small-molecule-api"),
        max_batch_kg=500.0,
        max_volume_l=6000.0,
        provenance="curator-verified",
    )
    SiteCapabilityFactory(site=leverkusen, term=term("hpapi"), max_batch_kg=0.5)
    SiteCapabilityFactory(site=leverkusen, term=term("oral-solid"))
    CertificationFactory(
        site=leverkusen,
        kind="eu-gmp",
        authority="EMA",
        reference="DE_NW_01_GMP_2023_0042",
        issued_on=datetime.date(2023, 5, 1),
        valid_until=datetime.date(2026, 5, 1),
        source="EudraGMDP",
        retrieved_at=datetime.datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
    )
    CertificationFactory(
        site=leverkusen,
        kind="iso-9001",
        authority="",
        reference="",
        issued_on=datetime.date(2022, 1, 1),
        valid_until=None,
    )
    CertificationFactory(
        site=leverkusen,
        kind="fda-registration",
        authority="FDA",
        reference="FEI 3001234567",
        issued_on=None,
        valid_until=None,
        status="suspended",
    )
    for area in ("Drug Quality Assurance", "Bioresearch Monitoring"):
        InspectionFactory(
            site=leverkusen,
            fei_number="3001234567",
            inspection_id="1234567",
            project_area=area,
            end_date=datetime.date(2023, 3, 2),
            classification="VAI",
            product_type="Drugs",
            legal_name="Rhine Valley Pharma GmbH",
            source="FDA Data Dashboard",
            retrieved_at=datetime.datetime(2025, 6, 1, 12, 0, 0, 250000, tzinfo=UTC),
        )
    RegulatoryActionFactory(
        site=leverkusen,
        fei_number="3001234567",
        action_type="warning-letter",
        action_date=datetime.date(2019, 7, 1),
        case_id="580123",
    )
    RegulatoryActionFactory(
        site=leverkusen,
        fei_number="3001234567",
        action_type="import-alert",
        action_date=datetime.date(2020, 2, 29),
        case_id="",
        retrieved_at=None,
    )
    zurich = SiteFactory(
        provider=rhine,
        name="Zürich Süd",
        country="CH",
        city="",
        fei_number="",
        duns_number="004839201",
        registered_operations=["PACK", "LABEL"],
        ancillary_only=True,
        source="demo",
    )
    SiteCapabilityFactory(
        site=zurich, term=term("peptide"), max_batch_kg=12.75, provenance="regulator-record"
    )
    # A record entered for a site without an FEI keeps its site through the site link alone.
    InspectionFactory(
        site=zurich,
        fei_number="",
        authority="EMA",
        inspection_id="CH-2024-17",
        project_area="",
        end_date=datetime.date(2024, 9, 9),
        classification="NAI",
        retrieved_at=None,
    )

    nippon = ProviderFactory(
        name="日本バイオ製造", slug="nippon-bio", kind="cmo", country="JP", website=""
    )
    kobe = SiteFactory(
        provider=nippon,
        name="Kobe",
        country="JP",
        city="神戸",
        fei_number="3009876543",
        phases=phases("commercial"),
    )
    SiteCapabilityFactory(site=kobe, term=term("mab"), max_volume_l=2000.0, max_batch_kg=None)
    SiteCapabilityFactory(site=kobe, term=term("sterile-injectable"), max_volume_l=1e-3)

    ProviderFactory(name="Empty Shell Ltd", slug="empty-shell", kind="cmo", country="GB")


def natural_value(instance: models.Model, field: models.Field) -> Any:
    """A field's value with foreign keys replaced by what identifies them in the file."""
    value = getattr(instance, field.name)
    if isinstance(value, Provider):
        return value.slug
    if isinstance(value, Site):
        return (value.provider.slug, value.name)
    if isinstance(value, Term):
        return value.slug
    if field.name == "country":
        return str(value)
    return value


def catalogue_snapshot() -> dict[str, list]:
    """Every catalogue row, field by field, without ids or timestamps, in a stable order."""
    skipped = {"id", "created_at", "updated_at"}
    snapshot = {}
    for model in CATALOGUE_MODELS:
        rows = []
        for instance in model.objects.all():
            row = {
                field.name: natural_value(instance, field)
                for field in model._meta.concrete_fields
                if field.name not in skipped
            }
            if model is Site:
                row["phases"] = sorted(instance.phases.values_list("slug", flat=True))
                row["dea_schedules"] = sorted(instance.dea_schedules.values_list("code", flat=True))
            rows.append(row)
        snapshot[model.__name__] = sorted(rows, key=repr)
    return snapshot


def delete_catalogue() -> None:
    Provider.objects.all().delete()
    # Regulator records outlive their site (SET_NULL): remove them too for a clean slate.
    Inspection.objects.all().delete()
    RegulatoryAction.objects.all().delete()


def updated_ats() -> dict[str, list]:
    return {
        model.__name__: list(model.objects.order_by("pk").values_list("pk", "updated_at"))
        for model in CATALOGUE_MODELS
    }


def history_counts() -> dict[str, int]:
    return {model.__name__: model.history.count() for model in CATALOGUE_MODELS}


def export(path: Path) -> str:
    out = io.StringIO()
    call_command("export_catalogue", str(path), stdout=out)
    return out.getvalue()


def run_import(path: Path, *options: str) -> tuple[str, str, CommandError | None]:
    """The command's standard output, standard error and the CommandError it raised, if any."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_catalogue", str(path), *options, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error
    return out.getvalue(), err.getvalue(), None


def write_lines(path: Path, lines: list[Any]) -> Path:
    """Lines given as objects are written as JSON; strings are written as they are."""
    text = "\n".join(
        line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines
    )
    path.write_text(text + "\n", encoding="utf-8")
    return path


def provider_line(slug: str, *, fei: str = "", **changes: Any) -> dict[str, Any]:
    """A minimal good line: one provider with one site offering one capability."""
    line = {
        "name": slug.replace("-", " ").title(),
        "slug": slug,
        "kind": "cdmo",
        "country": "DE",
        "sites": [
            {
                "name": "Main plant",
                "country": "DE",
                "fei_number": fei,
                "capabilities": [{"slug": "small-molecule-api", "max_batch_kg": 100}],
            }
        ],
    }
    line.update(changes)
    return line


# -- Round trip --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_then_import_restores_the_catalogue_field_by_field(tmp_path):
    # Given a rich catalogue, exported
    build_rich_catalogue()
    before = catalogue_snapshot()
    first = tmp_path / "catalogue.jsonl"
    export(first)

    # When everything is deleted and the file imported
    delete_catalogue()
    out, err, error = run_import(first)

    # Then the catalogue is what it was, and exporting it again gives the same bytes
    assert error is None, err
    assert catalogue_snapshot() == before
    assert "Providers: 3 created, 0 updated, 0 unchanged." in out
    assert "Sites: 3 created, 0 updated, 0 unchanged." in out
    second = tmp_path / "again.jsonl"
    export(second)
    assert second.read_bytes() == first.read_bytes()


@pytest.mark.django_db
def test_export_writes_every_key_in_a_stable_order_with_whole_floats_as_integers(tmp_path):
    # Given the rich catalogue
    build_rich_catalogue()

    # When it is exported
    path = tmp_path / "catalogue.jsonl"
    export(path)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    # Then providers come by slug, sites by name, records in their documented order
    assert [line["slug"] for line in lines] == ["empty-shell", "nippon-bio", "rhine-valley-pharma"]
    rhine = lines[2]
    assert list(rhine) == [
        "name",
        "slug",
        "kind",
        "country",
        "website",
        "description",
        "verification_status",
        "verified_on",
        "registrant_duns",
        "source",
        "sites",
    ]
    leverkusen, zurich = rhine["sites"]
    assert zurich["name"] == "Zürich Süd"
    assert leverkusen["phases"] == ["phase1", "phase2", "commercial"]
    assert leverkusen["dea_schedules"] == ["II", "IV"]
    assert leverkusen["oel_ug_m3"] == 0.05
    assert [c["slug"] for c in leverkusen["capabilities"]] == [
        "hpapi",
        "oral-solid",
        "small-molecule-api",
    ]
    assert leverkusen["capabilities"][1] == {
        "slug": "oral-solid",
        "max_batch_kg": None,
        "max_volume_l": None,
        "provenance": "self-reported",
    }
    assert [c["kind"] for c in leverkusen["certifications"]] == [
        "eu-gmp",
        "fda-registration",
        "iso-9001",
    ]
    assert [i["project_area"] for i in leverkusen["inspections"]] == [
        "Bioresearch Monitoring",
        "Drug Quality Assurance",
    ]
    assert [a["date"] for a in leverkusen["actions"]] == ["2019-07-01", "2020-02-29"]
    assert leverkusen["inspections"][0]["retrieved_at"] == "2025-06-01T12:00:00.250000+00:00"
    # Whole numbers are written as a person writes them: 500, not 500.0
    assert '"max_batch_kg": 500,' in path.read_text(encoding="utf-8")


@pytest.mark.django_db
def test_export_queries_do_not_grow_with_the_number_of_sites(
    tmp_path, django_assert_max_num_queries
):
    # Given twenty providers of three sites, each with records
    for _ in range(20):
        provider = ProviderFactory()
        for _ in range(3):
            site = SiteFactory(provider=provider, phases=phases("phase1"), dea_schedules=["II"])
            SiteCapabilityFactory(site=site)
            CertificationFactory(site=site)
            InspectionFactory(site=site)
            RegulatoryActionFactory(site=site)

    # When exported, then one query per table is enough
    with django_assert_max_num_queries(8):
        export(tmp_path / "catalogue.jsonl")


@pytest.mark.django_db
def test_export_and_import_through_standard_output_and_input(tmp_path, monkeypatch):
    # Given a catalogue exported to standard output
    build_rich_catalogue()
    before = catalogue_snapshot()
    out, err = io.StringIO(), io.StringIO()
    call_command("export_catalogue", "-", stdout=out, stderr=err)
    assert "Exported 3 providers, 3 sites." in err.getvalue()

    # When it is imported from standard input into an empty catalogue
    delete_catalogue()
    stdin = io.TextIOWrapper(io.BytesIO(out.getvalue().encode("utf-8")), encoding="utf-8")
    monkeypatch.setattr("sys.stdin", stdin)
    call_command("import_catalogue", "-", stdout=io.StringIO(), stderr=io.StringIO())

    # Then it is restored
    assert catalogue_snapshot() == before


# -- Idempotent upsert -------------------------------------------------------------------------


@pytest.mark.django_db
def test_importing_the_same_file_twice_changes_nothing_the_second_time(tmp_path):
    # Given a catalogue imported once from its file
    build_rich_catalogue()
    path = tmp_path / "catalogue.jsonl"
    export(path)
    delete_catalogue()
    run_import(path)
    stamps, histories = updated_ats(), history_counts()

    # When the same file is imported again
    out, err, error = run_import(path)

    # Then everything is reported unchanged, and no row was saved nor history written
    assert error is None, err
    assert "Lines read: 3." in out
    assert "Providers: 0 created, 0 updated, 3 unchanged." in out
    assert "Sites: 0 created, 0 updated, 3 unchanged." in out
    assert "Capabilities:" not in out
    assert updated_ats() == stamps
    assert history_counts() == histories


@pytest.mark.django_db
def test_importing_a_fresh_export_over_its_own_catalogue_changes_nothing(tmp_path):
    # Given a catalogue built by hand (not by the importer) and its export
    build_rich_catalogue()
    path = tmp_path / "catalogue.jsonl"
    export(path)
    stamps, histories = updated_ats(), history_counts()

    # When the export is imported over it
    out, _, error = run_import(path)

    # Then nothing is saved
    assert error is None
    assert "Providers: 0 created, 0 updated, 3 unchanged." in out
    assert updated_ats() == stamps
    assert history_counts() == histories


@pytest.mark.django_db
def test_a_changed_field_updates_the_row_and_records_history(tmp_path):
    # Given an imported catalogue
    build_rich_catalogue()
    path = tmp_path / "catalogue.jsonl"
    export(path)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    kobe = Site.objects.get(name="Kobe")
    site_history = kobe.history.count()

    # When the file changes the Kobe site's city and its mAb scale, and is imported
    nippon = lines[1]
    nippon["sites"][0]["city"] = "Kobe-shi"
    nippon["sites"][0]["capabilities"][0]["max_volume_l"] = 4000
    out, err, error = run_import(write_lines(path, lines))

    # Then those rows are updated, with history, and the rest is left as it was
    assert error is None, err
    kobe.refresh_from_db()
    assert kobe.city == "Kobe-shi"
    assert kobe.history.count() == site_history + 1
    assert kobe.capabilities.get(term__slug="mab").max_volume_l == 4000.0
    assert "Providers: 0 created, 1 updated, 2 unchanged." in out
    assert "Sites: 0 created, 1 updated, 2 unchanged." in out
    assert "Capabilities: 1 updated." in out


@pytest.mark.django_db
def test_a_capability_removed_from_the_file_is_removed_from_the_site(tmp_path):
    # Given a site with three capabilities, in a file
    build_rich_catalogue()
    path = tmp_path / "catalogue.jsonl"
    export(path)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    # When the file lists only two of them and is imported
    leverkusen = lines[2]["sites"][0]
    leverkusen["capabilities"] = [c for c in leverkusen["capabilities"] if c["slug"] != "hpapi"]
    out, _, error = run_import(write_lines(path, lines))

    # Then the site offers exactly those two
    assert error is None
    site = Site.objects.get(fei_number="3001234567")
    assert sorted(site.capabilities.values_list("term__slug", flat=True)) == [
        "oral-solid",
        "small-molecule-api",
    ]
    assert "Capabilities: 1 removed." in out


@pytest.mark.django_db
def test_keys_absent_from_the_file_leave_fields_and_unlisted_records_alone(tmp_path):
    # Given a verified provider with certified sites
    build_rich_catalogue()

    # When a line names the provider and one site with only the required keys
    line = {
        "name": "Rhine Valley Pharma",
        "slug": "rhine-valley-pharma",
        "kind": "cdmo",
        "country": "DE",
        "sites": [{"name": "Leverkusen", "country": "DE", "fei_number": "3001234567"}],
    }
    out, _, error = run_import(write_lines(tmp_path / "partial.jsonl", [line]))

    # Then nothing it does not mention is touched
    assert error is None
    assert "Providers: 0 created, 0 updated, 1 unchanged." in out
    provider = Provider.objects.get(slug="rhine-valley-pharma")
    assert provider.verification_status == "verified"
    assert provider.sites.count() == 2
    site = provider.sites.get(name="Leverkusen")
    assert site.capabilities.count() == 3
    assert site.certifications.count() == 3
    assert site.oel_ug_m3 == 0.05


@pytest.mark.django_db
def test_a_site_is_found_by_fei_even_when_renamed(tmp_path):
    # Given a site with an FEI
    site = SiteFactory(provider=ProviderFactory(slug="acme"), name="Old name", fei_number="3001")
    line = provider_line("acme", fei="0003001")
    line["sites"][0]["name"] = "New name"

    # When the file gives the same FEI (written with leading zeros) under a new name
    out, _, error = run_import(write_lines(tmp_path / "c.jsonl", [line]))

    # Then the site is renamed, not duplicated
    assert error is None
    assert Site.objects.get().pk == site.pk
    assert Site.objects.get().name == "New name"
    assert "Sites: 0 created, 1 updated, 0 unchanged." in out


@pytest.mark.django_db
def test_a_site_is_found_by_duns_before_fei_and_name(tmp_path):
    # Given two sites of a provider, one known by its DUNS number
    provider = ProviderFactory(slug="acme")
    by_duns = SiteFactory(provider=provider, name="Plant A", fei_number="3001", duns_number="1")
    SiteFactory(provider=provider, name="Renamed plant", fei_number="3002")
    line = provider_line("acme", fei="3009")
    line["sites"][0] |= {"name": "Renamed plant A", "duns_number": "000000001"}

    # When the file gives that DUNS number with a new name and FEI
    out, err, error = run_import(write_lines(tmp_path / "c.jsonl", [line]))

    # Then that site is updated, not another one nor a new one
    assert error is None, err
    by_duns.refresh_from_db()
    assert (by_duns.name, by_duns.fei_number) == ("Renamed plant A", "3009")
    assert provider.sites.count() == 2
    assert "Sites: 0 created, 1 updated, 0 unchanged." in out


@pytest.mark.django_db
def test_an_fei_two_sites_share_finds_neither_and_the_name_decides(tmp_path):
    # Given two establishments of a provider sharing an FEI
    provider = ProviderFactory(slug="acme")
    plant = SiteFactory(provider=provider, name="Plant", fei_number="3001")
    annex = SiteFactory(provider=provider, name="Annex", fei_number="3001")
    line = provider_line("acme", fei="3001")
    line["sites"][0] |= {"name": "Annex", "city": "Basel"}

    # When the file gives the shared FEI under one of their names
    _out, err, error = run_import(write_lines(tmp_path / "c.jsonl", [line]))

    # Then the site of that name is the one updated
    assert error is None, err
    annex.refresh_from_db()
    plant.refresh_from_db()
    assert annex.city == "Basel"
    assert plant.city != "Basel"
    assert provider.sites.count() == 2


@pytest.mark.django_db
def test_round_trip_keeps_two_establishments_of_one_fei_and_their_records_apart(tmp_path):
    # Given an FEI FDA gave to two establishments of two registrants, each with its records
    fei = "3009876543"
    sterile = SiteFactory(
        provider=ProviderFactory(slug="acme", registrant_duns="111111111"),
        name="Acme Sterile Products, Inc.",
        fei_number=fei,
        duns_number="222222222",
        registered_operations=["MANUFACTURE", "STERILIZE"],
        source="fda-registration",
    )
    labeller = SiteFactory(
        provider=ProviderFactory(slug="beta", registrant_duns="333333333"),
        name="Beta Labelling",
        fei_number=fei,
        duns_number="444444444",
        registered_operations=["LABEL"],
        ancillary_only=True,
        source="fda-registration",
    )
    InspectionFactory(fei_number=fei, inspection_id="1", legal_name="ACME STERILE PRODUCTS")
    InspectionFactory(fei_number=fei, inspection_id="2", legal_name="Beta Labelling GmbH")
    RegulatoryActionFactory(fei_number=fei, legal_name="acme sterile products inc")
    assert sterile.inspections.count() == 1
    assert labeller.inspections.count() == 1
    before = catalogue_snapshot()
    first = tmp_path / "catalogue.jsonl"
    export(first)

    # When everything is deleted and the file imported
    delete_catalogue()
    out, err, error = run_import(first)

    # Then each establishment is back with its own records, and the file is the same again
    assert error is None, err
    assert catalogue_snapshot() == before
    second = tmp_path / "again.jsonl"
    export(second)
    assert second.read_bytes() == first.read_bytes()
    # And a second import changes nothing
    out, err, error = run_import(first)
    assert "Sites: 0 created, 0 updated, 2 unchanged." in out


@pytest.mark.django_db
def test_a_registrant_duns_of_another_provider_is_rejected(tmp_path):
    ProviderFactory(slug="incumbent", registrant_duns="123456789")
    lines = [
        provider_line("newcomer", registrant_duns="123-456-789"),
        provider_line("first", registrant_duns="987654321"),
        provider_line("second", registrant_duns="987654321"),
    ]

    _out, err, error = run_import(write_lines(tmp_path / "c.jsonl", lines))

    assert error is not None
    assert (
        "line 1: registrant_duns: DUNS 123456789 is already the registrant DUNS of provider "
        "'incumbent'" in err
    )
    assert (
        "line 3: registrant_duns: DUNS 987654321 is the registrant DUNS given to provider "
        "'first' on line 2" in err
    )
    assert sorted(Provider.objects.values_list("slug", flat=True)) == ["first", "incumbent"]


# -- Rejected lines ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_bad_line_is_reported_with_its_number_and_reason_and_good_lines_are_imported(
    tmp_path,
):
    # Given a provider in the catalogue holding DUNS 300555000
    SiteFactory(provider=ProviderFactory(slug="incumbent"), duns_number="300555000")
    bad_capability = provider_line("bad-capability")
    bad_capability["sites"][0]["capabilities"] = [{"slug": "small-molecule-api"}, {"slug": "mAb"}]
    negative_batch = provider_line("negative-batch")
    negative_batch["sites"][0]["capabilities"][0]["max_batch_kg"] = -5
    twin_sites = provider_line("twin-sites")
    twin_sites["sites"][0]["duns_number"] = "300777000"
    twin_sites["sites"].append(copy.deepcopy(twin_sites["sites"][0]) | {"name": "Annex"})
    poacher = provider_line("poacher")
    poacher["sites"][0]["duns_number"] = "300555000"
    copycat = provider_line("copycat")
    copycat["sites"][0]["duns_number"] = "300111000"
    good_first = provider_line("good-first", fei="3001110000")
    good_first["sites"][0]["duns_number"] = "30-011-1000"
    lines = [
        good_first,
        '{"name": "Broken", "slug": "broken",',
        bad_capability,
        provider_line("bad-country", country="Germany"),
        provider_line("bad-date", verified_on="2023-02-30"),
        negative_batch,
        twin_sites,
        poacher,
        copycat,
        "",
        provider_line("good-last"),
    ]
    path = write_lines(tmp_path / "catalogue.jsonl", lines)

    # When the file is imported
    out, err, error = run_import(path)

    # Then every bad line is reported with its number and reason
    assert error is not None
    assert "8 of 11 lines rejected" in str(error)
    assert "line 2: invalid JSON: Expecting property name enclosed in double quotes" in err
    assert (
        "line 3: sites[0].capabilities[1].slug: unknown capability 'mAb' (did you mean 'mab'?)"
        in err
    )
    assert "line 4: country: unknown country code 'Germany' (did you mean 'DE' for Germany?)" in err
    assert "line 5: verified_on: '2023-02-30' is not a day of the calendar" in err
    assert "line 6: sites[0].capabilities[0].max_batch_kg: must be greater than zero" in err
    assert "line 7: sites[1].duns_number: DUNS 300777000 is also given for sites[0]" in err
    assert "line 8: sites[0].duns_number: DUNS 300555000 already belongs to site " in err
    assert "of provider 'incumbent'" in err
    assert (
        "line 9: sites[0].duns_number: DUNS 300111000 is given to provider 'good-first' on "
        "line 1" in err
    )
    # And the good lines, and only they, are imported
    assert sorted(Provider.objects.values_list("slug", flat=True)) == [
        "good-first",
        "good-last",
        "incumbent",
    ]
    assert "Lines read: 11 (1 blank)." in out
    assert "Providers: 2 created, 0 updated, 0 unchanged." in out


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"kind": "cro"},
            "kind: unknown provider kind 'cro' "
            "(did you mean 'cmo'? known: cdmo, cmo, unclassified)",
        ),
        ({"country": "uk"}, "country: unknown country code 'uk' (did you mean 'GB'"),
        ({"website": "not a url"}, "website: 'not a url' is not a web address"),
        ({"verified_on": "01/02/2023"}, "verified_on: expected a date as YYYY-MM-DD"),
        ({"name": ""}, "name: must not be empty"),
        ({"colour": "red"}, "colour: unknown key 'colour'"),
        ({"registrant_duns": "DUNS"}, "registrant_duns: 'DUNS' is not a DUNS number"),
        ({"source": "scraped"}, "source: unknown source 'scraped'"),
        ({"sites": {"name": "x"}}, "sites: expected a list of site objects, got an object"),
    ],
)
def test_a_bad_provider_field_is_reported_with_its_reason(tmp_path, change, message):
    # Given a line with one bad provider field
    path = write_lines(tmp_path / "c.jsonl", [provider_line("acme", **change)])

    # When imported, then it is rejected with that reason and nothing is written
    _, err, error = run_import(path)
    assert error is not None
    assert f"line 1: {message}" in err
    assert not Provider.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("site_change", "message"),
    [
        (
            {"phases": ["phase 2"]},
            "sites[0].phases[0]: unknown phase 'phase 2' (did you mean 'phase2'? known:",
        ),
        ({"dea_schedules": ["VI"]}, "sites[0].dea_schedules[0]: unknown DEA schedule 'VI'"),
        ({"oel_ug_m3": "1 µg"}, "sites[0].oel_ug_m3: expected a number, got the text '1 µg'"),
        ({"oel_ug_m3": 0}, "sites[0].oel_ug_m3: must be greater than zero"),
        ({"fei_number": "FEI-12"}, "sites[0].fei_number: 'FEI-12' is not an FEI number"),
        (
            {"duns_number": "15-048-378X"},
            "sites[0].duns_number: '15-048-378X' is not a DUNS number (nine digits, such as",
        ),
        (
            {"duns_number": "1504837821"},
            "sites[0].duns_number: '1504837821' is not a DUNS number (10 digits; nine digits",
        ),
        ({"duns_number": "000000000"}, "sites[0].duns_number: '000000000' is not a DUNS number"),
        ({"duns_number": 1.5}, "sites[0].duns_number: expected a DUNS number as text"),
        (
            {"registered_operations": "MANUFACTURE"},
            "sites[0].registered_operations: expected a list of operations as text",
        ),
        (
            {"registered_operations": ["PACK", "PACK"]},
            "sites[0].registered_operations: item 1: the operation 'PACK' is listed twice",
        ),
        ({"source": "rumour"}, "sites[0].source: unknown source 'rumour'"),
        ({"ancillary_only": "yes"}, "sites[0].ancillary_only: expected true or false"),
        (
            {"capabilities": [{"slug": "mab", "provenance": "rumour"}]},
            "sites[0].capabilities[0].provenance: unknown provenance 'rumour'",
        ),
        (
            {"certifications": [{"kind": "gmp"}]},
            "sites[0].certifications[0].kind: unknown certification kind 'gmp'",
        ),
        (
            {"certifications": [{"kind": "eu-gmp", "authority": "EMEA"}]},
            "sites[0].certifications[0].authority: unknown authority 'EMEA' (did you mean 'EMA'?",
        ),
        (
            {"certifications": [{"kind": "eu-gmp", "status": "lapsed"}]},
            "sites[0].certifications[0].status: unknown certification status 'lapsed'",
        ),
        (
            {
                "certifications": [
                    {"kind": "eu-gmp", "issued_on": "2024-01-01", "valid_until": "2023-01-01"}
                ]
            },
            "sites[0].certifications[0].valid_until: must be after issued_on",
        ),
        (
            {
                "inspections": [
                    {
                        "authority": "FDA",
                        "inspection_id": "1",
                        "end_date": "2024-01-01",
                        "classification": "OK",
                    }
                ]
            },
            "sites[0].inspections[0].classification: unknown inspection classification 'OK'",
        ),
        (
            {
                "inspections": [
                    {
                        "authority": "FDA",
                        "inspection_id": "1",
                        "end_date": "2024-01-01",
                        "classification": "NAI",
                        "retrieved_at": "2024-01-02T10:00:00",
                    }
                ]
            },
            "sites[0].inspections[0].retrieved_at: '2024-01-02T10:00:00' needs a UTC offset",
        ),
        (
            {"actions": [{"authority": "FDA", "type": "fine", "date": "2024-01-01"}]},
            "sites[0].actions[0].type: unknown action type 'fine'",
        ),
        (
            {"actions": [{"authority": "FDA", "type": "seizure"}]},
            "sites[0].actions[0].date: is required but missing",
        ),
    ],
)
def test_a_bad_site_value_is_reported_with_its_path_and_reason(tmp_path, site_change, message):
    # Given a line whose site carries one bad value
    line = provider_line("acme")
    line["sites"][0].update(site_change)
    path = write_lines(tmp_path / "c.jsonl", [line])

    # When imported, then it is rejected with the path of that value and nothing is written
    _, err, error = run_import(path)
    assert error is not None
    assert f"line 1: {message}" in err
    assert not Provider.objects.exists()


@pytest.mark.django_db
def test_a_site_or_inspection_given_twice_in_one_line_is_rejected(tmp_path):
    # Given a line naming two sites "Main plant", each listing the same FDA inspection
    inspection = {
        "authority": "FDA",
        "inspection_id": "42",
        "end_date": "2024-01-01",
        "classification": "NAI",
    }
    line = provider_line("acme")
    line["sites"][0]["inspections"] = [inspection]
    line["sites"].append(copy.deepcopy(line["sites"][0]))

    # When imported
    _, err, error = run_import(write_lines(tmp_path / "c.jsonl", [line]))

    # Then both repetitions are reported, and nothing is written
    assert error is not None
    assert "line 1: sites[1].name: site name 'Main plant' is also used by sites[0]" in err
    assert (
        "line 1: sites[1].inspections[0]: describes the same inspection as "
        "sites[0].inspections[0]" in err
    )
    assert not Provider.objects.exists()


@pytest.mark.django_db
def test_a_line_that_is_not_an_object_is_rejected(tmp_path):
    path = write_lines(tmp_path / "c.jsonl", ['["a", "list"]'])

    _, err, error = run_import(path)

    assert error is not None
    assert "line 1: expected a JSON object (one provider per line), got a list" in err


@pytest.mark.django_db
def test_every_problem_of_a_line_is_reported_not_only_the_first(tmp_path):
    line = {"name": "Acme", "kind": "cmo", "sites": [{"name": "A", "country": "ZZ"}]}
    path = write_lines(tmp_path / "c.jsonl", [line])

    _, err, _ = run_import(path)

    assert "line 1: slug: is required but missing" in err
    assert "line 1: country: is required but missing" in err
    assert "line 1: sites[0].country: unknown country code 'ZZ'" in err


@pytest.mark.django_db
def test_renaming_a_site_onto_another_sites_name_is_rejected(tmp_path):
    # Given a provider whose two sites are "North" (FEI 3001) and "South"
    provider = ProviderFactory(slug="acme")
    SiteFactory(provider=provider, name="North", fei_number="3001")
    SiteFactory(provider=provider, name="South")

    # When a line renames the FEI 3001 site to "South"
    line = provider_line("acme", fei="3001")
    line["sites"][0]["name"] = "South"
    _, err, error = run_import(write_lines(tmp_path / "c.jsonl", [line]))

    # Then the line is rejected, and both sites are as they were
    assert error is not None
    assert (
        "line 1: sites[0].name: renames the site with FEI 3001 to 'South', "
        "the name of another site of this provider" in err
    )
    assert sorted(Site.objects.values_list("name", flat=True)) == ["North", "South"]


@pytest.mark.django_db
def test_a_line_the_database_refuses_is_reported_and_rolled_back_not_raised(tmp_path):
    # Given a certificate issued on 2024-01-01
    site = SiteFactory(provider=ProviderFactory(slug="acme"), name="Main plant", city="Old")
    CertificationFactory(
        site=site,
        kind="eu-gmp",
        reference="R-1",
        issued_on=datetime.date(2024, 1, 1),
        valid_until=datetime.date(2027, 1, 1),
    )

    # When a line moves the site's city and gives that certificate an end before its issue date
    # (the file leaves issued_on out, so only the database sees the clash)
    line = provider_line("acme")
    line["sites"][0]["city"] = "New"
    line["sites"][0]["certifications"] = [
        {"kind": "eu-gmp", "reference": "R-1", "valid_until": "2023-06-30"}
    ]
    _, err, error = run_import(write_lines(tmp_path / "c.jsonl", [line]))

    # Then the line is reported, and none of it is written
    assert error is not None
    assert err.startswith("line 1: the database refused the line: ")
    site.refresh_from_db()
    assert site.city == "Old"
    assert site.certifications.get().valid_until == datetime.date(2027, 1, 1)


@pytest.mark.django_db
def test_atomic_import_writes_nothing_when_one_line_is_bad(tmp_path):
    # Given a file of two good lines and one bad one
    lines = [provider_line("good-one"), provider_line("bad", kind="cro"), provider_line("good-two")]
    path = write_lines(tmp_path / "c.jsonl", lines)

    # When imported with --atomic
    out, err, error = run_import(path, "--atomic")

    # Then nothing is written, and the bad line is still reported
    assert error is not None
    assert "nothing was imported" in str(error)
    assert "line 2: kind: unknown provider kind 'cro'" in err
    assert "Nothing was written" in out
    assert not Provider.objects.exists()
    assert not Provider.history.exists()


@pytest.mark.django_db
def test_atomic_import_of_good_lines_writes_them_all(tmp_path):
    path = write_lines(tmp_path / "c.jsonl", [provider_line("one"), provider_line("two")])

    out, _, error = run_import(path, "--atomic")

    assert error is None
    assert Provider.objects.count() == 2
    assert "Providers: 2 created, 0 updated, 0 unchanged." in out


@pytest.mark.django_db
def test_a_missing_file_is_a_clear_command_error(tmp_path):
    with pytest.raises(CommandError, match=r"cannot read .*missing\.jsonl: No such file"):
        call_command("import_catalogue", str(tmp_path / "missing.jsonl"))
