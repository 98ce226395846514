"""Briefs: written and changed through the form and the API, and checked by the same rules."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from matching.choices import Criterion
from matching.forms import BriefForm
from matching.models import Brief, Organisation
from partners.models import Term

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(sponsor) -> APIClient:
    client = APIClient()
    client.force_authenticate(sponsor)
    return client


def _form_data(**changes) -> dict:
    """A valid POST of the brief form, with `changes` applied."""
    data = {
        "title": "Phase 2 mAb",
        "modality": Term.objects.get(slug="mab").pk,
        "phase": "phase2",
        "batch_size": "200",
        "batch_unit": "L",
        "target_markets": ["US", "EU"],
        "preferred_countries": ["DE"],
        **{f"weight_{criterion}": "3" for criterion in Criterion.values},
    }
    data.update(changes)
    return data


def _api_data(**changes) -> dict:
    data = {
        "title": "Phase 2 mAb",
        "modality": "mab",
        "dosage_forms": ["sterile-injectable"],
        "phase": "phase2",
        "batch_size": 200,
        "batch_unit": "L",
        "target_markets": ["US", "EU"],
        "preferred_countries": ["DE"],
    }
    data.update(changes)
    return data


# The form


def test_a_valid_post_creates_the_brief_and_redirects_to_it(client, sponsor):
    client.force_login(sponsor)

    response = client.post(
        reverse("matching:brief-create"),
        _form_data(
            dosage_forms=[Term.objects.get(slug="lyophilized").pk],
            weight_phase="5",
            must_haves=["phase"],
            must_have_target_markets=["US", "EU"],
        ),
    )

    brief = Brief.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("matching:brief", kwargs={"pk": brief.pk})
    assert brief.organisation == sponsor.membership.organisation
    assert brief.created_by == sponsor
    assert brief.weights["phase"] == 5
    assert brief.weights["scale"] == 3
    assert brief.must_haves == ["phase"]
    assert brief.must_have_items == {"target_markets": ["US", "EU"]}
    assert [term.slug for term in brief.dosage_forms.all()] == ["lyophilized"]
    page = client.get(response["Location"]).content.decode()
    assert "Phase 2 mAb" in page
    assert "Lyophilized" in page


def test_the_form_page_groups_fields_in_the_five_fieldsets(client, sponsor):
    client.force_login(sponsor)

    page = client.get(reverse("matching:brief-create")).content.decode()

    for legend in [
        "What",
        "Scale and phase",
        "Markets and quality",
        "Where",
        "Weights and must-haves",
    ]:
        assert f"<legend>{legend}</legend>" in page


def test_an_invalid_post_shows_the_error_beside_the_field(client, sponsor):
    client.force_login(sponsor)

    response = client.post(reverse("matching:brief-create"), _form_data(batch_size="-5"))

    assert response.status_code == 200
    assert response.context["form"].errors["batch_size"]
    assert "greater than 0" in response.content.decode()
    assert not Brief.objects.exists()


def test_editing_a_brief_through_the_form_keeps_it_in_the_organisation(client, sponsor):
    client.force_login(sponsor)
    client.post(reverse("matching:brief-create"), _form_data())
    brief = Brief.objects.get()

    response = client.post(
        reverse("matching:brief-edit", kwargs={"pk": brief.pk}), _form_data(title="Renamed")
    )

    brief.refresh_from_db()
    assert response.status_code == 302
    assert brief.title == "Renamed"


def test_deleting_a_brief_asks_then_deletes_on_post(client, sponsor):
    client.force_login(sponsor)
    client.post(reverse("matching:brief-create"), _form_data())
    brief = Brief.objects.get()
    url = reverse("matching:brief-delete", kwargs={"pk": brief.pk})

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert Brief.objects.exists()

    response = client.post(url)

    assert response["Location"] == reverse("matching:brief-list")
    assert not Brief.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"modality": "999999"}, "modality", "Unknown modality"),
        ({"dosage_forms": ["999999"]}, "dosage_forms", "valid choice"),
        ({"batch_size": "0"}, "batch_size", "greater than 0"),
        ({"batch_size": "-3"}, "batch_size", "greater than 0"),
        ({"weight_phase": "6"}, "weight_phase", "from 0 to 5"),
        ({"weight_scale": "-1"}, "weight_scale", "from 0 to 5"),
        ({"excluded_countries": ["DE"]}, "excluded_countries", "(DE) is also a preferred country"),
        ({"max_oel_ug_m3": "0"}, "max_oel_ug_m3", "greater than 0"),
        ({"max_oel_ug_m3": "lots"}, "max_oel_ug_m3", "number"),
        ({"phase": "phase4"}, "phase", "phase4"),
        ({"target_markets": ["XX"]}, "target_markets", "XX"),
        ({"must_haves": ["price"]}, "must_haves", "price"),
    ],
)
def test_the_form_names_the_field_and_the_reason(changes, field, words):
    form = BriefForm(_form_data(**changes))

    assert not form.is_valid()
    assert list(form.errors) == [field]
    assert words in " ".join(form.errors[field])


def test_the_form_refuses_a_term_of_another_kind_as_modality():
    form = BriefForm(_form_data(modality=Term.objects.get(slug="lyophilized").pk))

    assert list(form.errors) == ["modality"]


# The API


def test_a_brief_is_created_read_updated_and_deleted_through_the_api(api, sponsor):
    created = api.post("/api/briefs/", _api_data(weights={"phase": 5}), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["modality"] == "mab"
    assert body["dosage_forms"] == ["sterile-injectable"]
    assert body["organisation"] == "helix"
    assert body["created_by"] == "helen"
    assert body["weights"]["phase"] == 5
    assert body["weights"]["scale"] == 3
    url = f"/api/briefs/{body['id']}/"

    read = api.get(url)
    assert read.status_code == 200
    assert read.json()["title"] == "Phase 2 mAb"

    patched = api.patch(url, {"phase": "phase3", "must_haves": ["phase"]}, format="json")
    assert patched.status_code == 200, patched.json()
    assert patched.json()["phase"] == "phase3"
    assert patched.json()["weights"]["phase"] == 5  # kept from before

    replaced = api.put(url, _api_data(title="Phase 3 mAb"), format="json")
    assert replaced.status_code == 200
    assert replaced.json()["title"] == "Phase 3 mAb"

    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404
    assert not Brief.objects.exists()


def test_the_api_ignores_an_organisation_sent_by_the_client(api, sponsor):
    Organisation.objects.create(name="Other", slug="other")

    response = api.post("/api/briefs/", _api_data(organisation="other"), format="json")

    assert response.status_code == 201
    assert Brief.objects.get().organisation.slug == "helix"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"modality": "mabx"}, "modality", "Unknown modality “mabx”"),
        ({"modality": "lyophilized"}, "modality", "Unknown modality"),
        ({"dosage_forms": ["tablet"]}, "dosage_forms", "Unknown dosage form “tablet”"),
        ({"services": ["mab"]}, "services", "Unknown service"),
        ({"batch_size": 0}, "batch_size", "greater than 0"),
        ({"batch_size": -2.5}, "batch_size", "greater than 0"),
        ({"weights": {"phase": 7}}, "weights", "from 0 to 5"),
        ({"weights": {"phase": -1}}, "weights", "from 0 to 5"),
        ({"weights": {"price": 2}}, "weights", "price"),
        ({"excluded_countries": ["DE"]}, "excluded_countries", "(DE) is also a preferred country"),
        ({"max_oel_ug_m3": 0}, "max_oel_ug_m3", "greater than 0"),
        ({"max_oel_ug_m3": "lots"}, "max_oel_ug_m3", "number"),
        ({"phase": "phase4"}, "phase", "Unknown phase “phase4”"),
        ({"target_markets": ["XX"]}, "target_markets", "Unknown market: “XX”"),
        ({"required_certifications": ["gmp"]}, "required_certifications", "“gmp”"),
        ({"preferred_regions": ["mars"]}, "preferred_regions", "“mars”"),
        ({"preferred_countries": ["ZZ"]}, "preferred_countries", "“ZZ”"),
        ({"must_haves": ["price"]}, "must_haves", "“price”"),
        ({"dea_schedule": "VI"}, "dea_schedule", "VI"),
    ],
)
def test_the_api_answers_400_naming_the_field_and_the_reason(api, changes, field, words):
    response = api.post("/api/briefs/", _api_data(**changes), format="json")

    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert words in str(errors[field])
    assert not Brief.objects.exists()


def test_a_partial_update_checks_the_stored_countries_too(api):
    brief = api.post("/api/briefs/", _api_data(), format="json").json()

    response = api.patch(
        f"/api/briefs/{brief['id']}/", {"excluded_countries": ["DE"]}, format="json"
    )

    assert response.status_code == 400
    assert "Germany (DE) is also a preferred country" in response.json()["excluded_countries"][0]


def test_the_api_requires_the_modality(api):
    data = _api_data()
    del data["modality"]

    response = api.post("/api/briefs/", data, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["modality"]


def test_the_api_answers_400_for_bad_json_shapes_not_500(api):
    response = api.post(
        "/api/briefs/",
        _api_data(target_markets="US", weights=[1, 2], batch_size={"x": 1}),
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"target_markets", "weights", "batch_size"}


def test_the_form_and_the_api_say_the_same_about_a_country_both_ways(api):
    form = BriefForm(_form_data(excluded_countries=["DE"]))
    form.is_valid()

    response = api.post("/api/briefs/", _api_data(excluded_countries=["DE"]), format="json")

    assert form.errors["excluded_countries"] == response.json()["excluded_countries"]


def test_the_database_refuses_a_non_positive_batch_size(sponsor):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        Brief.objects.create(
            organisation=sponsor.membership.organisation,
            title="Bad",
            modality=Term.objects.get(slug="mab"),
            batch_size=0,
        )


def test_a_saved_brief_becomes_the_criteria_the_engine_reads(api):
    created = api.post(
        "/api/briefs/",
        _api_data(weights={"phase": 5}, must_haves=["phase"], excluded_countries=["CN"]),
        format="json",
    )
    brief = Brief.objects.get(pk=created.json()["id"])

    criteria = brief.to_criteria()

    assert criteria.validate() == {}
    assert criteria.modality == "mab"
    assert criteria.dosage_forms == ("sterile-injectable",)
    assert (criteria.phase, criteria.batch_size, criteria.batch_unit) == ("phase2", 200, "L")
    assert criteria.target_markets == ("US", "EU")
    assert criteria.excluded_countries == ("CN",)
    assert criteria.weight("phase") == 5
    assert criteria.weight("scale") == 3
    assert criteria.must_haves == frozenset({"phase"})
