"""Must-haves per item: each dosage form, service, technology, target market and certification
of a brief is a must-have or a nice-to-have on its own, in the engine, the form, the API, the
brief's page, the migration from criterion must-haves and the decision record."""

import importlib

import pytest
from django.apps import apps
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from matching.choices import Criterion
from matching.engine.criteria import CRITERIA, BriefCriteria
from matching.engine.scoring import score_catalogue
from matching.forms import BriefForm
from matching.models import Brief
from matching.must_haves import must_have_item_labels
from matching.validation import per_item_must_haves
from partners.models import Term
from sourcing.decisions import brief_as_it_was
from tests.factories import BriefFactory
from tests.matching.test_engine import make_index, site
from tests.matching.test_engine_properties import briefs, catalogues

CERTIFICATIONS = CRITERIA.index("certifications")
MARKETS_COLUMN = CRITERIA.index("markets")


def _brief(**fields) -> BriefCriteria:
    fields.setdefault("modality", "small-molecule-api")
    return BriefCriteria(**fields)


# --- The engine ---------------------------------------------------------------------------------


def test_a_site_without_a_must_have_certificate_is_excluded_naming_it():
    index = make_index(
        site(1, certifications={"eu-gmp", "iso-9001"}),
        site(2, certifications={"eu-gmp"}),
        site(3, certifications={"iso-9001"}),
    )
    criteria = _brief(
        required_certifications=("eu-gmp", "iso-9001"),
        must_have_items={"required_certifications": ("eu-gmp",)},
    )

    outcome = score_catalogue(criteria, index)

    assert outcome.eligible.tolist() == [True, True, False]
    assert outcome.exclusion_reason(2) == (
        "Must-have certificate: holds no valid EU GMP certificate."
    )
    assert outcome.failed_constraints(2) == ["required_certifications:eu-gmp"]


def test_a_nice_to_have_item_still_counts_in_the_sub_score():
    index = make_index(
        site(1, certifications={"eu-gmp", "iso-9001"}),
        site(2, certifications={"eu-gmp"}),
    )
    criteria = _brief(
        required_certifications=("eu-gmp", "iso-9001"),
        must_have_items={"required_certifications": ("eu-gmp",)},
    )

    outcome = score_catalogue(criteria, index)

    assert outcome.subscores[:, CERTIFICATIONS].tolist() == [1.0, 0.5]
    assert outcome.scores[0] > outcome.scores[1]
    assert outcome.eligible.all()


def test_terms_and_markets_are_must_haves_item_by_item():
    index = make_index(
        site(1, terms={"small-molecule-api", "oral-solid"}, standing={"FDA": 1}),
        site(2, terms={"small-molecule-api"}, standing={"FDA": 1}),
        site(3, terms={"small-molecule-api", "oral-solid"}, standing={"FDA": -1}),
    )
    criteria = _brief(
        dosage_forms=("oral-solid",),
        technologies=("spray-drying",),
        target_markets=("US", "EU"),
        must_have_items={"dosage_forms": ("oral-solid",), "target_markets": ("US",)},
    )

    outcome = score_catalogue(criteria, index)

    assert outcome.eligible.tolist() == [True, False, False]
    assert outcome.exclusion_reason(1) == "Must-have dosage form: does not make Oral solid dose."
    assert outcome.exclusion_reason(2) == (
        "Must-have market: has a recent adverse record from FDA for US."
    )
    # Spray drying and the EU market are nice-to-haves: they lower the sub-scores only.
    assert outcome.subscores[0, MARKETS_COLUMN] == 0.5


def test_the_funnel_has_one_step_per_item_named_by_it():
    index = make_index(
        site(1, certifications={"eu-gmp"}, standing={"FDA": 1}),
        site(2, certifications={"iso-9001"}, standing={"FDA": 1}),
        site(3, certifications={"iso-9001"}),
        site(4, certifications={"eu-gmp"}),
    )
    criteria = _brief(
        target_markets=("US",),
        required_certifications=("eu-gmp",),
        must_have_items={"target_markets": ("US",), "required_certifications": ("eu-gmp",)},
    )

    outcome = score_catalogue(criteria, index)

    steps = [(s.constraint, s.removed, s.removed_alone) for s in outcome.funnel]
    assert steps == [
        ("modality", 0, 0),
        ("target_markets:US", 2, 2),
        ("required_certifications:eu-gmp", 1, 2),
    ]
    labels = [outcome.constraint_label(step.constraint) for step in outcome.funnel]
    assert labels == ["modality", "US market", "EU GMP certificate"]
    # Sites 2 and 4 each fail one item only: dropping either admits one.
    assert outcome.relaxation is not None
    assert str(outcome.relaxation) in (
        "drop the US market must-have: +1 site",
        "drop the EU GMP certificate must-have: +1 site",
    )


def test_the_relaxation_names_the_item_that_admits_the_most_sites():
    index = make_index(
        site(1, certifications={"eu-gmp", "iso-9001"}),
        *(site(n, certifications={"iso-9001"}) for n in range(2, 5)),
        site(5, certifications={"eu-gmp"}),
    )
    criteria = _brief(
        required_certifications=("eu-gmp", "iso-9001"),
        must_have_items={"required_certifications": ("eu-gmp", "iso-9001")},
    )

    outcome = score_catalogue(criteria, index)

    assert str(outcome.relaxation) == "drop the EU GMP certificate must-have: +3 sites"


def test_an_item_must_have_outside_its_list_is_refused_naming_the_list():
    criteria = _brief(
        required_certifications=("eu-gmp",),
        must_have_items={"required_certifications": ("iso-9001",), "phases": ("x",)},
    )

    errors = criteria.validate()["must_have_items"]

    assert any("required_certifications" in e and "iso-9001" in e for e in errors)
    assert any("Unknown list 'phases'" in e for e in errors)


@st.composite
def briefs_with_item_must_haves(draw) -> BriefCriteria:
    criteria = draw(briefs())
    lists = {
        "dosage_forms": criteria.dosage_forms,
        "services": criteria.services,
        "technologies": criteria.technologies,
        "target_markets": criteria.target_markets,
        "required_certifications": criteria.required_certifications,
    }
    chosen = {
        name: tuple(draw(st.sets(st.sampled_from(items)))) if items else ()
        for name, items in lists.items()
    }
    return BriefCriteria(
        **{
            **{f: getattr(criteria, f) for f in criteria.__dataclass_fields__},
            "must_have_items": chosen,
        }
    )


def _lacks(site_features, list_name: str, item: str) -> bool:
    if list_name == "target_markets":
        authority = {"US": "FDA", "EU": "EMA"}[item]
        return site_features.standing.get(authority, 0) != 1
    if list_name == "required_certifications":
        return item not in site_features.certifications
    return item not in site_features.terms


@given(catalogues(), briefs_with_item_must_haves(), st.sampled_from(["weighted", "topsis"]))
def test_a_site_failing_an_item_must_have_is_always_excluded_naming_that_item(
    sites, criteria, method
):
    index = make_index(*sites)
    outcome = score_catalogue(criteria, index, method=method)

    for row, features in enumerate(sites):
        lacking = [
            f"{name}:{item}"
            for name, item in criteria.item_must_haves()
            if _lacks(features, name, item)
        ]
        if not lacking:
            continue
        assert not outcome.eligible[row]
        failed = outcome.failed_constraints(row)
        assert set(lacking) <= set(failed)
        # The reason names the first constraint failed; when it is an item, it names the item.
        first = failed[0]
        if first in lacking:
            item = first.partition(":")[2]
            assert index.label(item) in (outcome.exclusion_reason(row) or "")
            assert item in outcome.constraint_label(first) or index.label(item) in (
                outcome.constraint_label(first)
            )


# --- Turning criterion must-haves into item must-haves ------------------------------------------


def test_a_criterion_must_have_becomes_one_on_each_of_its_items():
    must_haves, items = per_item_must_haves(
        {
            "must_haves": ["certifications", "phase", "markets"],
            "must_have_items": {"target_markets": ["US"]},
            "required_certifications": ["eu-gmp", "iso-9001"],
            "target_markets": ["US", "EU"],
        }
    )

    assert must_haves == ["phase"]
    assert items == {
        "target_markets": ["US", "EU"],
        "required_certifications": ["eu-gmp", "iso-9001"],
    }


_migration = importlib.import_module("matching.migrations.0009_must_have_items")


@pytest.mark.django_db
def test_the_migration_keeps_a_briefs_meaning_and_its_reverse_restores_it():
    brief = BriefFactory(
        required_certifications=["eu-gmp", "iso-9001"],
        target_markets=["US"],
        must_haves=["certifications", "markets", "capability", "phase"],
        phase="phase2",
    )
    brief.dosage_forms.set([Term.objects.get(slug="sterile-injectable")])
    untouched = BriefFactory(must_haves=["phase"], phase="phase2")
    updated_at = Brief.objects.get(pk=brief.pk).updated_at

    _migration.criterion_must_haves_to_items(apps, None)

    brief.refresh_from_db()
    assert brief.must_haves == ["phase"]
    assert brief.must_have_items == {
        "required_certifications": ["eu-gmp", "iso-9001"],
        "target_markets": ["US"],
        "dosage_forms": ["sterile-injectable"],
    }
    assert brief.updated_at == updated_at
    untouched.refresh_from_db()
    assert (untouched.must_haves, untouched.must_have_items) == (["phase"], {})

    _migration.item_must_haves_to_criteria(apps, None)

    brief.refresh_from_db()
    assert sorted(brief.must_haves) == ["capability", "certifications", "markets", "phase"]
    assert brief.must_have_items == {}


# --- The form, the API, the pages ---------------------------------------------------------------


def _form_data(**changes) -> dict:
    data = {
        "title": "Phase 2 mAb",
        "modality": Term.objects.get(slug="mab").pk,
        "batch_unit": "L",
        "required_certifications": ["eu-gmp", "iso-9001"],
        "target_markets": ["US", "EU"],
        **{f"weight_{criterion}": "3" for criterion in Criterion.values},
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_the_form_gives_each_item_a_labelled_must_have_toggle(client, sponsor):
    client.force_login(sponsor)

    page = client.get("/briefs/new/").content.decode()

    assert 'name="must_have_required_certifications" value="eu-gmp"' in page
    assert 'name="must_have_target_markets" value="US"' in page
    assert 'aria-label="Must-have: EU GMP certificate">' in page
    # The criterion must-haves no longer offer the criteria decided item by item.
    form = BriefForm()
    offered = [value for value, _ in form.fields["must_haves"].choices]
    assert "certifications" not in offered
    assert "markets" not in offered
    assert "phase" in offered


@pytest.mark.django_db
def test_the_form_saves_the_toggled_items_as_must_haves(client, sponsor):
    client.force_login(sponsor)

    response = client.post(
        "/briefs/new/",
        _form_data(must_have_required_certifications=["eu-gmp"], must_have_target_markets=["US"]),
    )

    assert response.status_code == 302
    brief = Brief.objects.get()
    assert brief.must_have_items == {
        "target_markets": ["US"],
        "required_certifications": ["eu-gmp"],
    }
    page = client.get(response["Location"]).content.decode()
    assert "Must-have items:</strong> US market, EU GMP certificate" in page
    edit = client.get(f"/briefs/{brief.pk}/edit/").content.decode()
    assert (
        'value="eu-gmp" id="id_must_have_required_certifications_1" '
        'aria-label="Must-have: EU GMP certificate" checked>'
    ) in edit


@pytest.mark.django_db
def test_a_toggled_item_that_is_not_chosen_is_refused_beside_its_list(client, sponsor):
    client.force_login(sponsor)

    response = client.post("/briefs/new/", _form_data(must_have_required_certifications=["cep"]))

    assert response.status_code == 200
    errors = response.context["form"].errors["required_certifications"]
    assert errors == [
        "EDQM certificate of suitability (CEP) is marked a must-have but not chosen: tick it "
        "too, or untick its must-have."
    ]
    assert not Brief.objects.exists()


@pytest.mark.django_db
def test_the_preview_honours_item_must_haves(client, sponsor):
    from tests.factories import CertificationFactory, SiteCapabilityFactory, SiteFactory

    mab = Term.objects.get(slug="mab")
    for name, kinds in (("Rhine", ["eu-gmp"]), ("Cork", ["iso-9001"])):
        site_ = SiteFactory(name=name, compliance_state="scored", compliance_score=80)
        SiteCapabilityFactory(site=site_, term=mab, max_volume_l=5000)
        for kind in kinds:
            CertificationFactory(site=site_, kind=kind)
    from matching.index import clear_catalogue_index

    clear_catalogue_index()
    client.force_login(sponsor)

    response = client.post(
        "/briefs/preview/",
        _form_data(title="", target_markets=[], must_have_required_certifications=["eu-gmp"]),
    )
    clear_catalogue_index()

    preview = response.context["preview"]
    assert [s.site_name for s in preview.sites] == ["Rhine"]
    assert "Dropping the EU GMP certificate must-have would admit 1 more site" in (
        response.content.decode()
    )


@pytest.fixture
def api(sponsor) -> APIClient:
    client = APIClient()
    client.force_authenticate(sponsor)
    return client


def _api_data(**changes) -> dict:
    data = {
        "title": "Phase 2 mAb",
        "modality": "mab",
        "dosage_forms": ["sterile-injectable"],
        "target_markets": ["US", "EU"],
        "required_certifications": ["eu-gmp", "iso-9001"],
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_the_api_reads_and_writes_item_must_haves(api):
    created = api.post(
        "/api/briefs/",
        _api_data(must_have_items={"required_certifications": ["eu-gmp"]}),
        format="json",
    )

    assert created.status_code == 201, created.json()
    assert created.json()["must_have_items"] == {"required_certifications": ["eu-gmp"]}
    url = f"/api/briefs/{created.json()['id']}/"
    patched = api.patch(
        url, {"must_have_items": {"dosage_forms": ["sterile-injectable"]}}, format="json"
    )
    assert patched.status_code == 200, patched.json()
    assert Brief.objects.get().must_have_items == {"dosage_forms": ["sterile-injectable"]}


@pytest.mark.django_db
def test_the_api_turns_a_criterion_must_have_into_item_must_haves(api):
    created = api.post(
        "/api/briefs/", _api_data(must_haves=["markets", "phase"], phase="phase2"), format="json"
    )

    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["must_haves"] == ["phase"]
    assert body["must_have_items"] == {"target_markets": ["US", "EU"]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("must_have_items", "words"),
    [
        ({"required_certifications": ["cep"]}, ["“cep”", "required_certifications"]),
        ({"target_markets": ["JP"]}, ["“JP”", "target_markets"]),
        ({"phases": ["phase2"]}, ["Unknown list", "“phases”"]),
        ({"target_markets": "US"}, ["target_markets", "Expected a list"]),
        (["US"], ["Expected a dictionary"]),
    ],
)
def test_the_api_refuses_a_must_have_outside_its_list_naming_the_field(api, must_have_items, words):
    response = api.post("/api/briefs/", _api_data(must_have_items=must_have_items), format="json")

    assert response.status_code == 400
    # The errors of the field, flat or per list.
    messages = str(response.json()["must_have_items"])
    for word in words:
        assert word in messages


@pytest.mark.django_db
def test_removing_a_listed_item_that_is_a_must_have_is_refused(api):
    created = api.post(
        "/api/briefs/", _api_data(must_have_items={"target_markets": ["US"]}), format="json"
    ).json()

    response = api.patch(f"/api/briefs/{created['id']}/", {"target_markets": ["EU"]}, format="json")

    assert response.status_code == 400
    assert "target_markets" in response.json()["must_have_items"][0]


@pytest.mark.django_db
def test_the_decision_record_reads_must_haves_item_by_item():
    brief = BriefFactory(
        required_certifications=["eu-gmp", "iso-9001"],
        target_markets=["US", "EU"],
        must_have_items={"required_certifications": ["eu-gmp"], "target_markets": ["US"]},
    )

    record = brief_as_it_was(brief)

    field = next(f for f in record["fields"] if f["name"] == "must_have_items")
    assert (field["label"], field["text"]) == ("Must-haves", "US market, EU GMP certificate")
    assert must_have_item_labels(brief) == ["US market", "EU GMP certificate"]
