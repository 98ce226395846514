"""A buyer's whole selection in the browser: she shortlists four sites from a run's results,
moves one to "RFI sent" and declines one for lack of capacity (refused first without a reason),
reads the table and exports the shortlist as XLSX; she and a colleague score two candidates on
the team's criteria; she compares three side by side, exports the comparison as XLSX (opened
with openpyxl: values and types) and selects one with a rationale, which the decision record
shows."""

import datetime

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from core.choices import JobStatus
from matching.index import clear_catalogue_index
from matching.runs import execute_run, start_run
from partners.models import DeaSchedule, Phase, Term
from partners.vocabulary import install_vocabulary
from sourcing.choices import ExitReason, Stage
from sourcing.models import Candidate, Decision, Score, Shortlist
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
    MembershipFactory(user__username="cy", organisation=member.organisation)
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
    if not new_title:
        # Once a shortlist exists, every control of the page reloads to offer it: wait for that
        # before opening this one, or the reload closes it again.
        expect(control.locator("option", has_text="EU mAb CMOs")).to_have_count(1)
    control.locator("summary").click()
    if new_title:
        control.get_by_label("A new shortlist, titled").fill(new_title)
    control.get_by_role("button", name="Add").click()
    expect(slot.get_by_role("status")).to_contain_text("Added to EU mAb CMOs")


def _sign_in(page: Page, base: str, username: str, then: str) -> None:
    page.goto(f"{base}/accounts/login/?next={then}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _score(page: Page, site: str, values: dict[str, str]) -> None:
    """On the scorecard, give the site these scores per criterion and save them."""
    for criterion, value in values.items():
        page.get_by_label(f"{site} ({site} Biologics), {criterion}").select_option(value)
    page.get_by_role("button", name="Save my scores").click()
    expect(page.get_by_text("Your scores are saved.")).to_be_visible()


def test_buyer_shortlists_from_a_run_works_the_pipeline_scores_compares_and_decides(
    live_server, page: Page, browser: Browser, run, tmp_path
):
    _sign_in(page, live_server.url, "bea", f"/runs/{run.pk}/")
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
    # (The board is drawn again after each move: wait for it before the next.)
    expect(page.locator("#candidates")).to_contain_text("Basel moved to RFI sent")
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

    # The team's criteria, and two members' scores of Milan and Basel.
    page.goto(f"{live_server.url}{shortlist.get_absolute_url()}")
    page.get_by_role("link", name="Criteria", exact=True).click()
    page.get_by_role("button", name="Use these criteria").click()
    expect(page.get_by_label("Row 1, name")).to_have_value("Quote")
    page.get_by_role("link", name="Scorecard", exact=True).click()
    _score(page, "Milan", {"Quote": "4", "Responsiveness": "5", "Technical answer": "4"})
    _score(page, "Milan", {"Audit outcome": "5"})
    _score(page, "Basel", {"Quote": "3", "Responsiveness": "3", "Technical answer": "2"})
    colleague = browser.new_page()
    _sign_in(colleague, live_server.url, "cy", f"{shortlist.get_absolute_url()}scores/")
    _score(
        colleague,
        "Milan",
        {"Quote": "4", "Responsiveness": "4", "Technical answer": "2", "Audit outcome": "5"},
    )
    colleague.close()
    scores = Score.objects.filter(candidate__shortlist=shortlist)
    assert set(scores.values_list("member__username", "candidate__site_name").distinct()) == {
        ("bea", "Milan"),
        ("bea", "Basel"),
        ("cy", "Milan"),
    }

    # Milan, Basel and Lyon side by side.
    page.goto(f"{live_server.url}{shortlist.get_absolute_url()}")
    for site in ("Milan", "Basel", "Lyon"):
        page.get_by_label(f"Compare {site}").check()
    page.get_by_role("button", name="Compare selected").click()
    expect(page.get_by_role("heading", name="Compare 3 candidates")).to_be_visible()
    table = page.locator("table.comparison-table")
    technical = table.locator("tr", has=page.get_by_role("rowheader", name="Technical answer"))
    expect(technical).to_contain_text("bea")
    expect(technical).to_contain_text("cy")
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX").click()
    path = tmp_path / "comparison.xlsx"
    download.value.save_as(path)

    sheet = load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    # A column per candidate, in the board's order (by stage).
    columns = [f"{site} ({site} Biologics)" for site in ("Milan", "Lyon", "Basel")]
    assert list(header[-3:]) == columns
    by_label = {row[1]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert [by_label["Stage"][column] for column in columns] == [
        "Longlisted",
        "Longlisted",
        "RFI sent",
    ]
    rank = next(row for label, row in by_label.items() if label.startswith("Rank"))
    assert [rank[column] for column in columns] == [1, 4, 2]
    assert all(isinstance(rank[column], int) for column in columns)
    assert sheet.freeze_panes is not None

    # Milan is selected, with a rationale, from the comparison.
    page.get_by_role("link", name="Record a decision").click()
    page.get_by_label("Milan").check()
    page.get_by_label("Rationale").fill("Best compliance record and the team's highest score.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("heading", name="Decision 1")).to_be_visible()
    chosen = page.locator("section", has=page.get_by_role("heading", name="What was chosen"))
    expect(chosen).to_contain_text("Milan")
    expect(chosen).to_contain_text("Best compliance record and the team's highest score.")
    decision = Decision.objects.get(shortlist=shortlist)
    assert [c.site_name for c in decision.chosen.all()] == ["Milan"]
    assert Candidate.objects.get(site_name="Milan").stage == Stage.SELECTED
