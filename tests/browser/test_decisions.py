"""Recording a decision in the browser: from the shortlist, the form refuses a decision without
a rationale, then records one; the record shows what was chosen and why. The form, the record
and the list of decisions pass axe-core with no serious or critical violation."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from core.choices import JobStatus
from sourcing import pipeline, scoring
from sourcing.choices import Stage
from sourcing.models import Candidate, Criterion, Decision, Quote
from tests.browser.conftest import axe_violations
from tests.factories import (
    PASSWORD,
    BriefFactory,
    CandidateFactory,
    CertificationFactory,
    MembershipFactory,
    RunFactory,
    SiteFactory,
)


@pytest.fixture
def shortlist(transactional_db):
    """Helix's "EU fill" with Lyon (audited) and Cork (a proposal) from a run, each with a quote,
    a note and helen's team score."""
    from django.utils import timezone

    member = MembershipFactory(user__username="helen", organisation__name="Helix")
    brief = BriefFactory(organisation=member.organisation, title="Phase 2 mAb")
    run = RunFactory(brief=brief, status=JobStatus.DONE, finished_at=timezone.now())
    shortlist = pipeline.create_shortlist(member.organisation, member.user, "EU fill", brief)
    criterion = Criterion.objects.create(shortlist=shortlist, name="Quote", weight=3)
    for rank, (name, stage) in enumerate(
        [("Lyon", Stage.AUDITED), ("Cork", Stage.PROPOSAL_RECEIVED)], start=1
    ):
        site = SiteFactory(name=name, provider__name=f"{name} Biologics", country="FR")
        CertificationFactory(site=site, kind="eu-gmp")
        candidate = CandidateFactory(
            shortlist=shortlist,
            site=site,
            stage=stage,
            run=run,
            score=90.0 - rank,
            rank=rank,
            scored_at=run.finished_at,
        )
        Quote.objects.create(
            candidate=candidate,
            price=Decimal("1250000") + 100_000 * rank,
            currency="EUR",
            batches=3,
            lead_time_weeks=20 + rank,
            valid_until=timezone.localdate() + datetime.timedelta(days=90),
            assumptions="Three PPQ batches at 2,000 L",
        )
        pipeline.add_note(candidate, member.user, f"{name}: audit went well.")
        scoring.score(candidate, member.user, {criterion.pk: 5 - rank})
    return shortlist


def _sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("helen")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/**")


def test_a_member_records_a_decision_and_reads_its_record(live_server, page: Page, shortlist):
    base = live_server.url
    _sign_in(page, base)
    page.goto(f"{base}{shortlist.get_absolute_url()}")

    page.get_by_role("link", name="Record a decision").click()
    expect(page.get_by_role("heading", name="Record a decision")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_label("Lyon").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".form-errors")).to_contain_text(
        "Rationale: Say why these were chosen: the rationale is kept with the record."
    )
    expect(page.get_by_label("Lyon")).to_be_checked()
    assert axe_violations(page) == []
    assert not Decision.objects.exists()

    page.get_by_label("Rationale").fill("Clean audit and the best lead time.")
    page.get_by_role("button", name="Record the decision").click()

    expect(page.get_by_role("heading", name="Decision 1")).to_be_visible()
    chosen = page.locator("section", has=page.get_by_role("heading", name="What was chosen"))
    expect(chosen).to_contain_text("Lyon")
    expect(chosen).to_contain_text("was Audited")
    expect(chosen).to_contain_text("Clean audit and the best lead time.")
    expect(page.locator(".comparison-head")).to_have_count(2)
    assert axe_violations(page) == []
    assert Candidate.objects.get(site_name="Lyon").stage == Stage.SELECTED

    page.get_by_role("link", name="Decisions", exact=True).click()
    expect(page.get_by_role("link", name="Decision 1")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("link", name="EU fill").first.click()
    expect(page.locator(".decision-line")).to_contain_text("Selected: Lyon — decision 1")
