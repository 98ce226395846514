"""A candidate's quote and files in the browser: the candidate's page with a quote (an expired
one) and two files passes axe-core with no serious or critical violation, for a member and a
viewer; a member records a quote and attaches a file through the page's forms, is refused a
disguised file with a message beside the field, downloads a file and deletes one."""

import datetime
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Page, expect

from matching.choices import Role
from sourcing import documents, pipeline
from sourcing.choices import AttachmentKind
from sourcing.models import Attachment, Quote
from tests.browser.conftest import axe_violations
from tests.factories import PASSWORD, MembershipFactory, SiteFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Where screenshots go when SCREENSHOTS names a folder (never the repository).
SCREENSHOTS = os.environ.get("SCREENSHOTS", "")


@pytest.fixture
def candidate(transactional_db):
    """Helix's candidate Milan (Brianza Bioservices), with an expired quote and two files;
    helen is a member of Helix, vera a viewer."""
    member = MembershipFactory(user__username="helen", organisation__name="Helix")
    MembershipFactory(user__username="vera", organisation=member.organisation, role=Role.VIEWER)
    helen = member.user
    shortlist = pipeline.create_shortlist(member.organisation, helen, "EU mAb")
    site = SiteFactory(name="Milan", provider__name="Brianza Bioservices", country="IT")
    candidate = pipeline.add_sites(shortlist, [site.pk], helen).candidates[0]
    documents.save_quote(
        candidate,
        helen,
        price=Decimal("1250000"),
        currency="EUR",
        batches=3,
        scale_l=2000.0,
        lead_time_weeks=26,
        minimum_order_batches=2,
        valid_until=timezone.localdate() - datetime.timedelta(days=10),
        assumptions="Client supplies the cell line; stability studies excluded.",
    )
    documents.attach(
        candidate, helen, SimpleUploadedFile("RFI answers.pdf", PDF * 40), AttachmentKind.RFI_ANSWER
    )
    documents.attach(
        candidate,
        helen,
        SimpleUploadedFile("Price breakdown.csv", b"batch;price\n1;416666.67\n"),
        AttachmentKind.PROPOSAL,
    )
    return candidate


def _sign_in(page: Page, base: str, username: str, then: str) -> None:
    page.goto(f"{base}/accounts/login/?next={then}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}{then}")


def _screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=True)


@pytest.mark.parametrize("username", ["helen", "vera"])
def test_the_candidates_page_with_a_quote_and_files_passes_axe(
    live_server, page: Page, candidate, username
):
    url = candidate.get_absolute_url()
    _sign_in(page, live_server.url, username, url)

    quote = page.locator("section", has=page.locator("#quote-heading"))
    expect(quote).to_contain_text("EUR 1,250,000.00")
    expect(quote).to_contain_text("Expired")
    files = page.locator(".attachments-table tbody tr")
    expect(files).to_have_count(2)
    _screenshot(page, f"candidate-documents-{username}.png")
    assert axe_violations(page) == []


def test_a_member_records_a_quote_and_attaches_and_deletes_files(
    live_server, page: Page, candidate, tmp_path
):
    url = candidate.get_absolute_url()
    _sign_in(page, live_server.url, "helen", url)

    # A revised quote, valid for a year.
    page.get_by_text("Revise the quote").click()
    page.get_by_label("Price", exact=True).fill("990000")
    page.get_by_label("Currency", exact=True).fill("usx")
    page.get_by_role("button", name="Save the quote").click()
    # Refused beside the field, the form still open with what was typed; the quote unchanged.
    expect(page.locator("#quote-errors")).to_contain_text("Currency: Unknown currency “USX”")
    expect(page.get_by_label("Currency", exact=True)).to_have_value("usx")
    _screenshot(page, "candidate-quote-refused.png")
    assert axe_violations(page) == []
    assert Quote.objects.get().currency == "EUR"
    page.get_by_label("Currency", exact=True).fill("usd")
    page.get_by_label("Valid until", exact=True).fill(
        (timezone.localdate() + datetime.timedelta(days=365)).isoformat()
    )
    page.get_by_role("button", name="Save the quote").click()
    quote = page.locator("section", has=page.locator("#quote-heading"))
    expect(quote).to_contain_text("USD 990,000.00")
    expect(quote).not_to_contain_text("Expired")
    assert Quote.objects.get().currency == "USD"

    # A program renamed as a PDF is refused beside the file field; nothing is lost.
    disguised = tmp_path / "audit.pdf"
    disguised.write_bytes(b"MZ\x90\x00" + b"\x00" * 64)
    page.get_by_label("What it is").select_option(label="Audit report")
    page.get_by_label("File", exact=True).set_input_files(str(disguised))
    page.get_by_role("button", name="Attach the file").click()
    expect(page.locator("#attachment-errors")).to_contain_text(
        "audit.pdf: its content is not a PDF"
    )
    expect(page.locator(".attachments-table tbody tr")).to_have_count(2)
    _screenshot(page, "candidate-documents-refused.png")
    assert axe_violations(page) == []

    # The real report is attached and listed.
    report = tmp_path / "Audit report 2027.pdf"
    report.write_bytes(PDF)
    page.get_by_label("What it is").select_option(label="Audit report")
    page.get_by_label("File", exact=True).set_input_files(str(report))
    page.get_by_role("button", name="Attach the file").click()
    rows = page.locator(".attachments-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Audit report 2027.pdf")
    expect(rows.first).to_contain_text("Audit report")

    # It downloads under its own name, as it was uploaded.
    with page.expect_download() as download:
        page.get_by_role("link", name="Audit report 2027.pdf").click()
    assert download.value.suggested_filename == "Audit report 2027.pdf"
    assert Path(download.value.path()).read_bytes() == PDF

    # And deleting it takes it off the list.
    page.get_by_role("button", name="Delete Audit report 2027.pdf").click()
    expect(page.locator(".attachments-table tbody tr")).to_have_count(2)
    assert not Attachment.objects.filter(name="Audit report 2027.pdf").exists()


def test_an_expiring_quote_and_a_long_japanese_file_name(
    live_server, page: Page, candidate, tmp_path
):
    url = candidate.get_absolute_url()
    _sign_in(page, live_server.url, "helen", url)

    page.get_by_text("Revise the quote").click()
    page.get_by_label("Valid until", exact=True).fill(
        (timezone.localdate() + datetime.timedelta(days=12)).isoformat()
    )
    page.get_by_role("button", name="Save the quote").click()
    quote = page.locator("section", has=page.locator("#quote-heading"))
    expect(quote).to_contain_text("Expiring")
    expect(quote).to_contain_text("This quote is about to expire")
    expect(quote).not_to_contain_text("Expired")

    name = "調達見積書" * 41 + "書.pdf"  # 210 characters, 622 UTF-8 bytes
    page.get_by_label("What it is").select_option(label="Proposal")
    page.get_by_label("File", exact=True).set_input_files(
        {"name": name, "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Attach the file").click()
    expect(page.locator(".attachments-table tbody tr")).to_have_count(3)
    expect(page.locator(".attachments-table")).to_contain_text(name)
    assert Attachment.objects.filter(name=name).exists()
    _screenshot(page, "candidate-expiring-long-name.png")
    assert axe_violations(page) == []
