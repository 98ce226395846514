"""Anyone reads how match runs rank sites, and reaches it from the compliance score's method;
with an accessibility check and a screenshot."""

import os

import pytest
from playwright.sync_api import Page, expect

from matching.engine import scales, stability
from tests.browser.conftest import axe_violations

# Screenshots go outside the repository, for a person to look at.
SHOTS = os.environ.get("SCREENSHOT_DIR", "/tmp")


@pytest.mark.django_db(transaction=True)
def test_ranking_methodology_reads_the_engines_scales_and_passes_axe(live_server, page: Page):
    page.goto(f"{live_server.url}/methodology/")
    page.get_by_role("link", name="how runs rank sites").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("How match runs rank sites")
    phase = page.get_by_role("row", name="Phase")
    expect(phase).to_contain_text(f"{scales.PHASE_ADJACENT:g} if it serves only a neighbouring")
    expect(page.locator("#stability")).to_contain_text(f"within {stability.PRECISION:g} of")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Methodology")).to_have_attribute("aria-current", "page")
    page.screenshot(path=f"{SHOTS}/ranking_methodology.png", full_page=True)
    assert axe_violations(page) == []
