"""Fixtures shared by the catalogue's tests: a small fixed catalogue for filters and the API."""

import datetime

from django.utils import timezone

from partners.models import Term
from tests.factories import (
    CertificationFactory,
    InspectionFactory,
    ProviderFactory,
    RegulatoryActionFactory,
    SiteCapabilityFactory,
    SiteFactory,
)

TODAY = timezone.localdate()
YEAR = datetime.timedelta(days=365)  # not date.replace(year=...), which fails on 29 February


def _capability(site, slug, **fields):
    return SiteCapabilityFactory(site=site, term=Term.objects.get(slug=slug), **fields)


def build_small_catalogue() -> dict:
    """Four providers, each there to make one filter of the directory bite."""
    # Rhine: one German site doing mAbs under a valid EU GMP, inspected clean by FDA.
    rhine = ProviderFactory(
        slug="rhine",
        name="Rhine Biologics",
        kind="cdmo",
        country="DE",
        website="https://rhine.example.com",
    )
    leverkusen = SiteFactory(provider=rhine, name="Leverkusen", country="DE", fei_number="3001")
    _capability(leverkusen, "mab", max_volume_l=12000)
    _capability(leverkusen, "sterile-injectable")
    _capability(leverkusen, "process-development")
    leverkusen.phases.set(["phase1", "phase2", "phase3"])
    CertificationFactory(site=leverkusen, kind="eu-gmp", valid_until=TODAY + 2 * YEAR)
    InspectionFactory(fei_number="3001", classification="NAI", end_date=datetime.date(2023, 5, 1))

    # Split: mAbs at Cork, EU GMP at Dublin; never a match for both together.
    split = ProviderFactory(slug="split", name="Split Pharma", kind="cmo", country="IE")
    cork = SiteFactory(provider=split, name="Cork", country="IE")
    _capability(cork, "mab", max_volume_l=2000)
    dublin = SiteFactory(provider=split, name="Dublin", country="IE")
    _capability(dublin, "oral-solid")
    CertificationFactory(site=dublin, kind="eu-gmp", valid_until=TODAY + YEAR)

    # Ganges: Indian API maker, potent, DEA schedule II, a warning letter, verified.
    ganges = ProviderFactory(
        slug="ganges",
        name="Ganges Fine Chemicals",
        kind="cmo",
        country="IN",
        description="Highly potent small-molecule APIs with continuous manufacturing.",
        verification_status="verified",
        verified_on=datetime.date(2025, 1, 15),
    )
    hyderabad = SiteFactory(
        provider=ganges, name="Hyderabad", country="IN", fei_number="3002", oel_ug_m3=0.1
    )
    _capability(hyderabad, "small-molecule-api", max_batch_kg=800)
    _capability(hyderabad, "hpapi", max_batch_kg=20)
    _capability(hyderabad, "continuous-manufacturing")
    hyderabad.phases.set(["phase3", "commercial"])
    hyderabad.dea_schedules.set(["II"])
    CertificationFactory(
        site=hyderabad, kind="eu-gmp", valid_until=TODAY - datetime.timedelta(days=1)
    )
    InspectionFactory(fei_number="3002", classification="OAI", end_date=datetime.date(2022, 3, 1))
    RegulatoryActionFactory(fei_number="3002", action_date=datetime.date(2022, 9, 1))

    # Osaka: Japanese, inspected by PMDA only, a big batch size.
    osaka = ProviderFactory(slug="osaka", name="Osaka Synthesis", kind="cdmo", country="JP")
    site = SiteFactory(provider=osaka, name="Osaka", country="JP", oel_ug_m3=5)
    _capability(site, "small-molecule-api", max_batch_kg=3000)
    InspectionFactory(authority="PMDA", inspection_id="JP-1", site=site, classification="VAI")
    return {"rhine": rhine, "split": split, "ganges": ganges, "osaka": osaka}
