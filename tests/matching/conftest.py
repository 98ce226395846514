"""Fixtures shared by the matching tests: two sponsor organisations with a member each, a
small mAb catalogue with a phase 2 brief for it, and a catalogue index that no test inherits
from another. Built with the factories of tests/factories.py."""

import pytest

from matching.index import clear_catalogue_index
from matching.models import Brief, Organisation
from partners.models import Phase, Term
from tests.factories import BriefFactory, MembershipFactory, SiteCapabilityFactory, SiteFactory


@pytest.fixture
def fresh_catalogue_index():
    """The per-process catalogue index dropped before and after the test."""
    clear_catalogue_index()
    yield
    clear_catalogue_index()


def _member(slug: str, username: str):
    """A user of that name, password "pw", the one member of a new organisation."""
    membership = MembershipFactory(
        user__username=username, organisation__name=slug.title(), organisation__slug=slug
    )
    return membership.user


@pytest.fixture
def helix(db):
    """helen, of the Helix organisation."""
    return _member("helix", "helen")


@pytest.fixture
def northwind(db):
    """nora, of the Northwind organisation."""
    return _member("northwind", "nora")


@pytest.fixture
def sponsor(helix):
    """A signed-up sponsor, for tests where which one does not matter: helen, of Helix."""
    return helix


def mab_site(
    name: str, country: str, phase: str, compliance: float = 80, max_volume_l: float = 2000
):
    """A site making mAbs up to `max_volume_l`, serving one phase, with a scored record."""
    site = SiteFactory(
        name=name,
        country=country,
        phases=[Phase.objects.get(slug=phase)],
        compliance_state="scored",
        compliance_score=compliance,
    )
    SiteCapabilityFactory(site=site, term=Term.objects.get(slug="mab"), max_volume_l=max_volume_l)
    return site


@pytest.fixture
def catalogue():
    """Two eligible sites (DE preferred, then IE), two failing the phase must-have, one in an
    excluded country."""
    return {
        "berlin": mab_site("Berlin", "DE", "phase2"),
        "cork": mab_site("Cork", "IE", "phase2"),
        "basel": mab_site("Basel", "DE", "phase3"),
        "lyon": mab_site("Lyon", "FR", "phase1"),
        "suzhou": mab_site("Suzhou", "CN", "phase2"),
    }


def phase2_mab_brief(organisation: Organisation, created_by=None) -> Brief:
    """A phase 2 mAb brief: Germany preferred, China excluded, the phase a must-have."""
    return BriefFactory(
        organisation=organisation,
        created_by=created_by,
        title="Phase 2 mAb",
        modality=Term.objects.get(slug="mab"),
        phase="phase2",
        preferred_countries=["DE"],
        excluded_countries=["CN"],
        must_haves=["phase"],
    )


@pytest.fixture
def brief(helix):
    """Helix's phase 2 mAb brief, written by helen."""
    return phase2_mab_brief(helix.membership.organisation, created_by=helix)


def store_in_full(run) -> None:
    """Store the run's rows as runs were stored before the compact format: each row's
    breakdown and reason in full, no parts, no verdicts, no key."""
    from matching.models import Result, ResultKey

    for result in Result.objects.filter(run=run):
        Result.objects.filter(pk=result.pk).update(
            breakdown=result.breakdown, reason=result.reason, parts=None, verdicts=""
        )
    ResultKey.objects.filter(run=run).delete()
