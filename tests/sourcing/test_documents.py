"""A candidate's quote and attached files: recording and revising a quote field by field, the
expired flag, the log; files refused for their size, type or content with a message naming the
field and nothing saved; downloads for the organisation only, with headers that keep a browser
from running them; deletion that leaves nothing in the storage; the candidate's page."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.core.files.storage import InMemoryStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone

from sourcing import documents
from sourcing.choices import AttachmentKind, Verb
from sourcing.models import Activity, Attachment, Quote
from tests.factories import CandidateFactory
from tests.sourcing.conftest import client_of

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def zipped(*names: str) -> bytes:
    """A ZIP archive holding these (empty) parts: an Office Open XML file is one."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


DOCX = zipped("[Content_Types].xml", "word/document.xml")
XLSX = zipped("[Content_Types].xml", "xl/workbook.xml")


def upload(name: str, content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def stored_files() -> list[str]:
    """Every file in the storage's attachments folder."""
    found = []
    folders = ["sourcing"]
    while folders:
        folder = folders.pop()
        if not default_storage.exists(folder):
            continue
        subfolders, files = default_storage.listdir(folder)
        folders += [f"{folder}/{name}" for name in subfolders]
        found += [f"{folder}/{name}" for name in files]
    return found


@pytest.fixture
def candidate(helix_list):
    return CandidateFactory(
        shortlist=helix_list, site__name="Milan", site__provider__name="Brianza Bioservices"
    )


def _quote(candidate, user, **changes):
    values = {
        "price": Decimal("1250000"),
        "currency": "EUR",
        "batches": 3,
        "scale_l": 2000.0,
        "lead_time_weeks": 26,
        "minimum_order_batches": 2,
        "valid_until": datetime.date(2027, 3, 1),
        "assumptions": "Client supplies the cell line.",
    }
    return documents.save_quote(candidate, user, **(values | changes))


def _page(client, candidate) -> BeautifulSoup:
    response = client.get(candidate.get_absolute_url())
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def _text(node) -> str:
    return " ".join(node.get_text(" ").split())


# --- Quotes --------------------------------------------------------------------------------------


def test_a_quote_is_recorded_in_every_field_and_logged(candidate, helen):
    quote = _quote(candidate, helen)

    quote.refresh_from_db()
    assert (quote.price, quote.currency, quote.batches, quote.scale_l) == (
        Decimal("1250000.00"),
        "EUR",
        3,
        2000.0,
    )
    assert (quote.lead_time_weeks, quote.minimum_order_batches) == (26, 2)
    assert quote.valid_until == datetime.date(2027, 3, 1)
    assert quote.recorded_by == helen
    entry = Activity.objects.get(verb=Verb.QUOTED)
    assert entry.actor == helen
    assert entry.candidate == candidate
    assert entry.summary == (
        "Milan (Brianza Bioservices): EUR 1,250,000.00 for 3 batches at 2,000 L, "
        "valid until 2027-03-01"
    )


def test_a_currency_code_is_taken_in_any_case_and_stored_upper_case(candidate, helen):
    quote = _quote(candidate, helen, currency=" chf ")

    assert quote.currency == "CHF"


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"price": None}, "price", "Give the price"),
        ({"price": Decimal("-1")}, "price", "cannot be negative"),
        ({"price": "a lot"}, "price", "as a number"),
        ({"price": Decimal("1.005")}, "price", "two decimal places"),
        ({"price": Decimal("10") ** 13}, "price", "too large"),
        ({"currency": "EUT"}, "currency", "Unknown currency “EUT”"),
        ({"currency": ""}, "currency", "ISO 4217"),
        ({"batches": 0}, "batches", "batches covered"),
        ({"scale_l": 0.0}, "scale_l", "more than 0"),
        ({"scale_l": -5.0}, "scale_l", "more than 0"),
        ({"scale_l": float("nan")}, "scale_l", "more than 0"),
        ({"lead_time_weeks": -1}, "lead_time_weeks", "lead time"),
        ({"minimum_order_batches": 0}, "minimum_order_batches", "minimum order"),
        ({"assumptions": "x" * 5001}, "assumptions", "5,000 characters"),
    ],
)
def test_a_bad_quote_field_is_refused_naming_it_and_nothing_is_saved(
    candidate, helen, changes, field, says
):
    with pytest.raises(ValidationError) as refused:
        _quote(candidate, helen, **changes)

    assert list(refused.value.message_dict) == [field]
    assert says in refused.value.message_dict[field][0]
    assert not Quote.objects.exists()
    assert not Activity.objects.filter(verb=Verb.QUOTED).exists()


def test_a_revised_quote_replaces_the_one_before_and_the_log_keeps_both(candidate, helen):
    _quote(candidate, helen)

    _quote(candidate, helen, price=Decimal("1100000"), batches=None, scale_l=None)

    quote = Quote.objects.get()
    assert quote.price == Decimal("1100000.00")
    assert quote.batches is None
    summaries = list(
        Activity.objects.filter(verb=Verb.QUOTED).order_by("pk").values_list("summary", flat=True)
    )
    assert summaries[1] == "Milan (Brianza Bioservices): EUR 1,100,000.00, valid until 2027-03-01"
    assert Activity.objects.filter(verb=Verb.QUOTED).order_by("pk").last().detail["replaces"] == (
        "EUR 1,250,000.00 for 3 batches at 2,000 L, valid until 2027-03-01"
    )


def test_saving_the_same_quote_again_logs_nothing(candidate, helen):
    _quote(candidate, helen)

    _quote(candidate, helen, currency="eur")

    assert Activity.objects.filter(verb=Verb.QUOTED).count() == 1


def test_a_quote_valid_until_a_past_date_is_accepted_and_expired(candidate, helen):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)

    quote = _quote(candidate, helen, valid_until=yesterday)

    assert quote.expired
    assert not _quote(candidate, helen, valid_until=timezone.localdate()).expired


def test_a_withdrawn_quote_is_gone_and_the_log_says_what_it_was(candidate, helen):
    _quote(candidate, helen)

    documents.withdraw_quote(candidate, helen)

    assert not Quote.objects.exists()
    entry = Activity.objects.filter(verb=Verb.QUOTED).first()
    assert "withdrawn" in entry.summary
    assert "EUR 1,250,000.00" in entry.summary


def test_a_member_records_a_quote_on_the_candidates_page(candidate, helen):
    client = client_of(helen)
    url = reverse("sourcing:quote", args=[candidate.shortlist_id, candidate.pk])

    response = client.post(
        url,
        {
            "price": "980000.50",
            "currency": "usd",
            "batches": "2",
            "scale_l": "500",
            "lead_time_weeks": "20",
            "minimum_order_batches": "1",
            "valid_until": "2027-06-30",
            "assumptions": "Excludes stability studies.",
        },
    )

    assert response.status_code == 302
    quote = Quote.objects.get(candidate=candidate)
    assert (quote.currency, quote.price) == ("USD", Decimal("980000.50"))
    section = _page(client, candidate).find("section", attrs={"aria-labelledby": "quote-heading"})
    text = _text(section)
    assert "USD 980,000.50" in text
    assert "Excludes stability studies." in text
    assert "30 Jun 2027" in text
    assert "Expired" not in text


def test_a_refused_quote_shows_the_message_beside_the_field_and_keeps_the_saved_one(
    candidate, helen
):
    _quote(candidate, helen)
    client = client_of(helen)

    response = client.post(
        reverse("sourcing:quote", args=[candidate.shortlist_id, candidate.pk]),
        {"price": "-5", "currency": "XYZ"},
    )

    assert response.status_code == 400
    soup = BeautifulSoup(response.content, "html.parser")
    errors = _text(soup.find(id="quote-errors"))
    assert "Price: The price cannot be negative" in errors
    assert "Currency: Unknown currency “XYZ”" in errors
    assert soup.find(id="quote-price")["aria-invalid"] == "true"
    assert Quote.objects.get().price == Decimal("1250000.00")
    assert "EUR 1,250,000.00" in _text(soup.find(id="quote-heading").parent)


def test_an_expired_quote_is_flagged_in_words(candidate, helen, vera):
    _quote(candidate, helen, valid_until=timezone.localdate() - datetime.timedelta(days=3))

    section = _page(client_of(vera), candidate).find(
        "section", attrs={"aria-labelledby": "quote-heading"}
    )

    assert "Expired" in _text(section)
    assert "This quote has expired" in _text(section)


@pytest.mark.parametrize(
    ("days", "expiring"), [(0, True), (10, True), (30, True), (31, False), (-1, False)]
)
def test_a_quote_expiring_within_30_days_is_flagged_expiring(
    candidate, helen, vera, days, expiring
):
    quote = _quote(candidate, helen, valid_until=timezone.localdate() + datetime.timedelta(days))

    section = _page(client_of(vera), candidate).find(
        "section", attrs={"aria-labelledby": "quote-heading"}
    )

    assert quote.expiring is expiring
    assert ("Expiring" in _text(section)) is expiring
    assert ("This quote is about to expire" in _text(section)) is expiring
    assert ("Expired" in _text(section)) is (days < 0)


def test_a_viewer_reads_the_quote_without_a_form(candidate, helen, vera):
    _quote(candidate, helen)

    soup = _page(client_of(vera), candidate)

    assert "EUR 1,250,000.00" in _text(soup.find(id="quote-heading").parent)
    assert soup.find("form", class_="quote-form") is None
    assert soup.find("form", class_="attachment-form") is None


def test_the_revise_form_starts_from_the_saved_quote(candidate, helen):
    _quote(candidate, helen)

    soup = _page(client_of(helen), candidate)

    assert soup.find(id="quote-currency")["value"] == "EUR"
    assert soup.find(id="quote-valid_until")["value"] == "2027-03-01"


# --- Attachments: what is accepted ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("proposal.pdf", PDF, "application/pdf"),
        ("Answers.PDF", PDF, "application/pdf"),
        (
            "rfi.docx",
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("prices.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("old.doc", OLE, "application/msword"),
        ("old.xls", OLE, "application/vnd.ms-excel"),
        ("batches.csv", "site;prix\nMilan;1 250 000 €\n".encode(), "text/csv; charset=utf-8"),
        ("notes.txt", "Zürich ok".encode(), "text/plain; charset=utf-8"),
        ("plant.png", PNG, "image/png"),
        ("plant.jpeg", JPEG, "image/jpeg"),
        ("bundle.zip", zipped("a.txt"), "application/zip"),
    ],
)
def test_an_accepted_file_is_stored_and_logged(candidate, helen, name, content, content_type):
    attachment = documents.attach(candidate, helen, upload(name, content), AttachmentKind.PROPOSAL)

    assert attachment.name == name
    assert attachment.content_type == content_type
    assert attachment.size == len(content)
    assert attachment.uploaded_by == helen
    with default_storage.open(attachment.file.name) as stored:
        assert stored.read() == content
    entry = Activity.objects.get(verb=Verb.ATTACHED)
    assert entry.summary.startswith(f"Milan (Brianza Bioservices): {name} (Proposal, ")


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        (
            "report.exe",
            EXE,
            "report.exe: files of type .exe are not accepted; accepted: .pdf, .docx",
        ),
        ("README", b"hello", "README: files without an extension are not accepted"),
        ("report.pdf", EXE, "report.pdf: its content is not a PDF"),
        ("plant.png", JPEG, "plant.png: its content is not a PNG image"),
        ("rfi.docx", zipped("a.txt"), "rfi.docx: its content is not a Word document"),
        ("rfi.docx", XLSX, "rfi.docx: its content is not a Word document"),
        ("old.doc", PDF, "old.doc: its content is not a Word 97-2003 document"),
        ("bundle.zip", b"PK\x03\x04broken", "bundle.zip: its content is not a ZIP archive"),
        ("prices.csv", "Zürich;1 250 000 €".encode("cp1252"), "its content is not a CSV file"),
        ("empty.pdf", b"", "empty.pdf is empty"),
    ],
)
def test_a_file_of_the_wrong_type_or_content_is_refused_and_nothing_saved(
    candidate, helen, name, content, says
):
    with pytest.raises(ValidationError) as refused:
        documents.attach(candidate, helen, upload(name, content), AttachmentKind.OTHER)

    assert says in refused.value.message_dict["file"][0]
    assert not Attachment.objects.exists()
    assert stored_files() == []
    assert not Activity.objects.filter(verb=Verb.ATTACHED).exists()


def test_a_file_over_the_limit_is_refused_with_both_sizes(candidate, helen, settings):
    settings.ATTACHMENT_MAX_BYTES = 20 * MB
    big = upload("audit.pdf")
    big.size = int(31.2 * MB)

    with pytest.raises(ValidationError) as refused:
        documents.attach(candidate, helen, big, AttachmentKind.AUDIT_REPORT)

    assert refused.value.message_dict["file"] == ["audit.pdf is 31.2 MB; the limit is 20 MB."]
    assert stored_files() == []


def test_a_file_just_over_the_limit_gives_the_sizes_in_bytes(candidate, helen, settings):
    settings.ATTACHMENT_MAX_BYTES = 20 * MB
    big = upload("audit.pdf")
    big.size = 20 * MB + 100

    with pytest.raises(ValidationError) as refused:
        documents.attach(candidate, helen, big, AttachmentKind.AUDIT_REPORT)

    assert refused.value.message_dict["file"] == [
        "audit.pdf is 20,971,620 bytes; the limit is 20 MB (20,971,520 bytes)."
    ]


def test_an_unknown_kind_is_refused_naming_it(candidate, helen):
    with pytest.raises(ValidationError) as refused:
        documents.attach(candidate, helen, upload("a.pdf"), "invoice")

    assert "Unknown kind “invoice”" in refused.value.message_dict["kind"][0]
    assert stored_files() == []


def test_a_browsers_folder_and_control_characters_leave_the_name(candidate, helen):
    attachment = documents.attach(
        candidate, helen, upload("C:\\Users\\bea\\rfi\x07.pdf"), AttachmentKind.RFI_ANSWER
    )

    assert attachment.name == "rfi.pdf"
    assert attachment.file.name.endswith("/rfi.pdf")
    assert attachment.file.name.startswith(f"sourcing/{candidate.shortlist.organisation_id}/")


# --- Attachments as pages ----------------------------------------------------------------------


def _attach_url(candidate) -> str:
    return reverse("sourcing:attach", args=[candidate.shortlist_id, candidate.pk])


def _download_url(attachment) -> str:
    candidate = attachment.candidate
    return reverse(
        "sourcing:attachment", args=[candidate.shortlist_id, candidate.pk, attachment.pk]
    )


def test_a_member_attaches_a_file_and_sees_it_listed(candidate, helen):
    client = client_of(helen)

    response = client.post(
        _attach_url(candidate), {"kind": "proposal", "file": upload("Offer 2027.pdf")}
    )

    assert response.status_code == 302
    assert Attachment.objects.get().name == "Offer 2027.pdf"
    rows = _page(client, candidate).select(".attachments-table tbody tr")
    assert len(rows) == 1
    text = _text(rows[0])
    assert "Offer 2027.pdf" in text
    assert "Proposal" in text
    assert "helen" in text
    assert f"{len(PDF)}\xa0bytes" in rows[0].get_text() or f"{len(PDF)} bytes" in text


def test_a_refused_upload_says_why_beside_the_file_field_and_keeps_the_others(candidate, helen):
    documents.attach(candidate, helen, upload("kept.pdf"), AttachmentKind.CDA)
    client = client_of(helen)

    response = client.post(_attach_url(candidate), {"kind": "other", "file": upload("x.exe", EXE)})

    assert response.status_code == 400
    soup = BeautifulSoup(response.content, "html.parser")
    assert "File: x.exe: files of type .exe are not accepted" in _text(
        soup.find(id="attachment-errors")
    )
    assert soup.find(id="attachment-file")["aria-invalid"] == "true"
    assert list(Attachment.objects.values_list("name", flat=True)) == ["kept.pdf"]
    assert "kept.pdf" in _text(soup.select_one(".attachments-table"))


def test_an_upload_without_a_file_is_refused(candidate, helen):
    response = client_of(helen).post(_attach_url(candidate), {"kind": "other"})

    assert response.status_code == 400
    assert "File: Choose a file to attach." in response.content.decode()


def test_a_member_and_a_viewer_download_with_headers_that_keep_it_inert(candidate, helen, vera):
    attachment = documents.attach(candidate, helen, upload("Offer é.pdf"), AttachmentKind.PROPOSAL)

    for user in (helen, vera):
        response = client_of(user).get(_download_url(attachment))

        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert "Offer%20%C3%A9.pdf" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "sandbox"
        assert "private" in response["Cache-Control"]


def test_a_file_of_a_type_no_longer_accepted_is_served_as_bytes(candidate, helen):
    attachment = documents.attach(candidate, helen, upload("page.txt", b"<b>hi</b>"), "other")
    # As if the type had been accepted once, under rules since changed.
    Attachment.objects.filter(pk=attachment.pk).update(name="page.html")

    response = client_of(helen).get(_download_url(attachment))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith('attachment; filename="page.html"')


def test_another_organisation_and_the_anonymous_cannot_download(candidate, helen, otto):
    attachment = documents.attach(candidate, helen, upload("a.pdf"), AttachmentKind.CDA)
    url = _download_url(attachment)

    assert client_of(otto).get(url).status_code == 404
    response = client_of().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_attachment_is_found_only_under_its_own_candidate(candidate, helen, helix_list):
    other = CandidateFactory(shortlist=helix_list)
    attachment = documents.attach(candidate, helen, upload("a.pdf"), AttachmentKind.CDA)
    url = reverse("sourcing:attachment", args=[helix_list.pk, other.pk, attachment.pk])

    assert client_of(helen).get(url).status_code == 404


def test_a_file_missing_from_the_storage_is_a_404(candidate, helen):
    attachment = documents.attach(candidate, helen, upload("a.pdf"), AttachmentKind.CDA)
    default_storage.delete(attachment.file.name)

    assert client_of(helen).get(_download_url(attachment)).status_code == 404


def test_deleting_an_attachment_removes_its_file_once_committed(
    candidate, helen, django_capture_on_commit_callbacks
):
    attachment = documents.attach(candidate, helen, upload("a.pdf"), AttachmentKind.CDA)
    url = reverse("sourcing:detach", args=[candidate.shortlist_id, candidate.pk, attachment.pk])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_of(helen).post(url)
        assert default_storage.exists(attachment.file.name)  # not before the commit
    for callback in callbacks:
        callback()

    assert response.status_code == 302
    assert not Attachment.objects.exists()
    assert stored_files() == []
    entry = Activity.objects.get(verb=Verb.DETACHED)
    assert entry.summary == "Milan (Brianza Bioservices): a.pdf"


def test_a_viewer_cannot_delete_or_attach(candidate, helen, vera):
    attachment = documents.attach(candidate, helen, upload("a.pdf"), AttachmentKind.CDA)
    client = client_of(vera)

    delete = reverse("sourcing:detach", args=[candidate.shortlist_id, candidate.pk, attachment.pk])
    assert client.post(delete).status_code == 403
    assert (
        client.post(_attach_url(candidate), {"kind": "cda", "file": upload("b.pdf")}).status_code
        == 403
    )

    assert list(Attachment.objects.values_list("name", flat=True)) == ["a.pdf"]
    assert default_storage.exists(attachment.file.name)


def test_files_work_through_a_storage_without_paths(
    candidate, helen, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """As in a bucket (S3): files are written, read and deleted through the storage, never
    by a local path."""
    settings.STORAGES = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}
    }
    monkeypatch.setattr(FieldFile, "path", property(lambda file: pytest.fail("read by path")))
    attachment = documents.attach(candidate, helen, upload("a.pdf"), AttachmentKind.CDA)
    assert isinstance(attachment.file.storage._wrapped, InMemoryStorage)
    client = client_of(helen)

    response = client.get(_download_url(attachment))

    assert b"".join(response.streaming_content) == PDF
    delete = reverse("sourcing:detach", args=[candidate.shortlist_id, candidate.pk, attachment.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(delete)
    assert not default_storage.exists(attachment.file.name)


def test_the_candidates_page_makes_as_many_queries_for_ten_files_as_for_two(
    candidate, helen, django_assert_max_num_queries
):
    _quote(candidate, helen)
    client = client_of(helen)
    counted = []
    for count in (2, 10):
        while candidate.attachments.count() < count:
            documents.attach(candidate, helen, upload("a.pdf"), AttachmentKind.OTHER)
        with django_assert_max_num_queries(40) as queries:
            assert client.get(candidate.get_absolute_url()).status_code == 200
        counted.append(len(queries.captured_queries))

    assert counted[0] == counted[1]


# --- Long names and the files of deleted rows ---------------------------------------------------

# 404 and 622 UTF-8 bytes: over any file system's 255, though within the 255 characters a name
# may have; the second is 210 characters.
LONG_NAMES = ["é" * 200 + ".pdf", "調達見積書" * 41 + "書.pdf"]


@pytest.mark.parametrize("name", LONG_NAMES)
def test_a_long_unicode_name_is_stored_cut_to_bytes_and_shown_whole(candidate, helen, name):
    client = client_of(helen)

    response = client.post(_attach_url(candidate), {"kind": "proposal", "file": upload(name)})

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.name == name
    stored = attachment.file.name.rsplit("/", 1)[1]
    assert stored.endswith(".pdf")
    assert len(stored.encode()) <= 200
    assert name.startswith(stored.removesuffix(".pdf"))  # cut between characters, not in one
    assert default_storage.exists(attachment.file.name)
    assert name in _text(_page(client, candidate).select_one(".attachments-table"))
    download = client.get(_download_url(attachment))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF


def test_a_name_within_the_bytes_is_stored_as_it_is(candidate, helen):
    name = "é" * 98 + ".pdf"  # 200 bytes
    attachment = documents.attach(candidate, helen, upload(name), AttachmentKind.CDA)

    assert attachment.file.name.endswith("/" + name)


def test_removing_a_candidate_deletes_its_files_once_committed(
    candidate, helen, django_capture_on_commit_callbacks
):
    from sourcing import pipeline

    kept = CandidateFactory(shortlist=candidate.shortlist)
    other = documents.attach(kept, helen, upload("kept.pdf"), AttachmentKind.CDA)
    for name in ("a.pdf", "b.pdf"):
        documents.attach(candidate, helen, upload(name), AttachmentKind.CDA)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pipeline.remove(candidate, helen)
        assert len(stored_files()) == 3  # not before the commit
    for callback in callbacks:
        callback()

    assert list(Attachment.objects.all()) == [other]
    assert stored_files() == [other.file.name]


def test_deleting_a_shortlist_deletes_its_candidates_files_once_committed(
    candidate, helen, django_capture_on_commit_callbacks
):
    second = CandidateFactory(shortlist=candidate.shortlist)
    documents.attach(candidate, helen, upload("a.pdf"), AttachmentKind.CDA)
    documents.attach(second, helen, upload("b.pdf"), AttachmentKind.PROPOSAL)
    assert len(stored_files()) == 2

    with django_capture_on_commit_callbacks(execute=True):
        candidate.shortlist.delete()

    assert not Attachment.objects.exists()
    assert stored_files() == []


def test_a_rolled_back_deletion_keeps_the_files(
    candidate, helen, django_capture_on_commit_callbacks
):
    from django.db import transaction

    attachment = documents.attach(candidate, helen, upload("a.pdf"), AttachmentKind.CDA)

    def delete_then_fail() -> None:
        with transaction.atomic():
            candidate.shortlist.delete()
            raise RuntimeError("the deletion fails after the rows went")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        delete_then_fail()

    assert callbacks == []
    assert Attachment.objects.get() == attachment
    assert stored_files() == [attachment.file.name]


def test_a_file_the_storage_cannot_delete_leaves_the_deletion_done(
    candidate, helen, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    attachment = documents.attach(candidate, helen, upload("a.pdf"), AttachmentKind.CDA)

    def refuse(name):
        raise PermissionError(name)

    monkeypatch.setattr(attachment.file.storage, "delete", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        candidate.delete()

    assert not Attachment.objects.exists()
    assert "Could not delete the attachment file" in caplog.text
