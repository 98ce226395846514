"""The catalogue index's certificates and standing, built with array operations, against the
same rules applied one row at a time in plain Python, on a catalogue that mixes every case:
certificates with and without an authority, expired ones, inspections NAI, VAI and OAI, recent
and old, inside and outside the evidence window, and adverse actions recent and old."""

import datetime
import random

import numpy as np
import pytest
from django.utils import timezone

from core.dates import years_before
from matching.engine.catalogue import STANDING_ADVERSE, STANDING_GOOD, STANDING_NONE
from matching.index import (
    CERTIFICATION_AUTHORITY,
    STANDING_ADVERSE_YEARS,
    STANDING_EVIDENCE_YEARS,
    build_catalogue_index,
)
from partners.choices import (
    ADVERSE_STANDING_ACTIONS,
    ActionType,
    Authority,
    CertificationKind,
    Classification,
)
from partners.models import Certification, Inspection, RegulatoryAction
from tests.factories import (
    CertificationFactory,
    InspectionFactory,
    RegulatoryActionFactory,
    SiteFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_catalogue_index")]

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def _reference(index, today: datetime.date) -> tuple[np.ndarray, np.ndarray]:
    """Certificates and standing by the index's rules (matching/index.py), row by row."""
    row_of = {site_id: row for row, site_id in enumerate(index.site_ids.tolist())}
    kinds, authorities = index.certification_kinds, index.authorities
    certifications = np.zeros((index.site_count, len(kinds)), dtype=bool)
    good = np.zeros((index.site_count, len(authorities)), dtype=bool)
    adverse = np.zeros_like(good)
    for site_id, kind, authority in Certification.objects.valid_on(today).values_list(
        "site_id", "kind", "authority"
    ):
        if kind in kinds:
            certifications[row_of[site_id], kinds.index(kind)] = True
        authority = authority or CERTIFICATION_AUTHORITY.get(kind, "")
        if authority in authorities:
            good[row_of[site_id], authorities.index(authority)] = True
    evidence_since = years_before(today, STANDING_EVIDENCE_YEARS)
    adverse_since = years_before(today, STANDING_ADVERSE_YEARS)
    for site_id, authority, classification, end_date in Inspection.objects.filter(
        site__isnull=False
    ).values_list("site_id", "authority", "classification", "end_date"):
        if not evidence_since <= end_date <= today or authority not in authorities:
            continue
        if classification == Classification.OAI:
            if end_date >= adverse_since:
                adverse[row_of[site_id], authorities.index(authority)] = True
        else:
            good[row_of[site_id], authorities.index(authority)] = True
    for site_id, authority, action_type, action_date in RegulatoryAction.objects.filter(
        site__isnull=False
    ).values_list("site_id", "authority", "action_type", "action_date"):
        if (
            action_type in ADVERSE_STANDING_ACTIONS
            and adverse_since <= action_date <= today
            and authority in authorities
        ):
            adverse[row_of[site_id], authorities.index(authority)] = True
    standing = np.where(adverse, STANDING_ADVERSE, np.where(good, STANDING_GOOD, STANDING_NONE))
    return certifications, standing.astype(np.int8)


def _mixed_catalogue(sites: int, seed: int) -> None:
    """Sites with random certificates, inspections and actions, dated around the windows'
    edges."""
    rng = random.Random(seed)
    kinds = list(CertificationKind.values)
    authorities = [Authority.FDA, Authority.EMA, Authority.MHRA, Authority.PMDA]
    ages = [0, 1, 200, 365 * 2 - 1, 365 * 2 + 1, 365 * 5 - 1, 365 * 5 + 3, 365 * 7, -3]
    for n in range(sites):
        fei = f"77{n:04d}"
        site = SiteFactory(fei_number=fei)
        for _ in range(rng.randint(0, 4)):
            issued = TODAY - rng.choice([30, 400, 2000]) * DAY
            CertificationFactory(
                site=site,
                kind=rng.choice(kinds),
                authority=rng.choice(["", *authorities]),
                issued_on=issued,
                valid_until=issued + rng.choice([10, 500, 3000]) * DAY,
            )
        for _ in range(rng.randint(0, 5)):
            InspectionFactory(
                fei_number=fei,
                authority=rng.choice(authorities),
                classification=rng.choice(Classification.values),
                end_date=TODAY - rng.choice(ages) * DAY,
            )
        for _ in range(rng.randint(0, 2)):
            RegulatoryActionFactory(
                fei_number=fei,
                authority=rng.choice(authorities),
                action_type=rng.choice(ActionType.values),
                action_date=TODAY - rng.choice(ages) * DAY,
            )


@pytest.mark.parametrize("seed", [1, 2])
def test_certificates_and_standing_match_the_rules_applied_row_by_row(seed):
    _mixed_catalogue(40, seed)

    index = build_catalogue_index(TODAY)

    certifications, standing = _reference(index, TODAY)
    assert index.certifications.dtype == np.bool_
    assert index.standing.dtype == np.int8
    assert np.array_equal(index.certifications, certifications)
    assert np.array_equal(index.standing, standing)
    # The mixed catalogue does reach every state.
    assert {STANDING_NONE, STANDING_GOOD, STANDING_ADVERSE} <= set(np.unique(standing).tolist())
    assert certifications.any()
    assert not certifications.all()


def test_a_catalogue_without_certificates_or_records_stands_nowhere():
    SiteFactory()
    SiteFactory()

    index = build_catalogue_index(TODAY)

    assert not index.certifications.any()
    assert (index.standing == STANDING_NONE).all()
