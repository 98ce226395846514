"""Fixtures shared by the matching tests: two sponsor organisations with a member each, a
small mAb catalogue with a phase 2 brief for it, and a catalogue index that no test inherits
from another."""

import pytest

from matching.index import clear_catalogue_index
from matching.models import Brief, Membership, Organisation
from partners.models import Phase, Term
from tests.factories import SiteCapabilityFactory, SiteFactory


@pytest.fixture
def fresh_catalogue_index():
    """The per-process catalogue index dropped before and after the test."""
    clear_catalogue_index()
    yield
    clear_catalogue_index()


def _member(django_user_model, slug: str, username: str):
    organisation = Organisation.objects.create(name=slug.title(), slug=slug)
    user = django_user_model.objects.create_user(username, password="pw")
    Membership.objects.create(user=user, organisation=organisation)
    return user


@pytest.fixture
def helix(django_user_model):
    """helen, of the Helix organisation."""
    return _member(django_user_model, "helix", "helen")


@pytest.fixture
def northwind(django_user_model):
    """nora, of the Northwind organisation."""
    return _member(django_user_model, "northwind", "nora")


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


@pytest.fixture
def brief(helix):
    """Helix's phase 2 mAb brief: Germany preferred, China excluded, the phase a must-have."""
    return Brief.objects.create(
        organisation=helix.membership.organisation,
        created_by=helix,
        title="Phase 2 mAb",
        modality=Term.objects.get(slug="mab"),
        phase="phase2",
        preferred_countries=["DE"],
        excluded_countries=["CN"],
        must_haves=["phase"],
    )
