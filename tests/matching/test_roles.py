"""Roles in an organisation: a viewer reads its briefs and runs but changes nothing (403, in the
pages and the API); a member and an admin change them."""

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from rest_framework.test import APIClient

from core.choices import JobStatus
from matching.choices import Criterion, Role
from matching.models import Brief, Run
from matching.roles import VIEWER_REFUSED
from partners.models import Term
from tests.factories import MembershipFactory, RunFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_catalogue_index")]


def _colleague(user, role: str):
    """Another user of the user's organisation, with that role."""
    return MembershipFactory(organisation=user.membership.organisation, role=role).user


@pytest.fixture
def viewer(helix):
    return _colleague(helix, Role.VIEWER)


@pytest.fixture
def failed_run(brief):
    return RunFactory(brief=brief, status=JobStatus.FAILED, error="the worker stopped")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _form_data(**changes) -> dict:
    """A valid POST of the brief form."""
    data = {"title": "Renamed", "modality": Term.objects.get(slug="mab").pk, "batch_unit": "L"}
    weights = {f"weight_{criterion}": "3" for criterion in Criterion.values}
    return data | weights | changes


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


# A viewer: reads, and is refused every change


def test_a_viewer_reads_the_briefs_and_runs(viewer, brief, failed_run):
    client = _client(viewer)
    done = RunFactory(brief=brief, status=JobStatus.DONE, eligible=0, excluded=0)

    for url in [
        "/briefs/",
        f"/briefs/{brief.pk}/",
        f"/runs/{failed_run.pk}/",
        done.get_absolute_url(),
    ]:
        assert client.get(url).status_code == 200, url
    api = _api(viewer)
    for url in [
        "/api/briefs/",
        f"/api/briefs/{brief.pk}/",
        f"/api/runs/{failed_run.pk}/",
        f"/api/runs/{done.pk}/results/",
    ]:
        assert api.get(url).status_code == 200, url


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", "/briefs/new/", None),
        ("post", "/briefs/new/", "form"),
        ("get", "/briefs/{brief}/edit/", None),
        ("post", "/briefs/{brief}/edit/", "form"),
        ("get", "/briefs/{brief}/delete/", None),
        ("post", "/briefs/{brief}/delete/", None),
        ("post", "/briefs/{brief}/runs/", {"method": "weighted"}),
        ("post", "/runs/{run}/retry/", None),
    ],
)
def test_a_viewer_is_refused_every_change_in_the_pages(
    viewer, brief, failed_run, method, url, data, django_capture_on_commit_callbacks
):
    url = url.format(brief=brief.pk, run=failed_run.pk)
    data = _form_data(title="Viewer's brief") if data == "form" else data or {}

    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(_client(viewer), method)(url, data)

    assert response.status_code == 403
    assert VIEWER_REFUSED in _soup(response).get_text()
    assert list(Brief.objects.values_list("title", flat=True)) == ["Phase 2 mAb"]
    assert list(Run.objects.values_list("pk", "status")) == [(failed_run.pk, JobStatus.FAILED)]


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("post", "/api/briefs/", {"title": "Viewer's brief", "modality": "mab"}),
        ("put", "/api/briefs/{brief}/", {"title": "Renamed", "modality": "mab"}),
        ("patch", "/api/briefs/{brief}/", {"title": "Renamed"}),
        ("patch", "/api/briefs/{brief}/", {"batch_size": -1}),
        ("delete", "/api/briefs/{brief}/", None),
        ("post", "/api/briefs/{brief}/runs/", {"method": "weighted"}),
        ("post", "/api/runs/{run}/retry/", None),
    ],
)
def test_a_viewer_is_refused_every_change_in_the_api(
    viewer, brief, failed_run, method, url, data, django_capture_on_commit_callbacks
):
    url = url.format(brief=brief.pk, run=failed_run.pk)

    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(_api(viewer), method)(url, data, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": VIEWER_REFUSED}
    assert list(Brief.objects.values_list("title", flat=True)) == ["Phase 2 mAb"]
    assert list(Run.objects.values_list("pk", "status")) == [(failed_run.pk, JobStatus.FAILED)]


def test_another_organisations_brief_is_still_a_404_for_a_viewer(northwind, brief):
    outsider = _colleague(northwind, Role.VIEWER)

    assert _client(outsider).post(f"/briefs/{brief.pk}/edit/", _form_data()).status_code == 404
    assert _api(outsider).delete(f"/api/briefs/{brief.pk}/").status_code == 404


def test_a_viewer_sees_no_change_buttons(viewer, brief, failed_run):
    client = _client(viewer)

    listing = _soup(client.get("/briefs/"))
    detail = _soup(client.get(f"/briefs/{brief.pk}/"))
    run = _soup(client.get(f"/runs/{failed_run.pk}/"))

    assert not listing.select('a[href="/briefs/new/"]')
    assert not detail.select(f'a[href="/briefs/{brief.pk}/edit/"], a[href$="/delete/"]')
    assert not detail.select("form.run-start")
    assert not run.select("form[method=post]:not([action='/accounts/logout/'])")
    assert "The run failed" in run.get_text()


# Members and admins: change


@pytest.mark.parametrize("role", [Role.MEMBER, Role.ADMIN])
def test_members_and_admins_see_the_change_buttons(helix, brief, failed_run, role):
    client = _client(_colleague(helix, role))

    assert _soup(client.get("/briefs/")).select('a[href="/briefs/new/"]')
    detail = _soup(client.get(f"/briefs/{brief.pk}/"))
    assert detail.select(f'a[href="/briefs/{brief.pk}/edit/"]')
    assert detail.select("form.run-start")
    assert _soup(client.get(f"/runs/{failed_run.pk}/")).select(
        f'form[action="/runs/{failed_run.pk}/retry/"]'
    )


@pytest.mark.parametrize("role", [Role.MEMBER, Role.ADMIN])
def test_members_and_admins_change_in_the_pages(
    helix, brief, catalogue, failed_run, role, django_capture_on_commit_callbacks
):
    client = _client(_colleague(helix, role))

    created = client.post("/briefs/new/", _form_data(title="Second brief"))
    edited = client.post(f"/briefs/{brief.pk}/edit/", _form_data(title="Renamed"))
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"/briefs/{brief.pk}/runs/", {"method": "weighted"})
        retried = client.post(f"/runs/{failed_run.pk}/retry/")
    second = Brief.objects.get(title="Second brief")
    deleted = client.post(f"/briefs/{second.pk}/delete/")

    assert [r.status_code for r in (created, edited, started, retried, deleted)] == [302] * 5
    assert list(Brief.objects.values_list("title", flat=True)) == ["Renamed"]
    assert Run.objects.filter(status=JobStatus.DONE).count() == 2


@pytest.mark.parametrize("role", [Role.MEMBER, Role.ADMIN])
def test_members_and_admins_change_in_the_api(
    helix, brief, catalogue, failed_run, role, django_capture_on_commit_callbacks
):
    api = _api(_colleague(helix, role))

    created = api.post("/api/briefs/", {"title": "Second", "modality": "mab"}, format="json")
    updated = api.patch(f"/api/briefs/{brief.pk}/", {"title": "Renamed"}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(f"/api/briefs/{brief.pk}/runs/", {"method": "topsis"}, format="json")
        retried = api.post(f"/api/runs/{failed_run.pk}/retry/")
    deleted = api.delete(f"/api/briefs/{created.json()['id']}/")

    assert [r.status_code for r in (created, updated, started, retried, deleted)] == [
        201,
        200,
        202,
        202,
        204,
    ]
    assert list(Brief.objects.values_list("title", flat=True)) == ["Renamed"]
    assert Run.objects.filter(status=JobStatus.DONE).count() == 2
