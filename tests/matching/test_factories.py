"""The matching factories of tests/factories.py make objects the application would accept."""

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory

from core.choices import JobStatus
from matching.models import Brief, RunMethod, organisation_of
from partners.models import Term
from tests.factories import (
    PASSWORD,
    BriefFactory,
    MembershipFactory,
    OrganisationFactory,
    RunFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_a_factory_user_signs_in_with_the_shared_password():
    user = UserFactory(username="helen")

    # A sign-in always comes with its request (django-axes counts failures per address).
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username="helen", password=PASSWORD) == user


def test_an_organisations_slug_follows_its_name_unless_given():
    assert OrganisationFactory(name="Helix Therapeutics").slug == "helix-therapeutics"
    assert OrganisationFactory(name="Helix", slug="hx").slug == "hx"


def test_a_membership_puts_its_user_in_its_organisation():
    membership = MembershipFactory()

    assert organisation_of(membership.user) == membership.organisation


def test_a_default_brief_passes_the_models_validators():
    brief = BriefFactory()

    brief.full_clean()
    assert brief.modality.slug == "mab"
    assert brief.created_by is None
    assert (brief.phase, brief.batch_size, brief.must_haves) == ("", None, [])
    assert brief.weights == Brief._meta.get_field("weights").get_default()


def test_a_briefs_term_lists_are_set():
    lyophilized = Term.objects.get(slug="lyophilized")

    brief = BriefFactory(dosage_forms=[lyophilized])

    assert list(brief.dosage_forms.all()) == [lyophilized]
    assert not brief.services.exists()


def test_a_run_is_a_queued_weighted_run_of_its_briefs_organisation():
    run = RunFactory()

    run.full_clean()
    assert run.organisation == run.brief.organisation
    assert (run.status, run.method, run.progress) == (JobStatus.QUEUED, RunMethod.WEIGHTED, 0)
