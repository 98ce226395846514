"""Team scoring in the browser: two members score the same candidate, and the first does not see
the second's scores until she has entered her own; the criteria and scorecard pages pass axe-core
with no serious or critical violation."""

import pytest
from playwright.sync_api import Browser, Page, expect

from sourcing import pipeline, scoring
from tests.browser.conftest import axe_violations
from tests.factories import PASSWORD, CandidateFactory, MembershipFactory, SiteFactory


@pytest.fixture
def team(transactional_db):
    """Helix's shortlist "EU fill" with Milan and Ghent on it and the usual criteria; helen and
    mia are members of Helix."""
    helen = MembershipFactory(user__username="helen", organisation__name="Helix")
    mia = MembershipFactory(user__username="mia", organisation=helen.organisation)
    shortlist = pipeline.create_shortlist(helen.organisation, helen.user, "EU fill")
    milan = CandidateFactory(
        shortlist=shortlist, site=SiteFactory(name="Milan", provider__name="Brianza Bio")
    )
    CandidateFactory(shortlist=shortlist, site=SiteFactory(name="Ghent", provider__name="Flanders"))
    criteria = scoring.apply_default_criteria(shortlist, helen.user)
    return {"shortlist": shortlist, "milan": milan, "criteria": criteria, "mia": mia.user}


def _signed_in(browser: Browser, base: str, username: str) -> Page:
    page = browser.new_context().new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/**")
    return page


def _score_milan(page: Page, values: list[str]) -> None:
    for criterion, value in zip(
        ("Quote", "Responsiveness", "Technical answer", "Audit outcome"), values, strict=True
    ):
        page.get_by_label(f"Milan (Brianza Bio), {criterion}").select_option(value)
    page.get_by_role("button", name="Save my scores").click()
    expect(page.get_by_text("Your scores are saved.")).to_be_visible()


def test_a_member_sees_a_colleagues_scores_only_after_entering_her_own(
    live_server, browser: Browser, team
):
    base = live_server.url
    url = f"{base}/shortlists/{team['shortlist'].pk}/scores/"
    milan_team = f"#team-{team['milan'].pk}"
    mia = _signed_in(browser, base, "mia")
    mia.goto(url)
    _score_milan(mia, ["5", "4", "5", "2"])

    helen = _signed_in(browser, base, "helen")
    helen.goto(f"{base}/shortlists/{team['shortlist'].pk}/")
    helen.get_by_role("link", name="Score", exact=True).click()
    expect(helen.locator(milan_team)).to_contain_text("Hidden until you have scored Milan")
    expect(helen.locator(milan_team)).not_to_contain_text("mia")
    assert axe_violations(helen) == []

    # Half a scorecard is not enough.
    helen.get_by_label("Milan (Brianza Bio), Quote").select_option("2")
    helen.get_by_role("button", name="Save my scores").click()
    expect(helen.locator(milan_team)).to_contain_text("you have scored 1 of 4")
    expect(helen.locator(milan_team)).not_to_contain_text("mia")

    _score_milan(helen, ["2", "4", "4", "2"])
    table = helen.locator(f"{milan_team} table")
    expect(table).to_contain_text("mia")
    expect(table.get_by_role("row", name="mia")).to_contain_text("5")
    expect(table.get_by_role("row", name="Team mean")).to_contain_text("Disagree")
    assert axe_violations(helen) == []

    # mia, who scored first, now sees helen's scores too.
    mia.reload()
    expect(mia.locator(f"{milan_team} table").get_by_role("row", name="helen")).to_be_visible()


def test_the_criteria_page_passes_axe_with_and_without_errors(live_server, browser: Browser, team):
    base = live_server.url
    page = _signed_in(browser, base, "helen")
    page.goto(f"{base}/shortlists/{team['shortlist'].pk}/criteria/")
    assert axe_violations(page) == []

    page.get_by_label("Row 2, weight").fill("0")
    page.get_by_role("button", name="Save the criteria").click()

    expect(page.get_by_role("alert")).to_contain_text("Row 2, weight: A weight runs from 1 to 100.")
    expect(page.get_by_label("Row 2, weight")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []


def test_removing_a_scored_criterion_asks_for_its_scores_too(live_server, browser: Browser, team):
    base = live_server.url
    page = _signed_in(browser, base, "helen")
    page.goto(f"{base}/shortlists/{team['shortlist'].pk}/scores/")
    _score_milan(page, ["4", "3", "5", "2"])
    page.goto(f"{base}/shortlists/{team['shortlist'].pk}/criteria/")

    page.get_by_label("Row 2, remove").check()
    page.get_by_role("button", name="Save the criteria").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Removing “Responsiveness” would delete its 1 score"
    )
    expect(page.get_by_label("Row 2, also delete its 1 score")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert axe_violations(page) == []
    page.screenshot(path="/tmp/scoring-criteria-confirm.png", full_page=True)

    page.get_by_label("Row 2, remove").check()
    page.get_by_label("Row 2, also delete its 1 score").check()
    page.get_by_role("button", name="Save the criteria").click()

    expect(page.get_by_text("Criteria saved.")).to_be_visible()
    assert [c.name for c in team["shortlist"].criteria.all()] == [
        "Quote",
        "Technical answer",
        "Audit outcome",
    ]
    page.goto(f"{base}/shortlists/{team['shortlist'].pk}/scores/")
    page.screenshot(path="/tmp/scoring-coverage.png", full_page=True)
