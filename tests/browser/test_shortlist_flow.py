"""A buyer shortlists four sites from a run's results, moves one to "RFI sent" and declines one
for lack of capacity, reads the table and exports the shortlist as XLSX, which opens with
typed cells."""

import datetime

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from core.choices import JobStatus
from matching.index import clear_catalogue_index
from matching.runs import execute_run, start_run
from partners.models import DeaSchedule, Phase, Term
from partners.vocabulary import install_vocabulary
from sourcing.choices import ExitReason, Stage
from sourcing.models import Candidate, Shortlist
from tests.factories import (
    PASSWORD,
    BriefFactory,
    MembershipFactory,
    ProviderFactory,
    SiteCapabilityFactory,
    SiteFactory,
)

SITES = [("Milan", 95), ("Basel", 85), ("Cork", 75), ("Lyon", 65), ("Gent", 55)]


@pytest.fixture
def run(transactional_db):
    """A done run of Helix's mAb brief over five sites, best first in the order of SITES."""
    install_vocabulary(Term, Phase, DeaSchedule)
    clear_catalogue_index()
    mab = Term.objects.get(slug="mab")
    for name, compliance in SITES:
        site = SiteFactory(
            name=name,
            provider=ProviderFactory(name=f"{name} Biologics"),
            compliance_state="scored",
            compliance_score=compliance,
        )
        SiteCapabilityFactory(site=site, term=mab, max_volume_l=2000)
    member = MembershipFactory(user__username="bea", organisation__name="Helix")
    brief = BriefFactory(organisation=member.organisation, title="Phase 2 mAb", modality=mab)
    run = start_run(brief, member.user)
    execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.DONE
    yield run
    clear_catalogue_index()


def _add(page: Page, rank: int, new_title: str = "") -> None:
    """Open the "add to a shortlist" control of the site at that rank and add it."""
    slot = page.locator(f"#rank-{rank} .shortlist-slot")
    slot.scroll_into_view_if_needed()
    control = slot.locator(".shortlist-add")
    expect(control).to_be_visible()
    control.locator("summary").click()
    if new_title:
        control.get_by_label("A new shortlist, titled").fill(new_title)
    control.get_by_role("button", name="Add").click()
    expect(slot.get_by_role("status")).to_contain_text("Added to EU mAb CMOs")


def test_buyer_shortlists_from_a_run_moves_candidates_and_exports_xlsx(
    live_server, page: Page, run, tmp_path
):
    page.goto(f"{live_server.url}/accounts/login/?next=/runs/{run.pk}/")
    page.get_by_label("Username").fill("bea")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#rank-1")).to_contain_text("Milan")

    _add(page, 1, new_title="EU mAb CMOs")
    for rank in (2, 3, 4):
        _add(page, rank)

    shortlist = Shortlist.objects.get(title="EU mAb CMOs")
    assert shortlist.brief == run.brief
    assert sorted(shortlist.candidates.values_list("site_name", "rank")) == [
        ("Basel", 2),
        ("Cork", 3),
        ("Lyon", 4),
        ("Milan", 1),
    ]

    page.goto(f"{live_server.url}{shortlist.get_absolute_url()}")
    page.get_by_label("Stage of Basel").select_option(label="RFI sent")
    page.get_by_role("button", name="Move Basel").click()
    expect(page.get_by_label("Stage of Basel")).to_have_value(Stage.RFI_SENT)

    cork = page.locator("form.move-form", has=page.get_by_label("Stage of Cork"))
    cork.get_by_label("Stage of Cork").select_option(label="Declined by the provider")
    cork.get_by_role("button", name="Move Cork").click()  # no reason yet: refused
    expect(page.locator("#candidates")).to_contain_text("Say why the candidate is declined")
    assert Candidate.objects.get(site_name="Cork").stage == Stage.LONGLISTED
    cork = page.locator("form.move-form", has=page.get_by_label("Stage of Cork"))
    cork.get_by_label("Stage of Cork").select_option(label="Declined by the provider")
    cork.get_by_label("Reason", exact=True).select_option(label="No capacity")
    cork.get_by_label("Note").fill("Booked until 2028")
    cork.get_by_role("button", name="Move Cork").click()
    expect(page.locator("#candidates")).to_contain_text("Booked until 2028")

    declined = Candidate.objects.get(site_name="Cork")
    assert (declined.stage, declined.exit_reason) == (Stage.DECLINED, ExitReason.NO_CAPACITY)

    page.goto(f"{live_server.url}{shortlist.get_absolute_url()}?view=table")
    expect(page.locator("table")).to_contain_text("RFI sent")
    expect(page.locator("table")).to_contain_text("Declined by the provider")

    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX").click()
    path = tmp_path / "shortlist.xlsx"
    download.value.save_as(path)

    sheet = load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    by_site = {row[header.index("Site")]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(by_site) == {"Milan", "Basel", "Cork", "Lyon"}
    assert by_site["Basel"]["Stage"] == "RFI sent"
    assert (by_site["Cork"]["Stage"], by_site["Cork"]["Exit reason"]) == (
        "Declined by the provider",
        "No capacity",
    )
    assert by_site["Cork"]["Exit note"] == "Booked until 2028"
    assert by_site["Milan"]["Run rank"] == 1
    assert isinstance(by_site["Milan"]["Run score"], float)
    assert isinstance(by_site["Milan"]["Run"], int)
    assert sheet.freeze_panes == "A2"
    added = next(value for key, value in by_site["Milan"].items() if key.startswith("Added"))
    assert isinstance(added, datetime.datetime)
