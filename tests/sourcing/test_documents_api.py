"""Quotes and attachments in the JSON API: a candidate's quote read, recorded, revised and
withdrawn; files listed, uploaded (multipart), downloaded and deleted. Bad input is a 400 naming
the field; another organisation gets a 404, a viewer a 403 on every change, the anonymous are
refused."""

from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from matching.choices import Role
from sourcing import documents
from sourcing.choices import AttachmentKind, Verb
from sourcing.models import Activity, Attachment, Quote
from tests.factories import BriefFactory, CandidateFactory, MembershipFactory, ShortlistFactory
from tests.sourcing.test_documents import EXE, PDF

pytestmark = pytest.mark.django_db

QUOTE = {
    "price": "1250000.00",
    "currency": "eur",
    "batches": 3,
    "scale_l": 2000,
    "lead_time_weeks": 26,
    "minimum_order_batches": 2,
    "valid_until": "2027-03-01",
    "assumptions": "Client supplies the cell line.",
}


@pytest.fixture
def member():
    return MembershipFactory(user__username="bea")


@pytest.fixture
def viewer(member):
    return MembershipFactory(
        user__username="vic", organisation=member.organisation, role=Role.VIEWER
    )


@pytest.fixture
def outsider():
    return MembershipFactory(user__username="otto")


@pytest.fixture
def candidate(member):
    shortlist = ShortlistFactory(brief=BriefFactory(organisation=member.organisation))
    return CandidateFactory(
        shortlist=shortlist, site__name="Milan", site__provider__name="Brianza Bioservices"
    )


def client_of(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _quote_url(candidate) -> str:
    return f"/api/candidates/{candidate.pk}/quote/"


def _attachments_url(candidate) -> str:
    return f"/api/candidates/{candidate.pk}/attachments/"


def _attached(candidate, user, name="offer.pdf"):
    return documents.attach(candidate, user, SimpleUploadedFile(name, PDF), AttachmentKind.PROPOSAL)


# --- Quotes --------------------------------------------------------------------------------------


def test_a_member_records_a_quote_and_reads_it_back(candidate, member):
    api = client_of(member.user)

    response = api.put(_quote_url(candidate), QUOTE, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["currency"] == "EUR"
    assert Decimal(str(body["price"])) == Decimal("1250000.00")
    assert body["expired"] is False
    assert body["summary"] == ("EUR 1,250,000.00 for 3 batches at 2,000 L, valid until 2027-03-01")
    assert body["recorded_by"]["username"] == "bea"
    assert api.get(_quote_url(candidate)).json()["assumptions"] == QUOTE["assumptions"]
    assert Activity.objects.filter(verb=Verb.QUOTED, candidate=candidate).count() == 1


def test_a_revised_quote_replaces_the_one_before(candidate, member):
    api = client_of(member.user)
    api.put(_quote_url(candidate), QUOTE, format="json")

    response = api.put(_quote_url(candidate), {"price": "990000", "currency": "USD"}, format="json")

    assert response.status_code == 200
    quote = Quote.objects.get()
    assert (quote.price, quote.currency, quote.batches, quote.valid_until) == (
        Decimal("990000.00"),
        "USD",
        None,
        None,
    )
    assert Activity.objects.filter(verb=Verb.QUOTED).count() == 2


def test_a_past_validity_is_accepted_and_expired(candidate, member):
    response = client_of(member.user).put(
        _quote_url(candidate), QUOTE | {"valid_until": "2020-01-31"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["expired"] is True


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"price": "-1"}, "price"),
        ({"price": "1.234"}, "price"),
        ({"price": "cheap"}, "price"),
        ({"currency": "EUT"}, "currency"),
        ({"currency": ""}, "currency"),
        ({"batches": 0}, "batches"),
        ({"scale_l": 0}, "scale_l"),
        ({"lead_time_weeks": -2}, "lead_time_weeks"),
        ({"minimum_order_batches": 0}, "minimum_order_batches"),
        ({"valid_until": "1 March"}, "valid_until"),
    ],
)
def test_a_bad_quote_field_is_a_400_naming_it(candidate, member, changes, field):
    response = client_of(member.user).put(_quote_url(candidate), QUOTE | changes, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Quote.objects.exists()


def test_a_missing_quote_is_a_404_saying_so(candidate, member):
    response = client_of(member.user).get(_quote_url(candidate))

    assert response.status_code == 404
    assert response.json()["detail"] == "The candidate has no quote yet."


def test_a_member_withdraws_a_quote(candidate, member):
    api = client_of(member.user)
    api.put(_quote_url(candidate), QUOTE, format="json")

    assert api.delete(_quote_url(candidate)).status_code == 204

    assert not Quote.objects.exists()
    assert api.delete(_quote_url(candidate)).status_code == 404


def test_a_viewer_reads_the_quote_but_cannot_change_it(candidate, member, viewer):
    client_of(member.user).put(_quote_url(candidate), QUOTE, format="json")
    api = client_of(viewer.user)

    assert api.get(_quote_url(candidate)).status_code == 200
    assert api.put(_quote_url(candidate), QUOTE | {"price": "1"}, format="json").status_code == 403
    assert api.put(_quote_url(candidate), {"price": "-1"}, format="json").status_code == 403
    assert api.delete(_quote_url(candidate)).status_code == 403
    assert Quote.objects.get().price == Decimal("1250000.00")


def test_another_organisation_finds_no_quote(candidate, member, outsider):
    client_of(member.user).put(_quote_url(candidate), QUOTE, format="json")
    api = client_of(outsider.user)

    assert api.get(_quote_url(candidate)).status_code == 404
    assert api.put(_quote_url(candidate), QUOTE, format="json").status_code == 404
    assert api.delete(_quote_url(candidate)).status_code == 404
    assert Quote.objects.get().price == Decimal("1250000.00")


def test_the_anonymous_are_refused(candidate, member):
    attachment = _attached(candidate, member.user)
    api = client_of()

    for response in (
        api.get(_quote_url(candidate)),
        api.put(_quote_url(candidate), QUOTE, format="json"),
        api.get(_attachments_url(candidate)),
        api.get(f"/api/attachments/{attachment.pk}/download/"),
        api.delete(f"/api/attachments/{attachment.pk}/"),
    ):
        assert response.status_code == 401
    assert Attachment.objects.count() == 1


# --- Attachments ---------------------------------------------------------------------------------


def test_a_member_uploads_a_file_as_multipart(candidate, member):
    response = client_of(member.user).post(
        _attachments_url(candidate),
        {"kind": "rfi-answer", "file": SimpleUploadedFile("RFI answers.pdf", PDF)},
        format="multipart",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "RFI answers.pdf"
    assert body["kind"] == "rfi-answer"
    assert body["size"] == len(PDF)
    assert body["content_type"] == "application/pdf"
    assert response["Location"] == body["url"]
    assert body["download_url"].endswith(f"/api/attachments/{body['id']}/download/")
    assert Activity.objects.filter(verb=Verb.ATTACHED).count() == 1


@pytest.mark.parametrize(
    ("data", "field", "says"),
    [
        ({"kind": "proposal", "name": "x.exe", "content": EXE}, "file", "files of type .exe"),
        ({"kind": "proposal", "name": "x.pdf", "content": EXE}, "file", "not a PDF"),
        ({"kind": "invoice", "name": "x.pdf", "content": PDF}, "kind", "Unknown kind"),
    ],
)
def test_a_refused_upload_is_a_400_naming_the_field_and_nothing_is_saved(
    candidate, member, data, field, says
):
    response = client_of(member.user).post(
        _attachments_url(candidate),
        {"kind": data["kind"], "file": SimpleUploadedFile(data["name"], data["content"])},
        format="multipart",
    )

    assert response.status_code == 400
    assert says in response.json()[field][0]
    assert not Attachment.objects.exists()


def test_a_file_over_the_limit_is_a_400_with_the_sizes(candidate, member, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    response = client_of(member.user).post(
        _attachments_url(candidate),
        {"kind": "proposal", "file": SimpleUploadedFile("big.pdf", PDF + b" " * 2048)},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["file"] == ["big.pdf is 2 KB; the limit is 1 KB."]
    assert not Attachment.objects.exists()


def test_attachments_are_listed_newest_first_in_flat_queries(
    candidate, member, django_assert_max_num_queries
):
    api = client_of(member.user)
    for count in (2, 12):
        while candidate.attachments.count() < count:
            _attached(candidate, member.user, name=f"f{candidate.attachments.count()}.pdf")
        # The candidate, the count, the page of attachments with their uploaders.
        with django_assert_max_num_queries(4):
            response = api.get(_attachments_url(candidate))
        assert response.json()["count"] == count
    assert response.json()["results"][0]["name"] == "f11.pdf"


def test_a_member_and_a_viewer_download_the_file(candidate, member, viewer):
    attachment = _attached(candidate, member.user)

    for user in (member.user, viewer.user):
        response = client_of(user).get(
            f"/api/attachments/{attachment.pk}/download/", HTTP_ACCEPT="application/pdf"
        )

        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="offer.pdf"'
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "sandbox"


def test_a_download_error_answers_as_json_whatever_was_asked_for(candidate, member, outsider):
    attachment = _attached(candidate, member.user)

    response = client_of(outsider.user).get(
        f"/api/attachments/{attachment.pk}/download/", HTTP_ACCEPT="application/pdf"
    )

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_another_organisation_finds_no_attachment(candidate, member, outsider):
    attachment = _attached(candidate, member.user)
    api = client_of(outsider.user)

    assert api.get(_attachments_url(candidate)).status_code == 404
    upload = {"kind": "proposal", "file": SimpleUploadedFile("x.pdf", PDF)}
    assert api.post(_attachments_url(candidate), upload, format="multipart").status_code == 404
    assert api.get(f"/api/attachments/{attachment.pk}/").status_code == 404
    assert api.get(f"/api/attachments/{attachment.pk}/download/").status_code == 404
    assert api.delete(f"/api/attachments/{attachment.pk}/").status_code == 404
    assert Attachment.objects.count() == 1


def test_a_viewer_cannot_upload_or_delete(candidate, member, viewer):
    attachment = _attached(candidate, member.user)
    api = client_of(viewer.user)

    upload = {"kind": "proposal", "file": SimpleUploadedFile("x.pdf", PDF)}
    assert api.post(_attachments_url(candidate), upload, format="multipart").status_code == 403
    assert api.delete(f"/api/attachments/{attachment.pk}/").status_code == 403
    assert api.get(f"/api/attachments/{attachment.pk}/").json()["name"] == "offer.pdf"
    assert Attachment.objects.count() == 1


def test_a_member_deletes_an_attachment_and_its_file(
    candidate, member, django_capture_on_commit_callbacks
):
    attachment = _attached(candidate, member.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(member.user).delete(f"/api/attachments/{attachment.pk}/")

    assert response.status_code == 204
    assert not Attachment.objects.exists()
    assert not default_storage.exists(attachment.file.name)
    assert Activity.objects.filter(verb=Verb.DETACHED).count() == 1


@pytest.mark.parametrize("name", ["é" * 200 + ".pdf", "調達見積書" * 41 + "書.pdf"])
def test_a_long_unicode_name_is_uploaded_shown_whole_and_stored_cut(candidate, member, name):
    api = client_of(member.user)

    response = api.post(
        _attachments_url(candidate),
        {"kind": "proposal", "file": SimpleUploadedFile(name, PDF)},
        format="multipart",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == name
    stored = Attachment.objects.get().file.name
    assert default_storage.exists(stored)
    assert len(stored.rsplit("/", 1)[1].encode()) <= 200
    assert stored.endswith(".pdf")
    download = api.get(f"/api/attachments/{body['id']}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
