"""Sponsor organisations: only an organisation's members see, change or delete its briefs."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from matching.models import Brief, Organisation
from partners.models import Term

pytestmark = pytest.mark.django_db


@pytest.fixture
def loner(django_user_model):
    return django_user_model.objects.create_user("lone", password="pw")


def _brief(user, title: str = "Helix mAb") -> Brief:
    return Brief.objects.create(
        organisation=user.membership.organisation,
        created_by=user,
        title=title,
        modality=Term.objects.get(slug="mab"),
    )


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_for_user_returns_only_the_users_organisations_briefs(helix, northwind, loner):
    own = _brief(helix)
    _brief(northwind, "Northwind ADC")

    assert list(Brief.objects.for_user(helix)) == [own]
    assert not Brief.objects.for_user(loner).exists()


@pytest.mark.parametrize("name", ["matching:brief", "matching:brief-edit", "matching:brief-delete"])
def test_another_organisations_brief_is_a_404_in_html(client, helix, northwind, name):
    brief = _brief(helix)
    client.force_login(northwind)

    assert client.get(reverse(name, kwargs={"pk": brief.pk})).status_code == 404


def test_another_organisation_cannot_edit_or_delete_by_post(client, helix, northwind):
    brief = _brief(helix)
    client.force_login(northwind)

    edit = client.post(reverse("matching:brief-edit", kwargs={"pk": brief.pk}), {"title": "x"})
    delete = client.post(reverse("matching:brief-delete", kwargs={"pk": brief.pk}))

    assert (edit.status_code, delete.status_code) == (404, 404)
    brief.refresh_from_db()
    assert brief.title == "Helix mAb"


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_another_organisations_brief_is_a_404_in_the_api(helix, northwind, method):
    brief = _brief(helix)

    response = getattr(_api(northwind), method)(
        f"/api/briefs/{brief.pk}/", {"title": "taken"}, format="json"
    )

    assert response.status_code == 404
    assert Brief.objects.filter(pk=brief.pk, title="Helix mAb").exists()


def test_the_list_page_shows_only_own_briefs(client, helix, northwind):
    _brief(helix, "Helix mAb")
    _brief(northwind, "Northwind ADC")
    client.force_login(helix)

    page = client.get(reverse("matching:brief-list")).content.decode()

    assert "Helix mAb" in page
    assert "Northwind ADC" not in page


def test_the_api_list_shows_only_own_briefs(helix, northwind, django_assert_max_num_queries):
    _brief(helix, "Helix mAb")
    _brief(helix, "Helix peptide")
    _brief(northwind, "Northwind ADC")

    with django_assert_max_num_queries(8):
        response = _api(helix).get("/api/briefs/")

    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert {brief["title"] for brief in response.json()["results"]} == {
        "Helix mAb",
        "Helix peptide",
    }


def test_a_user_without_organisation_sees_no_briefs_and_is_told_why(client, helix, loner):
    _brief(helix)
    client.force_login(loner)

    page = client.get(reverse("matching:brief-list"))

    assert page.status_code == 200
    assert "does not belong to a sponsor organisation" in page.content.decode()
    assert "Helix mAb" not in page.content.decode()
    assert _api(loner).get("/api/briefs/").json()["count"] == 0


def test_a_user_without_organisation_cannot_create_a_brief(client, loner):
    client.force_login(loner)

    page = client.get(reverse("matching:brief-create"))
    post = client.post(reverse("matching:brief-create"), {"title": "x"})
    api = _api(loner).post("/api/briefs/", {"title": "x", "modality": "mab"}, format="json")

    assert page.status_code == post.status_code == 403
    assert "Ask an administrator" in page.content.decode()
    assert api.status_code == 403
    assert "does not belong to a sponsor organisation" in api.json()["detail"]
    assert not Brief.objects.exists()


def test_anonymous_users_are_sent_to_sign_in_and_refused_by_the_api(client):
    response = client.get(reverse("matching:brief-list"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert APIClient().get("/api/briefs/").status_code == 401


def test_demo_accounts_put_each_sponsor_in_its_own_organisation(
    django_user_model, settings, capsys
):
    settings.DEBUG = True

    call_command("demo_accounts")
    call_command("demo_accounts")

    out = capsys.readouterr().out
    assert "sponsor2 / sponsor2-demo-2026" in out
    assert "Northwind Biologics" in out
    sponsor = django_user_model.objects.get(username="sponsor")
    sponsor2 = django_user_model.objects.get(username="sponsor2")
    assert sponsor.membership.organisation.name == "Helix Therapeutics"
    assert sponsor2.membership.organisation.name == "Northwind Biologics"
    assert sponsor2.check_password("sponsor2-demo-2026")
    assert Organisation.objects.count() == 2
