"""The directory keeps the user's place: the filters keep their scroll after a tick, a phone
does not jump, paging lands at the top of the results; an empty list is one click from a list
again; long option lists can be searched; the site view; and no serious accessibility
violation in either view."""

import re

import pytest
from playwright.sync_api import Page, expect

from partners.models import Term
from tests.browser.conftest import axe_violations
from tests.factories import (
    CertificationFactory,
    ProviderFactory,
    SiteCapabilityFactory,
    SiteFactory,
)

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# One provider in each: a long country list, sorted by name as every count is one.
COUNTRIES = (
    *("AR", "AT", "AU", "BE", "BR", "CA", "CH", "CL", "CN", "CO", "CZ", "DE", "DK", "EG"),
    *("ES", "FI", "FR", "GR", "HU", "ID", "IE", "IL", "IN", "IT", "JP", "KR", "MX", "MY"),
    *("NL", "NO", "NZ", "PH", "PL", "PT", "SA", "SE", "SG", "TH", "TR", "US", "VN", "ZA"),
)


@pytest.fixture
def catalogue(transactional_db):
    mab = Term.objects.get(slug="mab")
    api = Term.objects.get(slug="small-molecule-api")
    for number, country in enumerate(COUNTRIES):
        provider = ProviderFactory(name=f"Provider {country}", slug=f"provider-{country.lower()}")
        site = SiteFactory(provider=provider, name=f"{country} plant", country=country)
        # Three providers make mAbs: ticking mAb leaves three cards of twenty.
        SiteCapabilityFactory(
            site=site, term=mab if number % 14 == 0 else api, max_volume_l=1000 + number
        )
        if number % 2:
            CertificationFactory(site=site, kind="eu-gmp")


def _tick(page: Page, facet: str, value: str, chip: str) -> None:
    page.locator(f"#f-{facet}-{value}").check()
    # The chip exists only in the swapped-in directory: the swap (and its restoring) is done.
    expect(page.get_by_role("link", name=f"Remove filter: {chip}")).to_be_visible()


@pytest.mark.usefixtures("catalogue")
def test_the_filters_keep_their_scroll_after_ticking_a_country_far_down(live_server, page: Page):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/providers/")
    vietnam = page.locator("#f-country-VN")
    vietnam.scroll_into_view_if_needed()
    page.locator("#options-country").evaluate("list => list.scrollTop = list.scrollHeight")
    filters_before = page.locator(".filters").evaluate("aside => aside.scrollTop")
    list_before = page.locator("#options-country").evaluate("list => list.scrollTop")
    top_before = vietnam.evaluate("box => box.getBoundingClientRect().top")
    # Far down both the filters and the country list.
    assert filters_before > 300
    assert list_before > 100

    _tick(page, "country", "VN", "Country Vietnam")

    assert page.locator(".filters").evaluate("aside => aside.scrollTop") == filters_before
    assert page.locator("#options-country").evaluate("list => list.scrollTop") == list_before
    top_after = page.locator("#f-country-VN").evaluate("box => box.getBoundingClientRect().top")
    assert abs(top_after - top_before) <= 1
    expect(page.locator("#f-country-VN")).to_be_checked()


@pytest.mark.usefixtures("catalogue")
def test_a_phone_does_not_jump_when_a_tick_shortens_the_list_above_the_filters(
    live_server, page: Page
):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/providers/")
    expect(page.locator(".provider-card")).to_have_count(20)
    mab = page.locator("#f-modality-mab")
    mab.scroll_into_view_if_needed()
    top_before = mab.evaluate("box => box.getBoundingClientRect().top")
    scrolled_before = page.evaluate("window.scrollY")

    _tick(page, "modality", "mab", "Modality Monoclonal antibody")

    expect(page.locator(".provider-card")).to_have_count(3)
    # Seventeen cards went from above the tick box; the page moved with them.
    assert page.evaluate("window.scrollY") < scrolled_before - 1000
    top_after = page.locator("#f-modality-mab").evaluate("box => box.getBoundingClientRect().top")
    assert abs(top_after - top_before) <= 1


@pytest.mark.usefixtures("catalogue")
def test_next_page_lands_at_the_top_of_the_results(live_server, page: Page):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/providers/")
    next_page = page.get_by_role("link", name="Next →")
    next_page.scroll_into_view_if_needed()

    next_page.click()

    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator(".results .total")).to_contain_text("page 2 of 3")
    results_top = page.locator("#results").evaluate("box => box.getBoundingClientRect().top")
    assert 0 <= results_top <= 5
    expect(page.locator(".provider-card").first).to_be_in_viewport()
    expect(page.locator("#results-list")).to_be_focused()


@pytest.mark.usefixtures("catalogue")
def test_the_filters_button_is_for_phones_only(live_server, page: Page):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/providers/")
    expect(page.locator(".to-filters")).to_be_hidden()

    page.set_viewport_size(PHONE)

    expect(page.locator(".to-filters")).to_be_visible()


@pytest.mark.usefixtures("catalogue")
def test_an_empty_list_is_one_click_from_a_list_again(live_server, page: Page):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/providers/")
    _tick(page, "modality", "mab", "Modality Monoclonal antibody")
    expect(page).to_have_title("Monoclonal antibody — 3 providers — CDMO Match")

    _tick(page, "certification", "eu-gmp", "Certificate EU GMP certificate")

    expect(page.locator(".results .total")).to_have_text("0 providers")
    expect(page.get_by_text("No provider matches all these filters.")).to_be_visible()
    expect(page).to_have_title("Monoclonal antibody, EU GMP certificate — 0 providers — CDMO Match")
    page.get_by_role("link", name="Remove the last filter: Certificate EU GMP certificate").click()

    expect(page.locator(".provider-card")).to_have_count(3)
    expect(page).to_have_url(re.compile(r"/providers/\?modality=mab&ordering=name$"))
    expect(page).to_have_title("Monoclonal antibody — 3 providers — CDMO Match")


@pytest.mark.usefixtures("catalogue")
def test_a_chip_removes_its_filter_from_the_keyboard_and_focus_stays_among_the_chips(
    live_server, page: Page
):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/providers/?country=DE&country=FR&modality=mab")
    page.get_by_role("link", name="Remove filter: Country Germany").focus()

    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/providers/\?country=FR&modality=mab$"))
    expect(page.get_by_role("link", name="Remove filter: Country France")).to_be_focused()


@pytest.mark.usefixtures("catalogue")
def test_a_find_box_narrows_a_long_option_list_without_sending_the_form(live_server, page: Page):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/providers/")
    countries = page.locator("#options-country li:visible")
    expect(countries).to_have_count(len(COUNTRIES))

    page.get_by_label("Find a country").fill("land")

    # Finland, Ireland, the Netherlands, New Zealand, Switzerland, Thailand, Poland.
    expect(countries).to_have_count(7)
    expect(page.get_by_text("7 of 42 match.")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/providers/")
    page.get_by_label("Find a country").press("Enter")
    expect(page).to_have_url(f"{live_server.url}/providers/")

    _tick(page, "country", "IE", "Country Ireland")

    # The box and its narrowing survive the swap; the ticked country stays shown whatever is typed.
    expect(page.get_by_label("Find a country")).to_have_value("land")
    expect(countries).to_have_count(7)
    page.get_by_label("Find a country").fill("xyz")
    expect(countries).to_have_count(1)
    expect(page.get_by_text("No option matches “xyz”.")).to_be_visible()


@pytest.mark.usefixtures("catalogue")
def test_the_skip_link_reaches_the_first_result_in_a_few_key_presses(live_server, page: Page):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/providers/")

    presses = 0
    while page.evaluate("document.activeElement.textContent.trim()") != "Skip to results":
        assert presses < 8, "the skip link is not among the first eight Tab stops"
        page.keyboard.press("Tab")
        presses += 1
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")

    expect(page.get_by_role("link", name="Provider AR")).to_be_focused()


@pytest.mark.usefixtures("catalogue")
def test_the_site_view_lists_sites_and_keeps_its_view_while_filtering(live_server, page: Page):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/providers/?modality=mab")

    page.get_by_role("link", name="Sites", exact=True).click()

    expect(page).to_have_url(re.compile(r"modality=mab&view=sites"))
    expect(page.locator(".site-row")).to_have_count(3)
    expect(page.locator(".results .total")).to_have_text("3 sites")
    expect(page).to_have_title("Monoclonal antibody — 3 sites — CDMO Match")
    _tick(page, "country", "ES", "Country Spain")
    expect(page).to_have_url(re.compile(r"view=sites"))
    expect(page.locator(".site-row")).to_have_count(1)
    assert axe_violations(page) == []

    page.get_by_role("link", name="Providers", exact=True).click()

    expect(page).to_have_url(re.compile(r"modality=mab&country=ES&ordering=name$"))
    expect(page.locator(".provider-card")).to_have_count(1)


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    "query",
    [
        "",
        "?modality=mab&country=DE",
        "?modality=mab&certification=eu-gmp",  # the empty state
        "?view=sites",
        "?view=sites&country=FR&country=DE",
    ],
)
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_directory_passes_axe_in_both_views(live_server, page: Page, query, viewport):
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}/providers/{query}")
    expect(page.locator(".results .total")).to_be_visible()

    assert axe_violations(page) == []
