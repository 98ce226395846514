"""Every page a user reaches passes axe-core with no serious or critical violation: the
directory (plain and filtered), a profile, the methodology, sign-in, a sponsor's briefs, brief
form, brief and match run, the organisation's members, and the procurement workspace: the
shortlists, a board, a table, a candidate and the activity log; and, at a desktop's and a phone's
width, a run, a comparison of two runs and a brief with every table full, whose sideways-scrolling
boxes are labelled regions one can tab to."""

import pytest
from playwright.sync_api import Page

from core.choices import JobStatus
from matching.acceptability import execute_analysis, start_analysis
from matching.index import clear_catalogue_index
from matching.runs import execute_run, start_run
from partners.models import DeaSchedule, Phase, Term
from partners.vocabulary import install_vocabulary
from sourcing import pipeline
from tests.browser.conftest import axe_violations
from tests.factories import (
    PASSWORD,
    BriefFactory,
    CertificationFactory,
    InspectionFactory,
    MembershipFactory,
    ProviderFactory,
    SiteCapabilityFactory,
    SiteFactory,
)
from tests.matching.conftest import mab_site, phase2_mab_brief


@pytest.fixture
def workspace(transactional_db):
    """A small catalogue, a sponsor of Helix and a done run of its brief."""
    install_vocabulary(Term, Phase, DeaSchedule)
    clear_catalogue_index()
    mab = Term.objects.get(slug="mab")
    for name, country, fei in [("Rhine Biologics", "DE", "3001234567"), ("Cork", "IE", "")]:
        provider = ProviderFactory(name=name)
        site = SiteFactory(
            provider=provider,
            country=country,
            fei_number=fei,
            phases=[Phase.objects.get(slug="phase2")],
        )
        SiteCapabilityFactory(site=site, term=mab, max_volume_l=2000)
        CertificationFactory(site=site, kind="eu-gmp")
    rhine_slug = ProviderFactory._meta.model.objects.get(name="Rhine Biologics").slug
    InspectionFactory(fei_number="3001234567", classification="VAI")
    member = MembershipFactory(user__username="helen", organisation__name="Helix")
    brief = BriefFactory(organisation=member.organisation, title="Phase 2 mAb", modality=mab)
    run = start_run(brief, member.user)
    execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.DONE
    shortlist = pipeline.create_shortlist(member.organisation, member.user, "EU mAb", brief)
    added = pipeline.add_sites(
        shortlist, run.results.values_list("site_id", flat=True), member.user, run=run
    )
    candidate = added.candidates[0]
    pipeline.move(candidate, "declined", member.user, "no-capacity", "Booked until 2028")
    pipeline.add_note(candidate, member.user, "Ask again in Q3.")
    yield {
        "brief": brief,
        "run": run,
        "provider": rhine_slug,
        "shortlist": shortlist,
        "candidate": candidate,
    }
    clear_catalogue_index()


def _sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("helen")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/**")


def test_every_page_passes_axe_with_no_serious_or_critical_violation(
    live_server, page: Page, workspace
):
    base = live_server.url
    public = [
        "/",
        "/?modality=mab&region=europe",
        f"/providers/{workspace['provider']}/",
        "/methodology/",
        "/accounts/login/",
    ]
    brief, run = workspace["brief"], workspace["run"]
    signed_in = [
        "/briefs/",
        "/briefs/new/",
        f"/briefs/{brief.pk}/",
        f"/briefs/{brief.pk}/edit/",
        f"/runs/{run.pk}/",
        "/organisation/",
        "/shortlists/",
        f"/shortlists/{workspace['shortlist'].pk}/",
        f"/shortlists/{workspace['shortlist'].pk}/?view=table",
        f"/shortlists/{workspace['shortlist'].pk}/activity/",
        workspace["candidate"].get_absolute_url(),
    ]
    found = {}
    titles = {}
    for path in public:
        page.goto(base + path)
        found[path] = axe_violations(page)
        titles[path] = page.title()
    _sign_in(page, base)
    for path in signed_in:
        page.goto(base + path)
        found[path] = axe_violations(page)
        titles[path] = page.title()

    assert {path: lines for path, lines in found.items() if lines} == {}
    # Every page says what it is before the site's name; no two pages share a title (two views
    # of one page, by their query string, may).
    assert {path: title for path, title in titles.items() if not _names_the_page(title)} == {}
    pages = {path: title for path, title in titles.items() if "?" not in path}
    assert len(set(pages.values())) == len(pages), pages


def _names_the_page(title: str) -> bool:
    name, _, site = title.rpartition(" — ")
    return site == "CDMO Match" and len(name) > 3


# The directory, a profile, the brief form and a run page, at a desktop's and a phone's width.
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", SIZES)
def test_the_four_main_pages_pass_axe_at_desktop_and_phone_sizes(
    live_server, page: Page, workspace, size
):
    page.set_viewport_size(SIZES[size])
    base = live_server.url
    found = {}
    page.goto(f"{base}/")
    found["directory"] = axe_violations(page)
    page.goto(f"{base}/providers/{workspace['provider']}/")
    found["profile"] = axe_violations(page)
    _sign_in(page, base)
    page.goto(f"{base}/briefs/{workspace['brief'].pk}/edit/")
    found["brief form"] = axe_violations(page)
    page.goto(f"{base}/runs/{workspace['run'].pk}/")
    found["run"] = axe_violations(page)

    assert {name: lines for name, lines in found.items() if lines} == {}


@pytest.fixture
def two_runs(transactional_db):
    """Two done runs of Helix's phase 2 mAb brief, the second without the phase must-have and
    without France, over enough sites that every table of the run, comparison and brief pages
    is full: sites that meet everything, moved, entered and left, and a rank acceptability
    analysis of the second run."""
    clear_catalogue_index()
    helen = MembershipFactory(user__username="helen", organisation__name="Helix")
    for name, country, phase, compliance, volume in [
        ("Berlin", "DE", "phase2", 95, 2500),
        ("Cork", "IE", "phase2", 70, 5000),
        ("Munich", "DE", "phase2", 60, 2000),
        ("Leiden", "NL", "phase2", 85, 3000),
        ("Boston", "US", "phase2", 99, 12000),
        ("Basel", "CH", "phase2", 75, 2500),
        ("Lyon", "FR", "phase2", 80, 4000),
        ("Ghent", "BE", "phase3", 90, 6000),
        ("Turku", "FI", "phase1", 65, 1000),
    ]:
        mab_site(name, country, phase, compliance=compliance, max_volume_l=volume)
    brief = phase2_mab_brief(helen.organisation, created_by=helen.user)
    brief.excluded_countries = []
    brief.preferred_countries = []
    brief.batch_size = 2000
    brief.batch_unit = "L"
    brief.save()
    first = start_run(brief, helen.user)
    execute_run(first.pk)
    brief.must_haves = []
    brief.excluded_countries = ["FR"]
    brief.weights = {**brief.weights, "scale": 5, "compliance": 5}
    brief.save()
    second = start_run(brief, helen.user)
    execute_run(second.pk)
    for run in (first, second):
        run.refresh_from_db()
        assert run.status == JobStatus.DONE, run.error
    analysis = start_analysis(second, helen.user, samples=1000, seed=3)
    assert execute_analysis(analysis.pk)
    yield {"brief": brief, "first": first, "second": second}
    clear_catalogue_index()


@pytest.mark.parametrize("size", SIZES)
def test_run_comparison_and_brief_pages_pass_axe_with_their_tables_full(
    live_server, page: Page, two_runs, size
):
    """Tables that scroll sideways on a phone (the run's, the comparison's, the brief's) can be
    reached and scrolled from the keyboard: each scroll box is a labelled, focusable region."""
    page.set_viewport_size(SIZES[size])
    base = live_server.url
    brief, first, second = two_runs["brief"], two_runs["first"], two_runs["second"]
    _sign_in(page, base)
    pages = {
        "run": f"/runs/{second.pk}/",
        "comparison": f"/runs/{first.pk}/compare/{second.pk}/",
        "brief": f"/briefs/{brief.pk}/",
    }
    found = {}
    unreachable = {}
    for name, path in pages.items():
        page.goto(base + path)
        found[name] = axe_violations(page)
        unreachable[name] = page.evaluate(SCROLL_BOXES_OUT_OF_REACH)
    # Every table the pages are meant to show is there.
    page.goto(base + pages["run"])
    assert page.locator(".separated-table, .acceptability-table, .excluded-table").count() == 3
    page.goto(base + pages["comparison"])
    assert page.locator(".comparison-table").count() == 3

    assert {name: lines for name, lines in found.items() if lines} == {}
    assert {name: boxes for name, boxes in unreachable.items() if boxes} == {}


# The scroll boxes of tables that are not a labelled region one can tab to.
SCROLL_BOXES_OUT_OF_REACH = """() => [...document.querySelectorAll('.table-wrap, .table-scroll')]
  .filter((box) => box.tabIndex !== 0 || box.getAttribute('role') !== 'region'
    || !(box.getAttribute('aria-label') || box.getAttribute('aria-labelledby')))
  .map((box) => box.querySelector('table').className)"""


# Colours as the browser computed them: an element's own, and the first opaque background
# behind it (what a focus ring drawn outside the element, or a text, is seen against).
COLOURS = """(el) => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const opaque = (c) => c.length === 3 || c[3] > 0;
  const behind = (from) => {
    for (let node = from; node; node = node.parentElement) {
      const bg = rgb(getComputedStyle(node).backgroundColor);
      if (opaque(bg)) return bg.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const style = getComputedStyle(el);
  return {
    outline: rgb(style.outlineColor).slice(0, 3),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
    text: rgb(style.color).slice(0, 3),
    background: behind(el),
    around: behind(el.parentElement),
  };
}"""


def _luminance(rgb: list[float]) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: list[float], b: list[float]) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_focus_ring_stands_out_three_to_one_from_what_surrounds_it(
    live_server, page: Page, workspace
):
    page.set_viewport_size(SIZES["desktop"])
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")  # focus from the keyboard, as :focus-visible asks
    targets = {
        "skip link": page.locator(".skip-link").first,
        "top bar link": page.locator(".topbar nav a").first,
        "facet tick box": page.locator(".filters input[type=checkbox]").first,
        "search box": page.locator("#id_q"),
        "button": page.locator(".filters button[type=submit]"),
        "provider link": page.locator(".results a[href^='/providers/']").first,
    }
    rings = {}
    for name, target in targets.items():
        target.focus()
        colours = target.evaluate(COLOURS)
        assert colours["outlineStyle"] != "none", name
        assert colours["outlineWidth"] >= 2, name
        rings[name] = round(_contrast(colours["outline"], colours["around"]), 2)

    assert {name: ratio for name, ratio in rings.items() if ratio < 3} == {}


def test_facet_options_no_provider_has_are_still_readable(live_server, page: Page, workspace):
    page.goto(f"{live_server.url}/")
    quiet = page.locator(".options li.zero label, .options li.zero .count")
    assert quiet.count() > 0  # the catalogue has no site in most regions and countries

    ratios = [
        round(_contrast(colours["text"], colours["background"]), 2)
        for colours in (quiet.nth(i).evaluate(COLOURS) for i in range(quiet.count()))
    ]

    assert min(ratios) >= 4.5, sorted(set(ratios))


def test_on_a_phone_the_directorys_tick_boxes_are_at_least_24_pixels(
    live_server, page: Page, workspace
):
    page.set_viewport_size(SIZES["phone"])
    page.goto(f"{live_server.url}/")
    boxes = page.locator(".filters input[type=checkbox]")
    assert boxes.count() > 0

    sizes = {
        (round(box["width"]), round(box["height"]))
        for box in (boxes.nth(i).bounding_box() for i in range(boxes.count()))
    }
    page.screenshot(path="/tmp/shots/a11y/directory-phone.png", full_page=False)

    assert {size for size in sizes if min(size) < 24} == set()
