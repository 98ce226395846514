"""The comparison in the browser: a member ticks candidates on the board and compares them, a
column each, differences marked; the page passes axe-core with no serious or critical
violation, keeps only the rows that differ on request, takes six candidates from the table,
and prints without the navigation, its header row repeated."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from core.choices import JobStatus
from matching.engine.criteria import CRITERIA
from partners.models import DeaSchedule, Phase, Term
from partners.vocabulary import install_vocabulary
from sourcing import pipeline, scoring
from sourcing.choices import ExitReason, Stage
from sourcing.models import Quote
from tests.browser.conftest import axe_violations
from tests.factories import (
    PASSWORD,
    BriefFactory,
    CandidateFactory,
    CertificationFactory,
    InspectionFactory,
    MembershipFactory,
    RegulatoryActionFactory,
    RunFactory,
    SiteCapabilityFactory,
    SiteFactory,
)

SITES = [
    # name, provider, country, volume (L), GMP valid for (days), stage
    ("Ghent", "Flanders Bio", "BE", 5000, 800, Stage.PROPOSAL_RECEIVED),
    ("Milan", "Brianza Bioservices", "IT", 1000, 40, Stage.RFI_SENT),
    ("Lyon", "Rhône Biologics", "FR", 2500, -20, Stage.CONTACTED),
    ("Basel", "Rheinwerk Pharma", "CH", 12000, 400, Stage.AUDIT_PLANNED),
    ("Cork", "Munster Biologics", "IE", 2000, 1200, Stage.LONGLISTED),
    ("Tokyo", "東京バイオ", "JP", 800, 300, Stage.DECLINED),
]


def _days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def workspace(transactional_db):
    """Helix's shortlist for a phase 2 mAb brief with six sites on it, some from a run, some
    quoted, two criteria scored by helen and mia."""
    install_vocabulary(Term, Phase, DeaSchedule)
    helen = MembershipFactory(user__username="helen", organisation__name="Helix")
    mia = MembershipFactory(user__username="mia", organisation=helen.organisation)
    brief = BriefFactory(
        organisation=helen.organisation,
        title="Phase 2 mAb, EU",
        phase="phase2",
        batch_size=2000,
        batch_unit="L",
        required_certifications=["eu-gmp"],
        max_oel_ug_m3=1.0,
        dosage_forms=[Term.objects.get(slug="prefilled-syringe")],
    )
    shortlist = pipeline.create_shortlist(helen.organisation, helen.user, "EU fill", brief)
    run = RunFactory(brief=brief, status=JobStatus.DONE, finished_at=timezone.now())
    criteria = scoring.set_criteria(shortlist, helen.user, [("Quote", 3), ("Responsiveness", 1)])
    phase2 = Phase.objects.get(slug="phase2")
    candidates = []
    for index, (name, provider, country, volume, gmp_days, stage) in enumerate(SITES):
        site = SiteFactory(
            name=name,
            provider__name=provider,
            provider__kind="cdmo" if index % 3 else "cmo",
            country=country,
            oel_ug_m3=0.5 if index % 2 else None,
            capacity_available_from=_days(60 * index - 90),
            phases=[phase2] if index != 1 else [Phase.objects.get(slug="phase1")],
        )
        SiteCapabilityFactory(site=site, term=Term.objects.get(slug="mab"), max_volume_l=volume)
        if index % 2 == 0:
            SiteCapabilityFactory(site=site, term=Term.objects.get(slug="prefilled-syringe"))
        CertificationFactory(
            site=site,
            kind="eu-gmp",
            issued_on=_days(gmp_days - 1500),
            valid_until=_days(gmp_days),
        )
        InspectionFactory(
            site=site,
            end_date=_days(-100 - 50 * index),
            classification="OAI" if index == 2 else "NAI",
        )
        if index == 1:
            RegulatoryActionFactory(site=site, action_date=_days(-700))
        scored = index < 4
        candidate = CandidateFactory(
            shortlist=shortlist,
            site=site,
            stage=stage,
            exit_reason=ExitReason.NO_CAPACITY if stage == Stage.DECLINED else "",
            owner=helen.user if index % 2 else mia.user,
            due_on=_days(7 * index - 10) if stage != Stage.DECLINED else None,
            run=run if scored else None,
            score=90 - 7 * index if scored else None,
            rank=index + 1 if scored else None,
            scored_at=timezone.now() if scored else None,
            breakdown=[
                {
                    "criterion": criterion,
                    "sub_score": round(1 - 0.07 * ((n + index) % 5), 2),
                    "weight": 3,
                    "must_have": criterion == "scale",
                    "sentence": "",
                }
                for n, criterion in enumerate(CRITERIA)
            ]
            if scored
            else [],
        )
        if index < 3:
            Quote.objects.create(
                candidate=candidate,
                price=180000 + 25000 * index,
                currency="EUR",
                batches=3,
                scale_l=2000,
                lead_time_weeks=14 + 4 * index,
                minimum_order_batches=2,
                valid_until=_days(90 - 60 * index),
                assumptions="Media and resin supplied by the sponsor" if index else "",
            )
        scoring.score(candidate, helen.user, {criteria[0].pk: 2 + index % 4, criteria[1].pk: 4})
        scoring.score(candidate, mia.user, {criteria[0].pk: 5 - index % 3})
        candidates.append(candidate)
    return {"shortlist": shortlist, "candidates": candidates}


def _signed_in(browser: Browser, base: str, username: str) -> Page:
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/**")
    return page


def test_a_member_compares_candidates_ticked_on_the_board(
    live_server, browser: Browser, workspace, tmp_path
):
    base = live_server.url
    shortlist = workspace["shortlist"]
    page = _signed_in(browser, base, "helen")
    page.goto(f"{base}/shortlists/{shortlist.pk}/")

    for name in ("Ghent", "Milan", "Lyon"):
        page.get_by_label(f"Compare {name}").check()
    assert axe_violations(page) == []  # the board, with its tick boxes
    page.screenshot(path=tmp_path / "board.png", full_page=True)
    page.get_by_role("button", name="Compare selected").click()

    table = page.locator("table.comparison-table")
    expect(table.locator("thead th")).to_have_count(3)
    expect(table.locator("thead")).to_contain_text("Ghent")
    expect(table.get_by_role("row", name="Stage (differs)")).to_contain_text("RFI sent")
    gmp = table.get_by_role("row", name="EU GMP certificate (the brief requires it) (differs)")
    expect(gmp.locator("td.flag-expiring")).to_contain_text("expires")
    expect(gmp.locator("td.flag-expired")).to_contain_text("expired")
    # A quote valid 30 days more is expiring, as a certificate within 90 is.
    valid = table.get_by_role("row", name="Valid until (differs)")
    expect(valid.locator("td.flag-expiring")).to_contain_text("(in 30 days, within 30)")
    expect(valid.locator("td.flag-expired")).to_contain_text("expired")
    expect(table.get_by_role("row", name="Quote (weight 3)")).to_contain_text("mia")
    assert axe_violations(page) == []
    page.screenshot(path=tmp_path / "comparison-3.png", full_page=True)

    # Only the rows that differ.
    page.get_by_label("Only rows that differ").check()
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.locator("table.comparison-table tr.same")).to_have_count(0)
    expect(page.locator("table.comparison-table tr.differs").first).to_be_visible()

    # Printed: no navigation, the candidates' header row repeated on every page.
    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(page.locator("form.comparison-picker")).to_be_hidden()
    assert (
        page.locator("table.comparison-table thead").evaluate("e => getComputedStyle(e).display")
        == "table-header-group"
    )
    page.screenshot(path=tmp_path / "comparison-3-print.png", full_page=True)


def test_six_candidates_from_the_table_fit_the_page_and_print(
    live_server, browser: Browser, workspace, tmp_path
):
    base = live_server.url
    shortlist = workspace["shortlist"]
    page = _signed_in(browser, base, "helen")
    page.goto(f"{base}/shortlists/{shortlist.pk}/?view=table")

    for name, *_ in SITES:
        page.get_by_label(f"Compare {name}").check()
    assert axe_violations(page) == []  # the table, with its tick boxes
    page.get_by_role("button", name="Compare selected").click()

    expect(page.locator("table.comparison-table thead th")).to_have_count(6)
    expect(page.get_by_role("heading", name="Compare 6 candidates")).to_be_visible()
    assert axe_violations(page) == []
    page.screenshot(path=tmp_path / "comparison-6.png", full_page=True)

    page.emulate_media(media="print")
    # On A4 landscape (277 mm of printable width, about 1047 CSS pixels) the table fits.
    page.set_viewport_size({"width": 1047, "height": 740})
    width = page.locator("table.comparison-table").evaluate("e => e.getBoundingClientRect().width")
    assert width <= 1047
    page.screenshot(path=tmp_path / "comparison-6-print.png", full_page=True)
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    assert pdf.startswith(b"%PDF")


def test_a_seventh_candidate_is_refused_with_a_message(live_server, browser: Browser, workspace):
    base = live_server.url
    shortlist = workspace["shortlist"]
    extra = CandidateFactory(shortlist=shortlist, site__name="Graz")
    ids = "&".join(f"c={c.pk}" for c in [*workspace["candidates"], extra])
    page = _signed_in(browser, base, "helen")

    response = page.goto(f"{base}/shortlists/{shortlist.pk}/compare/?{ids}")

    assert response is not None
    assert response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("Choose from 2 to 6 candidates")
    expect(page.get_by_label("Graz")).to_be_checked()
    assert axe_violations(page) == []
