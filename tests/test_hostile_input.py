"""Hostile input is answered with a 4xx naming what is wrong, never a server error: NUL
characters in bodies, forms, uploads and the admin's boxes, a unicode digit as a country code,
JSON nested thousands deep, and a brief deleted while its run writes its results.

Most of these ended in a 500 on PostgreSQL only (it refuses a NUL in any text); run this file
there too (DATABASE_URL=postgres://...)."""

import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from core.choices import JobStatus
from core.validators import MAX_JSON_DEPTH, NUL_IN_FIELD
from matching import runs
from matching.models import Brief, Result, Run
from partners.models import Term
from tests.factories import (
    BriefFactory,
    CandidateFactory,
    MembershipFactory,
    ProviderFactory,
    RunFactory,
    ShortlistFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MembershipFactory()


@pytest.fixture
def api(member) -> APIClient:
    client = APIClient()
    client.force_authenticate(member.user)
    return client


def _brief(**changes) -> dict:
    return {"title": "Phase 2 mAb", "modality": "mab", "dosage_forms": [], **changes}


# --- NUL characters -------------------------------------------------------------------------


def test_a_nul_in_a_vocabulary_slug_of_a_brief_is_a_400_naming_the_field(api):
    response = api.post(
        "/api/briefs/", _brief(dosage_forms=["sterile\x00-injectable"]), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"dosage_forms": [NUL_IN_FIELD]}
    assert not Brief.objects.exists()


def test_a_nul_in_a_json_title_is_a_400_naming_the_field(api):
    response = api.post("/api/briefs/", _brief(title="Phase\x00 2"), format="json")

    assert response.status_code == 400
    assert response.json() == {"title": [NUL_IN_FIELD]}


def test_a_nul_in_a_json_body_changing_a_brief_is_a_400(api, member):
    brief = BriefFactory(organisation=member.organisation)

    response = api.patch(f"/api/briefs/{brief.pk}/", {"modality": "m\x00ab"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"modality": [NUL_IN_FIELD]}


def test_a_nul_in_a_posted_api_form_is_a_400_naming_the_field(api):
    response = api.post("/api/briefs/", {"title": "x", "modality": "ma\x00b"})

    assert response.status_code == 400
    assert response.json() == {"modality": [NUL_IN_FIELD]}


def test_a_nul_in_the_brief_form_is_a_400_naming_the_field(client, member):
    client.force_login(member.user)
    mab = Term.objects.get(slug="mab")

    response = client.post(
        "/briefs/new/", {"title": "Phase\x00 2", "modality": mab.pk, "batch_unit": "L"}
    )

    assert response.status_code == 400
    assert "“title”" in response.content.decode()
    assert not Brief.objects.exists()


def test_a_nul_in_an_uploaded_file_name_is_dropped_from_the_name(api, member):
    """Django's multipart parser drops a NUL from a file's name: the file is kept, named
    without it."""
    candidate = CandidateFactory(
        shortlist=ShortlistFactory(brief=BriefFactory(organisation=member.organisation))
    )
    upload = SimpleUploadedFile("offer\x00.pdf", b"%PDF-1.4\n%%EOF\n")

    response = api.post(
        f"/api/candidates/{candidate.pk}/attachments/",
        {"kind": "proposal", "file": upload},
        format="multipart",
    )

    assert response.status_code == 201
    assert response.json()["name"] == "offer.pdf"


def test_a_nul_in_an_uploaded_files_field_name_is_a_400_naming_it():
    from django.utils.datastructures import MultiValueDict

    from core.validators import nul_file_field

    files = MultiValueDict({"fi\x00le": [SimpleUploadedFile("offer.pdf", b"x")]})

    assert nul_file_field(files) == "fi\\u0000le"


@pytest.mark.parametrize(
    "address",
    [
        "/admin/partners/provider/?q=a%00b",
        "/admin/partners/site/?q=%00",
        "/admin/partners/site/?country=D%00E",
        "/admin/matching/brief/?q=%00&organisation__id__exact=1",
        "/admin/autocomplete/?app_label=partners&model_name=site&field_name=site&term=%00",
    ],
)
def test_admin_search_and_filter_boxes_answer_a_nul_with_a_400(admin_client, address):
    ProviderFactory()

    assert admin_client.get(address).status_code == 400


def test_an_admin_form_with_a_nul_is_a_400_naming_the_field(admin_client):
    provider = ProviderFactory()

    response = admin_client.post(
        f"/admin/partners/provider/{provider.pk}/change/", {"name": "A\x00B"}
    )

    assert response.status_code == 400
    assert "“name”" in response.content.decode()


# --- A unicode digit as a country code ----------------------------------------------------------


@pytest.mark.parametrize("field", ["preferred_countries", "excluded_countries"])
def test_a_unicode_digit_as_a_country_code_is_a_400_naming_the_field(api, field):
    response = api.post("/api/briefs/", _brief(**{field: ["²"]}), format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert "“²”" in response.json()[field][0]


def test_unicode_digits_as_countries_in_the_catalogue_api_are_a_400(client):
    response = client.get("/api/providers/?country=%C2%B2&country=%C2%B9%C2%B2")

    assert response.status_code == 400
    assert list(response.json()) == ["country"]


# --- JSON nested thousands deep ---------------------------------------------------------------


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_json_nested_five_thousand_deep_is_a_400(api, opening):
    closing = "]" if opening == "[" else "}"
    body = opening * 5000 + "1" + closing * 5000

    response = api.post("/api/briefs/", body, content_type="application/json")

    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_json_nested_just_past_the_limit_is_a_400_and_at_the_limit_is_read(api):
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    past = "[" + at_limit + "]"

    # A list is no brief, but it is read: the answer names what is wrong with it.
    assert "nested" not in str(
        api.post("/api/briefs/", at_limit, content_type="application/json").json()
    )
    assert (
        "nested" in api.post("/api/briefs/", past, content_type="application/json").json()["detail"]
    )


def test_a_json_body_over_the_size_limit_is_a_400_in_json(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api.post("/api/briefs/", _brief(title="x" * 2000), format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Bad Request."}


def test_an_api_address_no_route_matches_is_a_404_in_json(api):
    for address in ("/api/nothing-here/", "/api/briefs/1/nothing-here/"):
        response = api.get(address)

        assert response.status_code == 404
        assert response.json() == {"detail": "There is nothing at this address."}


# --- Deleting a brief while its run writes its results ---------------------------------------


def _wait_until_blocked_on_a_lock(timeout: float = 10) -> None:
    """Until another connection waits for a row lock (the deleting request, here)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the delete never waited for the run's lock")


@pytest.fixture
def vocabulary(transactional_db):
    """Tests outside a transaction see the tables an earlier one emptied: vocabulary included."""
    from partners.models import DeaSchedule, Phase
    from partners.vocabulary import install_vocabulary

    install_vocabulary(Term, Phase, DeaSchedule)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["page", "api"])
def test_deleting_a_brief_while_its_run_writes_results_never_fails(vocabulary, monkeypatch, how):
    """The run's writer holds its results uncommitted while the brief is deleted; then it
    commits. On the parent commit the delete then failed on the results' foreign key (a 500)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks and deferred foreign keys: PostgreSQL's behaviour")
    SiteFactory()
    member = MembershipFactory()
    brief = BriefFactory(organisation=member.organisation)
    run = RunFactory(brief=brief)
    results_written = threading.Event()
    go_on = threading.Event()
    real_version = runs.current_catalogue_version

    def version_after_a_pause():
        # Called inside the writer's transaction, after its results are inserted.
        results_written.set()
        go_on.wait(10)
        return real_version()

    monkeypatch.setattr(runs, "current_catalogue_version", version_after_a_pause)
    writer = threading.Thread(target=_in_a_thread(runs.execute_run), args=(run.pk,))
    writer.start()
    assert results_written.wait(10)

    answers = []

    def delete():
        if how == "page":
            client = Client()
            client.force_login(member.user)
            answers.append(client.post(f"/briefs/{brief.pk}/delete/"))
        else:
            client = APIClient()
            client.force_authenticate(member.user)
            answers.append(client.delete(f"/api/briefs/{brief.pk}/"))

    deleter = threading.Thread(target=_in_a_thread(delete))
    deleter.start()
    _wait_until_blocked_on_a_lock()
    go_on.set()
    writer.join(10)
    deleter.join(10)

    assert answers[0].status_code in (204, 302)
    assert not Brief.objects.filter(pk=brief.pk).exists()
    assert not Run.objects.filter(pk=run.pk).exists()
    assert not Result.objects.filter(run_id=run.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_brief_is_deleted_before_it_writes_stops_quietly(
    vocabulary, monkeypatch, caplog
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL's behaviour")
    SiteFactory()
    member = MembershipFactory()
    brief = BriefFactory(organisation=member.organisation)
    run = RunFactory(brief=brief)
    real_step = runs._step

    def step_then_delete(run_id, attempt, progress, **fields):
        real_step(run_id, attempt, progress, **fields)
        if progress == 80:
            Brief.objects.filter(pk=brief.pk).delete()

    monkeypatch.setattr(runs, "_step", step_then_delete)

    assert runs.execute_run(run.pk) is False
    assert not Run.objects.filter(pk=run.pk).exists()
    assert not Result.objects.filter(run_id=run.pk).exists()
    assert "failed" not in caplog.text


def _in_a_thread(function):
    def run(*args):
        try:
            function(*args)
        finally:
            connection.close()

    return run


def test_a_run_whose_brief_is_gone_is_not_run():
    run = RunFactory(status=JobStatus.QUEUED)
    Brief.objects.filter(pk=run.brief_id).delete()

    assert runs.execute_run(run.pk) is False
