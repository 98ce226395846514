"""Fixtures shared by the sourcing pages' tests: Helix's team (helen, a member; vera, a viewer)
with a shortlist for one of its briefs, and otto of Northwind, an outsider. Built with the
factories of tests/factories.py."""

import pytest
from django.test import Client

from matching.choices import Role
from tests.factories import BriefFactory, MembershipFactory, ShortlistFactory


def client_of(user=None) -> Client:
    """A browser signed in as the user; anonymous without one."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def helen(db):
    """helen, a member of Helix: she may change its shortlists."""
    return MembershipFactory(
        user__username="helen", organisation__name="Helix", organisation__slug="helix"
    ).user


@pytest.fixture
def vera(helen):
    """vera, a viewer in Helix: she reads its shortlists, never changes them."""
    return MembershipFactory(
        user__username="vera", organisation=helen.membership.organisation, role=Role.VIEWER
    ).user


@pytest.fixture
def otto(db):
    """otto, a member of Northwind, another organisation."""
    return MembershipFactory(
        user__username="otto", organisation__name="Northwind", organisation__slug="northwind"
    ).user


@pytest.fixture
def helix_brief(helen):
    return BriefFactory(organisation=helen.membership.organisation, title="Phase 2 mAb")


@pytest.fixture
def helix_list(helix_brief):
    """Helix's shortlist "EU fill", for its phase 2 mAb brief."""
    return ShortlistFactory(brief=helix_brief, title="EU fill")
