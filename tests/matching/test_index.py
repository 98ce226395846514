"""The matching engine's catalogue index, built from the database and cached per version."""

import datetime

import numpy as np
import pytest
from django.utils import timezone

from matching.engine.catalogue import STANDING_ADVERSE, STANDING_GOOD, STANDING_NONE
from matching.engine.criteria import BriefCriteria
from matching.engine.scoring import score_catalogue
from matching.index import build_catalogue_index, get_catalogue_index
from partners.models import DeaSchedule, Phase, Site, Term
from tests.factories import (
    CertificationFactory,
    InspectionFactory,
    ProviderFactory,
    RegulatoryActionFactory,
    SiteCapabilityFactory,
    SiteFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_catalogue_index")]


def _row(index, site) -> int:
    return int(np.flatnonzero(index.site_ids == site.pk)[0])


def test_index_reflects_capabilities_scale_phases_and_schedules():
    site = SiteFactory(
        country="IE",
        oel_ug_m3=0.5,
        phases=[Phase.objects.get(slug="phase3")],
        dea_schedules=[DeaSchedule.objects.get(code="II")],
    )
    SiteCapabilityFactory(site=site, max_batch_kg=250)
    SiteCapabilityFactory(site=site, term=Term.objects.get(slug="oral-solid"))
    SiteCapabilityFactory(site=site, term=Term.objects.get(slug="mab"), max_volume_l=2000)
    other = SiteFactory(provider=ProviderFactory(kind="cmo"), country="IN")

    index = build_catalogue_index(timezone.localdate())

    row, other_row = _row(index, site), _row(index, other)
    offered = {
        slug for slug, has in zip(index.term_slugs, index.capabilities[row], strict=True) if has
    }
    assert offered == {"small-molecule-api", "oral-solid", "mab"}
    assert not index.capabilities[other_row].any()
    sma = index.modality_slugs.index("small-molecule-api")
    mab = index.modality_slugs.index("mab")
    assert index.max_batch_kg[row, sma] == 250
    assert np.isnan(index.max_volume_l[row, sma])
    assert index.max_volume_l[row, mab] == 2000
    assert np.isnan(index.max_batch_kg[other_row]).all()
    assert index.phase_mask[row] == 1 << index.phase_slugs.index("phase3")
    assert index.dea_mask[row] == 1 << index.dea_codes.index("II")
    assert index.oel_ug_m3[row] == 0.5
    assert np.isnan(index.oel_ug_m3[other_row])
    assert (index.countries[row], index.regions[row]) == ("IE", "europe")
    assert index.regions[other_row] == "asia-pacific"
    assert index.provider_is_cdmo[row]
    assert not index.provider_is_cdmo[other_row]
    assert index.site_names[row] == site.name
    assert index.provider_names[row] == site.provider.name


def test_index_holds_only_certificates_valid_on_its_date():
    today = timezone.localdate()
    valid = CertificationFactory(kind="eu-gmp")
    CertificationFactory(kind="eu-gmp", valid_until=today - datetime.timedelta(days=1))
    CertificationFactory(kind="eu-gmp", status="suspended")

    index = build_catalogue_index(today)

    eu_gmp = index.certification_kinds.index("eu-gmp")
    assert index.site_ids[index.certifications[:, eu_gmp]].tolist() == [valid.site_id]


def test_index_holds_the_compliance_score_and_nan_when_unknown():
    scored, unknown = SiteFactory(), SiteFactory()
    # As partners/regulatory/stored_scores.py stores it.
    Site.objects.filter(pk=scored.pk).update(compliance_score=83.5, compliance_state="scored")

    index = build_catalogue_index(timezone.localdate())

    assert index.compliance[_row(index, scored)] == 83.5
    assert np.isnan(index.compliance[_row(index, unknown)])


def test_standing_follows_certificates_inspections_and_recent_adverse_records():
    today = timezone.localdate()
    certified = CertificationFactory(kind="eu-gmp", authority="").site
    inspected = SiteFactory()
    InspectionFactory(site=inspected, authority="FDA", classification="VAI")
    troubled = SiteFactory()
    CertificationFactory(site=troubled, kind="fda-registration", authority="FDA")
    RegulatoryActionFactory(
        site=troubled, authority="FDA", action_date=today - datetime.timedelta(days=200)
    )
    long_ago = SiteFactory()
    InspectionFactory(
        site=long_ago, classification="NAI", end_date=today - datetime.timedelta(days=6 * 365)
    )

    index = build_catalogue_index(today)

    fda, ema = index.authorities.index("FDA"), index.authorities.index("EMA")
    assert index.standing[_row(index, certified), ema] == STANDING_GOOD
    assert index.standing[_row(index, inspected), fda] == STANDING_GOOD
    assert index.standing[_row(index, troubled), fda] == STANDING_ADVERSE
    assert index.standing[_row(index, long_ago), fda] == STANDING_NONE


def test_index_is_built_in_a_handful_of_queries_whatever_the_catalogue_size(
    django_assert_num_queries,
):
    for _ in range(5):
        site = SiteFactory(phases=[Phase.objects.get(slug="phase1")])
        SiteCapabilityFactory(site=site, max_batch_kg=10)
        CertificationFactory(site=site)
        InspectionFactory(site=site)

    # Sites (with providers), terms, capabilities, phases, DEA schedules, certifications,
    # inspections, actions.
    with django_assert_num_queries(8):
        build_catalogue_index(timezone.localdate())


def test_cached_index_is_reused_until_the_catalogue_changes(django_assert_num_queries):
    site = SiteFactory()
    SiteCapabilityFactory(site=site)
    first = get_catalogue_index()

    with django_assert_num_queries(1):  # the catalogue version only
        assert get_catalogue_index() is first

    SiteCapabilityFactory(site=site, term=Term.objects.get(slug="oral-solid"))  # bumps the version
    rebuilt = get_catalogue_index()

    assert rebuilt is not first
    oral_solid = rebuilt.term_slugs.index("oral-solid")
    assert rebuilt.capabilities[_row(rebuilt, site), oral_solid]


def test_engine_scores_the_index_built_from_the_database():
    good = SiteFactory()
    SiteCapabilityFactory(site=good, max_batch_kg=500)
    CertificationFactory(site=good, kind="eu-gmp")
    poor = SiteFactory()
    SiteCapabilityFactory(site=poor, max_batch_kg=5)
    criteria = BriefCriteria(
        modality="small-molecule-api",
        batch_size=100,
        required_certifications=("eu-gmp",),
        must_haves=frozenset({"certifications"}),
    )

    outcome = score_catalogue(criteria, get_catalogue_index())

    assert outcome.eligible_site_ids.tolist() == [good.pk]
    assert outcome.exclusion_reason(_row(outcome.index, poor)) == (
        "Must-have Certifications: holds no valid EU GMP certificate."
    )
