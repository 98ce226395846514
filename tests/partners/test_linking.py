"""Regulator records are kept even before a site carries their FEI, and link the moment one does."""

import pytest

from partners.models import Inspection, Site
from partners.regulatory.linking import link_regulatory_records
from tests.factories import InspectionFactory, RegulatoryActionFactory, SiteFactory

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
