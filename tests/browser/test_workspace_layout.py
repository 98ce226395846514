"""The procurement workspace on a phone (390 px wide): no page scrolls sideways, whatever the
board, the wide tables or their visually hidden labels hold; what is wider scrolls inside its
own box. And a refused move on the board keeps the keyboard on the field to complete."""

import pytest
from playwright.sync_api import Page, expect

from sourcing import pipeline, scoring
from sourcing.choices import Stage
from tests.factories import PASSWORD, CandidateFactory, MembershipFactory

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def shortlist(transactional_db):
    """Helix's "EU fill" with three candidates, one out of the race, and two criteria scored."""
    member = MembershipFactory(user__username="helen", organisation__name="Helix")
    shortlist = pipeline.create_shortlist(member.organisation, member.user, "EU fill")
    for name, stage in (
        ("Lyon", Stage.AUDITED),
        ("Cork", Stage.CONTACTED),
        ("Basel", Stage.LONGLISTED),
    ):
        CandidateFactory(shortlist=shortlist, site__name=name, stage=stage)
    criteria = scoring.set_criteria(shortlist, member.user, [("Quote", 3), ("Audit outcome", 2)])
    lyon = shortlist.candidates.get(site_name="Lyon")
    scoring.score(lyon, member.user, {criteria[0].pk: 4, criteria[1].pk: 5})
    return shortlist


def _sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("helen")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/**")


def test_no_workspace_page_scrolls_sideways_on_a_phone(live_server, page: Page, shortlist):
    base = live_server.url
    page.set_viewport_size(PHONE)
    _sign_in(page, base)
    lyon = shortlist.candidates.get(site_name="Lyon")
    paths = [
        shortlist.get_absolute_url(),
        f"{shortlist.get_absolute_url()}?view=table",
        lyon.get_absolute_url(),
        f"/shortlists/{shortlist.pk}/criteria/",
        f"/shortlists/{shortlist.pk}/scores/",
        "/organisation/",
    ]
    for path in paths:
        page.goto(f"{base}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width} px wide"


def test_a_refused_move_on_the_board_keeps_the_focus_on_the_reason(
    live_server, page: Page, shortlist
):
    base = live_server.url
    _sign_in(page, base)
    page.goto(f"{base}{shortlist.get_absolute_url()}")
    cork = shortlist.candidates.get(site_name="Cork")
    card = page.locator(f"#candidate-{cork.pk}")

    card.get_by_label("Stage of Cork").select_option(Stage.DECLINED)
    card.get_by_role("button", name="Move Cork").click()

    expect(card.locator(".form-errors")).to_contain_text("Reason: Say why")
    expect(page.locator(f"#candidate-{cork.pk} select[name=exit_reason]")).to_be_focused()
