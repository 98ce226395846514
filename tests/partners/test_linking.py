"""Regulator records are kept even before a site carries their FEI, and link the moment one does."""

import pytest

from partners.models import Inspection, Site
from partners.regulatory.linking import (
    FeiChangePreview,
    fei_change_preview,
    firm_name_key,
    link_regulatory_records,
    relink_regulatory_records,
)
from tests.factories import (
    InspectionFactory,
    ProviderFactory,
    RegulatoryActionFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db


def test_records_wait_for_a_site_with_their_fei():
    inspection = InspectionFactory(fei_number="3001234567")
    action = RegulatoryActionFactory(fei_number="3001234567")
    assert list(Inspection.objects.unlinked()) == [inspection]

    site = SiteFactory(fei_number="3001234567")

    inspection.refresh_from_db()
    action.refresh_from_db()
    assert inspection.site == site
    assert action.site == site
    assert not Inspection.objects.unlinked().exists()


def test_site_that_gets_its_fei_later_picks_up_its_records():
    site = SiteFactory(fei_number="")
    inspection = InspectionFactory(fei_number="0003001234567")

    site.fei_number = "3001234567"
    site.save()

    inspection.refresh_from_db()
    assert inspection.site == site


def test_changing_a_sites_fei_releases_records_of_the_old_one():
    site = SiteFactory(fei_number="3001234567")
    old = InspectionFactory(fei_number="3001234567")
    new = InspectionFactory(fei_number="3009999999")

    site.fei_number = "3009999999"
    site.save()

    old.refresh_from_db()
    new.refresh_from_db()
    assert old.site is None
    assert new.site == site


def test_relinking_everything_repairs_links_made_behind_the_models_back():
    site = SiteFactory(fei_number="")
    inspection = InspectionFactory(fei_number="3001234567")
    Site.objects.filter(pk=site.pk).update(fei_number="3001234567")  # e.g. a bulk load

    link_regulatory_records()

    inspection.refresh_from_db()
    assert inspection.site == site


def test_relinking_a_linked_catalogue_rewrites_nothing():
    site = SiteFactory(fei_number="3001234567")
    linked = InspectionFactory(fei_number="3001234567")
    assert linked.site == site
    InspectionFactory(fei_number="3009999999")  # no site carries it

    assert link_regulatory_records() == 0


def test_a_record_whose_site_lost_the_fei_is_released():
    site = SiteFactory(fei_number="3001234567")
    inspection = InspectionFactory(fei_number="3001234567")
    Site.objects.filter(pk=site.pk).update(fei_number="")  # behind the model's back

    assert link_regulatory_records() == 1

    inspection.refresh_from_db()
    assert inspection.site is None


# --- An FEI several sites share -------------------------------------------------------------


def test_firm_names_compare_without_case_punctuation_or_legal_form():
    assert firm_name_key("Acme Pharma, Inc.") == firm_name_key("ACME PHARMA INC")
    assert firm_name_key("Müller GmbH & Co. KG") == "muller"
    assert firm_name_key("Lonza Biologics S.A.") == firm_name_key("lonza biologics")
    assert firm_name_key("Acme Pharma") != firm_name_key("Acme Biologics")


def test_a_record_of_an_fei_one_site_holds_links_to_it_whatever_its_name():
    site = SiteFactory(fei_number="3001234567", name="Basel")
    inspection = InspectionFactory(fei_number="3001234567", legal_name="Someone Else Ltd")

    assert inspection.site == site


def test_a_record_of_a_shared_fei_links_to_the_site_named_as_its_firm():
    plant = SiteFactory(fei_number="3001234567", name="Acme Sterile Products, Inc.")
    labeller = SiteFactory(fei_number="3001234567", name="Acme Labelling GmbH")

    inspection = InspectionFactory(fei_number="3001234567", legal_name="ACME STERILE PRODUCTS")
    action = RegulatoryActionFactory(fei_number="3001234567", legal_name="acme labelling")

    assert inspection.site == plant
    assert action.site == labeller


def test_a_site_named_firm_and_city_matches_the_firm_fda_names():
    # Two establishments of one registrant are told apart by a parenthesised ending.
    plant = SiteFactory(fei_number="3001234567", name="Tyson Foods, Inc (Oglethorpe)")
    SiteFactory(fei_number="3001234567", name="Tyson Labelling LLC")

    inspection = InspectionFactory(fei_number="3001234567", legal_name="TYSON FOODS INC")

    assert inspection.site == plant


def test_two_sites_of_one_firm_told_apart_only_by_city_cannot_take_its_records():
    SiteFactory(fei_number="3001234567", name="Tyson Foods, Inc (Oglethorpe)")
    SiteFactory(fei_number="3001234567", name="Tyson Foods, Inc (Dakota City)")

    inspection = InspectionFactory(fei_number="3001234567", legal_name="Tyson Foods, Inc")

    assert inspection.site is None


def test_a_shared_fei_matches_the_providers_name_when_no_site_name_does():
    acme = ProviderFactory(name="Acme Pharma Inc.")
    acme_site = SiteFactory(provider=acme, fei_number="3001234567", name="Boston")
    SiteFactory(fei_number="3001234567", name="Other Plant")

    inspection = InspectionFactory(fei_number="3001234567", legal_name="ACME PHARMA, INC")

    assert inspection.site == acme_site


def test_a_record_of_a_shared_fei_naming_neither_firm_links_to_none():
    SiteFactory(fei_number="3001234567", name="Acme Sterile Products")
    SiteFactory(fei_number="3001234567", name="Acme Labelling")

    inspection = InspectionFactory(fei_number="3001234567", legal_name="Zenith Chemicals")

    assert inspection.site is None


def test_a_second_holder_of_an_fei_takes_back_the_records_of_its_name_only():
    first = SiteFactory(fei_number="3001234567", name="Acme Sterile Products")
    own = InspectionFactory(fei_number="3001234567", legal_name="Acme Sterile Products")
    other = InspectionFactory(fei_number="3001234567", legal_name="Beta Labs")
    nameless = InspectionFactory(fei_number="3001234567", legal_name="Gamma Pharma")
    assert {own.site, other.site, nameless.site} == {first}

    second = SiteFactory(fei_number="3001234567", name="Beta Labs LLC")

    for record in (own, other, nameless):
        record.refresh_from_db()
    assert own.site == first
    assert other.site == second
    assert nameless.site is None  # ambiguous now


def test_when_one_holder_leaves_a_shared_fei_the_other_takes_its_ambiguous_records():
    leaving = SiteFactory(fei_number="3001234567", name="Acme Sterile Products")
    staying = SiteFactory(fei_number="3001234567", name="Acme Labelling")
    ambiguous = InspectionFactory(fei_number="3001234567", legal_name="Zenith Chemicals")
    assert ambiguous.site is None

    leaving.fei_number = "3009999999"
    leaving.save()

    ambiguous.refresh_from_db()
    assert ambiguous.site == staying


def test_relinking_a_catalogue_with_shared_feis_rewrites_nothing():
    SiteFactory(fei_number="3001234567", name="Acme Sterile Products")
    SiteFactory(fei_number="3001234567", name="Acme Labelling")
    InspectionFactory(fei_number="3001234567", legal_name="Acme Labelling")
    InspectionFactory(fei_number="3001234567", legal_name="Zenith Chemicals")

    assert link_regulatory_records() == 0


def test_relinking_repairs_a_shared_fei_record_linked_to_the_wrong_holder():
    right = SiteFactory(fei_number="3001234567", name="Acme Sterile Products")
    wrong = SiteFactory(fei_number="3001234567", name="Acme Labelling")
    inspection = InspectionFactory(fei_number="3001234567", legal_name="Acme Sterile Products")
    Inspection.objects.filter(pk=inspection.pk).update(site=wrong)  # behind the model's back

    relinked = relink_regulatory_records()

    inspection.refresh_from_db()
    assert inspection.site == right
    assert relinked.records == 1
    assert relinked.site_ids == {right.pk, wrong.pk}


# --- What an FEI change would do -------------------------------------------------------------


def test_fei_change_preview_counts_records_detached_and_attached():
    site = SiteFactory(fei_number="3001234567")
    InspectionFactory.create_batch(8, fei_number="3001234567", classification="NAI")
    InspectionFactory(fei_number="3001234567", classification="OAI")
    RegulatoryActionFactory(fei_number="3001234567")
    InspectionFactory(fei_number="3009999999", classification="OAI")
    InspectionFactory(fei_number="3009999999", classification="VAI")

    preview = fei_change_preview(site, "3009-999-999")

    assert preview == FeiChangePreview(
        detached=10,
        detached_oai=1,
        attached=2,
        attached_oai=1,
        detached_by_kind={"inspection": 9, "regulatory action": 1},
        attached_by_kind={"inspection": 2},
    )
    # Nothing is moved by asking.
    assert Inspection.objects.filter(site=site).count() == 9


def test_fei_change_preview_follows_the_rule_for_a_shared_fei():
    site = SiteFactory(fei_number="", name="Beta Labs")
    SiteFactory(fei_number="3001234567", name="Acme Sterile Products")
    InspectionFactory(fei_number="3001234567", legal_name="Acme Sterile Products")
    InspectionFactory(fei_number="3001234567", legal_name="Beta Labs, Inc.")

    preview = fei_change_preview(site, "3001234567")

    assert (preview.detached, preview.attached) == (0, 1)


def test_fei_change_preview_of_no_change_or_a_cleared_fei():
    site = SiteFactory(fei_number="3001234567")
    InspectionFactory(fei_number="3001234567")

    assert not fei_change_preview(site, "0003001234567").changes_anything
    assert fei_change_preview(site, "").detached == 1


def test_renaming_a_provider_after_the_firm_fda_names_gives_its_site_the_records():
    provider = ProviderFactory(name="Old Holding Name")
    site = SiteFactory(provider=provider, fei_number="3001234567", name="Boston")
    SiteFactory(fei_number="3001234567", name="Other Plant")
    inspection = InspectionFactory(fei_number="3001234567", legal_name="Acme Pharma Inc")
    assert inspection.site is None

    provider.name = "Acme Pharma"
    provider.save()

    inspection.refresh_from_db()
    assert inspection.site == site


def test_deleting_one_of_two_holders_of_an_fei_gives_the_other_its_records():
    leaving = SiteFactory(fei_number="3001234567", name="Acme Sterile Products")
    staying = SiteFactory(fei_number="3001234567", name="Acme Labelling")
    inspection = InspectionFactory(fei_number="3001234567", legal_name="Acme Sterile Products")
    assert inspection.site == leaving

    leaving.delete()

    inspection.refresh_from_db()
    assert inspection.site == staying
