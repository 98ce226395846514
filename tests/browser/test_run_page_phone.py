"""A done run's page on a phone (390 px wide): a ranked site's "Why this score" keeps each
criterion's name whole and a rank of three digits clear of the site's name; the rank
acceptability tables keep their titles within the page and each share on one line, the shares
fitting the page and the central weights scrolling sideways, said so."""

import pytest
from playwright.sync_api import Page

from core.choices import JobStatus
from matching.acceptability import execute_analysis, start_analysis
from matching.index import clear_catalogue_index
from matching.models import Run
from matching.runs import execute_run
from tests.factories import PASSWORD, MembershipFactory
from tests.matching.conftest import mab_site, phase2_mab_brief

PHONE = {"width": 390, "height": 844}
# Enough eligible sites for ranks of three digits.
SITES = 102


@pytest.fixture
def done_run(transactional_db):
    clear_catalogue_index()
    helen = MembershipFactory(user__username="helen", organisation__name="Helix")
    for number in range(SITES):
        mab_site(
            f"Site {number}",
            "DE",
            "phase2" if number % 3 else "phase3",
            compliance=50 + number % 50,
            max_volume_l=500 + 100 * number,
        )
    brief = phase2_mab_brief(helen.organisation, created_by=helen.user)
    brief.must_haves = []
    brief.batch_size = 2000
    brief.batch_unit = "L"
    brief.save()
    run = Run.objects.create(brief=brief, organisation=helen.organisation)
    execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.DONE, run.error
    assert run.eligible >= 101
    analysis = start_analysis(run, helen.user, samples=1000, seed=1)
    assert execute_analysis(analysis.pk)
    yield run
    clear_catalogue_index()


def _sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("helen")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/**")


# The words of an element's text that the browser broke over two lines or more.
WORDS_BROKEN = """(el) => {
  const broken = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.textContent.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
      if (tops.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""


def test_why_this_score_keeps_names_whole_and_a_long_rank_apart(live_server, page: Page, done_run):
    page.set_viewport_size(PHONE)
    base = live_server.url
    _sign_in(page, base)
    page.goto(f"{base}/runs/{done_run.pk}/?page=5")
    row = page.locator("#rank-101")
    row.locator("details.breakdown summary").click()
    names = row.locator(".breakdown-table th[scope=row]")
    assert names.count() >= 5

    broken = {
        names.nth(i).inner_text(): names.nth(i).evaluate(WORDS_BROKEN) for i in range(names.count())
    }
    rank = row.locator(".result-rank").bounding_box()
    body = row.locator(".result-body").bounding_box()
    row.screenshot(path="/tmp/shots/a11y/run-why-phone.png")

    assert {name: words for name, words in broken.items() if words} == {}
    assert rank["x"] + rank["width"] <= body["x"]


# Whether each element's text stays on one line.
ONE_LINE = """(els) => els.map((el) => {
  const range = document.createRange();
  range.selectNodeContents(el);
  return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size === 1;
})"""


def test_the_acceptability_tables_fit_a_phone_or_say_they_scroll(live_server, page: Page, done_run):
    page.set_viewport_size(PHONE)
    base = live_server.url
    _sign_in(page, base)
    page.goto(f"{base}/runs/{done_run.pk}/")
    section = page.locator("#acceptability")
    shares = section.locator("table.acceptability-table")
    leaders = section.locator("table.acceptability-leaders")
    assert shares.locator("tbody tr").count() == 20

    titles = section.locator(".table-title")
    title_boxes = [titles.nth(i).bounding_box() for i in range(titles.count())]
    numbers = section.locator("td.num")
    on_one_line = numbers.evaluate_all(ONE_LINE)
    shares_overflow = shares.evaluate(
        "t => t.parentElement.scrollWidth - t.parentElement.clientWidth"
    )
    leaders_overflow = leaders.evaluate(
        "t => t.parentElement.scrollWidth - t.parentElement.clientWidth"
    )
    section.screenshot(path="/tmp/shots/a11y/run-acceptability-phone.png")

    assert len(title_boxes) == 2
    assert all(box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] for box in title_boxes)
    assert len(on_one_line) > 60
    assert all(on_one_line)
    assert shares_overflow <= 0
    # The central weights, a column per criterion, scroll sideways: the page says so, and the
    # site's name stays in view as they do.
    assert leaders_overflow > 0
    assert section.locator(".scroll-hint").is_visible()
    leaders.evaluate("t => { t.parentElement.scrollLeft = 200; }")
    site = leaders.locator("tbody th[scope=row]").last.bounding_box()
    box = leaders.evaluate("t => t.parentElement.getBoundingClientRect().left")
    assert abs(site["x"] - box) < 2
