"""The catalogue's integrity lives in the database: named constraints that refuse bad rows."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from partners.models import Certification, Site, SiteCapability, Term
from tests.factories import (
    CertificationFactory,
    ProviderFactory,
    SiteCapabilityFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db


def _violates(constraint_name: str, create, sqlite_columns: str = "") -> None:
    """Assert that `create` is refused by the named constraint."""
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        create()
    message = str(excinfo.value)
    if connection.vendor == "sqlite" and sqlite_columns:
        # SQLite names the columns of a violated unique index, not the index.
        assert f"UNIQUE constraint failed: {sqlite_columns}" in message
    else:
        assert constraint_name in message


def test_two_establishments_may_share_an_fei_as_fda_registers_them():
    # FDA's registrations give one FEI to two establishments now and then: DUNS tells them apart.
    SiteFactory(fei_number="3001234567", duns_number="150483782")
    SiteFactory(fei_number="0003001-234-567", duns_number="150483783")

    assert Site.objects.filter(fei_number="3001234567").count() == 2


def test_two_sites_cannot_share_a_duns_number():
    SiteFactory(duns_number="150483782")

    _violates(
        "partners_site_unique_duns",
        lambda: SiteFactory(duns_number="15-048-3782"),
        sqlite_columns="partners_site.duns_number",
    )


def test_many_sites_may_have_no_duns_number_and_zeros_are_none():
    SiteFactory(duns_number="")
    SiteFactory(duns_number="000000000")

    assert Site.objects.filter(duns_number="").count() == 2


def test_two_providers_cannot_share_a_registrant_duns():
    ProviderFactory(registrant_duns="080136346")

    _violates(
        "partners_provider_unique_registrant_duns",
        lambda: ProviderFactory(registrant_duns="80136346"),
        sqlite_columns="partners_provider.registrant_duns",
    )


def test_many_sites_may_have_no_fei():
    SiteFactory(fei_number="")
    SiteFactory(fei_number="")

    assert Site.objects.filter(fei_number="").count() == 2


def test_site_names_are_unique_within_a_provider_only():
    provider = ProviderFactory()
    SiteFactory(provider=provider, name="Leverkusen")
    SiteFactory(name="Leverkusen")  # another provider

    _violates(
        "partners_site_unique_name_per_provider",
        lambda: SiteFactory(provider=provider, name="Leverkusen"),
        sqlite_columns="partners_site.provider_id, partners_site.name",
    )


def test_certification_must_expire_after_it_was_issued():
    _violates(
        "partners_certification_valid_until_after_issued_on",
        lambda: CertificationFactory(
            issued_on=datetime.date(2024, 5, 1), valid_until=datetime.date(2024, 5, 1)
        ),
    )


def test_certification_without_expiry_is_allowed():
    certification = CertificationFactory(valid_until=None)

    assert certification.is_valid_on(datetime.date(2040, 1, 1))


def test_a_site_lists_each_capability_once():
    capability = SiteCapabilityFactory()

    _violates(
        "partners_sitecapability_one_per_site_and_term",
        lambda: SiteCapability.objects.create(site=capability.site, term=capability.term),
        sqlite_columns="partners_sitecapability.site_id, partners_sitecapability.term_id",
    )


@pytest.mark.parametrize(
    ("field", "constraint"),
    [
        ("max_batch_kg", "partners_sitecapability_batch_positive"),
        ("max_volume_l", "partners_sitecapability_volume_positive"),
    ],
)
@pytest.mark.parametrize("value", [0, -5.0])
def test_capability_scale_must_be_positive(field, constraint, value):
    _violates(constraint, lambda: SiteCapabilityFactory(**{field: value}))


def test_site_oel_must_be_positive():
    _violates("partners_site_oel_positive", lambda: SiteFactory(oel_ug_m3=0))


def test_certification_validity_follows_its_dates_and_status():
    certification = CertificationFactory(
        issued_on=datetime.date(2024, 1, 1), valid_until=datetime.date(2026, 12, 31)
    )

    assert certification.is_valid_on(datetime.date(2026, 12, 31))
    assert not certification.is_valid_on(datetime.date(2027, 1, 1))
    assert not certification.is_valid_on(datetime.date(2023, 12, 31))
    assert list(Certification.objects.valid_on(datetime.date(2025, 6, 1))) == [certification]
    assert not Certification.objects.valid_on(datetime.date(2027, 1, 1)).exists()

    certification.status = "suspended"
    certification.save()

    assert not Certification.objects.valid_on(datetime.date(2025, 6, 1)).exists()


def test_vocabulary_ships_exactly_the_design_slugs():
    expected = {
        "modality": {
            "small-molecule-api", "hpapi", "peptide", "oligonucleotide", "mab",
            "recombinant-protein", "adc", "cell-therapy", "viral-vector", "mrna-lnp", "vaccine",
            "radiopharmaceutical", "plasmid-dna",
        },
        "dosage_form": {
            "oral-solid", "oral-liquid", "sterile-injectable", "lyophilized", "prefilled-syringe",
            "blow-fill-seal", "inhalation", "nasal", "ophthalmic", "topical", "transdermal",
            "suppository",
        },
        "service": {
            "process-development", "analytical-development", "formulation-development",
            "stability-testing", "qc-release-testing", "clinical-supply", "packaging-labeling",
            "serialization", "tech-transfer", "regulatory-cmc", "cold-chain-distribution",
        },
        "technology": {
            "spray-drying", "hot-melt-extrusion", "continuous-manufacturing", "flow-chemistry",
            "micronization",
        },
    }  # fmt: skip
    shipped: dict[str, set[str]] = {}
    for kind, slug in Term.objects.values_list("kind", "slug"):
        shipped.setdefault(kind, set()).add(slug)

    assert shipped == expected


def test_phases_are_shipped_in_order():
    from partners.models import DeaSchedule, Phase

    assert list(Phase.objects.values_list("slug", flat=True)) == [
        "preclinical", "phase1", "phase2", "phase3", "commercial",
    ]  # fmt: skip
    assert list(DeaSchedule.objects.values_list("code", flat=True)) == ["I", "II", "III", "IV", "V"]
