"""Guard rails on a brief: weights that are all 0, a batch or an OEL outside physical sense, and a
must-have with nothing to test are refused in the form, the API and the model's validation; a
brief stored before the rules existed still opens, says what is wrong and is not run."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from core.choices import JobStatus
from matching.choices import Criterion
from matching.models import Brief, Run
from matching.validation import (
    brief_errors,
    stored_brief_errors,
    validate_batch_size,
    validate_oel,
)
from partners.models import Term
from tests.factories import BriefFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(sponsor) -> APIClient:
    client = APIClient()
    client.force_authenticate(sponsor)
    return client


def _form_data(**changes) -> dict:
    data = {
        "title": "Phase 2 mAb",
        "modality": Term.objects.get(slug="mab").pk,
        "phase": "phase2",
        "batch_size": "200",
        "batch_unit": "L",
        **{f"weight_{criterion}": "3" for criterion in Criterion.values},
    }
    data.update(changes)
    return data


def _api_data(**changes) -> dict:
    data = {"title": "Phase 2 mAb", "modality": "mab", "phase": "phase2", "batch_size": 200}
    data.update(changes)
    return data


# The rules as functions


@pytest.mark.parametrize("value", [0.001, 1, 25_000, 100_000])
def test_a_batch_within_the_range_passes(value):
    validate_batch_size(value)


@pytest.mark.parametrize("value", [0.0001, 100_001, 1e30])
def test_a_batch_outside_the_range_is_refused_naming_the_range(value):
    with pytest.raises(ValidationError) as error:
        validate_batch_size(value)

    assert "from 0.001 to 100,000 kg or L" in error.value.messages[0]


@pytest.mark.parametrize("value", [1e-9, 0.0009, 100_001])
def test_an_oel_outside_the_range_is_refused_naming_the_range(value):
    with pytest.raises(ValidationError) as error:
        validate_oel(value)

    assert "from 0.001 to 100,000 µg/m³" in error.value.messages[0]


def test_a_negative_batch_is_told_to_be_greater_than_zero():
    with pytest.raises(ValidationError, match="greater than 0"):
        validate_batch_size(-5)


@pytest.mark.parametrize(
    ("must_have", "field"),
    [
        ("containment", "OEL"),
        ("controlled_substances", "DEA schedule"),
        ("scale", "batch size"),
        ("phase", "phase"),
        ("geography", "preferred region or country"),
        ("markets", "target market"),
        ("certifications", "required certification"),
        ("availability", "needed-by date"),
        ("development", "development"),
    ],
)
def test_a_must_have_with_nothing_to_test_is_refused(must_have, field):
    values = {
        "must_haves": [must_have],
        "phase": "",
        "batch_size": None,
        "target_markets": [],
        "required_certifications": [],
        "max_oel_ug_m3": None,
        "dea_schedule": "",
        "preferred_regions": [],
        "preferred_countries": [],
        "development_needed": False,
        "needed_by": None,
    }

    errors = brief_errors(values)

    assert field in errors["must_haves"][0]
    assert "untick the must-have" in errors["must_haves"][0]


def test_a_must_have_whose_field_is_given_passes():
    assert brief_errors({"must_haves": ["containment"], "max_oel_ug_m3": 1.0}) == {}


def test_capability_and_compliance_must_haves_always_have_something_to_test():
    assert brief_errors({"must_haves": ["capability", "compliance"]}) == {}


def test_weights_all_zero_are_refused():
    errors = brief_errors({"weights": dict.fromkeys(Criterion.values, 0)})

    assert "weighs 0" in errors["weights"][0]


def test_weight_only_on_criteria_the_brief_does_not_state_is_refused():
    weights = {**dict.fromkeys(Criterion.values, 0), "containment": 5}

    errors = brief_errors({"weights": weights, "max_oel_ug_m3": None})

    assert "weighs 0" in errors["weights"][0]


def test_one_stated_criterion_with_weight_is_enough():
    weights = {**dict.fromkeys(Criterion.values, 0), "compliance": 1}

    assert brief_errors({"weights": weights}) == {}


# The form


def test_the_form_refuses_all_zero_weights_with_the_message_above_the_weights(client, sponsor):
    client.force_login(sponsor)
    zero = {f"weight_{criterion}": "0" for criterion in Criterion.values}

    response = client.post(reverse("matching:brief-create"), _form_data(**zero))

    assert response.status_code == 200
    assert response.context["form"].weights_errors
    assert 'id="weights_errors"' in response.content.decode()
    assert not Brief.objects.exists()


def test_the_form_shows_the_range_beside_the_batch_size(client, sponsor):
    client.force_login(sponsor)

    response = client.post(reverse("matching:brief-create"), _form_data(batch_size="1e30"))

    errors = response.context["form"].errors
    assert "from 0.001 to 100,000 kg or L" in errors["batch_size"][0]
    assert not Brief.objects.exists()


def test_the_form_shows_the_range_beside_the_oel(client, sponsor):
    client.force_login(sponsor)

    response = client.post(reverse("matching:brief-create"), _form_data(max_oel_ug_m3="1e-9"))

    assert "µg/m³" in response.context["form"].errors["max_oel_ug_m3"][0]


def test_the_form_refuses_a_containment_must_have_without_an_oel(client, sponsor):
    client.force_login(sponsor)

    response = client.post(reverse("matching:brief-create"), _form_data(must_haves=["containment"]))

    assert "no OEL to contain" in response.context["form"].errors["must_haves"][0]
    assert not Brief.objects.exists()


def test_an_invalid_oel_is_not_reported_again_as_a_missing_one(client, sponsor):
    client.force_login(sponsor)

    response = client.post(
        reverse("matching:brief-create"),
        _form_data(must_haves=["containment"], max_oel_ug_m3="-1"),
    )

    errors = response.context["form"].errors
    assert "max_oel_ug_m3" in errors
    assert "must_haves" not in errors


# The API


def test_the_api_refuses_all_zero_weights_naming_the_field(api):
    response = api.post(
        "/api/briefs/", _api_data(weights=dict.fromkeys(Criterion.values, 0)), format="json"
    )

    assert response.status_code == 400
    assert "weighs 0" in response.json()["weights"][0]


def test_the_api_refuses_a_batch_of_1e30_naming_the_field(api):
    response = api.post("/api/briefs/", _api_data(batch_size=1e30), format="json")

    assert response.status_code == 400
    assert "100,000 kg or L" in response.json()["batch_size"][0]


def test_the_api_refuses_an_oel_of_a_billionth_naming_the_field(api):
    response = api.post("/api/briefs/", _api_data(max_oel_ug_m3=1e-9), format="json")

    assert response.status_code == 400
    assert "µg/m³" in response.json()["max_oel_ug_m3"][0]


@pytest.mark.parametrize(
    ("must_have", "words"),
    [
        ("containment", "OEL"),
        ("controlled_substances", "DEA schedule"),
        ("geography", "preferred region"),
        ("availability", "needed-by date"),
    ],
)
def test_the_api_refuses_a_must_have_with_nothing_to_test(api, must_have, words):
    response = api.post("/api/briefs/", _api_data(must_haves=[must_have]), format="json")

    assert response.status_code == 400
    assert words in response.json()["must_haves"][0]


def test_a_partial_update_is_checked_with_the_stored_fields(api, sponsor):
    brief = BriefFactory(organisation=sponsor.membership.organisation, max_oel_ug_m3=1.0)

    response = api.patch(f"/api/briefs/{brief.pk}/", {"must_haves": ["containment"]}, format="json")
    assert response.status_code == 200

    response = api.patch(f"/api/briefs/{brief.pk}/", {"max_oel_ug_m3": None}, format="json")
    assert response.status_code == 400
    assert "must_haves" in response.json()


def test_the_model_validation_refuses_an_out_of_range_batch(sponsor):
    brief = BriefFactory.build(
        organisation=sponsor.membership.organisation,
        modality=Term.objects.get(slug="mab"),
        batch_size=1e30,
    )

    with pytest.raises(ValidationError) as error:
        brief.full_clean()

    assert "batch_size" in error.value.message_dict


# Briefs stored before the rules


@pytest.fixture
def stale_brief(sponsor) -> Brief:
    """A brief saved before the rules: a batch of 1e30 L, a containment must-have without an
    OEL and every weight at 0 (written past the validators, as old data is)."""
    brief = BriefFactory(organisation=sponsor.membership.organisation, title="Old brief")
    Brief.objects.filter(pk=brief.pk).update(
        batch_size=1e30,
        batch_unit="L",
        must_haves=["containment"],
        weights=dict.fromkeys(Criterion.values, 0),
    )
    brief.refresh_from_db()
    return brief


def test_a_stored_brief_breaking_the_rules_lists_every_problem(stale_brief):
    errors = stored_brief_errors(stale_brief)

    assert set(errors) == {"batch_size", "must_haves", "weights"}


def test_its_page_still_opens_and_says_what_to_correct(client, sponsor, stale_brief):
    client.force_login(sponsor)

    response = client.get(stale_brief.get_absolute_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="brief-problems"' in page
    assert "100,000 kg or L" in page
    assert "no OEL to contain" in page


def test_starting_its_run_from_the_page_is_refused_with_the_reasons(client, sponsor, stale_brief):
    client.force_login(sponsor)

    response = client.post(
        reverse("matching:run-start", kwargs={"pk": stale_brief.pk}),
        {"method": "weighted"},
        follow=True,
    )

    assert response.status_code == 200
    assert not Run.objects.exists()
    texts = [str(message) for message in response.context["messages"]]
    assert any(text.startswith("Not run:") and "100,000" in text for text in texts)


def test_starting_its_run_through_the_api_is_a_400_naming_the_fields(api, stale_brief):
    response = api.post(f"/api/briefs/{stale_brief.pk}/runs/", {}, format="json")

    assert response.status_code == 400
    assert {"batch_size", "must_haves", "weights"} <= set(response.json())
    assert not Run.objects.filter(status=JobStatus.QUEUED).exists()


def test_its_edit_form_opens_with_the_errors_to_correct_once_saved(client, sponsor, stale_brief):
    client.force_login(sponsor)

    assert (
        client.get(reverse("matching:brief-edit", kwargs={"pk": stale_brief.pk})).status_code == 200
    )


def test_a_viewer_sees_the_notice_without_an_edit_link(client, stale_brief):
    viewer = MembershipFactory(organisation=stale_brief.organisation, role="viewer").user
    client.force_login(viewer)

    page = client.get(stale_brief.get_absolute_url()).content.decode()

    assert 'id="brief-problems"' in page
    assert "edit it" not in page
