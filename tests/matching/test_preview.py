"""The brief form's live preview: the ten best sites for the unsaved form, scored from the index."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from matching.choices import Criterion
from matching.engine.criteria import BriefCriteria
from matching.index import get_catalogue_index
from matching.models import Brief
from matching.preview import preview
from partners.models import Term
from tests.factories import (
    CertificationFactory,
    ProviderFactory,
    SiteCapabilityFactory,
    SiteFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_catalogue_index")]

PREVIEW_URL = "/briefs/preview/"


def _site(name: str, provider: str, country: str, compliance: float, modality: str = "mab"):
    site = SiteFactory(
        name=name,
        provider=ProviderFactory(name=provider, slug=provider.lower().replace(" ", "-")),
        country=country,
        compliance_state="scored",
        compliance_score=compliance,
    )
    SiteCapabilityFactory(site=site, term=Term.objects.get(slug=modality), max_volume_l=5000)
    return site


@pytest.fixture
def catalogue():
    """Three mAb sites (two under EU GMP) and a small-molecule one, with distinct records."""
    rhine = _site("Rhine Plant", "Rhine Biologics", "DE", 90)
    cork = _site("Cork Plant", "Cork Antibodies", "IE", 70)
    basel = _site("Basel Plant", "Basel Bio", "CH", 50)
    ganges = _site("Ganges Plant", "Ganges Chemicals", "IN", 80, modality="small-molecule-api")
    CertificationFactory(site=rhine, kind="eu-gmp")
    CertificationFactory(site=basel, kind="eu-gmp")
    return {"rhine": rhine, "cork": cork, "basel": basel, "ganges": ganges}


def _form_data(**changes) -> dict:
    """A POST of the brief form as htmx sends it while the sponsor writes (no title yet)."""
    data = {
        "modality": Term.objects.get(slug="mab").pk,
        "batch_unit": "L",
        **{f"weight_{criterion}": "3" for criterion in Criterion.values},
    }
    data.update(changes)
    return data


def _names(response) -> list[str]:
    return [site.site_name for site in response.context["preview"].sites]


def test_preview_lists_the_best_sites_in_score_order_with_scores(client, sponsor, catalogue):
    client.force_login(sponsor)

    response = client.post(PREVIEW_URL, _form_data())

    assert response.status_code == 200
    result = response.context["preview"]
    # The mAb sites, ordered by record; the small-molecule site does not make the brief's
    # modality, so it is no candidate at all.
    assert _names(response) == ["Rhine Plant", "Cork Plant", "Basel Plant"]
    assert [round(site.score) for site in result.sites] == [95, 85, 75]
    assert (result.eligible, result.excluded) == (3, 1)
    page = response.content.decode()
    assert "Rhine Plant" in page
    assert 'href="/providers/rhine-biologics/"' in page
    assert "<details>" in page
    assert "3</strong> sites eligible" in page
    assert not Brief.objects.exists()


def test_adding_a_must_have_removes_the_failing_sites_and_suggests_relaxing_it(
    client, sponsor, catalogue
):
    client.force_login(sponsor)

    response = client.post(
        PREVIEW_URL,
        _form_data(
            required_certifications=["eu-gmp"], must_have_required_certifications=["eu-gmp"]
        ),
    )

    assert response.status_code == 200
    assert _names(response) == ["Rhine Plant", "Basel Plant"]
    result = response.context["preview"]
    assert (result.eligible, result.excluded) == (2, 2)
    page = response.content.decode()
    assert "2</strong> sites eligible, <strong>2</strong> excluded" in page
    # Cork fails only the EU GMP must-have; Ganges does not make mAbs at all, so
    # dropping the must-have would not admit it.
    assert "Dropping the EU GMP certificate must-have would admit 1 more site" in page
    assert "Cork Plant" not in page


def test_invalid_data_asks_to_fix_the_fields_instead_of_matching(client, sponsor, catalogue):
    client.force_login(sponsor)

    response = client.post(PREVIEW_URL, _form_data(modality="", batch_size="-3"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Fix the highlighted fields to see matches" in page
    assert "Choose the modality" in page
    assert 'data-field="id_batch_size"' in page
    assert response.context["preview"] is None


def test_a_user_without_organisation_gets_no_preview(client, django_user_model, catalogue):
    client.force_login(django_user_model.objects.create_user("lone", password="pw"))

    response = client.post(PREVIEW_URL, _form_data())

    assert response.status_code == 403
    assert "Rhine Plant" not in response.content.decode()


def test_preview_requires_sign_in_and_post(client, sponsor):
    assert client.post(PREVIEW_URL, {}).status_code == 302
    client.force_login(sponsor)
    assert client.get(PREVIEW_URL).status_code == 405


def test_a_second_preview_reuses_the_cached_index(client, sponsor, catalogue):
    client.force_login(sponsor)
    client.post(PREVIEW_URL, _form_data())
    data = _form_data(must_haves=["compliance"])

    with CaptureQueriesContext(connection) as captured:
        response = client.post(PREVIEW_URL, data)

    assert response.status_code == 200
    statements = [
        query["sql"] for query in captured.captured_queries if "SAVEPOINT" not in query["sql"]
    ]
    # Session, user, membership; the form's modality and model checks (two of them the brief's
    # check constraints); the catalogue version; the shown sites' provider slugs. No catalogue
    # read: the index is cached for the version.
    assert len(statements) <= 9, "\n".join(statements)
    assert not any("partners_sitecapability" in sql for sql in statements)
    assert not any("partners_certification" in sql for sql in statements)


def test_the_edit_page_shows_the_saved_briefs_preview_on_load(client, sponsor, catalogue):
    brief = Brief.objects.create(
        organisation=sponsor.membership.organisation,
        title="Phase 2 mAb",
        modality=Term.objects.get(slug="mab"),
        required_certifications=["eu-gmp"],
        must_have_items={"required_certifications": ["eu-gmp"]},
    )
    client.force_login(sponsor)

    response = client.get(reverse("matching:brief-edit", kwargs={"pk": brief.pk}))

    page = response.content.decode()
    assert 'hx-post="/briefs/preview/"' in page
    assert [site.site_name for site in response.context["preview"].sites] == [
        "Rhine Plant",
        "Basel Plant",
    ]


def test_the_new_brief_page_invites_a_modality_before_it_previews(client, sponsor):
    client.force_login(sponsor)

    page = client.get(reverse("matching:brief-create")).content.decode()

    assert 'id="brief-preview"' in page
    assert "Choose a modality to see the ten best sites" in page


def test_preview_describes_the_best_sites_from_the_index(catalogue):
    result = preview(BriefCriteria(modality="mab"), get_catalogue_index(), limit=2)

    assert [(s.rank, s.site_name, s.provider_slug, s.country) for s in result.sites] == [
        (1, "Rhine Plant", "rhine-biologics", "DE"),
        (2, "Cork Plant", "cork-antibodies", "IE"),
    ]
    assert result.sites[0].country_name == "Germany"
    assert {line.label for line in result.sites[0].lines if line.counts} == {
        "Capability",
        "Compliance",
    }
    assert result.relaxation is None
    assert result.relaxation_sentence == ""
