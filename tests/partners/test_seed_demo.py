"""`seed_demo`: a deterministic, realistic demo catalogue that a second run leaves alone."""

import datetime
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from partners.demo.generator import generate_catalogue
from partners.demo.seeding import seed_catalogue
from partners.models import (
    Certification,
    Inspection,
    Provider,
    RegulatoryAction,
    Site,
    SiteCapability,
)
from partners.vocabulary import VOLUME_MODALITIES
from tests.factories import InspectionFactory, SiteFactory

AS_OF = datetime.date(2025, 6, 30)
PROVIDERS = 40
# With this seed the 40 providers have sites in the EU and the UK, DEA-registered sites,
# OAI inspections and regulatory actions, so every assertion below has something to bite on.
SEED = 2
EU_COUNTRIES = {"AT", "BE", "CZ", "DE", "DK", "ES", "FI", "FR", "HU", "IE", "IT", "NL", "PL"}
EU_COUNTRIES |= {"PT", "SE", "SI"}


@pytest.fixture
def catalogue():
    return seed_catalogue(PROVIDERS, SEED, AS_OF)


def _catalogue_snapshot() -> dict[str, Counter]:
    """Every row of the catalogue, keyed by what a user sees (slugs, names), not by auto ids."""
    site = ("site__provider__slug", "site__name")
    phases = Site.phases.through.objects.values_list(*site, "phase_id")
    schedules = Site.dea_schedules.through.objects.values_list(*site, "deaschedule_id")
    rows = {
        "providers": Provider.objects.values_list(
            "name", "slug", "kind", "country", "website", "description",
            "verification_status", "verified_on",
        ),
        "sites": Site.objects.values_list(
            "provider__slug", "name", "country", "city", "fei_number", "oel_ug_m3",
            "capacity_available_from",
        ),
        "phases": phases,
        "dea_schedules": schedules,
        "capabilities": SiteCapability.objects.values_list(
            *site, "term__slug", "max_batch_kg", "max_volume_l", "provenance"
        ),
        "certifications": Certification.objects.values_list(
            *site, "kind", "authority", "reference", "issued_on", "valid_until", "status",
            "source", "retrieved_at",
        ),
        "inspections": Inspection.objects.values_list(
            *site, "authority", "fei_number", "legal_name", "inspection_id", "end_date",
            "classification", "project_area", "product_type", "source", "retrieved_at",
        ),
        "actions": RegulatoryAction.objects.values_list(
            *site, "authority", "fei_number", "legal_name", "action_type", "action_date",
            "case_id", "product_type", "source", "retrieved_at",
        ),
    }  # fmt: skip
    return {table: Counter(queryset) for table, queryset in rows.items()}


def _seed_and_snapshot(seed: int, as_of: datetime.date = AS_OF) -> dict[str, Counter]:
    """Seed into an empty catalogue, take a snapshot, and roll the catalogue back out."""
    with transaction.atomic():
        seed_catalogue(PROVIDERS, seed, as_of)
        snapshot = _catalogue_snapshot()
        transaction.set_rollback(True)
    return snapshot


def _row_counts() -> dict[str, int]:
    models = (Provider, Site, SiteCapability, Certification, Inspection, RegulatoryAction)
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
def test_same_seed_and_date_build_the_same_catalogue():
    # Given a catalogue seeded once and then removed
    first = _seed_and_snapshot(SEED)

    # When the same seed and as-of date are seeded again
    second = _seed_and_snapshot(SEED)

    # Then every row is the same, down to the dates and the retrieval times
    assert second == first
    assert sum(first["providers"].values()) == PROVIDERS
    assert sum(first["capabilities"].values()) > 0


@pytest.mark.django_db
def test_different_seeds_build_different_catalogues():
    # Given catalogues from two seeds
    one = _seed_and_snapshot(SEED)
    other = _seed_and_snapshot(SEED + 1)

    # Then they are different companies, not the same ones in another order
    names_one = {row[0] for row in one["providers"]}
    names_other = {row[0] for row in other["providers"]}
    assert len(names_one & names_other) < PROVIDERS // 4


@pytest.mark.django_db
def test_a_later_as_of_date_keeps_the_providers_and_moves_their_dates():
    # Given the same seed on two as-of dates a year apart
    earlier = _seed_and_snapshot(SEED, AS_OF)
    later = _seed_and_snapshot(SEED, AS_OF + datetime.timedelta(days=365))

    # Then the providers are the same companies, and their histories end a year later
    assert {row[1] for row in earlier["providers"]} == {row[1] for row in later["providers"]}
    last_inspection = max(row[6] for row in earlier["inspections"])
    assert max(row[6] for row in later["inspections"]) > last_inspection


@pytest.mark.django_db
def test_rerun_on_a_later_day_adds_nothing():
    # Given the demo seeded yesterday (as-of defaults to the day the command runs)
    call_command("seed_demo", "--providers", "30", "--as-of", "2025-06-29", stdout=StringIO())
    counts = _row_counts()

    # When `make demo` runs it again today
    out = StringIO()
    call_command("seed_demo", "--providers", "30", "--as-of", "2025-06-30", stdout=out)

    # Then it recognises every provider and adds nothing
    assert _row_counts() == counts
    assert "Skipped 30 providers already in the catalogue" in out.getvalue()


@pytest.mark.django_db
def test_rerun_with_the_same_arguments_adds_nothing_and_says_so():
    # Given a catalogue seeded by the command
    arguments = ["--providers", "30", "--seed", "7", "--as-of", "2025-06-30"]
    call_command("seed_demo", *arguments, stdout=StringIO())
    counts = _row_counts()

    # When the command runs again with the same arguments
    out = StringIO()
    call_command("seed_demo", *arguments, stdout=out)

    # Then nothing was added, and the output says what was skipped
    assert _row_counts() == counts
    assert counts["Provider"] == 30
    assert "Created 0 providers, 0 sites, 0 capabilities" in out.getvalue()
    assert "Skipped 30 providers already in the catalogue" in out.getvalue()


@pytest.mark.django_db
def test_a_larger_run_keeps_the_providers_of_a_smaller_one_and_adds_the_rest():
    # Given 30 providers seeded
    seed_catalogue(30, SEED, AS_OF)
    slugs = set(Provider.objects.values_list("slug", flat=True))

    # When 40 are asked for with the same seed
    report = seed_catalogue(PROVIDERS, SEED, AS_OF)

    # Then the first 30 are skipped and 10 new ones added
    assert report.skipped_providers == 30
    assert report.providers == 10
    assert slugs < set(Provider.objects.values_list("slug", flat=True))


@pytest.mark.django_db
def test_seeding_never_gives_a_site_an_fei_already_in_the_database():
    # Given a site that already has the FEI the generator would use
    planned = generate_catalogue(PROVIDERS, SEED, AS_OF)
    fei = next(site.fei_number for p in planned for site in p.sites if site.fei_number)
    existing = SiteFactory(fei_number=fei)

    # When the catalogue is seeded
    report = seed_catalogue(PROVIDERS, SEED, AS_OF)

    # Then the seeded site got another FEI and the existing site keeps its own history
    assert report.reassigned_feis == 1
    assert list(Site.objects.filter(fei_number=fei)) == [existing]
    assert not Inspection.objects.filter(fei_number=fei).exclude(site=existing).exists()


@pytest.mark.django_db
def test_seeding_skips_an_inspection_already_recorded():
    # Given an FDA inspection already imported under an id the generator would use
    planned = generate_catalogue(PROVIDERS, SEED, AS_OF)
    fda = next(
        row for p in planned for site in p.sites for row in site.inspections
        if row.authority == "FDA"
    )  # fmt: skip
    InspectionFactory(inspection_id=fda.inspection_id, project_area=fda.project_area)

    # When the catalogue is seeded
    report = seed_catalogue(PROVIDERS, SEED, AS_OF)

    # Then that row is not duplicated
    assert report.skipped_inspections == 1
    key = {"authority": "FDA", "inspection_id": fda.inspection_id}
    assert Inspection.objects.filter(**key, project_area=fda.project_area).count() == 1


@pytest.mark.django_db
def test_volume_modalities_have_litres_and_chemistry_has_kilograms(catalogue):
    biologics = SiteCapability.objects.filter(term__slug__in=VOLUME_MODALITIES)
    small_molecules = SiteCapability.objects.filter(term__slug="small-molecule-api")

    assert biologics.exists()
    assert not biologics.filter(max_volume_l__isnull=True).exists()
    assert not biologics.filter(max_batch_kg__isnull=False).exists()
    assert small_molecules.exists()
    assert not small_molecules.filter(max_batch_kg__isnull=True).exists()
    assert not small_molecules.filter(max_volume_l__isnull=False).exists()


@pytest.mark.django_db
def test_highly_potent_sites_contain_low_exposure_limits(catalogue):
    potent = Site.objects.filter(capabilities__term__slug__in=["hpapi", "adc"]).distinct()

    assert potent.exists()
    assert not potent.filter(oel_ug_m3__isnull=True).exists()
    assert not potent.filter(oel_ug_m3__gt=1).exists()


@pytest.mark.django_db
def test_cdmo_sites_offer_development_and_cmo_sites_mostly_do_not(catalogue):
    def share_developing(kind: str) -> float:
        sites = Site.objects.filter(provider__kind=kind)
        developing = sites.filter(capabilities__term__slug="process-development").distinct()
        return developing.count() / sites.count()

    assert share_developing("cdmo") > 0.6
    assert share_developing("cmo") < 0.2


@pytest.mark.django_db
def test_eu_sites_hold_eu_gmp_and_uk_sites_hold_mhra_gmp(catalogue):
    eu_sites = Site.objects.filter(country__in=EU_COUNTRIES)
    uk_sites = Site.objects.filter(country="GB")

    assert eu_sites.exists()
    assert uk_sites.exists()
    for site in eu_sites:
        assert site.certifications.filter(kind="eu-gmp", authority="EMA").exists(), site
    for site in uk_sites:
        assert site.certifications.filter(kind="mhra-gmp", authority="MHRA").exists(), site


@pytest.mark.django_db
def test_controlled_substance_sites_are_dea_registered_and_under_us_jurisdiction(catalogue):
    scheduled = Site.objects.filter(dea_schedules__isnull=False).distinct()

    assert scheduled.exists()
    for site in scheduled:
        assert site.country.code in {"US", "PR"}
        assert site.certifications.filter(kind="dea-registration").exists()


@pytest.mark.django_db
def test_inspections_are_mostly_nai_and_vai_with_a_few_oai(catalogue):
    classifications = Counter(Inspection.objects.values_list("classification", flat=True))
    total = sum(classifications.values())

    assert classifications["NAI"]
    assert classifications["VAI"]
    assert classifications["OAI"]
    assert (classifications["NAI"] + classifications["VAI"]) / total > 0.85


@pytest.mark.django_db
def test_some_sites_have_never_been_inspected(catalogue):
    never = Site.objects.filter(inspections__isnull=True).count()

    assert 0 < never < Site.objects.count() / 2


@pytest.mark.django_db
def test_regulator_records_belong_to_their_site_and_name_its_fei(catalogue):
    assert not Inspection.objects.unlinked().exists()
    for inspection in Inspection.objects.select_related("site__provider"):
        assert inspection.fei_number == inspection.site.fei_number
        assert inspection.legal_name == inspection.site.provider.name
    fda = Inspection.objects.filter(authority="FDA")
    assert fda.exists()
    assert not fda.filter(fei_number="").exists()


@pytest.mark.django_db
def test_warning_letters_follow_an_oai_inspection(catalogue):
    letters = RegulatoryAction.objects.filter(action_type="warning-letter")

    assert letters.exists()
    for letter in letters:
        assert letter.site.inspections.filter(
            authority="FDA", end_date__lt=letter.action_date
        ).exists()


@pytest.mark.django_db
def test_certificates_expire_after_they_are_issued_and_most_are_valid(catalogue):
    certificates = Certification.objects.all()

    assert all(cert.valid_until > cert.issued_on for cert in certificates)
    valid = Certification.objects.valid_on(AS_OF).count()
    assert certificates.count() * 0.8 < valid < certificates.count()


@pytest.mark.django_db
def test_nothing_is_dated_after_the_as_of_date(catalogue):
    assert not Inspection.objects.filter(end_date__gt=AS_OF).exists()
    assert not RegulatoryAction.objects.filter(action_date__gt=AS_OF).exists()
    assert not Certification.objects.filter(issued_on__gt=AS_OF).exists()
    assert not Provider.objects.filter(verified_on__gt=AS_OF).exists()


@pytest.mark.django_db
def test_fei_numbers_are_unique_ten_digit_numbers(catalogue):
    feis = list(Site.objects.exclude(fei_number="").values_list("fei_number", flat=True))

    assert len(feis) == len(set(feis))
    assert all(len(fei) == 10 and fei.startswith("3") for fei in feis)
    assert len(feis) > Site.objects.count() / 2


@pytest.mark.django_db
def test_a_curators_first_edit_of_a_seeded_site_shows_just_what_changed(catalogue):
    site = Site.objects.filter(phases__isnull=False).distinct().first()
    assert site.history.count() == 1  # the seeded baseline

    site.city = "Neustadt"
    site.save()

    latest = site.history.latest()
    assert [change.field for change in latest.diff_against(latest.prev_record).changes] == ["city"]
