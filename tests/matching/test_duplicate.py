"""Duplicating a brief: a copy with every field, term and must-have, opened in the edit form;
also through the API (201). Viewers are refused, another organisation's brief is a 404."""

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from matching.duplicate import copy_title, duplicate_brief
from matching.models import Brief
from partners.models import Term
from tests.factories import BriefFactory, MembershipFactory

pytestmark = pytest.mark.django_db

COPIED_FIELDS = (
    "organisation_id",
    "modality_id",
    "development_needed",
    "phase",
    "batch_size",
    "batch_unit",
    "needed_by",
    "target_markets",
    "required_certifications",
    "max_oel_ug_m3",
    "dea_schedule",
    "preferred_regions",
    "preferred_countries",
    "excluded_countries",
    "weights",
    "must_haves",
    "must_have_items",
)


@pytest.fixture
def full_brief(helix) -> Brief:
    """A brief with every field set, terms in each set and must-haves."""
    return BriefFactory(
        organisation=helix.membership.organisation,
        created_by=helix,
        title="Phase 2 mAb, EU and US supply",
        dosage_forms=[Term.objects.get(slug="sterile-injectable")],
        services=list(Term.objects.filter(kind="service")[:2]),
        technologies=list(Term.objects.filter(kind="technology")[:1]),
        development_needed=True,
        phase="phase2",
        batch_size=2000,
        batch_unit="L",
        needed_by=datetime.date(2027, 6, 30),
        target_markets=["US", "EU"],
        required_certifications=["eu-gmp"],
        max_oel_ug_m3=1.0,
        dea_schedule="II",
        preferred_regions=["europe"],
        preferred_countries=["DE"],
        excluded_countries=["CN"],
        weights={"capability": 5, "phase": 4, "scale": 2},
        must_haves=["phase", "containment"],
        must_have_items={"required_certifications": ["eu-gmp"]},
    )


def _terms(brief: Brief) -> dict[str, set[str]]:
    return {
        name: set(getattr(brief, name).values_list("slug", flat=True))
        for name in ("dosage_forms", "services", "technologies")
    }


def test_the_copy_has_every_field_term_and_must_have(full_brief, sponsor):
    copy = duplicate_brief(full_brief, sponsor)

    assert copy.pk != full_brief.pk
    assert copy.title == "Copy of Phase 2 mAb, EU and US supply"
    for name in COPIED_FIELDS:
        assert getattr(copy, name) == getattr(full_brief, name), name
    assert _terms(copy) == _terms(full_brief)
    assert all(_terms(copy).values())


def test_changing_the_copy_leaves_the_original_as_it_was(full_brief, sponsor):
    copy = duplicate_brief(full_brief, sponsor)
    copy.weights["phase"] = 0
    copy.must_haves.append("scale")
    copy.save()
    copy.dosage_forms.clear()

    full_brief.refresh_from_db()
    assert full_brief.weights["phase"] == 4
    assert full_brief.must_haves == ["phase", "containment"]
    assert full_brief.dosage_forms.exists()


def test_a_long_title_is_cut_to_fit():
    assert len(copy_title("x" * 200)) == 200


def test_the_button_copies_and_opens_the_copy_in_the_edit_form(client, sponsor, full_brief):
    client.force_login(sponsor)

    response = client.post(reverse("matching:brief-duplicate", kwargs={"pk": full_brief.pk}))

    copy = Brief.objects.exclude(pk=full_brief.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("matching:brief-edit", kwargs={"pk": copy.pk})
    assert copy.created_by == sponsor


def test_the_brief_page_offers_the_button_to_members(client, sponsor, full_brief):
    client.force_login(sponsor)

    page = client.get(full_brief.get_absolute_url()).content.decode()

    assert reverse("matching:brief-duplicate", kwargs={"pk": full_brief.pk}) in page


def test_a_viewer_is_refused_and_sees_no_button(client, full_brief):
    viewer = MembershipFactory(organisation=full_brief.organisation, role="viewer").user
    client.force_login(viewer)
    url = reverse("matching:brief-duplicate", kwargs={"pk": full_brief.pk})

    assert url not in client.get(full_brief.get_absolute_url()).content.decode()
    assert client.post(url).status_code == 403
    assert Brief.objects.count() == 1


def test_another_organisation_gets_a_404(client, northwind, full_brief):
    client.force_login(northwind)

    response = client.post(reverse("matching:brief-duplicate", kwargs={"pk": full_brief.pk}))

    assert response.status_code == 404
    assert Brief.objects.count() == 1


def test_a_get_is_not_allowed(client, sponsor, full_brief):
    client.force_login(sponsor)

    response = client.get(reverse("matching:brief-duplicate", kwargs={"pk": full_brief.pk}))

    assert response.status_code == 405


# The API


def test_the_api_answers_201_with_the_copy(sponsor, full_brief):
    api = APIClient()
    api.force_authenticate(sponsor)

    response = api.post(f"/api/briefs/{full_brief.pk}/duplicate/")

    assert response.status_code == 201
    body = response.json()
    copy = Brief.objects.get(pk=body["id"])
    assert body["title"] == "Copy of Phase 2 mAb, EU and US supply"
    assert response["Location"] == body["url"]
    assert body["must_haves"] == ["phase", "containment"]
    assert sorted(body["dosage_forms"]) == sorted(_terms(full_brief)["dosage_forms"])
    assert copy.needed_by == datetime.date(2027, 6, 30)


def test_the_api_refuses_a_viewer_and_hides_the_brief_from_outsiders(northwind, full_brief):
    viewer = MembershipFactory(organisation=full_brief.organisation, role="viewer").user
    api = APIClient()
    api.force_authenticate(viewer)
    assert api.post(f"/api/briefs/{full_brief.pk}/duplicate/").status_code == 403

    api.force_authenticate(northwind)
    assert api.post(f"/api/briefs/{full_brief.pk}/duplicate/").status_code == 404
    assert Brief.objects.count() == 1
